"""company.toml chooses who reads the order lines: pandas, DuckDB, or "auto" by their size (issue 14)."""

import shutil

import pytest

from helpers import data
from helpers.data import CompanyFileError

CDNOW = data.DATA_DIR / "clients" / "cdnow"


def _client(tmp_path, engine_line: str):
    folder = tmp_path / "client"
    shutil.copytree(CDNOW, folder, ignore=shutil.ignore_patterns("*.xlsx", "company_excel.toml"))
    toml = folder / "company.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[company]\n", f"[company]\n{engine_line}\n", 1), encoding="utf-8")
    return toml


def test_engine_duckdb_leaves_the_orders_to_the_engine_and_says_so(tmp_path):
    company = data.load_company(_client(tmp_path, 'engine = "duckdb"'), cache=False)
    assert company.orders is None
    assert any("read by the engine" in note for note in company.notes)
    assert "orders" in company.missing("orders")


def test_auto_switches_above_the_memory_the_machine_has(tmp_path, monkeypatch):
    from helpers.engines import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 10 * 1024**2)  # a machine with 10 MB free
    company = data.load_company(_client(tmp_path, 'engine = "auto"'), cache=False)
    assert company.orders is None
    note = next(n for n in company.notes if n.startswith("orders:"))
    assert "too big for pandas" in note and "tilausrivit.csv" in note and "lines" in note


def test_auto_keeps_pandas_when_the_orders_fit_and_pandas_can_be_insisted_on(tmp_path, monkeypatch):
    assert data.load_company(_client(tmp_path, 'engine = "auto"'), cache=False).orders is not None
    from helpers.engines import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 10 * 1024**2)
    toml = _client(tmp_path / "insist", 'engine = "pandas"')
    assert data.load_company(toml, cache=False).orders is not None


def test_an_unknown_engine_is_refused(tmp_path):
    with pytest.raises(CompanyFileError, match=r"engine must be one of \['auto', 'pandas', 'duckdb'\]"):
        data.load_company(_client(tmp_path, 'engine = "spark"'), cache=False)
