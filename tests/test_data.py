"""Loaders, the data contract, Finnish/Excel input, the health check and the cleaning."""

import gzip
import hashlib
import os
import re

import numpy as np
import pandas as pd
import pytest

from helpers import data


@pytest.fixture(scope="module")
def raw():
    return {"customers": data.load_customers(), "orders": data.load_orders(), "products": data.load_products(),
            "postal_codes": data.load_postal_codes()}


@pytest.fixture(scope="module")
def company():
    return data.load_company()


def test_every_loader_returns_typed_tables_from_any_working_directory(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)  # paths come from the package, not the current directory
    try:
        for name in data.CONTRACTS:
            df = getattr(data, f"load_{name}")()
            assert len(df) > 0, name
            for col in data.CONTRACTS[name]:
                kind = col.kind
                if kind in {"date", "datetime"}:
                    assert pd.api.types.is_datetime64_any_dtype(df[col.name]), (name, col.name)
                elif kind in {"int", "float"}:
                    assert pd.api.types.is_numeric_dtype(df[col.name]), (name, col.name)
    finally:
        os.chdir(cwd)


def test_sample_is_realistic_but_small(raw):
    assert raw["customers"]["customer_id"].nunique() >= 10_000
    assert raw["orders"].loc[raw["orders"]["quantity"] > 0, "order_id"].nunique() >= 100_000
    size = sum(p.stat().st_size for p in data.DATA_DIR.rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert size <= 25e6


def _write(df, path, sep=",", decimal=".", date_format="%Y-%m-%d"):
    df.to_csv(path, sep=sep, decimal=decimal, index=False, date_format=date_format)
    return path


def test_finnish_csv_with_semicolons_decimal_commas_and_dotted_dates(raw, tmp_path):
    orders = raw["orders"].head(50)
    path = _write(orders, tmp_path / "orders.csv", sep=";", decimal=",", date_format="%d.%m.%Y %H:%M:%S")
    assert "," in path.read_text().splitlines()[1]  # really decimal commas
    back = data.read_table(path, "orders")
    pd.testing.assert_series_equal(back["amount"], orders["amount"].reset_index(drop=True), check_names=False)
    assert (back["timestamp"].to_numpy() == orders["timestamp"].to_numpy()).all()


def test_finnish_dates_without_time_and_excel_files(raw, tmp_path):
    customers = raw["customers"].head(30)
    back = data.read_table(_write(customers, tmp_path / "customers.csv", sep=";", date_format="%d.%m.%Y"), "customers")
    assert (back["signup_date"].to_numpy() == customers["signup_date"].to_numpy()).all()
    xlsx = tmp_path / "customers.xlsx"
    customers.to_excel(xlsx, index=False)
    back = data.read_table(xlsx, "customers")
    assert back["postal_code"].tolist() == customers["postal_code"].tolist()  # leading zeros kept as text


@pytest.mark.parametrize("column, value, rule", [
    ("channel", "shop", "must be one of"),
    ("amount", "12,3x", "must be a number"),
    ("timestamp", "2025-13-45", "must be a datetime"),
    ("customer_id", "", "must not be empty"),
    ("discount", "-5", "must be at least 0"),
    ("quantity", "1.5", "must be a whole number"),
])
def test_each_contract_rule_gives_a_clear_error(raw, tmp_path, column, value, rule):
    orders = raw["orders"].head(20).astype(str)
    orders.loc[[3, 7], column] = value
    path = _write(orders, tmp_path / "orders.csv")
    with pytest.raises(data.DataContractError) as err:
        data.read_table(path, "orders")
    message = str(err.value)
    assert "orders.csv" in message and f"'{column}'" in message and rule in message
    assert "2 of 20 rows" in message and "5, 9" in message  # file line numbers of the bad rows


def test_missing_column_and_repeated_keys_are_named(raw, tmp_path):
    path = _write(raw["products"].drop(columns="product_id"), tmp_path / "products.csv")
    with pytest.raises(data.DataContractError, match=r"products.csv: required column\(s\) \['product_id'\]"):
        data.read_table(path)
    orders = raw["orders"].head(10)
    clash = orders.head(2).assign(amount=1.0)  # same keys, other values: a real key clash
    path = _write(pd.concat([orders, clash]), tmp_path / "orders.csv")
    with pytest.raises(data.DataContractError, match="order_id\\+line_no' must be unique together: 4 of 12 rows"):
        data.read_table(path)
    path = _write(pd.concat([orders, orders.head(2)]), tmp_path / "orders.csv")  # exact copies: a health finding
    assert len(data.read_table(path)) == 12
    with pytest.raises(FileNotFoundError, match="expected the 'orders' table"):
        data.read_table(tmp_path / "nope.csv", "orders")


def test_real_data_sets_match_their_provenance():
    sample, master = data.load_cdnow("sample"), data.load_cdnow("master")
    assert (len(sample), sample["customer_id"].nunique()) == (6919, 2357)
    assert (len(master), master["customer_id"].nunique()) == (69659, 23570)
    raw = gzip.open(data.REAL_DIR / "hillstrom" / "hillstrom.csv.gz").read()
    assert hashlib.sha256(raw).hexdigest() == "0e5893329d8b93cefecc571777672028290ab69865718020c78c7284f291aece"
    hill = data.load_hillstrom()
    assert len(hill) == 64000 and list(hill["segment"].cat.categories)[0] == "No E-Mail"


def test_health_check_finds_every_planted_fault_and_nothing_else():
    as_read = data.load_company(clean=False)
    flagged = data.flagged_keys(as_read)
    planted = data.load_truth("faults")
    as_set = lambda df: set(map(tuple, df[["table", "key", "rule"]].to_numpy()))  # noqa: E731
    assert as_set(flagged) == as_set(planted)
    findings = data.health_check(as_read)
    assert set(findings["rule"]) == set(data.CONSEQUENCES)  # every rule ran: the sample has every reference
    assert not findings["status"].eq("skipped").any()
    assert findings["rows"].sum() == len(planted)


def test_health_check_on_a_crafted_register():
    customers = pd.DataFrame({
        "customer_id": ["A", "B", "C"], "email": ["x@e.fi", " X@E.fi", None], "phone": [None, None, None],
        "signup_date": pd.to_datetime(["2024-01-01", "2024-02-01", "1900-01-01"]),
        "postal_code": ["00100", "00100", "100"],
        "consent_email": ["yes", "no", None], "consent_email_date": pd.to_datetime(["2024-01-01", None, None]),
        "consent_sms": ["yes", "no", "no"], "consent_sms_date": pd.to_datetime(["2024-01-01"] * 3),
        "consent_post": ["no", "no", "no"], "consent_post_date": pd.to_datetime(["2024-01-01"] * 3)})
    masks = data.customer_faults(customers, pd.DataFrame({"postal_code": ["00100"]}), founded="1.1.2015")
    assert masks["duplicate_customer"].tolist() == [False, True, False]  # the later registration
    assert masks["unknown_postal_code"].tolist() == [False, False, True]
    assert masks["missing_consent"].tolist() == [False, False, True]
    assert masks["sms_consent_without_phone"].tolist() == [True, False, False]
    assert masks["impossible_signup_date"].tolist() == [False, False, True]


def test_cleaning_counts_every_change_and_loses_no_person(raw, company):
    truth = data.load_truth("customers_truth")
    assert set(company.customers["customer_id"]) == set(truth["customer_id"])  # duplicates merged back
    report = company.cleaning.set_index("rule")["rows"]
    assert len(raw["orders"]) - report["nonsense_amount"] == len(company.orders)
    assert len(raw["customers"]) - report["duplicate_customer"] == len(company.customers)
    again = data.health_check(company)
    left = again.set_index("rule")["rows"]
    assert left.drop("unknown_postal_code").eq(0).all()  # unknown postal codes are kept on purpose
    assert company.customers["signup_date"].between(data.DATA_START, data.OBSERVATION_END).all()


def test_campaign_outcomes_agree_with_the_orders(company):
    members = company.campaign_members.merge(company.campaigns[["campaign_id", "send_date"]], on="campaign_id")
    sales = company.orders[company.orders["quantity"] > 0]
    joined = members.merge(sales[["customer_id", "timestamp", "amount"]], on="customer_id")
    in_window = joined[(joined["timestamp"] >= joined["send_date"])
                       & (joined["timestamp"] < joined["send_date"] + pd.Timedelta(days=14))]
    bought = in_window.groupby(["campaign_id", "customer_id"])["amount"].sum()
    recomputed = members.set_index(["campaign_id", "customer_id"])["revenue"]
    recomputed_conv = recomputed.index.isin(bought.index)
    assert (recomputed_conv == members.set_index(["campaign_id", "customer_id"])["converted"].eq(1)).mean() > 0.999
    both = bought.reindex(recomputed.index, fill_value=0.0)
    assert np.isclose(both, recomputed, atol=0.01).mean() > 0.999  # the only differences: removed nonsense lines


def test_cached_company_equals_a_fresh_load_and_is_a_copy(company):
    fresh = data.load_company(cache=False)
    cached = data.load_company()
    for name in ["customers", "orders", "campaign_members", "cleaning"]:
        pd.testing.assert_frame_equal(getattr(fresh, name), getattr(cached, name))
    cached.orders.loc[0, "amount"] = -1.0
    assert data.load_company().orders.loc[0, "amount"] != -1.0  # every call gets its own copy


def _day(ts) -> str:
    return f"{ts.day}.{ts.month}.{ts.year}"


def test_the_readme_figures_are_the_sample_files_figures(raw):
    """Every number of data/README.md's "The sample in figures" is computed here from the files."""
    text = (data.DATA_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("### The sample in figures")[1].split("\n## ")[0]
    rows = dict(re.findall(r"^\| `([^`]+)` \| ([\d,]+) \|", section, flags=re.M))
    assert set(rows) >= {data.FILES[name] for name in data.CONTRACTS}
    for name, n in rows.items():
        assert len(pd.read_csv(data.SAMPLE_DIR / name, dtype=str)) == int(n.replace(",", "")), name
    faults, truth = data.load_truth("faults"), data.load_truth("customers_truth")
    orders, customers = raw["orders"], raw["customers"]
    signup = customers.loc[~customers["customer_id"].isin(faults["key"][faults["rule"] == "impossible_signup_date"]),
                           "signup_date"]
    returns = orders[orders["quantity"] < 0]
    members, firings = data.load_campaign_members(), data.load_automation_members()
    seasons, holders, test = data.load_park_seasons(), data.load_park_holders(), data.load_park_campaign()
    groups = lambda df: tuple(df["group"].value_counts()[["treatment", "control"]])  # noqa: E731
    version, seed = re.fullmatch(r"generator version (\d+), seed (\d+)\n",
                                 (data.SAMPLE_DIR / "READY").read_text()).groups()
    figures = [
        f"version {version} of the generator (seed {seed},",
        f"{len(truth):,} persons and {len(customers) - len(truth)} planted duplicates",
        f"sign-ups {_day(signup.min())}–{_day(signup.max())} ({signup.dt.to_period('M').eq('2025-12').sum()} in "
        f"December 2025), {faults['rule'].eq('impossible_signup_date').sum()} planted impossible dates",
        f"{orders['order_id'].nunique():,} orders, of which {returns['order_id'].nunique():,} returns "
        f"({len(returns):,} lines) | {_day(orders['timestamp'].min())}–{_day(orders['timestamp'].max())}",
        "sent {}–{}".format(*map(_day, data.load_campaigns()["send_date"].agg(["min", "max"]))),
        "{:,} treated, {:,} in the control groups".format(*groups(members)),
        f"runs from {_day(data.load_automations()['start_date'].min())}",
        "({:,} customers): {:,} treated, {:,} held out".format(firings["customer_id"].nunique(), *groups(firings)),
        "fired {}–{}".format(*map(_day, firings["fire_date"].agg(["min", "max"]))),
        "| {}–{} |".format(*map(_day, data.load_survey()["date"].agg(["min", "max"]))),
        "| {}–{} |".format(*map(_day, data.load_referrals()["date"].agg(["min", "max"]))),
        "first seasons {}–{}".format(*holders["first_season"].agg(["min", "max"])),
        "seasons {}–{}".format(*seasons["season"].agg(["min", "max"])),
        "{} treated, {} controls | summer {}".format(*groups(test), test["season"].unique().item()),
        f"{faults['table'].eq('customers').sum()} in the register, {faults['table'].eq('orders').sum()} order lines",
    ]
    for figure in figures:
        assert figure in section, figure
