"""Shared input handling of the churn modules: the order lines as purchase days, counted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers._checks import examples, require_columns, require_dates, within_observation


@dataclass(frozen=True)
class Purchases:
    """The purchases of an order table up to ``observation_end``, and what was left out.

    ``days`` has one row per customer and purchase day (``customer``, ``day``
    as midnight, ``amount`` in euros: the day's sale lines added up);
    ``returns`` the returned euros per customer (positive numbers).
    """

    days: pd.DataFrame
    returns: pd.Series
    observation_end: pd.Timestamp
    rows_after_observation_end: int
    rows_zero_amount: int


def purchases(orders: pd.DataFrame, observation_end, customer_col: str, timestamp_col: str,
              amount_col: str, name: str = "orders") -> Purchases:
    """Sale lines (amount > 0) as purchase days per customer; returns (amount < 0) summed apart.

    Rows after ``observation_end`` are left out and counted (the package's
    end-date rule); rows of amount 0 are neither a purchase nor a return and
    are counted too. Several purchases on one day count as one purchase day
    (Fader, Hardie & Lee 2005, "Counting your customers the easy way", sec. 2).
    """
    require_columns(orders, [customer_col, timestamp_col, amount_col], name)
    if len(orders) == 0:
        raise ValueError(f"{name} is empty: there are no purchases to read")
    dates = require_dates(orders, timestamp_col, name)
    keep, end, n_after = within_observation(dates, observation_end)
    rows = orders.loc[keep.to_numpy()]
    amount = pd.to_numeric(rows[amount_col], errors="coerce")
    if amount.isna().any():
        bad = amount.isna()
        raise ValueError(f"{name}: column {amount_col!r} must hold numbers (euros); {int(bad.sum())} of "
                         f"{len(rows)} rows do not, e.g. {examples(rows.loc[bad, amount_col])}")
    if rows[customer_col].isna().any():
        bad = rows[customer_col].isna()
        raise ValueError(f"{name}: column {customer_col!r} must not be missing; {int(bad.sum())} of {len(rows)} "
                         f"rows are, e.g. rows {examples(rows.index[bad])}")
    day = dates.loc[rows.index].dt.normalize()
    sale = amount > 0
    days = (pd.DataFrame({"customer": rows.loc[sale, customer_col].to_numpy(), "day": day[sale].to_numpy(),
                          "amount": amount[sale].to_numpy()})
            .groupby(["customer", "day"], as_index=False, sort=True)["amount"].sum())
    returns = (-amount[amount < 0]).groupby(rows.loc[amount < 0, customer_col]).sum()
    if days.empty:
        raise ValueError(f"{name}: no sale lines (amount > 0) on or before {end.date()}: nothing to read")
    return Purchases(days, returns, end, n_after, int((amount == 0).sum()))


def sale_lines(orders: pd.DataFrame, amount_col: str) -> pd.DataFrame:
    """The order lines that are purchases (amount > 0): returns and zero lines are not."""
    return orders.loc[pd.to_numeric(orders[amount_col], errors="coerce") > 0]


def check_share(value: float, name: str, *, open_low: bool = True) -> float:
    """A number strictly between 0 and 1 (or from 0, when ``open_low`` is False)."""
    ok = np.isfinite(value) and (0 < value < 1 if open_low else 0 <= value < 1)
    if not ok:
        raise ValueError(f"{name} must be a share {'strictly ' if open_low else ''}between 0 and 1, got {value!r}")
    return float(value)
