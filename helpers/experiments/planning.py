"""Planning a campaign test: power, sample size, the minimum detectable effect and the lot.

How large must the control group be, or what is the smallest effect a given
split can see? Normal-approximation formulas for conversion rates (Fleiss,
Levin & Paik 2003) and the noncentral t for means (Cohen 1988).

Sidedness: one convention for every function here
---------------------------------------------------
A two-sided test at level ``alpha`` rejects in two tails. The **power** of the
functions here counts only the tail **in the direction of the assumed effect**:
it is the probability of a significant result *that points the right way*.
So the two-sided power at ``alpha`` equals the one-sided power at ``alpha / 2``.
This is R's convention (``power.prop.test`` and ``power.t.test`` with their
default ``strict = FALSE``) and the one built into the closed-form sample-size
formulas of Fleiss, Levin & Paik (2003) and Cohen (1988), so every closed
form below is the exact inverse of its power function.

Why this one: a campaign "detected" with the wrong sign (control beats
treatment although the message works) is not a detection a marketer can act
on, and counting it would make the sample sizes slightly too small.
statsmodels' ``TTestIndPower`` and ``NormalIndPower`` count both tails
(``strict = TRUE`` in R's words). At alpha = 0.05 and power 0.80 the far
tail adds about 1e-6 to the power (Φ(−4.76)), and the planned group sizes of
Cohen's (1992) table differ by less than a thousandth of a customer.

References
----------
Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed.
Cohen, J. (1992). A power primer. *Psychological Bulletin* 112(1), 155–159.
Kohavi, R., Tang, D. & Xu, Y. (2020). *Trustworthy Online Controlled Experiments*,
Cambridge University Press (randomisation, stratified assignment).
Fleiss, J. L., Levin, B. & Paik, M. C. (2003). *Statistical Methods for Rates and
Proportions*, 3rd ed., ch. 4 (sample size for two proportions).
R Core Team. ``power.prop.test`` and ``power.t.test``, package *stats* (argument ``strict``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from helpers import columns, vocabulary
from helpers._checks import require_columns

from ._common import _check_alternative, _check_positive, _check_probability, _z_crit

__all__ = ["power_proportions", "sample_size_proportions", "power_means", "sample_size_means",
           "minimum_detectable_effect", "control_share_table", "assign_groups"]

TREATMENT, CONTROL = vocabulary.GROUPS


def _directed(effect: float, alternative: str) -> float:
    """The effect measured in the direction the test looks for (positive = towards the alternative).

    Two-sided: the size of the effect (the tail on the effect's side, see the
    module's note on sidedness). One-sided: the signed effect, negative when it
    points against the alternative.
    """
    if alternative == "two-sided":
        return abs(effect)
    return effect if alternative == "larger" else -effect


def power_proportions(p_control: float, p_treatment: float, n_control: float, ratio: float = 1.0,
                      alpha: float = 0.05, alternative: str = "two-sided", variance: str = "pooled") -> float:
    """Power of the two-proportion z-test for given group sizes.

    Parameters
    ----------
    p_control, p_treatment : float
        Conversion rates (shares, 0–1) assumed in the control and treatment group.
    n_control : float
        Customers in the control group; the treatment group has ``ratio * n_control``.
    ratio : float
        Treatment size / control size (e.g. 19 for a 5 % control group).
    alpha : float
        Significance level.
    alternative : {"two-sided", "larger", "smaller"}
        As in the test that will be run ("larger": treatment converts more).
        Two-sided power counts only the tail in the direction of the effect
        (the module's one sidedness convention; R's ``power.prop.test`` with
        ``strict = FALSE``).
    variance : {"pooled", "unpooled"}
        ``"pooled"``: the null-hypothesis variance uses the pooled rate (Fleiss,
        Levin & Paik 2003, eq. 4.14; with ``ratio=1`` identical to R's
        ``power.prop.test``). ``"unpooled"``: both terms use the separate rates.

    Returns
    -------
    float
        Probability (0–1) of a significant result in the direction of the
        effect if the assumed rates are true.
    """
    p_c = _check_probability("p_control", p_control)
    p_t = _check_probability("p_treatment", p_treatment)
    n_c = _check_positive("n_control", n_control)
    k = _check_positive("ratio", ratio)
    _check_probability("alpha", alpha)
    _check_alternative(alternative)
    delta = _directed(p_t - p_c, alternative)
    sd_alt = np.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / (k * n_c))
    sd_null = _sd_null(p_c, p_t, n_c, k, variance)
    z = (delta - _z_crit(alpha, alternative) * sd_null) / sd_alt
    return float(stats.norm.cdf(z))


def _sd_null(p_c: float, p_t: float, n_c: float, k: float, variance: str) -> float:
    if variance == "pooled":
        p_bar = (p_c + k * p_t) / (1 + k)
        return float(np.sqrt(p_bar * (1 - p_bar) * (1 / n_c + 1 / (k * n_c))))
    if variance == "unpooled":
        return float(np.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / (k * n_c)))
    raise ValueError(f"variance must be 'pooled' or 'unpooled'; got {variance!r}")


def sample_size_proportions(p_control: float, p_treatment: float, alpha: float = 0.05, power: float = 0.8,
                            ratio: float = 1.0, alternative: str = "two-sided",
                            variance: str = "pooled") -> float:
    """Customers needed in the **control** group to detect a change in conversion.

    Closed-form normal-approximation formula (Fleiss, Levin & Paik 2003, eq. 4.14)::

        n_c = [z_a * sqrt(p̄ q̄ (1 + 1/k)) + z_b * sqrt(p_c q_c + p_t q_t / k)]² / (p_t − p_c)²

    with ``k = ratio``, ``z_a`` the critical value (``alpha / 2`` per tail when
    two-sided) and ``p̄ = (p_c + k p_t) / (1 + k)`` the **pooled** rate under
    the null hypothesis. It is the exact inverse of :func:`power_proportions`
    (one tail counted, see the module's note on sidedness). With ``ratio=1``
    this is exactly R's ``power.prop.test`` (its help page: p = 0.50 vs 0.75,
    power 0.90 → n = 76.7 per group). With ``variance="unpooled"`` both terms
    use ``p_c q_c + p_t q_t / k``, which equals statsmodels' ``NormalIndPower``
    (one-sided) with the effect size standardised by the unpooled standard
    deviation. No continuity correction.

    Parameters
    ----------
    p_control, p_treatment : float
        Expected conversion rates (0–1, exclusive) without and with the message.
    alpha, power : float
        Significance level and wanted power.
    ratio : float
        Treatment size / control size: a 5 % control group is ``ratio=19``.
    alternative : {"two-sided", "larger", "smaller"}
    variance : {"pooled", "unpooled"}

    Returns
    -------
    float
        Customers in the control group, **not rounded** (round up to plan; the
        treatment group needs ``ratio`` times as many).
    """
    p_c = _check_probability("p_control", p_control)
    p_t = _check_probability("p_treatment", p_treatment)
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    k = _check_positive("ratio", ratio)
    _check_alternative(alternative)
    if p_c == p_t:
        raise ValueError("p_control and p_treatment are equal: no effect to detect needs infinitely many customers")
    if _directed(p_t - p_c, alternative) < 0:
        raise ValueError(f"p_treatment={p_t!r} vs p_control={p_c!r} points against alternative={alternative!r}")
    z_a, z_b = _z_crit(alpha, alternative), stats.norm.ppf(power)
    sd_null = _sd_null(p_c, p_t, 1.0, k, variance)
    sd_alt = np.sqrt(p_c * (1 - p_c) + p_t * (1 - p_t) / k)
    return float((z_a * sd_null + z_b * sd_alt) ** 2 / (p_t - p_c) ** 2)


def power_means(effect: float, sd: float, n_control: float, ratio: float = 1.0, alpha: float = 0.05,
                alternative: str = "two-sided", method: str = "t") -> float:
    """Power of the two-sample test of means (t: noncentral t; normal: z approximation).

    Parameters
    ----------
    effect : float
        Assumed difference in means, treatment minus control, in the outcome's
        units (e.g. euros of revenue per customer).
    sd : float
        Standard deviation of the outcome per customer (same units).
    n_control : float
        Customers in the control group; the treatment group has ``ratio * n_control``.
    ratio, alpha, alternative
        As in :func:`power_proportions`. Two-sided power counts only the tail in
        the direction of the effect (the module's one sidedness convention; R's
        ``power.t.test`` with ``strict = FALSE``). statsmodels' ``TTestIndPower``
        adds the far tail; its one-sided power at ``alpha / 2`` equals this.
    method : {"t", "normal"}
        Noncentral t with ``n_c + n_t − 2`` degrees of freedom (Cohen 1988,
        ch. 2), or the normal approximation.

    Returns
    -------
    float
        Probability (0–1) of a significant result in the direction of the effect.
    """
    _check_positive("sd", sd)
    n_c = _check_positive("n_control", n_control)
    k = _check_positive("ratio", ratio)
    _check_probability("alpha", alpha)
    _check_alternative(alternative)
    n_t = k * n_c
    ncp = _directed(effect / sd, alternative) * np.sqrt(n_c * n_t / (n_c + n_t))
    if method == "normal":
        return float(stats.norm.sf(_z_crit(alpha, alternative) - ncp))
    if method != "t":
        raise ValueError(f"method must be 't' or 'normal'; got {method!r}")
    df = n_c + n_t - 2
    if df <= 0:
        raise ValueError(f"n_control={n_control} with ratio={ratio} leaves no degrees of freedom")
    crit = stats.t.isf(alpha / 2 if alternative == "two-sided" else alpha, df)
    return float(stats.nct.sf(crit, df, ncp))


def sample_size_means(effect: float, sd: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                      alternative: str = "two-sided", method: str = "t") -> float:
    """Customers needed in the **control** group to detect a difference in means.

    Parameters
    ----------
    effect : float
        The difference in means to detect, in the outcome's units (euros of
        revenue per customer, say). ``effect / sd`` is Cohen's *d*.
    sd : float
        Standard deviation of the outcome per customer (same units).
    alpha, power, ratio, alternative
        As in :func:`sample_size_proportions` (one tail counted, see the
        module's note on sidedness).
    method : {"t", "normal"}
        ``"t"`` solves the exact noncentral-t power equation of
        :func:`power_means` (Cohen 1988, ch. 2); ``"normal"`` is the closed form
        ``n_c = (z_a + z_b)² sd² (1 + 1/k) / effect²``, the exact inverse of
        :func:`power_means` with ``method="normal"``.

    Returns
    -------
    float
        Customers in the control group, not rounded. Cohen's (1992) table gives
        the t solution rounded to the nearest integer: d = 0.2 / 0.5 / 0.8 →
        393 / 64 / 26 per group at α = 0.05, power 0.80.
    """
    if not np.isfinite(effect) or effect == 0:
        raise ValueError(f"effect must be a non-zero number; got {effect!r}")
    _check_positive("sd", sd)
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    k = _check_positive("ratio", ratio)
    _check_alternative(alternative)
    if _directed(effect, alternative) < 0:
        raise ValueError(f"effect {effect!r} points against alternative={alternative!r}")
    z_a, z_b = _z_crit(alpha, alternative), stats.norm.ppf(power)
    n_normal = (z_a + z_b) ** 2 * sd**2 * (1 + 1 / k) / effect**2
    if method == "normal":
        return float(n_normal)
    if method != "t":
        raise ValueError(f"method must be 't' or 'normal'; got {method!r}")

    def gap(n: float) -> float:
        return power_means(effect, sd, n, ratio, alpha, alternative) - power

    low = 3.0 / (1 + k)  # one degree of freedom
    high = n_normal * 2 + 10
    if gap(low) > 0:
        return float(low)
    return float(optimize.brentq(gap, low, high, xtol=1e-10))


def minimum_detectable_effect(n_control: float, n_treatment: float | None = None, *, sd: float | None = None,
                              p_control: float | None = None, alpha: float = 0.05, power: float = 0.8,
                              alternative: str = "two-sided", variance: str = "pooled") -> float:
    """Smallest true effect that a split detects with the wanted power.

    Give ``sd`` for a difference in means (returns the effect in the outcome's
    units, normal approximation ``(z_a + z_b) sd sqrt(1/n_c + 1/n_t)``), or
    ``p_control`` for a conversion rate (returns the **absolute** increase in the
    rate, in shares, solved exactly from :func:`power_proportions`). Both count
    one tail (the module's note on sidedness).

    Parameters
    ----------
    n_control, n_treatment : float
        Group sizes. ``n_treatment`` defaults to ``n_control``.
    sd : float, optional
        Standard deviation per customer of the outcome (euros).
    p_control : float, optional
        Conversion rate of the control group (0–1).
    alpha, power, alternative, variance
        As in :func:`sample_size_proportions`.

    Returns
    -------
    float
        The minimum detectable effect (MDE), a positive number (an increase).
    """
    n_c = _check_positive("n_control", n_control)
    n_t = n_c if n_treatment is None else _check_positive("n_treatment", n_treatment)
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    _check_alternative(alternative)
    if (sd is None) == (p_control is None):
        raise ValueError("give exactly one of sd (difference in means) or p_control (conversion rate)")
    z_a, z_b = _z_crit(alpha, alternative), stats.norm.ppf(power)
    if sd is not None:
        _check_positive("sd", sd)
        return float((z_a + z_b) * sd * np.sqrt(1 / n_c + 1 / n_t))
    p_c = _check_probability("p_control", p_control)
    k = n_t / n_c
    test = "two-sided" if alternative == "two-sided" else "larger"  # the MDE is an increase

    def gap(delta: float) -> float:
        return power_proportions(p_c, p_c + delta, n_c, k, alpha, test, variance) - power

    high = 1 - p_c - 1e-12
    if gap(high) < 0:
        raise ValueError(f"even a rise from {p_c:.3f} to 1 is not detectable with n_control={n_c:g}, "
                         f"n_treatment={n_t:g}")
    return float(optimize.brentq(gap, 1e-12, high, xtol=1e-12))


def control_share_table(audience: int, control_shares: Sequence[float], *, p_control: float,
                        sd: float | None = None, effect_per_member: float | None = None, alpha: float = 0.05,
                        power: float = 0.8) -> pd.DataFrame:
    """What each control-group share of one campaign can see, and what it gives up.

    For an audience of ``audience`` customers split into a control group of
    share ``s`` and a treatment group of the rest: the minimum detectable effect
    on conversion (:func:`minimum_detectable_effect` with ``p_control``), on a
    mean outcome such as revenue per customer (with ``sd``), and the outcome the
    control group forgoes if the campaign works as well as ``effect_per_member``
    (for instance the pooled margin effect of past campaigns, euros per member).

    Parameters
    ----------
    audience : int
        Customers the campaign goes to, control group included.
    control_shares : sequence of float
        Control shares to compare, each strictly between 0 and 1.
    p_control : float
        Conversion rate without the message (0–1), e.g. past control groups' rate.
    sd : float, optional
        Standard deviation per customer of the mean outcome (euros).
    effect_per_member : float, optional
        Effect per contacted member (euros) the control group gives up.
    alpha, power : float
        As in :func:`minimum_detectable_effect`.

    Returns
    -------
    DataFrame
        One row per share (index ``control_share``): ``n_control``, ``n_treatment``
        (customers, rounded), ``mde_conversion`` (an absolute rise, in shares),
        and when given ``mde_mean`` (units of ``sd``) and ``given_up`` (units of
        ``effect_per_member``, over the whole control group).
    """
    n = _check_positive("audience", audience)
    rows = []
    for share in control_shares:
        share = _check_probability("control share", share)
        n_c, n_t = share * n, (1 - share) * n
        row = {"control_share": share, "n_control": round(n_c), "n_treatment": round(n_t),
               "mde_conversion": minimum_detectable_effect(n_c, n_t, p_control=p_control, alpha=alpha,
                                                           power=power)}
        if sd is not None:
            row["mde_mean"] = minimum_detectable_effect(n_c, n_t, sd=sd, alpha=alpha, power=power)
        if effect_per_member is not None:
            row["given_up"] = n_c * float(effect_per_member)
        rows.append(row)
    return pd.DataFrame(rows).set_index("control_share")


def assign_groups(units: pd.DataFrame, control_share: float, strata: Sequence[str] = (),
                  random_state=None, group_col: str = columns.GROUP) -> pd.Series:
    """Draw the control group by lot, separately within each stratum (stratified random assignment).

    Every unit (customer) gets a random number; within each stratum (a
    combination of the ``strata`` columns, a missing value being a stratum of
    its own) the lowest ``share × size`` become the control group. The fraction
    left by a stratum's size is rounded up or down by a lot of its own, so that
    the expected share is exact even in strata of a few customers, and every
    stratum holds its planned share up to one customer (Kohavi, Tang & Xu 2020).

    Parameters
    ----------
    units : DataFrame
        One row per customer to be assigned.
    control_share : float
        Planned control share, strictly between 0 and 1.
    strata : sequence of str
        Columns of ``units`` to stratify by (e.g. ``["age_band", "area_type"]``);
        empty = one stratum (a plain lot with the exact share).
    random_state : int or numpy Generator, optional
        The same seed gives the same groups.
    group_col : str
        Name of the returned Series (default: the data contract's ``group``).

    Returns
    -------
    Series
        ``"treatment"`` or ``"control"`` (``vocabulary.GROUPS``) per row of ``units``, same index.
    """
    share = _check_probability("control_share", control_share)
    strata = list(strata)
    require_columns(units, strata, "units")
    rng = np.random.default_rng(random_state)
    if strata:
        stratum = units[strata].astype(object).fillna("(missing)").groupby(strata, sort=False).ngroup()
        stratum = stratum.to_numpy()
    else:
        stratum = np.zeros(len(units), dtype=int)
    draws = pd.Series(rng.random(len(units)))
    rank = draws.groupby(stratum).rank(method="first").to_numpy()
    size = np.bincount(stratum)
    n_control = np.floor(size * share + rng.random(size.size))  # randomised rounding: exact expected share
    is_control = rank <= n_control[stratum]
    return pd.Series(np.where(is_control, CONTROL, TREATMENT), index=units.index, name=group_col)
