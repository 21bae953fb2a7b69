"""Checking the split before measuring anything: the sample-ratio-mismatch test.

References
----------
Kohavi, R., Tang, D. & Xu, Y. (2020). *Trustworthy Online Controlled Experiments*,
Cambridge University Press (sample-ratio mismatch, ch. 21).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers import columns, vocabulary
from helpers._checks import examples, require_columns

from ._common import _check_probability

__all__ = ["SRMResult", "srm_test", "srm_by"]

TREATMENT, CONTROL = vocabulary.GROUPS


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



def _planned_shares(planned_control_share, campaigns: pd.Index) -> pd.Series:
    """The planned control share of each campaign, from one number or a mapping per campaign."""
    if np.isscalar(planned_control_share):
        return pd.Series(float(planned_control_share), index=campaigns)
    planned = pd.Series(planned_control_share, dtype=float)
    missing = ~campaigns.isin(planned.dropna().index)
    if missing.any():
        raise ValueError(f"planned_control_share: {int(missing.sum())} campaigns have no planned share, "
                         f"e.g. {examples(campaigns[missing])}")
    return planned.reindex(campaigns)


def srm_by(df: pd.DataFrame, planned_control_share, *, campaign_col: str = columns.CAMPAIGN,
           group_col: str = columns.GROUP, alpha: float = 0.001) -> pd.DataFrame:
    """The sample-ratio check of every campaign at once (:func:`srm_test` per campaign).

    Parameters
    ----------
    df : DataFrame
        One row per customer and campaign (``campaign_members``) with ``campaign_col`` and
        ``group_col`` holding ``"treatment"`` or ``"control"`` (``vocabulary.GROUPS``).
    planned_control_share : float, Series or mapping
        The control share each campaign planned (e.g.
        ``campaigns.set_index("campaign_id")["control_share"]``), or one share for all.
    campaign_col, group_col : str
        Column names (defaults: the data contract's, :mod:`helpers.columns`).
    alpha : float
        Threshold of the ``mismatch`` column (customarily 0.001, see :func:`srm_test`).

    Returns
    -------
    DataFrame
        One row per campaign (index ``campaign_col``): ``n_treatment``, ``n_control``,
        ``planned_control``, ``observed_control`` (shares), ``statistic``, ``p_value``
        and ``mismatch`` (``p_value < alpha``).
    """
    require_columns(df, [campaign_col, group_col], "srm_by: df")
    bad = ~df[group_col].isin([TREATMENT, CONTROL])
    if bad.any():
        raise ValueError(f"df: column {group_col!r} must be {TREATMENT!r} or {CONTROL!r}; {int(bad.sum())} rows "
                         f"are not, e.g. {examples(df.loc[bad, group_col].astype(str))}")
    sizes = (df.groupby([campaign_col, group_col], observed=True).size().unstack(group_col)
             .reindex(columns=[TREATMENT, CONTROL]).fillna(0).astype("int64"))
    planned = _planned_shares(planned_control_share, sizes.index)
    rows = []
    for campaign, (n_t, n_c) in sizes.iterrows():
        share = planned[campaign]
        res = srm_test([n_t, n_c], [1 - share, share], alpha=alpha)
        rows.append({campaign_col: campaign, "n_treatment": n_t, "n_control": n_c, "planned_control": share,
                     "observed_control": n_c / (n_t + n_c), "statistic": res.statistic,
                     "p_value": res.p_value, "mismatch": res.mismatch})
    return pd.DataFrame(rows).set_index(campaign_col)
