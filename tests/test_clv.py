"""Tests of helpers.clv: published results, numerical cross-checks, planted truth, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from helpers import clv
from helpers.data import load_cdnow

# Fader & Hardie (2007), "How to project customer retention", Table 1: customers
# still active (per 1000) at the start of years 0..12; the sBG is fitted on years 0-7.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.fixture(scope="module")
def cdnow_split():
    # load_cdnow keeps the file's own name for the purchase date, "date"
    return clv.calibration_holdout_split(load_cdnow("sample"), "1997-09-30", "1998-06-30", timestamp_col="date",
                                         time_unit="W")


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
        "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-15", "2024-01-29",
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
    # the same division done in another order: equal to float rounding (assert_allclose's default rtol 1e-7)
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


def test_rfm_summary_leaves_out_and_counts_rows_after_observation_end():
    s = clv.rfm_summary(small_transactions(), observation_end="2024-01-20", time_unit="D")
    # A's 29 Jan and C's two purchases (22 and 29 Jan) are after the end: left out, counted
    assert s.attrs["rows_after_observation_end"] == 3 and s.attrs["n_transactions"] == 4
    assert list(s.index) == ["A", "B"]
    assert s.loc["A"].tolist() == [1, 14, 19, 20.0]
    # the last day is included, and a Finnish date string means the same day as an ISO one
    same = clv.rfm_summary(small_transactions(), observation_end="29.01.2024", time_unit="D")
    assert same.attrs["rows_after_observation_end"] == 0
    assert same.equals(clv.rfm_summary(small_transactions(), observation_end=pd.Timestamp("2024-01-29"),
                                       time_unit="D"))
    with pytest.raises(ValueError, match="all 7 rows are after observation_end 2023-12-31"):
        clv.rfm_summary(small_transactions(), observation_end="31.12.2023")
    with pytest.raises(ValueError, match="observation_end='01/20/2024' is not a date"):
        clv.rfm_summary(small_transactions(), observation_end="01/20/2024")
    with pytest.raises(ValueError, match="time_unit"):
        clv.rfm_summary(small_transactions(), time_unit="Y")


def test_text_dates_are_refused_not_parsed_month_first():
    # 01.02.2024 is the first of February in Finland; pandas alone would read it as 2 January
    text = small_transactions().assign(timestamp=["01.02.2024"] * 7)
    for call in (lambda: clv.rfm_summary(text),
                 lambda: clv.calibration_holdout_split(text, "2024-01-15", "2024-02-12")):
        with pytest.raises(ValueError, match=r"column 'timestamp' must hold dates \(datetime64\).*'01.02.2024'"
                                             r".*read_table"):
            call()


def test_calibration_holdout_split_small():
    s = clv.calibration_holdout_split(small_transactions(), "2024-01-15", "2024-02-12", time_unit="D")
    # C's first purchase is in the holdout: left out and counted
    assert list(s.index) == ["A", "B"] and s.attrs["n_customers_first_in_holdout"] == 1
    assert s.attrs["rows_after_observation_end"] == 0 and s.attrs["observation_end"] == pd.Timestamp("2024-02-12")
    assert s.loc["A", ["frequency", "recency", "T"]].tolist() == [1, 14, 14]
    assert s["frequency_holdout"].tolist() == [1, 0]
    assert s.loc["A", "monetary_value_holdout"] == 40.0
    assert (s["duration_holdout"] == 28).all()
    # a holdout that ends before the last rows: they are left out and counted; Finnish dates accepted
    short = clv.calibration_holdout_split(small_transactions(), "15.01.2024", "22.01.2024", time_unit="D")
    assert short.attrs["rows_after_observation_end"] == 2       # A's and C's 29 January
    assert short["frequency_holdout"].tolist() == [0, 0] and short.attrs["n_customers_first_in_holdout"] == 1



def test_holdout_dates_are_derived_from_the_end_of_the_data():
    T = pd.Timestamp
    # the sample's split: three months before the end, then a year back (month ends stay month ends)
    assert clv.holdout_dates("31.12.2025", 12, 3) == (T("2024-09-30"), T("2025-09-30"))
    assert clv.holdout_dates(T("2025-12-31")) == (T("2024-12-31"), T("2025-12-31"))
    assert clv.holdout_dates("2025-02-28", 12) == (T("2024-02-29"), T("2025-02-28"))   # leap day
    assert clv.holdout_dates("2027-02-04", 12, 3) == (T("2025-11-04"), T("2026-11-04"))   # any day keeps its day
    # given ends win over the derived ones, as strings or dates
    assert clv.holdout_dates("2025-12-31", calibration_end="2024-06-30") == (T("2024-06-30"), T("2025-12-31"))
    assert clv.holdout_dates("2025-12-31", 6, holdout_end="30.11.2025") == (T("2025-05-31"), T("2025-11-30"))


@pytest.mark.parametrize("kwargs, message", [
    ({"holdout_months": 0}, "holdout_months must be a whole number of months >= 1"),
    ({"holdout_months": 1.5}, "holdout_months must be a whole number"),
    ({"months_before_end": -1}, "months_before_end must be a whole number of months >= 0"),
    ({"holdout_end": "2026-01-31"}, r"holdout_end \(2026-01-31\) is after observation_end"),
    ({"calibration_end": "2025-12-31"}, r"calibration_end \(2025-12-31\) must be before holdout_end"),
    ({"calibration_end": "12/31/2024"}, "calibration_end='12/31/2024' is not a date"),
])
def test_holdout_dates_refuse_what_cannot_be_a_split(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clv.holdout_dates("2025-12-31", **kwargs)

def test_cdnow_calibration_summary(cdnow_split):
    # 2,357 customers, 946 of them repeat buyers in the 39-week calibration period (FHL 2005a, 2005b)
    assert len(cdnow_split) == 2357
    assert (cdnow_split["frequency"] > 0).sum() == 946
    # 1997-01-01 .. 1997-09-30; approx only for the float division by 7
    assert cdnow_split["T"].max() == pytest.approx(272 / 7)


# ---------------------------------------------------------------------------
# published results on CDNOW
# ---------------------------------------------------------------------------
def test_bgnbd_reproduces_fader_hardie_lee_2005(bgnbd):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    # the paper prints three decimals: the estimates must round to them
    assert {k: round(v, 3) for k, v in bgnbd.params_.items()} == published
    # the paper prints one decimal: within half a unit of it (0.05) plus the optimiser's tolerance
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert bgnbd.n_unique_rows_ < bgnbd.n_customers_   # fitted on unique rows with weights


def test_gamma_gamma_reproduces_fader_hardie_lee_2005(gamma_gamma):
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    # the paper prints two decimals: the estimates must round to them
    assert {k: round(v, 2) for k, v in gamma_gamma.params_.items()} == published
    assert gamma_gamma.n_customers_ == 946 and gamma_gamma.n_excluded_ == 2357 - 946


def test_sbg_reproduces_fader_hardie_2007():
    regular = clv.ShiftedBetaGeometric().fit(REGULAR[:8])
    high_end = clv.ShiftedBetaGeometric().fit(HIGH_END[:8])
    # Fader & Hardie (2007) print three decimals: the estimates must round to them
    assert {k: round(v, 3) for k, v in regular.params_.items()} == {"alpha": 0.704, "beta": 1.182}
    assert {k: round(v, 3) for k, v in high_end.params_.items()} == {"alpha": 0.668, "beta": 3.806}
    # the paper's point: the projection of years 8-12 stays close to what happened (Fader & Hardie
    # 2007, Figure 3); it is within 1.7 % (regular) and 4.1 % (high end, year 12) of the actual counts
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
    # two numerical methods (closed form with scipy's 2F1, adaptive quadrature at epsrel 1e-11) agree
    # to 1e-14 here; rel=1e-6 is ample for the lessons and leaves room for other scipy builds
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
    # 64 Gauss-Legendre nodes on the Beta quantile scale: within 2e-6 of the closed form here
    np.testing.assert_allclose(bgnbd._bracket_quadrature(np.full(5, 52.0), x, T), exact, rtol=1e-5)
    # almost no heterogeneity in p (huge a, b): 2F1 overflows, the quadrature answers
    flat = clv.BetaGeoModel()
    flat.params_ = {"r": 3.9, "alpha": 14.3, "a": 4250.0, "b": 2.1e6}
    rows = pd.DataFrame({"frequency": [0, 5, 60], "recency": [0.0, 100.0, 155.7], "T": [10.0, 150.0, 156.4]})
    ey = flat.expected_purchases(52.0, rows)
    assert ey.notna().all() and (ey > 0).all()
    # with p ~ 0.002 fixed the customers buy at the posterior mean rate (r + x) / (alpha + T) almost all
    # year; the few who drop out within the year make the model 0.3-2 % lower: 6 % allows for that
    rate = (3.9 + rows["frequency"]) / (14.3 + rows["T"])
    np.testing.assert_allclose(ey, 52 * rate * flat.p_alive(rows), rtol=0.06)


def test_bgnbd_simulation_agrees_with_model(bgnbd):
    sim = bgnbd.simulate(100_000, T=39.0, seed=3)
    # simulation error of 100,000 customers: the mean frequency has a standard error of 0.7 %
    # (tolerance 3 %, four of them); the share alive 0.16 percentage points (tolerance 1 point). The
    # refitted parameters carry the same sampling error: a and b, the least precise, are off by 3-4 %
    # with this seed; 15 % allows for other seeds and scipy versions
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
    # check_grad compares with forward differences (step 1.5e-8): their own error is about 1e-7
    assert err < 1e-5
    m = rng.gamma(5, 6, 200)   # the same forward-difference error bound for the two other models
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
    # the two fits maximise the same likelihood (weight 2 = the row twice) and agree exactly here;
    # rel=1e-4 (parameters) and 1e-6 (log-likelihood, flat at the optimum) allow the optimiser another path
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
    assert spend.iloc[0] == pytest.approx(population)   # the same formula rearranged: float rounding
    assert population < spend.iloc[1] < spend.iloc[2] < 200


def test_clv_equals_discounted_sum_of_monthly_purchases(bgnbd, gamma_gamma, cdnow_split):
    rows = cdnow_split.iloc[:50]
    spend = gamma_gamma.expected_spend(rows)
    month = 365.25 / 12 / 7
    undiscounted = clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, months=12, monthly_discount_rate=0.0,
                                               margin=1.0)
    # the same closed forms summed in another order: equal to float rounding (rtol 1e-9)
    np.testing.assert_allclose(undiscounted, bgnbd.expected_purchases(12 * month, rows) * spend, rtol=1e-9)
    manual = sum((bgnbd.expected_purchases(m * month, rows) - bgnbd.expected_purchases((m - 1) * month, rows))
                 / 1.01 ** m for m in range(1, 13)) * spend * 0.3
    value = clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, months=12, monthly_discount_rate=0.01,
                                        margin=0.3)
    np.testing.assert_allclose(value, manual, rtol=1e-9)
    per_customer = clv.customer_lifetime_value(bgnbd, gamma_gamma, rows, 12, 0.01,
                                               margin=pd.Series(0.3, index=rows.index))
    np.testing.assert_allclose(per_customer, value)   # identical arithmetic: float rounding only
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


# ---------------------------------------------------------------------------
# scikit-learn's fitted-model rules
# ---------------------------------------------------------------------------
ROWS = pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [10.0]})
UNFITTED_CALLS = {
    "BetaGeoModel.p_alive": lambda: clv.BetaGeoModel().p_alive(ROWS),
    "BetaGeoModel.expected_purchases": lambda: clv.BetaGeoModel().expected_purchases(52.0, ROWS),
    "BetaGeoModel.expected_purchases_new_customer": lambda: clv.BetaGeoModel().expected_purchases_new_customer(52.0),
    "BetaGeoModel.simulate": lambda: clv.BetaGeoModel().simulate(10, 39.0, seed=0),
    "GammaGammaModel.expected_spend": lambda: clv.GammaGammaModel().expected_spend(ROWS),
    "ShiftedBetaGeometric.survival": lambda: clv.ShiftedBetaGeometric().survival(3),
    "ShiftedBetaGeometric.retention_rate": lambda: clv.ShiftedBetaGeometric().retention_rate(3),
    "ShiftedBetaGeometric.expected_residual_lifetime":
        lambda: clv.ShiftedBetaGeometric().expected_residual_lifetime(0, 0.1),
}


@pytest.mark.parametrize("call", UNFITTED_CALLS.values(), ids=UNFITTED_CALLS.keys())
def test_every_prediction_before_fit_raises_not_fitted(call):
    with pytest.raises(NotFittedError, match=r"is not fitted yet: call fit\((summary|alive)\) first"):
        call()


def test_check_is_fitted_before_and_after_fit(bgnbd, gamma_gamma):
    for model in (clv.BetaGeoModel(), clv.GammaGammaModel(), clv.ShiftedBetaGeometric()):
        assert not [name for name in vars(model) if name.endswith("_")]   # nothing fitted-looking before fit
        with pytest.raises(NotFittedError):
            check_is_fitted(model)
    for model in (bgnbd, gamma_gamma, clv.ShiftedBetaGeometric().fit(REGULAR[:8])):
        check_is_fitted(model)   # passes


def test_clv_of_unfitted_models_raises_not_fitted(bgnbd, gamma_gamma):
    with pytest.raises(NotFittedError, match=r"BetaGeoModel is not fitted yet: call transaction_model.fit"):
        clv.customer_lifetime_value(clv.BetaGeoModel(), gamma_gamma, ROWS)
    with pytest.raises(NotFittedError, match=r"GammaGammaModel is not fitted yet: call spend_model.fit"):
        clv.customer_lifetime_value(bgnbd, clv.GammaGammaModel(), ROWS)


# ---------------------------------------------------------------------------
# refusing what would mislead (issue 10)
# ---------------------------------------------------------------------------
def test_summary_rules_are_checked_before_fitting():
    with pytest.raises(ValueError, match="'recency' must be <= 'T'; 1 rows break it"):
        clv.BetaGeoModel().fit(pd.DataFrame({"frequency": [1], "recency": [9.0], "T": [2.0]}))


def test_bgnbd_without_repeat_buyers_is_refused():
    none_repeat = pd.DataFrame({"frequency": [0] * 500, "recency": 0.0, "T": np.linspace(3, 39, 500)})
    with pytest.raises(ValueError, match=r"no repeat buyers \(frequency > 0\) among its 500 customers.*"
                                         r"cannot be fitted"):
        clv.BetaGeoModel().fit(none_repeat)


def test_bgnbd_on_too_few_customers_is_refused(bgnbd):
    few = bgnbd.simulate(60, T=39.0, seed=1)
    n_repeat = int((few["frequency"] > 0).sum())
    with pytest.raises(ValueError, match=rf"too few to fit: the data have 60 customers, {n_repeat} repeat buyers "
                                         r"\(frequency > 0\); the fit needs at least 100 customers, 40 repeat "
                                         r"buyers.*4 parameters.*10 of them per parameter"):
        clv.BetaGeoModel().fit(few)
    # knowingly lowered thresholds fit (a classroom toy example)
    assert clv.BetaGeoModel(min_customers=50, min_repeat_buyers=20).fit(few).params_["r"] > 0


def test_bgnbd_on_too_few_repeat_buyers_is_refused(cdnow_split):
    one_timers = cdnow_split[cdnow_split["frequency"] == 0]
    sparse = pd.concat([one_timers, cdnow_split[cdnow_split["frequency"] > 0].iloc[:25]])
    with pytest.raises(ValueError, match=rf"the data have {len(sparse):,} customers, 25 repeat buyers.*"
                                         r"at least 100 customers, 40 repeat buyers"):
        clv.BetaGeoModel().fit(sparse)
    # the weights count as customers: 30 rows standing for 4 customers each are 120 customers
    rows = cdnow_split[cdnow_split["frequency"] > 0].iloc[:30]
    with pytest.raises(ValueError, match="the data have 120 customers, 120 repeat buyers"):
        clv.BetaGeoModel(min_repeat_buyers=200).fit(rows, weights=np.full(30, 4.0))


def test_gamma_gamma_on_too_few_repeat_buyers_is_refused(cdnow_split):
    with pytest.raises(ValueError, match=r"no repeat buyers \(frequency > 0\) with positive monetary_value "
                                         r"among its 1,411 rows"):
        clv.GammaGammaModel().fit(cdnow_split[cdnow_split["frequency"] == 0])
    few = cdnow_split[cdnow_split["frequency"] > 0].iloc[:20]
    with pytest.raises(ValueError, match=r"GammaGammaModel: too few to fit: the data have 20 repeat buyers with "
                                         r"positive spend; the fit needs at least 30.*3 parameters"):
        clv.GammaGammaModel().fit(few)


def test_gamma_gamma_with_the_same_spend_for_everybody_is_refused():
    # no variation in spend at all: the fit would run its parameters to infinity
    same = pd.DataFrame({"frequency": np.arange(1, 41), "recency": 1.0, "T": 2.0, "monetary_value": 10.0})
    with pytest.raises(ValueError, match=r"all 40 repeat buyers have the same monetary_value \(10.00\)"):
        clv.GammaGammaModel().fit(same)


def test_gamma_gamma_warns_on_extreme_spend_and_names_the_customers(cdnow_split, gamma_gamma):
    assert len(gamma_gamma.outliers_) == 0          # CDNOW's largest spender is 11 times the median
    odd = cdnow_split.copy()
    repeat = odd.index[odd["frequency"] > 0]
    typical = odd.loc[repeat, "monetary_value"].median()
    odd.loc[repeat[[3, 7]], "monetary_value"] = [100 * typical, 60 * typical]   # e.g. amounts in cents
    median = odd.loc[repeat, "monetary_value"].median()
    with pytest.warns(clv.SpendOutlierWarning,
                      match=rf"2 of 946 repeat buyers have a monetary_value more than 50 times the median "
                            rf"\({median:,.2f}\): customers {repeat[3]} \({100 * typical:,.2f}\), "
                            rf"{repeat[7]} \({60 * typical:,.2f}\)\..*amounts in cents"):
        model = clv.GammaGammaModel().fit(odd)
    assert list(model.outliers_) == [repeat[3], repeat[7]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.GammaGammaModel(outlier_ratio=np.inf).fit(odd)   # switched off knowingly


def test_a_runaway_fit_raises_convergence_error():
    # an objective that falls as the parameters grow, flat only far out: the fit runs to the boundary
    def falling(z):
        return -min(z.sum(), 60.0), -np.ones_like(z) * (z.sum() < 60)

    with pytest.raises(clv.ConvergenceError, match=r"toy: the fit ran to a boundary"):
        clv._fitting.minimise(falling, np.zeros(2), "toy")


# ---------------------------------------------------------------------------
# sBG
# ---------------------------------------------------------------------------
def test_sbg_formulas():
    model = clv.ShiftedBetaGeometric().fit(REGULAR[:8])
    al, be = model.params_["alpha"], model.params_["beta"]
    t = np.arange(1, 12)
    # the closed-form ratio against the ratio of two beta functions: float rounding (default rtol 1e-7)
    np.testing.assert_allclose(model.retention_rate(t), model.survival(t) / model.survival(t - 1))
    # closed form 2F1 against a long direct sum, discounted 10 % a period: the sum's remainder after
    # 5,000 periods is below 1.1^-5000, so they agree to float rounding (rel 1e-9)
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
    # the sum stops after 200,000 periods: its remainder is 7.5e-10 of the total; 1e-4 is ample
    assert long_lived.expected_residual_lifetime(0) == pytest.approx(
        long_lived.expected_residual_lifetime(0, 0.0, horizon=200_000), rel=1e-4)
    del be


def test_sbg_pooled_cohorts_and_bad_input():
    both = clv.ShiftedBetaGeometric().fit([REGULAR[:8], REGULAR[:5]])
    # the pooled cohorts are the same customers' history: alpha stays near the single-cohort 0.704
    # (0.725 here; 0.1 allows for the extra weight the shorter cohort gives the early years)
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
needs_sample = pytest.mark.needs_sample


@pytest.fixture(scope="module")
def company_purchases(sample_company):
    orders = sample_company.orders
    returns = orders["amount"] < 0
    assert returns.sum() > 0  # return lines exist and are left out (counted here)
    return orders[orders["amount"] > 0]


@needs_sample
def test_synthetic_holdout_total_within_10_percent(company_purchases):
    # One-year holdout. The calibration ends on 30 September 2024, outside the Christmas peak:
    # a calibration that ends on 31 December sees the many December sign-ups only at the peak
    # and over-predicts the next year (+17 % on this data; the lesson shows it).
    split = clv.calibration_holdout_split(company_purchases, "2024-09-30", "2025-09-30")
    model = clv.BetaGeoModel().fit(split)
    predicted = model.expected_purchases(split["duration_holdout"].iloc[0], split).sum()
    actual = split["frequency_holdout"].sum()
    # the synthetic company has seasons and sign-up waves the BG/NBD does not model; 10 % is the accuracy
    # a yearly plan needs (the forecast is within 0.3 % here)
    assert predicted == pytest.approx(actual, rel=0.10)


@needs_sample
def test_synthetic_truth_future_purchases_and_alive(company_purchases):
    from sklearn.metrics import roc_auc_score

    from helpers.data import load_truth
    from helpers.vocabulary import SAMPLE

    summary = clv.rfm_summary(company_purchases, observation_end=SAMPLE.observation_end, time_unit="W")
    model = clv.BetaGeoModel().fit(summary)
    truth = load_truth("customers_truth").set_index("customer_id").reindex(summary.index)
    assert truth["segment"].notna().all()
    auc = roc_auc_score(truth["alive_at_end"].astype(bool), model.p_alive(summary))
    assert auc >= 0.8   # 0.90 here; 0.8 is the usual bar of a useful ranking
    # the true purchase days of 2026: the fit ends at the Christmas peak, so the model runs high
    # (+12 % on this data); 15 % is the tolerance for that known seasonal bias
    predicted = model.expected_purchases(52.0, summary).sum()
    assert predicted == pytest.approx(truth["purchases_future"].sum(), rel=0.15)


def test_gamma_gamma_reaches_the_same_maximum_as_lifetimes(gamma_gamma):
    """lifetimes 0.11.3, ``GammaGammaFitter(penalizer_coef=0)`` on the same 946 CDNOW repeat buyers
    (calibration to 30.09.1997), run outside the course on 28.11.2026: p 6.249572, q 3.744225,
    v 15.443521, log-likelihood -4055.917695. The likelihood is flat along a ridge, so two optimisers
    agree to about five significant digits; four is the agreement asked for."""
    reference = {"p": 6.249572, "q": 3.744225, "gamma": 15.443521}
    for name, value in reference.items():
        assert gamma_gamma.params_[name] == pytest.approx(value, rel=5e-4), name  # 4 significant digits
    assert gamma_gamma.log_likelihood_ == pytest.approx(-4055.917695, abs=1e-4)  # same maximum
