"""helpers.engines with DuckDB: every summary equals the pandas path's on the same lines (the parity tests).

The data: the sample company's order lines (``helpers.data.load_company()``)
written as Parquet and as a Finnish CSV export; CDNOW's 69,659 purchase records
(``helpers.data.load_cdnow("master")``) as a Finnish CSV; and the CDNOW client
fixture of the intake (``data/clients/cdnow``: cp1252, ``;``, decimal comma,
no-break-space thousands, a blank ``;;;`` row and a total row). "Purchases" are
the lines with ``amount >= 0`` as lesson 02 defines them; the engines leave the
return lines out themselves and count them.

Tolerances: counts, days and periods are compared exactly; amounts (and what is
computed from them) to a relative 1e-9, because the engine adds a customer's
amounts in another order than numpy (floating-point addition is not
associative: about 1e-16 per addition, and the model fits carry it to ~1e-12).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from helpers import clv, engines, metrics, recommend
from helpers.data import SAMPLE_DIR, load_cdnow, load_company
from helpers.engines import generate, memory, parity, sources
from helpers.engines.parity import assert_parity

duckdb = pytest.importorskip("duckdb", reason="DuckDB is not installed: pip install -e '.[scale]'")
from helpers.engines import duckdb_engine  # noqa: E402

CLIENT_TOML = SAMPLE_DIR.parent / "clients" / "cdnow" / "company.toml"
FINNISH = {"Asiakasnro": "customer_id", "Tilausnro": "order_id", "Tuote": "product_id", "Tilausaika": "timestamp",
           "Kpl": "quantity", "Summa €": "amount", "Kate €": "margin"}
RTOL = 1e-9   # amounts added in another order (see the module text); 1e-9 absolute for values near zero


@pytest.fixture(scope="module")
def sample_orders() -> pd.DataFrame:
    return load_company().orders


@pytest.fixture(scope="module")
def sample_sources(sample_orders, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("sample")
    sample_orders.to_parquet(folder / "orders.parquet")
    write_finnish_csv(sample_orders, folder / "tilausrivit.csv")
    return {"parquet": engines.parquet_source(folder / "orders.parquet"),
            "finnish csv": engines.finnish_csv(folder / "tilausrivit.csv", columns=FINNISH)}


@pytest.fixture(scope="module", params=["parquet", "finnish csv"])
def sample_lines(request, sample_sources):
    with duckdb_engine.open_lines(sample_sources[request.param]) as lines:
        yield lines


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow("master").rename(columns={"date": "timestamp"})


@pytest.fixture(scope="module")
def cdnow_lines(cdnow, tmp_path_factory):
    headers = {k: v for k, v in FINNISH.items() if v in cdnow}
    path = write_finnish_csv(cdnow, tmp_path_factory.mktemp("cdnow") / "cdnow.csv", headers)
    with duckdb_engine.open_lines(engines.csv_source(path, columns=headers)) as lines:
        yield lines


def assert_same(engine: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Same rows, columns and attrs; integers and text exactly, floats to a relative 1e-9 (see the module text)."""
    assert list(engine.columns) == list(reference.columns)
    assert_parity(engine, reference, rtol=RTOL, atol=1e-9)


def write_finnish_csv(frame: pd.DataFrame, path: Path, headers: dict = FINNISH) -> Path:
    return parity.write_finnish_csv(frame, path, headers)


# --------------------------------------------------------------------------- sources
def test_csv_source_reads_the_conventions_of_a_finnish_export(sample_sources):
    path = sample_sources["finnish csv"].files[0]
    found = engines.csv_source(path, columns=FINNISH)
    assert (found.separator, found.decimal, found.encoding, found.date_format) == (";", ",", "cp1252", "%d.%m.%Y")


def test_csv_source_refuses_a_mapping_the_header_lacks(sample_sources):
    with pytest.raises(ValueError, match="Asiakasnumero"):
        engines.finnish_csv(sample_sources["finnish csv"].files[0],
                            columns={"Asiakasnumero": "customer_id"}).course_columns()


@pytest.mark.parametrize("where, how", [("nowhere", "read as Latin-1"), ("header", "header decoded apart"),
                                        ("body", "transcoded")])
def test_cp1252_is_read_natively_or_through_a_copy_and_gives_the_same_summary(tmp_path, where, how):
    """DuckDB reads Latin-1 but not cp1252's bytes 0x80-0x9F; each way gives the same numbers."""
    frame = pd.DataFrame({"customer_id": ["K1", "K1", "K2", "K1"], "amount": [1234.5, 2.0, 3.25, 4.0],
                          "timestamp": pd.to_datetime(["2025-01-02", "2025-01-02", "2025-02-03", "2025-03-04"])})
    headers = {"Asiakasnro": "customer_id", "Päivä": "timestamp", "Summa €" if where == "header" else "Summa": "amount"}
    if where == "body":
        frame["customer_id"] = ["K1–a", "K1–a", "K2", "K1–a"]   # an en dash: byte 0x96 in cp1252
    path = write_finnish_csv(frame, tmp_path / "x.csv", headers)
    with duckdb_engine.open_lines(engines.finnish_csv(path, columns=headers)) as lines:
        summary = lines.rfm_summary(time_unit="D")
        assert how in lines.reading[0]
    assert_same(summary, clv.rfm_summary(frame, time_unit="D"))
    assert summary["monetary_value"].iloc[0] == pytest.approx(4.0)  # 1 234,50 + 2,00 on the first day


# --------------------------------------------------------------------------- parity: the sample company
def test_rfm_summary_equals_pandas_on_the_sample_company(sample_lines, sample_orders):
    engine = sample_lines.rfm_summary(observation_end="31.12.2025")
    reference = clv.rfm_summary(sample_orders[sample_orders["amount"] >= 0], observation_end="2025-12-31")
    assert_same(engine, reference)
    assert engine.attrs["return_lines_excluded"] == int((sample_orders["amount"] < 0).sum())


def test_calibration_holdout_split_equals_pandas_on_the_sample_company(sample_lines, sample_orders):
    engine = sample_lines.calibration_holdout_split("2024-09-30", "2025-09-30")
    reference = clv.calibration_holdout_split(sample_orders[sample_orders["amount"] >= 0], "2024-09-30", "2025-09-30")
    assert_same(engine, reference)
    assert engine.attrs["rows_after_observation_end"] > 0   # lines of the last quarter: left out and counted


@pytest.mark.parametrize("period, start", [("M", "2024-01"), ("Q", None), ("W", "2025-06-01")])
def test_customer_metrics_equal_pandas_on_the_sample_company(sample_lines, sample_orders, period, start):
    engine = sample_lines.customer_metrics(period, 180, start=start, observation_end="2025-12-31")
    reference = metrics.customer_metrics(sample_orders, period, 180, start=start, observation_end="2025-12-31")
    assert_same(engine, reference)
    metrics.check_identity(engine)


@pytest.mark.parametrize("min_count", [1, 20])
def test_pair_rules_equal_pandas_on_the_sample_company(sample_lines, sample_orders, min_count):
    engine = sample_lines.pair_rules(min_count=min_count)
    reference = recommend.pair_rules(sample_orders, min_count=min_count)   # leaves the return lines out itself
    assert_same(engine, reference)
    assert engine.attrs["return_lines_excluded"] == int((sample_orders["quantity"] < 0).sum())


def pandas_clv(purchases: pd.DataFrame, observation_end, **options) -> pd.DataFrame:
    """The reference pipeline of lesson 02: summary, both fits, the four scores."""
    summary = clv.rfm_summary(purchases, observation_end=observation_end)
    bg, gg = clv.BetaGeoModel().fit(summary), clv.GammaGammaModel().fit(summary)
    return engines.score_customers(bg, gg, summary, **options)


def test_scored_clv_equals_pandas_on_the_sample_company(sample_lines, sample_orders):
    summary = sample_lines.rfm_summary(observation_end="2025-12-31")
    bg, gg = engines.fit_models(*engines.scoring.distinct_rows(summary), time_unit="W")
    engine = engines.score_in_batches(bg, gg, summary, batch_size=5000, months=36, margin=0.38)
    reference = pandas_clv(sample_orders[sample_orders["amount"] >= 0], "2025-12-31", months=36, margin=0.38)
    assert_same(engine, reference)


def test_health_counts_equal_the_intakes_order_rules(sample_lines, sample_orders):
    from helpers.data import order_faults

    engine = sample_lines.health_counts(extraction_date="2025-06-30")
    masks = order_faults(sample_orders, extraction_date=pd.Timestamp("2025-06-30"))
    assert engine == {rule: int(masks[rule].sum()) for rule in engine}
    assert engine["date_after_extraction"] > 0


# --------------------------------------------------------------------------- parity: CDNOW
def test_summaries_equal_pandas_on_cdnow(cdnow_lines, cdnow):
    assert_same(cdnow_lines.rfm_summary(observation_end="1998-06-30"),
                clv.rfm_summary(cdnow, observation_end="1998-06-30"))
    assert_same(cdnow_lines.calibration_holdout_split("1997-09-30", "1998-06-30"),
                clv.calibration_holdout_split(cdnow, "1997-09-30", "1998-06-30"))
    assert_same(cdnow_lines.customer_metrics(observation_end="1998-06-30"),
                metrics.customer_metrics(cdnow, observation_end="1998-06-30"))


def test_scored_clv_equals_pandas_on_cdnow(cdnow_lines, cdnow):
    summary = cdnow_lines.rfm_summary(observation_end="1998-06-30")
    bg, gg = clv.BetaGeoModel().fit(summary), clv.GammaGammaModel().fit(summary)
    assert_same(engines.score_customers(bg, gg, summary, months=12),
                pandas_clv(cdnow, "1998-06-30", months=12))


def test_rows_after_observation_end_are_left_out_and_counted(cdnow_lines, cdnow):
    engine = cdnow_lines.rfm_summary(observation_end="31.12.1997")
    reference = clv.rfm_summary(cdnow, observation_end="1997-12-31")
    assert_same(engine, reference)
    assert engine.attrs["rows_after_observation_end"] == int((cdnow["timestamp"] > "1997-12-31").sum()) > 0


@pytest.mark.skipif(not CLIENT_TOML.exists(), reason="the intake's CDNOW client fixture is not in data/clients yet")
def test_the_cdnow_client_export_gives_the_intakes_and_cdnows_numbers(cdnow):
    """The intake's fixture read by DuckDB: blank and total rows left out and counted, the same summary."""
    from helpers.data import read_description

    source = engines.from_table_spec(read_description(CLIENT_TOML).tables["orders"])
    with duckdb_engine.open_lines(source) as lines:
        counts = lines.check()
        engine = lines.rfm_summary(observation_end="30.06.1998")
    assert (counts["blank_rows_skipped"], counts["total_rows_dropped"], counts["n_rows"]) == (1, 1, len(cdnow))
    client = load_company(CLIENT_TOML).orders
    assert_same(engine, clv.rfm_summary(client[client["amount"] >= 0], observation_end="1998-06-30"))
    assert_same(engine, clv.rfm_summary(cdnow, observation_end="1998-06-30"))


# --------------------------------------------------------------------------- bad input
def test_unreadable_dates_and_amounts_are_refused_with_examples(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Asiakasnro;Päivä;Summa\nK1;01.02.2025;1,00\nK2;2025/02/31;2,00\nK3;03.02.2025;kolme\n",
                    encoding="cp1252")
    headers = {"Asiakasnro": "customer_id", "Päivä": "timestamp", "Summa": "amount"}
    with duckdb_engine.open_lines(engines.finnish_csv(path, columns=headers)) as lines:
        with pytest.raises(ValueError, match=r"'timestamp' must hold dates .*%d\.%m\.%Y.*1 of 3 rows.*2025/02/31"):
            lines.rfm_summary()
    path.write_text("Asiakasnro;Päivä;Summa\nK1;01.02.2025;1,00\nK3;03.02.2025;kolme\n", encoding="cp1252")
    with duckdb_engine.open_lines(engines.finnish_csv(path, columns=headers)) as lines:
        with pytest.raises(ValueError, match=r"'amount' must hold amounts .*1 of 2 rows.*kolme"):
            lines.rfm_summary()


def test_a_declared_format_with_a_time_reads_the_days(sample_sources, sample_orders):
    source = sample_sources["finnish csv"]
    with_time = engines.Source(files=source.files, date_format="%d.%m.%Y %H:%M:%S", columns=source.columns)
    with duckdb_engine.open_lines(with_time, columns=()) as lines:
        engine = lines.rfm_summary(observation_end="2025-12-31")
    assert_same(engine, clv.rfm_summary(sample_orders[sample_orders["amount"] >= 0], observation_end="2025-12-31"))


def test_a_missing_required_column_is_named():
    source = engines.csv_source(SAMPLE_DIR / "customers.csv", columns={"signup_date": "timestamp"})
    assert source.separator == "," and source.decimal == "." and source.date_format == "%Y-%m-%d"
    with pytest.raises(ValueError, match=r"customers.csv: no column for \['amount'\]"):
        source.course_columns()


# --------------------------------------------------------------------------- memory guard and generator
def test_the_pandas_guard_refuses_warns_and_accepts_by_the_available_memory(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_bytes(b"Asiakasnro;Summa\r\n" + b"K00000001;12,50\r\n" * 10_000)
    size = path.stat().st_size
    est = memory.estimate_pandas_memory(path, available=10**12)
    assert est.lines == pytest.approx(10_001, rel=0.01)   # estimated from the head's line length
    assert est.estimated_peak == int(size * memory.BYTES_PER_BYTE["intake"]) and est.verdict == "fits"
    with pytest.raises(memory.TooBigForPandas, match="DuckDB"):
        memory.check_pandas_fits(path, available=est.estimated_peak)
    with pytest.warns(ResourceWarning, match="pandas may run out of memory"):
        memory.check_pandas_fits(path, available=int(est.estimated_peak / 0.6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memory.check_pandas_fits(path, available=est.estimated_peak * 4)
    assert memory.choose_engine(path, available=est.estimated_peak)[0] == "duckdb"


def test_generated_lines_are_seeded_and_engines_read_both_files_alike(tmp_path):
    first = generate.write_lines(tmp_path / "a", 3_000, seed=7)
    again = generate.write_lines(tmp_path / "b", 3_000, seed=7, parquet=False)
    assert first.csv.read_bytes() == again.csv.read_bytes()
    assert 8 <= first.n_lines / first.n_customers <= 12       # about ten lines per customer
    frame = pd.read_parquet(first.parquet)
    reference = clv.rfm_summary(frame[frame["amount"] >= 0], observation_end=first.observation_end)
    for source in (engines.parquet_source(first.parquet), engines.finnish_csv(first.csv, generate.FINNISH_HEADERS)):
        with duckdb_engine.open_lines(source) as lines:
            assert_same(lines.rfm_summary(observation_end=first.observation_end), reference)


def test_sources_scan_for_cp1252_bytes_block_by_block(tmp_path):
    plain, euro = tmp_path / "plain.csv", tmp_path / "euro.csv"
    plain.write_bytes(b"a;b\r\n" + "1;ä\r\n".encode("cp1252") * 10)    # ä is 0xE4: Latin-1 too
    euro.write_bytes(plain.read_bytes() + "€".encode("cp1252"))
    assert not sources.has_cp1252_only_bytes(plain) and sources.has_cp1252_only_bytes(euro)
