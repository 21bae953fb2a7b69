"""Tests of helpers.recommend: mlxtend's documented example, hand-computed metrics, toy recommenders, planted truth.

Tolerances: ``pytest.approx()`` and ``np.allclose`` without arguments
(relative 1e-6 and 1e-5) only absorb floating-point rounding between two
computations of the same formula (ours and mlxtend's, or by hand); the
sparse item-to-item path is compared with the dense reference exactly.
"""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from helpers import recommend as R

# The five baskets of mlxtend's documentation (frequent_patterns / association_rules user guide).
DATASET = [
    ["Milk", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
    ["Dill", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
    ["Milk", "Apple", "Kidney Beans", "Eggs"],
    ["Milk", "Unicorn", "Corn", "Kidney Beans", "Yogurt"],
    ["Corn", "Onion", "Onion", "Kidney Beans", "Ice cream", "Eggs"],
]


def _rule(rules, antecedents, consequents):
    hit = rules[(rules["antecedents"] == frozenset(antecedents)) & (rules["consequents"] == frozenset(consequents))]
    assert len(hit) == 1, (antecedents, consequents)
    return hit.iloc[0]


def test_frequent_itemsets_of_the_mlxtend_documentation():
    found = R.frequent_itemsets(DATASET, min_support=0.6)
    got = {frozenset(s): round(v, 6) for s, v in zip(found["itemsets"], found["support"])}
    documented = {
        frozenset({"Kidney Beans"}): 1.0, frozenset({"Eggs"}): 0.8, frozenset({"Yogurt"}): 0.6,
        frozenset({"Onion"}): 0.6, frozenset({"Milk"}): 0.6, frozenset({"Eggs", "Kidney Beans"}): 0.8,
        frozenset({"Yogurt", "Kidney Beans"}): 0.6, frozenset({"Eggs", "Onion"}): 0.6,
        frozenset({"Onion", "Kidney Beans"}): 0.6, frozenset({"Eggs", "Onion", "Kidney Beans"}): 0.6,
        frozenset({"Milk", "Kidney Beans"}): 0.6,
    }
    assert got == documented


def test_rules_of_the_mlxtend_documentation():
    rules = R.basket_rules(DATASET, min_support=0.6, metric="confidence", min_threshold=0.7)
    # documented (support, confidence, lift) of rules with confidence >= 0.7
    documented = [
        ({"Kidney Beans"}, {"Eggs"}, 0.8, 0.8, 1.0),
        ({"Eggs"}, {"Kidney Beans"}, 0.8, 1.0, 1.0),
        ({"Yogurt"}, {"Kidney Beans"}, 0.6, 1.0, 1.0),
        ({"Eggs"}, {"Onion"}, 0.6, 0.75, 1.25),
        ({"Onion"}, {"Eggs"}, 0.6, 1.0, 1.25),
        ({"Onion"}, {"Kidney Beans"}, 0.6, 1.0, 1.0),
        ({"Onion", "Kidney Beans"}, {"Eggs"}, 0.6, 1.0, 1.25),
        ({"Eggs", "Onion"}, {"Kidney Beans"}, 0.6, 1.0, 1.0),
        ({"Eggs", "Kidney Beans"}, {"Onion"}, 0.6, 0.75, 1.25),
        ({"Onion"}, {"Eggs", "Kidney Beans"}, 0.6, 1.0, 1.25),
        ({"Eggs"}, {"Onion", "Kidney Beans"}, 0.6, 0.75, 1.25),
        ({"Milk"}, {"Kidney Beans"}, 0.6, 1.0, 1.0),
    ]
    assert len(rules) == len(documented)
    for a, c, support, confidence, lift in documented:
        row = _rule(rules, a, c)
        assert row["support"] == pytest.approx(support)
        assert row["confidence"] == pytest.approx(confidence)
        assert row["lift"] == pytest.approx(lift)
    # the documented lift filter keeps the six rules with lift 1.25
    by_lift = R.basket_rules(DATASET, min_support=0.6, metric="lift", min_threshold=1.2)
    assert len(by_lift) == 6 and np.allclose(by_lift["lift"], 1.25)
    assert by_lift.attrs["n_baskets"] == 5


def test_pair_rules_by_hand_on_the_documentation_example():
    rules = R.pair_rules(DATASET).set_index(["antecedent", "consequent"])
    eggs_onion = rules.loc[("Eggs", "Onion")]
    assert eggs_onion["count"] == 3
    assert eggs_onion["support"] == pytest.approx(0.6)
    assert eggs_onion["confidence"] == pytest.approx(0.75)
    assert eggs_onion["lift"] == pytest.approx(1.25)
    assert eggs_onion["leverage"] == pytest.approx(0.6 - 0.8 * 0.6)
    assert eggs_onion["conviction"] == pytest.approx((1 - 0.6) / (1 - 0.75))
    assert rules.loc[("Onion", "Eggs"), "conviction"] == np.inf
    # Onion twice in the fifth basket counts once: Onion is in 3 of 5 baskets
    assert rules.loc[("Onion", "Eggs"), "antecedent_support"] == pytest.approx(0.6)


def _random_baskets(seed=0, n=400, n_items=12):
    rng = np.random.default_rng(seed)
    rows = []
    for b in range(n):
        size = rng.integers(1, 5)
        weights = np.linspace(2, 1, n_items)
        items = rng.choice(n_items, size=size, replace=False, p=weights / weights.sum())
        rows += [(f"B{b:04d}", f"P{i:02d}") for i in items]
        if 0 in items and rng.random() < 0.6:
            rows.append((f"B{b:04d}", "P11"))  # a planted association P00 -> P11
    return pd.DataFrame(rows, columns=["order_id", "product_id"])


def test_pair_rules_equal_mlxtend_on_random_baskets():
    baskets = _random_baskets()
    mine = R.pair_rules(baskets, min_support=0.01)
    ml = R.basket_rules(baskets, min_support=0.01, metric="support", min_threshold=0.0, max_len=2)
    ml = ml[(ml["antecedents"].map(len) == 1) & (ml["consequents"].map(len) == 1)]
    ml = ml.assign(antecedent=ml["antecedents"].map(lambda s: next(iter(s))),
                   consequent=ml["consequents"].map(lambda s: next(iter(s))))
    cols = ["support", "confidence", "lift", "leverage", "antecedent_support", "consequent_support"]
    merged = mine.merge(ml, on=["antecedent", "consequent"], suffixes=("", "_ml"), validate="one_to_one")
    assert len(merged) == len(mine) == len(ml) > 50
    for c in cols:
        assert np.allclose(merged[c], merged[f"{c}_ml"])
    assert (mine.iloc[0]["antecedent"], mine.iloc[0]["consequent"]) in {("P00", "P11"), ("P11", "P00")}


def test_pair_rules_give_both_directions_one_lift_and_the_stronger_first():
    # A in 4 baskets, C in 2, both in 2: A -> C has confidence 0.5, C -> A confidence 1
    lines = pd.DataFrame({"order_id": ["1", "1", "2", "2", "3", "4", "5"],
                          "product_id": ["A", "C", "A", "C", "A", "A", "B"]})
    rules = R.pair_rules(lines)
    ac = rules.set_index(["antecedent", "consequent"])
    assert ac.loc[("A", "C"), "lift"] == ac.loc[("C", "A"), "lift"]          # exactly equal, not approximately
    assert ac.loc[("A", "C"), "lift"] == pytest.approx(0.4 / (0.8 * 0.4))
    assert (rules.iloc[0]["antecedent"], rules.iloc[0]["consequent"]) == ("C", "A")
    assert rules.iloc[0]["confidence"] == 1.0


def test_basket_input_errors():
    with pytest.raises(ValueError, match="missing"):
        R.pair_rules(pd.DataFrame({"order_id": ["A", None], "product_id": ["x", "y"]}))
    with pytest.raises(ValueError, match="not found"):
        R.pair_rules(pd.DataFrame({"basket": ["A"], "product_id": ["x"]}))
    with pytest.raises(ValueError, match="min_support"):
        R.basket_rules(DATASET, min_support=0)


# ---------------------------------------------------------------------------
# metrics: small cases computed by hand
# ---------------------------------------------------------------------------
REC = {"u1": ["A", "B", "C", "D", "E"], "u2": ["A", "B", "C"], "u3": ["X", "Y", "Z"], "u4": ["B"]}
REL = {"u1": ["B", "D", "F"], "u2": ["C"], "u3": ["Q"], "u5": ["A"], "u4": []}
# u1: 3 relevant, hits at ranks 2 and 4; u2: 1 relevant (< k), hit at rank 3; u3: no hit;
# u4 has no relevant items and u5 no recommendations: both left out (microsoft/recommenders).
L2 = math.log2


def test_metrics_by_hand_k3():
    ndcg_u1 = (1 / L2(3)) / (1 + 1 / L2(3) + 1 / L2(4))
    assert R.precision_at_k(REC, REL, 3) == pytest.approx((1 / 3 + 1 / 3 + 0) / 3)
    assert R.recall_at_k(REC, REL, 3) == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert R.map_at_k(REC, REL, 3) == pytest.approx(((1 / 2) / 3 + (1 / 3) / 1 + 0) / 3)
    assert R.ndcg_at_k(REC, REL, 3) == pytest.approx((ndcg_u1 + 0.5 + 0) / 3)


def test_metrics_by_hand_k5_and_per_user():
    p = R.precision_at_k(REC, REL, 5, per_user=True)
    assert p.to_dict() == pytest.approx({"u1": 2 / 5, "u2": 1 / 5, "u3": 0.0})  # u2's list of 3 still divides by 5
    assert R.recall_at_k(REC, REL, 5, per_user=True).to_dict() == pytest.approx({"u1": 2 / 3, "u2": 1.0, "u3": 0.0})
    assert R.map_at_k(REC, REL, 5, per_user=True).to_dict() == pytest.approx(
        {"u1": (1 / 2 + 2 / 4) / 3, "u2": 1 / 3, "u3": 0.0})
    ndcg_u1 = (1 / L2(3) + 1 / L2(5)) / (1 + 1 / L2(3) + 1 / L2(4))
    assert R.ndcg_at_k(REC, REL, 5, per_user=True).to_dict() == pytest.approx({"u1": ndcg_u1, "u2": 0.5, "u3": 0.0})


def test_map_divides_by_min_of_relevant_and_k():
    rec = {"u": ["A", "B", "X", "Y"]}
    rel = {"u": ["A", "B", "C", "D", "E", "F"]}
    assert R.map_at_k(rec, rel, 2) == pytest.approx(1.0)     # min(6, 2) = 2 hits out of 2
    assert R.map_at_k(rec, rel, 4) == pytest.approx(2 / 4)   # (1 + 1) / min(6, 4)
    assert R.ndcg_at_k(rec, rel, 2) == pytest.approx(1.0)
    assert R.recall_at_k(rec, rel, 2) == pytest.approx(2 / 6)


def _reference(rec, rel, k):
    """Straightforward loop implementation of the microsoft/recommenders definitions."""
    users = [u for u in rec if u in rel and len(rel[u]) > 0]
    p, r, ap, nd = [], [], [], []
    for u in users:
        top, truth = rec[u][:k], set(rel[u])
        hits = [i + 1 for i, item in enumerate(top) if item in truth]
        p.append(len(hits) / k)
        r.append(len(hits) / len(truth))
        ap.append(sum((j + 1) / rank for j, rank in enumerate(hits)) / min(len(truth), k))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(truth), k)))
        nd.append(sum(1 / math.log2(rank + 1) for rank in hits) / ideal)
    return np.mean(p), np.mean(r), np.mean(ap), np.mean(nd)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_metrics_against_a_loop_reference(k):
    rng = np.random.default_rng(k)
    items = [f"P{i:02d}" for i in range(30)]
    rec = {f"u{j}": list(rng.choice(items, size=rng.integers(1, 12), replace=False)) for j in range(200)}
    rel = {f"u{j}": list(rng.choice(items, size=rng.integers(0, 6), replace=False)) for j in range(20, 240)}
    ref = _reference(rec, rel, k)
    got = (R.precision_at_k(rec, rel, k), R.recall_at_k(rec, rel, k), R.map_at_k(rec, rel, k), R.ndcg_at_k(rec, rel, k))
    assert got == pytest.approx(ref)
    both = pd.Series(rec)
    assert R.precision_at_k(both, pd.Series(rel), k) == pytest.approx(ref[0])  # Series work like dicts


def test_catalog_coverage():
    assert R.catalog_coverage(REC, list("ABCDEFXYZQ")) == pytest.approx(8 / 10)
    assert R.catalog_coverage(REC, list("ABCDEFXYZQ"), k=1) == pytest.approx(3 / 10)  # A, X and B
    with pytest.raises(ValueError, match="not in the catalogue"):
        R.catalog_coverage(REC, list("ABC"))


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_metric_errors_for_bad_k(k):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        R.precision_at_k(REC, REL, k)


def test_metric_input_errors():
    with pytest.raises(ValueError, match="twice"):
        R.precision_at_k({"u": ["A", "A"]}, {"u": ["A"]}, 2)
    with pytest.raises(ValueError, match="no user is present in both"):
        R.recall_at_k({"a": ["A"]}, {"b": ["A"]}, 2)
    with pytest.raises(ValueError, match="list of items"):
        R.ndcg_at_k({"a": "A"}, {"a": ["A"]}, 2)


# ---------------------------------------------------------------------------
# split and recommenders on toy data
# ---------------------------------------------------------------------------
TOY = pd.DataFrame({
    "customer_id": ["c1", "c1", "c2", "c2", "c3", "c3", "c4", "c5", "c5", "c6"],
    "product_id": ["tent", "stove", "tent", "stove", "tent", "stove", "candle", "candle", "vase", "candle"],
    "timestamp": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-02-01", "2024-03-01", "2024-04-01",
                                 "2024-05-01", "2024-06-01", "2024-07-01", "2024-08-01", "2024-09-01"]),
})


def test_temporal_split():
    train, test = R.temporal_split(TOY, "2024-05-01")
    assert train["timestamp"].max() < pd.Timestamp("2024-05-01") <= test["timestamp"].min()
    assert len(train) + len(test) == len(TOY)
    _, test2 = R.temporal_split(TOY, "2024-05-01", test_end="2024-08-01")
    assert len(test2) == 3
    for bad in ["2023-01-01", "2024-01-05", "2025-01-01"]:
        with pytest.raises(ValueError, match="outside the data"):
            R.temporal_split(TOY, bad)


def test_default_cutoff_is_the_start_of_the_last_months():
    assert R.default_cutoff("31.12.2025") == pd.Timestamp("2025-07-01")      # the sample: the last half-year
    assert R.default_cutoff("2027-02-04") == pd.Timestamp("2026-08-05")
    assert R.default_cutoff(pd.Timestamp("2024-02-29 18:30"), test_months=12) == pd.Timestamp("2023-03-01")
    assert R.default_cutoff("2025-03-31", test_months=1) == pd.Timestamp("2025-03-01")
    for bad in [0, -1, 2.5, True]:
        with pytest.raises(ValueError, match="test_months"):
            R.default_cutoff("2025-12-31", test_months=bad)


def test_temporal_split_without_cutoff_tests_the_last_months():
    split = R.temporal_split(TOY)                      # last line 1.9.2024: test from 2.3.2024 on
    assert split.cutoff == pd.Timestamp("2024-03-02") == R.default_cutoff("2024-09-01")
    assert len(split.test) == 6 and len(split.train) == 4          # 1.3.2024 is still training
    assert R.temporal_split(TOY, test_months=3).cutoff == pd.Timestamp("2024-06-02")


def test_temporal_split_reads_finnish_dates_and_refuses_text_columns():
    split = R.temporal_split(TOY, "01.05.2024", test_end="01.08.2024")   # 1 May, not 5 January
    assert split.cutoff == pd.Timestamp("2024-05-01") and split.test_end == pd.Timestamp("2024-08-01")
    assert len(split.train) == 5 and len(split.test) == 3
    train, test = split
    assert train is split.train and test is split.test
    as_text = TOY.assign(timestamp=TOY["timestamp"].dt.strftime("%d.%m.%Y"))
    with pytest.raises(ValueError, match=r"'timestamp' must hold dates.*such as \['05.01.2024'"):
        R.temporal_split(as_text, "2024-05-01")
    with pytest.raises(ValueError, match="cutoff="):
        R.temporal_split(TOY, "05/01/2024")


def test_return_lines_are_excluded_and_counted():
    lines = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o2", "o3", "o4"],
        "product_id": ["tent", "stove", "tent", "stove", "tent", "candle"],
        "quantity": [1, 1, 1, 1, -1, 1],
        "amount": [100.0, 30.0, 100.0, 30.0, -100.0, 5.0],
    })
    rules = R.pair_rules(lines)
    assert rules.attrs["return_lines_excluded"] == 1 and rules.attrs["n_baskets"] == 3   # o3 is only a return
    assert rules.equals(R.pair_rules(lines[lines["quantity"] > 0]))
    assert R.basket_rules(lines, min_support=0.5).attrs["return_lines_excluded"] == 1
    # a return booked with a positive quantity but a negative amount is a return too
    credit = lines.assign(quantity=lines["quantity"].abs())
    assert R.frequent_itemsets(credit, min_support=0.5).attrs["return_lines_excluded"] == 1
    bought = R.user_items(lines.rename(columns={"order_id": "customer_id"}))
    assert bought.to_dict() == {"o1": ["stove", "tent"], "o2": ["stove", "tent"], "o4": ["candle"]}
    assert bought.attrs["return_lines_excluded"] == 1
    with pytest.raises(ValueError, match="only return lines"):
        R.pair_rules(lines[lines["quantity"] < 0])


def test_user_items_excluding_history():
    train = pd.DataFrame({"customer_id": ["a", "a", "c"], "product_id": ["x", "y", "x"]})
    test = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "a"], "product_id": ["x", "z", "x", "x", "z"]})
    rel = R.user_items(test, exclude=train)
    assert rel.to_dict() == {"a": ["z"], "b": ["x"]}
    assert rel.attrs["n_users_dropped"] == 1   # c only re-bought x
    assert R.user_items(test).to_dict() == {"a": ["x", "z"], "b": ["x"], "c": ["x"]}


def test_popularity_ranking_and_tie_break():
    pop = R.PopularityRecommender().fit(TOY)
    # buyers: tent 3, stove 3, candle 3, vase 1 -> equal popularity broken by item id
    assert pop.items_.tolist() == ["candle", "stove", "tent", "vase"]
    recs = pop.recommend(["c1", "new"], k=2)
    assert recs["c1"] == ["candle", "vase"]          # tent and stove excluded: already bought
    assert recs["new"] == ["candle", "stove"]        # unknown user: plain popularity
    assert pop.recommend(["c1"], k=2, exclude_seen=False)["c1"] == ["candle", "stove"]
    assert pop.recommend(["c5"], k=10)["c5"] == ["stove", "tent"]  # fewer than k items left


def test_item_knn_uses_co_purchases():
    knn = R.ItemKNNRecommender(n_neighbors=None).fit(TOY)
    sim = pd.DataFrame(knn.similarity_.toarray(), index=knn.items_, columns=knn.items_)
    assert sim.loc["tent", "stove"] == pytest.approx(1.0)              # always bought together
    assert sim.loc["candle", "vase"] == pytest.approx(1 / math.sqrt(3))
    assert sim.loc["tent", "candle"] == 0
    assert knn.similar_items("candle").to_dict() == pytest.approx({"vase": 1 / math.sqrt(3)})
    assert knn.similar_items("tent", n=1).name == "tent"
    with pytest.raises(ValueError, match="not in the training data"):
        knn.similar_items("sofa")
    buyer = pd.DataFrame({"customer_id": ["z"], "product_id": ["tent"], "timestamp": [pd.Timestamp("2024-10-01")]})
    knn2 = R.ItemKNNRecommender(n_neighbors=None).fit(pd.concat([TOY, buyer]))
    assert knn2.recommend(["z"], k=1)["z"] == ["stove"]
    assert knn2.recommend(["c4"], k=1)["c4"] == ["vase"]
    with pytest.raises(ValueError, match="k must be"):
        knn2.recommend(["z"], k=0)
    with pytest.raises(ValueError, match="similarity"):
        R.ItemKNNRecommender(similarity="pearson").fit(TOY)


def test_segment_popularity():
    seg = pd.Series({"c1": "outdoor", "c2": "outdoor", "c3": "outdoor", "c4": "home", "c5": "home", "c6": "home"})
    rec = R.SegmentPopularityRecommender(exclude_seen=False).fit(TOY, seg)
    out = rec.recommend(["c1", "c4", "unknown"], k=1)
    assert out["c1"] == ["stove"] and out["c4"] == ["candle"] and out["unknown"] == ["candle"]
    assert rec.item_share_.loc["home", "vase"] == pytest.approx(1 / 3)


def test_recommender_errors():
    with pytest.raises(ValueError, match="empty"):
        R.PopularityRecommender().fit(TOY.iloc[:0])
    with pytest.raises(ValueError, match="not found"):
        R.PopularityRecommender().fit(TOY.rename(columns={"customer_id": "user"}))
    renamed = TOY.rename(columns={"customer_id": "user", "product_id": "sku"})
    recs = R.PopularityRecommender().fit(renamed, customer_col="user", product_col="sku").recommend(["c1"], k=1)
    assert recs.index.name == "user" and recs["c1"] == ["candle"]


SEGMENTS = pd.Series({"c1": "outdoor", "c2": "outdoor", "c4": "home"})


@pytest.mark.parametrize("model, fit_args", [
    (R.PopularityRecommender(), ()),
    (R.ItemKNNRecommender(n_neighbors=2), ()),
    (R.SegmentPopularityRecommender(), (SEGMENTS,)),
])
def test_recommenders_follow_the_fitted_model_rules(model, fit_args):
    assert not [a for a in vars(model) if a.endswith("_")]           # nothing fitted exists before fit
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError, match="is not fitted yet: call fit"):
        model.recommend(["c1"], k=2)
    model.fit(TOY, *fit_args)
    check_is_fitted(model)
    assert {"items_", "item_popularity_", "users_", "matrix_", "customer_col_", "product_col_"} <= set(vars(model))
    assert len(model.recommend(["c1"], k=2)["c1"]) == 2
    if isinstance(model, R.ItemKNNRecommender):
        with pytest.raises(NotFittedError):
            R.ItemKNNRecommender().similar_items("tent")


# ---------------------------------------------------------------------------
# planted truth in the sample data (skipped until the data exists)
# ---------------------------------------------------------------------------
needs_data = pytest.mark.needs_sample


@pytest.fixture(scope="module")
def purchases():
    from helpers.data import load_orders

    orders = load_orders()
    return orders[orders["quantity"] > 0]


@needs_data
def test_planted_associations_top_the_pair_rules(purchases):
    from helpers.data import load_truth

    planted = load_truth("product_associations")
    pairs = set(zip(planted["antecedent"], planted["consequent"]))
    rules = R.pair_rules(purchases, min_count=20)
    top = rules.head(2 * len(pairs))
    found = {(a, c) for a, c in zip(top["antecedent"], top["consequent"])}
    # every planted pair appears (in its planted direction) among the top rules by lift
    assert pairs <= found


@needs_data
def test_pair_rules_equal_mlxtend_on_company_baskets(purchases):
    mine = R.pair_rules(purchases, min_support=0.002)
    ml = R.basket_rules(purchases, min_support=0.002, metric="support", min_threshold=0.0, max_len=2)
    ml = ml[(ml["antecedents"].map(len) == 1) & (ml["consequents"].map(len) == 1)]
    ml = ml.assign(antecedent=ml["antecedents"].map(lambda s: next(iter(s))),
                   consequent=ml["consequents"].map(lambda s: next(iter(s))))
    merged = mine.merge(ml, on=["antecedent", "consequent"], suffixes=("", "_ml"), validate="one_to_one")
    assert len(merged) == len(mine) == len(ml) > 0
    for c in ["support", "confidence", "lift", "leverage"]:
        assert np.allclose(merged[c], merged[f"{c}_ml"])


@needs_data
def test_item_knn_beats_popularity_on_a_time_split(purchases):
    train, test = R.temporal_split(purchases, "2025-07-01")
    relevant = R.user_items(test, exclude=train)
    users = relevant.index.intersection(pd.Index(train["customer_id"].unique()))
    pop = R.PopularityRecommender().fit(train).recommend(users, k=10)
    knn = R.ItemKNNRecommender(n_neighbors=20).fit(train).recommend(users, k=10)
    p_pop, p_knn = R.precision_at_k(pop, relevant, 10), R.precision_at_k(knn, relevant, 10)
    assert p_knn > 1.15 * p_pop
    assert R.ndcg_at_k(knn, relevant, 10) > R.ndcg_at_k(pop, relevant, 10)


# ---------------------------------------------------------------------------
# big catalogues: the sparse top-neighbour path equals the dense computation
# ---------------------------------------------------------------------------
def _dense_reference(model, interactions, users, k, exclude_seen=True):
    """The item-to-item recommender as it was computed before the sparse path (dense item x item, full sort)."""
    x = R.PopularityRecommender().fit(interactions).matrix_      # same customer x item matrix and item order
    co = np.asarray((x.T @ x).todense(), dtype="float64")
    buyers = np.diag(co).copy()
    if model.similarity == "cosine":
        sim = co / np.sqrt(np.outer(buyers, buyers))
    elif model.similarity == "jaccard":
        sim = co / (buyers[:, None] + buyers[None, :] - co)
    else:
        sim = co
    np.fill_diagonal(sim, 0.0)
    if model.n_neighbors is not None and model.n_neighbors < sim.shape[0] - 1:
        order = np.argsort(-sim, axis=0, kind="stable")
        np.put_along_axis(sim, order[model.n_neighbors:, :], 0.0, axis=0)
    rows = model.users_.get_indexer(pd.Index(users))
    scores = np.asarray(model._user_rows(rows) @ sim)
    if exclude_seen:
        hist = model._user_rows(rows).tocoo()
        scores[hist.row, hist.col] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :min(k, sim.shape[0])]
    items, valid = np.asarray(model.items_)[top], np.isfinite(np.take_along_axis(scores, top, axis=1))
    return sim, [list(row[ok]) if not ok.all() else list(row) for row, ok in zip(items, valid)]


def _check_against_dense(interactions, users, n_neighbors, similarity, k):
    model = R.ItemKNNRecommender(n_neighbors=n_neighbors, similarity=similarity).fit(interactions)
    for exclude_seen in (True, False):
        sim, lists = _dense_reference(model, interactions, users, k, exclude_seen)
        assert np.array_equal(model.similarity_.toarray(), sim)         # bit for bit, no tolerance
        assert model.recommend(users, k=k, exclude_seen=exclude_seen).tolist() == lists


@pytest.mark.parametrize("similarity", ["cosine", "jaccard", "cooccurrence"])
@pytest.mark.parametrize("n_neighbors", [1, 3, None])
def test_sparse_neighbours_equal_the_dense_computation_with_many_ties(similarity, n_neighbors):
    rng = np.random.default_rng(11)
    # 300 customers, 40 items, 1-4 items each: small counts, so many equal similarities and scores
    rows = [(f"u{u:03d}", f"p{i:02d}") for u in range(300) for i in rng.choice(40, rng.integers(1, 5), replace=False)]
    interactions = pd.DataFrame(rows, columns=["customer_id", "product_id"])
    users = [f"u{u:03d}" for u in range(0, 300, 3)] + ["new customer"]
    _check_against_dense(interactions, users, n_neighbors, similarity, k=5)
    _check_against_dense(interactions, users, n_neighbors, similarity, k=40)


def test_column_blocks_do_not_change_the_similarity():
    rng = np.random.default_rng(4)
    x = R.PopularityRecommender().fit(pd.DataFrame({
        "customer_id": rng.integers(0, 200, 1500), "product_id": rng.integers(0, 60, 1500)})).matrix_
    from helpers.recommend._ranking import top_neighbours

    whole = top_neighbours(x, "cosine", 5)
    blocked = top_neighbours(x, "cosine", 5, budget=50)     # dozens of small blocks
    assert (whole != blocked).nnz == 0


def test_top_k_equals_a_full_stable_sort():
    from helpers.recommend._ranking import top_k

    rng = np.random.default_rng(8)
    scores = rng.integers(0, 4, size=(200, 50)).astype(float)    # heavy ties
    scores[rng.random(scores.shape) < 0.2] = -np.inf              # seen items
    scores[:3] = -np.inf                                          # customers who own everything
    for k in (1, 7, 50):
        assert np.array_equal(top_k(scores, k), np.argsort(-scores, axis=1, kind="stable")[:, :k])


@needs_data
@pytest.mark.parametrize("similarity", ["cosine", "jaccard", "cooccurrence"])
def test_sparse_neighbours_equal_the_dense_computation_on_the_sample(purchases, similarity):
    train, _ = R.temporal_split(purchases, "2025-07-01")
    users = list(train["customer_id"].unique()) + ["new customer"]
    _check_against_dense(train, users, 20, similarity, k=10)
