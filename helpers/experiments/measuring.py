"""Measuring one campaign: conversion, revenue, bootstrap, CUPED, return in euros, and every campaign at once.

Differences are always *treatment minus control*, in the outcome's units
(shares for conversion, euros for revenue and margin).

References
----------
Fleiss, J. L., Levin, B. & Paik, M. C. (2003). *Statistical Methods for Rates and
Proportions*, 3rd ed., ch. 2 (comparing two proportions).
Welch, B. L. (1947). The generalization of "Student's" problem when several different
population variances are involved. *Biometrika* 34, 28–35.
Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*.
Deng, A., Xu, Y., Kohavi, R. & Walker, T. (2013). Improving the sensitivity of online
controlled experiments by utilizing pre-experiment data (CUPED). *WSDM '13*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers._checks import require_columns

from ._common import _as_values, _check_n, _check_probability, _z_crit

__all__ = ["ComparisonResult", "compare_proportions", "compare_means", "BootstrapResult", "bootstrap_ci",
           "CupedResult", "cuped", "RoiResult", "campaign_roi", "compare_by", "pre_period_features"]


@dataclass(frozen=True)
class ComparisonResult:
    """Treatment minus control, with a confidence interval and a test.

    ``difference`` is in the outcome's units (shares for conversion, euros for
    revenue); ``relative_difference`` is ``difference / control`` (a share).
    """

    difference: float
    relative_difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    treatment: float
    control: float
    std_error: float
    n_treatment: int
    n_control: int
    alpha: float
    method: str


def compare_proportions(successes_treatment: int, n_treatment: int, successes_control: int, n_control: int,
                        alpha: float = 0.05) -> ComparisonResult:
    """Difference in conversion rates with a Wald interval and a pooled z-test.

    The interval is the unpooled Wald interval ``d ± z sqrt(p_t q_t / n_t + p_c q_c / n_c)``
    (statsmodels ``confint_proportions_2indep(method="wald")``); the test statistic
    uses the pooled rate under the null, as ``statsmodels.stats.proportion.proportions_ztest``
    (Fleiss, Levin & Paik 2003, ch. 2). Fine for campaign-sized groups (dozens of
    conversions per group); for tiny groups use an exact test.

    Returns
    -------
    ComparisonResult
        ``difference`` in shares (0.012 = 1.2 percentage points), ``relative_difference``
        as a share of the control rate.
    """
    n_t, n_c = _check_n("n_treatment", n_treatment), _check_n("n_control", n_control)
    for name, s, n in (("successes_treatment", successes_treatment, n_t), ("successes_control", successes_control, n_c)):
        if not float(s).is_integer() or s < 0 or s > n:
            raise ValueError(f"{name} must be a whole number between 0 and its group size {n}; got {s!r}")
    _check_probability("alpha", alpha)
    p_t, p_c = successes_treatment / n_t, successes_control / n_c
    diff = p_t - p_c
    se = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    p_pool = (successes_treatment + successes_control) / (n_t + n_c)
    se0 = np.sqrt(p_pool * (1 - p_pool) * (1 / n_t + 1 / n_c))
    z = diff / se0 if se0 > 0 else 0.0
    pval = float(2 * stats.norm.sf(abs(z))) if se0 > 0 else 1.0
    zc = _z_crit(alpha, "two-sided")
    rel = diff / p_c if p_c > 0 else np.nan
    return ComparisonResult(float(diff), float(rel), float(diff - zc * se), float(diff + zc * se), float(z), pval,
                            float(p_t), float(p_c), float(se), n_t, n_c, float(alpha), "z-test (pooled), Wald CI")


def compare_means(values_treatment, values_control, alpha: float = 0.05) -> ComparisonResult:
    """Difference in means (e.g. revenue per customer) with Welch's t-test and interval.

    Welch (1947): no equal-variance assumption, Welch–Satterthwaite degrees of
    freedom; identical to ``scipy.stats.ttest_ind(equal_var=False)``. With
    revenue (many zeros, a long tail) the t interval is still fine for groups of
    thousands; check it with :func:`bootstrap_ci`.

    Parameters
    ----------
    values_treatment, values_control : array-like
        One value per customer (euros); missing values raise an error.
    """
    y_t, y_c = _as_values("values_treatment", values_treatment), _as_values("values_control", values_control)
    if y_t.size < 2 or y_c.size < 2:
        raise ValueError(f"each group needs at least 2 customers; got {y_t.size} treatment and {y_c.size} control")
    _check_probability("alpha", alpha)
    m_t, m_c = y_t.mean(), y_c.mean()
    v_t, v_c = y_t.var(ddof=1) / y_t.size, y_c.var(ddof=1) / y_c.size
    se = np.sqrt(v_t + v_c)
    diff = m_t - m_c
    if se == 0:
        t_stat, pval, tc = 0.0 if diff == 0 else np.sign(diff) * np.inf, 1.0 if diff == 0 else 0.0, 0.0
    else:
        df = (v_t + v_c) ** 2 / (v_t**2 / (y_t.size - 1) + v_c**2 / (y_c.size - 1))
        t_stat = diff / se
        pval = float(2 * stats.t.sf(abs(t_stat), df))
        tc = stats.t.isf(alpha / 2, df)
    rel = diff / m_c if m_c != 0 else np.nan
    return ComparisonResult(float(diff), float(rel), float(diff - tc * se), float(diff + tc * se), float(t_stat),
                            float(pval), float(m_t), float(m_c), float(se), int(y_t.size), int(y_c.size),
                            float(alpha), "Welch t-test")


@dataclass(frozen=True)
class BootstrapResult:
    """A bootstrap estimate: the statistic on the data, percentile interval, bootstrap SE."""

    estimate: float
    ci_low: float
    ci_high: float
    std_error: float
    n_resamples: int
    alpha: float


_STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda a: a.mean(axis=-1),
    "median": lambda a: np.median(a, axis=-1),
}


def bootstrap_ci(values_treatment, values_control=None, statistic: str | Callable = "mean", n_resamples: int = 2000,
                 alpha: float = 0.05, random_state: int | None = 0, batch_size: int | None = None) -> BootstrapResult:
    """Percentile bootstrap interval of a statistic, or of its treatment − control difference.

    Each group is resampled with replacement separately (Efron & Tibshirani 1993,
    ch. 13); the interval is the ``alpha/2`` and ``1 − alpha/2`` percentiles of the
    resampled statistics. Resampling is vectorised and done in batches so a
    million customers fit in memory.

    Parameters
    ----------
    values_treatment : array-like
        Values per customer (euros, 0/1, …).
    values_control : array-like, optional
        If given, the statistic is ``stat(treatment) − stat(control)``.
    statistic : {"mean", "median"} or callable
        A callable receives a 2-D array (resamples × customers) and must reduce
        the last axis.
    n_resamples : int
        Number of bootstrap resamples (2,000 is plenty for a 95 % interval).
    random_state : int, optional
        Seed: the same seed gives the same interval.
    """
    func = _STATISTICS.get(statistic) if isinstance(statistic, str) else statistic
    if func is None:
        raise ValueError(f"statistic must be 'mean', 'median' or a callable; got {statistic!r}")
    if int(n_resamples) < 100:
        raise ValueError(f"n_resamples must be at least 100; got {n_resamples!r}")
    _check_probability("alpha", alpha)
    groups = [_as_values("values_treatment", values_treatment)]
    if values_control is not None:
        groups.append(_as_values("values_control", values_control))
    rng = np.random.default_rng(random_state)
    n_max = max(g.size for g in groups)
    batch = batch_size or max(1, min(n_resamples, 20_000_000 // n_max))
    draws = []
    for sign, g in zip((1.0, -1.0), groups):
        out = np.empty(n_resamples)
        for start in range(0, n_resamples, batch):
            stop = min(start + batch, n_resamples)
            idx = rng.integers(0, g.size, size=(stop - start, g.size))
            out[start:stop] = func(g[idx])
        draws.append(sign * out)
    boot = np.sum(draws, axis=0)
    estimate = float(func(groups[0][None, :])[0] - (func(groups[1][None, :])[0] if len(groups) == 2 else 0.0))
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return BootstrapResult(estimate, float(low), float(high), float(boot.std(ddof=1)), int(n_resamples), float(alpha))


@dataclass(frozen=True)
class CupedResult:
    """CUPED-adjusted outcomes and how much variance the covariate removed."""

    adjusted: np.ndarray
    theta: float
    variance_reduction: float


def cuped(values, covariate, theta: float | None = None) -> CupedResult:
    """Reduce the variance of an outcome with a pre-period covariate (CUPED).

    ``adjusted = y − θ (x − mean(x))`` with ``θ = cov(y, x) / var(x)`` estimated
    on **both groups together** (Deng, Xu, Kohavi & Walker 2013). Because ``x``
    is measured before the campaign it is unaffected by it, so the difference of
    the adjusted means estimates the same effect with a variance smaller by the
    factor ``1 − corr(y, x)²``. Compare the adjusted values with
    :func:`compare_means`.

    Parameters
    ----------
    values : array-like
        The outcome per customer (e.g. revenue in the response window, euros).
    covariate : array-like
        The same customers' pre-period value (e.g. spend in the 90 days before
        the send date, euros), in the same order.
    theta : float, optional
        Use a given θ instead of estimating it.

    Returns
    -------
    CupedResult
        ``adjusted`` (same order as the input), ``theta`` and
        ``variance_reduction`` (share of the variance removed, 0–1).
    """
    y = _as_values("values", values)
    x = _as_values("covariate", covariate)
    if y.size != x.size:
        raise ValueError(f"values has {y.size} rows but covariate has {x.size}: lengths must match")
    if theta is None:
        vx = x.var(ddof=1)
        if vx == 0:
            raise ValueError("covariate is constant: it cannot explain any variance")
        theta = float(np.cov(y, x, ddof=1)[0, 1] / vx)
    adjusted = y - theta * (x - x.mean())
    vy = y.var(ddof=1)
    reduction = float(1 - adjusted.var(ddof=1) / vy) if vy > 0 else 0.0
    return CupedResult(adjusted, float(theta), reduction)


@dataclass(frozen=True)
class RoiResult:
    """What a campaign earned, in euros, with intervals.

    ``incremental_margin`` is the margin the message caused over all contacted
    customers; ``profit = incremental_margin − cost``; ``roi = profit / cost``
    (0.5 = each euro spent came back with 50 cents on top; −1 = all lost).
    """

    incremental_revenue: float
    incremental_margin: float
    margin_ci_low: float
    margin_ci_high: float
    cost: float
    profit: float
    profit_ci_low: float
    profit_ci_high: float
    roi: float
    roi_ci_low: float
    roi_ci_high: float


def campaign_roi(margin_effect, n_contacted: int, cost_per_contact: float, fixed_cost: float = 0.0,
                 revenue_effect=None) -> RoiResult:
    """Incremental margin, cost, profit and return on investment of a campaign.

    Parameters
    ----------
    margin_effect : ComparisonResult, BootstrapResult or float
        Margin per customer, treatment minus control (euros per customer). A
        result object carries its interval (``ci_low``/``ci_high``), which is
        scaled to the whole campaign; a float gives a point estimate only.
    n_contacted : int
        Customers who got the message.
    cost_per_contact : float
        Euros per message sent.
    fixed_cost : float
        Euros of fixed cost (design, set-up).
    revenue_effect : ComparisonResult, BootstrapResult or float, optional
        Revenue per customer, treatment minus control (euros), for the revenue line.

    Notes
    -----
    Margin, not revenue, pays for a campaign: ROI on revenue flatters it.
    Profit and ROI are linear in the margin effect, so their intervals are the
    margin interval shifted and scaled.
    """
    def parts(effect):
        if hasattr(effect, "difference"):
            return effect.difference, effect.ci_low, effect.ci_high
        if hasattr(effect, "estimate"):
            return effect.estimate, effect.ci_low, effect.ci_high
        value = float(effect)
        return value, np.nan, np.nan

    n = _check_n("n_contacted", n_contacted)
    if cost_per_contact < 0 or fixed_cost < 0:
        raise ValueError(f"costs must be non-negative; got cost_per_contact={cost_per_contact}, fixed_cost={fixed_cost}")
    m, m_lo, m_hi = (v * n for v in parts(margin_effect))
    revenue = parts(revenue_effect)[0] * n if revenue_effect is not None else np.nan
    cost = n * cost_per_contact + fixed_cost
    profit, p_lo, p_hi = m - cost, m_lo - cost, m_hi - cost
    roi = (lambda v: v / cost if cost > 0 else np.nan)
    return RoiResult(float(revenue), float(m), float(m_lo), float(m_hi), float(cost), float(profit), float(p_lo),
                     float(p_hi), float(roi(profit)), float(roi(p_lo)), float(roi(p_hi)))


def compare_by(df: pd.DataFrame, by: str | Sequence[str] = "campaign_id", outcome: str = "converted",
               group: str = "group", treatment: str = "treatment", control: str = "control",
               kind: str = "proportion", alpha: float = 0.05) -> pd.DataFrame:
    """Treatment vs control for every campaign (or segment) at once, vectorised.

    Parameters
    ----------
    df : DataFrame
        One row per customer and campaign (e.g. ``campaign_members``).
    by : str or list of str
        Column(s) that define a campaign.
    outcome : str
        0/1 column for ``kind="proportion"`` (z-test as :func:`compare_proportions`),
        numeric column (euros) for ``kind="mean"`` (Welch as :func:`compare_means`).
    group, treatment, control : str
        Group column and its two labels; other labels raise an error.

    Returns
    -------
    DataFrame
        One row per campaign: ``n_treatment``, ``n_control``, ``treatment``, ``control``
        (rates or means), ``difference``, ``relative_difference``, ``std_error``,
        ``ci_low``, ``ci_high``, ``statistic``, ``p_value``.
    """
    by = [by] if isinstance(by, str) else list(by)
    require_columns(df, [*by, outcome, group], "compare_by: df")
    labels = df[group]
    bad = ~labels.isin([treatment, control])
    if bad.any():
        raise ValueError(f"column {group!r} must be {treatment!r} or {control!r}; {int(bad.sum())} rows are not, "
                         f"e.g. {labels[bad].astype(str).unique()[:3].tolist()}")
    y = pd.to_numeric(df[outcome], errors="coerce")
    if y.isna().any():
        raise ValueError(f"column {outcome!r} has {int(y.isna().sum())} missing or non-numeric values")
    if kind == "proportion" and not y.isin([0, 1]).all():
        bad_y = ~y.isin([0, 1])
        raise ValueError(f"column {outcome!r} must be 0/1 for kind='proportion'; {int(bad_y.sum())} rows are not, "
                         f"e.g. {y[bad_y].unique()[:3].tolist()}")
    if kind not in {"proportion", "mean"}:
        raise ValueError(f"kind must be 'proportion' or 'mean'; got {kind!r}")
    work = df[by].copy()
    work["_y"] = y.to_numpy(dtype=float)
    work["_g"] = np.where(labels == treatment, "t", "c")
    agg = work.groupby([*by, "_g"], observed=True)["_y"].agg(["size", "mean", "var", "sum"]).unstack("_g")
    n_t, n_c = agg[("size", "t")], agg[("size", "c")]
    if n_t.isna().any() or n_c.isna().any():
        empty = agg.index[n_t.isna() | n_c.isna()].tolist()[:3]
        raise ValueError(f"a group of size zero: campaigns {empty} lack a treatment or a control group")
    m_t, m_c = agg[("mean", "t")], agg[("mean", "c")]
    diff = m_t - m_c
    zc = _z_crit(alpha, "two-sided")
    if kind == "proportion":
        se = np.sqrt(m_t * (1 - m_t) / n_t + m_c * (1 - m_c) / n_c)
        pool = (agg[("sum", "t")] + agg[("sum", "c")]) / (n_t + n_c)
        se0 = np.sqrt(pool * (1 - pool) * (1 / n_t + 1 / n_c))
        stat = (diff / se0).where(se0 > 0, 0.0)
        pval = pd.Series(2 * stats.norm.sf(np.abs(stat)), index=agg.index)
        half = zc * se
    else:
        v_t, v_c = agg[("var", "t")] / n_t, agg[("var", "c")] / n_c
        se = np.sqrt(v_t + v_c)
        dof = (v_t + v_c) ** 2 / (v_t**2 / (n_t - 1) + v_c**2 / (n_c - 1))
        stat = diff / se
        pval = pd.Series(2 * stats.t.sf(np.abs(stat), dof), index=agg.index)
        half = stats.t.isf(alpha / 2, dof) * se
    out = pd.DataFrame({
        "n_treatment": n_t.astype("int64"), "n_control": n_c.astype("int64"),
        "treatment": m_t, "control": m_c, "difference": diff,
        "relative_difference": diff / m_c.where(m_c != 0),
        "std_error": se, "ci_low": diff - half, "ci_high": diff + half,
        "statistic": stat, "p_value": pval,
    })
    out.columns.name = None
    return out.reset_index()


def pre_period_features(members: pd.DataFrame, orders: pd.DataFrame, send_dates, *, windows=(90, 365),
                        sums: Sequence[str] = (), campaign_col: str = "campaign_id",
                        customer_col: str = "customer_id", order_col: str = "order_id",
                        date_col: str = "timestamp", amount_col: str = "amount",
                        margin_col: str = "margin") -> pd.DataFrame:
    """Each campaign member's purchase history **before** the send date, for CUPED and uplift models.

    Only orders strictly before the member's send date are used, so nothing the
    campaign caused can leak in. All campaigns are done at once with one merge
    (no loop over customers).

    Parameters
    ----------
    members : DataFrame
        One row per campaign and customer (``campaign_members``).
    orders : DataFrame
        Order lines; a return is its own order with a negative amount (euros).
    send_dates : Series or mapping
        Send date per campaign id (e.g. ``campaigns.set_index("campaign_id")["send_date"]``).
    windows : sequence of int
        Look-back windows in days for the windowed spend and order counts.
    sums : sequence of str
        Further numeric order-line columns to total over all history before the
        send date (e.g. ``discount``, or ``amount`` of one category made with
        ``orders.assign(...)``); returned as ``{column}_before``.

    Returns
    -------
    DataFrame
        ``members`` (same rows, same order) plus: ``days_since_last`` (days from
        the last purchase to the send date; NaN for no purchase before),
        ``orders_before`` (purchase orders ever before), ``spend_before`` and
        ``margin_before`` (euros net of returns, ever before), and per window
        ``w`` days ``spend_{w}d``, ``margin_{w}d`` (euros) and ``orders_{w}d``.
        ``attrs["members_without_history"]`` counts members with no order
        before the send date (kept, with zeros).
    """
    for name, frame, cols in (("members", members, [campaign_col, customer_col]),
                              ("orders", orders, [customer_col, order_col, date_col, amount_col, margin_col,
                                                  *sums])):
        require_columns(frame, cols, name)
    send = pd.Series(send_dates)
    send = pd.Series(pd.to_datetime(send.to_numpy()), index=send.index)
    unknown = ~members[campaign_col].isin(send.index)
    if unknown.any():
        raise ValueError(f"members: {int(unknown.sum())} rows have a {campaign_col} without a send date, "
                         f"e.g. {members.loc[unknown, campaign_col].unique()[:3].tolist()}")
    extra = {f"{c}_before": (c, "sum") for c in sums}
    per_order = (orders.groupby([customer_col, order_col], sort=False)
                 .agg(_date=(date_col, "min"), _amount=(amount_col, "sum"), _margin=(margin_col, "sum"), **extra)
                 .reset_index(level=order_col, drop=True).reset_index())
    keys = members[[campaign_col, customer_col]].copy()
    keys["_row"] = np.arange(len(keys))
    keys["_send"] = send.reindex(keys[campaign_col]).to_numpy()
    hist = keys.merge(per_order, on=customer_col, how="inner")
    hist = hist[hist["_date"] < hist["_send"]]
    age = (hist["_send"] - hist["_date"]).dt.total_seconds() / 86_400
    hist = hist.assign(_age=age, _purchase=(hist["_amount"] > 0).astype("int64"))
    g = hist.groupby("_row")
    out = pd.DataFrame(index=pd.RangeIndex(len(keys)))
    last = hist[hist["_purchase"] == 1].groupby("_row")["_age"].min()
    out["days_since_last"] = np.floor(last).reindex(out.index)
    out["orders_before"] = g["_purchase"].sum().reindex(out.index, fill_value=0)
    out["spend_before"] = g["_amount"].sum().reindex(out.index, fill_value=0.0)
    out["margin_before"] = g["_margin"].sum().reindex(out.index, fill_value=0.0)
    for name in extra:
        out[name] = g[name].sum().reindex(out.index, fill_value=0.0)
    for w in windows:
        recent = hist[hist["_age"] <= w].groupby("_row")
        out[f"spend_{w}d"] = recent["_amount"].sum().reindex(out.index, fill_value=0.0)
        out[f"margin_{w}d"] = recent["_margin"].sum().reindex(out.index, fill_value=0.0)
        out[f"orders_{w}d"] = recent["_purchase"].sum().reindex(out.index, fill_value=0)
    result = pd.concat([members.reset_index(drop=True), out], axis=1)
    result.index = members.index
    result.attrs["members_without_history"] = int(out["days_since_last"].isna().sum())
    return result
