"""Net Promoter Score and Customer Effort Score: counts, intervals, comparisons, sample sizes.

See :mod:`helpers.nps` for the formulas and the references; this module holds
the input checks (including the 1–5 / 1–7 scale check) and the score functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers._checks import examples as _examples
from helpers._results import IntervalEstimate

#: Score ranges of the three NPS groups on the 0–10 scale.
PROMOTER_MIN = 9
PASSIVE_MIN = 7

_METHODS = ("adjusted_wald", "wald")

#: The scale check (:func:`check_nps_scale`) looks at groups of at least this many answers.
SCALE_CHECK_MIN_ANSWERS = 20


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _validate_scores(scores, low: int, high: int, name: str) -> np.ndarray:
    """Return the scores as an int64 array or raise a ValueError that explains why not."""
    s = pd.Series(scores)
    if len(s) == 0:
        raise ValueError(f"{name}: no responses (empty group); a score needs at least one response")
    numeric = pd.to_numeric(s, errors="coerce")
    missing = s.isna()
    if missing.any():
        raise ValueError(
            f"{name}: {int(missing.sum())} of {len(s)} responses are missing; drop them explicitly "
            f"(e.g. scores.dropna()) and report how many were dropped"
        )
    not_numeric = numeric.isna()
    if not_numeric.any():
        raise ValueError(
            f"{name}: scores must be integers {low}–{high}; {int(not_numeric.sum())} rows are not numbers, "
            f"e.g. {_examples(s[not_numeric], n=5)}"
        )
    values = numeric.to_numpy(dtype="float64")
    not_int = values != np.round(values)
    if not_int.any():
        raise ValueError(
            f"{name}: scores must be whole numbers {low}–{high}; {int(not_int.sum())} rows are not, "
            f"e.g. {_examples(s[not_int], n=5)}"
        )
    outside = (values < low) | (values > high)
    if outside.any():
        raise ValueError(
            f"{name}: scores must be between {low} and {high}; {int(outside.sum())} rows are outside, "
            f"e.g. {_examples(s[outside], n=5)}"
        )
    return values.astype("int64")


def _refuse_short_scale(values: np.ndarray, name: str) -> None:
    """The rule of :func:`check_nps_scale` on validated 0–10 answers."""
    if len(values) < SCALE_CHECK_MIN_ANSWERS or values.min() < 1 or values.max() > 7:
        return
    seen = sorted(int(v) for v in np.unique(values))
    scale = "1–5" if values.max() <= 5 else "1–7"
    raise ValueError(
        f"{name}: all {len(values)} answers lie between 1 and 7 (values seen: {seen}) and none is 0, 8, 9 or "
        f"10: this looks like a {scale} scale (satisfaction or effort), not the 0–10 'would you recommend' "
        f"question, and read as one it would give an NPS of {-100 * float((values < PASSIVE_MIN).mean()):.0f}. "
        f"Summarise such a column with "
        f"ces_summary(scores, scale=(1, {scale[-1]})); if the answers really are 0–10 (e.g. a group chosen by "
        f"its score, such as only detractors), pass check_scale=False"
    )


def check_nps_scale(scores, name: str = "nps scores") -> None:
    """Refuse 0–10 answers that look like a 1–5 or 1–7 scale.

    The rule: at least :data:`SCALE_CHECK_MIN_ANSWERS` (20) answers, every one
    between 1 and 7, so none of 0, 8, 9 or 10 appears. A real NPS question
    gives such a group with a probability below 1 % unless more than 79 % of
    the respondents answer 1–7 (0.79²⁰ < 0.01); a 1–5 satisfaction or a 1–7
    effort (CES) column always does, and would be read as a score near −100.
    Every NPS function applies it unless given ``check_scale=False``.

    Raises
    ------
    ValueError
        Naming the values seen, the scale they look like and what to do (and,
        as every NPS function, for answers that are missing, not whole
        numbers or outside 0–10).
    """
    _refuse_short_scale(_validate_scores(scores, 0, 10, name), name)


def _nps_values(scores, check_scale: bool) -> np.ndarray:
    """0–10 answers as an int64 array, validated and (unless switched off) scale-checked."""
    values = _validate_scores(scores, 0, 10, "nps scores")
    if check_scale:
        _refuse_short_scale(values, "nps scores")
    return values


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05 for 95 % intervals), got {alpha!r}")


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")


# ---------------------------------------------------------------------------
# NPS
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NPSCounts:
    """How many promoters (9–10), passives (7–8) and detractors (0–6)."""

    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        """Number of responses."""
        return self.promoters + self.passives + self.detractors


@dataclass(frozen=True)
class NPSInterval:
    """An NPS and its ``1 − alpha`` confidence interval, in points (−100…100).

    ``estimate`` is the observed NPS; ``std_error`` is the standard error the
    interval is built on (on the adjusted counts for ``"adjusted_wald"``, so
    the interval is centred slightly towards zero). Arrays (one value per
    simulated sample) when :func:`nps_ci_from_counts` is given arrays.
    Unpacks as ``estimate, ci_low, ci_high = nps_ci(scores)``.
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    alpha: float
    method: str

    def __iter__(self):
        return iter((self.estimate, self.ci_low, self.ci_high))


@dataclass(frozen=True)
class NPSComparison(IntervalEstimate):
    """Test of the difference between two Net Promoter Scores (points).

    ``estimate`` is the observed difference ``NPS_a − NPS_b``; ``std_error``,
    the ``1 − alpha`` interval ``ci_low``…``ci_high``, ``statistic`` (z) and
    ``p_value`` (two-sided) are computed with ``method`` (see :func:`nps_compare`).
    """

    nps_a: float
    nps_b: float
    n_a: int
    n_b: int
    method: str


def nps_group(scores, check_scale: bool = True) -> pd.Series:
    """Label each 0–10 score ``"promoter"`` (9–10), ``"passive"`` (7–8) or ``"detractor"`` (0–6).

    Returns an ordered categorical Series (detractor < passive < promoter) with
    the index of the input. ``check_scale``: see :func:`check_nps_scale`.
    """
    index = scores.index if isinstance(scores, pd.Series) else None
    values = _nps_values(scores, check_scale)
    labels = np.where(values >= PROMOTER_MIN, "promoter", np.where(values >= PASSIVE_MIN, "passive", "detractor"))
    return pd.Series(
        pd.Categorical(labels, categories=["detractor", "passive", "promoter"], ordered=True),
        index=index, name="nps_group",
    )


def nps_counts(scores, check_scale: bool = True) -> NPSCounts:
    """Count promoters (9–10), passives (7–8) and detractors (0–6) among 0–10 scores.

    ``check_scale``: refuse answers that look like a 1–5 or 1–7 scale (:func:`check_nps_scale`).
    """
    values = _nps_values(scores, check_scale)
    promoters = int((values >= PROMOTER_MIN).sum())
    detractors = int((values < PASSIVE_MIN).sum())
    return NPSCounts(promoters, len(values) - promoters - detractors, detractors)


def nps(scores, check_scale: bool = True) -> float:
    """Net Promoter Score of 0–10 answers, in points (−100…100).

    ``100 × (share of promoters (9–10) − share of detractors (0–6))``
    (Reichheld 2003). ``check_scale``: see :func:`check_nps_scale`.
    """
    c = nps_counts(scores, check_scale)
    return 100.0 * (c.promoters - c.detractors) / c.n


def _trinomial(counts: NPSCounts, method: str):
    """Point estimate and standard error (proportions) from counts; vectorised."""
    p_count = np.asarray(counts.promoters, dtype="float64")
    d_count = np.asarray(counts.detractors, dtype="float64")
    n = p_count + np.asarray(counts.passives, dtype="float64") + d_count
    if method == "adjusted_wald":
        # Rocks (2016), Lewis & Sauro (2021): +3/4 promoter, +3/4 detractor, n + 3
        p_count, d_count, n = p_count + 0.75, d_count + 0.75, n + 3.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, pd_ = p_count / n, d_count / n
        est = pp - pd_
        se = np.sqrt((pp + pd_ - est**2) / n)
    return est, se


def nps_ci_from_counts(promoters, passives, detractors, alpha: float = 0.05,
                       method: str = "adjusted_wald") -> NPSInterval:
    """Confidence interval of NPS from counts (arrays allowed, for simulations).

    Parameters
    ----------
    promoters, passives, detractors : int or array of int
        Counts of responses 9–10, 7–8 and 0–6.
    alpha : float
        1 − confidence level (0.05 gives a 95 % interval).
    method : {"adjusted_wald", "wald"}
        ``"wald"``: observed NPS ± z·SE with the trinomial SE.
        ``"adjusted_wald"``: the same on counts with 3/4 added to promoters and
        to detractors and 3 to n (Rocks 2016; Lewis & Sauro 2021).

    Returns
    -------
    NPSInterval
        Observed NPS ``estimate`` and the limits ``ci_low``, ``ci_high``, in
        points, clipped to −100…100; arrays when the counts are arrays.
        Unpacks as ``(estimate, ci_low, ci_high)``.
    """
    _check_alpha(alpha)
    _check_method(method)
    counts = NPSCounts(promoters, passives, detractors)
    n = np.asarray(promoters) + np.asarray(passives) + np.asarray(detractors)
    if np.any(n <= 0):
        raise ValueError("counts: every group needs at least one response (n > 0)")
    observed, _ = _trinomial(counts, "wald")
    centre, se = _trinomial(counts, method)
    z = stats.norm.ppf(1 - alpha / 2)
    low = np.clip(centre - z * se, -1.0, 1.0)
    high = np.clip(centre + z * se, -1.0, 1.0)
    out = (100 * observed, 100 * se, 100 * low, 100 * high)
    if np.ndim(n) == 0:
        out = tuple(float(v) for v in out)
    return NPSInterval(*out, alpha=float(alpha), method=method)


def nps_se(scores, method: str = "wald", check_scale: bool = True) -> float:
    """Standard error of the NPS in points (trinomial; Wald or adjusted-Wald counts)."""
    _check_method(method)
    return float(100 * _trinomial(nps_counts(scores, check_scale), method)[1])


def nps_ci(scores, alpha: float = 0.05, method: str = "adjusted_wald", check_scale: bool = True) -> NPSInterval:
    """NPS of 0–10 answers with its confidence interval, in points.

    Parameters
    ----------
    scores : array-like of int 0–10
        One answer per respondent; missing values raise (drop and count them first).
    alpha : float
        1 − confidence level.
    method : {"adjusted_wald", "wald"}
        See :func:`nps_ci_from_counts`. The adjusted-Wald interval is the
        recommended default (Lewis & Sauro 2021).
    check_scale : bool
        Refuse answers that look like a 1–5 or 1–7 scale (:func:`check_nps_scale`).

    Returns
    -------
    NPSInterval
        ``estimate``, ``ci_low``, ``ci_high`` in points (unpacks as these three).

    Examples
    --------
    90 promoters, 60 passives and 50 detractors give NPS 20 with a Wald
    standard error of 5.745 points: ``nps_ci(s, method="wald")`` ≈ (20.0, 8.7, 31.3).
    """
    c = nps_counts(scores, check_scale)
    return nps_ci_from_counts(c.promoters, c.passives, c.detractors, alpha=alpha, method=method)


def nps_compare(scores_a, scores_b, alpha: float = 0.05, method: str = "adjusted_wald",
                check_scale: bool = True) -> NPSComparison:
    """Compare the NPS of two independent groups (segments, quarters) with a z-test.

    The difference ``NPS_a − NPS_b`` is tested against zero with the standard
    error ``sqrt(SE_a² + SE_b²)`` of the two trinomial estimates (on
    adjusted counts by default, as MeasuringU recommends for comparing two
    NPS; Sauro & Lewis 2016, ch. 5).

    Returns
    -------
    NPSComparison
        ``estimate`` (the observed difference, points), its ``std_error``
        and ``1 − alpha`` interval ``ci_low``…``ci_high``, ``statistic`` (z),
        two-sided ``p_value`` and the two observed scores. With
        ``method="adjusted_wald"`` the statistic and the interval are
        computed on the adjusted counts, so the interval is centred on the
        adjusted difference (slightly shrunk towards zero), not exactly on
        ``estimate``.
    """
    _check_alpha(alpha)
    _check_method(method)
    ca, cb = nps_counts(scores_a, check_scale), nps_counts(scores_b, check_scale)
    obs_a, _ = _trinomial(ca, "wald")
    obs_b, _ = _trinomial(cb, "wald")
    est_a, se_a = _trinomial(ca, method)
    est_b, se_b = _trinomial(cb, method)
    se = float(np.sqrt(se_a**2 + se_b**2))
    diff = float(est_a - est_b)
    z = diff / se if se > 0 else (0.0 if diff == 0 else np.sign(diff) * np.inf)
    p = float(2 * stats.norm.sf(abs(z)))
    zc = stats.norm.ppf(1 - alpha / 2)
    return NPSComparison(
        estimate=float(100 * (obs_a - obs_b)), std_error=100 * se,
        ci_low=100 * (diff - zc * se), ci_high=100 * (diff + zc * se), statistic=float(z), p_value=p,
        alpha=float(alpha), nps_a=float(100 * obs_a), nps_b=float(100 * obs_b), n_a=ca.n, n_b=cb.n, method=method,
    )


def nps_by_group(scores, groups, alpha: float = 0.05, method: str = "adjusted_wald",
                 check_scale: bool = True) -> pd.DataFrame:
    """NPS with its interval for every group (a quarter, a loyalty tier, a store), in points.

    Parameters
    ----------
    scores : Series of int 0–10
        One answer per row.
    groups : Series or array-like
        The group of each answer, aligned with ``scores``; answers without a
        group are left out (counted in ``attrs["answers_without_group"]``).
        A categorical keeps its order of categories (empty ones dropped);
        other groups are sorted.
    alpha, method, check_scale
        As in :func:`nps_ci`.

    Returns
    -------
    DataFrame
        One row per group: ``answers``, ``estimate``, ``ci_low``, ``ci_high``.
    """
    scores = pd.Series(scores).reset_index(drop=True)
    groups = pd.Series(groups).reset_index(drop=True)
    if len(scores) != len(groups):
        raise ValueError(f"groups: one group per answer needed, got {len(groups)} groups for {len(scores)} answers")
    known = groups.notna()
    rows = {}
    for name, answers in scores[known].groupby(groups[known], observed=True, sort=True):
        interval = nps_ci(answers, alpha=alpha, method=method, check_scale=check_scale)
        rows[name] = {"answers": len(answers), "estimate": interval.estimate,
                      "ci_low": interval.ci_low, "ci_high": interval.ci_high}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["answers", "estimate", "ci_low", "ci_high"])
    out.index.name = groups.name
    out.attrs["answers_without_group"] = int((~known).sum())
    return out


def nps_sample_size(margin_points: float, promoter_share: float | None = None,
                    detractor_share: float | None = None, alpha: float = 0.05,
                    method: str = "adjusted_wald") -> int:
    """Responses needed for an NPS interval of ± ``margin_points``.

    ``n = z² · (p_P + p_D − (p_P − p_D)²) / m²``, minus 3 for the
    adjusted-Wald interval (Sauro & Lewis 2016). Without expected shares the
    worst case (half promoters, half detractors, variance 1) is used, which
    gives the sample size that is safe whatever the score turns out to be.

    Parameters
    ----------
    margin_points : float
        Half-width of the interval in NPS points (e.g. 5 for ±5 points).
    promoter_share, detractor_share : float, optional
        Expected shares (0–1), e.g. from the last survey. Both or neither.
    alpha : float
        1 − confidence level.
    method : {"adjusted_wald", "wald"}

    Returns
    -------
    int
        Number of responses (rounded up).
    """
    _check_alpha(alpha)
    _check_method(method)
    if not 0 < margin_points <= 100:
        raise ValueError(f"margin_points must be between 0 and 100 NPS points, got {margin_points!r}")
    if (promoter_share is None) != (detractor_share is None):
        raise ValueError("give both promoter_share and detractor_share, or neither (worst case)")
    if promoter_share is None:
        variance = 1.0
    else:
        if not (0 <= promoter_share <= 1 and 0 <= detractor_share <= 1 and promoter_share + detractor_share <= 1):
            raise ValueError(
                f"promoter_share and detractor_share must be shares 0–1 summing to at most 1, "
                f"got {promoter_share!r} and {detractor_share!r}"
            )
        variance = promoter_share + detractor_share - (promoter_share - detractor_share) ** 2
    z = stats.norm.ppf(1 - alpha / 2)
    n = z**2 * variance / (margin_points / 100) ** 2
    if method == "adjusted_wald":
        n -= 3
    return max(int(np.ceil(n - 1e-9)), 1)


# ---------------------------------------------------------------------------
# CES
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CESSummary:
    """Customer Effort Score summary (higher = easier).

    ``estimate`` is the mean answer, with its ``std_error`` and ``1 − alpha``
    t interval ``ci_low``…``ci_high`` (scale units); ``share_easy`` and
    ``share_hard`` (0–1) of ``n`` answers.
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    alpha: float
    n: int
    share_easy: float
    share_hard: float

    @property
    def net_easy(self) -> float:
        """Share easy minus share hard, in points (−100…100)."""
        return 100 * (self.share_easy - self.share_hard)


def ces_summary(scores, scale: tuple[int, int] = (1, 7), easy_min: int = 5, hard_max: int = 3,
                alpha: float = 0.05) -> CESSummary:
    """Summarise Customer Effort Score answers (CES 2.0, 1–7, 7 = very easy).

    Parameters
    ----------
    scores : array-like of int
        One answer per respondent on the ``scale``.
    scale : (int, int)
        Lowest and highest answer.
    easy_min, hard_max : int
        Answers ≥ ``easy_min`` count as "easy" (top boxes, 5–7 on the 1–7
        scale), answers ≤ ``hard_max`` as "hard" (1–3) (Dixon, Freeman &
        Toman 2010; the CES 2.0 agreement scale).
    alpha : float
        1 − confidence level of the t interval of the mean.

    Returns
    -------
    CESSummary
        ``estimate`` (the mean answer) with its ``std_error`` and
        ``ci_low``/``ci_high`` t interval, ``n``, ``share_easy`` and
        ``share_hard`` (0–1), and ``net_easy`` (points).
    """
    _check_alpha(alpha)
    lo, hi = scale
    if not lo <= hard_max < easy_min <= hi:
        raise ValueError(f"need scale[0] <= hard_max < easy_min <= scale[1], got {scale}, {hard_max}, {easy_min}")
    values = _validate_scores(scores, lo, hi, "ces scores").astype("float64")
    n = len(values)
    mean = float(values.mean())
    if n > 1:
        se = float(values.std(ddof=1) / np.sqrt(n))
        half = float(stats.t.ppf(1 - alpha / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    else:
        se = half = float("nan")
    return CESSummary(estimate=mean, std_error=se, ci_low=mean - half, ci_high=mean + half, alpha=float(alpha),
                      n=n, share_easy=float((values >= easy_min).mean()),
                      share_hard=float((values <= hard_max).mean()))
