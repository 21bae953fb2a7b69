"""Churn labels on an out-of-time split, and the behavioural features known at the cut-off.

A retail customer never cancels: they just stop buying. So "left" is defined
by what can be observed: **no purchase in the** ``horizon_days`` **after the
cut-off**. The features use only the history up to the cut-off and the label
only the days after it -- an *out-of-time* split, as a model meets the future
(Neslin, Gupta, Kamakura, Lu & Mason 2006, "Defection detection", *Journal
of Marketing Research* 43(2), 204-211). A model is trained on an earlier
cut-off, whose label is already known, and scores a later one.

The features are the classic recency-frequency-monetary family plus the
customer's own rhythm: days since the last purchase, the usual gap between
purchases and their ratio (a silence of 1.5 times the usual gap is a
trigger candidate), recent purchases against earlier ones, spend, returns,
and -- when the orders carry them -- channel and discount shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import columns
from helpers._checks import as_timestamp, require_dates, within_observation
from helpers.churn._common import purchases

#: Days in the windows of the recent-activity features.
RECENT_DAYS = (90, 365)
#: Days of each half of the trend feature (the last half year against the one before).
TREND_DAYS = 182


@dataclass(frozen=True)
class ChurnSplit:
    """Features up to a cut-off and the churn label of the days after it.

    ``features`` is indexed by customer (every customer with a purchase on or
    before ``cutoff``); ``left`` is 1 for a customer who made no purchase from
    the day after ``cutoff`` up to ``horizon_end`` (both included), else 0.
    Days and euros as in :func:`churn_features`.
    """

    features: pd.DataFrame
    left: pd.Series
    cutoff: pd.Timestamp
    horizon_end: pd.Timestamp
    horizon_days: int
    rows_after_observation_end: int


def churn_features(orders: pd.DataFrame, cutoff, *, customer_col: str = columns.CUSTOMER,
                   timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT,
                   channel_col: str | None = None, discount_col: str | None = None) -> pd.DataFrame:
    """Behavioural features of every customer from their order lines up to ``cutoff`` (included).

    Parameters
    ----------
    orders : DataFrame
        Order lines: customer, timestamp (datetime64; text is refused) and
        amount in euros (sale lines > 0, returns < 0).
    cutoff : date, Timestamp or str
        The last day the features may see (``"2025-06-30"`` or ``"30.06.2025"``);
        later rows are left out and counted in ``attrs["rows_after_observation_end"]``.
    customer_col, timestamp_col, amount_col : str
        Column names; default the data contract's.
    channel_col, discount_col : str, optional
        When given (e.g. ``columns.CHANNEL``, ``columns.DISCOUNT``), the share
        of purchase days in each channel and the discount share of the gross
        price are added.

    Returns
    -------
    DataFrame
        One row per customer with a purchase by the cut-off (sorted):
        ``recency_days`` (since the last purchase day), ``tenure_days``
        (since the first), ``purchase_days``, ``purchases_90d`` and
        ``purchases_365d`` (purchase days in the last 90 and 365 days),
        ``trend`` (purchase days in the last 182 days minus the 182 before),
        ``spend_365d`` and ``mean_spend`` (euros: in the last year, and per
        purchase day), ``mean_gap_days`` (days between purchases; the tenure
        for a one-time buyer, a lower bound), ``silence_ratio``
        (``recency_days / mean_gap_days``), ``return_share`` (returned euros
        per euro bought), and optionally ``share_<channel>`` and
        ``discount_share``. ``attrs``: ``cutoff``,
        ``rows_after_observation_end``, ``rows_zero_amount``.
    """
    cutoff = as_timestamp(cutoff, "cutoff").normalize()
    bought = purchases(orders, cutoff, customer_col, timestamp_col, amount_col)
    days = bought.days
    by = days.groupby("customer")
    first, last = by["day"].min(), by["day"].max()
    n = by.size()
    age = (cutoff - days["day"]).dt.days
    features = pd.DataFrame({
        "recency_days": (cutoff - last).dt.days, "tenure_days": (cutoff - first).dt.days, "purchase_days": n})
    for window in RECENT_DAYS:
        features[f"purchases_{window}d"] = (age < window).groupby(days["customer"]).sum()
    recent, earlier = age < TREND_DAYS, (age >= TREND_DAYS) & (age < 2 * TREND_DAYS)
    features["trend"] = recent.groupby(days["customer"]).sum() - earlier.groupby(days["customer"]).sum()
    features["spend_365d"] = days["amount"].where(age < 365, 0.0).groupby(days["customer"]).sum()
    features["mean_spend"] = by["amount"].mean()
    gap = ((last - first).dt.days / (n - 1).where(n > 1)).fillna(features["tenure_days"])
    features["mean_gap_days"] = gap
    features["silence_ratio"] = features["recency_days"] / gap.clip(lower=1)
    bought_euros = by["amount"].sum()
    features["return_share"] = bought.returns.reindex(features.index, fill_value=0.0) / bought_euros
    features = _optional_shares(features, orders, cutoff, customer_col, timestamp_col, amount_col, channel_col,
                                discount_col)
    features.index.name = customer_col
    features.attrs.update(cutoff=cutoff, rows_after_observation_end=bought.rows_after_observation_end,
                          rows_zero_amount=bought.rows_zero_amount)
    return features


def _optional_shares(features, orders, cutoff, customer_col, timestamp_col, amount_col, channel_col, discount_col):
    """Channel shares of the purchase days and the discount share of the gross price, when asked for."""
    if channel_col is None and discount_col is None:
        return features
    wanted = [c for c in (channel_col, discount_col) if c is not None]
    dates = require_dates(orders, timestamp_col, "orders")
    take = within_observation(dates, cutoff)[0] & (orders[amount_col] > 0)
    rows = orders.loc[take]
    missing = [c for c in wanted if c not in rows.columns]
    if missing:
        raise ValueError(f"orders is missing column(s) {missing} (asked for as channel_col/discount_col)")
    if channel_col is not None:
        day = dates[take].dt.normalize()
        per_day = rows.assign(_day=day).drop_duplicates([customer_col, "_day", channel_col])
        shares = pd.crosstab(per_day[customer_col], per_day[channel_col], normalize="index")
        shares.columns = [f"share_{c}" for c in shares.columns]
        features = features.join(shares).fillna({c: 0.0 for c in shares.columns})
    if discount_col is not None:
        sums = rows.groupby(customer_col)[[amount_col, discount_col]].sum()
        features["discount_share"] = (sums[discount_col] / (sums[amount_col] + sums[discount_col])).reindex(
            features.index, fill_value=0.0)
    return features


def churn_split(orders: pd.DataFrame, cutoff, horizon_days: int = 182, *, observation_end=None,
                customer_col: str = columns.CUSTOMER, timestamp_col: str = columns.TIMESTAMP,
                amount_col: str = columns.AMOUNT, channel_col: str | None = None,
                discount_col: str | None = None) -> ChurnSplit:
    """Features up to ``cutoff`` and the label "no purchase in the next ``horizon_days`` days".

    Parameters
    ----------
    orders : DataFrame
        Order lines (see :func:`churn_features`).
    cutoff : date, Timestamp or str
        Last day of the features (included).
    horizon_days : int
        Days after the cut-off in which a purchase means "stayed" (182: half a
        year; a retail customer with no purchase in six months is commonly
        treated as lapsed). The label needs these days to be in the data.
    observation_end : date, Timestamp or str, optional
        Last day the orders cover (default: their last date); later rows are
        left out and counted in ``rows_after_observation_end``.

    Raises
    ------
    ValueError
        A horizon that runs past ``observation_end`` (the label would count
        as "left" customers whose next purchase is simply not in the data yet).
    """
    if int(horizon_days) != horizon_days or horizon_days < 1:
        raise ValueError(f"horizon_days must be a whole number of days >= 1, got {horizon_days!r}")
    cutoff = as_timestamp(cutoff, "cutoff").normalize()
    everything = purchases(orders, observation_end, customer_col, timestamp_col, amount_col)
    horizon_end = cutoff + pd.Timedelta(days=int(horizon_days))
    if horizon_end > everything.observation_end:
        raise ValueError(
            f"churn_split: the label needs {horizon_days} days after the cut-off {cutoff.date()}, up to "
            f"{horizon_end.date()}, but the orders end on {everything.observation_end.date()}: choose a cut-off on "
            f"or before {(everything.observation_end - pd.Timedelta(days=int(horizon_days))).date()}, or use "
            f"churn_features() alone to score customers at the end of the data")
    features = churn_features(orders, cutoff, customer_col=customer_col, timestamp_col=timestamp_col,
                              amount_col=amount_col, channel_col=channel_col, discount_col=discount_col)
    later = everything.days[(everything.days["day"] > cutoff) & (everything.days["day"] <= horizon_end)]
    stayed = features.index.isin(later["customer"].unique())
    left = pd.Series(np.where(stayed, 0, 1), index=features.index, name="left")
    return ChurnSplit(features, left, cutoff, horizon_end, int(horizon_days), everything.rows_after_observation_end)
