"""Tests of helpers.nps: published values, independent computations, simulations, planted truth.

Tolerances: ``pytest.approx()`` without arguments (relative 1e-6) only absorbs
floating-point rounding between two computations of the same formula; every
wider tolerance states its reason where it is used.
"""

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from helpers import nps as N

# The worked example: 90 promoters, 60 passives, 50 detractors (n = 200).
EXAMPLE = [10] * 45 + [9] * 45 + [8] * 30 + [7] * 30 + [6] * 20 + [0] * 30


def test_groups_and_counts():
    counts = N.nps_counts(EXAMPLE)
    assert (counts.promoters, counts.passives, counts.detractors, counts.n) == (90, 60, 50, 200)
    groups = N.nps_group(pd.Series([0, 6, 7, 8, 9, 10], index=list("abcdef")))
    assert groups.tolist() == ["detractor", "detractor", "passive", "passive", "promoter", "promoter"]
    assert list(groups.index) == list("abcdef")


def test_nps_and_wald_se_of_the_worked_example():
    assert N.nps(EXAMPLE) == pytest.approx(20.0)
    # sqrt((0.45 + 0.25 - 0.2**2) / 200) = 0.05745 -> 5.745 points
    assert N.nps_se(EXAMPLE, method="wald") == pytest.approx(5.745, abs=5e-4)  # published to 3 decimals
    est, low, high = N.nps_ci(EXAMPLE, method="wald")
    # z and SE below are rounded to 6 decimals: their product is good to about 1e-5
    assert est == pytest.approx(20.0)
    assert low == pytest.approx(20 - 1.959964 * 5.744563, abs=1e-4)
    assert high == pytest.approx(20 + 1.959964 * 5.744563, abs=1e-4)


def _adjusted_wald_independent(promoters, passives, detractors, conf=0.95):
    """Adjusted-Wald per Lewis & Sauro: +0.75 promoters, +0.75 detractors, +1.5 passives.

    Computed differently from the helper: as the weighted mean and variance of
    a +1/0/-1 variable with frequency weights (numpy's weighted covariance).
    """
    values = np.array([1.0, 0.0, -1.0])
    weights = np.array([promoters + 0.75, passives + 1.5, detractors + 0.75])
    n_adj = weights.sum()
    mean = np.average(values, weights=weights)
    var_population = np.cov(values, fweights=None, aweights=weights, ddof=0)
    se = np.sqrt(var_population / n_adj)
    z = stats.norm.ppf(0.5 + conf / 2)
    return 100 * (mean - z * se), 100 * (mean + z * se)


@pytest.mark.parametrize("counts", [(90, 60, 50), (12, 5, 3), (3, 10, 7), (150, 30, 20)])
def test_adjusted_wald_against_an_independent_computation(counts):
    scores = [10] * counts[0] + [7] * counts[1] + [2] * counts[2]
    est, low, high = N.nps_ci(scores)  # adjusted-Wald is the default
    exp_low, exp_high = _adjusted_wald_independent(*counts)
    assert est == pytest.approx(100 * (counts[0] - counts[2]) / sum(counts))
    # two float64 computations of the same interval: rounding only
    assert low == pytest.approx(max(exp_low, -100), abs=1e-9)
    assert high == pytest.approx(min(exp_high, 100), abs=1e-9)


def test_adjusted_wald_by_hand_for_the_worked_example():
    # 90.75 / 203 promoters, 50.75 / 203 detractors
    pp, pd_ = 90.75 / 203, 50.75 / 203
    se = np.sqrt((pp + pd_ - (pp - pd_) ** 2) / 203)
    _, low, high = N.nps_ci(EXAMPLE, alpha=0.10)
    z = stats.norm.ppf(0.95)
    assert low == pytest.approx(100 * (pp - pd_ - z * se))
    assert high == pytest.approx(100 * (pp - pd_ + z * se))


@pytest.mark.parametrize("n", [20, 200])
@pytest.mark.parametrize("probs", [(0.45, 0.30, 0.25), (0.70, 0.20, 0.10), (0.30, 0.30, 0.40)])
def test_coverage_by_simulation(n, probs):
    """95 % intervals should cover the true NPS about 95 % of the time (20,000 samples)."""
    rng = np.random.default_rng(2024)
    counts = rng.multinomial(n, probs, size=20_000)
    true = 100 * (probs[0] - probs[2])
    coverage = {}
    for method in ("wald", "adjusted_wald"):
        _, low, high = N.nps_ci_from_counts(counts[:, 0], counts[:, 1], counts[:, 2], method=method)
        coverage[method] = np.mean((low <= true) & (true <= high))
    # simulation error of a share near 0.95 with 20,000 draws is about 0.0015
    assert 0.935 <= coverage["adjusted_wald"] <= 0.965
    if n == 200:
        assert 0.935 <= coverage["wald"] <= 0.965
    else:
        # at n = 20 the plain Wald interval is too narrow; adjusted-Wald fixes it
        assert coverage["wald"] < 0.94
        assert coverage["adjusted_wald"] > coverage["wald"]


def test_compare_against_a_manual_z_test():
    a = [10] * 90 + [8] * 60 + [3] * 50   # NPS 20, n 200
    b = [10] * 60 + [8] * 60 + [3] * 80   # NPS -10, n 200
    res = N.nps_compare(a, b, method="wald")
    diff, z, p = res.estimate, res.statistic, res.p_value
    se = np.sqrt((0.45 + 0.25 - 0.04) / 200 + (0.30 + 0.40 - 0.01) / 200)
    assert diff == pytest.approx(30.0)
    assert z == pytest.approx(0.30 / se)
    assert p == pytest.approx(2 * stats.norm.sf(0.30 / se))
    assert res.ci_low < diff < res.ci_high
    assert res.std_error == pytest.approx(100 * se) and res.alpha == 0.05
    same = N.nps_compare(a, a)
    assert same.estimate == 0 and same.p_value == pytest.approx(1.0)


def test_compare_false_positive_rate_is_nominal():
    """Under H0 (same true NPS) the test rejects about 5 % of the time (vectorised re-implementation)."""
    rng = np.random.default_rng(7)
    probs = (0.45, 0.30, 0.25)
    ca = rng.multinomial(150, probs, size=4000)
    cb = rng.multinomial(150, probs, size=4000)
    rejections = 0
    for i in range(400):  # a 400-pair subsample through the public function
        a = [10] * ca[i, 0] + [8] * ca[i, 1] + [0] * ca[i, 2]
        b = [10] * cb[i, 0] + [8] * cb[i, 1] + [0] * cb[i, 2]
        rejections += N.nps_compare(a, b).p_value < 0.05
    # binomial error of a 5 % rate over 400 tests is 1.1 points: the band is about +-3.5 standard errors
    assert 0.02 <= rejections / 400 <= 0.09


def test_sample_size():
    # worst case: n = (1.96 / m)^2 -> 1537 for +-5 points, 385 for +-10 (Wald); adjusted-Wald needs 3 fewer
    assert N.nps_sample_size(5, method="wald") == 1537
    assert N.nps_sample_size(10, method="wald") == 385
    assert N.nps_sample_size(5) == 1534
    n = N.nps_sample_size(5, promoter_share=0.45, detractor_share=0.25, method="wald")
    assert n == int(np.ceil(stats.norm.ppf(0.975) ** 2 * 0.66 / 0.05**2))
    # the promised margin is met: the Wald half-width at that n is at most 5 points
    half = stats.norm.ppf(0.975) * np.sqrt(0.66 / n) * 100
    assert half <= 5 < stats.norm.ppf(0.975) * np.sqrt(0.66 / (n - 1)) * 100
    with pytest.raises(ValueError, match="margin_points"):
        N.nps_sample_size(0)
    with pytest.raises(ValueError, match="both"):
        N.nps_sample_size(5, promoter_share=0.4)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([5, 11, 12], "between 0 and 10; 2 rows"),
        ([5, -1], "between 0 and 10; 1 rows"),
        ([5, 7.5], "whole numbers"),
        ([5, "seven"], "not numbers"),
        ([5, None], "missing"),
        ([], "empty"),
    ],
)
def test_bad_scores_raise_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        N.nps(bad)


def test_scale_check_refuses_a_1_to_5_or_1_to_7_column():
    satisfaction = [1, 2, 3, 4, 5] * 8          # 40 answers of a 1-5 question
    with pytest.raises(ValueError, match=r"values seen: \[1, 2, 3, 4, 5\].*1–5 scale.*check_scale=False"):
        N.nps(satisfaction)
    effort = [1, 3, 5, 6, 7] * 4                 # 20 answers of a 1-7 question
    with pytest.raises(ValueError, match=r"all 20 answers lie between 1 and 7.*1–7 scale.*ces_summary"):
        N.nps_ci(effort)
    with pytest.raises(ValueError, match="1–7 scale"):
        N.nps_compare(EXAMPLE, effort)
    # switched off, the answers are read as 0-10 (all detractors or passives)
    assert N.nps(satisfaction, check_scale=False) == -100.0
    # fewer than 20 answers, or any 0, 8, 9 or 10, and the rule does not apply
    assert N.nps(effort[:19]) == pytest.approx(-100 * 16 / 19)
    assert N.nps(effort + [8]) == pytest.approx(-100 * 16 / 21)
    assert N.nps_counts(effort + [0]).detractors == 17
    with pytest.raises(ValueError, match="1–5 scale"):
        N.check_nps_scale(pd.Series(satisfaction, dtype="float64"), name="survey 'tyytyvaisyys'")
    N.check_nps_scale(EXAMPLE)


def test_interval_fields_and_unpacking():
    res = N.nps_ci(EXAMPLE, alpha=0.10, method="wald")
    assert (res.estimate, res.ci_low, res.ci_high) == tuple(res)
    assert res.std_error == pytest.approx(N.nps_se(EXAMPLE, method="wald"))
    assert res.alpha == 0.10 and res.method == "wald"
    arrays = N.nps_ci_from_counts(np.array([90, 10]), np.array([60, 5]), np.array([50, 5]))
    assert arrays.estimate == pytest.approx([20.0, 25.0]) and arrays.ci_low.shape == (2,)


def test_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        N.nps_ci(EXAMPLE, method="exact")
    with pytest.raises(ValueError, match="alpha"):
        N.nps_ci(EXAMPLE, alpha=5)
    with pytest.raises(ValueError, match="empty"):
        N.nps_compare(EXAMPLE, [])


def test_ces_summary():
    scores = [7, 7, 6, 5, 4, 3, 1, 2, 6, 7]
    res = N.ces_summary(scores)
    arr = np.array(scores, dtype=float)
    assert res.n == 10 and res.estimate == pytest.approx(4.8)
    assert res.share_easy == pytest.approx(0.6) and res.share_hard == pytest.approx(0.3)
    assert res.net_easy == pytest.approx(30.0)
    low, high = stats.t.interval(0.95, 9, loc=arr.mean(), scale=stats.sem(arr))
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high))
    assert res.std_error == pytest.approx(stats.sem(arr))
    with pytest.raises(ValueError, match="between 1 and 7"):
        N.ces_summary([0, 3])


def _shapley_brute_force(df, target, drivers):
    """Shapley R² with statsmodels OLS fits of every subset (independent of the helper)."""
    p = len(drivers)
    r2 = {(): 0.0}
    for size in range(1, p + 1):
        for sub in combinations(drivers, size):
            r2[sub] = sm.OLS(df[target], sm.add_constant(df[list(sub)])).fit().rsquared
    out = {}
    for d in drivers:
        others = [x for x in drivers if x != d]
        total = 0.0
        for size in range(p):
            for sub in combinations(others, size):
                with_d = tuple(x for x in drivers if x in sub or x == d)
                w = factorial(size) * factorial(p - size - 1) / factorial(p)
                total += w * (r2[with_d] - r2[tuple(x for x in drivers if x in sub)])
        out[d] = total
    return out, r2[tuple(drivers)]


def test_driver_importance_against_brute_force_and_truth():
    rng = np.random.default_rng(3)
    n = 3000
    common = rng.normal(size=n)
    x = pd.DataFrame({f"rating_{k}": common * c + rng.normal(size=n) for k, c in
                      zip(["range", "price", "staff", "app"], [0.8, 0.5, 0.0, 0.3])})
    y = 2.0 * x["rating_range"] + 1.0 * x["rating_price"] + 0.5 * x["rating_staff"] + rng.normal(size=n) * 2
    df = x.assign(nps=y)
    res = N.driver_importance(df).set_index("driver")
    expected, r2 = _shapley_brute_force(df, "nps", list(x.columns))
    for d, value in expected.items():
        assert res.loc[d, "shapley_r2"] == pytest.approx(value, abs=1e-10)  # correlation-matrix vs OLS fits: rounding
    assert res["shapley_r2"].sum() == pytest.approx(r2)
    assert res.attrs["r2"] == pytest.approx(r2)
    assert res.index[0] == "rating_range" and res.index[-1] == "rating_app"
    # planted coefficient 1.0; sampling error of the OLS estimate at n = 3000 with correlated drivers is about 0.05
    assert res.loc["rating_price", "coefficient"] == pytest.approx(1.0, abs=0.15)
    with pytest.raises(ValueError, match="missing or non-numeric"):
        N.driver_importance(df.assign(nps=df["nps"].where(df.index > 2)))
    with pytest.raises(ValueError, match="not found"):
        N.driver_importance(df, driver_cols=["rating_nope"])


def test_referral_reach_small_network():
    refs = pd.DataFrame({
        "referrer_id": ["A", "A", "B", "C", "D", "X"],
        "referred_id": ["B", "C", "D", "E", "F", "Y"],
    })
    res = N.referral_reach(refs)
    assert res.index.tolist() == ["A", "B", "C", "D", "X"]
    assert res.loc["A"].tolist() == [2, 3, 5, 3]   # direct B, C; indirect D, E, F; chain A-B-D-F
    assert res.loc["B"].tolist() == [1, 1, 2, 2]
    assert res.loc["X"].tolist() == [1, 0, 1, 1]


def test_referral_reach_matches_networkx():
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(5)
    n = 400
    parents = [f"C{rng.integers(0, i):03d}" if i and rng.random() < 0.7 else None for i in range(n)]
    refs = pd.DataFrame({"referrer_id": parents, "referred_id": [f"C{i:03d}" for i in range(n)]}).dropna()
    res = N.referral_reach(refs)
    g = nx.from_pandas_edgelist(refs, "referrer_id", "referred_id", create_using=nx.DiGraph)
    for node in res.index[:50]:
        assert res.loc[node, "reach"] == len(nx.descendants(g, node))
        assert res.loc[node, "direct"] == g.out_degree(node)


def test_referral_reach_errors():
    with pytest.raises(ValueError, match="unique"):
        N.referral_reach(pd.DataFrame({"referrer_id": ["A", "B"], "referred_id": ["C", "C"]}))
    with pytest.raises(ValueError, match="themselves"):
        N.referral_reach(pd.DataFrame({"referrer_id": ["A"], "referred_id": ["A"]}))
    with pytest.raises(ValueError, match="cycle"):
        N.referral_reach(pd.DataFrame({"referrer_id": ["A", "B", "Z"], "referred_id": ["B", "A", "Y"]}))


# ---------------------------------------------------------------------------
# NPS per group; linking answers to later behaviour (helpers.nps.follow_up)
# ---------------------------------------------------------------------------
def test_nps_by_group_equals_nps_ci_of_each_group():
    scores = pd.Series([10, 9, 7, 3, 0, 10, 8, 8, 6, 9], index=list("abcdefghij"))
    groups = pd.Series(["q2", "q2", "q1", "q1", None, "q2", "q1", "q1", "q2", "q1"], index=scores.index,
                       name="quarter")
    table = N.nps_by_group(scores, groups, alpha=0.1)
    assert list(table.index) == ["q1", "q2"] and table.index.name == "quarter"
    assert table.attrs["answers_without_group"] == 1
    for quarter, row in table.iterrows():
        interval = N.nps_ci(scores[groups == quarter], alpha=0.1)
        assert row["answers"] == (groups == quarter).sum()
        assert (row["estimate"], row["ci_low"], row["ci_high"]) == (interval.estimate, interval.ci_low,
                                                                    interval.ci_high)
    ordered = pd.Categorical(groups, categories=["q2", "q1", "q3"])           # q3 has no answers
    assert list(N.nps_by_group(scores, ordered).index) == ["q2", "q1"]
    with pytest.raises(ValueError, match="one group per answer"):
        N.nps_by_group(scores, groups[:3])


def test_answers_between_reads_both_date_formats_and_includes_both_days():
    answers = pd.DataFrame({"customer_id": list("abcd"),
                            "date": pd.to_datetime(["2025-06-30 00:00", "2025-07-01 00:00", "2025-07-01 15:00",
                                                    "2025-12-31 00:00"])})
    since = N.answers_between(answers, start="01.07.2025")                    # 1 July, not 7 January
    assert list(since["customer_id"]) == ["b", "c", "d"] and since.attrs["start"] == pd.Timestamp("2025-07-01")
    assert list(N.answers_between(answers, end="2025-07-01")["customer_id"]) == ["a", "b", "c"]
    assert list(N.answers_between(answers, "2025-07-01", "2025-07-01")["customer_id"]) == ["b", "c"]
    assert N.answers_between(answers).attrs["end"] is None and len(N.answers_between(answers)) == 4
    with pytest.raises(ValueError, match="before start"):
        N.answers_between(answers, start="2025-12-31", end="2025-01-01")
    with pytest.raises(ValueError, match="start="):
        N.answers_between(answers, start="07/01/2025")


ANSWERS = pd.DataFrame({"customer_id": ["a", "b", "a"], "date": pd.to_datetime(["2025-01-10", "2025-01-10",
                                                                                 "2025-03-01"])},
                       index=[10, 11, 12])
LINES = pd.DataFrame({
    "customer_id": ["a", "a", "a", "a", "a", "b", "b"],
    "order_id": ["o1", "o2", "o2", "o3", "o4", "o5", "o6"],
    "timestamp": pd.to_datetime(["2025-01-10 12:00",   # the answer day: not "after"
                                 "2025-01-11 09:00", "2025-01-11 09:00",  # day 1: one order, two lines
                                 "2025-02-09 23:59",   # day 30: the last day of a 30-day window
                                 "2025-02-10 00:00",   # day 31: outside
                                 "2024-12-12 08:00",   # 29 days before the answer: margin_before only
                                 "2025-03-15 10:00"]),  # after observation_end below
    "margin": [100.0, 5.0, 7.0, -2.0, 50.0, 30.0, 9.0],
})


def test_outcomes_after_counts_days_1_to_days_after_the_answer():
    referrals = pd.DataFrame({"referrer_id": ["a", "a", "b"], "referred_id": ["x", "y", "z"],
                              "date": pd.to_datetime(["2025-01-10", "2025-01-20", "2025-01-11"])})
    out = N.outcomes_after(ANSWERS, LINES, days=30, referrals=referrals, observation_end="28.02.2025")
    assert list(out.index) == [10, 11, 12]
    assert out.loc[10, "orders"] == 2 and out.loc[10, "margin"] == pytest.approx(5 + 7 - 2)
    assert out.loc[11, "orders"] == 0 and out.loc[11, "margin"] == 0 and not out.loc[11, "retained"]
    assert out.loc[12, "orders"] == 0       # the line of 15.3. is after the end of the data: left out
    assert out.attrs["rows_after_observation_end"] == 1
    assert out.attrs["incomplete_windows"] == 1          # 1.3. + 30 days runs past 28.2.
    assert list(out["referrals"]) == [1, 1, 0]           # a's referral on the answer day does not count


def test_margin_before_covers_the_answer_day_and_the_days_before():
    before = N.margin_before(ANSWERS, LINES, days=30)
    assert before.loc[10] == pytest.approx(100.0)        # the answer day itself counts, 12.12. is day -29
    assert before.loc[11] == pytest.approx(30.0)
    assert before.loc[12] == pytest.approx(-2 + 50)      # 31.1. to 1.3.: o2 of 11.1. is outside
    assert N.margin_before(ANSWERS, LINES, days=29).loc[11] == 0


def test_follow_up_input_errors():
    with pytest.raises(ValueError, match="index must be unique"):
        N.outcomes_after(ANSWERS.set_axis([1, 1, 2]), LINES)
    with pytest.raises(ValueError, match="days must be a positive whole number"):
        N.margin_before(ANSWERS, LINES, days=0)
    with pytest.raises(ValueError, match="must hold dates"):
        N.outcomes_after(ANSWERS.assign(date=["10.01.2025"] * 3), LINES)
    with pytest.raises(ValueError, match="missing column"):
        N.outcomes_after(ANSWERS, LINES.drop(columns="margin"))


def test_first_consented_channel_follows_the_order_of_preference():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                              "consent_email": ["yes", "no", "no", None],
                              "consent_sms": ["yes", "yes", "no", "yes"],
                              "consent_post": ["no", "yes", "no", "no"]})
    assert N.first_consented_channel(customers, ["email", "sms"]).tolist() == ["email", "sms", N.NO_CONSENT, "sms"]
    assert N.first_consented_channel(customers, ["post", "email"]).to_dict() == {
        "a": "email", "b": "post", "c": N.NO_CONSENT, "d": N.NO_CONSENT}
    with pytest.raises(ValueError, match="consent_app"):
        N.first_consented_channel(customers, ["app"])
    with pytest.raises(ValueError, match="at least one channel"):
        N.first_consented_channel(customers, [])


# ---------------------------------------------------------------------------
# planted truth in the sample data (skipped until the data exists)
# ---------------------------------------------------------------------------
needs_data = pytest.mark.needs_sample


@needs_data
def test_planted_driver_weights_are_recovered():
    from helpers.data import load_survey, load_truth

    survey = load_survey()
    truth = load_truth("survey_drivers").sort_values("weight", ascending=False)
    res = N.driver_importance(survey, driver_cols=truth["driver"].tolist())
    # the Shapley ranking equals the ranking of the planted weights
    assert res["driver"].tolist() == truth["driver"].tolist()
    # regression coefficients are proportional to the weights (NPS points per rating step)
    coef = res.set_index("driver")["coefficient"].reindex(truth["driver"])
    assert np.corrcoef(coef, truth["weight"])[0, 1] > 0.95  # sampling noise of 3,500 answers; planted exactly 1


@needs_data
def test_planted_ambassadors_have_the_largest_reach():
    from helpers.data import load_referrals, load_truth

    reach = N.referral_reach(load_referrals())
    truth = load_truth("customers_truth")
    ambassadors = set(truth.loc[truth["is_ambassador"].astype(bool), "customer_id"])
    top = set(reach.head(len(ambassadors)).index)
    assert len(top & ambassadors) >= len(ambassadors) - 2


@needs_data
def test_company_survey_interval_contains_the_score():
    from helpers.data import load_survey

    scores = load_survey()["nps"]
    est, low, high = N.nps_ci(scores)
    w_est, w_low, w_high = N.nps_ci(scores, method="wald")
    assert low < est < high and w_low < w_est < w_high
    assert abs((high - low) - (w_high - w_low)) < 0.5  # at n = 3,500 the two intervals nearly agree


def test_outcomes_after_on_the_sample_equals_a_loop_over_answers(sample_company):
    survey = sample_company.survey.sample(25, random_state=1)
    orders = sample_company.orders
    out = N.outcomes_after(survey, orders, days=365, referrals=sample_company.referrals)
    for label, answer in survey.iterrows():     # the same window, computed one answer at a time
        first = answer["date"].normalize() + pd.Timedelta(days=1)
        mine = orders[(orders["customer_id"] == answer["customer_id"]) & (orders["timestamp"] >= first)
                      & (orders["timestamp"] < first + pd.Timedelta(days=365))]
        refs = sample_company.referrals
        brought = refs[(refs["referrer_id"] == answer["customer_id"]) & (refs["date"] >= first)
                       & (refs["date"] < first + pd.Timedelta(days=365))]
        assert out.loc[label, "orders"] == mine["order_id"].nunique()
        assert out.loc[label, "margin"] == pytest.approx(mine["margin"].sum())   # summed in another order
        assert out.loc[label, "referrals"] == len(brought)
