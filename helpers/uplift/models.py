"""Uplift models in scikit-learn style: ``fit(X, treatment, y)`` returns the model, ``predict(X)`` the uplift.

References
----------
Jaskowski, M. & Jaroszewicz, S. (2012). Uplift modeling for clinical trial data.
*ICML Workshop on Clinical Data Analysis*.
Gutierrez, P. & Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a
review of the literature. *PMLR* 67, 1–13.
Künzel, S. R., Sekhon, J. S., Bickel, P. J. & Yu, B. (2019). Metalearners for
estimating heterogeneous treatment effects. *PNAS* 116(10), 4156–4165.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ._inputs import _check_fitted, _check_outcome, _check_treatment, _n_rows, _predict_outcome

__all__ = ["TwoModelUplift", "ClassTransformationUplift"]


class _UpliftEstimator(BaseEstimator):
    """What both uplift models share: the base estimator they copy, logistic regression by default."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def _new_base(self):
        """A fresh, unfitted copy of the base estimator."""
        return clone(self.estimator if self.estimator is not None else LogisticRegression(max_iter=1000))

    @staticmethod
    def _checked(X, treatment, y, binary: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``treatment`` and ``y`` checked against ``X``'s rows (0/1 groups, finite outcomes)."""
        n = _n_rows(X)
        return _check_treatment(treatment, n), _check_outcome(y, n, binary=binary)


class TwoModelUplift(_UpliftEstimator):
    """Uplift as the difference of two outcome models (T-learner).

    One copy of ``estimator`` learns the outcome among treated customers, one
    among controls; the uplift is ``model_t(x) − model_c(x)`` (Künzel et al. 2019;
    Gutierrez & Gérardy 2017). Simple and works with any estimator, but each
    model chases the outcome, not the difference, so it can be noisy when the
    control group is small.

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        A classifier with ``predict_proba`` for 0/1 outcomes (uplift in
        conversion probability), or a regressor for euros (uplift in euros).
        Default: logistic regression.

    Attributes
    ----------
    model_treatment_, model_control_ : fitted estimators
    n_treatment_, n_control_ : int
        Customers in each group of the training data.

    The attributes exist only after :meth:`fit` (scikit-learn's rule);
    predicting before it raises ``sklearn.exceptions.NotFittedError``.
    """

    def fit(self, X, treatment, y):
        t, y = self._checked(X, treatment, y)
        X_arr = X if hasattr(X, "iloc") else np.asarray(X)
        take = (lambda m: X_arr.iloc[m]) if hasattr(X_arr, "iloc") else (lambda m: X_arr[m])
        self.model_treatment_ = self._new_base().fit(take(t == 1), y[t == 1])
        self.model_control_ = self._new_base().fit(take(t == 0), y[t == 0])
        self.n_treatment_, self.n_control_ = int(t.sum()), int((1 - t).sum())
        return self

    def predict_outcomes(self, X) -> pd.DataFrame:
        """Predicted outcome with and without the message, and their difference."""
        _check_fitted(self)
        with_msg = _predict_outcome(self.model_treatment_, X)
        without = _predict_outcome(self.model_control_, X)
        return pd.DataFrame({"with_message": with_msg, "without_message": without, "uplift": with_msg - without})

    def predict(self, X) -> np.ndarray:
        """Predicted uplift per customer (share of conversion probability, or euros)."""
        return self.predict_outcomes(X)["uplift"].to_numpy()


class ClassTransformationUplift(_UpliftEstimator):
    """Uplift from one classifier on a transformed label (Jaskowski & Jaroszewicz 2012).

    The label ``z = 1`` for treated buyers and for control non-buyers, else 0.
    With equal group sizes ``uplift(x) = 2 P(z = 1 | x) − 1``. Campaigns rarely
    split 50/50 (a 10 % control group is usual), so each customer is weighted
    ``0.5 / share_of_own_group``, which makes the weighted split 50/50 and keeps
    the identity exact. The estimator (or the last step of a ``Pipeline``) must
    accept ``sample_weight`` in ``fit``.
    0/1 outcomes only.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Default: logistic regression.

    Attributes
    ----------
    model_ : fitted classifier of ``z``
    treatment_share_ : float
        Share of treated customers in the training data.

    The attributes exist only after :meth:`fit` (scikit-learn's rule);
    predicting before it raises ``sklearn.exceptions.NotFittedError``.
    """

    def fit(self, X, treatment, y):
        t, y = self._checked(X, treatment, y, binary=True)
        share = float(t.mean())
        z = (y * t + (1 - y) * (1 - t)).astype(int)
        weight = np.where(t == 1, 0.5 / share, 0.5 / (1 - share))
        model = self._new_base()
        # a Pipeline routes the weights to its last step (the classifier)
        key = f"{model.steps[-1][0]}__sample_weight" if isinstance(model, Pipeline) else "sample_weight"
        self.model_ = model.fit(X, z, **{key: weight})
        self.treatment_share_ = share
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted uplift in conversion probability (−1 … 1) per customer."""
        _check_fitted(self)
        return 2 * self.model_.predict_proba(X)[:, 1] - 1
