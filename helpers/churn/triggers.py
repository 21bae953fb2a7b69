"""Trigger candidates found in the data: an outcome by the level of a behaviour, with intervals, and where it bends.

The amusement park of the field's case learned that a season pass is
renewed when the holder visits **three times** in a summer, and built its
marketing on bringing two-visit holders back once more (``DOMAIN.md``, seed
text 001). :func:`trigger_curve` draws such a curve from any table with one
row per customer (or holder and season): the renewal rate by visits, the
later value by days to the second purchase, the leaving rate by the silence
relative to the customer's own rhythm. :func:`find_bend` names the level at
which the outcome jumps most, with an interval for the jump.

**The warning that goes with every such curve.** Loyal customers both visit
more and renew more, so the curve shows an *association*: it does not say
that making someone visit a third time makes them renew. Only a randomised
test of the trigger (a holdout) answers that -- see
:mod:`helpers.churn.automation`.

Intervals: Wilson's score interval for a rate (Wilson 1927, *JASA* 22,
209-212; Brown, Cai & DasGupta 2001, *Statistical Science* 16(2), 101-133)
and Newcombe's hybrid score interval for the difference of two rates
(Newcombe 1998, *Statistics in Medicine* 17, 873-890), both from
statsmodels; for a numeric outcome the t interval of a mean and Welch's
interval of a difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from helpers._checks import examples, require_columns


def trigger_curve(df: pd.DataFrame, *, level_col: str, outcome_col: str, max_level: int | None = None,
                  kind: str = "rate", alpha: float = 0.05) -> pd.DataFrame:
    """The outcome at each level of a behaviour, with intervals, and the step from the level below.

    Parameters
    ----------
    df : DataFrame
        One row per unit (a holder's season, a customer): the level (whole
        numbers: visits, purchases) and the outcome. Rows with a missing
        outcome (not known yet, e.g. the last season's renewal) are left out
        and counted in ``attrs["rows_without_outcome"]``.
    level_col, outcome_col : str
        The behaviour and the outcome (e.g. ``"visits"`` and ``"renewed"``).
    max_level : int, optional
        Levels from this one up are pooled into one (shown as ``max_level``),
        so that a sparse tail does not make a noisy curve.
    kind : {"rate", "mean"}
        ``"rate"``: a 0/1 outcome (Wilson intervals); ``"mean"``: a number,
        e.g. euros (t intervals).

    Returns
    -------
    DataFrame
        One row per level (ascending): ``level``, ``n``, ``estimate`` (rate
        or mean), ``ci_low``, ``ci_high``, ``step`` (estimate minus the level
        below's), ``step_ci_low``, ``step_ci_high`` (NaN on the first level).
    """
    require_columns(df, [level_col, outcome_col], "df")
    if kind not in ("rate", "mean"):
        raise ValueError(f"kind must be 'rate' or 'mean', got {kind!r}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    known = df[outcome_col].notna()
    y = pd.to_numeric(df.loc[known, outcome_col], errors="coerce")
    level = pd.to_numeric(df.loc[known, level_col], errors="coerce")
    bad = y.isna() | level.isna() | (level != np.round(level)) | (level < 0)
    if kind == "rate":
        bad |= ~y.isin([0, 1])
    if bad.any():
        raise ValueError(f"df: {int(bad.sum())} rows have a {level_col!r} that is not a whole number >= 0 or a "
                         f"{outcome_col!r} that is not {'0/1' if kind == 'rate' else 'a number'}, e.g. rows "
                         f"{examples(y.index[bad])}")
    if max_level is not None:
        level = level.clip(upper=max_level)
    groups = y.groupby(level.astype(int))
    table = groups.agg(n="size", total="sum", mean="mean", var="var").reset_index(names="level")
    table = _rate_intervals(table, alpha) if kind == "rate" else _mean_intervals(table, alpha)
    table.attrs.update(rows_without_outcome=int((~known).sum()), kind=kind, alpha=alpha)
    return table[["level", "n", "estimate", "ci_low", "ci_high", "step", "step_ci_low", "step_ci_high"]]


def _rate_intervals(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Wilson intervals of each level's rate and Newcombe intervals of each step."""
    low, high = proportion_confint(table["total"], table["n"], alpha=alpha, method="wilson")
    table = table.assign(estimate=table["mean"], ci_low=low, ci_high=high)
    steps = [(np.nan, np.nan)] + [
        confint_proportions_2indep(table["total"].iat[i], table["n"].iat[i], table["total"].iat[i - 1],
                                   table["n"].iat[i - 1], method="newcomb", compare="diff", alpha=alpha)
        for i in range(1, len(table))]
    return table.assign(step=table["estimate"].diff(), step_ci_low=[s[0] for s in steps],
                        step_ci_high=[s[1] for s in steps])


def _mean_intervals(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """t intervals of each level's mean and Welch intervals of each step (NaN where a level has one unit)."""
    se = np.sqrt(table["var"] / table["n"])
    half = stats.t.isf(alpha / 2, (table["n"] - 1).clip(lower=1)) * se
    table = table.assign(estimate=table["mean"], ci_low=table["mean"] - half, ci_high=table["mean"] + half)
    s2 = (table["var"] / table["n"]).to_numpy()
    pair = s2[1:] + s2[:-1]
    dof = pair**2 / (s2[1:] ** 2 / (table["n"].to_numpy()[1:] - 1) + s2[:-1] ** 2 / (table["n"].to_numpy()[:-1] - 1))
    step_half = np.r_[np.nan, stats.t.isf(alpha / 2, dof) * np.sqrt(pair)]
    step = table["estimate"].diff()
    return table.assign(step=step, step_ci_low=step - step_half, step_ci_high=step + step_half)


@dataclass(frozen=True)
class Bend:
    """Where a trigger curve bends: the level whose step up from the level below is the largest.

    ``estimate`` is that step (a share for a rate, the outcome's units for a
    mean) with its interval; ``runner_up_level`` and ``runner_up_step`` show
    how clearly it stands out.
    """

    level: int
    estimate: float
    ci_low: float
    ci_high: float
    alpha: float
    runner_up_level: int | None
    runner_up_step: float


def find_bend(curve: pd.DataFrame, min_n: int = 30) -> Bend:
    """The level at which a :func:`trigger_curve` rises most from the level below (levels with ``n >= min_n``).

    A plain rule, easy to explain to a marketing team; check that the step's
    interval lies above zero and that the runner-up is clearly smaller before
    building a trigger on it.
    """
    require_columns(curve, ["level", "n", "step", "step_ci_low", "step_ci_high"], "curve")
    enough = curve["n"] >= min_n
    usable = curve[enough & enough.shift(1, fill_value=False)].dropna(subset=["step"])
    if usable.empty:
        raise ValueError(f"find_bend: no two neighbouring levels have at least {min_n} units each")
    ranked = usable.sort_values("step", ascending=False, kind="stable")
    top = ranked.iloc[0]
    second = ranked.iloc[1] if len(ranked) > 1 else None
    return Bend(level=int(top["level"]), estimate=float(top["step"]), ci_low=float(top["step_ci_low"]),
                ci_high=float(top["step_ci_high"]), alpha=float(curve.attrs.get("alpha", 0.05)),
                runner_up_level=None if second is None else int(second["level"]),
                runner_up_step=np.nan if second is None else float(second["step"]))
