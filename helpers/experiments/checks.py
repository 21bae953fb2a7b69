"""Checking the split before measuring anything: the sample-ratio-mismatch test.

References
----------
Kohavi, R., Tang, D. & Xu, Y. (2020). *Trustworthy Online Controlled Experiments*,
Cambridge University Press (sample-ratio mismatch, ch. 21).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._common import _check_probability

__all__ = ["SRMResult", "srm_test"]


@dataclass(frozen=True)
class SRMResult:
    """Sample-ratio-mismatch test: chi-square goodness of fit of the group counts."""

    statistic: float
    p_value: float
    df: int
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    alpha: float

    @property
    def mismatch(self) -> bool:
        """True when the split differs from the plan beyond chance (``p_value < alpha``)."""
        return self.p_value < self.alpha


def srm_test(counts, expected_shares, alpha: float = 0.001) -> SRMResult:
    """Check that the groups have the planned sizes (sample-ratio mismatch, SRM).

    A chi-square goodness-of-fit test of the observed group counts against the
    planned shares (Kohavi, Tang & Xu 2020, ch. 21). Run it *before* measuring
    anything: a mismatch means the assignment or the data pipeline is broken and
    no effect estimate can be trusted. The customary threshold is p < 0.001,
    because the test is run on every experiment and a false alarm is costly.

    Parameters
    ----------
    counts : sequence of int or Series
        Customers per group, e.g. ``[n_treatment, n_control]``.
    expected_shares : sequence of float
        The planned shares, in the same order; must sum to 1.
    alpha : float
        Threshold below which :attr:`SRMResult.mismatch` is True.

    Returns
    -------
    SRMResult
        ``statistic``, ``p_value``, degrees of freedom, observed and expected counts.
    """
    obs = np.asarray(counts, dtype=float).ravel()
    shares = np.asarray(expected_shares, dtype=float).ravel()
    if obs.size != shares.size:
        raise ValueError(f"counts has {obs.size} groups but expected_shares has {shares.size}: lengths must match")
    if obs.size < 2:
        raise ValueError("srm_test needs at least two groups")
    if (obs < 0).any() or not np.all(np.isfinite(obs)) or np.any(obs != np.round(obs)):
        raise ValueError(f"counts must be non-negative whole numbers; got {obs.tolist()}")
    if obs.sum() == 0:
        raise ValueError("all groups are of size zero")
    if (shares <= 0).any() or (shares >= 1).any() or not np.isclose(shares.sum(), 1.0, atol=1e-6):
        raise ValueError(f"expected_shares must be proportions in (0, 1) that sum to 1; got {shares.tolist()}")
    _check_probability("alpha", alpha)
    expected = shares / shares.sum() * obs.sum()
    stat, p = stats.chisquare(obs, expected)
    return SRMResult(statistic=float(stat), p_value=float(p), df=int(obs.size - 1),
                     observed=tuple(int(c) for c in obs), expected=tuple(float(e) for e in expected),
                     alpha=float(alpha))

