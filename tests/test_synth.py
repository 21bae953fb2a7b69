"""The generator is deterministic, matches the committed data, its truth is coherent, and it makes other companies."""

import hashlib
import re
from pathlib import Path

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
    committed = sorted(p.relative_to(data.SAMPLE_DIR) for p in data.SAMPLE_DIR.rglob("*.csv*")) + [
        Path("company.toml")]
    fresh = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*.csv*")) + [Path("company.toml")]
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
                            store="MYY{:02d}", response="VAS{:06d}", holder="KK{:06d}", automation="AU-{:02d}")
#: The sample's id patterns: none of the other company's ids may look like these.
SAMPLE_ID = re.compile(r"^([COPKSRHA]\d+)(/\d+)?$")
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
    "automations": ["automation_id"], "automation_members": ["automation_id", "customer_id"],
    "automation_effects": ["automation_id", "customer_id"], "automation_parameters": [], "trigger_effects": [],
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
    new_id = re.compile(r"^(AS-\d{6}|TIL\d{8}(/\d+)?|TU-\d{4}|MK-\d{3}|MYY\d{2}|VAS\d{6}|KK\d{6}|AU-\d{2})$")
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


def test_another_company_loads_through_the_description_the_generator_wrote(other):
    generated, folder = other
    company = data.load_company(folder, cache=False, clean=False)
    facts = generated.facts
    assert (company.name, company.observation_end, company.extraction_date, company.founded) == (
        "Lumo Oy", facts.observation_end, facts.extraction_date, facts.founded)
    assert company.truth_dir == folder / "truth" and company.source == folder / "company.toml"
    assert list(company.tables) == list(data.CONTRACTS) and company.derived == ()
    assert {name: len(df) for name, df in company.tables.items()} == {
        name: len(generated.tables[name]) for name in data.CONTRACTS}
    planted = company.load_truth("faults")
    as_set = lambda df: set(map(tuple, df[["table", "key", "rule"]].to_numpy()))  # noqa: E731
    assert as_set(data.flagged_keys(company)) == as_set(planted)  # its own references found its own faults
    assert data.clean_company(company).cleaning["action"].str.startswith("not changed").sum() == 0


def test_another_company_is_deterministic(other, tmp_path):
    _, folder = other
    synth.write(_other(), tmp_path)
    files = [p.relative_to(folder) for p in folder.rglob("*.csv*")] + [Path("company.toml")]
    changed = [str(p) for p in files if _digest(folder / p) != _digest(tmp_path / p)]
    assert changed == []


def test_settings_are_checked():
    with pytest.raises(ValueError, match="n_persons=10 is too small"):
        synth.generate(n_persons=10)
    with pytest.raises(ValueError, match="IdFormats.customer='C'"):
        synth.IdFormats(customer="C")
    with pytest.raises(ValueError, match="shift_days must be a whole number"):
        synth.generate(shift_days=1.5)


# ------------------------------------------------------------------- version 3: late joiners, win-back automation
from helpers.synth import automation  # noqa: E402

#: The data contract of the automation tables (``helpers.data.contracts``).
AUTOMATION_CONTRACTS = {name: data.CONTRACTS[name] for name in ("automations", "automation_members")}
AUTOMATION_KEY = data.COMPOSITE_KEYS["automation_members"]


def _read(folder, name):
    path = folder / (f"{name}.csv.gz" if name in synth.LARGE else f"{name}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _typed(raw, contract):
    out = raw.copy()
    for c in contract:
        if c.kind in ("int", "float"):
            out[c.name] = pd.to_numeric(raw[c.name])
        elif c.kind == "date":
            out[c.name] = pd.to_datetime(raw[c.name], format="%Y-%m-%d")
    return out


@pytest.fixture(scope="module")
def sample_v3(regenerated):
    """The regenerated sample's new tables and answer key, typed."""
    tables = {name: _typed(_read(regenerated, name), contract) for name, contract in AUTOMATION_CONTRACTS.items()}
    truth = pd.read_csv(regenerated / "truth" / "automation_effects.csv.gz", parse_dates=["fire_date"])
    return tables, truth


def test_regeneration_is_deterministic(regenerated, tmp_path):
    synth.main([str(tmp_path)])
    files = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*.csv*"))
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv*"))
    files.append(Path("company.toml"))
    assert [str(p) for p in files if _digest(regenerated / p) != _digest(tmp_path / p)] == []
    assert (regenerated / "READY").read_text().startswith(f"generator version {synth.VERSION},")


def test_signups_run_through_december_and_the_early_members_come_first(regenerated):
    cfg = synth.Settings()
    customers = pd.read_csv(regenerated / "customers.csv", parse_dates=["signup_date"])
    faulty = set(pd.read_csv(regenerated / "truth" / "faults.csv").query("rule == 'impossible_signup_date'")["key"])
    signup = customers.loc[~customers["customer_id"].isin(faulty)].set_index("customer_id")["signup_date"]
    assert signup.max() == pd.Timestamp("2025-12-31") or signup.max() > pd.Timestamp("2025-12-20")
    assert signup.dt.to_period("M").value_counts()[pd.Period("2025-12", "M")] > 500
    truth = pd.read_csv(regenerated / "truth" / "customers_truth.csv")
    assert len(truth) == cfg.n_persons == cfg.n_early + cfg.n_late and cfg.n_early == 14_600
    early, late = truth["customer_id"][:cfg.n_early], truth["customer_id"][cfg.n_early:]
    assert signup.reindex(early).dropna().max() <= cfg.early_signup_end
    assert signup.reindex(late).min() > cfg.early_signup_end
    # ids: the early members, then the 60 duplicates (as in version 2), then the late joiners
    assert early.iloc[-1] == "C14600" and late.iloc[0] == "C14661"


def test_automation_tables_meet_the_data_contract(regenerated, sample_v3):
    tables, _ = sample_v3
    for name, contract in AUTOMATION_CONTRACTS.items():
        raw = _read(regenerated, name)
        assert list(raw.columns) == [c.name for c in contract]
        assert len(data.read_table(regenerated / data.FILES[name], name)) == len(raw)  # the intake's own checks
        df = tables[name]
        for c in contract:
            values = df[c.name]
            if c.required:
                assert values.notna().all(), (name, c.name)
            if c.allowed is not None:
                assert values.isin(c.allowed).all(), (name, c.name)
            if c.unique:
                assert values.is_unique, (name, c.name)
            if c.min_value is not None:
                assert (values >= c.min_value).all(), (name, c.name)
    members = tables["automation_members"]
    assert not members.duplicated(AUTOMATION_KEY).any()
    customers = set(pd.read_csv(regenerated / "customers.csv", usecols=["customer_id"])["customer_id"])
    assert set(members["customer_id"]) <= customers
    assert set(members["automation_id"]) == set(tables["automations"]["automation_id"])


def test_automation_fires_on_silence_with_a_random_holdout(regenerated, sample_v3):
    tables, _ = sample_v3
    members, rule = tables["automation_members"], tables["automations"].iloc[0]
    share = members["group"].eq("control").mean()
    n = len(members)
    # the holdout is a coin per firing: its share is within 4 binomial standard errors of the planned one
    assert abs(share - rule["holdout_share"]) < 4 * np.sqrt(0.2 * 0.8 / n)
    assert members["fire_date"].min() >= rule["start_date"]
    assert members["fire_date"].max() <= SAMPLE.observation_end - pd.Timedelta(days=int(rule["window_days"]) - 1)
    orders = pd.read_csv(regenerated / "orders.csv.gz", usecols=["customer_id", "timestamp", "quantity"],
                         parse_dates=["timestamp"])
    register = pd.read_csv(regenerated / "customers.csv", usecols=["customer_id", "email"])
    twice = register["email"].str.lower().duplicated(keep=False)  # the planted duplicates and their originals
    sales = orders[(orders["quantity"] > 0) & ~orders["customer_id"].isin(register.loc[twice, "customer_id"])]
    m = members.merge(sales.assign(day=sales["timestamp"].dt.normalize()), on="customer_id")
    last = m[m["day"] < m["fire_date"]].groupby(["customer_id", "fire_date"])["day"].max().reset_index()
    assert len(last) > 0.95 * len(members)
    assert ((last["fire_date"] - last["day"]).dt.days == int(rule["silence_days"])).all()
    silence = int(rule["silence_days"])
    firsts = members.sort_values("fire_date").groupby("customer_id")["fire_date"].diff().dropna()
    assert (firsts.dt.days >= silence).all()  # a member fires again only after buying and a new silence


def test_automation_outcomes_are_the_potential_outcomes_of_the_group(sample_v3):
    tables, truth = sample_v3
    members = tables["automation_members"].merge(truth, on=AUTOMATION_KEY, suffixes=("", "_truth"))
    assert len(members) == len(truth) == len(tables["automation_members"])
    assert members["group"].equals(members["group_truth"])
    treated = members["group"].eq("treatment")
    for col in ("purchases", "revenue", "margin"):
        expected = np.where(treated, members[f"{col}_treated"], members[f"{col}_holdout"])
        assert np.allclose(members[col], expected, atol=0.005)  # euros written with 2 decimals
        effect = members[f"{col}_treated"] - members[f"{col}_holdout"]
        assert np.allclose(members[f"true_effect_{col}"], effect, atol=0.011)  # two roundings to cents
    assert (members["converted"] == (members["purchases"] > 0)).all()


def test_automation_effects_vary_with_the_latent_state(sample_v3):
    _, truth = sample_v3
    kinds = truth.groupby("response_type")
    assert set(kinds.groups) == set(automation.RESPONSE_TYPES)
    assert (kinds.get_group("lost_cause")[["true_effect_purchases", "true_effect_revenue"]] == 0).all().all()
    assert (kinds.get_group("lost_cause")["alive"] == 0).all() and (truth.loc[truth["alive"] == 0, "p_alive"] < 1).all()
    assert (kinds.get_group("sleeping_dog")["true_effect_purchases"] <= 0).all()
    assert (kinds.get_group("persuadable")["true_effect_purchases"] >= 0).all()
    mean = kinds["true_effect_margin"].mean()
    # the voucher costs margin on sure things
    assert mean["persuadable"] > 0 > mean["sure_thing"] > mean["sleeping_dog"]
    # the message works on the alive: the mean effect rises with the true chance of being alive
    by_band = truth.groupby(pd.cut(truth["p_alive"], [0, 0.5, 0.99, 1.0]), observed=True)["true_effect_buy"].mean()
    assert by_band.is_monotonic_increasing


def test_planted_trigger_effects_are_recorded(regenerated, sample_v3):
    _, truth = sample_v3
    params = pd.read_csv(regenerated / "truth" / "automation_parameters.csv").set_index("parameter")["value"]
    for measure in ("buy", "purchases", "revenue", "margin"):
        # written with 6 significant digits
        assert params[f"mean_true_effect_{measure}"] == pytest.approx(truth[f"true_effect_{measure}"].mean(), rel=1e-5)
    assert params["holdout_share"] == automation.HOLDOUT_SHARE and params["firings"] == len(truth)
    triggers = pd.read_csv(regenerated / "truth" / "trigger_effects.csv")
    assert set(triggers["trigger"]) == {"park_third_visit", "park_voucher", "winback"}
    park_params = pd.read_csv(regenerated / "truth" / "park_parameters.csv").set_index("parameter")["value"]
    third = triggers.loc[triggers["trigger"] == "park_third_visit", "value"].item()
    assert third == park_params["three_visit_churn_multiplier"]
    winback = triggers[triggers["trigger"] == "winback"].set_index("measure")["value"]
    assert winback["mean margin effect"] == pytest.approx(params["mean_true_effect_margin"], rel=1e-5)  # 6 digits


def test_late_joiners_reach_only_the_last_campaign(regenerated):
    cfg = synth.Settings()
    members = pd.read_csv(regenerated / "campaign_members.csv.gz")
    late = set(pd.read_csv(regenerated / "truth" / "customers_truth.csv")["customer_id"][cfg.n_early:])
    reached = members.loc[members["customer_id"].isin(late), "campaign_id"]
    assert set(reached) == {"K20"} and len(reached) > 50
