"""Campaigns measured against control groups: plan, check, measure, pool.

The functions follow the order of work in a campaign test:

1. **Plan** — :func:`sample_size_proportions`, :func:`sample_size_means`,
   :func:`power_proportions`, :func:`minimum_detectable_effect`: how large the
   groups must be, or what the smallest effect is that a given split can see;
   :func:`control_share_table` compares control shares for one audience, and
   :func:`assign_groups` draws the control group by (stratified) lot.
2. **Check** — :func:`srm_test` (:func:`srm_by` for every campaign at once): is
   the treatment/control split what was planned (sample-ratio mismatch)? If
   not, stop: the randomisation is broken.
3. **Measure one campaign** — :func:`compare_proportions` (conversion),
   :func:`compare_means` (revenue per customer, Welch), :func:`bootstrap_ci`,
   :func:`cuped` (variance reduction with a pre-period covariate) and
   :func:`campaign_roi` (incremental margin, cost and return in euros).
4. **Many campaigns** — :func:`compare_by` (one row per campaign),
   :func:`adjust_pvalues` (Holm, Benjamini–Hochberg) and :func:`pool_effects`
   (fixed and random-effects meta-analysis).

Conventions: "treatment" is the group that got the message, "control" the group
kept aside (``vocabulary.GROUPS``). Differences are always *treatment minus
control*. Money is in the units of the input (euros in the course data).

- Every result is a small frozen dataclass or a DataFrame with the package's
  field names: ``estimate`` (the difference, or the pooled effect),
  ``std_error``, ``ci_low`` / ``ci_high`` (at level ``1 − alpha``),
  ``p_value``, ``alpha``. Nothing is printed.
- Columns are named by parameters ``<concept>_col`` whose defaults are the data
  contract's names (:mod:`helpers.columns`): ``campaign_col``, ``customer_col``,
  ``group_col``, ``timestamp_col``, ``amount_col``, …
- Power counts one tail, the one in the direction of the effect, in every
  planning function (R's convention; see :mod:`~helpers.experiments.planning`).

The package has one module per step: :mod:`~helpers.experiments.planning`,
:mod:`~helpers.experiments.checks`, :mod:`~helpers.experiments.measuring` and
:mod:`~helpers.experiments.pooling`; every public name is importable from
``helpers.experiments`` itself.

References are listed in each module's docstring (Cohen 1988, 1992; Fleiss, Levin
& Paik 2003; Kohavi, Tang & Xu 2020; Welch 1947; Efron & Tibshirani 1993; Deng
et al. 2013; Holm 1979; Benjamini & Hochberg 1995; DerSimonian & Laird 1986).
"""

from ._common import IntervalEstimate
from .checks import SRMResult, srm_by, srm_test
from .measuring import (BootstrapResult, ComparisonResult, CupedResult, RoiResult, bootstrap_ci, campaign_roi,
                        compare_by, compare_means, compare_proportions, cuped, pre_period_features)
from .planning import (assign_groups, control_share_table, minimum_detectable_effect, power_means,
                       power_proportions, sample_size_means, sample_size_proportions)
from .pooling import PooledResult, adjust_pvalues, pool_effects

__all__ = [
    "sample_size_proportions",
    "sample_size_means",
    "power_proportions",
    "power_means",
    "minimum_detectable_effect",
    "control_share_table",
    "assign_groups",
    "SRMResult",
    "srm_test",
    "srm_by",
    "IntervalEstimate",
    "ComparisonResult",
    "compare_proportions",
    "compare_means",
    "BootstrapResult",
    "bootstrap_ci",
    "CupedResult",
    "cuped",
    "RoiResult",
    "campaign_roi",
    "compare_by",
    "pre_period_features",
    "adjust_pvalues",
    "PooledResult",
    "pool_effects",
]

