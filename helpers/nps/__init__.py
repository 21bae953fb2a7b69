"""Word of mouth: Net Promoter Score, Customer Effort Score, drivers and referrals.

The **Net Promoter Score** (Reichheld 2003) asks "How likely is it that you
would recommend us to a friend?" on a 0–10 scale. Answers 9–10 are
*promoters*, 7–8 *passives*, 0–6 *detractors*; NPS is the share of promoters
minus the share of detractors, in **points** from −100 to +100.

Because NPS is the mean of a three-valued variable (+1 promoter, 0 passive,
−1 detractor) its sampling error follows from the trinomial distribution:

``Var(NPS) = (p_P + p_D − (p_P − p_D)²) / n``  (as a proportion; ×100 for points)

This is the *Wald* standard error. For small samples Rocks (2016) and Lewis &
Sauro (2021) recommend the **adjusted-Wald** interval: add 3/4 of a response to
the promoters and to the detractors (and so 3/2 to the passives, n + 3 in all)
before computing the interval; it covers the true NPS close to the nominal
95 % even at n = 20, where the plain Wald interval is too narrow.

**Scale check.** A satisfaction or effort column on a 1–5 or 1–7 scale given
as NPS yields a score near −100 without a word. The NPS functions therefore
refuse a group of at least 20 answers that all lie between 1 and 7 (no 0, 8,
9 or 10 at all): on a real 0–10 question that happens with a probability
below 1 % unless more than 79 % of respondents answer 1–7 (0.79²⁰ < 0.01).
A group already selected by its score (only detractors, say) can pass
``check_scale=False``.

**Linking answers to behaviour** (:mod:`helpers.nps.follow_up`): what each
respondent bought and referred in the year after the answer
(:func:`outcomes_after`), the margin at risk before it (:func:`margin_before`)
and the first channel the customer consented to (:func:`first_consented_channel`).

References
----------
- Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review* 81(12).
- Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
  *The American Statistician* 70(4), 365–372.
- Lewis, J. R. & Sauro, J. (2021). Confidence intervals for Net Promoter Scores
  (MeasuringU); Sauro, J. & Lewis, J. R. (2016). *Quantifying the User
  Experience*, 2nd ed., Morgan Kaufmann (adjusted-Wald intervals, sample sizes).
- Dixon, M., Freeman, K. & Toman, N. (2010). Stop trying to delight your
  customers. *Harvard Business Review* 88(7) (Customer Effort Score).
- Budescu, D. V. (1993). Dominance analysis. *Psychological Bulletin* 114(3);
  Lipovetsky, S. & Conklin, M. (2001). Analysis of regression in game theory
  approach. *Applied Stochastic Models in Business and Industry* 17(4)
  (Shapley value decomposition of R²).
"""

from helpers.nps.drivers import driver_importance
from helpers.nps.follow_up import (NO_CONSENT, answers_between, first_consented_channel, margin_before,
                                  outcomes_after)
from helpers.nps.referrals import referral_reach
from helpers.nps.scores import (
    PASSIVE_MIN,
    PROMOTER_MIN,
    SCALE_CHECK_MIN_ANSWERS,
    CESSummary,
    NPSComparison,
    NPSCounts,
    NPSInterval,
    ces_summary,
    check_nps_scale,
    nps,
    nps_by_group,
    nps_ci,
    nps_ci_from_counts,
    nps_compare,
    nps_counts,
    nps_group,
    nps_sample_size,
    nps_se,
)

__all__ = [
    "NO_CONSENT", "PASSIVE_MIN", "PROMOTER_MIN", "SCALE_CHECK_MIN_ANSWERS", "CESSummary", "NPSComparison",
    "NPSCounts", "NPSInterval", "answers_between", "ces_summary", "check_nps_scale", "driver_importance",
    "first_consented_channel", "margin_before", "nps", "nps_by_group", "nps_ci", "nps_ci_from_counts",
    "nps_compare", "nps_counts", "nps_group", "nps_sample_size", "nps_se", "outcomes_after", "referral_reach",
]
