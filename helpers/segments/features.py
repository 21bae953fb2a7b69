"""One row per customer: the features segmentation uses, and the RFM baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers import columns
from helpers._checks import examples, require_columns, require_dates, within_observation
from helpers.segments._common import not_in, slug
from helpers.vocabulary import AGE_MIDPOINTS, AREA_TYPES, CHANNELS

#: RFM group names of :func:`rfm_segments`, best first.
RFM_GROUPS = ("Champions", "Loyal", "Promising", "New", "Need attention", "At risk", "Lapsed")
#: Tenure (days) below which a purchase rate is not extrapolated to a year.
_MIN_TENURE_DAYS = 90
#: What customers buy and how: the features the course clusters on (lesson 03; lesson 04 reuses
#: them). A name ending in ``*`` stands for every feature column with that prefix (``cat_*``: one
#: share per category). Value (margin, recency) is left to the profile and to RFM on purpose.
BEHAVIOUR_FEATURES = ("orders_per_year", "avg_order_value", "discount_share", "return_rate", "channel_*",
                      "cat_*")
#: Who and where: the register's external classifiers (life stage and place).
ENRICHMENT_FEATURES = ("age_years", "area_*")
#: The course's segmentation features: behaviour, then enrichment (see :func:`choose_features`).
CLUSTER_FEATURES = BEHAVIOUR_FEATURES + ENRICHMENT_FEATURES
#: The table and column each optional feature is built from (the others need only customer,
#: order, timestamp and amount).
FEATURE_SOURCES = {
    "margin": "orders.margin", "margin_per_year": "orders.margin", "discount_share": "orders.discount",
    "channel_*": "orders.channel", "cat_*": "orders.category", "age_years": "customers.age_band",
    "area_*": "customers.area_type",
}


def segment_features(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    observation_end=None,
    value: pd.Series | None = None,
    categories=None,
    customer_col: str = columns.CUSTOMER,
    order_col: str = columns.ORDER,
    timestamp_col: str = columns.TIMESTAMP,
    amount_col: str = columns.AMOUNT,
    margin_col: str | None = columns.MARGIN,
    discount_col: str | None = columns.DISCOUNT,
    channel_col: str | None = columns.CHANNEL,
    category_col: str | None = columns.CATEGORY,
    signup_date_col: str = columns.SIGNUP_DATE,
    age_band_col: str = columns.AGE_BAND,
    area_type_col: str = columns.AREA_TYPE,
) -> pd.DataFrame:
    """One row per customer: the behaviour and enrichment features segmentation uses.

    Parameters
    ----------
    orders : DataFrame
        Order lines (``data/README.md``): a return is its own order with a
        negative amount. ``timestamp_col`` must hold dates (text is refused).
    customers : DataFrame, optional
        The register; adds ``age_years`` (the mid-point of the age band in
        years, :data:`helpers.vocabulary.AGE_MIDPOINTS`; unknown bands get the
        median) and one-hot ``area_city/suburb/rural`` (all zero when the area
        type is unknown). Every customer of ``orders`` must be in it.
    observation_end : date or str, optional
        The last day the history covers (included; ``"2025-12-31"`` or
        ``"31.12.2025"`` accepted); default the last order date. Later lines
        are left out and counted. Recency and tenure are measured in days up
        to it.
    value : Series, optional
        Customer value in euros indexed by customer id (e.g. predicted CLV from
        lesson 2); added as column ``value`` (0 for customers it lacks).
    categories : list, optional
        The categories to make share columns for (default: all in the data);
        pass the same list for two snapshots so their columns agree.
    customer_col, order_col, timestamp_col, amount_col : str
        Columns of ``orders`` (defaults: the data contract, :mod:`helpers.columns`).
    margin_col, discount_col, channel_col, category_col : str or None
        Optional columns of ``orders``; ``None`` or absent leaves the features
        built from it out (``margin`` and ``margin_per_year``; ``discount_share``;
        ``channel_*``; ``cat_*``) and says so in ``attrs["left_out"]``. A company
        that declares a margin rate but has no margin column can pass
        ``orders.assign(margin=orders["amount"] * rate)``.
    signup_date_col, age_band_col, area_type_col : str
        Columns of ``customers`` (used when present).

    Returns
    -------
    DataFrame
        Index ``customer_col``; columns ``recency_days``, ``tenure_days`` (days
        since first purchase), ``frequency`` (purchase orders), ``orders_per_year``
        (purchases per year of tenure, tenure floored at 90 days),
        ``avg_order_value`` (euros per purchase order, before returns),
        ``revenue`` and ``margin`` (euros net of returns), ``margin_per_year``,
        ``return_rate`` (returned / purchased euros), ``discount_share``
        (discount / list value of purchases), ``channel_<c>`` (share of purchase
        orders per channel), ``cat_<category>`` (share of purchase euros), and
        the enrichments. ``attrs`` records ``observation_end`` (midnight of the
        last day), ``rows_after_observation_end`` (order lines left out),
        ``customers_without_orders`` (in the register, signed up by
        ``observation_end``, no lines), ``customers_only_returns`` (lines but no
        purchase order: left out), ``left_out`` (feature -> the column the data
        lacks for it, e.g. ``{"cat_*": "orders.category"}``) and, with ``value``,
        ``value_missing``.

    Notes
    -----
    RFM after Hughes (2012); channel, category and discount features follow the
    behavioural bases of Wedel & Kamakura (2000, ch. 2).
    """
    optional = {"margin": margin_col, "discount": discount_col, "channel": channel_col, "category": category_col}
    has = {name: col is not None and col in orders.columns for name, col in optional.items()}
    lines, end, n_after = _lines_until(orders, observation_end, customer_col, order_col, timestamp_col,
                                       amount_col)
    feats = _value_features(lines, end, customer_col, order_col, amount_col, margin_col if has["margin"] else None)
    _add_mix(feats, lines, has, categories, customer_col, order_col, amount_col, discount_col, channel_col,
             category_col)
    attrs = {"observation_end": end, "rows_after_observation_end": n_after, "customers_without_orders": 0,
             "customers_only_returns": int(not_in(lines[customer_col].unique(), feats.index).sum())}
    if customers is not None:
        attrs["customers_without_orders"] = _add_register(feats, customers, end, customer_col, signup_date_col,
                                                          age_band_col, area_type_col)
    built = {"margin": "margin", "margin_per_year": "margin", "discount_share": "discount_share",
             "channel_*": "channel_", "cat_*": "cat_", "age_years": "age_years", "area_*": "area_"}
    attrs["left_out"] = {f: FEATURE_SOURCES[f] for f, prefix in built.items()
                         if not any(c.startswith(prefix) for c in feats.columns)}
    if value is not None:
        v = value.reindex(feats.index)
        feats["value"] = v.fillna(0.0).astype("float64")
        feats.attrs["value_missing"] = int(v.isna().sum())
    feats.index.name = customer_col
    feats.attrs.update(attrs)
    return feats


def _lines_until(orders, observation_end, customer_col, order_col, timestamp_col, amount_col):
    """The order lines up to the last day (with their day in ``_date``), that day and how many lines came later."""
    require_columns(orders, [customer_col, order_col, timestamp_col, amount_col], "orders")
    if orders.empty:
        raise ValueError("orders is empty: there is nothing to build features from")
    dates = require_dates(orders, timestamp_col, "orders")
    keep, end, n_after = within_observation(dates, observation_end)
    if not keep.any():
        raise ValueError(f"observation_end={end.date()} is before the first order ({dates.min().date()})")
    lines = orders.loc[keep].copy()
    lines["_date"] = dates[keep].dt.normalize()
    return lines, end, n_after


def _value_features(lines, end, customer_col, order_col, amount_col, margin_col) -> pd.DataFrame:
    """Recency, tenure, frequency, order value, revenue, margin and return rate per customer.

    A purchase order has a positive total; a return order a negative one. ``margin_col=None``: no
    margin columns.
    """
    per_order = lines.groupby([customer_col, order_col], sort=False).agg(
        date=("_date", "min"), amount=(amount_col, "sum"))
    purchase = per_order[per_order["amount"] > 0].reset_index()
    if purchase.empty:
        raise ValueError("orders has no purchase order (an order with a positive total amount)")
    cust = purchase.groupby(customer_col).agg(first=("date", "min"), last=("date", "max"),
                                              frequency=("date", "size"), gross=("amount", "sum"))
    feats = pd.DataFrame(index=cust.index)
    feats["recency_days"] = (end - cust["last"]).dt.days.astype("float64")
    feats["tenure_days"] = (end - cust["first"]).dt.days.astype("float64")
    feats["frequency"] = cust["frequency"].astype("float64")
    feats["orders_per_year"] = _per_year(feats["frequency"], feats["tenure_days"])
    feats["avg_order_value"] = cust["gross"] / cust["frequency"]
    sums = {"revenue": (amount_col, "sum")} | ({"margin": (margin_col, "sum")} if margin_col else {})
    totals = lines.groupby(customer_col).agg(**sums)
    feats["revenue"] = totals["revenue"].reindex(feats.index).fillna(0.0)
    if margin_col:
        feats["margin"] = totals["margin"].reindex(feats.index).fillna(0.0)
        feats["margin_per_year"] = _per_year(feats["margin"], feats["tenure_days"])
    returned = -lines.loc[lines[amount_col] < 0].groupby(customer_col)[amount_col].sum()
    feats["return_rate"] = (returned.reindex(feats.index).fillna(0.0) / cust["gross"]).clip(0, 1)
    return feats


def _add_mix(feats, lines, has, categories, customer_col, order_col, amount_col, discount_col, channel_col,
             category_col) -> None:
    """Add the discount share, channel shares and category shares the data has columns for."""
    purchases = lines[lines[amount_col] > 0]
    if has["discount"]:
        feats["discount_share"] = _discount_share(purchases, feats.index, customer_col, amount_col, discount_col)
    if has["channel"]:
        _add_shares(feats, "channel", _channel_shares(lines, customer_col, order_col, amount_col, channel_col))
    if has["category"]:
        _add_shares(feats, "cat", _category_shares(purchases, feats.index, categories, customer_col, amount_col,
                                                   category_col))


def _per_year(total: pd.Series, tenure_days: pd.Series) -> pd.Series:
    """A total per year of tenure, the tenure floored at :data:`_MIN_TENURE_DAYS` days."""
    return total / (tenure_days.clip(lower=_MIN_TENURE_DAYS) / 365.25)


def _discount_share(purchases, index, customer_col, amount_col, discount_col) -> pd.Series:
    """Discount as a share of the list value (paid + discount) of the purchase lines."""
    d = purchases.groupby(customer_col).agg(disc=(discount_col, "sum"), amt=(amount_col, "sum"))
    return (d["disc"] / (d["amt"] + d["disc"])).reindex(index).fillna(0.0)


def _channel_shares(lines, customer_col, order_col, amount_col, channel_col) -> pd.DataFrame:
    """Share of each customer's purchase orders per channel (every known channel, even if unused)."""
    order_total = lines.groupby(order_col, sort=False)[amount_col].transform("sum")
    first_lines = lines.loc[order_total > 0].drop_duplicates([order_col])
    counts = first_lines.groupby([customer_col, channel_col]).size().unstack(fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    return shares.reindex(columns=sorted(set(CHANNELS) | set(shares.columns)), fill_value=0.0)


def _category_shares(purchases, index, categories, customer_col, amount_col, category_col) -> pd.DataFrame:
    """Share of each customer's purchase euros per category (``categories``, default all in the data)."""
    cats = sorted(purchases[category_col].dropna().unique()) if categories is None else list(categories)
    amt = purchases.pivot_table(index=customer_col, columns=category_col, values=amount_col,
                                aggfunc="sum", fill_value=0.0, observed=True)
    amt = amt.reindex(index=index, columns=cats, fill_value=0.0)
    return amt.div(amt.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)


def _add_shares(feats: pd.DataFrame, prefix: str, shares: pd.DataFrame) -> None:
    """Add the share columns as ``<prefix>_<name>`` (0 for customers the table lacks)."""
    shares = shares.reindex(feats.index).fillna(0.0)
    for c in shares.columns:
        feats[f"{prefix}_{slug(c)}"] = shares[c]


def _add_register(feats, customers, end, customer_col, signup_date_col, age_band_col, area_type_col) -> int:
    """Add ``age_years`` and ``area_<type>`` from the register; return the customers without orders."""
    require_columns(customers, [customer_col], "customers")
    reg = customers.set_index(customer_col)
    unknown = not_in(feats.index, reg.index)
    if unknown.any():
        raise ValueError(f"orders: {unknown.sum()} customers are not in the customer register, "
                         f"e.g. {examples(feats.index[unknown])}")
    if reg.index.duplicated().any():
        raise ValueError(f"customers: customer ids must be unique; {reg.index.duplicated().sum()} repeat")
    known = reg.index
    if signup_date_col in reg:
        signup = reg[signup_date_col]
        if not pd.api.types.is_datetime64_any_dtype(signup):
            require_dates(customers, signup_date_col, "customers")  # raises: dates held as text
        known = reg.index[signup < end + pd.Timedelta(days=1)]  # signed up by the last day (unknown: not counted)
    if age_band_col in reg:
        band = reg[age_band_col].reindex(feats.index)
        bad = band.notna() & ~band.isin(list(AGE_MIDPOINTS))
        if bad.any():
            raise ValueError(f"customers: {age_band_col} must be one of {list(AGE_MIDPOINTS)}; "
                             f"{bad.sum()} rows break it, e.g. {examples(band[bad])}")
        age = band.map(AGE_MIDPOINTS).astype("float64")
        feats["age_years"] = age.fillna(age.median())
    if area_type_col in reg:
        area = reg[area_type_col].reindex(feats.index)
        for a in AREA_TYPES:
            feats[f"area_{a}"] = (area == a).fillna(False).astype("float64")
    return int(not_in(known, feats.index).sum())


# --------------------------------------------------------------------------- which features to cluster on
@dataclass(frozen=True)
class FeatureChoice:
    """The feature columns a segmentation uses, and the features left out with the reason.

    Attributes
    ----------
    columns : list of str
        Feature columns found, in the order of the names asked for (a ``prefix_*`` name expands
        to its columns in the table's order).
    left_out : dict
        Feature name -> why it is not used: the data it needs and the company lacks (e.g.
        ``"cat_*": "no orders.category"``) or ``"the same for every customer"``.
    """

    columns: list = field(default_factory=list)
    left_out: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One sentence for the reader: what the segmentation uses and what it leaves out, and why."""
        text = f"Segments built on {len(self.columns)} features: {', '.join(self.columns) or 'none'}."
        if self.left_out:
            text += " Left out: " + "; ".join(f"{name} ({why})" for name, why in self.left_out.items()) + "."
        return text


def choose_features(features: pd.DataFrame, names=CLUSTER_FEATURES) -> FeatureChoice:
    """The columns of ``features`` that ``names`` stand for, and what the data cannot provide.

    A client's data rarely has everything the course uses: without categories, channels,
    discounts or register classifiers the segmentation runs on what exists (order rhythm and
    basket size) and says what it left out.

    Parameters
    ----------
    features : DataFrame
        From :func:`segment_features`; its ``attrs["left_out"]`` names the data a missing feature
        needs.
    names : sequence of str
        Feature names; ``"cat_*"`` stands for every column starting with ``cat_``. Default
        :data:`CLUSTER_FEATURES` (behaviour and enrichment).

    Returns
    -------
    FeatureChoice
        ``columns`` to pass as ``columns=`` to :func:`fit_segments` / :func:`choose_k`, and
        ``left_out``: names with no column (``"no <table.column>"``) and numeric columns
        holding one value for every customer (they cannot separate anyone).
    """
    known = features.attrs.get("left_out", {})
    found, left_out = [], {}
    for name in names:
        if name.endswith("*"):
            cols = [c for c in features.columns if c.startswith(name[:-1])]
        else:
            cols = [name] if name in features.columns else []
        if not cols:
            source = known.get(name, FEATURE_SOURCES.get(name))
            left_out[name] = f"no {source}" if source else "not among the features"
            continue
        constant = [c for c in cols if features[c].nunique(dropna=False) <= 1]
        if constant and len(constant) == len(cols):
            left_out[name] = "the same for every customer"
        found += [c for c in cols if c not in constant]
    return FeatureChoice(columns=found, left_out=left_out)


# --------------------------------------------------------------------------- RFM baseline
def rfm_segments(features: pd.DataFrame, *, new_days: float = 90, lapsed_days: float = 365,
                 recency_col: str = "recency_days", frequency_col: str = "frequency",
                 monetary_col: str | None = None, tenure_col: str = "tenure_days") -> pd.DataFrame:
    """Rule-based RFM groups: the baseline a clustering has to beat.

    Each customer gets recency, frequency and monetary scores 1-5 (quintiles of
    the rank, 5 = best; ties share a score) and one of :data:`RFM_GROUPS`:

    * *New*: first purchase within ``new_days`` days;
    * *Lapsed*: no purchase for more than ``lapsed_days`` days;
    * *Champions*: R >= 4 and F >= 4 and M >= 4;
    * *Loyal*: F >= 4 and R >= 3;
    * *At risk*: F >= 3 and R <= 2;
    * *Promising*: R >= 4 (recent but not yet frequent);
    * *Need attention*: everyone else.

    Parameters
    ----------
    features : DataFrame
        From :func:`segment_features` (days and euros); the ``*_col``
        parameters name its feature columns.
    monetary_col : str, optional
        The money the M score ranks (euros). Default ``"margin"``, or ``"revenue"`` when the
        features have no margin (a company without a margin column).

    Returns
    -------
    DataFrame
        ``r``, ``f``, ``m`` (1-5), ``rfm`` (e.g. ``"545"``) and ``group``
        (ordered categorical, best first), indexed like ``features``;
        ``attrs["monetary_col"]`` names the money ranked.

    Notes
    -----
    Quintile RFM cells after Hughes (2012), *Strategic Database Marketing*.
    """
    if monetary_col is None:
        monetary_col = "margin" if "margin" in features.columns else "revenue"
    require_columns(features, [recency_col, frequency_col, monetary_col, tenure_col], "features")
    if features.empty:
        raise ValueError("features is empty")

    def score(x: pd.Series) -> pd.Series:
        return np.ceil(x.rank(method="average", pct=True) * 5).clip(1, 5).astype("int64")

    out = pd.DataFrame(index=features.index)
    out["r"] = score(-features[recency_col])
    out["f"] = score(features[frequency_col])
    out["m"] = score(features[monetary_col])
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    r, f, m = out["r"], out["f"], out["m"]
    conditions = [
        features[tenure_col] <= new_days,
        features[recency_col] > lapsed_days,
        (r >= 4) & (f >= 4) & (m >= 4),
        (f >= 4) & (r >= 3),
        (f >= 3) & (r <= 2),
        r >= 4,
    ]
    choices = ["New", "Lapsed", "Champions", "Loyal", "At risk", "Promising"]
    group = np.select(conditions, choices, default="Need attention")
    out["group"] = pd.Categorical(group, categories=list(RFM_GROUPS), ordered=True)
    out.attrs["monetary_col"] = monetary_col
    return out
