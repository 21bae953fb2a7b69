"""What the clv models share: the optimiser, the unique-row trick, the not-fitted and too-little-data checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.utils.validation import check_is_fitted


class ConvergenceError(RuntimeError):
    """The maximum-likelihood fit did not converge; the parameters would be garbage."""


#: Rule of thumb for how many informative cases a likelihood model needs per
#: parameter it estimates: ten (Peduzzi et al. 1996, "A simulation study of the
#: number of events per variable in logistic regression analysis", *Journal of
#: Clinical Epidemiology* 49(12), 1373-1379). For the clv models the
#: informative cases are the repeat buyers.
CASES_PER_PARAMETER = 10


def require_fitted(model, fit_call: str) -> None:
    """Raise scikit-learn's ``NotFittedError`` (a ``ValueError``) with a clear message when ``model`` is not fitted."""
    check_is_fitted(model, msg=f"This %(name)s is not fitted yet: call {fit_call} first; "
                               f"every prediction uses the parameters (params_) the fit estimates.")


def require_enough(model_name: str, counts: dict[str, float], minimums: dict[str, int], reason: str,
                   override: str) -> None:
    """Refuse a fit on fewer cases than ``minimums``: a ValueError naming the counts, the thresholds and why.

    ``counts`` and ``minimums`` share their keys (a plain-words description such
    as ``"repeat buyers (frequency > 0)"``); ``override`` says how to fit anyway.
    """
    short = [name for name, minimum in minimums.items() if counts[name] < minimum]
    if not short:
        return
    have = ", ".join(f"{counts[name]:,.0f} {name}" for name in minimums)
    need = ", ".join(f"{minimums[name]:,} {name}" for name in minimums)
    raise ValueError(f"{model_name}: too few to fit: the data have {have}; the fit needs at least {need}. "
                     f"Why: {reason} Pool more customers or a longer period, or, knowing the risk, {override}.")


def unique_rows(*columns: np.ndarray):
    """Unique rows of several equal-length arrays: (list of unique columns, inverse, counts)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(col)
        key = key * np.int64(len(uniques)) + codes
    inverse, uniq_keys = pd.factorize(key)
    first = np.zeros(len(uniq_keys), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    counts = np.bincount(inverse, minlength=len(uniq_keys))
    return [col[first] for col in columns], inverse, counts


def wdot(w, v):
    """Weighted sum ``sum(w * v)`` without BLAS (BLAS threads spin badly on a busy 2-core machine)."""
    return np.add.reduce(np.multiply(w, v), axis=None)


def minimise(fun, x0, name: str):
    """Minimise with L-BFGS-B (analytic gradient), falling back to Nelder-Mead; raise if neither converges.

    ``fun(z)`` returns the objective and its gradient at the log-parameters ``z``.

    Raises
    ------
    ConvergenceError
        When neither method converges, or the fit runs to a boundary (a
        log-parameter beyond +-20, a parameter beyond 5e8 or below 2e-9).
    """
    def safe(z):
        with np.errstate(all="ignore"):
            f, g = fun(z)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return np.inf, np.zeros_like(z)
        return f, g

    res = optimize.minimize(safe, x0, jac=True, method="L-BFGS-B")
    if not res.success or not np.all(np.isfinite(res.x)):
        res2 = optimize.minimize(lambda z: safe(z)[0], res.x if np.all(np.isfinite(res.x)) else x0,
                                 method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000})
        if not res2.success or not np.all(np.isfinite(res2.x)):
            raise ConvergenceError(f"{name}: the maximum-likelihood fit did not converge ({res.message}; "
                                   f"{res2.message}). Check the data (enough repeat buyers? right time unit?)")
        res = res2
    if np.any(np.abs(res.x) > 20):
        raise ConvergenceError(f"{name}: the fit ran to a boundary (log-parameters {np.round(res.x, 1)}); "
                               f"the data do not identify the model")
    return res
