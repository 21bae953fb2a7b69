"""The result style shared by every module: one set of field names for one set of things."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntervalEstimate:
    """The fields every tested estimate of the package shares (a difference, a pooled effect, …).

    ``estimate`` in the outcome's units, its ``std_error``, the interval
    ``ci_low``…``ci_high`` at level ``1 − alpha``, the test ``statistic`` (z or
    t) and its two-sided ``p_value``. Modules extend it with their own fields
    (group sizes, method); the shared names never change.
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    alpha: float
