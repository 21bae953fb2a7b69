"""Which ratings drive a score: regression coefficients and the Shapley split of R².

Budescu, D. V. (1993). Dominance analysis. *Psychological Bulletin* 114(3);
Lipovetsky, S. & Conklin, M. (2001). Analysis of regression in game theory
approach. *Applied Stochastic Models in Business and Industry* 17(4).
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from helpers import columns
from helpers._checks import require_columns


def _r2_all_subsets(corr: np.ndarray) -> dict[frozenset, float]:
    """R² of the regression of variable 0 on every subset of the others, from a correlation matrix."""
    p = corr.shape[0] - 1
    ryx = corr[0, 1:]
    rxx = corr[1:, 1:]
    r2 = {frozenset(): 0.0}
    for size in range(1, p + 1):
        for subset in combinations(range(p), size):
            idx = list(subset)
            r = ryx[idx]
            r2[frozenset(subset)] = float(r @ np.linalg.solve(rxx[np.ix_(idx, idx)], r))
    return r2


def _shapley_weights(r2: dict[frozenset, float], p: int) -> np.ndarray:
    """Each driver's Shapley value of R²: its gain averaged over every subset of the others."""
    weights = np.zeros(p)
    for subset, value in r2.items():
        s = len(subset)
        for j in range(p):
            if j in subset:
                continue
            w = factorial(s) * factorial(p - s - 1) / factorial(p)
            weights[j] += w * (r2[subset | {j}] - value)
    return weights


def _driver_frame(data: pd.DataFrame, score_col: str, driver_cols: list[str]) -> pd.DataFrame:
    """The score and driver columns as numbers, or a ValueError saying what is wrong."""
    require_columns(data, [score_col, *driver_cols], "data")
    if not 1 <= len(driver_cols) <= 15:
        raise ValueError(f"driver_cols: give 1–15 driver columns, got {len(driver_cols)}")
    frame = data[[score_col, *driver_cols]].apply(pd.to_numeric, errors="coerce")
    bad = frame.isna().any(axis=1)
    if bad.any():
        raise ValueError(
            f"data: {int(bad.sum())} rows have missing or non-numeric values in {[score_col, *driver_cols]}, "
            f"e.g. rows {data.index[bad][:5].tolist()}; drop them explicitly and report how many"
        )
    if len(frame) <= len(driver_cols) + 1:
        raise ValueError(f"data: need more rows than drivers + 1, got {len(frame)} rows for {len(driver_cols)} drivers")
    sd = frame.std(ddof=1)
    constant = sd[sd == 0].index.tolist()
    if constant:
        raise ValueError(f"data: columns {constant} are constant; a constant cannot drive anything")
    return frame


def driver_importance(data: pd.DataFrame, score_col: str = columns.NPS,
                      driver_cols: list[str] | None = None) -> pd.DataFrame:
    """Relative importance of driver ratings for a score: regression + Shapley R².

    Fits the linear regression ``score ~ drivers`` and splits its R² among
    the drivers with the **Shapley value** (LMG; Lipovetsky & Conklin 2001),
    which equals the general dominance weight of Budescu (1993): each driver's
    average gain in R² when it is added to every possible subset of the other
    drivers. Unlike coefficients, the shares are not distorted by correlated
    drivers, and they add up to the model's R².

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    score_col : str
        Column of the outcome (default ``nps``, 0–10; ``ces`` works the same).
    driver_cols : list of str, optional
        Driver columns (e.g. 1–5 ratings); default all ``rating_*`` columns.
        At most 15 (the method fits 2^p regressions, on the correlation
        matrix, so the number of rows does not matter).

    Returns
    -------
    DataFrame
        One row per driver, most important first: ``coefficient`` (score
        points per rating step, holding the others fixed), ``std_coefficient``
        (standardised beta), ``correlation`` (with the score),
        ``shapley_r2`` (R² points attributed), ``share`` (of the total R²,
        0–1). ``attrs["r2"]`` and ``attrs["n"]`` hold the model's R² and the
        rows used.
    """
    if driver_cols is None:
        driver_cols = [c for c in data.columns if str(c).startswith("rating_")]
    driver_cols = list(driver_cols)
    frame = _driver_frame(data, score_col, driver_cols)
    sd = frame.std(ddof=1)
    x = frame[driver_cols].to_numpy(dtype="float64")
    y = frame[score_col].to_numpy(dtype="float64")
    design = np.column_stack([np.ones(len(y)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0][1:]
    corr = np.corrcoef(frame.to_numpy(dtype="float64"), rowvar=False)
    r2 = _r2_all_subsets(corr)
    weights = _shapley_weights(r2, len(driver_cols))
    total = r2[frozenset(range(len(driver_cols)))]
    out = pd.DataFrame({
        "driver": driver_cols,
        "coefficient": coef,
        "std_coefficient": coef * sd[driver_cols].to_numpy() / sd[score_col],
        "correlation": corr[0, 1:],
        "shapley_r2": weights,
        "share": weights / total if total > 0 else np.nan,
    }).sort_values("shapley_r2", ascending=False, ignore_index=True)
    out.attrs["r2"] = total
    out.attrs["n"] = len(frame)
    return out
