"""Input checks shared by the modules of :mod:`helpers.uplift` (private)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted


def _check_treatment(treatment, n: int | None = None) -> np.ndarray:
    t = np.asarray(treatment).ravel()
    if n is not None and t.size != n:
        raise ValueError(f"treatment has {t.size} rows but the data has {n}: lengths must match")
    try:
        tf = t.astype(float)
    except (TypeError, ValueError):
        tf = np.full(t.size, np.nan)
    bad = ~np.isin(tf, [0.0, 1.0])
    if bad.any():
        raise ValueError(f"treatment must be 0/1 (1 = got the message); {int(bad.sum())} of {t.size} rows are not, "
                         f"e.g. {pd.unique(t[bad])[:3].tolist()}")
    t = tf.astype(np.int8)
    n_t = int(t.sum())
    if n_t == 0 or n_t == t.size:
        raise ValueError(f"treatment has {n_t} treated and {t.size - n_t} control rows: "
                         "both groups are needed (a group of size zero)")
    return t


def _check_outcome(y, n: int, binary: bool = False) -> np.ndarray:
    arr = np.asarray(y, dtype=float).ravel()
    if arr.size != n:
        raise ValueError(f"y has {arr.size} rows but treatment has {n}: lengths must match")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"y has {int(bad.sum())} missing or infinite values, "
                         f"e.g. at rows {np.flatnonzero(bad)[:3].tolist()}")
    if binary and not np.isin(arr, [0.0, 1.0]).all():
        nb = ~np.isin(arr, [0.0, 1.0])
        raise ValueError(f"y must be 0/1 for this model; {int(nb.sum())} rows are not, "
                         f"e.g. {np.unique(arr[nb])[:3].tolist()}")
    return arr


def _check_score(score, n: int) -> np.ndarray:
    s = np.asarray(score, dtype=float).ravel()
    if s.size != n:
        raise ValueError(f"uplift scores have {s.size} rows but y has {n}: lengths must match")
    if not np.isfinite(s).all():
        raise ValueError(f"uplift scores have {int((~np.isfinite(s)).sum())} missing or infinite values")
    return s


def _n_rows(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _check_fitted(model) -> None:
    """scikit-learn's fitted check with a message that says what to do."""
    check_is_fitted(model, msg="This %(name)s is not fitted yet: call fit(X, treatment, y) on a past campaign "
                               "with a control group before predicting uplift.")


def _predict_outcome(model, X) -> np.ndarray:
    if is_classifier(model) and hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)
