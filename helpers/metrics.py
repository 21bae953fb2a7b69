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
:func:`report_start` picks the first period worth reporting (after a warm-up),
:func:`year_summary` adds up the last year of the table (per segment), and
:func:`dashboard` draws the one-page view a management team reads, its titles
stating the findings.
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

import re

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers import columns, plots
from helpers._checks import as_timestamp, examples, require_columns, require_dates, within_observation

COUNTS = ["active_start", "new", "reactivated", "churned", "active"]
#: The reporting period in words, for titles and sentences.
PERIOD_WORDS = {"M": "month", "Q": "quarter", "W": "week", "Y": "year", "D": "day"}
#: Period strings read as periods (``"2024-01"``, ``"2024Q1"``, ``"2024"``), not as days.
_PERIOD_TEXT = re.compile(r"^\s*\d{4}(-\d{1,2}|-?Q[1-4])?\s*$", re.IGNORECASE)


def activity_spells(orders: pd.DataFrame, churn_after: int = 180, *, observation_end=None,
                    customer_col: str = columns.CUSTOMER, timestamp_col: str = columns.TIMESTAMP,
                    amount_col: str | None = columns.AMOUNT) -> pd.DataFrame:
    """Spells of activity per customer under an inactivity threshold.

    A spell starts with a purchase after which the customer was not active and
    ends (the customer churns) ``churn_after`` days after its last purchase.
    Return orders (negative ``amount_col``) are not purchases and do not keep
    a customer active; ``amount_col=None`` counts every row as a purchase.
    ``timestamp_col`` must hold dates (text is refused).

    Parameters
    ----------
    observation_end : date or str, optional
        The last day the history covers (included; ``"2025-12-31"`` or
        ``"31.12.2025"``); default the last order date. Later rows are left
        out and counted.

    Returns
    -------
    DataFrame
        One row per spell: ``customer_col``, ``spell`` (0 = the first, i.e. the
        customer is *new*; later ones are *reactivations*), ``start`` (date of
        its first purchase), ``last`` (its last purchase) and ``churn_date``
        (``last + churn_after`` days: the day the customer counts as churned;
        it may lie after ``observation_end``). ``attrs`` records
        ``observation_end`` and ``rows_after_observation_end``.
    """
    if churn_after is None or churn_after <= 0:
        raise ValueError(f"churn_after must be a positive number of days, got {churn_after!r}")
    require_columns(orders, [customer_col, timestamp_col] + ([amount_col] if amount_col else []), "orders")
    if orders.empty:
        raise ValueError("orders is empty: there are no purchases to measure")
    dates = require_dates(orders, timestamp_col, "orders")
    buys, end, n_after = within_observation(dates, observation_end)
    if amount_col:
        buys = buys & (orders[amount_col] > 0)
    if not buys.any():
        raise ValueError(f"orders: no purchase (a row with a positive {amount_col!r}) on or before "
                         f"observation_end={end.date()}; the first row is dated {dates.min().date()}")
    bad = orders.loc[buys, customer_col].isna()
    if bad.any():
        raise ValueError(f"orders: column '{customer_col}' must not be empty; {bad.sum()} rows break it")
    days = pd.DataFrame({"c": orders.loc[buys, customer_col].to_numpy(),
                         "d": dates[buys].dt.normalize().to_numpy()}).drop_duplicates()
    days = days.sort_values(["c", "d"], kind="stable").reset_index(drop=True)
    gap = days["d"].diff().dt.days
    first_of_customer = days["c"].ne(days["c"].shift())
    starts = first_of_customer | (gap > churn_after)
    spells = days.groupby(starts.cumsum()).agg(c=("c", "first"), start=("d", "min"), last=("d", "max"))
    spells["spell"] = spells.groupby("c").cumcount()
    spells["churn_date"] = spells["last"] + pd.Timedelta(days=churn_after)
    spells = spells.rename(columns={"c": customer_col}).reset_index(drop=True)[
        [customer_col, "spell", "start", "last", "churn_date"]]
    spells.attrs.update({"observation_end": end, "rows_after_observation_end": n_after})
    return spells


def customer_metrics(orders: pd.DataFrame, period: str = "M", churn_after: int = 180, *,
                     segments: pd.Series | None = None, start=None, observation_end=None,
                     customer_col: str = columns.CUSTOMER, timestamp_col: str = columns.TIMESTAMP,
                     amount_col: str = columns.AMOUNT, margin_col: str | None = columns.MARGIN,
                     allow_empty_periods: bool = False) -> pd.DataFrame:
    """The monthly (or weekly, quarterly) customer-metrics table a management team reads.

    Parameters
    ----------
    orders : DataFrame
        Order lines or orders: customer, timestamp (dates; text is refused),
        amount (euros; negative on returns) and optionally margin (euros).
    period : str
        A pandas period frequency: ``"M"`` month, ``"Q"`` quarter, ``"W"`` week.
    churn_after : int
        Inactivity threshold in days; must be at least one period long so that
        a new customer is still active at the end of the period they joined.
    segments : Series, optional
        Segment per customer (index = customer id); the table then has one row
        per period and segment (and the identity holds within each segment).
        Every customer of ``orders`` must have a segment.
    start : period or date, optional
        First period reported (``"2024-01"``, ``"2024Q1"``, ``"2024-01-01"`` or
        ``"1.1.2024"``); default the period of the first order. Purchases
        before it still count as history (a warm-up: a customer who bought
        before is not *new*), but the data cannot know purchases before its
        own first day, so early periods over-count new customers.
    observation_end : date or str, optional
        The last day the history covers (included; ``"2025-12-31"`` or
        ``"31.12.2025"``); default the last order date. Its period is the last
        one reported; rows after it are left out and counted in
        ``attrs["rows_after_observation_end"]``.
    customer_col, timestamp_col, amount_col, margin_col : str
        Columns of ``orders`` (defaults: the data contract, :mod:`helpers.columns`);
        ``margin_col=None`` or absent leaves ``margin`` out.
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
        ``churn_rate`` (churned / active_start). ``attrs`` records
        ``churn_after``, ``period``, ``observation_end`` and
        ``rows_after_observation_end``. A customer is active at the end of a
        period when at most ``churn_after`` days separate the last purchase
        from the first day of the next period. A customer who lapses and comes
        back within one period counts once as churned and once as reactivated.

    Notes
    -----
    Counting flows per period after Gupta & Lehmann (2005, ch. 3); the
    inactivity-threshold churn definition and its pitfalls: Ascarza et al. (2018).
    """
    _check_threshold(period, churn_after)
    require_columns(orders, [amount_col], "orders")
    spells = activity_spells(orders, churn_after, observation_end=observation_end, customer_col=customer_col,
                             timestamp_col=timestamp_col, amount_col=amount_col)
    end, n_after = spells.attrs["observation_end"], spells.attrs["rows_after_observation_end"]
    dates = require_dates(orders, timestamp_col, "orders")
    keep = within_observation(dates, end)[0]
    orders, order_periods = orders.loc[keep], dates[keep].dt.to_period(period)
    first = order_periods.min() if start is None else _as_period(start, period, "start")
    last = pd.Period(end, freq=period)
    periods = _reported_periods(order_periods, first, last, period, allow_empty_periods)
    keys = []
    if segments is not None:
        spells["segment"] = _segment_of(spells[customer_col], segments)
        keys = ["segment"]
    table = _flow_table(spells, keys, periods, period)
    o = orders.assign(period=order_periods)
    if keys:
        o = o.assign(segment=o[customer_col].map(segments))
    table = _add_money(table, o[(o["period"] >= first) & (o["period"] <= last)], keys, customer_col,
                       amount_col, margin_col)
    table.attrs.update({"churn_after": churn_after, "period": period, "observation_end": end,
                        "rows_after_observation_end": n_after})
    return table


def _check_threshold(period: str, churn_after) -> None:
    """The period must be a pandas frequency and the churn threshold at least one period long."""
    try:
        longest = pd.Period("2024-07-15", freq=period)  # July, Q3, 2024: the longest month, quarter, year
    except (ValueError, TypeError) as exc:
        raise ValueError(f"period must be a pandas period frequency like 'M', 'Q' or 'W', got {period!r}") from exc
    period_days = (longest.end_time.normalize() - longest.start_time.normalize()).days + 1
    if churn_after < period_days:
        raise ValueError(f"churn_after={churn_after} days is shorter than one period ({period!r}: up to "
                         f"{period_days} days): a customer who joins could churn before the period ends")


def _as_period(value, period: str, name: str) -> pd.Period:
    """A period parameter: a period string (``"2024-01"``, ``"2024Q1"``) or any date :func:`as_timestamp` reads."""
    if isinstance(value, pd.Period):
        return value.asfreq(period)
    if isinstance(value, str) and _PERIOD_TEXT.match(value):
        return pd.Period(value.strip(), freq=period)
    return pd.Period(as_timestamp(value, name), freq=period)


def _reported_periods(order_periods: pd.Series, first, last, period: str, allow_empty: bool) -> pd.PeriodIndex:
    """The periods from ``first`` to ``last``; refuses periods without any order unless ``allow_empty``."""
    if last < first:
        raise ValueError(f"observation_end ({last}) is before start ({first})")
    periods = pd.period_range(first, last, freq=period)
    in_range = order_periods[(order_periods >= first) & (order_periods <= last)]
    empty = periods.difference(pd.PeriodIndex(in_range.unique()))
    if len(empty) and not allow_empty:
        raise ValueError(f"{len(empty)} of {len(periods)} periods have no orders at all, e.g. "
                         f"{[str(p) for p in empty[:3]]}: is part of the export missing? "
                         "Pass allow_empty_periods=True if the business was really closed")
    return periods


def _segment_of(customer_ids: pd.Series, segments) -> np.ndarray:
    """The segment of each spell's customer; every customer with a purchase must have one."""
    if not isinstance(segments, pd.Series):
        raise ValueError("segments must be a Series indexed by customer id")
    if segments.index.duplicated().any():
        raise ValueError(f"segments: {segments.index.duplicated().sum()} customer ids repeat, "
                         f"e.g. {examples(segments.index[segments.index.duplicated()])}")
    seg = segments.reindex(customer_ids.unique())
    if seg.isna().any():
        raise ValueError(f"segments: {seg.isna().sum()} customers with orders have no segment, "
                         f"e.g. {examples(seg.index[seg.isna()])}")
    return customer_ids.map(segments).to_numpy()


def _flow_table(spells: pd.DataFrame, keys: list, periods: pd.PeriodIndex, period: str) -> pd.DataFrame:
    """New, reactivated and churned customers per period (and segment), and the stocks they add up to.

    Every flow is an event in one period; the stock of active customers at the
    end of a period is the cumulative net flow over all history (also before
    the first reported period).
    """
    events = pd.concat([
        pd.DataFrame({"period": spells["start"].dt.to_period(period),
                      "kind": np.where(spells["spell"] == 0, "new", "reactivated"), **{k: spells[k] for k in keys}}),
        pd.DataFrame({"period": spells["churn_date"].dt.to_period(period), "kind": "churned",
                      **{k: spells[k] for k in keys}}),
    ], ignore_index=True)
    counts = events.groupby(keys + ["period", "kind"]).size().unstack("kind", fill_value=0)
    for k in ("new", "reactivated", "churned"):
        if k not in counts:
            counts[k] = 0
    counts["net"] = counts["new"] + counts["reactivated"] - counts["churned"]
    counts = counts.sort_index()
    counts["active"] = counts.groupby(level=keys)["net"].cumsum() if keys else counts["net"].cumsum()
    history = pd.period_range(min(periods[0], counts.index.get_level_values("period").min()), periods[-1],
                              freq=period)
    groups = sorted(spells["segment"].unique(), key=str) if keys else [None]
    pieces = []
    for g in groups:  # one per segment (a handful), not per customer
        c = (counts.xs(g, level="segment") if keys else counts).reindex(history)
        active = c["active"].ffill().fillna(0).astype("int64")
        t = c[["new", "reactivated", "churned"]].fillna(0).astype("int64").assign(active=active)
        t["active_start"] = active.shift(1, fill_value=0)
        t = t.loc[periods]
        if keys:
            t.insert(0, "segment", g)
        pieces.append(t)
    table = pd.concat(pieces)
    table.index.name = "period"
    return table.reset_index()


def _add_money(table, o, keys, customer_col, amount_col, margin_col) -> pd.DataFrame:
    """Buyers, revenue and margin (euros) of the reported periods; the rates; the columns in order."""
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
    return table[cols]


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
        raise ValueError(f"the accounting identity fails on {(~ok).sum()} rows, e.g. periods {examples(bad)}")
    return ok


# --------------------------------------------------------------------------- the reporting window
def report_start(orders: pd.DataFrame, churn_after: int = 180, period: str = "M", *, warm_up_days: int = 365,
                 observation_end=None, timestamp_col: str = columns.TIMESTAMP) -> pd.Period:
    """The first period worth reporting: the first that starts a warm-up after the first order.

    Before it the table would mislead. The stock of active customers needs ``churn_after`` days
    of history to be right, and a customer first seen early in the data may well be an old
    customer (the data cannot know purchases before its own first day), so early periods
    over-count *new* customers. The warm-up is ``warm_up_days`` (a year) and never less than
    ``churn_after``; when the data covers less than two warm-ups, it is ``churn_after`` days,
    the least that keeps the stocks right.

    Parameters
    ----------
    orders : DataFrame
        Order lines with ``timestamp_col`` (dates; text is refused).
    churn_after : int
        The inactivity threshold in days (:func:`customer_metrics`).
    period : str
        The reporting period (``"M"``, ``"Q"``, ``"W"``).
    observation_end : date or str, optional
        The last day the history covers (default the last order date).

    Returns
    -------
    Period
        Pass it as ``start=`` to :func:`customer_metrics`. Never after the period of
        ``observation_end``.
    """
    dates = require_dates(orders, timestamp_col, "orders")
    keep, end, _ = within_observation(dates, observation_end)
    if not keep.any():
        raise ValueError(f"orders: no row on or before observation_end={end.date()}")
    first = dates[keep].min().normalize()
    warm_up = max(warm_up_days, churn_after)
    if (end - first).days < 2 * warm_up:
        warm_up = churn_after
    ready = first + pd.Timedelta(days=warm_up)
    start = pd.Period(ready, freq=period)
    if start.start_time < ready:
        start += 1
    return min(start, pd.Period(end, freq=period))


def year_summary(table: pd.DataFrame) -> pd.DataFrame:
    """The last year of a customer-metrics table added up, per segment (or for all customers).

    The last year is the reported periods that start within a year before the end of the last
    period (twelve months, four quarters). A shorter table gives what it has (``periods``).

    Parameters
    ----------
    table : DataFrame
        From :func:`customer_metrics` (with or without ``segments``).

    Returns
    -------
    DataFrame
        One row per segment (index ``segment``; ``"all customers"`` without segments):
        ``active_start`` (active at the start of the year), ``active`` (at its end), ``new``,
        ``reactivated``, ``churned`` (sums), ``growth`` (active / active_start - 1),
        ``revenue`` and ``margin`` (euros; margin when the table has it), ``share_revenue``
        and ``share_margin`` (of all segments), ``new_share`` and ``churn_rate`` (means of the
        periods), ``periods``; ``attrs["first"]``/``attrs["last"]``: the periods covered.
    """
    require_columns(table, COUNTS + ["period", "revenue"], "table")
    if table.empty:
        raise ValueError("table is empty: no period to add up")
    last = table["period"].max()
    since = last.end_time - pd.DateOffset(years=1)
    year = table[table["period"].dt.start_time > since]
    key = year["segment"] if "segment" in year else pd.Series("all customers", index=year.index)
    money = [c for c in ("revenue", "margin") if c in year]
    out = year.groupby(key.rename("segment"), sort=False).agg(
        active_start=("active_start", "first"), active=("active", "last"), new=("new", "sum"),
        reactivated=("reactivated", "sum"), churned=("churned", "sum"), **{m: (m, "sum") for m in money},
        new_share=("new_share", "mean"), churn_rate=("churn_rate", "mean"), periods=("period", "nunique"))
    out.insert(5, "growth", out["active"] / out["active_start"].replace(0, np.nan) - 1)
    for m in money:
        out[f"share_{m}"] = out[m] / out[m].sum()
    out.attrs.update({"first": year["period"].min(), "last": last})
    return out


# --------------------------------------------------------------------------- the one-page dashboard
def dashboard(monthly: pd.DataFrame, by_segment: pd.DataFrame, migration=None, *, name: str | None = None,
              watch: str = "Champions", slipped=("At risk", "Lapsed")) -> plt.Figure:
    """Six panels a management team reads in a minute, each title stating its finding.

    The panels: active customers; the flows behind them (new, reactivated, churned) and when
    churn peaked; active customers per segment and the fastest-growing one; the shares of new and
    churned customers; margin (revenue without a margin column) per segment and the segment
    bringing most of it over the last year; and where last year's ``watch`` group went on the
    value ladder.

    Parameters
    ----------
    monthly : DataFrame
        :func:`customer_metrics` for all customers.
    by_segment : DataFrame
        :func:`customer_metrics` with ``segments``, over the same periods.
    migration : MigrationMatrix, optional
        :func:`helpers.segments.migration_matrix` between two snapshots; its ``watch`` row is
        drawn (the panel says so when it is missing).
    name : str, optional
        The company's name, for the figure's title.
    watch, slipped : str, tuple of str
        The group whose migration is drawn and the groups that count as slipping.

    Returns
    -------
    Figure
        Call ``plt.show()`` to draw it in a notebook.
    """
    require_columns(monthly, COUNTS + ["period", "new_share", "churn_rate"], "monthly")
    require_columns(by_segment, COUNTS + ["period", "segment", "revenue"], "by_segment")
    fig, axes = plt.subplots(3, 2, figsize=(13, 11))
    m = monthly.set_index("period")
    x = m.index.to_timestamp()
    _panel_base(axes[0, 0], axes[0, 1], m, x)
    _panel_segments(axes[1, 0], axes[2, 0], by_segment)
    _panel_rates(axes[1, 1], monthly, x)
    _panel_migration(axes[2, 1], migration, watch, tuple(slipped))
    for ax in axes[:, 0].tolist() + axes[:2, 1].tolist():
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 4, 7, 10]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%y"))
    churn_after = monthly.attrs.get("churn_after")
    rule = f" (churn = {churn_after} days without a purchase)" if churn_after else ""
    fig.suptitle(f"{name + ': ' if name else ''}customer metrics {x[0]:%m/%Y}–{x[-1]:%m/%Y}{rule}",
                 fontweight="bold")
    fig.tight_layout()
    return fig


def _year_label(summary: pd.DataFrame) -> str:
    """``"2025"`` when the summary covers a calendar year, else ``"the last 12 months"`` (etc.)."""
    first, last = summary.attrs["first"], summary.attrs["last"]
    if first.start_time.year == last.end_time.year and first.start_time.dayofyear == 1 \
            and last.end_time.month == 12 and last.end_time.day == 31:
        return str(first.start_time.year)
    return f"{first.start_time:%m/%Y}–{last.end_time:%m/%Y}"


def _panel_base(ax_stock, ax_flows, m: pd.DataFrame, x) -> None:
    """Active customers, and the flows behind them with the month churn peaked."""
    ax_stock.plot(x, m["active"], color=plots.PALETTE[0], marker="o", markersize=3)
    ax_stock.set(title=f"Active customers: {m['active'].iloc[0]:,} -> {m['active'].iloc[-1]:,} since {x[0]:%m/%Y}",
                 ylabel="customers")
    ax_flows.bar(x, m["new"], width=20, color=plots.PALETTE[2], label="new")
    ax_flows.bar(x, m["reactivated"], width=20, bottom=m["new"], color=plots.PALETTE[4], label="reactivated")
    ax_flows.bar(x, -m["churned"], width=20, color=plots.PALETTE[3], label="churned")
    ax_flows.axhline(0, color="black", linewidth=0.8)
    peak = m["churned"].idxmax()
    ax_flows.set(title=f"Churn peaked in {peak.strftime('%B %Y')} at {m.loc[peak, 'churned']:,} customers",
                 ylabel="customers")
    ax_flows.legend(loc="lower left", fontsize="small")


def _short(name) -> str:
    """A segment's name without its descriptors in brackets (for titles)."""
    return str(name).split(" (")[0]


def _panel_segments(ax_active, ax_money, by_segment: pd.DataFrame) -> None:
    """Active customers per segment (the fastest-growing in the title) and money per segment."""
    summary = year_summary(by_segment)
    label = _year_label(summary)
    money = "margin" if "margin" in by_segment else "revenue"
    active = by_segment.pivot(index="period", columns="segment", values="active")
    active.index = active.index.to_timestamp()
    colours = dict(zip(active.columns, plots.PALETTE * (1 + len(active.columns) // len(plots.PALETTE))))
    for seg in active.columns:
        ax_active.plot(active.index, active[seg], color=colours[seg], label=seg)
    fastest = summary["growth"].idxmax()
    verb = "grew fastest" if summary.loc[fastest, "growth"] > 0 else "shrank least"
    ax_active.set(title=f"{_short(fastest)} {verb} in {label} ({summary.loc[fastest, 'growth']:+.0%})",
                  ylabel="active customers")
    ax_active.set_ylim(0, active.to_numpy().max() * 1.45)  # room for the legend
    ax_active.legend(loc="upper left", fontsize="x-small", ncol=2, framealpha=0.9)
    amounts = by_segment.pivot(index="period", columns="segment", values=money)
    amounts.index = amounts.index.to_timestamp()
    ax_money.stackplot(amounts.index, amounts.T.to_numpy(), labels=amounts.columns,
                       colors=[colours[c] for c in amounts.columns])
    plots.euro_axis(ax_money)
    top = summary[f"share_{money}"].idxmax()
    ax_money.set(title=f"{_short(top)} bring {summary.loc[top, f'share_{money}']:.0%} of {label} {money}",
                 ylabel=money)
    ax_money.legend(loc="upper left", fontsize="x-small", ncol=2, framealpha=0.9)
    ax_money.set_ylim(0, amounts.sum(axis=1).max() * 1.35)  # room for the legend


def _panel_rates(ax, monthly: pd.DataFrame, x) -> None:
    """The shares of new and churned customers per period, with the last year's averages."""
    summary = year_summary(monthly).iloc[0]
    ax.plot(x, monthly["new_share"], color=plots.PALETTE[2], label="new customers / active")
    ax.plot(x, monthly["churn_rate"], color=plots.PALETTE[3], label="churned / active at start")
    plots.percent_axis(ax)
    word = PERIOD_WORDS.get(str(monthly.attrs.get("period", ""))[:1].upper(), "period")
    ax.set(title=f"{_year_label(year_summary(monthly))}: {summary['new_share']:.1%} new and "
                 f"{summary['churn_rate']:.1%} churned a {word}", ylabel=f"share per {word}")
    ax.legend(loc="upper right", fontsize="small")


def _panel_migration(ax, migration, watch: str, slipped: tuple) -> None:
    """Where the ``watch`` group of the first snapshot went, best group at the top."""
    shares = None if migration is None or watch not in migration.shares.index else migration.shares.loc[watch]
    if shares is None or migration.counts.loc[watch].sum() == 0:
        ax.axis("off")
        ax.set_title(f"No {watch} in the first snapshot: no migration to show")
        return
    row = shares[shares > 0].iloc[::-1]  # ladder order, best at the top
    row.plot.barh(ax=ax, color=[plots.PALETTE[3] if g in slipped else plots.PALETTE[0] for g in row.index])
    plots.percent_axis(ax, axis="x")
    share = shares.reindex(list(slipped)).fillna(0).sum()
    ax.set(title=f"{share:.0%} of last year's {watch} slipped to {' or '.join(slipped)}",
           xlabel=f"share of last year's {watch}", ylabel="")
