"""Per-customer summaries for the buy-till-you-die models, and the checks of their inputs.

:func:`rfm_summary` turns a transaction table into the (frequency, recency,
T, monetary value) the BG/NBD and Gamma-Gamma models are fitted on (Fader,
Hardie & Lee 2005a); :func:`calibration_holdout_split` adds the purchases of
a later holdout period, to check a forecast against what happened
(ibid., sec. 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import columns
from helpers._checks import as_timestamp, require_columns, require_dates, within_observation
from helpers._checks import examples as _examples

#: Length of one time unit in days. A month is 365.25 / 12 = 30.4375 days.
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def check_time_unit(time_unit: str) -> float:
    """Days in one ``time_unit``; a ValueError for anything but ``"D"``, ``"W"``, ``"M"``."""
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be one of {sorted(DAYS_PER_UNIT)}, got {time_unit!r}")
    return DAYS_PER_UNIT[time_unit]


# ---------------------------------------------------------------------------
# the transaction table
# ---------------------------------------------------------------------------
def _observed_rows(transactions, customer_col, timestamp_col, amount_col, observation_end):
    """The rows on or before ``observation_end``, their days, the last day and the rows left out.

    Dates are checked first (a text column is refused, never parsed), so that
    only the rows kept need the other checks.
    """
    require_columns(transactions, [customer_col, timestamp_col, amount_col], "transactions")
    if len(transactions) == 0:
        raise ValueError("transactions is empty: there is nothing to summarise")
    dates = require_dates(transactions, timestamp_col, "transactions").dt.floor("D")
    keep, end, n_after = within_observation(dates, observation_end)
    if n_after == len(dates):
        raise ValueError(f"transactions: all {n_after:,} rows are after observation_end {end.date()} "
                         f"(column {timestamp_col!r} starts on {dates.min().date()}): nothing to summarise")
    if n_after:
        keep = keep.to_numpy()
        transactions, dates = transactions.loc[keep], dates.loc[keep]
    return transactions, dates, end, n_after


def _prepare_transactions(transactions, dates, customer_col, amount_col):
    """Check customers and amounts; return customer codes, labels, day numbers and amounts."""
    cust = transactions[customer_col]
    if cust.isna().any():
        bad = cust.isna()
        raise ValueError(f"transactions: column {customer_col!r} must not be missing; {int(bad.sum())} rows are, "
                         f"e.g. rows {_examples(transactions.index[bad])}")
    amount = pd.to_numeric(transactions[amount_col], errors="coerce")
    bad = amount.isna() & transactions[amount_col].notna()
    if bad.any():
        raise ValueError(f"transactions: column {amount_col!r} must be numeric; {int(bad.sum())} rows are not, "
                         f"e.g. {_examples(transactions.loc[bad, amount_col])}")
    if amount.isna().any():
        bad = amount.isna()
        raise ValueError(f"transactions: column {amount_col!r} must not be missing; {int(bad.sum())} rows are, "
                         f"e.g. customers {_examples(cust[bad])}")
    if (amount < 0).any():
        bad = amount < 0
        raise ValueError(
            f"transactions: column {amount_col!r} must be >= 0 (a purchase); {int(bad.sum())} rows are negative, "
            f"e.g. {_examples(amount[bad])} (customers {_examples(cust[bad])}). Returns are not purchases: "
            f"remove them (and count them) before summarising")
    codes, labels = pd.factorize(cust, sort=True)
    day = (dates.to_numpy().astype("datetime64[D]")).astype(np.int64)
    return codes.astype(np.int64), labels, day, amount.to_numpy(dtype=float)


def _purchase_days(codes, day, amount):
    """Collapse transactions to one row per (customer, day); sorted by customer then day."""
    key = codes * (np.int64(day.max() - day.min()) + 1) + (day - day.min())
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    day_amount = np.add.reduceat(amount[order], starts)
    return codes[order][starts], day[order][starts], day_amount


def _summarise(c, d, v, end_day, unit_days) -> dict[str, np.ndarray]:
    """The four summary columns from purchase days sorted by customer (``c``), day (``d``), amount (``v``)."""
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    n_days = np.diff(np.r_[starts, len(c)])
    first = d[starts]
    last = d[np.r_[starts[1:], len(c)] - 1]
    total = np.add.reduceat(v, starts)
    freq = n_days - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, (total - v[starts]) / np.maximum(freq, 1), 0.0)
    return {"frequency": freq.astype(np.int64), "recency": (last - first) / unit_days,
            "T": (end_day - first) / unit_days, "monetary_value": monetary}


def rfm_summary(
    transactions: pd.DataFrame,
    customer_col: str = columns.CUSTOMER,
    timestamp_col: str = columns.TIMESTAMP,
    amount_col: str = columns.AMOUNT,
    observation_end=None,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Summarise transactions per customer for the BG/NBD and Gamma-Gamma models.

    Several purchases of one customer on the same calendar day count as one
    purchase (their amounts are added), as in Fader, Hardie & Lee (2005a).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or order line): customer, timestamp (time of
        day is ignored; datetime64 -- a column still held as text is refused)
        and amount. Amounts must be >= 0: remove returns first.
    customer_col, timestamp_col, amount_col : str
        Column names; default the data contract's ``customer_id``,
        ``timestamp`` and ``amount``.
    observation_end : date, Timestamp or str, optional
        The last day the history covers (included), e.g. ``"2025-12-31"`` or
        ``"31.12.2025"``; default the last date in the data. Rows after it are
        left out and counted in ``attrs["rows_after_observation_end"]``.
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``: days, weeks (7 days) or months
        (30.4375 days).

    Returns
    -------
    DataFrame
        Indexed by customer (sorted), with

        - ``frequency``: number of repeat purchase days (purchase days - 1),
        - ``recency``: time from the first to the last purchase (``time_unit``),
        - ``T``: time from the first purchase to ``observation_end`` (``time_unit``),
        - ``monetary_value``: mean amount of the repeat purchase days
          (currency of the data; 0 when there is no repeat purchase).

        ``attrs`` holds ``time_unit``, ``observation_end`` (midnight of the
        last day), ``n_transactions`` (rows summarised), ``n_purchase_days``
        and ``rows_after_observation_end`` (rows left out).

    Raises
    ------
    ValueError
        Missing columns, a timestamp column held as text, missing or negative
        amounts, missing customers or dates, no row on or before
        ``observation_end``, unknown ``time_unit``.
    """
    unit_days = check_time_unit(time_unit)
    rows, dates, end, n_after = _observed_rows(transactions, customer_col, timestamp_col, amount_col,
                                               observation_end)
    codes, labels, day, amount = _prepare_transactions(rows, dates, customer_col, amount_col)
    c, d, v = _purchase_days(codes, day, amount)
    end_day = np.datetime64(end.date(), "D").astype(np.int64)
    out = pd.DataFrame(_summarise(c, d, v, end_day, unit_days), index=pd.Index(labels, name=customer_col))
    out.attrs.update(time_unit=time_unit, observation_end=end, n_transactions=int(len(rows)),
                     n_purchase_days=int(len(c)), rows_after_observation_end=n_after)
    return out


def _holdout_purchases(hold, dates, customer_col, amount_col, customers):
    """Purchase days and their mean amount in the holdout, for ``customers``; and how many others bought."""
    freq_h = pd.Series(0, index=customers, dtype=np.int64)
    mon_h = pd.Series(0.0, index=customers)
    if len(hold) == 0:
        return freq_h, mon_h, 0
    codes, labels, day, amount = _prepare_transactions(hold, dates, customer_col, amount_col)
    c, _d, v = _purchase_days(codes, day, amount)
    counts = np.bincount(c, minlength=len(labels))
    sums = np.bincount(c, weights=v, minlength=len(labels))
    known = pd.Index(labels).isin(customers)
    lab = pd.Index(labels)[known]
    freq_h.loc[lab] = counts[known]
    mon_h.loc[lab] = sums[known] / np.maximum(counts[known], 1)
    return freq_h, mon_h, int((~known).sum())


def calibration_holdout_split(
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end,
    customer_col: str = columns.CUSTOMER,
    timestamp_col: str = columns.TIMESTAMP,
    amount_col: str = columns.AMOUNT,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Summary of a calibration period plus the purchases of the holdout period.

    Customers are those who bought in the calibration period (up to and
    including ``calibration_end``); their purchase days in the holdout
    period (after ``calibration_end`` up to and including ``holdout_end``)
    are counted, same-day purchases as one (Fader, Hardie & Lee 2005a, sec. 4).

    Parameters
    ----------
    transactions : DataFrame
        As for :func:`rfm_summary`.
    calibration_end, holdout_end : date, Timestamp or str
        Last days (included) of the two periods, e.g. ``"2024-09-30"`` or
        ``"30.09.2024"``. ``holdout_end`` is the last day the history covers:
        rows after it are left out and counted.
    customer_col, timestamp_col, amount_col, time_unit
        As for :func:`rfm_summary`.

    Returns
    -------
    DataFrame
        The :func:`rfm_summary` columns for the calibration period plus
        ``frequency_holdout`` (purchase days in the holdout period),
        ``monetary_value_holdout`` (mean amount of those days; 0 when none) and
        ``duration_holdout`` (length of the holdout period, ``time_unit``).
        ``attrs`` holds ``calibration_end``, ``holdout_end``,
        ``observation_end`` (= ``holdout_end``), ``n_customers_first_in_holdout``
        (customers left out because their first purchase is in the holdout
        period) and ``rows_after_observation_end`` (rows after ``holdout_end``).
    """
    unit_days = check_time_unit(time_unit)
    cal_end = as_timestamp(calibration_end, "calibration_end").normalize()
    hold_end = as_timestamp(holdout_end, "holdout_end").normalize()
    if hold_end <= cal_end:
        raise ValueError(f"holdout_end ({hold_end.date()}) must be after calibration_end ({cal_end.date()})")
    rows, dates, _, n_after = _observed_rows(transactions, customer_col, timestamp_col, amount_col, hold_end)
    in_cal = (dates <= cal_end).to_numpy()
    if not in_cal.any():
        raise ValueError(f"transactions: no rows on or before calibration_end {cal_end.date()} "
                         f"(column {timestamp_col!r} starts on {dates.min().date()})")
    summary = rfm_summary(rows.loc[in_cal], customer_col, timestamp_col, amount_col,
                          observation_end=cal_end, time_unit=time_unit)
    freq_h, mon_h, n_new = _holdout_purchases(rows.loc[~in_cal], dates.loc[~in_cal], customer_col, amount_col,
                                              summary.index)
    summary["frequency_holdout"] = freq_h
    summary["monetary_value_holdout"] = mon_h
    summary["duration_holdout"] = (hold_end - cal_end).days / unit_days
    summary.attrs.update(calibration_end=cal_end, holdout_end=hold_end, observation_end=hold_end,
                         n_customers_first_in_holdout=n_new, rows_after_observation_end=n_after)
    return summary


def holdout_dates(observation_end, holdout_months: int = 12, months_before_end: int = 0, *,
                  calibration_end=None, holdout_end=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calibration and holdout ends of a validation split, derived from the end of the data.

    ``holdout_end`` = ``observation_end`` minus ``months_before_end`` months, and
    ``calibration_end`` = ``holdout_end`` minus ``holdout_months`` months, unless
    given. Moving back a whole number of months keeps the day of the month; a
    month's last day stays a month's last day (31 December minus 3 months is
    30 September, 28 February 2025 minus 12 months is 29 February 2024).
    Ending the holdout a few months before the data ends keeps the calibration
    end out of a seasonal peak (a calibration that ends in the busiest weeks
    of the year mistakes their pace for the customers' normal one).

    Parameters
    ----------
    observation_end : date, Timestamp or str
        Last day the history covers (``"2025-12-31"`` or ``"31.12.2025"``).
    holdout_months : int
        Length of the holdout period in months (>= 1).
    months_before_end : int
        Months between the end of the holdout and ``observation_end`` (>= 0).
    calibration_end, holdout_end : date, Timestamp, str or None
        Given ends win over the derived ones (``None`` = derived).

    Returns
    -------
    (Timestamp, Timestamp)
        ``calibration_end``, ``holdout_end`` (days, both included in their periods), for
        :func:`calibration_holdout_split`.

    Raises
    ------
    ValueError
        Months that are not whole numbers in range, a holdout ending after
        ``observation_end``, or a calibration end not before the holdout end.
    """
    for name, months, least in [("holdout_months", holdout_months, 1), ("months_before_end", months_before_end, 0)]:
        if isinstance(months, bool) or months != int(months) or months < least:
            raise ValueError(f"{name} must be a whole number of months >= {least}, got {months!r}")
    end = as_timestamp(observation_end, "observation_end").normalize()
    hold = (_months_back(end, int(months_before_end)) if holdout_end is None
            else as_timestamp(holdout_end, "holdout_end").normalize())
    if hold > end:
        raise ValueError(f"holdout_end ({hold.date()}) is after observation_end ({end.date()}): the data have no "
                         f"purchases to compare with there")
    cal = (_months_back(hold, int(holdout_months)) if calibration_end is None
           else as_timestamp(calibration_end, "calibration_end").normalize())
    if cal >= hold:
        raise ValueError(f"calibration_end ({cal.date()}) must be before holdout_end ({hold.date()})")
    return cal, hold


def _months_back(day: pd.Timestamp, months: int) -> pd.Timestamp:
    """``day`` minus ``months`` months; the last day of a month stays the last day of a month."""
    out = day - pd.DateOffset(months=months)
    return out + pd.offsets.MonthEnd(0) if day.is_month_end else out


# ---------------------------------------------------------------------------
# the summary table, as the models read it
# ---------------------------------------------------------------------------
def summary_arrays(summary: pd.DataFrame, need_monetary: bool = False) -> dict[str, np.ndarray]:
    """The summary's columns as float arrays, after checking the rules a summary obeys.

    ``frequency`` whole numbers >= 0; ``recency`` and ``T`` >= 0 with
    ``recency <= T``, and ``recency = 0`` when ``frequency = 0``;
    ``monetary_value`` >= 0 when ``need_monetary``.
    """
    cols = ["frequency", "recency", "T"] + (["monetary_value"] if need_monetary else [])
    require_columns(summary, cols, "summary")
    arrays = {}
    for col in cols:
        values = pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=float)
        _require(summary, ~np.isfinite(values) | (values < 0), f"column {col!r} must be finite and >= 0")
        arrays[col] = values
    x, tx, T = arrays["frequency"], arrays["recency"], arrays["T"]
    _require(summary, x != np.round(x), "column 'frequency' must be whole numbers")
    _require(summary, tx > T + 1e-9, "'recency' must be <= 'T'")
    _require(summary, (x == 0) & (tx > 0), "'recency' must be 0 when 'frequency' is 0")
    return arrays


def _require(summary, bad: np.ndarray, rule: str) -> None:
    if bad.any():
        raise ValueError(f"summary: {rule}; {int(bad.sum())} rows break it, "
                         f"e.g. customers {_examples(summary.index[bad])}")
