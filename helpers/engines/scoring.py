"""Fit on the summary, score every customer: the package's own models and closed forms, wherever the data are.

The pattern of every engine path (and of the Spark solution accelerators for
CLV): the engine summarises the lines per customer; the BG/NBD and
Gamma-Gamma models are fitted on that summary on one machine (the BG/NBD only
needs the distinct (frequency, recency, T) rows and how many customers share
each, :func:`fit_models`); every customer is then scored with the closed forms
of :mod:`helpers.clv` (:func:`score_customers`), in pandas, in batches, or in
a Spark pandas UDF. The numbers are the pandas path's, because the code is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import clv, columns

#: The columns :func:`score_customers` returns, in order.
SCORES = ("p_alive", "expected_purchases", "expected_spend", "clv")


def fit_models(rows: pd.DataFrame, repeat_buyers: pd.DataFrame, time_unit: str,
               transaction_model: clv.BetaGeoModel | None = None,
               spend_model: clv.GammaGammaModel | None = None) -> tuple[clv.BetaGeoModel, clv.GammaGammaModel]:
    """Fit the BG/NBD on distinct summary rows and the Gamma-Gamma on the repeat buyers.

    Parameters
    ----------
    rows : DataFrame
        Distinct ``frequency``, ``recency``, ``T`` with ``n_customers`` (how
        many customers have that row): a few hundred thousand rows even for
        ten million customers.
    repeat_buyers : DataFrame
        ``frequency`` and ``monetary_value`` of the customers with
        ``frequency > 0``, indexed by customer (the Gamma-Gamma model learns
        only from them; its outlier warning names them).
    time_unit : {"D", "W", "M"}
        The summary's time unit.
    transaction_model, spend_model : optional
        Unfitted models with other settings (default ``BetaGeoModel()`` and
        ``GammaGammaModel()``).

    Returns
    -------
    (BetaGeoModel, GammaGammaModel), fitted. The BG/NBD starts where a fit on
    the whole summary starts (``alpha`` = half the customers' mean ``T``), so
    it reaches the same maximum.
    """
    weights = rows["n_customers"].to_numpy(dtype=float)
    unique = rows[["frequency", "recency", "T"]].copy()
    unique.attrs["time_unit"] = time_unit
    mean_t = float(np.sum(weights * unique["T"].to_numpy()) / weights.sum())
    start = {"r": 1.0, "alpha": max(mean_t, 1e-3) / 2, "a": 1.0, "b": 1.0}
    bg = (transaction_model or clv.BetaGeoModel()).fit(unique, weights=weights, initial_params=start)
    bg.n_customers_ = int(weights.sum())
    # the spend model reads frequency and monetary_value only; recency and T complete a valid summary
    spend = repeat_buyers[["frequency", "monetary_value"]].assign(recency=0.0, T=0.0)
    gg = (spend_model or clv.GammaGammaModel()).fit(spend)
    gg.n_excluded_ += int(weights.sum()) - len(spend)   # the customers without a repeat purchase
    return bg, gg


def score_customers(transaction_model: clv.BetaGeoModel, spend_model: clv.GammaGammaModel, summary: pd.DataFrame,
                    months: int = 12, monthly_discount_rate: float = 0.01, margin: float = 1.0,
                    time_unit: str | None = None) -> pd.DataFrame:
    """P(alive), expected purchases and spend, and CLV of every customer of ``summary``.

    Parameters
    ----------
    transaction_model, spend_model : fitted BetaGeoModel and GammaGammaModel
    summary : DataFrame
        ``frequency``, ``recency``, ``T``, ``monetary_value`` (any batch of
        customers; the time unit of the fit).
    months : int
        Horizon of ``expected_purchases`` and ``clv``, in months.
    monthly_discount_rate, margin : float
        As for :func:`helpers.clv.customer_lifetime_value` (margin a share 0-1).
    time_unit : str, optional
        The summary's time unit when its ``attrs`` do not say (default the model's).

    Returns
    -------
    DataFrame
        Indexed like ``summary``: ``p_alive`` (0-1), ``expected_purchases``
        (purchase days in the next ``months`` months), ``expected_spend``
        (currency of the data per purchase) and ``clv`` (discounted margin,
        currency of the data): :meth:`~helpers.clv.BetaGeoModel.p_alive`,
        :meth:`~helpers.clv.BetaGeoModel.expected_purchases`,
        :meth:`~helpers.clv.GammaGammaModel.expected_spend` and
        :func:`~helpers.clv.customer_lifetime_value`, unchanged.
    """
    unit = time_unit or summary.attrs.get("time_unit") or transaction_model.time_unit_
    if "time_unit" not in summary.attrs:
        summary = summary.copy()
        summary.attrs["time_unit"] = unit
    horizon = months * clv.DAYS_PER_UNIT["M"] / clv.DAYS_PER_UNIT[unit]
    return pd.DataFrame({
        "p_alive": transaction_model.p_alive(summary),
        "expected_purchases": transaction_model.expected_purchases(horizon, summary),
        "expected_spend": spend_model.expected_spend(summary),
        "clv": clv.customer_lifetime_value(transaction_model, spend_model, summary, months=months,
                                           monthly_discount_rate=monthly_discount_rate, margin=margin),
    }, index=summary.index)


def score_in_batches(transaction_model, spend_model, summary: pd.DataFrame, batch_size: int = 1_000_000,
                     **options) -> pd.DataFrame:
    """:func:`score_customers` a million customers at a time (bounded memory for tens of millions)."""
    parts = [score_customers(transaction_model, spend_model, summary.iloc[i:i + batch_size], **options)
             for i in range(0, len(summary), batch_size)]
    return pd.concat(parts) if parts else pd.DataFrame(columns=list(SCORES), index=summary.index[:0])


def distinct_rows(summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two inputs of :func:`fit_models` from a whole summary (for engines that return one)."""
    rows = (summary.groupby(["frequency", "recency", "T"], sort=True).size().rename("n_customers").reset_index())
    repeat = summary.loc[summary["frequency"] > 0, ["frequency", "monetary_value"]]
    repeat.index.name = columns.CUSTOMER
    return rows, repeat
