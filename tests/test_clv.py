"""Tests of helpers.clv: published results, numerical cross-checks, planted truth, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize

from helpers import clv
from helpers.data import SAMPLE_DIR, load_cdnow

# Fader & Hardie (2007), "How to project customer retention", Table 1: customers
# still active (per 1000) at the start of years 0..12; the sBG is fitted on years 0-7.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.fixture(scope="module")
def cdnow_split():
    return clv.calibration_holdout_split(load_cdnow("sample"), "1997-09-30", "1998-06-30", time_unit="W")


@pytest.fixture(scope="module")
def bgnbd(cdnow_split):
    return clv.BetaGeoModel().fit(cdnow_split)


@pytest.fixture(scope="module")
def gamma_gamma(cdnow_split):
    return clv.GammaGammaModel().fit(cdnow_split)


# ---------------------------------------------------------------------------
# rfm_summary and the split
# ---------------------------------------------------------------------------
def small_transactions():
    return pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B", "C", "C"],
        "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-15", "2024-01-29",
                                "2024-01-08", "2024-01-22", "2024-01-29"], format="ISO8601"),
        "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 0.0, 12.0],
    })


def test_rfm_summary_counts_same_day_purchases_once():
    s = clv.rfm_summary(small_transactions(), observation_end="2024-02-05", time_unit="D")
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert s.loc["A"].tolist() == [2, 28, 35, 30.0]   # 1 Jan (10 + 5) is the first purchase
    assert s.loc["B"].tolist() == [0, 0, 28, 0.0]
    assert s.loc["C"].tolist() == [1, 7, 14, 12.0]
    assert s.attrs["time_unit"] == "D" and s.attrs["n_purchase_days"] == 6


def test_rfm_summary_time_units():
    days = clv.rfm_summary(small_transactions(), observation_end="2024-02-05", time_unit="D")
    weeks = clv.rfm_summary(small_transactions(), observation_end="2024-02-05", time_unit="W")
    months = clv.rfm_summary(small_transactions(), observation_end="2024-02-05", time_unit="M")
    np.testing.assert_allclose(weeks["T"], days["T"] / 7)
    np.testing.assert_allclose(months["recency"], days["recency"] / 30.4375)
    # default observation end = last date in the data
    assert clv.rfm_summary(small_transactions(), time_unit="D").loc["A", "T"] == 28


@pytest.mark.parametrize("change, message", [
    (lambda df: df.assign(amount=df["amount"].where(df.index != 2, -3.0)), "negative"),
    (lambda df: df.assign(amount=df["amount"].where(df.index != 2, np.nan)), "missing"),
    (lambda df: df.assign(customer_id=df["customer_id"].where(df.index != 1, None)), "customer_id"),
    (lambda df: df.drop(columns="amount"), "no column"),
])
def test_rfm_summary_rejects_bad_input(change, message):
    with pytest.raises(ValueError, match=message):
        clv.rfm_summary(change(small_transactions()))


def test_rfm_summary_rejects_dates_after_observation_end_and_bad_unit():
    with pytest.raises(ValueError, match="after observation_end"):
        clv.rfm_summary(small_transactions(), observation_end="2024-01-20")
    with pytest.raises(ValueError, match="time_unit"):
        clv.rfm_summary(small_transactions(), time_unit="Y")


def test_calibration_holdout_split_small():
    s = clv.calibration_holdout_split(small_transactions(), "2024-01-15", "2024-02-12", time_unit="D")
    # C's first purchase is in the holdout: left out and counted
    assert list(s.index) == ["A", "B"] and s.attrs["n_customers_first_in_holdout"] == 1
    assert s.loc["A", ["frequency", "recency", "T"]].tolist() == [1, 14, 14]
    assert s["frequency_holdout"].tolist() == [1, 0]
    assert s.loc["A", "monetary_value_holdout"] == 40.0
    assert (s["duration_holdout"] == 28).all()


def test_cdnow_calibration_summary(cdnow_split):
    # 2,357 customers, 946 of them repeat buyers in the 39-week calibration period (FHL 2005a, 2005b)
    assert len(cdnow_split) == 2357
    assert (cdnow_split["frequency"] > 0).sum() == 946
    assert cdnow_split["T"].max() == pytest.approx(272 / 7)   # 1997-01-01 .. 1997-09-30


# ---------------------------------------------------------------------------
# published results on CDNOW
# ---------------------------------------------------------------------------
def test_bgnbd_reproduces_fader_hardie_lee_2005(bgnbd):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: round(v, 3) for k, v in bgnbd.params_.items()} == published
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert bgnbd.n_unique_rows_ < bgnbd.n_customers_   # fitted on unique rows with weights


def test_gamma_gamma_reproduces_fader_hardie_lee_2005(gamma_gamma):
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert {k: round(v, 2) for k, v in gamma_gamma.params_.items()} == published
    assert gamma_gamma.n_customers_ == 946 and gamma_gamma.n_excluded_ == 2357 - 946


def test_sbg_reproduces_fader_hardie_2007():
    regular = clv.ShiftedBetaGeometric().fit(REGULAR[:8])
    high_end = clv.ShiftedBetaGeometric().fit(HIGH_END[:8])
    assert {k: round(v, 3) for k, v in regular.params_.items()} == {"alpha": 0.704, "beta": 1.182}
    assert {k: round(v, 3) for k, v in high_end.params_.items()} == {"alpha": 0.668, "beta": 3.806}
    # the paper's point: the projection of years 8-12 stays close to what happened
    for model, actual in [(regular, REGULAR), (high_end, HIGH_END)]:
        projected = 1000 * model.survival(np.arange(13))
        np.testing.assert_allclose(projected[8:], actual[8:], rtol=0.05)


# ---------------------------------------------------------------------------
# numerical cross-checks of the formulas
# ---------------------------------------------------------------------------
def direct_bgnbd(params, x, tx, T, t):
    """P(alive) and E[Y(t)] by integrating over p numerically (lambda integrated analytically).

    Posterior of (lambda, p) given (x, tx, T) under the BG/NBD likelihood (FHL 2005a, eq. 3);
    an alive customer makes (1 - exp(-lambda p t)) / p purchases in expectation in t.
    The Gamma(r, alpha) integral over lambda of lambda^x exp(-lambda s) is
    proportional to (alpha + s)^-(r + x); the Beta(a, b) density is the quad weight.
    """
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    k = r + x
    def alive_term(p):
        return (1 - p) ** x * (alpha + T) ** -k
    def dead_term(p):
        return p * (1 - p) ** (x - 1) * (alpha + tx) ** -k if x > 0 else 0.0
    def future(p):
        if p == 0:  # the limit p -> 0
            return k * t * (alpha + T) ** (-k - 1)
        return (1 - p) ** x / p * ((alpha + T) ** -k - (alpha + T + p * t) ** -k)
    opts = dict(weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-11, limit=200)
    alive = integrate.quad(alive_term, 0, 1, **opts)[0]
    dead = integrate.quad(dead_term, 0, 1, **opts)[0]
    fut = integrate.quad(future, 0, 1, **opts)[0]
    return alive / (alive + dead), fut / (alive + dead)


def test_bgnbd_predictions_match_direct_integration(bgnbd):
    rows = pd.DataFrame({"frequency": [0, 1, 2, 7, 25], "recency": [0.0, 30.4, 5.0, 35.0, 38.0],
                         "T": [38.0, 32.0, 38.9, 36.0, 38.5]}, index=list("abcde"))
    p_alive = bgnbd.p_alive(rows)
    expected = bgnbd.expected_purchases(39.0, rows)
    for cid, row in rows.iterrows():
        pa, ey = direct_bgnbd(bgnbd.params_, row["frequency"], row["recency"], row["T"], 39.0)
        assert p_alive[cid] == pytest.approx(pa, rel=1e-6)
        assert expected[cid] == pytest.approx(ey, rel=1e-6)
    # a new customer is x = 0 observed for T = 0
    _, ey_new = direct_bgnbd(bgnbd.params_, 0, 0.0, 0.0, 52.0)
    assert bgnbd.expected_purchases_new_customer(52.0) == pytest.approx(ey_new, rel=1e-6)


def test_quadrature_fallback_agrees_with_hypergeometric(bgnbd):
    x = np.array([0.0, 1, 3, 10, 40])
    T = np.array([5.0, 20, 38, 39, 39])
    exact = bgnbd._bracket(52.0, x, T)
    np.testing.assert_allclose(bgnbd._bracket_quadrature(np.full(5, 52.0), x, T), exact, rtol=1e-5)
    # almost no heterogeneity in p (huge a, b): 2F1 overflows, the quadrature answers
    flat = clv.BetaGeoModel()
    flat.params_ = {"r": 3.9, "alpha": 14.3, "a": 4250.0, "b": 2.1e6}
    rows = pd.DataFrame({"frequency": [0, 5, 60], "recency": [0.0, 100.0, 155.7], "T": [10.0, 150.0, 156.4]})
    ey = flat.expected_purchases(52.0, rows)
    assert ey.notna().all() and (ey > 0).all()
    # with p ~ 0.002 fixed the customers buy at the posterior mean rate (r + x) / (alpha + T) almost all year
    rate = (3.9 + rows["frequency"]) / (14.3 + rows["T"])
    np.testing.assert_allclose(ey, 52 * rate * flat.p_alive(rows), rtol=0.06)


def test_bgnbd_simulation_agrees_with_model(bgnbd):
    sim = bgnbd.simulate(100_000, T=39.0, seed=3)
    # E[X(T)] of a new customer = mean simulated frequency; mean P(alive) = share alive
    assert sim["frequency"].mean() == pytest.approx(bgnbd.expected_purchases_new_customer(39.0), rel=0.03)
    assert bgnbd.p_alive(sim).mean() == pytest.approx(sim["alive"].mean(), abs=0.01)
    refit = clv.BetaGeoModel().fit(sim)
    for key in ["r", "a", "b"]:
        assert refit.params_[key] == pytest.approx(bgnbd.params_[key], rel=0.15)


def test_gradients_are_right():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 200).astype(float)
    T = rng.uniform(10, 40, 200)
    tx = np.where(x > 0, T * rng.uniform(0, 1, 200), 0.0)
    w = rng.integers(1, 4, 200).astype(float)
    z = np.log([0.5, 3.0, 0.8, 2.0])
    err = optimize.check_grad(lambda v: clv.BetaGeoModel._negll(v, x, tx, T, w)[0],
                              lambda v: clv.BetaGeoModel._negll(v, x, tx, T, w)[1], z)
    assert err < 1e-5
    m = rng.gamma(5, 6, 200)
    err = optimize.check_grad(lambda v: clv.GammaGammaModel._negll(v, x + 1, m)[0],
                              lambda v: clv.GammaGammaModel._negll(v, x + 1, m)[1], np.log([5.0, 3.0, 15.0]))
    assert err < 1e-5
    cohorts = [np.array(REGULAR[:8], float), np.array(HIGH_END[:5], float)]
    err = optimize.check_grad(lambda v: clv.ShiftedBetaGeometric._negll(v, cohorts)[0],
                              lambda v: clv.ShiftedBetaGeometric._negll(v, cohorts)[1], np.log([0.7, 2.0]))
    assert err < 1e-5


def test_weighted_fit_equals_fit_on_repeated_rows(cdnow_split, bgnbd):
    head = cdnow_split.iloc[:1000]
    doubled = pd.concat([head, head])
    w = clv.BetaGeoModel().fit(head, weights=np.full(len(head), 2.0))
    d = clv.BetaGeoModel().fit(doubled)
    for key in w.params_:
        assert w.params_[key] == pytest.approx(d.params_[key], rel=1e-4)
    assert w.log_likelihood_ == pytest.approx(d.log_likelihood_, rel=1e-6)


def test_predictions_never_nan_or_negative(bgnbd, gamma_gamma):
    extreme = pd.DataFrame({"frequency": [0, 1, 150, 400, 3], "recency": [0.0, 0.0, 38.9, 1.0, 1e-9],
                            "T": [0.0, 1e-6, 39.0, 500.0, 1000.0], "monetary_value": [0.0, 1e-3, 500.0, 20.0, 1e4]})
    for t in [0.0, 0.01, 1.0, 52.0, 5000.0]:
        ey = bgnbd.expected_purchases(t, extreme)
        assert ey.notna().all() and (ey >= 0).all()
    pa = bgnbd.p_alive(extreme)
    assert pa.between(0, 1).all()
    assert bgnbd.expected_purchases(0.0, extreme).eq(0).all()
    assert gamma_gamma.expected_spend(extreme).gt(0).all()
    value = clv.customer_lifetime_value(bgnbd, gamma_gamma, extreme, months=36, monthly_discount_rate=0.01,
                                        margin=0.3)
    assert value.notna().all() and (value >= 0).all()


def test_expected_purchases_increase_with_horizon(bgnbd, cdnow_split):
    e1 = bgnbd.expected_purchases(10, cdnow_split)
    e2 = bgnbd.expected_purchases(20, cdnow_split)
    assert (e2 >= e1).all() and (e2 > e1).any()


# ---------------------------------------------------------------------------
# Gamma-Gamma and CLV
# ---------------------------------------------------------------------------
def test_expected_spend_shrinks_towards_the_population_mean(gamma_gamma):
    p, q, g = (gamma_gamma.params_[k] for k in ["p", "q", "gamma"])
    population = p * g / (q - 1)
    rows = pd.DataFrame({"frequency": [0, 1, 10], "recency": [0.0, 5.0, 30.0], "T": [30.0] * 3,
                         "monetary_value": [0.0, 200.0, 200.0]})
    spend = gamma_gamma.expected_spend(rows)
    assert spend.iloc[0] == pytest.approx(population)
    assert population < spend.iloc[1] < spend.iloc[2] < 200


def test_clv_equals_discounted_sum_of_monthly_purchases(bgnbd, gamma_gamma, cdnow_split):
    rows = cdnow_split.iloc[:50]
    spend = gamma_gamma.expected_spend(rows)
    month = 365.25 / 12 / 7
    undiscounted = clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, months=12, monthly_discount_rate=0.0,
                                               margin=1.0)
    np.testing.assert_allclose(undiscounted, bgnbd.expected_purchases(12 * month, rows) * spend, rtol=1e-9)
    manual = sum((bgnbd.expected_purchases(m * month, rows) - bgnbd.expected_purchases((m - 1) * month, rows))
                 / 1.01 ** m for m in range(1, 13)) * spend * 0.3
    value = clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, months=12, monthly_discount_rate=0.01,
                                        margin=0.3)
    np.testing.assert_allclose(value, manual, rtol=1e-9)
    per_customer = clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, 12, 0.01,
                                               margin=pd.Series(0.3, index=rows.index))
    np.testing.assert_allclose(per_customer, value)
    with pytest.raises(ValueError, match="margin"):
        clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, 12, 0.01, margin=30)


def test_time_unit_mismatch_is_refused(bgnbd, cdnow_split):
    days = clv.rfm_summary(small_transactions(), time_unit="D")
    with pytest.raises(ValueError, match="time unit"):
        bgnbd.p_alive(days)
    by_hand = pd.DataFrame(cdnow_split[["frequency", "recency", "T"]].to_dict("list"))   # no recorded unit
    assert "time_unit" not in by_hand.attrs
    manual = clv.BetaGeoModel().fit(by_hand)
    gg = clv.GammaGammaModel()
    gg.params_ = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    rows = pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [10.0]})
    with pytest.raises(ValueError, match="time unit"):
        clv.customer_lifetime_value(manual, gg, rows, 12, 0.01, 0.3)
    assert clv.customer_lifetime_value(manual, gg, rows, 12, 0.01, 0.3, time_unit="W").iloc[0] > 0


def test_unfitted_and_unfittable_models():
    with pytest.raises(ValueError, match="not fitted"):
        clv.BetaGeoModel().p_alive(pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0]}))
    none_repeat = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 5.0]})
    with pytest.raises(ValueError, match="no repeat buyers"):
        clv.BetaGeoModel().fit(none_repeat)
    with pytest.raises(ValueError, match="recency"):
        clv.BetaGeoModel().fit(pd.DataFrame({"frequency": [1], "recency": [9.0], "T": [2.0]}))
    # identical spend for everybody: the spend variance across customers is zero and the fit runs away
    same = pd.DataFrame({"frequency": np.arange(1, 41), "recency": 1.0, "T": 2.0, "monetary_value": 10.0})
    with pytest.raises(clv.ConvergenceError):
        clv.GammaGammaModel().fit(same)


# ---------------------------------------------------------------------------
# sBG
# ---------------------------------------------------------------------------
def test_sbg_formulas():
    model = clv.ShiftedBetaGeometric().fit(REGULAR[:8])
    al, be = model.params_["alpha"], model.params_["beta"]
    t = np.arange(1, 12)
    np.testing.assert_allclose(model.retention_rate(t), model.survival(t) / model.survival(t - 1))
    # closed form 2F1 against a long direct sum, discounted 10 % a period
    direct = model.expected_residual_lifetime(0, 0.10, horizon=5000)
    assert model.expected_residual_lifetime(0, 0.10) == pytest.approx(direct, rel=1e-9)
    # a holder who has renewed 3 times: S(3 + k) / S(3)
    k = np.arange(5000)
    direct3 = np.sum(model.survival(3 + k) / model.survival(3) / 1.1 ** k)
    assert model.expected_residual_lifetime(3, 0.10) == pytest.approx(direct3, rel=1e-9)
    # alpha < 1: the undiscounted expected lifetime is infinite, say so
    assert al < 1
    with pytest.raises(ValueError, match="infinite"):
        model.expected_residual_lifetime(0)
    # alpha > 1: closed form of the mean lifetime (alpha + beta - 1) / (alpha - 1)
    long_lived = clv.ShiftedBetaGeometric()
    long_lived.params_ = {"alpha": 3.0, "beta": 5.0}
    assert long_lived.expected_residual_lifetime(0) == pytest.approx(
        long_lived.expected_residual_lifetime(0, 0.0, horizon=200_000), rel=1e-4)
    del be


def test_sbg_pooled_cohorts_and_bad_input():
    both = clv.ShiftedBetaGeometric().fit([REGULAR[:8], REGULAR[:5]])
    assert both.n_cohorts_ == 2 and both.params_["alpha"] == pytest.approx(0.70, abs=0.1)
    with pytest.raises(ValueError, match="must not increase"):
        clv.ShiftedBetaGeometric().fit([100, 80, 85, 60])
    with pytest.raises(ValueError, match="cohort size"):
        clv.ShiftedBetaGeometric().fit([0, 0])
    with pytest.raises(ValueError, match="whole numbers"):
        clv.ShiftedBetaGeometric().fit([100, 80.5])


# ---------------------------------------------------------------------------
# planted truth: the synthetic company
# ---------------------------------------------------------------------------
needs_sample = pytest.mark.skipif(not (SAMPLE_DIR / "READY").exists(), reason="sample data not generated")


@pytest.fixture(scope="module")
def company_purchases():
    from helpers.data import load_company

    orders = load_company().orders
    returns = orders["amount"] < 0
    assert returns.sum() > 0  # return lines exist and are left out (counted here)
    purchases = orders[orders["amount"] > 0]
    return purchases.assign(date=purchases["timestamp"])


@needs_sample
def test_synthetic_holdout_total_within_10_percent(company_purchases):
    # One-year holdout. The calibration ends on 30 September 2024, outside the Christmas peak:
    # a calibration that ends on 31 December sees the many December sign-ups only at the peak
    # and over-predicts the next year (+17 % on this data; the lesson shows it).
    split = clv.calibration_holdout_split(company_purchases, "2024-09-30", "2025-09-30")
    model = clv.BetaGeoModel().fit(split)
    predicted = model.expected_purchases(split["duration_holdout"].iloc[0], split).sum()
    actual = split["frequency_holdout"].sum()
    assert predicted == pytest.approx(actual, rel=0.10)


@needs_sample
def test_synthetic_truth_future_purchases_and_alive(company_purchases):
    from sklearn.metrics import roc_auc_score

    from helpers.data import OBSERVATION_END, load_truth

    summary = clv.rfm_summary(company_purchases, observation_end=OBSERVATION_END, time_unit="W")
    model = clv.BetaGeoModel().fit(summary)
    truth = load_truth("customers_truth").set_index("customer_id").reindex(summary.index)
    assert truth["segment"].notna().all()
    auc = roc_auc_score(truth["alive_at_end"].astype(bool), model.p_alive(summary))
    assert auc >= 0.8
    # the true purchase days of 2026: the fit ends at the Christmas peak, so the model runs high
    # (+12 % on this data); 15 % is the tolerance for that known seasonal bias
    predicted = model.expected_purchases(52.0, summary).sum()
    assert predicted == pytest.approx(truth["purchases_future"].sum(), rel=0.15)
