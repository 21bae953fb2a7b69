"""Value at risk: what each customer is expected to bring next year, and how much of it hangs on their staying.

The BG/NBD and Gamma-Gamma models give each customer's expected value over
the next ``months`` (:func:`helpers.clv.customer_lifetime_value`), which is
``P(alive) x value if still a customer``. The **value at risk** is the part
lost to the chance that they have already left:
``value if still a customer x (1 - P(alive))`` -- the euros a retention
effort could at best save. With the interval of the expected value from the
parameter uncertainty (:func:`helpers.clv.value_interval.clv_interval`), it
sorts the base into the customers worth a retention effort, the lost causes
and those who will stay anyway (Ascarza et al. 2018, "In pursuit of enhanced
customer retention management", *Customer Needs and Solutions* 5, 65-81:
target by the value a retention action can change, not by risk alone).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.churn._common import check_share
from helpers.clv.value_interval import clv_interval

#: The action groups of :func:`value_at_risk`.
LOST_CAUSE, WORTH_EFFORT, STAYS_ANYWAY = "lost cause", "worth a retention effort", "will stay anyway"


def value_at_risk(transaction_model, spend_model, summary: pd.DataFrame, *, months: int = 12,
                  monthly_discount_rate: float = 0.01, margin: float | pd.Series = 1.0, n_draws: int = 200,
                  alpha: float = 0.05, seed: int | None = 0, lost_below: float = 0.3, stays_from: float = 0.8,
                  fit_summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each customer's expected value with an interval, chance of having left, value at risk and action group.

    Parameters
    ----------
    transaction_model, spend_model
        Fitted :class:`helpers.clv.BetaGeoModel` and :class:`helpers.clv.GammaGammaModel`.
    summary : DataFrame
        The customers (:func:`helpers.clv.rfm_summary`, the same time unit as the fit).
    months, monthly_discount_rate, margin
        The value's horizon (months), discount rate per month, and margin share of the spend (0-1).
    n_draws, alpha, seed, fit_summary
        The interval's parameter draws, level ``1 - alpha``, seed, and the
        fitting summary when ``summary`` is another one
        (:func:`helpers.clv.value_interval.clv_interval`).
    lost_below, stays_from : float
        P(alive) below which a customer is a lost cause, and from which they
        will stay anyway (between them: worth a retention effort). Business
        choices, not estimates: 0.3 and 0.8 by default.

    Returns
    -------
    DataFrame
        Indexed like ``summary``: ``p_alive``, ``chance_of_leaving``
        (``1 - p_alive``), ``expected_value`` with ``ci_low`` and ``ci_high``
        (euros over ``months``), ``value_if_alive``, ``value_at_risk`` with
        ``risk_ci_low`` and ``risk_ci_high`` (euros; the interval takes the
        fitted P(alive) as known), and ``action``. ``attrs["equity"]`` holds
        the total's ``estimate``, ``std_error``, ``ci_low``, ``ci_high``,
        ``alpha`` and ``n_draws`` (the customer equity with its interval).
    """
    check_share(lost_below, "lost_below")
    check_share(stays_from, "stays_from")
    if lost_below >= stays_from:
        raise ValueError(f"lost_below ({lost_below}) must be below stays_from ({stays_from})")
    interval = clv_interval(transaction_model, spend_model, summary, months=months,
                            monthly_discount_rate=monthly_discount_rate, margin=margin, n_draws=n_draws, alpha=alpha,
                            seed=seed, fit_summary=fit_summary)
    p_alive = transaction_model.p_alive(summary).to_numpy()
    staying = np.maximum(p_alive, 1e-12)
    leaving = 1 - p_alive
    value = interval.customers
    out = pd.DataFrame({
        "p_alive": p_alive, "chance_of_leaving": leaving, "expected_value": value["estimate"].to_numpy(),
        "ci_low": value["ci_low"].to_numpy(), "ci_high": value["ci_high"].to_numpy(),
        "value_if_alive": value["estimate"].to_numpy() / staying}, index=summary.index)
    out["value_at_risk"] = out["value_if_alive"] * leaving
    out["risk_ci_low"] = out["ci_low"] / staying * leaving
    out["risk_ci_high"] = out["ci_high"] / staying * leaving
    out["action"] = np.where(p_alive < lost_below, LOST_CAUSE, np.where(p_alive >= stays_from, STAYS_ANYWAY,
                                                                        WORTH_EFFORT))
    out.attrs["equity"] = {"estimate": interval.estimate, "std_error": interval.std_error,
                           "ci_low": interval.ci_low, "ci_high": interval.ci_high, "alpha": interval.alpha,
                           "n_draws": interval.n_draws}
    return out


def action_summary(risk: pd.DataFrame) -> pd.DataFrame:
    """Customers, expected value and value at risk (euros) per action group of :func:`value_at_risk`."""
    table = risk.groupby("action").agg(customers=("p_alive", "size"), mean_p_alive=("p_alive", "mean"),
                                       expected_value=("expected_value", "sum"),
                                       value_at_risk=("value_at_risk", "sum"))
    return table.reindex([g for g in (WORTH_EFFORT, STAYS_ANYWAY, LOST_CAUSE) if g in table.index])
