"""A company described by its company.toml: tiered contracts, the health check by the company's own
references, cleaning only as allowed, the CDNOW client fixture and the `check` command (issue 10)."""

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers import PROJECT_ROOT, data, vocabulary
from helpers.data import company as company_module
from helpers.data.__main__ import main as check_main

CDNOW = PROJECT_ROOT / "data" / "clients" / "cdnow"
ORDERS = ("Asiakasnro;Pvm;Kpl;Summa\n"
          "001;02.01.2025;1;10,00\n001;02.01.2025;2;5,50\n002;03.01.2025;1;20,00\n")
REGISTER = "Asiakasnro;Liittynyt\n001;02.01.2025\n002;03.01.2025\n"
COLUMNS = '[tables.orders.columns]\n"Asiakasnro" = "customer_id"\n"Pvm" = "timestamp"\n"Kpl" = "quantity"\n' \
          '"Summa" = "amount"\n'
CUSTOMERS = '[tables.customers]\nfile = "asiakkaat.csv"\n[tables.customers.columns]\n' \
            '"Asiakasnro" = "customer_id"\n"Liittynyt" = "signup_date"\n'


def company_dir(folder, orders=ORDERS, register=REGISTER, company='name = "Testi Oy"\nobservation_end = "31.01.2025"',
                extra=""):
    """A client folder: order lines, optionally a register, and its company.toml."""
    (folder / "tilaukset.csv").write_bytes(orders.encode("cp1252"))
    tables = f'[tables.orders]\nfile = "tilaukset.csv"\n{COLUMNS}'
    if register is not None:
        (folder / "asiakkaat.csv").write_bytes(register.encode("cp1252"))
        tables += CUSTOMERS
    toml = folder / "company.toml"
    toml.write_text(f"[company]\n{company}\n\n{tables}\n{extra}", encoding="utf-8")
    return toml


def findings(company) -> pd.Series:
    return data.health_check(company).set_index(["table", "rule"])


# --------------------------------------------------------------------------- the description file
def test_the_sample_is_read_through_its_own_description_with_its_facts():
    company = data.load_company()
    facts = vocabulary.SAMPLE
    assert (company.name, company.observation_end, company.extraction_date, company.founded) == (
        facts.name, facts.observation_end, facts.extraction_date, facts.founded)
    assert company.source == data.SAMPLE_TOML and company.truth_dir == data.TRUTH_DIR
    assert list(company.tables) == list(data.CONTRACTS) and company.derived == ()
    assert company.load_truth("faults").equals(data.load_truth("faults"))


@pytest.mark.parametrize("date", ["2025-01-31", "31.01.2025", "2025-01-31 # a TOML date"])
def test_dates_in_the_description_are_toml_dates_iso_or_finnish(tmp_path, date):
    value = date.split(" #")[0] if "#" in date else f'"{date}"'
    company = data.load_company(company_dir(tmp_path, company=f'name = "T"\nobservation_end = {value}'), cache=False)
    assert company.observation_end == pd.Timestamp("2025-01-31") == company.extraction_date  # the default


@pytest.mark.parametrize("company, extra, message", [
    ('name = "T"\nobservation_ends = "31.01.2025"', "", "[company] has unknown key(s) ['observation_ends']"),
    ('observation_end = "31.01.2025"', "", "[company] needs name"),
    ('name = "T"\nobservation_end = "31/01/2025"', "", "is not a date"),
    ('name = "T"\nobservation_end = "31.01.2025"\nextraction_date = "01.01.2025"', "", "is before observation_end"),
    ('name = "T"\nmargin_rate = 30', "", "margin_rate must be a share between 0 and 1"),
    ('name = "T"', "[tables.order_lines]\nfile = \"tilaukset.csv\"\n", "no table of that name"),
    ('name = "T"', "[cleaning]\nfix_everything = true\n", "[cleaning] has unknown key(s) ['fix_everything']"),
])
def test_mistakes_in_the_description_name_the_file_and_the_key(tmp_path, company, extra, message):
    with pytest.raises(data.CompanyFileError) as err:
        data.load_company(company_dir(tmp_path, company=company, extra=extra), cache=False)
    assert "company.toml" in str(err.value) and message in str(err.value)


def test_a_description_written_by_description_text_reads_back_as_written(tmp_path):
    lines = "Asiakasnro;Pvm;Summa;Kanava\n001;02.01.2025;10,00;myymälä\n002;03.01.2025;5,50;sanoi \"verkko\"\n"
    (tmp_path / "tilaukset.csv").write_bytes(lines.encode("cp1252"))
    orders = {"file": "tilaukset.csv", "encoding": "cp1252", "separator": ";", "decimal": ",",
              "date_format": "%d.%m.%Y", "columns": {"Asiakasnro": "customer_id", "Pvm": "timestamp",
                                                    "Summa": "amount", "Kanava": "channel"},
              "values": {"channel": {"myymälä": "store", 'sanoi "verkko"': "web"}}}
    text = data.description_text("Testi \"Oy\"", {"orders": orders}, observation_end="31.01.2025",
                                 extraction_date=pd.Timestamp("2025-02-02"), margin_rate=0.3,
                                 fixes=("drop_nonsense_amounts", "drop_exact_duplicates"), header="Line one\nLine two")
    assert text.startswith("# Line one\n# Line two\n\n[company]\n")
    toml = tmp_path / "company.toml"
    toml.write_text(text, encoding="utf-8")
    desc = data.read_description(toml)
    assert (desc.name, desc.observation_end, desc.extraction_date, desc.founded, desc.margin_rate, desc.truth_dir) == (
        'Testi "Oy"', pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-02"), None, 0.3, None)
    assert desc.fixes == ("drop_exact_duplicates", "drop_nonsense_amounts")  # the order of FIXES
    spec = desc.tables["orders"]
    assert spec.files == (tmp_path / "tilaukset.csv",)
    assert spec.options == {k: v for k, v in orders.items() if k != "file"}
    assert data.load_company(toml, cache=False).orders["channel"].tolist() == ["store", "web"]
    with pytest.raises(ValueError, match="unknown fix"):
        data.description_text("T", {"orders": orders}, fixes=("fix_everything",))
    with pytest.raises(ValueError, match="no table 'order_lines'"):
        data.description_text("T", {"order_lines": orders})


def test_a_missing_file_is_named(tmp_path):
    toml = company_dir(tmp_path)
    (tmp_path / "asiakkaat.csv").unlink()
    with pytest.raises(data.CompanyFileError, match=r"\[tables.customers\] file 'asiakkaat.csv': no such file"):
        data.load_company(toml, cache=False)


def test_several_files_make_one_table_and_a_repeated_file_is_found(tmp_path):
    toml = company_dir(tmp_path, register=None)
    shutil.copy(tmp_path / "tilaukset.csv", tmp_path / "tilaukset_kopio.csv")
    toml.write_text(toml.read_text().replace('file = "tilaukset.csv"', 'file = "tilaukset*.csv"'))
    company = data.load_company(toml, cache=False)
    assert len(company.orders) == 6 and list(company.intake["file"]) == ["tilaukset.csv", "tilaukset_kopio.csv"]
    found = findings(company)
    assert found.loc[("orders", "duplicate_file"), "rows"] == 3
    assert found.loc[("orders", "duplicate_file"), "examples"] == "tilaukset_kopio.csv (= tilaukset.csv)"
    assert found.loc[("orders", "exact_duplicate"), "rows"] == 3


def test_the_cache_follows_the_files_of_that_company(tmp_path, monkeypatch):
    monkeypatch.setattr(company_module, "CACHE_DIR", tmp_path / "cache")
    toml = company_dir(tmp_path)
    assert len(data.load_company(toml).orders) == 3
    assert len(list((tmp_path / "cache").glob("company-*-clean-*.pkl"))) == 1
    (tmp_path / "tilaukset.csv").write_bytes((ORDERS + "002;04.01.2025;1;1,00\n").encode("cp1252"))
    assert len(data.load_company(toml).orders) == 4  # a changed file is read again


# --------------------------------------------------------------------------- tiered contracts
def test_orders_need_only_customer_timestamp_and_amount_and_absent_columns_stay_absent(tmp_path):
    orders = "customer_id;timestamp;amount\nA;02.01.2025 10:00;10,00\nA;02.01.2025 10:00;5,00\nB;03.01.2025;1,00\n"
    company = data.load_company(_plain(tmp_path, orders), cache=False)
    assert list(company.orders.columns) == ["order_id", "customer_id", "timestamp", "amount"]
    assert company.orders["order_id"].tolist() == ["A@2025-01-02T10:00:00"] * 2 + ["B@2025-01-03T00:00:00"]
    assert company.derived == ("orders.order_id", "customers")
    assert list(company.customers.columns) == ["customer_id", "signup_date"]
    assert company.customers["signup_date"].tolist() == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-03")]
    assert any("sign-up date = the day of the first purchase" in n for n in company.notes)
    assert company.has("orders", "amount") and not company.has("orders", "product_id")
    assert company.missing("campaigns") == "Plain Oy has no campaigns table"
    supported = company.supports().set_index("analysis")["supported"]
    assert supported["customer value (RFM, concentration, lifetime value)"] and not supported["returns"]


def _plain(folder, orders):
    (folder / "orders.csv").write_text(orders, encoding="utf-8")
    toml = folder / "plain.toml"
    toml.write_text('[company]\nname = "Plain Oy"\n[tables.orders]\nfile = "orders.csv"\n', encoding="utf-8")
    return toml


def test_a_minimal_register_is_enough(tmp_path):
    company = data.load_company(company_dir(tmp_path), cache=False)
    assert list(company.customers.columns) == ["customer_id", "signup_date"] and "customers" not in company.derived


# --------------------------------------------------------------------------- the health check by the company
def test_rules_without_their_reference_are_skipped_and_listed_never_run_on_the_sample_lists(tmp_path):
    register = "Asiakasnro;Liittynyt;Postinumero\n001;02.01.2014;99999\n002;03.01.2025;00100\n"
    toml = company_dir(tmp_path, register=register, extra="")
    toml.write_text(toml.read_text() + '"Postinumero" = "postal_code"\n')
    company = data.load_company(toml, cache=False, clean=False)
    found = findings(company)
    skipped = found[found["status"] == "skipped"]
    assert ("customers", "unknown_postal_code") in skipped.index and ("orders", "price_above_list") in skipped.index
    assert "no postal-code reference list" in skipped.loc[("customers", "unknown_postal_code"), "note"]
    assert found.loc[("customers", "impossible_signup_date"), "rows"] == 0  # 2014 is no fault without a founding date
    assert data.clean_company(company).customers["signup_date"].equals(company.customers["signup_date"])


@pytest.mark.parametrize("orders, register, company, rule, rows, example", [
    ("Asiakasnro;Pvm;Kpl;Summa\n001;02.01.2025;0;10,00\n", REGISTER, "", "zero_quantity", 1, "001@2025-01-02"),
    ("Asiakasnro;Pvm;Kpl;Summa\n001;02.01.2025;1;10,00\n001;20.02.2025;1;5,00\n", REGISTER,
     'extraction_date = "05.02.2025"', "date_after_extraction", 1, "001@2025-02-20"),
    ("Asiakasnro;Pvm;Kpl;Summa\n002;01.01.2025;1;10,00\n", REGISTER, "", "order_before_signup", 1, "002@2025-01-01"),
    ("Asiakasnro;Pvm;Kpl;Summa\n003;02.01.2025;1;10,00\n", REGISTER, "", "customer_not_in_register", 1,
     "003@2025-01-02"),
    (ORDERS + "001;02.01.2025;2;5,50\n", REGISTER, "", "exact_duplicate", 1, "001@2025-01-02"),
    ("Asiakasnro;Pvm;Kpl;Summa\n123;02.01.2025;1;10,00\n", "Asiakasnro;Liittynyt\n000123;02.01.2025\n", "",
     "id_format_clash", 1, "123@2025-01-02"),
])
def test_each_new_rule_finds_its_fault_with_count_and_examples(tmp_path, orders, register, company, rule, rows,
                                                               example):
    facts = f'name = "T"\nobservation_end = "31.01.2025"\n{company}'
    found = findings(data.load_company(company_dir(tmp_path, orders, register, facts), cache=False, clean=False))
    assert found.loc[("orders", rule), "rows"] == rows and found.loc[("orders", rule), "status"] == "found"
    assert example in found.loc[("orders", rule), "examples"]
    assert found.loc[("orders", rule), "consequence"] == data.CONSEQUENCES[rule]


def test_quantity_zero_is_not_reported_as_a_price_above_list():
    orders = pd.DataFrame({"customer_id": ["A", "A"], "timestamp": pd.to_datetime(["2025-01-01"] * 2),
                           "product_id": ["P1", "P1"], "quantity": [0, 1], "amount": [5.0, 5.0]})
    masks = data.order_faults(orders, pd.DataFrame({"product_id": ["P1"], "price": [5.0]}))
    assert masks["zero_quantity"].tolist() == [True, False]
    assert masks["price_above_list"].tolist() == [False, False]
    assert masks["amount_sign_mismatch"].tolist() == [False, False]


def test_cleaning_changes_only_what_the_description_allows_and_counts_it(tmp_path):
    orders = ORDERS + "001;02.01.2025;2;5,50\n002;05.01.2025;0;0,00\n"
    as_read = data.load_company(company_dir(tmp_path, orders), cache=False, clean=False)
    kept = data.clean_company(as_read)
    assert kept.orders.equals(as_read.orders)
    assert kept.cleaning.set_index("rule")["rows"].to_dict() == {"exact_duplicate": 1, "nonsense_amount": 1}
    assert kept.cleaning["action"].str.startswith("not changed").all()
    allowed = company_dir(tmp_path, orders, extra="[cleaning]\ndrop_exact_duplicates = true\n"
                                                  "drop_nonsense_amounts = true\n")
    fixed = data.load_company(allowed, cache=False)
    report = fixed.cleaning.set_index("rule")
    assert report["rows"].to_dict() == {"exact_duplicate": 1, "nonsense_amount": 1}
    assert len(fixed.orders) == len(as_read.orders) - report["rows"].sum()  # every removed row counted


# --------------------------------------------------------------------------- the CDNOW client fixture
@pytest.fixture(scope="module")
def cdnow():
    return data.load_cdnow("master")


@pytest.mark.parametrize("toml", ["company.toml", "company_excel.toml"])
def test_the_cdnow_client_export_gives_exactly_the_rows_and_euros_of_the_original(cdnow, toml):
    company = data.load_company(CDNOW / toml)
    orders = company.orders
    assert len(orders) == len(cdnow) == 69_659
    assert (orders["customer_id"].to_numpy() == cdnow["customer_id"].to_numpy()).all()  # leading zeros kept
    assert (orders["timestamp"].to_numpy() == cdnow["date"].to_numpy()).all()
    assert (orders["quantity"].to_numpy() == cdnow["quantity"].to_numpy()).all()
    assert (orders["amount"].to_numpy() == cdnow["amount"].to_numpy()).all()  # every cent, read exactly
    assert round(orders["amount"].sum(), 2) == 2_500_315.63
    intake = company.intake.set_index("table").loc["orders"]
    assert (intake["rows_in"], intake["rows_out"], intake["total_rows"]) == (
        (69_661, 69_659, 1) if toml == "company.toml" else (69_660, 69_659, 1))
    assert intake["ignored"] == "Toimitustapa; Huomautus"
    assert len(company.customers) == cdnow["customer_id"].nunique() == 23_570
    assert data.load_company(CDNOW).source == CDNOW / "company.toml"  # the folder is enough
    assert company.cleaning["action"].str.startswith("not changed").all()  # nothing allowed: nothing changed


def test_the_cdnow_fixture_is_detected_as_a_finnish_export():
    intake = data.load_company(CDNOW / "company.toml").intake.set_index("table").loc["orders"]
    assert (intake["encoding"], intake["separator"], intake["decimal"], intake["blank_rows"]) == (
        "cp1252", "';'", ",", 1)
    assert intake["date_format"] == "timestamp: dd.mm.yyyy"


def test_the_fixture_script_rebuilds_every_file_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "make_client_fixtures.py"), str(tmp_path)],
                   check=True, capture_output=True)
    for name in ["tilausrivit.csv", "asiakkaat.csv", "tilausrivit.xlsx", "company.toml", "company_excel.toml"]:
        assert (tmp_path / name).read_bytes() == (CDNOW / name).read_bytes(), name


# --------------------------------------------------------------------------- the check command
def test_check_prints_what_was_read_and_found(capsys):
    assert check_main(["check", str(CDNOW / "company.toml")]) == 0
    out = capsys.readouterr().out
    for text in ["CDNOW (asiakasesimerkki)", "tilausrivit.csv: cp1252, separator ';', decimal ','",
                 "rows 69,661 in -> 69,659 out (1 blank, 1 total", "Asiakasnro -> customer_id",
                 "columns left out (2): Toimitustapa; Huomautus", "found    orders     exact_duplicate",
                 "skipped  orders     price_above_list", "no   sales channels"]:
        assert text in out, text


def test_check_exits_non_zero_on_a_contract_violation(tmp_path, capsys):
    toml = company_dir(tmp_path, orders="Asiakasnro;Pvm;Kpl;Summa\n001;02.01.2025;1;kymmenen\n")
    assert check_main(["check", str(toml)]) == 1
    assert "tilaukset.csv: column 'amount' must be a number: 1 of 1 rows" in capsys.readouterr().err
