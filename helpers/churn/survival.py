"""Retention curves: Kaplan-Meier survival of customers, with the censoring said in plain words.

**Censoring.** A customer who is still buying when the data ends has not
"survived forever": we only know they lasted *at least* this long. Dropping
them would keep only those who already left and make customers look
short-lived; counting them as "left" would do the same. The Kaplan-Meier
estimator (Kaplan & Meier 1958, *JASA* 53, 457-481) uses each customer for as
long as they are observed and no longer: at every time it divides the
customers who left then by those still *at risk* (observed and not yet left).
The curve is :class:`statsmodels.duration.survfunc.SurvfuncRight`; the
pointwise interval is the log-log one (Kalbfleisch & Prentice 2002, *The
Statistical Analysis of Failure Time Data*, sec. 1.4), which stays within 0-1.

**Leaving when nobody cancels.** In retail a customer "left" on their last
purchase day if no purchase followed within ``inactive_days``; if the data
end less than ``inactive_days`` after their last purchase, we cannot tell yet
and they are censored there (they lasted at least until that purchase).

**Contracts.** A season pass is renewed or not: the customer leaves at the
end of their last season, and one still holding a pass when the data end is
censored. Its curve is the Kaplan-Meier counterpart of the shifted-beta-
geometric model of lesson 02 (:class:`helpers.clv.ShiftedBetaGeometric`,
Fader & Hardie 2007).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from helpers import columns
from helpers._checks import examples, require_columns
from helpers.churn._common import purchases


def customer_durations(orders: pd.DataFrame, inactive_days: int = 365, *, observation_end=None,
                       customer_col: str = columns.CUSTOMER, timestamp_col: str = columns.TIMESTAMP,
                       amount_col: str = columns.AMOUNT) -> pd.DataFrame:
    """Each customer's time as a customer (days) and whether they left, from their purchase days.

    Parameters
    ----------
    orders : DataFrame
        Order lines (sale lines have amount > 0; returns are not purchases).
    inactive_days : int
        Days without a purchase after which a customer counts as having left
        on their last purchase day (365: a whole year of silence).
    observation_end : date, Timestamp or str, optional
        The last day of the data (default: its last date); later rows are
        left out and counted in ``attrs["rows_after_observation_end"]``.

    Returns
    -------
    DataFrame
        Indexed by customer: ``first_purchase``, ``last_purchase``,
        ``duration_days`` (first to last purchase day: how long they were a
        customer, or at least were), ``left`` (1: silent for ``inactive_days``
        by the end of the data; 0: censored, status unknown yet).
    """
    if int(inactive_days) != inactive_days or inactive_days < 1:
        raise ValueError(f"inactive_days must be a whole number of days >= 1, got {inactive_days!r}")
    bought = purchases(orders, observation_end, customer_col, timestamp_col, amount_col)
    by = bought.days.groupby("customer")["day"]
    out = pd.DataFrame({"first_purchase": by.min(), "last_purchase": by.max()})
    out["duration_days"] = (out["last_purchase"] - out["first_purchase"]).dt.days
    out["left"] = ((bought.observation_end - out["last_purchase"]).dt.days >= inactive_days).astype(int)
    out.index.name = customer_col
    out.attrs.update(observation_end=bought.observation_end, inactive_days=int(inactive_days),
                     rows_after_observation_end=bought.rows_after_observation_end)
    return out


def contract_durations(periods: pd.DataFrame, *, holder_col: str = columns.HOLDER, season_col: str = columns.SEASON,
                       renewed_col: str = "renewed") -> pd.DataFrame:
    """Each contract holder's periods held and whether they left, from one row per holder and period.

    ``renewed`` is 1 (renewed for the next period), 0 (did not: left after
    this period) or missing (not known yet: the data end with this period).

    Returns
    -------
    DataFrame
        Indexed by holder: ``first_period``, ``periods`` (held, counting the
        last), ``left`` (1: did not renew after the last; 0: censored).
    """
    require_columns(periods, [holder_col, season_col, renewed_col], "periods")
    ordered = periods.sort_values([holder_col, season_col], kind="stable")
    last = ordered.groupby(holder_col).agg(first_period=(season_col, "min"), last_period=(season_col, "max"),
                                           periods=(season_col, "size"))
    last["renewed"] = ordered.groupby(holder_col).tail(1).set_index(holder_col)[renewed_col]
    gaps = last["last_period"] - last["first_period"] + 1 != last["periods"]
    if gaps.any():
        raise ValueError(f"periods: a holder's periods must follow each other; {int(gaps.sum())} holders have a "
                         f"gap, e.g. {examples(last.index[gaps])}")
    out = last[["first_period", "periods"]].copy()
    out["left"] = pd.to_numeric(last["renewed"]).fillna(1).eq(0).astype(int)  # missing: not known yet
    return out


def _loglog_interval(surv: np.ndarray, se: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-log interval of a survival curve (stays within 0-1)."""
    z = stats.norm.isf(alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * se / (surv * np.abs(np.log(surv)))
        low, high = surv ** np.exp(half), surv ** np.exp(-half)
    inside = (surv > 0) & (surv < 1) & np.isfinite(half)
    return np.where(inside, low, surv), np.where(inside, high, surv)


def kaplan_meier(durations: pd.DataFrame, *, duration_col: str = "duration_days", event_col: str = "left",
                 by: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier survival curve(s) with pointwise log-log intervals (statsmodels ``SurvfuncRight``).

    Parameters
    ----------
    durations : DataFrame
        One row per customer: a duration (days, periods, …), an event flag
        (1 = left, 0 = censored) and optionally a group column (cohort, segment).
    by : str, optional
        Column whose values get a curve each.

    Returns
    -------
    DataFrame
        One row per group and time at which someone left, starting with time
        0 at survival 1: ``group``, ``time``, ``at_risk`` (customers still
        observed), ``left``, ``survival`` (share still customers),
        ``std_error`` (Greenwood), ``ci_low``, ``ci_high``.
    """
    require_columns(durations, [duration_col, event_col] + ([by] if by else []), "durations")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    bad = ~durations[event_col].isin([0, 1])
    if bad.any():
        raise ValueError(f"durations: column {event_col!r} must be 1 (left) or 0 (censored); {int(bad.sum())} "
                         f"rows are not, e.g. {examples(durations.loc[bad, event_col])}")
    groups = [("all", durations)] if by is None else list(durations.groupby(by, observed=True, sort=True))
    tables = [_one_curve(name, part[duration_col].to_numpy(float), part[event_col].to_numpy(int), alpha)
              for name, part in groups]
    return pd.concat(tables, ignore_index=True)


def _one_curve(name, time: np.ndarray, event: np.ndarray, alpha: float) -> pd.DataFrame:
    """One Kaplan-Meier curve as a table (a group whose customers were all censored keeps survival 1)."""
    start = pd.DataFrame({"group": [name], "time": [0.0], "at_risk": [len(time)], "left": [0], "survival": [1.0],
                          "std_error": [0.0], "ci_low": [1.0], "ci_high": [1.0]})
    if event.sum() == 0:
        return start
    fit = SurvfuncRight(time, event)
    low, high = _loglog_interval(fit.surv_prob, np.nan_to_num(fit.surv_prob_se), alpha)
    curve = pd.DataFrame({"group": name, "time": fit.surv_times, "at_risk": fit.n_risk, "left": fit.n_events,
                          "survival": fit.surv_prob, "std_error": fit.surv_prob_se, "ci_low": low, "ci_high": high})
    if curve["time"].iloc[0] == 0:  # left at time 0 (e.g. never bought again): no separate starting row
        start = start.iloc[:0]
    return pd.concat([start, curve], ignore_index=True).astype({"at_risk": int, "left": int})


def survival_at(curve: pd.DataFrame, times) -> pd.DataFrame:
    """Survival (with its interval) of each group of a :func:`kaplan_meier` table at the given times."""
    times = np.atleast_1d(np.asarray(times, dtype=float))
    rows = []
    for name, part in curve.groupby("group", sort=False):
        pos = np.searchsorted(part["time"].to_numpy(), times, side="right") - 1
        picked = part.iloc[np.maximum(pos, 0)][["survival", "ci_low", "ci_high"]].to_numpy()
        rows += [{"group": name, "time": t, "survival": s, "ci_low": lo, "ci_high": hi}
                 for t, (s, lo, hi) in zip(times, picked)]
    return pd.DataFrame(rows)


def logrank_test(durations: pd.DataFrame, by: str, *, duration_col: str = "duration_days",
                 event_col: str = "left") -> dict:
    """Do the groups' survival curves differ? The log-rank test (statsmodels ``survdiff``): chi-square and p-value."""
    require_columns(durations, [duration_col, event_col, by], "durations")
    chi2, p_value = survdiff(durations[duration_col].to_numpy(float), durations[event_col].to_numpy(int),
                             durations[by].to_numpy())
    return {"statistic": float(chi2), "p_value": float(p_value), "groups": int(durations[by].nunique())}
