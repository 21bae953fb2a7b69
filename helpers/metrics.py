"""Customer metrics over time: active, new, churned and reactivated customers per period.

A non-contractual business (a shop, not a phone subscription) never hears that
a customer has left; churn has to be *defined*. The usual definition is an
inactivity threshold: a customer has churned when ``churn_after`` days have
passed since the last purchase without a new one. With it each customer is, at
the end of every period, in exactly one of three states: *not yet a customer*,
*active* or *lapsed*, and the flows between the states obey the accounting
identity

    active(t) = active(t-1) + new(t) + reactivated(t) - churned(t)

which :func:`customer_metrics` reports and :func:`check_identity` verifies.
The model-based alternative (a customer is churned when the BG/NBD probability
of being alive falls below a threshold; Fader, Hardie & Lee 2005) is taught in
lesson 2; its counts can be compared with these.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
the easy way: an alternative to the Pareto/NBD model. *Marketing Science*
24(2), 275-284. Gupta, S. & Lehmann, D. R. (2005). *Managing Customers as
Investments*, Wharton School Publishing, ch. 3 (customer counts and retention).
Ascarza, E. et al. (2018). In pursuit of enhanced customer retention
management. *Customer Needs and Solutions* 5, 65-81.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers._checks import examples as _examples
from helpers._checks import require_columns

COUNTS = ["active_start", "new", "reactivated", "churned", "active"]




def activity_spells(orders: pd.DataFrame, churn_after: int = 180, *, customer_col: str = "customer_id",
                    date_col: str = "timestamp", amount_col: str | None = "amount") -> pd.DataFrame:
    """Spells of activity per customer under an inactivity threshold.

    A spell starts with a purchase after which the customer was not active and
    ends (the customer churns) ``churn_after`` days after its last purchase.
    Return orders (negative ``amount``) are not purchases and do not keep a
    customer active.

    Returns
    -------
    DataFrame
        One row per spell: ``customer_id``, ``spell`` (0 = the first, i.e. the
        customer is *new*; later ones are *reactivations*), ``start`` (date of
        its first purchase), ``last`` (its last purchase) and ``churn_date``
        (``last + churn_after`` days: the day the customer counts as churned).
    """
    if churn_after is None or churn_after <= 0:
        raise ValueError(f"churn_after must be a positive number of days, got {churn_after!r}")
    require_columns(orders, [customer_col, date_col] + ([amount_col] if amount_col else []), "orders")
    if orders.empty:
        raise ValueError("orders is empty: there are no purchases to measure")
    o = orders
    if amount_col:
        o = o.loc[o[amount_col] > 0]
    bad = o[customer_col].isna()
    if bad.any():
        raise ValueError(f"orders: column '{customer_col}' must not be empty; {bad.sum()} rows break it")
    days = pd.DataFrame({"c": o[customer_col].to_numpy(),
                         "d": pd.to_datetime(o[date_col]).dt.normalize().to_numpy()}).drop_duplicates()
    if days["d"].isna().any():
        raise ValueError(f"orders: column '{date_col}' has {days['d'].isna().sum()} missing dates")
    days = days.sort_values(["c", "d"], kind="stable").reset_index(drop=True)
    gap = days["d"].diff().dt.days
    first_of_customer = days["c"].ne(days["c"].shift())
    starts = first_of_customer | (gap > churn_after)
    spell_id = starts.cumsum()
    spells = days.groupby(spell_id).agg(customer_id=("c", "first"), start=("d", "min"), last=("d", "max"))
    spells["spell"] = spells.groupby("customer_id").cumcount()
    spells["churn_date"] = spells["last"] + pd.Timedelta(days=churn_after)
    return spells.reset_index(drop=True)[["customer_id", "spell", "start", "last", "churn_date"]]


def customer_metrics(orders: pd.DataFrame, period: str = "M", churn_after: int = 180, *,
                     segments: pd.Series | None = None, start=None, end=None,
                     customer_col: str = "customer_id", date_col: str = "timestamp",
                     amount_col: str = "amount", margin_col: str | None = "margin",
                     allow_empty_periods: bool = False) -> pd.DataFrame:
    """The monthly (or weekly, quarterly) customer-metrics table a management team reads.

    Parameters
    ----------
    orders : DataFrame
        Order lines or orders: customer, timestamp, amount (euros; negative on
        returns) and optionally margin (euros).
    period : str
        A pandas period frequency: ``"M"`` month, ``"Q"`` quarter, ``"W"`` week.
    churn_after : int
        Inactivity threshold in days; must be at least one period long so that
        a new customer is still active at the end of the period they joined.
    segments : Series, optional
        Segment per customer (index = customer id); the table then has one row
        per period and segment (and the identity holds within each segment).
        Every customer of ``orders`` must have a segment.
    start, end : date-like, optional
        First and last period reported (default: the periods of the first and
        last order). Purchases before ``start`` still count as history (a
        warm-up: a customer who bought before is not *new*), but the data
        cannot know purchases before its own first day, so early periods
        over-count new customers.
    allow_empty_periods : bool
        A reported period without any order usually means a missing export
        month; it raises ``ValueError`` unless this is True.

    Returns
    -------
    DataFrame
        One row per period (and segment): ``active_start`` (active at the end
        of the previous period), ``new`` (first purchase ever), ``reactivated``
        (purchase after having lapsed), ``churned`` (``churn_after`` days passed
        since the last purchase during the period), ``active`` (active at the
        end of the period), ``buyers`` (customers who bought), ``revenue`` and
        ``margin`` (euros, returns netted), ``new_share`` (new / active),
        ``churn_rate`` (churned / active_start). ``attrs["churn_after"]``
        records the threshold. A customer is active at the end of a period
        when at most ``churn_after`` days separate the last purchase from the
        first day of the next period. A customer who lapses and comes back
        within one period counts once as churned and once as reactivated.

    Notes
    -----
    Counting flows per period after Gupta & Lehmann (2005, ch. 3); the
    inactivity-threshold churn definition and its pitfalls: Ascarza et al. (2018).
    """
    try:
        freq_check = pd.Period("2024-07-15", freq=period)  # July, Q3, 2024: the longest month, quarter, year
    except (ValueError, TypeError) as exc:
        raise ValueError(f"period must be a pandas period frequency like 'M', 'Q' or 'W', got {period!r}") from exc
    period_days = (freq_check.end_time.normalize() - freq_check.start_time.normalize()).days + 1
    if churn_after < period_days:
        raise ValueError(f"churn_after={churn_after} days is shorter than one period ({period!r}: up to "
                         f"{period_days} days): a customer who joins could churn before the period ends")
    spells = activity_spells(orders, churn_after, customer_col=customer_col, date_col=date_col,
                             amount_col=amount_col)
    dates = pd.to_datetime(orders[date_col])
    first = pd.Period(dates.min(), freq=period) if start is None else pd.Period(start, freq=period)
    last = pd.Period(dates.max(), freq=period) if end is None else pd.Period(end, freq=period)
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first})")
    periods = pd.period_range(first, last, freq=period)
    order_periods = dates.dt.to_period(period)
    in_range = order_periods[(order_periods >= first) & (order_periods <= last)]
    empty = periods.difference(pd.PeriodIndex(in_range.unique()))
    if len(empty) and not allow_empty_periods:
        raise ValueError(f"{len(empty)} of {len(periods)} periods have no orders at all, e.g. "
                         f"{[str(p) for p in empty[:3]]}: is part of the export missing? "
                         "Pass allow_empty_periods=True if the business was really closed")

    if segments is not None:
        if not isinstance(segments, pd.Series):
            raise ValueError("segments must be a Series indexed by customer id")
        if segments.index.duplicated().any():
            raise ValueError(f"segments: {segments.index.duplicated().sum()} customer ids repeat, "
                             f"e.g. {_examples(segments.index[segments.index.duplicated()])}")
        seg = segments.reindex(spells["customer_id"].unique())
        if seg.isna().any():
            raise ValueError(f"segments: {seg.isna().sum()} customers with orders have no segment, "
                             f"e.g. {_examples(seg.index[seg.isna()])}")
        spells["segment"] = spells["customer_id"].map(segments).to_numpy()
        keys = ["segment"]
    else:
        keys = []

    start_p = spells["start"].dt.to_period(period)
    churn_p = spells["churn_date"].dt.to_period(period)
    # Every flow is an event in one period; stocks are cumulative sums of flows.
    events = pd.concat([
        pd.DataFrame({"period": start_p, "kind": np.where(spells["spell"] == 0, "new", "reactivated"),
                      **{k: spells[k] for k in keys}}),
        pd.DataFrame({"period": churn_p, "kind": "churned", **{k: spells[k] for k in keys}}),
    ], ignore_index=True)
    counts = events.groupby(keys + ["period", "kind"]).size().unstack("kind", fill_value=0)
    for k in ("new", "reactivated", "churned"):
        if k not in counts:
            counts[k] = 0
    counts["net"] = counts["new"] + counts["reactivated"] - counts["churned"]
    # Stock at the end of each period: cumulative net flow (all history, also before `start`).
    counts = counts.sort_index()
    counts["active"] = counts.groupby(level=keys)["net"].cumsum() if keys else counts["net"].cumsum()

    groups = [()] if not keys else [(g,) for g in sorted(spells["segment"].unique(), key=str)]
    all_periods = pd.period_range(min(first, counts.index.get_level_values("period").min()), last, freq=period)
    pieces = []
    for g in groups:
        c = counts.xs(g[0], level="segment") if keys else counts
        c = c.reindex(all_periods)
        flows = c[["new", "reactivated", "churned"]].fillna(0).astype("int64")
        active = c["active"].ffill().fillna(0).astype("int64")
        t = flows.assign(active=active)
        t["active_start"] = active.shift(1, fill_value=0)
        t = t.loc[periods]
        if keys:
            t.insert(0, "segment", g[0])
        pieces.append(t)
    table = pd.concat(pieces)
    table.index.name = "period"
    table = table.reset_index()

    o = orders.assign(period=order_periods)
    if keys:
        o = o.assign(segment=o[customer_col].map(segments))
    o = o[(o["period"] >= first) & (o["period"] <= last)]
    money = o.groupby(keys + ["period"]).agg(revenue=(amount_col, "sum"))
    buyers = o.loc[o[amount_col] > 0].groupby(keys + ["period"])[customer_col].nunique()
    money["buyers"] = buyers.reindex(money.index).fillna(0).astype("int64")
    if margin_col and margin_col in o:
        money["margin"] = o.groupby(keys + ["period"])[margin_col].sum()
    table = table.merge(money.reset_index(), on=keys + ["period"], how="left")
    table["buyers"] = table["buyers"].fillna(0).astype("int64")
    table["revenue"] = table["revenue"].fillna(0.0)
    if "margin" in table:
        table["margin"] = table["margin"].fillna(0.0)
    table["new_share"] = (table["new"] / table["active"].replace(0, np.nan)).astype("float64")
    table["churn_rate"] = (table["churned"] / table["active_start"].replace(0, np.nan)).astype("float64")
    cols = ["period"] + keys + COUNTS + ["buyers", "revenue"] + (["margin"] if "margin" in table else []) \
        + ["new_share", "churn_rate"]
    table = table[cols]
    table.attrs["churn_after"] = churn_after
    table.attrs["period"] = period
    return table


def check_identity(table: pd.DataFrame) -> pd.Series:
    """Check ``active(t) = active(t-1) + new + reactivated - churned`` on every row.

    Also checks that each row's ``active_start`` equals the previous row's
    ``active`` (per segment when the table has one).

    Returns
    -------
    Series
        ``True`` per row where the identity holds.

    Raises
    ------
    ValueError
        If the identity fails on any row (names how many and which periods).
    """
    require_columns(table, COUNTS + ["period"], "table")
    ok = table["active"] == table["active_start"] + table["new"] + table["reactivated"] - table["churned"]
    keys = ["segment"] if "segment" in table else []
    prev = table.groupby(keys)["active"].shift(1) if keys else table["active"].shift(1)
    chain = prev.isna() | (prev == table["active_start"])
    ok = ok & chain
    if not ok.all():
        bad = table.loc[~ok, "period"].astype(str)
        raise ValueError(f"the accounting identity fails on {(~ok).sum()} rows, e.g. periods {_examples(bad)}")
    return ok
