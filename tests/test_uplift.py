"""Tests of helpers.uplift on crafted inputs and simulated campaigns with known individual effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from helpers import uplift as up


def simulate(n=40_000, treated_share=0.8, seed=0):
    """Baseline purchase driven by x0; the message's effect driven by x1 (negative for x1 < -0.5)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    p0 = 1 / (1 + np.exp(-(-2.2 + 1.0 * X[:, 0])))
    tau = np.clip(0.06 * (X[:, 1] + 0.5), -p0, 1 - p0)  # true individual effect on purchase probability
    t = (rng.random(n) < treated_share).astype(int)
    y = (rng.random(n) < p0 + t * tau).astype(int)
    return X, t, y, tau, p0


@pytest.fixture(scope="module")
def data():
    return simulate()


def test_models_recover_cell_differences_exactly_with_unequal_groups():
    # one categorical feature, unpenalised logistic regression = the observed rates per cell;
    # both models must then return treated rate - control rate in each cell, even with a 90/10 split
    rng = np.random.default_rng(1)
    n = 30_000
    cell = rng.integers(0, 3, n)
    t = (rng.random(n) < 0.9).astype(int)
    y = (rng.random(n) < 0.1 + 0.05 * cell * t).astype(int)
    X = np.eye(3)[cell]
    df = pd.DataFrame({"cell": cell, "t": t, "y": y})
    rates = df.groupby(["cell", "t"])["y"].mean().unstack()
    truth = (rates[1] - rates[0]).to_numpy()
    lr = LogisticRegression(C=1e8, solver="newton-cholesky", tol=1e-10, max_iter=500, fit_intercept=False)
    two = up.TwoModelUplift(lr).fit(X, t, y).predict(np.eye(3))
    assert two == pytest.approx(truth, abs=2e-4)
    # class transformation re-weights with the overall split, so a cell's chance imbalance moves it a little
    ct = up.ClassTransformationUplift(lr).fit(X, t, y).predict(np.eye(3))
    assert ct == pytest.approx(truth, abs=5e-3)
    # without the re-weighting the 90/10 split would bias it badly
    z = y * t + (1 - y) * (1 - t)
    naive = 2 * LogisticRegression(C=1e8, solver="newton-cholesky", tol=1e-10, max_iter=500, fit_intercept=False).fit(X, z).predict_proba(np.eye(3))[:, 1] - 1
    assert np.abs(naive - truth).max() > 0.3


def test_uplift_models_rank_the_true_effects(data):
    X, t, y, tau, p0 = data
    train, test = slice(0, 30_000), slice(30_000, None)
    for model in (up.TwoModelUplift(), up.ClassTransformationUplift()):
        pred = model.fit(X[train], t[train], y[train]).predict(X[test])
        rho = stats.spearmanr(pred, tau[test]).statistic
        assert rho > 0.5, f"{type(model).__name__}: rank correlation {rho:.2f}"


def test_qini_orders_perfect_model_response_model_and_random(data):
    X, t, y, tau, p0 = data
    rng = np.random.default_rng(2)
    q_true = up.qini_auc(y, t, tau)
    q_resp = up.qini_auc(y, t, p0)      # "target the likeliest buyers": unrelated to the effect here
    q_rand = up.qini_auc(y, t, rng.random(t.size))
    q_worst = up.qini_auc(y, t, -tau)
    assert q_true > 0.005 > abs(q_rand)
    assert q_true > q_resp + 0.005
    assert q_worst < -0.005
    assert up.uplift_auc(y, t, tau) > up.uplift_auc(y, t, rng.random(t.size))


def test_qini_curve_matches_a_hand_computation():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    t = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    curve = up.qini_curve(y, t, s, n_points=None)
    expected = [0.0]
    for k in range(1, 9):
        yt, tt = y[:k], t[:k]
        n_t, n_c = tt.sum(), (1 - tt).sum()
        expected.append(yt[tt == 1].sum() - (yt[tt == 0].sum() * n_t / n_c if n_c else 0.0))
    assert curve["qini"].tolist() == pytest.approx(expected)
    assert curve["random"].iloc[-1] == pytest.approx(expected[-1])
    assert curve["share_targeted"].iloc[-1] == 1.0
    u = up.uplift_curve(y, t, s, n_points=None)
    assert u["uplift"].iloc[-1] == pytest.approx((3 / 4 - 1 / 4) * 8)


def test_ties_are_treated_as_one_group():
    y = np.array([1, 0, 0, 1])
    t = np.array([1, 0, 1, 0])
    curve = up.qini_curve(y, t, np.zeros(4), n_points=None)
    assert curve["n_targeted"].tolist() == [0, 4]   # no arbitrary order inside a tie


def test_uplift_at_k_and_deciles(data):
    X, t, y, tau, p0 = data
    top = up.uplift_at_k(y, t, tau, k=0.1)
    overall = y[t == 1].mean() - y[t == 0].mean()
    assert top > overall + 0.05
    dec = up.uplift_by_decile(y, t, tau)
    assert len(dec) == 10 and dec["n_treatment"].sum() == t.sum()
    assert dec["uplift"].iloc[0] > dec["uplift"].iloc[-1]
    assert dec["uplift"].iloc[-1] < 0  # sleeping dogs at the bottom
    assert stats.spearmanr(dec["predicted_uplift"], dec["uplift"]).statistic > 0.8


def test_profit_curve_ends_at_mailing_everyone(data):
    X, t, y, tau, p0 = data
    pc = up.profit_curve(y, t, tau, cost_per_contact=0.5, value_per_unit=30.0, population=100_000)
    everyone = (y[t == 1].mean() - y[t == 0].mean()) * 30.0 * 100_000 - 0.5 * 100_000
    assert pc["profit"].iloc[-1] == pytest.approx(everyone)
    assert pc["profit"].iloc[0] == 0.0
    assert pc["profit"].max() > everyone  # leaving the sleeping dogs alone pays
    costs = np.where(np.arange(t.size) % 2 == 0, 0.05, 0.12)          # e-mail and SMS customers
    pc2 = up.profit_curve(y, t, tau, cost_per_contact=costs, value_per_unit=30.0)
    assert pc2["cost"].iloc[-1] == pytest.approx(costs.sum())
    top = np.argsort(-tau, kind="stable")[: int(pc2["n_contacted"].iloc[10])]
    assert pc2["cost"].iloc[10] == pytest.approx(costs[top].sum())


def test_tree_models_work_as_base_learners(data):
    X, t, y, tau, p0 = data
    tree = DecisionTreeClassifier(max_depth=4, min_samples_leaf=300, random_state=0)
    for model in (up.TwoModelUplift(tree), up.ClassTransformationUplift(tree)):
        pred = model.fit(X[:30_000], t[:30_000], y[:30_000]).predict(X[30_000:])
        assert stats.spearmanr(pred, tau[30_000:]).statistic > 0.3, type(model).__name__


@pytest.mark.parametrize("call, message", [
    (lambda: up.TwoModelUplift().fit(np.zeros((4, 1)), [0, 1, 2, 1], [0, 1, 0, 1]), "0/1"),
    (lambda: up.TwoModelUplift().fit(np.zeros((4, 1)), [1, 1, 1, 1], [0, 1, 0, 1]), "size zero"),
    (lambda: up.ClassTransformationUplift().fit(np.zeros((4, 1)), [0, 1, 0], [0, 1, 0, 1]), "lengths must match"),
    (lambda: up.ClassTransformationUplift().fit(np.zeros((4, 1)), [0, 1, 0, 1], [0, 2, 0, 1]), "0/1"),
    (lambda: up.qini_curve([0, 1, 1], [0, 1, 0], [0.1, 0.2]), "lengths must match"),
    (lambda: up.qini_curve([0, 1, np.nan], [0, 1, 0], [0.1, 0.2, 0.3]), "missing"),
    (lambda: up.uplift_at_k([0, 1], [0, 1], [0.1, 0.2], k=1.5), "share"),
    (lambda: up.qini_curve([0, 1], ["a", "b"], [0.1, 0.2]), "0/1"),
])
def test_bad_input_raises_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
