"""Uplift: whom a message changes, and whom to leave alone.

A campaign's average effect hides four kinds of customers (Radcliffe & Surry
2011): *persuadables* buy because of the message, *sure things* buy anyway,
*lost causes* never buy, and *sleeping dogs* are put off by it. An **uplift
model** predicts, per customer, the change the message causes
(``P(buy | message) − P(buy | no message)``), learnt from past campaigns that
kept a random control group.

Features (:mod:`~helpers.uplift.features`): :func:`member_features` describes
every campaign member from what was known before the send date (orders,
register) and :func:`campaign_flags` every campaign by a few flags read from
the campaigns table.

Models (:mod:`~helpers.uplift.models`; scikit-learn style, ``fit(X, treatment, y)``
→ ``self``, ``predict(X)`` → uplift; ``sklearn.utils.validation.check_is_fitted``
tells a fitted model from a new one):

- :class:`TwoModelUplift` — one model on the treated, one on the controls, the
  difference of their predictions (the "T-learner").
- :class:`ClassTransformationUplift` — one classifier on a transformed label
  (Jaskowski & Jaroszewicz 2012); unequal group sizes are re-weighted to 50/50.

Evaluation (:mod:`~helpers.uplift.evaluation`) on a held-out experiment (the
individual effect is never observed, so curves compare treated and control
customers *within* the top of the ranking):
:func:`uplift_by_decile`, :func:`qini_curve`, :func:`uplift_curve`,
:func:`qini_auc`, :func:`uplift_auc`, :func:`uplift_at_k` and, in euros,
:func:`profit_curve`.

References
----------
Radcliffe, N. J. (2007). Using control groups to target on predicted lift:
building and assessing uplift models. *Direct Marketing Analytics Journal* 1, 14–21.
Radcliffe, N. J. & Surry, P. D. (2011). Real-world uplift modelling with
significance-based uplift trees. Stochastic Solutions white paper.
Jaskowski, M. & Jaroszewicz, S. (2012). Uplift modeling for clinical trial data.
*ICML Workshop on Clinical Data Analysis*.
Gutierrez, P. & Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a
review of the literature. *PMLR* 67, 1–13.
Künzel, S. R., Sekhon, J. S., Bickel, P. J. & Yu, B. (2019). Metalearners for
estimating heterogeneous treatment effects. *PNAS* 116(10), 4156–4165.
"""

from .evaluation import (profit_curve, qini_auc, qini_curve, uplift_at_k, uplift_auc, uplift_by_decile,
                         uplift_curve)
from .features import campaign_flags, member_features
from .models import ClassTransformationUplift, TwoModelUplift

__all__ = [
    "member_features",
    "campaign_flags",
    "TwoModelUplift",
    "ClassTransformationUplift",
    "uplift_by_decile",
    "qini_curve",
    "uplift_curve",
    "qini_auc",
    "uplift_auc",
    "uplift_at_k",
    "profit_curve",
]
