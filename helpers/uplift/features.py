"""What was known about each campaign member before the send, and what each campaign was.

:func:`member_features` describes every member from the orders before the send
date and the register; :func:`campaign_flags` describes every campaign by a few
0/1 flags read from the campaigns table. Both work on any company: a feature
whose column the data lacks is left out and named in ``attrs["left_out"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import columns, vocabulary
from helpers._checks import examples, require_columns, require_dates
from helpers.experiments import pre_period_features

__all__ = ["member_features", "campaign_flags"]


def _category_groups(orders: pd.DataFrame, category_groups, category_col: str, left_out: list) -> dict:
    """The category grouping to use: the one given, or every category of the orders on its own."""
    if category_groups is not None:
        require_columns(orders, [category_col], "orders")
        grouped = [c for cats in category_groups.values() for c in cats]
        if category_groups and not orders[category_col].isin(grouped).any():
            raise ValueError(f"category_groups: none of its categories (e.g. {grouped[:3]}) occurs in the orders' "
                             f"{category_col!r}, which holds e.g. {examples(orders[category_col].dropna())}")
        return dict(category_groups)
    if category_col not in orders:
        left_out.append(f"category shares (the orders have no {category_col!r} column)")
        return {}
    return {str(c): [c] for c in sorted(orders[category_col].dropna().unique(), key=str)}


def _bought_by_group(orders: pd.DataFrame, groups: dict, channels, amount_col: str, category_col: str,
                     channel_col: str) -> dict[str, pd.Series]:
    """Euros bought (returns left out) per order line: in all, per category group and per channel."""
    gross = orders[amount_col].clip(lower=0)
    bought = {"_gross": gross}
    bought.update({f"_group_{g}": gross * orders[category_col].isin(cats) for g, cats in groups.items()})
    bought.update({f"_channel_{c}": gross * orders[channel_col].eq(c) for c in channels})
    return bought


def _register_facts(customers: pd.DataFrame, members: pd.DataFrame, customer_col: str, signup_date_col: str,
                    age_band_col: str) -> pd.DataFrame:
    """Sign-up date and age mid-point (years, ``vocabulary.AGE_MIDPOINTS``; NaN without a band) per member row."""
    reg = customers.drop_duplicates(customer_col).set_index(customer_col)
    unknown = ~members[customer_col].isin(reg.index)
    if unknown.any():
        raise ValueError(f"members: {int(unknown.sum())} rows have a {customer_col} not in customers, "
                         f"e.g. {examples(members.loc[unknown, customer_col])}")
    reg = reg.reindex(members[customer_col])
    signup = require_dates(reg.reset_index(), signup_date_col, "customers (members' rows)")
    if age_band_col not in reg:
        return pd.DataFrame({"signup": signup.to_numpy(), "age": np.full(len(reg), np.nan)})
    age = reg[age_band_col].astype(object).map(vocabulary.AGE_MIDPOINTS).astype(float).to_numpy()
    if np.isnan(age).all():
        raise ValueError(f"customers: column {age_band_col!r} holds no known age band among the members, e.g. "
                         f"{examples(reg[age_band_col].dropna())}; known bands: {list(vocabulary.AGE_MIDPOINTS)}")
    return pd.DataFrame({"signup": signup.to_numpy(), "age": age})


def _customer_features(hist: pd.DataFrame, send, register: pd.DataFrame, discount_before: str | None,
                       shares: dict[str, str]) -> pd.DataFrame:
    """The customer features of :func:`member_features` from the pre-period history and the register."""
    age = register["age"].to_numpy()
    bought = hist["_gross_before"].where(hist["_gross_before"] > 0)
    x = pd.DataFrame({
        "log_days_since_last": np.log1p(hist["days_since_last"].fillna(1000)),
        "log_orders": np.log1p(hist["orders_before"]),
        "log_spend": np.log1p(hist["spend_before"].clip(lower=0)),
        "orders_90d": hist["orders_90d"].astype(float),
        "orders_365d": hist["orders_365d"].astype(float),
        "tenure_days": (send - register["signup"].to_numpy()) / np.timedelta64(1, "D"),
        "age": np.where(np.isnan(age), np.nanmedian(age), age) if not np.isnan(age).all() else np.nan,
        "log_avg_order": np.log1p(hist["_gross_before"] / hist["orders_before"].clip(lower=1)),
    })
    if discount_before:
        x["discount_share"] = (hist[discount_before] / (bought + hist[discount_before])).fillna(0.0)
    x["return_share"] = ((hist["_gross_before"] - hist["spend_before"]) / bought).fillna(0.0).clip(0, 1)
    for name, column in shares.items():
        x[f"share_{name}"] = (hist[column] / bought).fillna(0.0)
    return x.dropna(axis=1, how="all").reset_index(drop=True)


def _with_campaign_features(x: pd.DataFrame, campaign_ids: pd.Series, campaign_features: pd.DataFrame,
                            interactions: bool) -> pd.DataFrame:
    """Append the campaigns' numeric descriptors and, optionally, every customer × campaign product."""
    ctx = campaign_features.reindex(campaign_ids).reset_index(drop=True).astype(float)
    if ctx.isna().any().any():
        missing = ctx.isna().any(axis=1).to_numpy()
        raise ValueError(f"campaign_features lacks {int(missing.sum())} members' campaigns, "
                         f"e.g. {examples(campaign_ids[missing])}")
    parts = [x, ctx]
    if interactions and ctx.shape[1]:
        parts.append(pd.concat({f"{c}*{k}": x[c] * ctx[k] for k in ctx for c in x}, axis=1))
    return pd.concat(parts, axis=1)


def _optional_columns(orders, customers, discount_col, channel_col, channels, age_band_col, left_out):
    """The optional order and register columns present; what is absent goes into ``left_out``."""
    discount = discount_col if discount_col in orders else None
    if discount is None:
        left_out.append(f"discount_share (the orders have no {discount_col!r} column)")
    if channel_col not in orders:
        if channels:
            left_out.append(f"channel shares (the orders have no {channel_col!r} column)")
        channels = ()
    if age_band_col not in customers:
        left_out.append(f"age (the customers have no {age_band_col!r} column)")
    return discount, tuple(channels)


def member_features(members: pd.DataFrame, orders: pd.DataFrame, campaigns: pd.DataFrame,
                    customers: pd.DataFrame, campaign_features: pd.DataFrame | None = None, *,
                    category_groups: dict[str, list[str]] | None = None, channels=("app", "web"),
                    interactions: bool = True, campaign_col: str = columns.CAMPAIGN,
                    customer_col: str = columns.CUSTOMER, order_col: str = columns.ORDER,
                    timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT,
                    discount_col: str = columns.DISCOUNT, category_col: str = columns.CATEGORY,
                    channel_col: str = columns.CHANNEL, send_date_col: str = columns.SEND_DATE,
                    signup_date_col: str = columns.SIGNUP_DATE, age_band_col: str = columns.AGE_BAND) -> pd.DataFrame:
    """Features of every campaign member from what was known **before** the send date.

    Customer features (orders strictly before the member's send date, via
    :func:`helpers.experiments.pre_period_features`, and the register):
    ``log_days_since_last``, ``log_orders``, ``log_spend`` (euros, net of
    returns), ``orders_90d``, ``orders_365d``, ``tenure_days`` (since sign-up),
    ``age`` (mid-point of the age band in years, ``vocabulary.AGE_MIDPOINTS``;
    an unknown band gets the members' median), ``log_avg_order`` (euros per purchase),
    ``discount_share`` (discount / list value bought), ``return_share`` (returned /
    bought euros) and ``share_<group>`` of bought euros per category group and
    per channel. A feature whose column the data lacks (the orders' discount,
    category or channel, the register's age band) is left out and named in
    ``attrs["left_out"]``. Campaign features are whatever numeric columns
    ``campaign_features`` holds (e.g. :func:`campaign_flags`); with
    ``interactions=True`` every customer feature is also multiplied by every
    campaign feature, so that a linear model can learn that a discount moves one
    kind of customer and not another.

    Parameters
    ----------
    members : DataFrame
        ``campaign_col``, ``customer_col`` (one row per member).
    orders : DataFrame
        Order lines with ``order_col``, ``customer_col``, ``timestamp_col`` (dates),
        ``amount_col`` (euros) and, when present, ``discount_col``, ``category_col``, ``channel_col``.
    campaigns : DataFrame
        ``campaign_col`` and ``send_date_col`` (dates).
    customers : DataFrame
        ``customer_col``, ``signup_date_col`` (dates) and, when present, ``age_band_col``;
        every member must be in it.
    campaign_features : DataFrame, optional
        Numeric campaign descriptors indexed by campaign id.
    category_groups : dict, optional
        Group name → list of categories, for the ``share_<group>`` features.
        Default: every category of the orders on its own (``share_<category>``).
        A grouping none of whose categories occurs in ``orders`` is refused.
    channels : sequence of str
        Channels (``vocabulary.CHANNELS``) whose share of bought euros is a feature;
        by default app and web, store being the rest.
    campaign_col, customer_col, order_col, timestamp_col, amount_col, discount_col, \
category_col, channel_col, send_date_col, signup_date_col, age_band_col : str
        Column names (defaults: the data contract's, :mod:`helpers.columns`).

    Returns
    -------
    DataFrame
        One row per member, in the order of ``members`` (same index), numeric, no
        missing values. ``attrs["members_without_history"]`` counts members with no
        order before the send (their history features are zero);
        ``attrs["members_without_age_band"]`` those whose age band is missing or unknown;
        ``attrs["left_out"]`` lists the features the data could not give, and why.
    """
    require_columns(members, [campaign_col, customer_col], "members")
    require_columns(campaigns, [campaign_col, send_date_col], "campaigns")
    require_columns(customers, [customer_col, signup_date_col], "customers")
    left_out: list[str] = []
    groups = _category_groups(orders, category_groups, category_col, left_out)
    discount, channels = _optional_columns(orders, customers, discount_col, channel_col, channels, age_band_col,
                                           left_out)
    sent = campaigns[campaigns[campaign_col].isin(members[campaign_col])]
    send = pd.Series(require_dates(sent, send_date_col, "campaigns").to_numpy(), index=sent[campaign_col])
    bought = _bought_by_group(orders, groups, channels, amount_col, category_col, channel_col)
    hist = pre_period_features(members[[campaign_col, customer_col]], orders.assign(**bought), send,
                               windows=(90, 365), sums=[*([discount] if discount else []), *bought],
                               campaign_col=campaign_col, customer_col=customer_col, order_col=order_col,
                               timestamp_col=timestamp_col, amount_col=amount_col, margin_col=None)
    register = _register_facts(customers, hist, customer_col, signup_date_col, age_band_col)
    shares = {**{g: f"_group_{g}_before" for g in groups}, **{c: f"_channel_{c}_before" for c in channels}}
    x = _customer_features(hist, send.reindex(hist[campaign_col]).to_numpy(), register,
                           f"{discount}_before" if discount else None, shares)
    if campaign_features is not None:
        x = _with_campaign_features(x, hist[campaign_col].reset_index(drop=True), campaign_features, interactions)
    x.index = members.index
    x.attrs["members_without_history"] = hist.attrs["members_without_history"]
    x.attrs["members_without_age_band"] = int(np.isnan(register["age"].to_numpy()).sum())
    x.attrs["left_out"] = left_out
    return x


def campaign_flags(campaigns: pd.DataFrame, flags: dict[str, tuple[str, str]], *,
                   campaign_col: str = columns.CAMPAIGN) -> pd.DataFrame:
    """Describe each campaign by 0/1 flags read from the text of its columns.

    A flag is 1 when the campaign's ``column`` contains ``text`` (case is
    ignored; plain text, not a pattern): ``{"discount offer": ("offer", "%"),
    "sms": ("channel", "sms")}``. A flag whose column the campaigns table lacks,
    or that is the same for every campaign (it cannot tell campaigns apart), is
    left out and named with its reason in ``attrs["left_out"]``.

    Parameters
    ----------
    campaigns : DataFrame
        One row per campaign with ``campaign_col``.
    flags : dict
        Flag name → (column of ``campaigns``, text it contains).
    campaign_col : str
        Campaign id column (default: the data contract's).

    Returns
    -------
    DataFrame
        Float 0/1 columns, one per flag kept, indexed by campaign id (the
        ``campaign_features`` of :func:`member_features`).
    """
    require_columns(campaigns, [campaign_col], "campaigns")
    out = pd.DataFrame(index=pd.Index(campaigns[campaign_col], name=campaign_col))
    left_out = {}
    for name, (column, text) in flags.items():
        if column not in campaigns:
            left_out[name] = f"the campaigns have no {column!r} column"
            continue
        flag = campaigns[column].astype(str).str.contains(str(text), case=False, regex=False).to_numpy()
        if flag.all() or not flag.any():
            left_out[name] = f"{'every' if flag.all() else 'no'} campaign's {column} contains {text!r}"
            continue
        out[name] = flag.astype(float)
    out.attrs["left_out"] = left_out
    return out
