"""The per-customer summaries, computed inside an engine: one class both engines share.

:class:`EngineLines` runs the SQL of :mod:`helpers.engines._sql` through an
engine (DuckDB or Spark, :mod:`~helpers.engines.duckdb_engine`,
:mod:`~helpers.engines.spark_engine`) over the view ``lines`` and returns small
pandas tables: one row per customer (the BG/NBD summary), per period (the
customer metrics) or per product pair. The engines only say how to run a query
and how to build the view; the rules are here and in the SQL, written once.

Each result is the pandas function's result for the same lines, with the same
columns, index, ``attrs`` and rules (the parity tests in
``tests/test_engines*.py`` check it to 1e-9):

==============================  ==============================================
engine method                   pandas function (the reference)
==============================  ==============================================
``rfm_summary``                 :func:`helpers.clv.rfm_summary` of the purchases
``calibration_holdout_split``   :func:`helpers.clv.calibration_holdout_split`
``customer_metrics``            :func:`helpers.metrics.customer_metrics`
``pair_rules``                  :func:`helpers.recommend.pair_rules`
==============================  ==============================================

"Purchases" are the lines with ``amount >= 0``, as the lessons define them
(lesson 02 leaves the return lines out before summarising); the engine leaves
the return lines out itself and counts them in ``attrs["return_lines_excluded"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import clv, columns
from helpers._checks import as_timestamp
from helpers.clv.summaries import check_time_unit
from helpers.engines import _sql
from helpers.metrics import COUNTS, _as_period, _check_threshold

EPOCH = pd.Timestamp("1970-01-01")


def day_number(value, name: str) -> tuple[pd.Timestamp, int]:
    """A date parameter (date, Timestamp, ``"2025-12-31"`` or ``"31.12.2025"``) as (midnight, days since 1970)."""
    ts = as_timestamp(value, name).normalize()
    return ts, int((ts - EPOCH).days)


def day_to_timestamp(day: int) -> pd.Timestamp:
    return EPOCH + pd.Timedelta(days=int(day))


class EngineLines:
    """Order lines inside an engine, as the view ``lines``; the summaries as methods.

    Subclasses set ``dialect``, ``source``, ``_mapping`` (course column ->
    client column, :meth:`~helpers.engines.sources.Source.course_columns`)
    and ``present`` (the course columns); register the client's file as
    ``raw``, :func:`~helpers.engines._sql.typed_sql` as ``typed`` (a table
    read once, for a CSV) and :func:`~helpers.engines._sql.lines_sql` as
    ``lines``; and implement ``_query(sql)`` (a pandas DataFrame of a small
    result).
    """

    dialect: _sql.Dialect
    source = None
    present: frozenset = frozenset()
    _mapping: dict = {}

    # ---- engine hooks ------------------------------------------------
    def _query(self, sql: str) -> pd.DataFrame:  # pragma: no cover - implemented by the engines
        raise NotImplementedError

    def _examples(self, column: str) -> list:
        """A few client values of ``column`` that could not be read."""
        sql = _sql.unreadable_sql(self.dialect, column, self._mapping[column], self.source)
        return self._query(sql)["v"].tolist()

    def _row(self, sql: str) -> dict:
        row = self._query(sql).iloc[0]
        return {k: (None if pd.isna(v) else int(v) if isinstance(v, (int, np.integer, float)) and float(v).is_integer()
                    else v) for k, v in row.items()}

    # ---- checks ------------------------------------------------------
    def check(self) -> dict:
        """Counts of the lines: rows, first and last day, blank and total rows left out (CSV).

        Refuses missing customers, dates or amounts.

        Raises
        ------
        ValueError
            Naming the file, the column, how many rows and a few of the values
            that could not be read (a date not in ``date_format``, an amount that
            is not a number in the declared decimal convention).
        """
        if getattr(self, "_checked", None) is None:
            counts = self._row(_sql.problems_sql(columns.ORDER in self.present))
            if getattr(self.source, "kind", "") == "csv":
                counts.update(self._row(_sql.skipped_sql()))
            if counts["n_rows"] == 0:
                raise ValueError(f"{self._name()}: no order lines")
            for key, col, rule in [("missing_customer", columns.CUSTOMER, "must not be empty"),
                                   ("missing_day", columns.TIMESTAMP, f"must hold dates ({self._date_rule()})"),
                                   ("missing_amount", columns.AMOUNT, f"must hold amounts ({self._amount_rule()})")]:
                if counts[key]:
                    raise ValueError(f"{self._name()}: column {col!r} {rule}; {counts[key]} of {counts['n_rows']} "
                                     f"rows break it, e.g. {self._examples(col)}")
            self._checked = counts
        return self._checked

    def health_counts(self, extraction_date=None) -> dict:
        """Lines breaking the order-line rules of the health check that need no other table.

        The counts :func:`helpers.data.order_faults` gives for ``zero_amount``,
        ``amount_sign_mismatch`` and ``zero_quantity`` (with a quantity column)
        and ``date_after_extraction`` (with ``extraction_date``); the rules that
        need the register or the product list run in the intake on those
        (smaller) tables.
        """
        self.check()
        day = None if extraction_date is None else day_number(extraction_date, "extraction_date")[1]
        return self._row(_sql.health_sql(columns.QUANTITY in self.present, day))

    def _name(self) -> str:
        files = getattr(self.source, "files", ())
        return ", ".join(f.name for f in files[:3]) + (" …" if len(files) > 3 else "") if files else "lines"

    def _date_rule(self) -> str:
        return f"written as {self.source.date_format}" if getattr(self.source, "kind", "") == "csv" else "not empty"

    def _amount_rule(self) -> str:
        return (f"numbers with decimal mark {self.source.decimal!r}"
                if getattr(self.source, "kind", "") == "csv" else "not empty")

    def _end(self, observation_end, purchases_only: bool) -> tuple[pd.Timestamp, int]:
        if observation_end is not None:
            return day_number(observation_end, "observation_end")
        where = f" WHERE {columns.AMOUNT} >= 0" if purchases_only else ""
        last = self._row(f"SELECT MAX(day) AS last_day FROM lines{where}")["last_day"]
        if last is None:
            raise ValueError(f"{self._name()}: no purchase (a line with amount >= 0)")
        return day_to_timestamp(last), int(last)

    def _customers(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Indexed by customer, sorted as pandas sorts the ids."""
        ids = frame.pop(columns.CUSTOMER).astype("str")
        out = frame.set_index(pd.Index(ids, name=columns.CUSTOMER))
        return out.sort_index(kind="stable")

    # ---- the summaries ---------------------------------------------------
    def rfm_summary(self, observation_end=None, time_unit: str = "W") -> pd.DataFrame:
        """The BG/NBD summary per customer, as :func:`helpers.clv.rfm_summary` of the purchases.

        Parameters
        ----------
        observation_end : date or str, optional
            The last day the history covers (included); default the last
            purchase day. Purchase lines after it are left out and counted in
            ``attrs["rows_after_observation_end"]``.
        time_unit : {"D", "W", "M"}
            Unit of ``recency`` and ``T`` (days, weeks, months of 30.4375 days).

        Returns
        -------
        DataFrame
            ``frequency``, ``recency``, ``T``, ``monetary_value`` indexed by
            ``customer_id``; ``attrs``: ``time_unit``, ``observation_end``,
            ``n_transactions``, ``n_purchase_days``, ``rows_after_observation_end``,
            ``return_lines_excluded``.
        """
        unit_days = check_time_unit(time_unit)
        self.check()
        end, last_day = self._end(observation_end, purchases_only=True)
        out = self._customers(self._query(_sql.rfm_sql(last_day, unit_days)))
        out["frequency"] = out["frequency"].astype("int64")
        counts = self._row(_sql.purchase_counts_sql(last_day))
        if counts["n_transactions"] == 0:
            raise ValueError(f"{self._name()}: no purchase on or before observation_end {end.date()}")
        out.attrs.update(time_unit=time_unit, observation_end=end, n_transactions=counts["n_transactions"],
                         n_purchase_days=int(out["frequency"].sum() + len(out)),
                         rows_after_observation_end=counts["rows_after_observation_end"],
                         return_lines_excluded=counts["return_lines_excluded"])
        return out

    def calibration_holdout_split(self, calibration_end, holdout_end, time_unit: str = "W") -> pd.DataFrame:
        """The calibration summary plus the holdout purchases, as :func:`helpers.clv.calibration_holdout_split`.

        Customers are those with a purchase on or before ``calibration_end``;
        ``frequency_holdout`` counts their purchase days in
        ``(calibration_end, holdout_end]`` and ``monetary_value_holdout`` is the
        mean amount of those days (0 when none); ``duration_holdout`` is the
        holdout's length in ``time_unit``. ``holdout_end`` is the last day the
        history covers: purchase lines after it are counted in
        ``attrs["rows_after_observation_end"]``, customers whose first purchase
        is in the holdout in ``attrs["n_customers_first_in_holdout"]``.
        """
        cal, cal_day = day_number(calibration_end, "calibration_end")
        hold, hold_day = day_number(holdout_end, "holdout_end")
        if hold_day <= cal_day:
            raise ValueError(f"holdout_end ({hold.date()}) must be after calibration_end ({cal.date()})")
        summary = self.rfm_summary(cal, time_unit)
        holdout = self._customers(self._query(_sql.holdout_sql(cal_day, hold_day)))
        holdout = holdout.reindex(summary.index)
        summary["frequency_holdout"] = holdout["frequency_holdout"].fillna(0).astype("int64")
        summary["monetary_value_holdout"] = holdout["monetary_value_holdout"].fillna(0.0).astype("float64")
        summary["duration_holdout"] = (hold_day - cal_day) / clv.DAYS_PER_UNIT[time_unit]
        counts = self._row(_sql.split_counts_sql(cal_day, hold_day))
        summary.attrs.update(calibration_end=cal, holdout_end=hold, observation_end=hold, **counts)
        return summary

    def customer_metrics(self, period: str = "M", churn_after: int = 180, *, start=None, observation_end=None,
                         allow_empty_periods: bool = False) -> pd.DataFrame:
        """The customer-metrics table of lesson 04, as :func:`helpers.metrics.customer_metrics`.

        The heavy part (purchase days, activity spells, the new / reactivated /
        churned events and the money per period) runs in the engine; the
        running count of active customers over the few periods is added up here.
        ``period`` is ``"M"``, ``"Q"`` or ``"W"``; ``margin`` is reported when
        the lines have a margin column. No ``segments`` (compute the segment
        labels first and summarise per segment in the engine if you need them).
        """
        _check_threshold(period, churn_after)
        self.check()
        end, last_day = self._end(observation_end, purchases_only=False)
        has_margin = columns.MARGIN in self.present
        events = self._query(_sql.spells_sql(self.dialect, last_day, churn_after, period)).set_index("p").sort_index()
        money = self._query(_sql.money_sql(self.dialect, last_day, period, has_margin)).set_index("p").sort_index()
        if money.empty or events.empty:
            raise ValueError(f"{self._name()}: no purchase (a line with a positive amount) on or before "
                             f"observation_end={end.date()}")
        last = pd.Period(end, freq=period)
        first = _to_period(int(money.index.min()), period) if start is None else _as_period(start, period, "start")
        table = _metrics_table(events, money, first, last, period, allow_empty_periods)
        after = self._row(f"SELECT COUNT(*) AS n FROM lines WHERE day > {last_day}")["n"]
        table.attrs.update({"churn_after": churn_after, "period": period, "observation_end": end,
                            "rows_after_observation_end": after})
        return table

    def pair_rules(self, min_support: float = 0.0, min_count: int = 1) -> pd.DataFrame:
        """One-item -> one-item basket rules of lesson 08, as :func:`helpers.recommend.pair_rules`.

        Counts in the engine (the distinct products of each basket, return
        lines left out and counted; the baskets of each product and of each
        pair); support, confidence, lift, leverage and conviction from them here.
        """
        missing = [c for c in (columns.ORDER, columns.PRODUCT) if c not in self.present]
        if missing:
            raise ValueError(f"{self._name()}: basket rules need the column(s) {missing}")
        has_q = columns.QUANTITY in self.present
        counts = self._row(_sql.basket_returns_sql(has_q))
        if counts["missing"]:
            raise ValueError(f"{self._name()}: {counts['missing']} lines have a missing {columns.ORDER!r} or "
                             f"{columns.PRODUCT!r}")
        n = self._row(f"SELECT COUNT(DISTINCT {columns.ORDER}) AS n FROM ({_sql.basket_lines_sql(has_q)}) AS b")["n"]
        if not n:
            raise ValueError(f"{self._name()}: no basket lines (only return lines?)")
        items = self._query(_sql.item_counts_sql(has_q)).set_index(columns.PRODUCT)["n"]
        pairs = self._query(_sql.pair_counts_sql(has_q, min_count))
        out = _rules(pairs, items, n, min_support)
        out.attrs["n_baskets"] = n
        out.attrs["return_lines_excluded"] = counts["return_lines_excluded"]
        return out


# --------------------------------------------------------------------------- assembling small tables
def _to_period(number: int, period: str) -> pd.Period:
    """The pandas period of an integer period number of :func:`helpers.engines._sql.period_of_day`."""
    if period == "M":
        return pd.Period(year=number // 12, month=number % 12 + 1, freq="M")
    if period == "Q":
        return pd.Period(year=number // 4, quarter=number % 4 + 1, freq="Q")
    return pd.Period(day_to_timestamp(7 * number - 3), freq="W")


def _metrics_table(events, money, first, last, period, allow_empty) -> pd.DataFrame:
    """Stocks and flows per reported period (as :func:`helpers.metrics.customer_metrics` lays them out)."""
    if last < first:
        raise ValueError(f"observation_end ({last}) is before start ({first})")
    events.index = pd.PeriodIndex([_to_period(int(p), period) for p in events.index], name="period")
    money.index = pd.PeriodIndex([_to_period(int(p), period) for p in money.index], name="period")
    periods = pd.period_range(first, last, freq=period)
    empty = periods.difference(money.index)
    if len(empty) and not allow_empty:
        raise ValueError(f"{len(empty)} of {len(periods)} periods have no orders at all, e.g. "
                         f"{[str(p) for p in empty[:3]]}: is part of the export missing? "
                         "Pass allow_empty_periods=True if the business was really closed")
    flows = events[["new", "reactivated", "churned"]].astype("int64")
    active = (flows["new"] + flows["reactivated"] - flows["churned"]).cumsum()
    history = pd.period_range(min(first, flows.index.min()), last, freq=period)
    active = active.reindex(history).ffill().fillna(0).astype("int64")
    table = flows.reindex(history, fill_value=0).assign(active=active)
    table["active_start"] = active.shift(1, fill_value=0)
    table = table.loc[periods]
    money = money.reindex(periods)
    table["buyers"] = money["buyers"].fillna(0).astype("int64")
    table["revenue"] = money["revenue"].fillna(0.0).astype("float64")
    if "margin" in money:
        table["margin"] = money["margin"].fillna(0.0).astype("float64")
    table["new_share"] = (table["new"] / table["active"].replace(0, np.nan)).astype("float64")
    table["churn_rate"] = (table["churned"] / table["active_start"].replace(0, np.nan)).astype("float64")
    cols = COUNTS + ["buyers", "revenue"] + (["margin"] if "margin" in table else []) + ["new_share", "churn_rate"]
    table.index.name = "period"
    return table[cols].reset_index()


def _rules(pairs: pd.DataFrame, items: pd.Series, n: int, min_support: float) -> pd.DataFrame:
    """Support, confidence, lift, leverage and conviction of counted pairs (Agrawal et al. 1993)."""
    cnt = pairs["count"].to_numpy(dtype="int64")
    keep = cnt / n >= min_support
    pairs, cnt = pairs[keep], cnt[keep]
    support = cnt / n
    sa = items.reindex(pairs["antecedent"]).to_numpy(dtype=float) / n
    sc = items.reindex(pairs["consequent"]).to_numpy(dtype=float) / n
    confidence = support / sa
    lift = support / (sa * sc)   # symmetric: both directions of a pair get exactly the same lift
    with np.errstate(divide="ignore"):
        conviction = np.where(confidence < 1, (1 - sc) / np.where(confidence < 1, 1 - confidence, 1), np.inf)
    out = pd.DataFrame({
        "antecedent": pairs["antecedent"].astype("str").to_numpy(),
        "consequent": pairs["consequent"].astype("str").to_numpy(),
        "count": cnt, "antecedent_support": sa, "consequent_support": sc, "support": support,
        "confidence": confidence, "lift": lift, "leverage": support - sa * sc, "conviction": conviction,
    })
    # pair_rules' order: lift, then confidence (the stronger direction of a pair first), support, the ids
    return out.sort_values(["lift", "confidence", "support", "antecedent", "consequent"],
                           ascending=[False, False, False, True, True], ignore_index=True)
