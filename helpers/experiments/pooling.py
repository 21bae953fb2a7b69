"""Many campaigns at once: adjusted p-values and pooled (meta-analytic) effects.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure.
*Scandinavian Journal of Statistics* 6, 65–70.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate.
*JRSS B* 57(1), 289–300.
DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials.
*Controlled Clinical Trials* 7, 177–188.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ._common import IntervalEstimate, _as_values, _check_probability, _z_crit

__all__ = ["adjust_pvalues", "PooledResult", "pool_effects"]


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Adjust p-values for testing many campaigns at once.

    ``"holm"`` (Holm 1979) controls the family-wise error rate: the chance of
    even one false "success". ``"fdr_bh"`` (Benjamini & Hochberg 1995) controls
    the false discovery rate: the expected share of false successes among the
    declared ones. ``"bonferroni"`` multiplies by the number of tests. Results
    equal ``statsmodels.stats.multitest.multipletests``.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order; compare them with alpha.
    """
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0:
        raise ValueError("p_values is empty")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        raise ValueError(f"p_values must lie in [0, 1]; {int(bad.sum())} do not, e.g. {p[bad][:3].tolist()}")
    m = p.size
    order = np.argsort(p, kind="stable")
    ps = p[order]
    if method == "bonferroni":
        adj_sorted = np.minimum(ps * m, 1.0)
    elif method == "holm":
        adj_sorted = np.minimum(np.maximum.accumulate(ps * (m - np.arange(m))), 1.0)
    elif method == "fdr_bh":
        adj_sorted = np.minimum(np.minimum.accumulate((ps * m / np.arange(1, m + 1))[::-1])[::-1], 1.0)
    else:
        raise ValueError(f"method must be 'holm', 'fdr_bh' or 'bonferroni'; got {method!r}")
    out = np.empty(m)
    out[order] = adj_sorted
    return out


@dataclass(frozen=True)
class PooledResult(IntervalEstimate):
    """A meta-analytic pooled effect and the heterogeneity between campaigns.

    ``estimate`` in the units of the pooled effects, with the fields of
    :class:`IntervalEstimate` (interval at level ``1 − alpha``, z ``statistic``);
    ``weights`` (a read-only array) sum to 1, in the input order.
    """

    tau2: float
    q: float
    q_p_value: float
    i2: float
    k: int
    method: str
    weights: np.ndarray = field(compare=False)


def pool_effects(estimates, std_errors, method: str = "random", alpha: float = 0.05) -> PooledResult:
    """Pool the effects of several campaigns (inverse-variance meta-analysis).

    ``"fixed"``: every campaign estimates the same true effect; weights
    ``1 / se²``. ``"random"``: true effects vary between campaigns with variance
    τ² (DerSimonian & Laird 1986 moment estimator); weights ``1 / (se² + τ²)``.
    The result equals ``statsmodels.stats.meta_analysis.combine_effects``
    (``method_re="chi2"``).

    Parameters
    ----------
    estimates, std_errors : array-like
        One effect and its standard error per campaign (same units, e.g. shares
        of conversion or euros per customer).

    Returns
    -------
    PooledResult
        Pooled ``estimate``, ``std_error``, interval, z and p, ``tau2``, Cochran's
        ``q`` and its p-value, ``i2`` (share of variation due to real differences
        between campaigns, 0–1), ``k`` campaigns and the normalised ``weights``.
    """
    y = _as_values("estimates", estimates)
    se = _as_values("std_errors", std_errors)
    if y.size != se.size:
        raise ValueError(f"estimates has {y.size} values but std_errors has {se.size}: lengths must match")
    if (se <= 0).any():
        raise ValueError(f"std_errors must be positive; {int((se <= 0).sum())} are not")
    if method not in {"fixed", "random"}:
        raise ValueError(f"method must be 'fixed' or 'random'; got {method!r}")
    _check_probability("alpha", alpha)
    k = y.size
    w = 1 / se**2
    mu_fixed = np.sum(w * y) / w.sum()
    q = float(np.sum(w * (y - mu_fixed) ** 2))
    q_p = float(stats.chi2.sf(q, k - 1)) if k > 1 else np.nan
    c = w.sum() - np.sum(w**2) / w.sum()
    tau2 = max(0.0, (q - (k - 1)) / c) if k > 1 else 0.0
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    if method == "random":
        w = 1 / (se**2 + tau2)
    mu = float(np.sum(w * y) / w.sum())
    se_mu = float(np.sqrt(1 / w.sum()))
    zc = _z_crit(alpha, "two-sided")
    z = mu / se_mu
    weights = w / w.sum()
    weights.setflags(write=False)
    return PooledResult(estimate=mu, std_error=se_mu, ci_low=float(mu - zc * se_mu), ci_high=float(mu + zc * se_mu),
                        statistic=float(z), p_value=float(2 * stats.norm.sf(abs(z))), alpha=float(alpha),
                        tau2=float(tau2 if method == "random" else 0.0), q=q, q_p_value=q_p, i2=float(i2), k=int(k),
                        method=method, weights=weights)
