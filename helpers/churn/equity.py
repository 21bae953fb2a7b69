"""The customer-equity bridge: how the value of the customer base moved over a year, in euros.

Customer equity (*asiakaspääoma*) is the expected value of every customer
summed (Blattberg & Deighton 1996, "Manage marketing by the customer equity
test", *Harvard Business Review* 74(4), 136-144; Rust, Lemon & Zeithaml 2004,
"Return on marketing: using customer equity to focus marketing strategy",
*Journal of Marketing* 68(1), 109-127). Between two dates it moves for three
reasons, the three needs a customer-data project serves (``DOMAIN.md``):

* **acquired**: the value of the customers who joined during the year
  (new-customer acquisition: lessons 04 and 07);
* **added by existing customers**: the change in value of the customers who
  were there and stayed (selling more: lessons 03, 06, 08);
* **lost to churn**: the value of the customers who left (churn management:
  lessons 05 and 09).

``start + acquired + added by existing - lost to churn = end``, exactly: each
customer's value is rounded to the cent once and every step is a sum of
whole cents, so the bridge adds up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import clv, columns
from helpers._checks import as_timestamp, examples
from helpers.churn._common import sale_lines

#: The bridge's steps and the lessons that act on each.
STEPS = {"start": "02 (customer value)", "acquired": "04 (customer metrics), 07 (word of mouth)",
         "added by existing": "03 (segments), 06 (uplift), 08 (next best offer)",
         "lost to churn": "05 (control groups), 09 (churn and triggers)", "end": "02 (customer value)"}


@dataclass(frozen=True)
class EquityBridge:
    """The bridge in euros (``start``, ``acquired``, ``added_by_existing``, ``lost_to_churn``, ``end``).

    ``steps`` is the table (step, euros, customers, lessons); ``customers``
    has each customer's ``value_start``, ``value_end`` (euros, to the cent)
    and ``role`` (``existing``, ``acquired``, ``lost``); ``cents`` the steps
    in whole cents (exact integers).
    """

    steps: pd.DataFrame
    customers: pd.DataFrame
    start: float
    acquired: float
    added_by_existing: float
    lost_to_churn: float
    end: float
    cents: dict


def _cents(values: pd.Series, name: str) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce")
    bad = ~np.isfinite(v.to_numpy(dtype=float))
    if bad.any():
        raise ValueError(f"{name}: every customer's value must be a finite number of euros; {int(bad.sum())} are "
                         f"not, e.g. customers {examples(values.index[bad])}")
    if values.index.has_duplicates:
        repeated = values.index[values.index.duplicated()]
        raise ValueError(f"{name}: customer ids must be unique; {len(repeated)} repeat, e.g. {examples(repeated)}")
    return pd.Series(np.rint(v.to_numpy(dtype=float) * 100).astype(np.int64), index=values.index)


def equity_bridge(value_start: pd.Series, value_end: pd.Series, lost) -> EquityBridge:
    """The bridge from each customer's value at the start and at the end, and who was lost.

    Parameters
    ----------
    value_start : Series
        Expected value (euros) of every customer known at the start, by customer id.
    value_end : Series
        Expected value (euros) of every customer known at the end: those of
        the start and the ones acquired since (in ``value_end`` only).
    lost : iterable of customer ids, or a boolean Series by customer
        Customers of the start who left during the year (by the company's
        definition, e.g. no purchase all year). Their remaining end value
        stays in the end equity; the bridge counts what they lost.

    Returns
    -------
    EquityBridge
        ``added_by_existing`` sums the change of the customers who stayed;
        ``lost_to_churn`` the fall of those who left (start value minus end value).
    """
    start, end = _cents(value_start, "value_start"), _cents(value_end, "value_end")
    gone = start.index.difference(end.index)
    if len(gone):
        raise ValueError(f"equity_bridge: {len(gone)} customers of value_start are missing from value_end, e.g. "
                         f"{examples(gone)}; a customer known at the start is still known at the end "
                         f"(value them at the end, even at 0)")
    lost_ids = pd.Index(lost.index[lost.astype(bool)] if isinstance(lost, pd.Series) else list(lost))
    unknown = lost_ids.difference(start.index)
    if len(unknown):
        raise ValueError(f"equity_bridge: {len(unknown)} lost customers are not in value_start, e.g. "
                         f"{examples(unknown)}: only customers of the start can be lost")
    role = pd.Series("existing", index=end.index)
    role[~end.index.isin(start.index)] = "acquired"
    role[lost_ids] = "lost"
    s = start.reindex(end.index, fill_value=0)
    cents = {"start": int(start.sum()), "acquired": int(end[role == "acquired"].sum()),
             "added by existing": int((end - s)[role == "existing"].sum()),
             "lost to churn": int((s - end)[role == "lost"].sum()), "end": int(end.sum())}
    assert cents["start"] + cents["acquired"] + cents["added by existing"] - cents["lost to churn"] == cents["end"]
    counts = {"start": len(start), "acquired": int((role == "acquired").sum()),
              "added by existing": int((role == "existing").sum()), "lost to churn": int((role == "lost").sum()),
              "end": len(end)}
    steps = pd.DataFrame({"step": list(cents), "euros": [c / 100 for c in cents.values()],
                          "customers": [counts[k] for k in cents], "lessons": [STEPS[k] for k in cents]})
    customers = pd.DataFrame({"value_start": s / 100, "value_end": end / 100, "role": role})
    customers.loc[role == "acquired", "value_start"] = np.nan
    euros = {k: v / 100 for k, v in cents.items()}
    return EquityBridge(steps, customers, euros["start"], euros["acquired"], euros["added by existing"],
                        euros["lost to churn"], euros["end"], cents)


def customer_equity(orders: pd.DataFrame, observation_end, *, months: int = 12, monthly_discount_rate: float = 0.01,
                    margin: float | pd.Series = 1.0, customer_col: str = columns.CUSTOMER,
                    timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT) -> pd.Series:
    """Each customer's expected value over the next ``months`` as seen on ``observation_end`` (euros).

    Fits the BG/NBD and Gamma-Gamma models (weeks) on the sale lines up to
    ``observation_end`` (later rows left out and counted in
    ``attrs["rows_after_observation_end"]``) and values every customer with
    :func:`helpers.clv.customer_lifetime_value` (``attrs`` also holds the
    BG/NBD and Gamma-Gamma parameters, ``bgnbd_params`` and ``gamma_gamma_params``).
    """
    end = as_timestamp(observation_end, "observation_end")
    sales = sale_lines(orders, amount_col)
    summary = clv.rfm_summary(sales, customer_col, timestamp_col, amount_col, observation_end=end, time_unit="W")
    bg = clv.BetaGeoModel().fit(summary)
    gg = clv.GammaGammaModel().fit(summary)
    value = clv.customer_lifetime_value(bg, gg, summary, months=months, monthly_discount_rate=monthly_discount_rate,
                                        margin=margin)
    value.attrs.update(bgnbd_params=dict(bg.params_), gamma_gamma_params=dict(gg.params_),
                       rows_after_observation_end=summary.attrs["rows_after_observation_end"])
    return value


def equity_bridge_between(orders: pd.DataFrame, start, end, *, months: int = 12, monthly_discount_rate: float = 0.01,
                          margin: float | pd.Series = 1.0, customer_col: str = columns.CUSTOMER,
                          timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT) -> EquityBridge:
    """The bridge between two dates from the orders: values from :func:`customer_equity` at each date.

    A customer of the start counts as **lost** when they made no purchase
    from the day after ``start`` up to ``end`` (a whole period of silence:
    an observable definition, the same for every customer). Acquired: first
    purchase after ``start``.
    """
    start, end = as_timestamp(start, "start"), as_timestamp(end, "end")
    if end <= start:
        raise ValueError(f"end ({end.date()}) must be after start ({start.date()})")
    cols = {"customer_col": customer_col, "timestamp_col": timestamp_col, "amount_col": amount_col}
    value = {"months": months, "monthly_discount_rate": monthly_discount_rate, "margin": margin}
    v_start = customer_equity(orders, start, **value, **cols)
    v_end = customer_equity(orders, end, **value, **cols)
    sales = sale_lines(orders, amount_col)
    day = sales[timestamp_col].dt.normalize()
    active = sales.loc[(day > start) & (day <= end), customer_col].unique()
    lost = v_start.index[~v_start.index.isin(active)]
    return equity_bridge(v_start, v_end, lost)
