"""The generator is deterministic, matches the committed data, and its truth is coherent."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from helpers import data, synth


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    synth.main([str(folder)])
    return folder


def test_make_data_reproduces_the_committed_files_byte_for_byte(regenerated):
    committed = sorted(p.relative_to(data.SAMPLE_DIR) for p in data.SAMPLE_DIR.rglob("*.csv*"))
    fresh = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*.csv*"))
    assert committed == fresh
    changed = [str(p) for p in committed if _digest(data.SAMPLE_DIR / p) != _digest(regenerated / p)]
    assert changed == [], f"run `make data` and commit: {changed}"


def test_truth_is_coherent_with_the_story():
    truth = data.load_truth("customers_truth")
    # a customer who has left cannot buy in the future year
    assert (truth.loc[truth["alive_at_end"] == 0, "purchases_future"] == 0).all()
    assert truth["segment"].nunique() == 6
    assert truth["is_ambassador"].sum() == 15
    shares = truth["segment"].value_counts(normalize=True)
    assert shares.between(0.10, 0.25).all()


def test_segments_really_behave_differently():
    truth = data.load_truth("customers_truth")
    company = data.load_company()
    sales = company.orders[company.orders["quantity"] > 0].merge(truth[["customer_id", "segment"]], on="customer_id")
    channel = pd.crosstab(sales["segment"], sales["channel"], normalize="index")
    assert channel.loc["young_urban_app", "app"] > 0.6
    assert channel.loc["occasional_gifters", "store"] > 0.6
    discount_share = (sales["discount"] > 0).groupby(sales["segment"]).mean()
    assert discount_share.idxmax() == "deal_hunters"


def test_campaigns_keep_their_planned_control_groups_and_some_effects_are_negative():
    members = data.load_campaign_members()
    planned = data.load_campaigns().set_index("campaign_id")["control_share"]
    actual = members["group"].eq("control").groupby(members["campaign_id"]).mean()
    sizes = members.groupby("campaign_id").size()
    assert np.all(np.abs(actual - planned) <= 0.5 / sizes + 1e-9)  # exact up to rounding
    effects = data.load_truth("campaign_effects")
    assert (effects["true_effect"] < 0).mean() > 0.02  # sleeping dogs exist
    assert effects["true_effect"].mean() > 0


def test_park_three_visit_holders_renew_more():
    seasons = data.load_park_seasons().dropna(subset=["renewed"])
    renewal = seasons["renewed"].groupby(seasons["visits"] >= 3).mean()
    assert renewal[True] > renewal[False] + 0.1
