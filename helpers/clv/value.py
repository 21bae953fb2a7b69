"""Customer lifetime value: the BG/NBD purchases times the Gamma-Gamma spend, discounted month by month.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis. *Journal of Marketing Research*
42(4), 415-430.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.clv._fitting import require_fitted, unique_rows
from helpers.clv.bgnbd import BetaGeoModel
from helpers.clv.gammagamma import GammaGammaModel
from helpers.clv.summaries import DAYS_PER_UNIT, check_time_unit, summary_arrays


def customer_lifetime_value(
    transaction_model: BetaGeoModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin: float | pd.Series = 1.0,
    time_unit: str | None = None,
) -> pd.Series:
    """Discounted expected margin of each customer over the next ``months`` months.

    ``CLV = sum_{m=1..months} margin * E[spend] * (E[Y(m)] - E[Y(m-1)]) / (1 + d)^m``
    where ``E[Y(m)]`` is the BG/NBD expected number of purchases in the next
    ``m`` months and ``E[spend]`` the Gamma-Gamma expected spend per purchase
    (Fader, Hardie & Lee 2005b, sec. "CLV"; purchases discounted to the end of
    the month in which they happen).

    Parameters
    ----------
    transaction_model : BetaGeoModel
        Fitted; its time unit (``time_unit_``) converts months to model time.
    spend_model : GammaGammaModel
        Fitted.
    summary : DataFrame
        Customers to value (same time unit as the fit).
    months : int
        Horizon in months (e.g. 12 or 36).
    monthly_discount_rate : float
        Discount rate per month (e.g. 0.01; ~12.7 % a year).
    margin : float or Series
        Share of the spend that is margin (0-1), or one value per customer.
    time_unit : str, optional
        Override the model's time unit.

    Returns
    -------
    Series
        CLV in the currency of the data (euros), indexed like ``summary``.

    Raises
    ------
    NotFittedError
        (scikit-learn's, a ``ValueError``) when either model is not fitted.
    ValueError
        A bad horizon, discount rate, margin or an unknown time unit.
    """
    require_fitted(transaction_model, "transaction_model.fit(summary)")
    require_fitted(spend_model, "spend_model.fit(summary)")
    _check_horizon(months, monthly_discount_rate)
    margin_arr = _margin_per_customer(margin, summary)
    month_len = _month_in_model_time(transaction_model, summary, time_unit)
    spend = spend_model.expected_spend(summary).to_numpy()
    p_alive = transaction_model.p_alive(summary).to_numpy()
    arr = summary_arrays(summary)
    # the expected purchases of an alive customer depend on (frequency, T) only
    (x, T), inv, _ = unique_rows(arr["frequency"], arr["T"])
    value = discounted_purchases(transaction_model, x, T, months, monthly_discount_rate, month_len)
    clv = value[inv] * p_alive * spend * margin_arr
    return pd.Series(clv, index=summary.index, name="clv")


def discounted_purchases(transaction_model: BetaGeoModel, x: np.ndarray, T: np.ndarray, months: int,
                         monthly_discount_rate: float, month_len: float) -> np.ndarray:
    """Expected purchases of an alive customer, month by month, each discounted to the end of its month.

    ``sum_{m=1..months} (B(m) - B(m-1)) / (1 + d)^m`` with ``B(m)`` the
    BG/NBD expectation of purchases in the next ``m`` months given alive
    (Fader, Hardie & Lee 2005a, eq. 10 without the P(alive) factor) for
    customers with ``frequency`` ``x`` and age ``T`` (model time units);
    ``month_len`` is one month in those units.
    """
    _check_horizon(months, monthly_discount_rate)
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    for m in range(1, int(months) + 1):
        current = transaction_model._bracket(m * month_len, x, T)
        value += np.maximum(current - previous, 0.0) / (1 + monthly_discount_rate) ** m
        previous = current
    return value


def _check_horizon(months, monthly_discount_rate) -> None:
    if months != int(months) or months < 1:
        raise ValueError(f"months must be a whole number >= 1, got {months!r}")
    if not np.isfinite(monthly_discount_rate) or monthly_discount_rate < 0:
        raise ValueError(f"monthly_discount_rate must be >= 0, got {monthly_discount_rate!r}")


def _margin_per_customer(margin, summary: pd.DataFrame) -> np.ndarray:
    """The margin share (0-1) of each customer in ``summary``: one number for all, or a Series by customer."""
    if isinstance(margin, pd.Series):
        margin_arr = margin.reindex(summary.index).to_numpy(dtype=float)
    else:
        margin_arr = np.full(len(summary), float(margin))
    if np.any(~np.isfinite(margin_arr)) or np.any(margin_arr < 0) or np.any(margin_arr > 1):
        raise ValueError("margin must be a share between 0 and 1 (one number, or one per customer in summary)")
    return margin_arr


def _month_in_model_time(transaction_model, summary: pd.DataFrame, time_unit: str | None) -> float:
    """One month (30.4375 days) in the time unit of the model: given, the model's, or the summary's."""
    unit = time_unit or getattr(transaction_model, "time_unit_", None) or summary.attrs.get("time_unit")
    if unit is None:
        raise ValueError("the time unit of the model is unknown (the summary did not record it): "
                         "pass time_unit='D', 'W' or 'M'")
    return DAYS_PER_UNIT["M"] / check_time_unit(unit)
