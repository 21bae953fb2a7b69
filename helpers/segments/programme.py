"""Describing segments in a marketer's words, and the *when, what and how* for each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import columns
from helpers._checks import require_columns, require_dates
from helpers.segments._common import check_known, check_labels, not_in
from helpers.vocabulary import AREA_TYPES, CHANNELS, CONSENT_CHANNELS

#: Consent columns of the register (``consent_<channel>``, answered ``yes`` or ``no``).
_CONSENT_COLUMNS = tuple(f"consent_{c}" for c in CONSENT_CHANNELS)
#: Words for the generated names and programme text (presentation, not vocabulary).
_AREA_WORD = {a: {"suburb": "suburban"}.get(a, a) for a in AREA_TYPES}
_CONSENT_WORD = {"email": "e-mail"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def profile_segments(features: pd.DataFrame, labels: pd.Series, customers: pd.DataFrame | None = None, *,
                     orders: pd.DataFrame | None = None, lapsed_days: float = 365,
                     customer_col: str = columns.CUSTOMER, margin_col: str = columns.MARGIN,
                     timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT,
                     age_band_col: str = columns.AGE_BAND, area_type_col: str = columns.AREA_TYPE,
                     loyalty_tier_col: str = columns.LOYALTY_TIER) -> pd.DataFrame:
    """Describe each segment: size, share of margin, value, behaviour, channel, consents.

    Parameters
    ----------
    features : DataFrame
        From :func:`segment_features` (``margin_col`` names its margin column; features without
        the default ``margin``, from a company without margins, are profiled on ``revenue``:
        the ``margin_*`` columns then hold revenue and ``attrs["money_col"]`` says so).
    labels : Series
        Segment per customer (index = customer id); every customer must be in
        ``features``. Customers of ``features`` without a label are left out
        and counted in ``attrs["unlabelled"]``.
    customers : DataFrame, optional
        The register: adds ``consent_email``/``consent_sms``/``consent_post``
        (share answering ``yes``; missing counts as no consent), the most common
        age band, area type and loyalty tier (``top_age_band``,
        ``top_area_type``, ``top_loyalty_tier``) from the columns
        ``age_band_col``, ``area_type_col`` and ``loyalty_tier_col`` where present.
    orders : DataFrame, optional
        Order lines (``customer_col``, ``timestamp_col``, ``amount_col``): adds
        ``peak_month`` (1-12), the calendar month in which the segment buys
        most compared with all customers, and ``peak_lift``.
    lapsed_days : float
        Days without a purchase after which a customer counts as lapsed
        (``share_lapsed``).

    Returns
    -------
    DataFrame
        One row per segment: ``customers``, ``share_customers``,
        ``margin_total`` (euros), ``share_margin``, ``margin_per_customer``,
        ``share_lapsed``, the mean of every numeric feature, ``top_channel``,
        ``top_category`` (largest share lift over all customers),
        ``category_lift``, ``next_category`` (second largest lift), and the
        register and calendar columns.
    """
    labels = check_labels(labels)
    check_known(labels, features)
    if margin_col == columns.MARGIN and margin_col not in features.columns and "revenue" in features.columns:
        margin_col = "revenue"
    require_columns(features, [margin_col, "recency_days"], "features")
    f = features.loc[labels.index]
    prof = _size_and_value(f, labels.to_numpy(), margin_col, lapsed_days)
    _add_favourites(prof, f)
    if customers is not None:
        tops = {"top_age_band": age_band_col, "top_area_type": area_type_col, "top_loyalty_tier": loyalty_tier_col}
        _add_register_profile(prof, customers, labels, customer_col, tops)
    if orders is not None:
        _add_peak_month(prof, orders, labels, customer_col, timestamp_col, amount_col)
    prof.index.name = "segment"
    prof.attrs["unlabelled"] = int(not_in(features.index, labels.index).sum())
    prof.attrs["lapsed_days"] = lapsed_days
    prof.attrs["money_col"] = margin_col
    return prof


def _size_and_value(f: pd.DataFrame, key: np.ndarray, margin_col: str, lapsed_days: float) -> pd.DataFrame:
    """Customers, margin and lapsed share per segment, then the mean of every numeric feature."""
    g = f.groupby(key)
    numeric = [c for c in f.columns if pd.api.types.is_numeric_dtype(f[c])]
    prof = g[numeric].mean()
    prof.insert(0, "customers", g.size())
    prof.insert(1, "share_customers", prof["customers"] / prof["customers"].sum())
    margin = g[margin_col].sum()
    prof.insert(2, "margin_total", margin)
    prof.insert(3, "share_margin", margin / margin.sum())
    prof.insert(4, "margin_per_customer", margin / prof["customers"])
    prof.insert(5, "share_lapsed", (f["recency_days"] > lapsed_days).groupby(key).mean())
    return prof


def _add_favourites(prof: pd.DataFrame, f: pd.DataFrame) -> None:
    """The top channel (largest share) and the categories with the largest and second-largest lift."""
    chan = [c for c in prof.columns if c.startswith("channel_")]
    if chan:
        prof["top_channel"] = prof[chan].idxmax(axis=1).str.removeprefix("channel_")
    cats = [c for c in prof.columns if c.startswith("cat_")]
    if cats:
        lift = prof[cats] / f[cats].mean().replace(0, np.nan)
        prof["top_category"] = lift.idxmax(axis=1).str.removeprefix("cat_")
        prof["category_lift"] = lift.max(axis=1)
        if len(cats) > 1:
            second = np.argsort(-lift.fillna(0).to_numpy(), axis=1)[:, 1]
            prof["next_category"] = [cats[j].removeprefix("cat_") for j in second]


def _add_register_profile(prof, customers, labels, customer_col, tops: dict) -> None:
    """Consent shares (missing = no consent) and the most common value of each ``tops`` column."""
    require_columns(customers, [customer_col], "customers")
    reg = customers.drop_duplicates(customer_col).set_index(customer_col).reindex(labels.index)
    key = labels.to_numpy()
    for c in _CONSENT_COLUMNS:
        if c in reg:
            prof[c] = (reg[c] == "yes").fillna(False).groupby(key).mean()
    for name, c in tops.items():
        if c in reg:
            counts = reg[c].fillna("unknown").groupby(key).value_counts()
            prof[name] = counts.groupby(level=0).idxmax().str[1]


def _add_peak_month(prof, orders, labels, customer_col, timestamp_col, amount_col) -> None:
    """The calendar month each segment buys most in, relative to all customers (``peak_month``, ``peak_lift``)."""
    require_columns(orders, [customer_col, timestamp_col, amount_col], "orders")
    dates = require_dates(orders, timestamp_col, "orders")
    bought = orders[amount_col] > 0
    buys = orders.loc[bought]
    seg = buys[customer_col].map(labels)
    month = dates[bought].dt.month
    by = buys[amount_col].groupby([seg, month]).sum().unstack(fill_value=0.0)
    share = by.div(by.sum(axis=1), axis=0)
    overall = buys[amount_col].groupby(month).sum()
    lift = share / (overall / overall.sum())
    prof["peak_month"] = lift.idxmax(axis=1).reindex(prof.index)
    prof["peak_lift"] = lift.max(axis=1).reindex(prof.index)


def _pretty(category) -> str:
    return str(category).replace("_", " & ") if str(category) == "food_gifts" else str(category).replace("_", " ")


def name_segments(profiles: pd.DataFrame, *, deal_ratio: float = 1.5, young_age: float = 35,
                  older_age: float = 55, dominant: float = 0.5) -> pd.Series:
    """Give each segment a name a marketer would use, generated from its profile.

    Pattern: ``"<Value tier> <what they buy> (<who, where, how>)"``, e.g.
    ``"High-value kids buyers (suburban, store)"``. The value tier is the
    segment's ``margin_per_customer`` third among the segments; *what they buy*
    is the category with the largest lift, or *deal-seekers* when the
    ``discount_share`` is at least ``deal_ratio`` times the average (without
    categories: the buying rhythm and basket, e.g. *frequent big-basket buyers*,
    from ``orders_per_year`` and ``avg_order_value`` against the average); the
    descriptors are added when distinctive: mean age (years) below
    ``young_age`` or above ``older_age``, an area type or a channel holding at
    least ``dominant`` of the segment. Names are made unique by appending the
    segment number.

    Returns
    -------
    Series
        Name per segment.
    """
    require_columns(profiles, ["margin_per_customer", "customers"], "profiles")
    p = profiles
    rank = p["margin_per_customer"].rank(pct=True, method="first")
    tier = pd.Series(np.where(rank > 2 / 3, "High-value", np.where(rank > 1 / 3, "Mid-value", "Low-value")),
                     index=p.index)
    what = p["top_category"].map(lambda c: f"{_pretty(c)} buyers") if "top_category" in p \
        else _rhythm_words(p, deal_ratio)
    what = what.where(~_deal_seekers(p, deal_ratio), "deal-seekers")
    desc = pd.Series([[] for _ in p.index], index=p.index)
    if "age_years" in p:
        desc = desc + p["age_years"].map(lambda a: ["young"] if a < young_age else ["older"] if a > older_age else [])
    words = {f"area_{a}": w for a, w in _AREA_WORD.items()} | {f"channel_{c}": c for c in CHANNELS}
    for col, word in words.items():
        if col in p:
            desc = desc + (p[col] >= dominant).map(lambda x, w=word: [w] if x else [])
    names = tier + " " + what + desc.map(lambda d: f" ({', '.join(d)})" if d else "")
    names.name = "name"
    dup = names.duplicated(keep=False)
    names[dup] = names[dup] + " #" + names.index[dup].astype(str)
    return names


def _rhythm_words(p: pd.DataFrame, ratio: float) -> pd.Series:
    """*frequent*/*occasional* and *big-basket*/*small-basket* buyers: rate and basket against the average.

    A segment is frequent when its ``orders_per_year`` is at least ``ratio`` times the
    customer-weighted average and occasional at most its inverse; the same for the basket
    (``avg_order_value``). Neither: *regular buyers*; without the columns: *customers*.
    """
    weights = p["customers"] / p["customers"].sum()
    words = pd.Series([[] for _ in p.index], index=p.index)
    for col, (high, low) in {"orders_per_year": ("frequent", "occasional"),
                             "avg_order_value": ("big-basket", "small-basket")}.items():
        if col in p:
            rel = p[col] / float((p[col] * weights).sum())
            words = words + rel.map(lambda r, h=high, lo=low: [h] if r >= ratio else [lo] if r <= 1 / ratio else [])
    if not any(c in p for c in ("orders_per_year", "avg_order_value")):
        return pd.Series("customers", index=p.index)
    return words.map(lambda w: " ".join(w + ["buyers"]) if w else "regular buyers")


def _deal_seekers(p: pd.DataFrame, deal_ratio: float) -> pd.Series:
    """Segments whose discount share is at least ``deal_ratio`` times the customer-weighted average."""
    if "discount_share" not in p:
        return pd.Series(False, index=p.index)
    avg = float((p["discount_share"] * p["customers"] / p["customers"].sum()).sum())
    return (p["discount_share"] >= deal_ratio * avg) & (avg > 0)


def marketing_programme(profiles: pd.DataFrame, *, names: pd.Series | None = None, deal_ratio: float = 1.5,
                        lapse_risk: float = 0.4, min_consent: float = 0.3, peak_lift: float = 1.2) -> pd.DataFrame:
    """A marketing programme per segment: need, what to offer, when, how, and what not to do.

    Rules (all from the profile, so the table follows the data when it changes):

    * **need** -- *profit* (stop paying for sales that would happen anyway)
      for deal-seekers (``discount_share`` at least ``deal_ratio`` times the
      average); *keep* (protect the best) for the top value third;
      *keep* (win back) where at least ``lapse_risk`` of the segment has
      lapsed; otherwise *sell more* (cross-sell).
    * **what** -- the segment's strongest category (lift over average): new
      products for the best, the next category for cross-sell, a personal
      come-back offer for win-back; discounts only where they already buy on
      discount, and then smaller ones.
    * **when** -- the segment's peak month (calendar) when it buys at least
      ``peak_lift`` times its usual share then, plus a trigger (a purchase
      gap, days after the last purchase).
    * **how** -- the consented channel with the highest opt-in share (e-mail,
      SMS, post) if it reaches ``min_consent``, with content in their own
      channel (app, web, store).
    * **not to do** -- e.g. no blanket discounts to customers who buy anyway,
      no more than two win-back contacts (silence is also a message), never
      a message without consent.

    Parameters
    ----------
    profiles : DataFrame
        From :func:`profile_segments` (with ``customers`` for consents and
        ``orders`` for the peak month).
    names : Series, optional
        Segment names (default :func:`name_segments`).

    Returns
    -------
    DataFrame
        One row per segment: ``name``, ``customers``, ``share_margin``, ``need``,
        ``offer``, ``when``, ``channel``, ``not_to_do``, ``lookalike`` (whom to
        acquire more of: the best segments' age band and area type).
    """
    require_columns(profiles, ["customers", "share_margin", "margin_per_customer", "share_lapsed"], "profiles")
    if profiles.empty:
        raise ValueError("profiles is empty: no segment to write a programme for")
    p = profiles
    names = name_segments(p, deal_ratio=deal_ratio) if names is None else names.reindex(p.index)
    deal = _deal_seekers(p, deal_ratio)
    high = p["margin_per_customer"].rank(pct=True, method="first") > 2 / 3
    rows = []
    for seg in p.index:  # one row per segment (a handful), not per customer
        r = p.loc[seg]
        plan = _plan(r, p.columns, deal=bool(deal[seg]), high=bool(high[seg]), lapse_risk=lapse_risk,
                     peak_lift=peak_lift)
        lookalike = ""
        if high[seg] and "top_age_band" in p and "top_area_type" in p:
            lookalike = f"acquire look-alikes: {r['top_age_band']}, {r['top_area_type']}"
        rows.append({"segment": seg, "name": names[seg], "customers": int(r["customers"]),
                     "share_margin": float(r["share_margin"]), "need": plan["need"], "offer": plan["offer"],
                     "when": plan["when"], "channel": _contact(r, p.columns, min_consent),
                     "not_to_do": plan["not_to_do"] + "; never message without consent", "lookalike": lookalike})
    return pd.DataFrame(rows).set_index("segment")


def _plan(r: pd.Series, available, *, deal: bool, high: bool, lapse_risk: float, peak_lift: float) -> dict:
    """Need, offer, timing and what not to do for one segment's profile row ``r``.

    Without categories in the data the offers name no category ("new products", "products they
    have not bought yet").
    """
    cat = _pretty(r["top_category"]) if "top_category" in available else None
    peak = ""
    if "peak_month" in available and r["peak_lift"] >= peak_lift:
        peak = f"calendar: before their peak in {_MONTHS[int(r['peak_month']) - 1]}; "
    has_rate = "orders_per_year" in available and r["orders_per_year"] > 0
    gap = 365.25 / r["orders_per_year"] if has_rate else 90  # days between purchases
    if deal:
        return {"need": "profit (cut discount cost)",
                "offer": f"member prices on a few {cat + ' ' if cat else ''}items instead of site-wide discounts",
                "when": peak + "campaign weeks only",
                "not_to_do": "no extra discount codes: they buy on sale anyway; watch returns"}
    if high:
        return {"need": "keep (protect the best)",
                "offer": f"early access to new {cat or 'products'}, service and club events; no discount",
                "when": peak + f"trigger: no purchase for {1.5 * gap:.0f} days (1.5 times their usual gap)",
                "not_to_do": "no blanket discounts: they buy at full price anyway"}
    if r["share_lapsed"] >= lapse_risk:
        return {"need": "keep (win back)",
                "offer": f"a personal come-back offer{' in ' + cat if cat else ''}",
                "when": peak + f"trigger: no purchase for {1.5 * gap:.0f} days; one reminder, then silence",
                "not_to_do": "no more than two win-back contacts; not on the weekly newsletter"}
    nxt = _pretty(r["next_category"]) if "next_category" in available else None
    return {"need": "sell more (cross-sell)",
            "offer": f"{nxt} to go with their {cat}" if cat and nxt else "products they have not bought yet",
            "when": peak + "trigger: 2 weeks after a purchase",
            "not_to_do": "do not discount what they already buy"}


def _contact(r: pd.Series, available, min_consent: float) -> str:
    """The consented channel with the highest opt-in share, and where the segment's content belongs."""
    consents = [c for c in _CONSENT_COLUMNS if c in available]
    if consents:
        best = max(consents, key=lambda c: r[c])
        word = best.removeprefix("consent_")
        channel = (f"{_CONSENT_WORD.get(word, word)} ({r[best]:.0%} consented)"
                   if r[best] >= min_consent else "no campaign channel: too few consents")
    else:
        channel = "check consents first"
    if "top_channel" in available:
        channel += f"; content in the {r['top_channel']}"
    return channel
