"""The company description file, ``company.toml``: everything a consultant changes, outside the code.

::

    [company]
    name = "Asiakas Oy"
    observation_end = "30.06.1998"   # last day the data covers (TOML date, ISO or Finnish)
    extraction_date = "02.07.1998"   # optional, default observation_end
    founded = "01.01.1990"           # optional; sign-ups before it are flagged
    margin_rate = 0.30               # optional; used when the orders carry no margin
    engine = "auto"                  # optional: "pandas", "duckdb" or "auto" (see below)

    [tables.orders]
    file = "tilausrivit.csv"         # relative to this file; CSV/TSV (gzip fine) or .xlsx; a list or a
                                     # pattern ("tilaukset_*.csv") reads several files as one table
    # sheet = "Tilausrivit"          # Excel only
    # header_row = 3                 # 1-based, for title rows above the header
    # encoding, separator, decimal, date_format, timezone: optional overrides; detected when absent

    [tables.orders.columns]          # client's header = course column
    "Asiakasnro" = "customer_id"

    [tables.orders.values.channel]   # client's value = course value
    "verkko" = "web"

    [cleaning]                       # the repairs clean_company may make (all off by default)
    drop_nonsense_amounts = true

:func:`read_description` reads and checks it; every mistake is named with the
file and the key (a misspelt key is an error, not silently ignored).
"""

from __future__ import annotations

import json
import numbers
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers._checks import as_timestamp

from .cleaning import FIXES
from .contracts import CONTRACTS

COMPANY_KEYS = ("name", "observation_end", "extraction_date", "founded", "margin_rate", "truth", "engine")
#: Who reads the order lines: pandas (the lessons), DuckDB (an export larger than memory: lesson 10),
#: or "auto": pandas while the estimate of its memory fits, DuckDB above (helpers.engines.choose_engine).
ENGINES = ("auto", "pandas", "duckdb")
TABLE_KEYS = ("file", "sheet", "header_row", "encoding", "separator", "decimal", "date_format", "timezone",
              "columns", "values")
SEPARATOR_NAMES = {";": ";", ",": ",", "\t": "\t", "tab": "\t", "\\t": "\t"}


class CompanyFileError(ValueError):
    """A mistake in a ``company.toml`` (the file and the key named)."""


@dataclass(frozen=True)
class TableSpec:
    """How one table is read: its ``files`` and the reading ``options`` of :func:`helpers.data.load_table`."""

    name: str
    files: tuple[Path, ...]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Description:
    """A company description as read from its ``company.toml`` (dates as Timestamps, paths absolute)."""

    path: Path
    name: str
    observation_end: pd.Timestamp | None
    extraction_date: pd.Timestamp | None
    founded: pd.Timestamp | None
    margin_rate: float | None
    truth_dir: Path | None
    tables: dict[str, TableSpec]
    fixes: tuple[str, ...]
    engine: str = "auto"


def _unknown(where: str, given, known, path: Path) -> None:
    extra = sorted(set(given) - set(known))
    if extra:
        raise CompanyFileError(f"{path}: {where} has unknown key(s) {extra}; known: {list(known)}")


def _date(section: dict, key: str, path: Path) -> pd.Timestamp | None:
    value = section.get(key)
    if value is None:
        return None
    try:
        return as_timestamp(value if isinstance(value, str) else pd.Timestamp(value), f"[company] {key}")
    except ValueError as exc:
        raise CompanyFileError(f"{path}: {exc}") from None


def _files(value, table: str, path: Path) -> tuple[Path, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise CompanyFileError(f"{path}: [tables.{table}] file must be a file name or a list of them, got {value!r}")
    files = []
    for name in names:
        found = sorted(path.parent.glob(name)) if any(ch in name for ch in "*?[") else [path.parent / name]
        missing = [f for f in found if not f.exists()]
        if not found or missing:
            raise CompanyFileError(f"{path}: [tables.{table}] file {name!r}: no such file in {path.parent}")
        files += found
    return tuple(files)


def _mapping(value, where: str, path: Path) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, (str, int, float, bool)) for v in value.values()):
        raise CompanyFileError(f"{path}: {where} must be a table of \"client\" = \"course\" pairs, got {value!r}")
    return {str(k).strip(): str(v).strip() for k, v in value.items()}


def _table(name: str, section: dict, path: Path) -> TableSpec:
    where = f"[tables.{name}]"
    if name not in CONTRACTS:
        raise CompanyFileError(f"{path}: {where}: no table of that name; the tables are {list(CONTRACTS)}")
    if not isinstance(section, dict) or "file" not in section:
        raise CompanyFileError(f"{path}: {where} needs file = \"...\" (the export holding the table)")
    _unknown(where, section, TABLE_KEYS, path)
    options = {k: section[k] for k in TABLE_KEYS[1:] if k in section}
    if "header_row" in options and (not isinstance(options["header_row"], int) or options["header_row"] < 1):
        raise CompanyFileError(f"{path}: {where} header_row must be a line number (1 = the first line)")
    if options.get("decimal") not in (None, ".", ","):
        raise CompanyFileError(f"{path}: {where} decimal must be \".\" or \",\", got {options['decimal']!r}")
    if "separator" in options:
        if options["separator"] not in SEPARATOR_NAMES:
            raise CompanyFileError(f"{path}: {where} separator must be \";\", \",\" or \"tab\"")
        options["separator"] = SEPARATOR_NAMES[options["separator"]]
    if "columns" in options:
        options["columns"] = _mapping(options["columns"], f"[tables.{name}.columns]", path)
    if "values" in options:
        if not isinstance(options["values"], dict):
            raise CompanyFileError(f"{path}: [tables.{name}.values] must hold one table per column")
        options["values"] = {col: _mapping(m, f"[tables.{name}.values.{col}]", path)
                             for col, m in options["values"].items()}
    return TableSpec(name, _files(section["file"], name, path), options)


def _facts(company: dict, path: Path) -> dict:
    _unknown("[company]", company, COMPANY_KEYS, path)
    if not isinstance(company.get("name"), str) or not company["name"].strip():
        raise CompanyFileError(f"{path}: [company] needs name = \"...\" (the company's name)")
    facts = {k: _date(company, k, path) for k in ("observation_end", "extraction_date", "founded")}
    end, extracted, founded = facts["observation_end"], facts["extraction_date"], facts["founded"]
    if end is not None and extracted is not None and extracted < end:
        raise CompanyFileError(f"{path}: [company] extraction_date {extracted:%d.%m.%Y} is before observation_end "
                               f"{end:%d.%m.%Y}: the data cannot cover days after it was extracted")
    if founded is not None and end is not None and founded > end:
        raise CompanyFileError(f"{path}: [company] founded {founded:%d.%m.%Y} is after observation_end")
    rate = company.get("margin_rate")
    if rate is not None and (not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        raise CompanyFileError(f"{path}: [company] margin_rate must be a share between 0 and 1, got {rate!r}")
    truth = company.get("truth")
    truth_dir = None if truth is None else (path.parent / truth)
    if truth_dir is not None and not truth_dir.is_dir():
        raise CompanyFileError(f"{path}: [company] truth = {truth!r}: no such folder")
    engine = company.get("engine", "auto")
    if engine not in ENGINES:
        raise CompanyFileError(f"{path}: [company] engine must be one of {list(ENGINES)}, got {engine!r}")
    return {"name": company["name"].strip(), **facts, "margin_rate": None if rate is None else float(rate),
            "truth_dir": truth_dir, "engine": engine}


def read_description(path: str | Path) -> Description:
    """Read and check a ``company.toml`` (see the module text for its format).

    Raises
    ------
    FileNotFoundError
        When the file or a table's file does not exist.
    CompanyFileError
        Naming the file and the key: a missing name or file, an unknown key,
        table or fix, a date that is not a date, dates in the wrong order.
    """
    path = Path(path).resolve()
    path = path / "company.toml" if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such company description (a company.toml)")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CompanyFileError(f"{path}: not valid TOML: {exc}") from None
    _unknown("the file", doc, ("company", "tables", "cleaning"), path)
    if not doc.get("tables"):
        raise CompanyFileError(f"{path}: no [tables.<name>] section: name at least the orders' file")
    fixes = doc.get("cleaning", {})
    _unknown("[cleaning]", fixes, FIXES, path)
    if not all(isinstance(v, bool) for v in fixes.values()):
        raise CompanyFileError(f"{path}: [cleaning] values must be true or false")
    tables = {name: _table(name, section, path) for name, section in doc["tables"].items()}
    return Description(path=path, **_facts(doc.get("company", {}), path), tables=tables,
                       fixes=tuple(f for f in FIXES if fixes.get(f)))


# --------------------------------------------------------------------------- writing one
#: The comment written beside each fact of ``[company]``.
FACT_NOTES = {"observation_end": "last day the data covers", "extraction_date": "the day the data was exported",
              "founded": "sign-ups before it are impossible", "margin_rate": "share of revenue that is margin",
              "truth": "the answer key of generated data (a client has none)"}


def _toml_string(value) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(value), ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(value)


def _pairs(mapping: dict) -> list[str]:
    return [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in mapping.items()]


def _table_text(name: str, spec: dict) -> list[str]:
    """``[tables.<name>]`` with its reading options, then its column and value mappings."""
    if name not in CONTRACTS:
        raise ValueError(f"no table {name!r}; the tables are {list(CONTRACTS)}")
    _unknown(f"[tables.{name}]", spec, TABLE_KEYS, Path("company.toml"))
    out = ["", f"[tables.{name}]"] + [f"{k} = {_toml_value(spec[k])}" for k in TABLE_KEYS[:-2] if k in spec]
    if spec.get("columns"):
        out += ["", f"[tables.{name}.columns]"] + _pairs(spec["columns"])
    for column, values in spec.get("values", {}).items():
        out += ["", f"[tables.{name}.values.{column}]"] + _pairs(values)
    return out


def description_text(name: str, tables: dict[str, dict], *, observation_end=None, extraction_date=None,
                     founded=None, margin_rate: float | None = None, truth: str | None = None,
                     fixes: tuple[str, ...] = (), header: str = "") -> str:
    """The text of a ``company.toml`` that :func:`read_description` reads back as these arguments say.

    Parameters
    ----------
    name : str
        The company's name.
    tables : dict
        Per table of the data contract, its section as a dict: ``file`` (relative
        to the description) and any reading options of ``[tables.<name>]``
        (``encoding``, ``separator``, ``decimal``, ``date_format``, …), with
        ``columns`` (client header -> course column) and ``values`` (column ->
        client value -> course value).
    observation_end, extraction_date, founded : date, optional
        Written as TOML dates; strings ISO or Finnish (``31.12.2025``).
    margin_rate : float, optional
    truth : str, optional
        The answer-key folder, relative to the description (generated data only).
    fixes : tuple of str
        The repairs of ``[cleaning]`` (:data:`helpers.data.FIXES`).
    header : str
        Comment lines written at the top (``#`` added).

    Returns
    -------
    str
        UTF-8 text ending in a newline.
    """
    unknown = sorted(set(fixes) - set(FIXES))
    if unknown:
        raise ValueError(f"unknown fix(es) {unknown}; known: {list(FIXES)}")
    facts = {"observation_end": observation_end, "extraction_date": extraction_date, "founded": founded}
    lines = [f"# {line}".rstrip() for line in header.splitlines()] + ([""] if header else [])
    lines += ["[company]", f"name = {_toml_string(name)}"]
    written = {k: f"{as_timestamp(v, k):%Y-%m-%d}" for k, v in facts.items() if v is not None}
    written |= {k: _toml_value(v) for k, v in (("margin_rate", margin_rate), ("truth", truth)) if v is not None}
    width = max((len(f"{k} = {v}") for k, v in written.items()), default=0)
    lines += [f"{k} = {v}".ljust(width) + f"   # {FACT_NOTES[k]}" for k, v in written.items()]
    for table, spec in tables.items():
        lines += _table_text(table, spec)
    if fixes:
        lines += ["", "[cleaning]   # the repairs load_company makes (each counted in company.cleaning)"]
        lines += [f"{fix} = true" for fix in FIXES if fix in fixes]
    return "\n".join(lines) + "\n"
