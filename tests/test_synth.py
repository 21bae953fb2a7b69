"""The generator is deterministic, matches the committed data, its truth is coherent, and it makes other companies."""

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from helpers import data, synth
from helpers.vocabulary import SAMPLE


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


# --------------------------------------------------------------------------- another company
SHIFT = 400  # days: more than a year, so no date of the other company equals the sample's by accident
OTHER_IDS = synth.IdFormats(customer="AS-{:06d}", order="TIL{:08d}", product="TU-{:04d}", campaign="MK-{:03d}",
                            store="MYY{:02d}", response="VAS{:06d}", holder="KK{:06d}")
#: The sample's id patterns: none of the other company's ids may look like these.
SAMPLE_ID = re.compile(r"^([COPKSRH]\d+)(/\d+)?$")
#: Columns holding ids, by table (``key`` of the faults holds a customer id or ``order_id/line_no``).
ID_COLUMNS = {
    "customers": ["customer_id"], "orders": ["order_id", "customer_id", "store_id", "product_id"],
    "products": ["product_id"], "stores": ["store_id"], "postal_codes": [], "campaigns": ["campaign_id"],
    "campaign_members": ["campaign_id", "customer_id"], "survey": ["response_id", "customer_id"],
    "referrals": ["referrer_id", "referred_id"], "park_holders": ["holder_id"], "park_seasons": ["holder_id"],
    "park_campaign": ["holder_id"], "customers_truth": ["customer_id"], "segments": [],
    "campaign_effects": ["campaign_id", "customer_id"], "campaigns_truth": ["campaign_id"],
    "product_associations": ["antecedent", "consequent"], "survey_drivers": [], "faults": ["key"],
    "park_truth": ["holder_id"], "park_effects": ["holder_id"], "park_parameters": [],
}


def _other():
    return synth.generate(seed=7, n_persons=2000, shift_days=SHIFT, ids=OTHER_IDS, name="Lumo Oy")


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    folder = tmp_path_factory.mktemp("other")
    generated = _other()
    synth.write(generated, folder)
    return generated, folder


def test_another_company_has_the_same_files_and_columns(other, regenerated):
    generated, folder = other
    fresh = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*.csv*"))
    assert sorted(p.relative_to(folder) for p in folder.rglob("*.csv*")) == fresh
    for path in fresh:
        assert pd.read_csv(folder / path, nrows=0).columns.equals(pd.read_csv(regenerated / path, nrows=0).columns)
    assert set(ID_COLUMNS) == set(generated.tables) | set(generated.truth)


def test_another_company_meets_the_data_contract_and_its_ids_join(other):
    generated, folder = other
    tables = {name: data.read_table(folder / data.FILES[name], name) for name in data.FILES}
    customers = set(tables["customers"]["customer_id"])
    assert set(tables["orders"]["customer_id"]) <= customers
    assert set(tables["campaign_members"]["customer_id"]) <= customers
    assert set(tables["survey"]["customer_id"]) <= customers
    assert set(tables["orders"]["product_id"]) <= set(tables["products"]["product_id"])
    assert set(tables["orders"]["store_id"].dropna()) <= set(tables["stores"]["store_id"])
    assert set(tables["campaign_members"]["campaign_id"]) == set(tables["campaigns"]["campaign_id"])
    assert tables["stores"]["name"].str.startswith("Lumo ").all()
    assert len(generated.truth["customers_truth"]) == 2000


def test_another_company_uses_none_of_the_sample_ids(other):
    generated, _ = other
    new_id = re.compile(r"^(AS-\d{6}|TIL\d{8}(/\d+)?|TU-\d{4}|MK-\d{3}|MYY\d{2}|VAS\d{6}|KK\d{6})$")
    for name, df in {**generated.tables, **generated.truth}.items():
        for col in ID_COLUMNS[name]:
            values = df[col].dropna().astype(str)
            assert not values.str.match(SAMPLE_ID).any(), (name, col, values[values.str.match(SAMPLE_ID)].head(3))
            assert values.str.match(new_id).all(), (name, col, values[~values.str.match(new_id)].head(3))


def test_another_company_moves_every_date_by_the_shift(other, regenerated):
    generated, _ = other
    shift = pd.Timedelta(days=SHIFT)
    assert generated.facts.observation_end == SAMPLE.observation_end + shift
    assert generated.facts.data_start == SAMPLE.data_start + shift
    assert generated.facts.extraction_date == SAMPLE.extraction_date + shift
    sample_sends = pd.to_datetime(pd.read_csv(regenerated / "campaigns.csv")["send_date"])
    assert generated.tables["campaigns"]["send_date"].reset_index(drop=True).equals(sample_sends + shift)
    planted = set(generated.truth["faults"].query("rule == 'impossible_signup_date'")["key"])
    start, end = generated.facts.data_start, generated.facts.observation_end + pd.Timedelta(days=1)
    for name, df in generated.tables.items():
        for col in df.columns[[pd.api.types.is_datetime64_any_dtype(t) for t in df.dtypes]]:
            dates = df.loc[~df.get("customer_id", pd.Series(index=df.index)).isin(planted), col].dropna()
            assert dates.between(start, end, inclusive="left").all(), (name, col, dates.min(), dates.max())
    assert generated.tables["orders"]["timestamp"].max() > SAMPLE.observation_end  # really later than the sample
    sample_seasons = pd.read_csv(regenerated / "park_seasons.csv")["season"]
    assert sorted(generated.tables["park_seasons"]["season"].unique()) == sorted(sample_seasons.unique() + 1)


def test_another_company_is_deterministic(other, tmp_path):
    _, folder = other
    synth.write(_other(), tmp_path)
    files = [p.relative_to(folder) for p in folder.rglob("*.csv*")]
    changed = [str(p) for p in files if _digest(folder / p) != _digest(tmp_path / p)]
    assert changed == []


def test_settings_are_checked():
    with pytest.raises(ValueError, match="n_persons=10 is too small"):
        synth.generate(n_persons=10)
    with pytest.raises(ValueError, match="IdFormats.customer='C'"):
        synth.IdFormats(customer="C")
    with pytest.raises(ValueError, match="shift_days must be a whole number"):
        synth.generate(shift_days=1.5)
