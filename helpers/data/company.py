"""A company's data: read through its ``company.toml``, checked, cleaned as it allows, cached.

:func:`load_company` is the one way in, for the sample company (``data/sample/company.toml``)
and for any client alike. It returns a :class:`Company`: the company's facts
(name, dates, margin rate), its tables (``None`` where it has none), what was
read (``intake``), what was changed (``cleaning``), what was derived
(``derived``, ``notes``) and where its answer key is (``truth_dir``,
generated data only). ``company.has("orders", "product_id")`` and
``company.missing(...)`` tell a lesson which sections the data supports.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import helpers
from helpers import DATA_DIR
from helpers import columns as cols

from .cleaning import clean_company
from .contracts import CONTRACTS, column_names
from .description import Description, read_description
from .intake import load_table, read_table

SAMPLE_DIR = DATA_DIR / "sample"
SAMPLE_TOML = SAMPLE_DIR / "company.toml"
TRUTH_DIR = SAMPLE_DIR / "truth"
CACHE_DIR = DATA_DIR / ".cache"
TABLES = tuple(CONTRACTS)
INTAKE_COLUMNS = ["table", "file", "encoding", "separator", "decimal", "date_format", "title_rows", "rows_in",
                  "blank_rows", "total_rows", "rows_out", "mapped", "ignored", "sha256"]
#: What each analysis of the course needs: (table, columns) pairs; "margin" is met by a margin column or rate.
ANALYSES = {
    "customer value (RFM, concentration, lifetime value)": [("orders", [cols.CUSTOMER, cols.TIMESTAMP, cols.AMOUNT])],
    "profit (margin per customer)": [("orders", [cols.MARGIN])],
    "returns": [("orders", [cols.QUANTITY])],
    "sales channels": [("orders", [cols.CHANNEL])],
    "baskets and next best offer": [("orders", [cols.ORDER, cols.PRODUCT]), ("products", [])],
    "segment profiles (age, area)": [("customers", [cols.AGE_BAND, cols.AREA_TYPE])],
    "consents (who may be contacted)": [("customers", ["consent_email", "consent_sms", "consent_post"])],
    "campaigns and control groups": [("campaigns", [cols.SEND_DATE]),
                                     ("campaign_members", [cols.GROUP, cols.CONVERTED])],
    "trigger automation (always-on holdout)": [("automations", []),
                                               ("automation_members", [cols.GROUP, cols.CONVERTED, cols.REVENUE])],
    "recommendation survey (NPS)": [("survey", [cols.NPS])],
    "referrals": [("referrals", [cols.REFERRER, cols.REFERRED])],
    "season passes": [("park_holders", []), ("park_seasons", [cols.SEASON, "renewed"])],
}


@dataclass
class Company:
    """A company's data, as read from its ``company.toml`` and cleaned as it allows.

    Facts: ``name``, ``observation_end`` (last day the data covers),
    ``extraction_date``, ``founded`` (``None`` = unknown), ``margin_rate``
    (share of revenue, ``None`` = not given). Tables: one attribute per table
    of the data contract, ``None`` when the company has none. ``intake``: per
    file what was read (encoding, separator, decimal mark, date format, rows
    in and out, columns mapped and left out); ``cleaning``: what
    :func:`clean_company` changed; ``derived``: what was derived rather than
    read (``"customers"``, ``"orders.order_id"``), explained in ``notes``;
    ``truth_dir``: the answer key (generated data only: the sample's, or
    another company made by :mod:`helpers.synth`; a client has none).
    """

    name: str
    observation_end: pd.Timestamp
    extraction_date: pd.Timestamp
    founded: pd.Timestamp | None = None
    margin_rate: float | None = None
    customers: pd.DataFrame | None = None
    orders: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    stores: pd.DataFrame | None = None
    postal_codes: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None
    campaign_members: pd.DataFrame | None = None
    automations: pd.DataFrame | None = None
    automation_members: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    referrals: pd.DataFrame | None = None
    park_holders: pd.DataFrame | None = None
    park_seasons: pd.DataFrame | None = None
    park_campaign: pd.DataFrame | None = None
    cleaning: pd.DataFrame = field(default_factory=pd.DataFrame)
    intake: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INTAKE_COLUMNS))
    derived: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    allowed_fixes: tuple[str, ...] = ()
    truth_dir: Path | None = None
    source: Path | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the company has, in the data contract's order."""
        return {name: getattr(self, name) for name in TABLES if getattr(self, name) is not None}

    def missing(self, table: str, *columns: str) -> str | None:
        """What the company lacks for a table and columns, in words; ``None`` when it has them all."""
        if table not in TABLES:
            raise ValueError(f"no table {table!r}; the tables are {list(TABLES)}")
        df = getattr(self, table)
        if df is None:
            return f"{self.name} has no {table} table"
        absent = [c for c in columns if c not in df.columns]
        return f"{self.name}'s {table} table has no column(s) {', '.join(absent)}" if absent else None

    def has(self, table: str, *columns: str) -> bool:
        """Whether the company has the table (and these columns of it)."""
        return self.missing(table, *columns) is None

    def supports(self) -> pd.DataFrame:
        """Which analyses of the course the data supports: ``analysis``, ``supported``, ``missing``."""
        rows = []
        for analysis, needs in ANALYSES.items():
            gaps = [m for table, columns in needs if (m := self.missing(table, *columns))]
            if analysis.startswith("profit") and self.margin_rate is not None:
                gaps = []  # the declared margin rate stands in for a margin column
            rows.append({"analysis": analysis, "supported": not gaps, "missing": "; ".join(gaps)})
        return pd.DataFrame(rows)

    def load_truth(self, name: str) -> pd.DataFrame:
        """One table of the company's answer key (the sample company's ``truth/``)."""
        if self.truth_dir is None:
            raise FileNotFoundError(f"{self.name} has no answer key (no truth folder in its company.toml)")
        return load_truth(name, self.truth_dir)


# --------------------------------------------------------------------------- reading a company
def _derive_order_ids(orders: pd.DataFrame) -> pd.DataFrame:
    """One order per customer and timestamp: ``customer_id@timestamp`` (the day alone when no times are given)."""
    ts = orders[cols.TIMESTAMP]
    fmt = "%Y-%m-%d" if (ts == ts.dt.normalize()).all() else "%Y-%m-%dT%H:%M:%S"
    out = orders.assign(**{cols.ORDER: orders[cols.CUSTOMER] + "@" + ts.dt.strftime(fmt)})
    return out[[c for c in column_names("orders") if c in out.columns]]


def _derive_register(orders: pd.DataFrame) -> pd.DataFrame:
    """The register the orders imply: one row per customer, sign-up = the day of the first purchase."""
    first = orders.groupby(cols.CUSTOMER)[cols.TIMESTAMP].min().dt.normalize()
    return pd.DataFrame({cols.CUSTOMER: first.index.astype("str"), cols.SIGNUP_DATE: first.to_numpy()})


def _derive(tables: dict) -> tuple[list[str], list[str]]:
    """Derive an absent order id and an absent register from the orders, saying so."""
    derived, notes = [], []
    orders = tables.get("orders")
    if orders is not None and cols.ORDER not in orders:
        tables["orders"] = _derive_order_ids(orders)
        derived.append("orders.order_id")
        notes.append(f"orders: no order_id column: one order per customer and timestamp "
                     f"({tables['orders'][cols.ORDER].nunique():,} orders from {len(orders):,} lines)")
    if "customers" not in tables and orders is not None:
        tables["customers"] = _derive_register(tables["orders"])
        derived.append("customers")
        notes.append(f"customers: no register given: derived from the orders, one row per customer "
                     f"({len(tables['customers']):,}), sign-up date = the day of the first purchase")
    return derived, notes


def _orders_engine(desc: Description) -> str | None:
    """Why the order lines stay with the engine (DuckDB) instead of pandas, or ``None`` when pandas reads them.

    ``engine = "duckdb"`` in the description says so; ``"auto"`` (the default) switches when
    :func:`helpers.engines.choose_engine` estimates the files would take more than half of the memory
    available now. The lessons then say the orders are missing; lesson 10 reads them in the engine.
    """
    spec = desc.tables.get("orders")
    if spec is None or desc.engine == "pandas":
        return None
    if desc.engine == "duckdb":
        return ("orders: read by the engine (company.toml says engine = \"duckdb\"), not loaded into pandas: "
                "lesson 10 (helpers.engines) summarises them")
    from helpers.engines import memory  # noqa: PLC0415 (no engine is imported unless needed)

    csv_files = [f for f in spec.files if f.suffix not in (".xlsx", ".xls", ".parquet")]
    estimates = [memory.estimate_pandas_memory(f) for f in csv_files]
    if any(e.verdict != "fits" for e in estimates):
        worst = max(estimates, key=lambda e: e.estimated_peak)
        return (f"orders: {worst.message()}: too big for pandas on this machine, so they are left to the "
                f"engine (lesson 10, helpers.engines); set engine = \"pandas\" in company.toml to insist")
    return None


def _read_company(desc: Description) -> Company:
    """Every table of the description, read and checked (not cleaned)."""
    tables, reports, notes = {}, [], []
    engine_note = _orders_engine(desc)
    if engine_note:
        notes.append(engine_note)
    for name in TABLES:
        if name in desc.tables and not (name == "orders" and engine_note):
            spec = desc.tables[name]
            tables[name], files = load_table(list(spec.files), name, **spec.options)
            reports += [{"table": name, **r, "mapped": "; ".join(r["mapped"]), "ignored": "; ".join(r["ignored"])}
                        for r in files]
            ignored = files[0]["ignored"]
            if ignored:
                notes.append(f"{name}: {len(ignored)} client column(s) left out (not mapped): {', '.join(ignored)}")
    derived, derived_notes = _derive(tables)
    end = desc.observation_end
    if end is None and tables.get("orders") is not None:
        end = tables["orders"][cols.TIMESTAMP].max().normalize()
        notes.append(f"observation_end not given: the last order date, {end:%d.%m.%Y}")
    return Company(name=desc.name, observation_end=end, extraction_date=desc.extraction_date or end,
                   founded=desc.founded, margin_rate=desc.margin_rate, **tables,
                   intake=pd.DataFrame(reports, columns=INTAKE_COLUMNS), derived=tuple(derived),
                   notes=tuple(notes + derived_notes), allowed_fixes=desc.fixes, truth_dir=desc.truth_dir,
                   source=desc.path)


# --------------------------------------------------------------------------- cache
def _code_files() -> list[Path]:
    here = Path(__file__).parent
    root = Path(helpers.__file__).parent
    return sorted(here.glob("*.py")) + [root / "_checks.py", root / "columns.py", root / "vocabulary.py"]


def _cache_file(desc: Description, kind: str) -> Path:
    """Changes whenever the description, one of its files or the package code changes."""
    parts = [__name__.encode()] + [p.read_bytes() for p in _code_files()] + [desc.path.read_bytes()]
    for spec in desc.tables.values():
        for f in spec.files:
            stat = f.stat()
            parts.append(f"{f}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    company = hashlib.sha256(str(desc.path).encode()).hexdigest()[:8]
    return CACHE_DIR / f"company-{company}-{kind}-{hashlib.sha256(b'|'.join(parts)).hexdigest()[:16]}.pkl"


def _cached(path: Path | None, make):
    if path is not None and path.exists():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError):
            pass  # replaced or removed by a parallel run: read the data again
    value = make()
    if path is not None:
        CACHE_DIR.mkdir(exist_ok=True)
        stem = path.name.rsplit("-", 1)[0]
        for old in list(CACHE_DIR.glob(f"{stem}-*.pkl")) + list(CACHE_DIR.glob("company-" + "?" * 16 + ".pkl")):
            if old != path:  # older versions of this company (and the cache layout before company.toml)
                old.unlink(missing_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a parallel reader never sees half a file
    return value


def load_company(path: str | Path | None = None, cache: bool = True, clean: bool = True) -> Company:
    """A company's tables, read through its ``company.toml``, checked and cleaned as it allows.

    Parameters
    ----------
    path : path, optional
        The company's ``company.toml`` (see ``data/README.md``), or the folder
        holding it; ``None`` is the sample company, Kotiranta Oy and Aurora Park.
    cache : bool
        Reading and checking every table takes seconds, so the result is kept
        in ``data/.cache/`` (not in git) and reused while neither the
        description, its files nor this package change. Every call returns
        fresh copies.
    clean : bool
        ``False`` returns the tables as read (for the health check);
        ``True`` repairs what the description's ``[cleaning]`` allows
        (:func:`clean_company`), every change counted in ``cleaning``.

    Returns
    -------
    Company
    """
    desc = read_description(path if path is not None else SAMPLE_TOML)
    raw = lambda: _cached(_cache_file(desc, "raw") if cache else None, lambda: _read_company(desc))  # noqa: E731
    if not clean:
        return raw()
    return _cached(_cache_file(desc, "clean") if cache else None, lambda: clean_company(raw()))


# --------------------------------------------------------------------------- the sample's tables, one by one
def _loader(name: str, doc: str):
    """The function ``load_<name>(path=None)``: the sample's table ``name`` (raw), or the file at ``path``."""

    def load(path=None) -> pd.DataFrame:
        if path is not None:
            return read_table(path, name)
        spec = read_description(SAMPLE_TOML).tables[name]
        return load_table(list(spec.files), name, **spec.options)[0]

    load.__name__ = load.__qualname__ = f"load_{name}"
    load.__doc__ = doc
    return load


load_customers = _loader("customers", "The loyalty-club register, one row per customer id (raw: faults included). "
                                      "See ``data/README.md``.")
load_orders = _loader("orders", "Order lines (raw): one row per line; returns have negative quantity, amount and "
                                "margin (euros).")
load_products = _loader("products", "The product catalogue: list price and unit cost in euros.")
load_stores = _loader("stores", "The six stores.")
load_postal_codes = _loader("postal_codes", "The reference list of postal codes (town, area type).")
load_campaigns = _loader("campaigns", "The campaigns: send date, channel, offer, audience, planned control share, "
                                      "cost per contact (euros).")
load_campaign_members = _loader("campaign_members", "Campaign members with their group and outcomes in the response "
                                                    "window (euros).")
load_automations = _loader("automations", "The marketing-automation rules: trigger (days of silence), channel, offer, "
                                          "start date, holdout share, outcome window (days) and cost per message "
                                          "(euros).")
load_automation_members = _loader("automation_members", "One row per firing of an automation rule: the member, the "
                                                        "day, the group (holdout = ``control``) and the outcomes in "
                                                        "the rule's window (purchases; revenue and margin in euros).")
load_survey = _loader("survey", "NPS (0-10), CES (1-7) and driver ratings (1-5), one response per customer.")
load_referrals = _loader("referrals", "Member-gets-member referrals: who referred whom and when.")
load_park_holders = _loader("park_holders", "Aurora Park season-pass holders.")
load_park_seasons = _loader("park_seasons", "One row per holder and season held: visits, on-site spend (euros), pass "
                                            "price, renewal.")
load_park_campaign = _loader("park_campaign", "The summer-2024 'come a third time' trigger test with its control "
                                              "group.")


def load_truth(name: str, truth_dir: str | Path | None = None) -> pd.DataFrame:
    """One answer-key table (default: the sample's ``data/sample/truth``, e.g. ``"customers_truth"``).

    For checking answers only; a company's own answer key is ``company.load_truth(name)``.
    """
    folder = Path(truth_dir) if truth_dir is not None else TRUTH_DIR
    path = next((p for p in [folder / f"{name}.csv", folder / f"{name}.csv.gz"] if p.exists()), None)
    if path is None:
        known = sorted(p.name.split(".")[0] for p in folder.glob("*.csv*"))
        raise FileNotFoundError(f"no truth table {name!r} in {folder}; known: {known}")
    df = pd.read_csv(path, dtype={cols.CUSTOMER: str, "key": str})
    for col in df.columns:
        if col in {"date", cols.SEND_DATE}:
            df[col] = pd.to_datetime(df[col])
    return df

