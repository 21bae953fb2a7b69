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

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from helpers._checks import examples as _examples
from helpers._checks import require_columns

#: Score ranges of the three NPS groups on the 0–10 scale.
PROMOTER_MIN = 9
PASSIVE_MIN = 7

_METHODS = ("adjusted_wald", "wald")


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


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05 for 95 % intervals), got {alpha!r}")


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")


# ---------------------------------------------------------------------------
# NPS
# ---------------------------------------------------------------------------
class NPSCounts(NamedTuple):
    """How many promoters (9–10), passives (7–8) and detractors (0–6)."""

    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        """Number of responses."""
        return self.promoters + self.passives + self.detractors


class NPSInterval(NamedTuple):
    """An NPS and its confidence interval, all in points (−100…100)."""

    nps: float
    low: float
    high: float


@dataclass(frozen=True)
class NPSComparison:
    """Test of the difference between two Net Promoter Scores (points).

    Unpacks as ``difference, statistic, p_value = nps_compare(a, b)``.
    """

    difference: float
    statistic: float
    p_value: float
    nps_a: float
    nps_b: float
    se: float
    low: float
    high: float
    n_a: int
    n_b: int
    method: str

    def __iter__(self):
        return iter((self.difference, self.statistic, self.p_value))


def nps_group(scores) -> pd.Series:
    """Label each 0–10 score ``"promoter"`` (9–10), ``"passive"`` (7–8) or ``"detractor"`` (0–6).

    Returns an ordered categorical Series (detractor < passive < promoter) with
    the index of the input.
    """
    index = scores.index if isinstance(scores, pd.Series) else None
    values = _validate_scores(scores, 0, 10, "nps scores")
    labels = np.where(values >= PROMOTER_MIN, "promoter", np.where(values >= PASSIVE_MIN, "passive", "detractor"))
    return pd.Series(
        pd.Categorical(labels, categories=["detractor", "passive", "promoter"], ordered=True),
        index=index, name="nps_group",
    )


def nps_counts(scores) -> NPSCounts:
    """Count promoters (9–10), passives (7–8) and detractors (0–6) among 0–10 scores."""
    values = _validate_scores(scores, 0, 10, "nps scores")
    promoters = int((values >= PROMOTER_MIN).sum())
    detractors = int((values < PASSIVE_MIN).sum())
    return NPSCounts(promoters, len(values) - promoters - detractors, detractors)


def nps(scores) -> float:
    """Net Promoter Score of 0–10 answers, in points (−100…100).

    ``100 × (share of promoters (9–10) − share of detractors (0–6))``
    (Reichheld 2003).
    """
    c = nps_counts(scores)
    return 100.0 * (c.promoters - c.detractors) / c.n


def _trinomial(promoters, passives, detractors, method: str):
    """Point estimate and standard error (proportions) from counts; vectorised."""
    p_count = np.asarray(promoters, dtype="float64")
    d_count = np.asarray(detractors, dtype="float64")
    n = p_count + np.asarray(passives, dtype="float64") + d_count
    if method == "adjusted_wald":
        # Rocks (2016), Lewis & Sauro (2021): +3/4 promoter, +3/4 detractor, n + 3
        p_count, d_count, n = p_count + 0.75, d_count + 0.75, n + 3.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, pd_ = p_count / n, d_count / n
        est = pp - pd_
        se = np.sqrt((pp + pd_ - est**2) / n)
    return est, se


def nps_ci_from_counts(promoters, passives, detractors, alpha: float = 0.05, method: str = "adjusted_wald"):
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
    (nps, low, high)
        Observed NPS and interval limits, in points; the limits are clipped
        to −100…100. Arrays when the counts are arrays.
    """
    _check_alpha(alpha)
    _check_method(method)
    n = np.asarray(promoters) + np.asarray(passives) + np.asarray(detractors)
    if np.any(n <= 0):
        raise ValueError("counts: every group needs at least one response (n > 0)")
    observed, _ = _trinomial(promoters, passives, detractors, "wald")
    centre, se = _trinomial(promoters, passives, detractors, method)
    z = stats.norm.ppf(1 - alpha / 2)
    low = np.clip(centre - z * se, -1.0, 1.0)
    high = np.clip(centre + z * se, -1.0, 1.0)
    out = (100 * observed, 100 * low, 100 * high)
    if np.ndim(n) == 0:
        return NPSInterval(*(float(v) for v in out))
    return out


def nps_se(scores, method: str = "wald") -> float:
    """Standard error of the NPS in points (trinomial; Wald or adjusted-Wald counts)."""
    _check_method(method)
    c = nps_counts(scores)
    return float(100 * _trinomial(c.promoters, c.passives, c.detractors, method)[1])


def nps_ci(scores, alpha: float = 0.05, method: str = "adjusted_wald") -> NPSInterval:
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

    Returns
    -------
    NPSInterval
        ``(nps, low, high)`` in points.

    Examples
    --------
    90 promoters, 60 passives and 50 detractors give NPS 20 with a Wald
    standard error of 5.745 points: ``nps_ci(s, method="wald")`` ≈ (20.0, 8.7, 31.3).
    """
    c = nps_counts(scores)
    return nps_ci_from_counts(c.promoters, c.passives, c.detractors, alpha=alpha, method=method)


def nps_compare(scores_a, scores_b, alpha: float = 0.05, method: str = "adjusted_wald") -> NPSComparison:
    """Compare the NPS of two independent groups (segments, quarters) with a z-test.

    The difference ``NPS_a − NPS_b`` is tested against zero with the standard
    error ``sqrt(SE_a² + SE_b²)`` of the two trinomial estimates (on
    adjusted counts by default, as MeasuringU recommends for comparing two
    NPS; Sauro & Lewis 2016, ch. 5).

    Returns
    -------
    NPSComparison
        ``difference`` (observed, points), ``statistic`` (z), two-sided
        ``p_value``, the two observed scores, the standard error and a
        ``1 − alpha`` interval of the difference (points). With
        ``method="adjusted_wald"`` the statistic and the interval are computed
        on the adjusted counts, so the interval is centred on the adjusted
        difference (slightly shrunk towards zero), not exactly on
        ``difference``. Unpacks as ``(difference, statistic, p_value)``.
    """
    _check_alpha(alpha)
    _check_method(method)
    ca, cb = nps_counts(scores_a), nps_counts(scores_b)
    obs_a, _ = _trinomial(*ca, "wald")
    obs_b, _ = _trinomial(*cb, "wald")
    est_a, se_a = _trinomial(*ca, method)
    est_b, se_b = _trinomial(*cb, method)
    se = float(np.sqrt(se_a**2 + se_b**2))
    diff = float(est_a - est_b)
    z = diff / se if se > 0 else (0.0 if diff == 0 else np.sign(diff) * np.inf)
    p = float(2 * stats.norm.sf(abs(z)))
    zc = stats.norm.ppf(1 - alpha / 2)
    return NPSComparison(
        difference=float(100 * (obs_a - obs_b)), statistic=float(z), p_value=p,
        nps_a=float(100 * obs_a), nps_b=float(100 * obs_b), se=100 * se,
        low=100 * (diff - zc * se), high=100 * (diff + zc * se),
        n_a=ca.n, n_b=cb.n, method=method,
    )


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
    """Customer Effort Score summary (scale ``low``…``high``, higher = easier)."""

    n: int
    mean: float
    low: float
    high: float
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
        ``n``, ``mean`` with its ``low``/``high`` t interval, ``share_easy``
        and ``share_hard`` (0–1), and ``net_easy`` (points).
    """
    _check_alpha(alpha)
    lo, hi = scale
    if not lo <= hard_max < easy_min <= hi:
        raise ValueError(f"need scale[0] <= hard_max < easy_min <= scale[1], got {scale}, {hard_max}, {easy_min}")
    values = _validate_scores(scores, lo, hi, "ces scores").astype("float64")
    n = len(values)
    mean = float(values.mean())
    if n > 1:
        half = float(stats.t.ppf(1 - alpha / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    else:
        half = float("nan")
    return CESSummary(n=n, mean=mean, low=mean - half, high=mean + half,
                      share_easy=float((values >= easy_min).mean()), share_hard=float((values <= hard_max).mean()))


# ---------------------------------------------------------------------------
# drivers
# ---------------------------------------------------------------------------
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


def driver_importance(data: pd.DataFrame, target: str = "nps", drivers: list[str] | None = None) -> pd.DataFrame:
    """Relative importance of driver ratings for a score: regression + Shapley R².

    Fits the linear regression ``target ~ drivers`` and splits its R² among
    the drivers with the **Shapley value** (LMG; Lipovetsky & Conklin 2001),
    which equals the general dominance weight of Budescu (1993): each driver's
    average gain in R² when it is added to every possible subset of the other
    drivers. Unlike coefficients, the shares are not distorted by correlated
    drivers, and they add up to the model's R².

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    target : str
        Column of the outcome (e.g. ``"nps"`` 0–10).
    drivers : list of str, optional
        Driver columns (e.g. 1–5 ratings); default all ``rating_*`` columns.
        At most 15 (the method fits 2^p regressions, on the correlation
        matrix, so the number of rows does not matter).

    Returns
    -------
    DataFrame
        One row per driver, most important first: ``coefficient`` (target
        points per rating step, holding the others fixed), ``std_coefficient``
        (standardised beta), ``correlation`` (with the target),
        ``shapley_r2`` (R² points attributed), ``share`` (of the total R²,
        0–1). ``attrs["r2"]`` and ``attrs["n"]`` hold the model's R² and the
        rows used.
    """
    if drivers is None:
        drivers = [c for c in data.columns if str(c).startswith("rating_")]
    drivers = list(drivers)
    require_columns(data, [target, *drivers], "data")
    if not 1 <= len(drivers) <= 15:
        raise ValueError(f"drivers: give 1–15 driver columns, got {len(drivers)}")
    frame = data[[target, *drivers]].apply(pd.to_numeric, errors="coerce")
    bad = frame.isna().any(axis=1)
    if bad.any():
        raise ValueError(
            f"data: {int(bad.sum())} rows have missing or non-numeric values in {[target, *drivers]}, "
            f"e.g. rows {data.index[bad][:5].tolist()}; drop them explicitly and report how many"
        )
    if len(frame) <= len(drivers) + 1:
        raise ValueError(f"data: need more rows than drivers + 1, got {len(frame)} rows for {len(drivers)} drivers")
    sd = frame.std(ddof=1)
    constant = sd[sd == 0].index.tolist()
    if constant:
        raise ValueError(f"data: columns {constant} are constant; a constant cannot drive anything")
    x = frame[drivers].to_numpy(dtype="float64")
    y = frame[target].to_numpy(dtype="float64")
    design = np.column_stack([np.ones(len(y)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0][1:]
    corr = np.corrcoef(frame.to_numpy(dtype="float64"), rowvar=False)
    r2 = _r2_all_subsets(corr)
    p = len(drivers)
    weights = np.zeros(p)
    for subset, value in r2.items():
        s = len(subset)
        for j in range(p):
            if j in subset:
                continue
            w = factorial(s) * factorial(p - s - 1) / factorial(p)
            weights[j] += w * (r2[subset | {j}] - value)
    total = r2[frozenset(range(p))]
    out = pd.DataFrame({
        "driver": drivers,
        "coefficient": coef,
        "std_coefficient": coef * sd[drivers].to_numpy() / sd[target],
        "correlation": corr[0, 1:],
        "shapley_r2": weights,
        "share": weights / total if total > 0 else np.nan,
    }).sort_values("shapley_r2", ascending=False, ignore_index=True)
    out.attrs["r2"] = total
    out.attrs["n"] = len(frame)
    return out


# ---------------------------------------------------------------------------
# referrals
# ---------------------------------------------------------------------------
def referral_reach(referrals: pd.DataFrame, referrer_col: str = "referrer_id",
                   referred_col: str = "referred_id") -> pd.DataFrame:
    """Direct and indirect reach of every referrer in a member-gets-member network.

    A customer's **reach** is everyone who joined through them: the customers
    they referred (direct) plus those customers' referrals, and so on
    (indirect). Computed for all customers at once by following each
    customer's chain of referrers upwards (pointer jumping), so the cost grows
    with the longest chain, not with the number of customers.

    Parameters
    ----------
    referrals : DataFrame
        One row per referral. Each customer can have been referred only once
        (a sign-up has one referrer), nobody refers themselves, and there are
        no cycles; breaking any of these raises a ValueError.
    referrer_col, referred_col : str
        Column names.

    Returns
    -------
    DataFrame
        One row per customer who referred at least one person, indexed by the
        customer id: ``direct``, ``indirect``, ``reach`` (= direct +
        indirect), ``generations`` (length of the longest chain below them),
        sorted by reach, then direct, then id.
    """
    for col in (referrer_col, referred_col):
        if col not in referrals.columns:
            raise ValueError(f"referrals: column {col!r} not found; available: {list(referrals.columns)}")
    if len(referrals) == 0:
        raise ValueError("referrals: the table is empty")
    a = referrals[referrer_col]
    b = referrals[referred_col]
    missing = a.isna() | b.isna()
    if missing.any():
        raise ValueError(f"referrals: {int(missing.sum())} rows have a missing id, e.g. rows {referrals.index[missing][:5].tolist()}")
    self_ref = a.to_numpy() == b.to_numpy()
    if self_ref.any():
        raise ValueError(f"referrals: {int(self_ref.sum())} customers refer themselves, e.g. {a[self_ref].head(5).tolist()}")
    dup = b.duplicated(keep=False)
    if dup.any():
        raise ValueError(
            f"referrals: column {referred_col!r} must be unique (one referrer per new customer); "
            f"{int(dup.sum())} rows break it, e.g. {b[dup].unique()[:5].tolist()}"
        )
    codes, ids = pd.factorize(pd.concat([a, b], ignore_index=True), sort=True)
    n_ref = len(referrals)
    src, dst = codes[:n_ref], codes[n_ref:]
    parent = np.full(len(ids), -1, dtype="int64")
    parent[dst] = src
    direct = np.bincount(src, minlength=len(ids))
    reach = np.zeros(len(ids), dtype="int64")
    generations = np.zeros(len(ids), dtype="int64")
    ancestor = parent.copy()
    level = 1
    while (alive := ancestor >= 0).any():
        anc = ancestor[alive]
        if (anc == np.flatnonzero(alive)).any():
            raise ValueError("referrals: the network has a cycle (someone is their own indirect referrer)")
        reach += np.bincount(anc, minlength=len(ids))
        np.maximum.at(generations, anc, level)
        ancestor[alive] = parent[anc]
        level += 1
    out = pd.DataFrame({"direct": direct, "indirect": reach - direct, "reach": reach, "generations": generations},
                       index=pd.Index(ids, name=referrer_col))
    out = out[out["direct"] > 0]
    out = out.reset_index().sort_values(["reach", "direct", referrer_col], ascending=[False, False, True])
    return out.set_index(referrer_col)
