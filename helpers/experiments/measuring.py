"""Measuring one campaign: conversion, revenue, bootstrap, CUPED, return in euros, and every campaign at once.

Differences are always *treatment minus control*, in the outcome's units
(shares for conversion, euros for revenue and margin). Every result names its
point estimate ``estimate`` and its interval ``ci_low`` / ``ci_high`` at level
``1 − alpha``, with ``std_error`` and ``p_value`` where a test is made.

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

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers import columns, vocabulary
from helpers._checks import as_timestamp, examples, require_columns, require_dates

from ._common import IntervalEstimate, _as_values, _check_n, _check_probability, _z_crit

__all__ = ["ComparisonResult", "compare_proportions", "compare_means", "BootstrapResult", "bootstrap_ci",
           "CupedResult", "cuped", "RoiResult", "campaign_roi", "compare_by", "pre_period_features"]

TREATMENT, CONTROL = vocabulary.GROUPS


@dataclass(frozen=True)
class ComparisonResult(IntervalEstimate):
    """Treatment minus control, with a confidence interval and a test.

    ``estimate`` is the difference, in the outcome's units (shares for
    conversion, euros for revenue), with ``std_error``, ``ci_low``, ``ci_high``,
    ``statistic``, ``p_value`` and ``alpha`` (:class:`IntervalEstimate`);
    ``relative_difference`` is ``estimate / control`` (a share); ``treatment``
    and ``control`` are the groups' rates or means.
    """

    relative_difference: float
    treatment: float
    control: float
    n_treatment: int
    n_control: int
    method: str


def _proportion_test(x_t, n_t, x_c, n_c, alpha: float) -> dict:
    """Two proportions (scalars or aligned Series): Wald interval and pooled z-test, two-sided."""
    p_t, p_c = x_t / n_t, x_c / n_c
    diff = p_t - p_c
    se = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    p_pool = (x_t + x_c) / (n_t + n_c)
    se0 = np.sqrt(p_pool * (1 - p_pool) * (1 / n_t + 1 / n_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se0 > 0, diff / se0, 0.0)  # no conversions at all (or all converted): no evidence
    half = _z_crit(alpha, "two-sided") * se
    return {"treatment": p_t, "control": p_c, "estimate": diff, "std_error": se, "ci_low": diff - half,
            "ci_high": diff + half, "statistic": z, "p_value": 2 * stats.norm.sf(np.abs(z))}


def _welch_test(m_t, var_t, n_t, m_c, var_c, n_c, alpha: float) -> dict:
    """Two means (scalars or aligned Series) from means, sample variances (ddof 1) and sizes: Welch, two-sided."""
    s_t, s_c = var_t / n_t, var_c / n_c
    diff = m_t - m_c
    se = np.sqrt(s_t + s_c)
    dof = (s_t + s_c) ** 2 / (s_t**2 / (n_t - 1) + s_c**2 / (n_c - 1))
    stat = diff / se
    half = stats.t.isf(alpha / 2, dof) * se
    return {"treatment": m_t, "control": m_c, "estimate": diff, "std_error": se, "ci_low": diff - half,
            "ci_high": diff + half, "statistic": stat, "p_value": 2 * stats.t.sf(np.abs(stat), dof)}


def _comparison(test: dict, n_t: int, n_c: int, alpha: float, method: str) -> ComparisonResult:
    control = float(test["control"])
    relative = float(test["estimate"]) / control if control != 0 else np.nan
    numbers = {k: float(v) for k, v in test.items() if k not in ("treatment", "control")}
    return ComparisonResult(**numbers, alpha=float(alpha), relative_difference=float(relative),
                            treatment=float(test["treatment"]), control=control, n_treatment=int(n_t),
                            n_control=int(n_c), method=method)


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
        ``estimate`` in shares (0.012 = 1.2 percentage points), ``relative_difference``
        as a share of the control rate.
    """
    n_t, n_c = _check_n("n_treatment", n_treatment), _check_n("n_control", n_control)
    for name, s, n in (("successes_treatment", successes_treatment, n_t),
                       ("successes_control", successes_control, n_c)):
        if not float(s).is_integer() or s < 0 or s > n:
            raise ValueError(f"{name} must be a whole number between 0 and its group size {n}; got {s!r}")
    _check_probability("alpha", alpha)
    test = _proportion_test(successes_treatment, n_t, successes_control, n_c, alpha)
    return _comparison(test, n_t, n_c, alpha, "z-test (pooled), Wald CI")


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

    Returns
    -------
    ComparisonResult
        ``estimate`` in the values' units (euros per customer).
    """
    y_t, y_c = _as_values("values_treatment", values_treatment), _as_values("values_control", values_control)
    if y_t.size < 2 or y_c.size < 2:
        raise ValueError(f"each group needs at least 2 customers; got {y_t.size} treatment and {y_c.size} control")
    _check_probability("alpha", alpha)
    m_t, m_c, var_t, var_c = y_t.mean(), y_c.mean(), y_t.var(ddof=1), y_c.var(ddof=1)
    if var_t == 0 and var_c == 0:  # both groups constant: the difference is known exactly
        diff = m_t - m_c
        test = {"treatment": m_t, "control": m_c, "estimate": diff, "std_error": 0.0, "ci_low": diff,
                "ci_high": diff, "statistic": 0.0 if diff == 0 else np.sign(diff) * np.inf,
                "p_value": 1.0 if diff == 0 else 0.0}
    else:
        test = _welch_test(m_t, var_t, y_t.size, m_c, var_c, y_c.size, alpha)
    return _comparison(test, y_t.size, y_c.size, alpha, "Welch t-test")


@dataclass(frozen=True)
class BootstrapResult:
    """A bootstrap estimate: the statistic on the data, bootstrap standard error, percentile interval."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    alpha: float
    n_resamples: int


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
    alpha : float
        1 − confidence level of the interval.
    random_state : int, optional
        Seed: the same seed gives the same interval.
    batch_size : int, optional
        Resamples drawn at once (default: as many as fit in about 20 million values).

    Returns
    -------
    BootstrapResult
        ``estimate`` (the statistic, or the difference, on the data, in the
        values' units), bootstrap ``std_error``, percentile ``ci_low``/``ci_high``.
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
    return BootstrapResult(estimate=estimate, std_error=float(boot.std(ddof=1)), ci_low=float(low),
                           ci_high=float(high), alpha=float(alpha), n_resamples=int(n_resamples))


@dataclass(frozen=True)
class CupedResult:
    """CUPED-adjusted outcomes (a read-only array) and how much variance the covariate removed."""

    adjusted: np.ndarray = field(compare=False)
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
        ``adjusted`` (same order as the input, read-only), ``theta`` and
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
    adjusted.setflags(write=False)
    return CupedResult(adjusted=adjusted, theta=float(theta), variance_reduction=reduction)


@dataclass(frozen=True)
class RoiResult:
    """What a campaign earned, in euros, with intervals at level ``1 − alpha``.

    ``incremental_margin`` is the margin the message caused over all contacted
    customers; ``profit = incremental_margin − cost``; ``roi = profit / cost``
    (0.5 = each euro spent came back with 50 cents on top; −1 = all lost).
    Each interval is named for its quantity (``profit_ci_low``, …); ``alpha``
    is the margin effect's (NaN when the effect was given as a plain number).
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
    alpha: float


def _effect_parts(effect) -> tuple[float, float, float, float]:
    """Estimate, interval and alpha of a result object, or a plain number (no interval)."""
    if hasattr(effect, "estimate"):
        return float(effect.estimate), float(effect.ci_low), float(effect.ci_high), float(effect.alpha)
    return float(effect), np.nan, np.nan, np.nan


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
    n = _check_n("n_contacted", n_contacted)
    if cost_per_contact < 0 or fixed_cost < 0:
        raise ValueError(f"costs must be non-negative; got cost_per_contact={cost_per_contact}, "
                         f"fixed_cost={fixed_cost}")
    estimate, low, high, alpha = _effect_parts(margin_effect)
    m, m_lo, m_hi = estimate * n, low * n, high * n
    revenue = _effect_parts(revenue_effect)[0] * n if revenue_effect is not None else np.nan
    cost = n * cost_per_contact + fixed_cost
    profit, p_lo, p_hi = m - cost, m_lo - cost, m_hi - cost

    def roi(value: float) -> float:
        return float(value / cost) if cost > 0 else np.nan

    return RoiResult(incremental_revenue=float(revenue), incremental_margin=float(m), margin_ci_low=float(m_lo),
                     margin_ci_high=float(m_hi), cost=float(cost), profit=float(profit), profit_ci_low=float(p_lo),
                     profit_ci_high=float(p_hi), roi=roi(profit), roi_ci_low=roi(p_lo), roi_ci_high=roi(p_hi),
                     alpha=alpha)


def _outcome_values(df: pd.DataFrame, outcome_col: str, kind: str) -> pd.Series:
    """The outcome column as numbers; 0/1 for ``kind="proportion"``; missing values refused."""
    if kind not in {"proportion", "mean"}:
        raise ValueError(f"kind must be 'proportion' or 'mean'; got {kind!r}")
    y = pd.to_numeric(df[outcome_col], errors="coerce")
    if y.isna().any():
        raise ValueError(f"df: column {outcome_col!r} has {int(y.isna().sum())} missing or non-numeric values "
                         f"of {len(y)}, e.g. {examples(df.loc[y.isna(), outcome_col])}")
    if kind == "proportion" and not y.isin([0, 1]).all():
        bad = ~y.isin([0, 1])
        raise ValueError(f"df: column {outcome_col!r} must be 0/1 for kind='proportion'; {int(bad.sum())} rows "
                         f"are not, e.g. {examples(y[bad])}")
    return y


def _group_summaries(df: pd.DataFrame, by: list[str], y: pd.Series, is_treatment: pd.Series) -> pd.DataFrame:
    """Size, mean, variance and sum of the outcome per campaign and group (columns ``(stat, "t"/"c")``)."""
    work = df[by].copy()
    work["_y"] = y.to_numpy(dtype=float)
    work["_g"] = np.where(is_treatment, "t", "c")
    agg = work.groupby([*by, "_g"], observed=True)["_y"].agg(["size", "mean", "var", "sum"]).unstack("_g")
    empty = agg[("size", "t")].isna() | agg[("size", "c")].isna()
    if empty.any():
        raise ValueError(f"a group of size zero: campaigns {agg.index[empty].tolist()[:3]} lack a treatment or "
                         f"a control group")
    return agg


def compare_by(df: pd.DataFrame, *, campaign_col: str | Sequence[str] = columns.CAMPAIGN,
               outcome_col: str = columns.CONVERTED, group_col: str = columns.GROUP, treatment: str = TREATMENT,
               control: str = CONTROL, kind: str = "proportion", alpha: float = 0.05) -> pd.DataFrame:
    """Treatment vs control for every campaign (or segment) at once, vectorised.

    Parameters
    ----------
    df : DataFrame
        One row per customer and campaign (e.g. ``campaign_members``).
    campaign_col : str or list of str
        Column(s) that define a campaign; a list such as ``[campaign_col, "age_band"]``
        gives one row per campaign and segment.
    outcome_col : str
        0/1 column for ``kind="proportion"`` (z-test as :func:`compare_proportions`),
        numeric column (euros) for ``kind="mean"`` (Welch as :func:`compare_means`).
    group_col, treatment, control : str
        Group column and its two labels (``vocabulary.GROUPS``); other labels raise an error.
    kind : {"proportion", "mean"}
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per campaign: ``n_treatment``, ``n_control``, ``treatment``, ``control``
        (rates or means), ``estimate`` (treatment minus control), ``relative_difference``
        (``estimate / control``), ``std_error``, ``ci_low``, ``ci_high``, ``statistic``,
        ``p_value``.
    """
    by = [campaign_col] if isinstance(campaign_col, str) else list(campaign_col)
    require_columns(df, [*by, outcome_col, group_col], "compare_by: df")
    _check_probability("alpha", alpha)
    labels = df[group_col]
    bad = ~labels.isin([treatment, control])
    if bad.any():
        raise ValueError(f"df: column {group_col!r} must be {treatment!r} or {control!r}; {int(bad.sum())} rows "
                         f"are not, e.g. {examples(labels[bad].astype(str))}")
    y = _outcome_values(df, outcome_col, kind)
    agg = _group_summaries(df, by, y, labels == treatment)
    n_t, n_c = agg[("size", "t")], agg[("size", "c")]
    if kind == "proportion":
        test = _proportion_test(agg[("sum", "t")], n_t, agg[("sum", "c")], n_c, alpha)
    else:
        test = _welch_test(agg[("mean", "t")], agg[("var", "t")], n_t, agg[("mean", "c")], agg[("var", "c")], n_c,
                           alpha)
    out = pd.DataFrame({"n_treatment": n_t.astype("int64"), "n_control": n_c.astype("int64"),
                        **{k: pd.Series(v, index=agg.index) for k, v in test.items()}})
    out.insert(5, "relative_difference", out["estimate"] / out["control"].where(out["control"] != 0))
    out.columns.name = None
    return out.reset_index()


def _send_dates(send_dates) -> pd.Series:
    """Send date per campaign id as Timestamps; text read as ISO or 31.12.2025 dates, nothing guessed."""
    send = pd.Series(send_dates)
    if not pd.api.types.is_datetime64_any_dtype(send):
        return pd.Series([as_timestamp(v, f"send_dates[{k!r}]") for k, v in send.items()], index=send.index)
    if send.isna().any():
        raise ValueError(f"send_dates: {int(send.isna().sum())} campaigns have no send date, "
                         f"e.g. {examples(send.index[send.isna()])}")
    return send.dt.tz_localize(None) if send.dt.tz is not None else send


def _orders_by_order(orders: pd.DataFrame, sums: Sequence[str], customer_col: str, order_col: str,
                     timestamp_col: str, amount_col: str, margin_col: str | None) -> pd.DataFrame:
    """One row per order: customer, first timestamp, euros of amount and margin, and the ``sums`` columns."""
    dates = require_dates(orders, timestamp_col, "orders")
    if getattr(orders[timestamp_col].dt, "tz", None) is not None:
        orders = orders.assign(**{timestamp_col: dates})
    extra = {f"{c}_before": (c, "sum") for c in sums}
    if not margin_col:  # no margin in the data: a zero column keeps one code path; dropped from the result
        orders, margin_col = orders.assign(_no_margin=0.0), "_no_margin"
    return (orders.groupby([customer_col, order_col], sort=False)
            .agg(_date=(timestamp_col, "min"), _amount=(amount_col, "sum"), _margin=(margin_col, "sum"), **extra)
            .reset_index(level=order_col, drop=True).reset_index())


def _orders_before_send(keys: pd.DataFrame, per_order: pd.DataFrame, customer_col: str) -> pd.DataFrame:
    """Every (member row, order) pair with the order strictly before the member's send date, and its age in days."""
    hist = keys.merge(per_order, on=customer_col, how="inner")
    hist = hist[hist["_date"] < hist["_send"]]
    age = (hist["_send"] - hist["_date"]).dt.total_seconds() / 86_400
    return hist.assign(_age=age, _purchase=(hist["_amount"] > 0).astype("int64"))


def _history_table(hist: pd.DataFrame, n_rows: int, sums_before: Sequence[str], windows) -> pd.DataFrame:
    """Per member row: recency, purchase orders, spend and margin ever before, and per look-back window."""
    g = hist.groupby("_row")
    out = pd.DataFrame(index=pd.RangeIndex(n_rows))
    last = hist[hist["_purchase"] == 1].groupby("_row")["_age"].min()
    out["days_since_last"] = np.floor(last).reindex(out.index)
    out["orders_before"] = g["_purchase"].sum().reindex(out.index, fill_value=0)
    out["spend_before"] = g["_amount"].sum().reindex(out.index, fill_value=0.0)
    out["margin_before"] = g["_margin"].sum().reindex(out.index, fill_value=0.0)
    for name in sums_before:
        out[name] = g[name].sum().reindex(out.index, fill_value=0.0)
    for w in windows:
        recent = hist[hist["_age"] <= w].groupby("_row")
        out[f"spend_{w}d"] = recent["_amount"].sum().reindex(out.index, fill_value=0.0)
        out[f"margin_{w}d"] = recent["_margin"].sum().reindex(out.index, fill_value=0.0)
        out[f"orders_{w}d"] = recent["_purchase"].sum().reindex(out.index, fill_value=0)
    return out


def pre_period_features(members: pd.DataFrame, orders: pd.DataFrame, send_dates, *, windows=(90, 365),
                        sums: Sequence[str] = (), campaign_col: str = columns.CAMPAIGN,
                        customer_col: str = columns.CUSTOMER, order_col: str = columns.ORDER,
                        timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT,
                        margin_col: str | None = columns.MARGIN) -> pd.DataFrame:
    """Each campaign member's purchase history **before** the send date, for CUPED and uplift models.

    Only orders strictly before the member's send date are used, so nothing the
    campaign caused can leak in. All campaigns are done at once with one merge
    (no loop over customers).

    Parameters
    ----------
    members : DataFrame
        One row per campaign and customer (``campaign_members``): ``campaign_col``, ``customer_col``.
    orders : DataFrame
        Order lines (``customer_col``, ``order_col``, ``timestamp_col`` as dates,
        ``amount_col`` and ``margin_col`` in euros); a return is its own order
        with a negative amount. A timestamp column still held as text is refused.
    send_dates : Series or mapping
        Send date per campaign id (e.g. ``campaigns.set_index("campaign_id")["send_date"]``);
        dates, or strings such as ``"2025-03-14"`` or ``"14.3.2025"``.
    windows : sequence of int
        Look-back windows in days for the windowed spend and order counts.
    sums : sequence of str
        Further numeric order-line columns to total over all history before the
        send date (e.g. ``discount``, or ``amount`` of one category made with
        ``orders.assign(...)``); returned as ``{column}_before``.
    campaign_col, customer_col, order_col, timestamp_col, amount_col : str
        Column names (defaults: the data contract's, :mod:`helpers.columns`).
    margin_col : str or None
        Margin column of the order lines; ``None`` for order lines without a
        margin (then no margin column is returned).

    Returns
    -------
    DataFrame
        ``members`` (same rows, same order) plus: ``days_since_last`` (days from
        the last purchase to the send date; NaN for no purchase before),
        ``orders_before`` (purchase orders ever before), ``spend_before`` and
        ``margin_before`` (euros net of returns, ever before), and per window
        ``w`` days ``spend_{w}d``, ``margin_{w}d`` (euros) and ``orders_{w}d``
        (no ``margin_…`` columns when ``margin_col`` is None).
        ``attrs["members_without_history"]`` counts members with no order
        before the send date (kept, with zeros).
    """
    require_columns(members, [campaign_col, customer_col], "members")
    needed = [customer_col, order_col, timestamp_col, amount_col, *([margin_col] if margin_col else []), *sums]
    require_columns(orders, needed, "orders")
    send = _send_dates(send_dates)
    unknown = ~members[campaign_col].isin(send.index)
    if unknown.any():
        raise ValueError(f"members: {int(unknown.sum())} rows have a {campaign_col} without a send date, "
                         f"e.g. {examples(members.loc[unknown, campaign_col])}")
    per_order = _orders_by_order(orders, sums, customer_col, order_col, timestamp_col, amount_col, margin_col)
    keys = members[[campaign_col, customer_col]].copy()
    keys["_row"] = np.arange(len(keys))
    keys["_send"] = send.reindex(keys[campaign_col]).to_numpy()
    hist = _orders_before_send(keys, per_order, customer_col)
    out = _history_table(hist, len(keys), [f"{c}_before" for c in sums], windows)
    if not margin_col:
        out = out.drop(columns=[c for c in out.columns if c.startswith("margin_")])
    result = pd.concat([members.reset_index(drop=True), out], axis=1)
    result.index = members.index
    result.attrs["members_without_history"] = int(out["days_since_last"].isna().sum())
    return result
