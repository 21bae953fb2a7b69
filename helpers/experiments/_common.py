"""Input checks shared by the modules of :mod:`helpers.experiments` (private)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from helpers._results import IntervalEstimate  # noqa: F401  (re-exported for the experiments modules)


def _check_probability(name: str, value: float, open_interval: bool = True) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or value > 1 or (open_interval and value in (0.0, 1.0)):
        interval = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ValueError(f"{name} must be a proportion {interval}; got {value!r}")
    return value


def _check_alternative(alternative: str) -> str:
    if alternative not in {"two-sided", "larger", "smaller"}:
        raise ValueError(f"alternative must be 'two-sided', 'larger' or 'smaller'; got {alternative!r}")
    return alternative


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return value


def _as_values(name: str, values) -> np.ndarray:
    """1-D float array; raises on empty input or missing values (never drops them)."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a group of size zero cannot be compared")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad)[:3].tolist()
        raise ValueError(
            f"{name} has {int(bad.sum())} missing or infinite values of {arr.size} "
            f"(e.g. at positions {where}); fill or remove them explicitly first"
        )
    return arr


def _z_crit(alpha: float, alternative: str) -> float:
    return stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha)


def _check_n(name: str, n) -> int:
    if not float(n).is_integer() or n < 0:
        raise ValueError(f"{name} must be a whole number of customers; got {n!r}")
    if n == 0:
        raise ValueError(f"{name} is 0: a group of size zero cannot be compared")
    return int(n)
