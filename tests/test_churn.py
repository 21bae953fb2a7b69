"""helpers.churn: labels and features, the three methods against who truly left, retention curves, triggers, the bridge.

The planted-truth tests run on the sample company generated in memory
(``synth.generate()``, the generator's current version), so they check the
helpers against the answer key whatever ``data/sample`` holds at the moment.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import DATA_DIR, churn, clv, data, synth
from helpers.clv.summaries import rfm_summary
from helpers.vocabulary import SAMPLE


@pytest.fixture(scope="module")
def sample():
    """The sample company (tables and answer key) as the generator makes it."""
    return synth.generate()


@pytest.fixture(scope="module")
def orders(sample):
    """The sample's order lines without the lines of planted amount faults (as cleaning would drop them)."""
    lines = sample.tables["orders"]
    faulty = set(sample.truth["faults"].query("table == 'orders'")["key"])
    return lines[~(lines["order_id"] + "/" + lines["line_no"].astype(str)).isin(faulty)]


def _lines(rows):
    """A tiny order table from (customer, date, amount) rows."""
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    return df


TINY = _lines([("A", "2024-01-01", 10.0), ("A", "2024-01-01", 5.0), ("A", "2024-03-01", 20.0),
               ("A", "2024-03-15", -5.0), ("B", "2024-02-01", 30.0), ("C", "2024-05-01", 7.0),
               ("A", "2024-07-01", 1.0), ("B", "2024-09-01", 0.0)])


# --------------------------------------------------------------------------- split and features
def test_features_count_purchase_days_gaps_silence_and_returns():
    f = churn.churn_features(TINY, "2024-03-31")
    assert list(f.index) == ["A", "B"]  # C buys after the cut-off
    a = f.loc["A"]
    assert a["purchase_days"] == 2 and a["recency_days"] == 30 and a["tenure_days"] == 90  # 1.1. and 1.3.
    assert a["mean_gap_days"] == 60 and a["silence_ratio"] == pytest.approx(0.5)
    assert a["mean_spend"] == pytest.approx(17.5) and a["return_share"] == pytest.approx(5 / 35)
    b = f.loc["B"]
    assert b["mean_gap_days"] == b["tenure_days"] == 59 and b["silence_ratio"] == pytest.approx(1.0)
    assert f.attrs["rows_after_observation_end"] == 3  # the three rows after 31.3. are left out and counted


def test_split_labels_who_bought_in_the_horizon_and_refuses_a_horizon_past_the_data():
    s = churn.churn_split(TINY, "31.03.2024", horizon_days=92)  # a Finnish date string
    assert s.left.to_dict() == {"A": 0, "B": 1}  # A buys on 1.7.2024, the 92nd day after 31.3.; B's 0 € is no purchase
    assert churn.churn_split(TINY, "2024-03-31", horizon_days=91).left.to_dict() == {"A": 1, "B": 1}
    assert s.features.attrs["rows_zero_amount"] == 0 and s.rows_after_observation_end == 0
    with pytest.raises(ValueError, match="the label needs 200 days after the cut-off 2024-03-31"):
        churn.churn_split(TINY, "2024-03-31", horizon_days=200)


def test_text_timestamps_are_refused_not_guessed():
    text = TINY.assign(timestamp=TINY["timestamp"].dt.strftime("%d.%m.%Y"))
    with pytest.raises(ValueError, match="must hold dates"):
        churn.churn_features(text, "2024-03-31")


# --------------------------------------------------------------------------- the three methods
@pytest.fixture(scope="module")
def at_the_end(sample, orders):
    """Every method's score on the observation end, the classifiers trained half a year earlier."""
    train = churn.churn_split(orders, SAMPLE.observation_end - pd.Timedelta(days=182), 182)
    models = churn.fit_classifiers(train)
    features = churn.churn_features(orders, SAMPLE.observation_end)
    now = churn.ChurnSplit(features, pd.Series(0, index=features.index), SAMPLE.observation_end,
                           SAMPLE.observation_end + pd.Timedelta(days=182), 182, 0)
    bg = churn.bgnbd_churn(orders, now)
    scores = pd.concat([churn.recency_rule(now), (1 - bg["p_alive"]).rename(churn.BGNBD),
                        churn.classifier_churn(models, now)], axis=1)
    truth = sample.truth["customers_truth"].set_index("customer_id")
    known = scores.index.intersection(truth.index)  # the planted duplicates have no truth row
    return scores.loc[known], 1 - truth.loc[known, "alive_at_end"]


def test_every_method_ranks_who_truly_left_far_better_than_chance(at_the_end):
    scores, gone = at_the_end
    table = churn.compare_churn_methods(scores, gone, probabilities=[]).set_index("method")
    assert (table["roc_auc"] > 0.8).all() and (table["top_decile_lift"] > 2).all()
    # the data follow the BG/NBD story, so the BG/NBD ranks the truly gone best and the rule worst
    assert table["roc_auc"].idxmax() == churn.BGNBD and table["roc_auc"].idxmin() == churn.RULE


def test_out_of_time_comparison_is_calibrated_and_refuses_a_leak(orders):
    result = churn.compare_methods_out_of_time(orders, "2024-06-30", "2025-06-30", 182)
    table = result.table.set_index("method")
    assert list(table.index) == [churn.RULE, churn.BGNBD, churn.LOGISTIC, churn.BOOSTED]
    assert np.isnan(table.loc[churn.RULE, "brier"])  # a ranking has no calibration
    # probabilities within 5 points of the observed rates, on average over ten bins (about 14 000 customers)
    assert (table.drop(churn.RULE)["calibration_error"] < 0.05).all()
    assert (table["roc_auc"] > 0.75).all()
    with pytest.raises(ValueError, match="it would use the test period"):
        churn.compare_methods_out_of_time(orders, "2025-01-31", "2025-06-30", 182)


def test_lift_and_calibration_by_hand():
    score = np.arange(20.0)
    left = np.r_[np.zeros(18), 1, 1]
    assert churn.top_decile_lift(score, left) == pytest.approx(10.0)  # both leavers in the top 2 of 20
    table = churn.calibration_table([0.05, 0.05, 0.95, 0.95], [0, 0, 1, 0], bins=10)
    assert table[["n", "observed_rate"]].values.tolist() == [[2, 0.0], [2, 0.5]]


# --------------------------------------------------------------------------- retention curves
def test_durations_censor_customers_whose_silence_is_not_long_enough_yet():
    d = churn.customer_durations(TINY, inactive_days=120, observation_end="2024-09-30")
    assert d.loc["A", "duration_days"] == 182 and d.loc["A", "left"] == 0  # silent 91 days since 1.7.: censored
    assert d.loc[["B", "C"], "left"].tolist() == [1, 1]  # B's 0-euro line of 1.9. is no purchase
    assert d.loc["B", "duration_days"] == 0 and d.attrs["rows_after_observation_end"] == 0


def test_kaplan_meier_is_the_product_limit_with_intervals_inside_zero_one():
    durations = pd.DataFrame({"duration_days": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
    curve = churn.kaplan_meier(durations)
    expected = [1.0, 5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 0.0]  # at risk 6, 5, 3, 1
    assert curve["survival"].to_numpy() == pytest.approx(expected)
    assert curve["time"].tolist() == [0, 1, 2, 3, 5]
    assert ((curve["ci_low"] >= 0) & (curve["ci_high"] <= 1) & (curve["ci_low"] <= curve["survival"])).all()
    at = churn.survival_at(curve, [0, 2.5, 10])
    assert at["survival"].to_numpy() == pytest.approx([1.0, 4 / 6, 0.0])


def test_season_passes_survive_as_the_park_renewed(sample):
    seasons = sample.tables["park_seasons"]
    d = churn.contract_durations(seasons)
    curve = churn.kaplan_meier(d, duration_col="periods", by="first_period")
    first = curve[curve["group"] == seasons["season"].min()]
    cohort = seasons[seasons["season"] == seasons["season"].min()]
    # nobody of the first cohort is censored after one season: the curve is the renewal share exactly
    assert first.loc[first["time"] == 1, "survival"].item() == pytest.approx(cohort["renewed"].mean())
    assert churn.logrank_test(d, "first_period", duration_col="periods")["groups"] == seasons["season"].nunique()


# --------------------------------------------------------------------------- triggers
def test_the_park_curve_bends_at_the_third_visit(sample):
    seasons = sample.tables["park_seasons"]
    curve = churn.trigger_curve(seasons, level_col="visits", outcome_col="renewed", max_level=6)
    assert curve.attrs["rows_without_outcome"] == seasons["renewed"].isna().sum()
    bend = churn.find_bend(curve)
    assert bend.level == 3
    assert bend.ci_low > 0.1 and bend.ci_low > bend.runner_up_step  # clearly the largest step


def test_mean_curves_and_pooled_levels():
    df = pd.DataFrame({"level": [0, 0, 1, 1, 2, 5, 7], "value": [1.0, 3.0, 2.0, 4.0, 10.0, 12.0, 14.0]})
    curve = churn.trigger_curve(df, level_col="level", outcome_col="value", kind="mean", max_level=2)
    assert curve["level"].tolist() == [0, 1, 2] and curve["n"].tolist() == [2, 2, 3]
    assert curve["estimate"].tolist() == [2.0, 3.0, 12.0] and curve["step"].tolist()[1:] == [1.0, 9.0]
    with pytest.raises(ValueError, match="not a whole number"):
        churn.trigger_curve(df.assign(level=0.5), level_col="level", outcome_col="value", kind="mean")


# --------------------------------------------------------------------------- the win-back against its holdout
def test_the_winback_interval_covers_the_planted_average(sample):
    members = sample.tables["automation_members"]
    planted = sample.truth["automation_effects"]
    result = churn.measure_automation(members)
    for outcome in ("revenue", "margin"):
        truth = planted[f"true_effect_{outcome}"].mean()
        for table in (result.overall, result.pooled):
            row = table[table["outcome"] == outcome].iloc[0]
            assert row["ci_low"] <= truth <= row["ci_high"], (outcome, row["estimate"], truth)
    assert result.pooled["k"].eq(members["fire_date"].dt.to_period("Q").nunique()).all()
    revenue = result.overall.set_index("outcome").loc["revenue"]
    assert revenue["ci_low"] > 0  # the message brings purchases...
    converted = result.overall.set_index("outcome").loc["converted"]
    assert converted["ci_low"] > 0


def test_the_winback_pays_only_where_customers_are_alive_and_would_not_buy_anyway(sample):
    members = sample.tables["automation_members"]
    truth = sample.truth["automation_effects"]
    assert truth["customer_id"].equals(members["customer_id"])  # both sorted by fire date and customer
    by_type = churn.uplift_by_band(members, truth["p_alive"], bands=(0, 0.5, 0.99, 1.0))
    assert by_type["estimate"].iloc[-1] > by_type["estimate"].iloc[0]  # alive for sure beats probably gone


def test_firing_summaries_see_only_the_purchases_before_each_firing(orders, sample):
    members = sample.tables["automation_members"].iloc[:300]
    summaries = churn.firing_summaries(orders, members)
    assert summaries.attrs["firings_without_history"] == 0 and summaries.index.equals(members.index)
    one = members.iloc[0]
    before = orders[(orders["customer_id"] == one["customer_id"]) & (orders["amount"] > 0)
                    & (orders["timestamp"] < one["fire_date"])]
    days = before["timestamp"].dt.normalize()
    assert summaries.iloc[0]["frequency"] == days.nunique() - 1
    # T runs to the day before the firing, in weeks
    assert summaries.iloc[0]["T"] == pytest.approx((one["fire_date"] - pd.Timedelta(days=1) - days.min()).days / 7)
    # the rule fires after 120 days of silence: the last purchase is 120 days before the fire date
    silence = (summaries["T"] - summaries["recency"]) * 7 + 1
    assert (silence.round(6) == 120).mean() > 0.95  # all but the planted duplicates' moved orders


def test_rule_from_measurement_takes_the_overall_or_the_pooled_effect_net_of_the_message(sample):
    measured = churn.measure_automation(sample.tables["automation_members"])
    kwargs = dict(name="win-back", when="silence", who="all", what="voucher", how="email", holdout_share=0.2,
                  cost_per_message=0.05, firings=10.0)
    overall = churn.rule_from_measurement(measured, "A01", **kwargs)
    pooled = churn.rule_from_measurement(measured, "A01", which="pooled", **kwargs)
    margin = measured.overall.set_index("outcome").loc["margin"]
    assert overall.effect == pytest.approx(margin["estimate"] - 0.05)
    assert pooled.effect == pytest.approx(measured.pooled.set_index("outcome").loc["margin", "estimate"] - 0.05)
    with pytest.raises(ValueError, match="no overall 'margin' for rule 'A99'"):
        churn.rule_from_measurement(measured, "A99", **kwargs)


def test_rule_table_and_the_cost_of_waiting():
    rule = churn.AutomationRule(name="win-back", when="120 days of silence", who="P(alive) 0.3-0.8, e-mail consent",
                                what="-10 % for 60 days", how="email", holdout_share=0.2, measure="margin",
                                effect=2.0, ci_low=-1.0, ci_high=5.0, firings_per_week=100.0)
    table = churn.rule_table([rule, churn.do_nothing("sure things", "they buy anyway")])
    assert table["cost_of_waiting_per_week"].tolist() == [160.0, 0.0]  # 2 euros x 80 treated firings a week
    assert table.loc[0, ["cost_ci_low", "cost_ci_high"]].tolist() == [-80.0, 400.0]
    with pytest.raises(ValueError, match="holdout_share must be a share"):
        churn.rule_table([churn.AutomationRule(**{**rule.__dict__, "holdout_share": 1.5})])


# --------------------------------------------------------------------------- the customer-equity bridge
def _adds_up(bridge):
    c = bridge.cents
    assert c["start"] + c["acquired"] + c["added by existing"] - c["lost to churn"] == c["end"]
    assert round(bridge.start + bridge.acquired + bridge.added_by_existing - bridge.lost_to_churn, 2) == bridge.end
    assert bridge.steps["euros"].iloc[-1] == bridge.end


def test_the_bridge_adds_up_exactly_on_the_sample(orders):
    bridge = churn.equity_bridge_between(orders, "2024-12-31", "2025-12-31", margin=0.4)
    _adds_up(bridge)
    assert bridge.acquired > 0 and bridge.lost_to_churn > 0
    roles = bridge.customers["role"].value_counts()
    assert roles["acquired"] == (bridge.customers["value_start"].isna()).sum()


def test_the_bridge_adds_up_on_the_cdnow_client_and_on_another_company():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CDNOW's few big spenders are warned about by the Gamma-Gamma
        cdnow = data.load_company(DATA_DIR / "clients" / "cdnow" / "company.toml").orders
        _adds_up(churn.equity_bridge_between(cdnow, "1997-09-30", "1998-06-30"))
    other = synth.generate(seed=7, n_persons=2000, shift_days=400).tables["orders"]
    end = other["timestamp"].max().normalize()
    _adds_up(churn.equity_bridge_between(other, end - pd.Timedelta(days=365), end, margin=0.4))


def test_the_bridge_refuses_customers_that_vanish():
    with pytest.raises(ValueError, match="missing from value_end"):
        churn.equity_bridge(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": 1.0}), lost=[])
    bridge = churn.equity_bridge(pd.Series({"A": 1.005, "B": 2.0}), pd.Series({"A": 3.0, "B": 0.5, "C": 1.25}),
                                 lost=["B"])
    assert bridge.cents == {"start": 300, "acquired": 125, "added by existing": 200, "lost to churn": 150,
                            "end": 475}  # 1.005 rounds to 1.00 (half to even), then whole cents


# --------------------------------------------------------------------------- value at risk
def test_value_at_risk_splits_the_base_by_the_chance_of_having_left(orders):
    summary = rfm_summary(orders.loc[orders["amount"] > 0], observation_end=SAMPLE.observation_end)
    bg, gg = clv.BetaGeoModel().fit(summary), clv.GammaGammaModel().fit(summary)
    risk = churn.value_at_risk(bg, gg, summary, margin=0.4, n_draws=40)
    assert np.allclose(risk["value_at_risk"], risk["value_if_alive"] * (1 - risk["p_alive"]))
    assert ((risk["ci_low"] <= risk["expected_value"]) & (risk["expected_value"] <= risk["ci_high"])).mean() > 0.99
    assert set(risk["action"]) == {churn.value.LOST_CAUSE, churn.value.WORTH_EFFORT, churn.value.STAYS_ANYWAY}
    assert (risk.loc[risk["action"] == churn.value.LOST_CAUSE, "p_alive"] < 0.3).all()
    summary_table = churn.action_summary(risk)
    assert summary_table["customers"].sum() == len(summary)


def test_firings_per_week_counts_only_the_weeks_up_to_the_observation_end():
    members = pd.DataFrame({"automation_id": ["a"] * 4 + ["b"],
                            "fire_date": pd.to_datetime(["2025-01-01", "2025-06-02", "2025-06-30", "2025-07-15",
                                                         "2025-06-30"])})
    by_data = churn.firings_per_week(members, weeks=4)
    assert by_data.to_dict() == {"a": 0.5, "b": 0.25}
    by_end = churn.firings_per_week(members, weeks=4, observation_end="30.06.2025")
    assert by_end.to_dict() == {"a": 0.25, "b": 0.25}


def test_channel_and_discount_shares_read_the_sale_lines_up_to_the_cutoff():
    lines = TINY.assign(channel=["web", "store", "web", "web", "store", "web", "store", "store"],
                        discount=[0.0, 5.0, 0.0, 0.0, 10.0, 0.0, 9.0, 0.0])
    f = churn.churn_features(lines, "2024-03-31", channel_col="channel", discount_col="discount")
    assert f.loc["A", "share_web"] == pytest.approx(2 / 3) and f.loc["A", "share_store"] == pytest.approx(1 / 3)
    assert f.loc["B", "share_store"] == 1.0 and f.loc["B", "share_web"] == 0.0  # lines after 31.3. left out
    assert f.loc["A", "discount_share"] == pytest.approx(5 / 40)
    assert f.loc["B", "discount_share"] == pytest.approx(10 / 40)
