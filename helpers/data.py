"""Load, validate and health-check the course data.

Every table of the course is read through a loader of this module
(:func:`load_customers`, :func:`load_orders`, …, :func:`load_cdnow`,
:func:`load_hillstrom`). A loader resolves its path from the package (never
from the current directory), reads CSV (``,`` or the Finnish ``;`` with decimal
commas and ``31.12.2025`` dates) or Excel, checks the table against its **data
contract** (:data:`CONTRACTS`) and returns a correctly typed DataFrame. A
contract violation raises :class:`DataContractError` naming the file, the
column, the rule, how many rows break it and a few examples; nothing is
dropped silently.

The contract is the *shape* of the data. Business-rule faults that pass it
(duplicate customers, unknown postal codes, missing consents, …) are found by
:func:`health_check` -- the register "health check" (*kuntotesti*) of seed
text 004 -- and repaired, with every change counted, by :func:`clean_company`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import DATA_DIR
from helpers._checks import examples

SAMPLE_DIR = DATA_DIR / "sample"
TRUTH_DIR = SAMPLE_DIR / "truth"
REAL_DIR = DATA_DIR / "real"

DATA_START = pd.Timestamp("2023-01-01")
OBSERVATION_END = pd.Timestamp("2025-12-31")
EXTRACTION_DATE = pd.Timestamp("2026-01-05")
FUTURE_END = pd.Timestamp("2026-12-31")
#: The company was founded in 2015: an earlier sign-up date is impossible.
FOUNDED = pd.Timestamp("2015-01-01")


class DataContractError(ValueError):
    """A table breaks its data contract (file, column, rule, rows, examples)."""


@dataclass(frozen=True)
class Column:
    """One column of a data contract.

    ``kind`` is one of ``text``, ``int``, ``float``, ``date``, ``datetime``;
    ``allowed`` lists the permitted values (text columns); ``required`` means
    no missing values; ``unique`` means no repeated values.
    """

    name: str
    kind: str = "text"
    required: bool = True
    allowed: tuple | None = None
    unique: bool = False
    min_value: float | None = None


C = Column
YES_NO = ("yes", "no")
CONTRACTS: dict[str, list[Column]] = {
    "customers": [
        C("customer_id", unique=True), C("name"), C("email", required=False), C("phone", required=False),
        C("signup_date", "date"), C("postal_code"),
        C("area_type", required=False, allowed=("city", "suburb", "rural")),
        C("age_band", allowed=("18-24", "25-34", "35-44", "45-54", "55-64", "65+")),
        C("loyalty_tier", allowed=("basic", "silver", "gold")),
        C("consent_email", required=False, allowed=YES_NO), C("consent_email_date", "date", required=False),
        C("consent_sms", required=False, allowed=YES_NO), C("consent_sms_date", "date", required=False),
        C("consent_post", required=False, allowed=YES_NO), C("consent_post_date", "date", required=False),
    ],
    "orders": [
        C("order_id"), C("line_no", "int", min_value=1), C("customer_id"), C("timestamp", "datetime"),
        C("channel", allowed=("store", "web", "app")), C("store_id", required=False), C("product_id"),
        C("category"), C("quantity", "int"), C("amount", "float"), C("discount", "float", min_value=0),
        C("margin", "float"),
    ],
    "products": [C("product_id", unique=True), C("name"), C("category"), C("price", "float", min_value=0),
                 C("unit_cost", "float", min_value=0)],
    "stores": [C("store_id", unique=True), C("name"), C("town")],
    "postal_codes": [C("postal_code", unique=True), C("town"), C("area_type", allowed=("city", "suburb", "rural"))],
    "campaigns": [C("campaign_id", unique=True), C("name"), C("send_date", "date"), C("channel", allowed=("email", "sms")),
                  C("offer"), C("audience"), C("control_share", "float", min_value=0),
                  C("cost_per_contact", "float", min_value=0), C("response_window_days", "int", min_value=1)],
    "campaign_members": [C("campaign_id"), C("customer_id"), C("group", allowed=("treatment", "control")),
                         C("converted", "int", allowed=(0, 1)), C("revenue", "float", min_value=0), C("margin", "float")],
    "survey": [C("response_id", unique=True), C("customer_id"), C("date", "date"),
               C("nps", "int", allowed=tuple(range(11))), C("ces", "int", allowed=tuple(range(1, 8)))]
    + [C(f"rating_{d}", "int", allowed=(1, 2, 3, 4, 5)) for d in ("range", "price", "staff", "delivery", "app")],
    "referrals": [C("referrer_id"), C("referred_id", unique=True), C("date", "date")],
    "park_holders": [C("holder_id", unique=True), C("first_season", "int"), C("age_band"), C("adults", "int", min_value=0),
                     C("children", "int", min_value=0), C("home_area", allowed=("city", "suburb", "rural"))],
    "park_seasons": [C("holder_id"), C("season", "int"), C("visits", "int", min_value=0),
                     C("spend_food", "float", min_value=0), C("spend_rides", "float", min_value=0),
                     C("spend_shows", "float", min_value=0), C("pass_price", "float", min_value=0),
                     C("renewed", "int", required=False, allowed=(0, 1))],
    "park_campaign": [C("holder_id"), C("season", "int"), C("group", allowed=("treatment", "control")),
                      C("third_visit", "int", allowed=(0, 1)), C("renewed", "int", allowed=(0, 1))],
}
#: Keys that must be unique together (beyond single unique columns).
COMPOSITE_KEYS = {"orders": ["order_id", "line_no"], "campaign_members": ["campaign_id", "customer_id"],
                  "park_seasons": ["holder_id", "season"]}
FILES = {name: f"{name}.csv.gz" if name in {"orders", "campaign_members"} else f"{name}.csv" for name in CONTRACTS}


# --------------------------------------------------------------------------- reading
def _sniff(path: Path) -> dict:
    """Separator and decimal mark of a CSV file: ``;`` files use decimal commas (Finnish Excel exports)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig") as fh:
        head = fh.readline()
    sep = max([",", ";", "\t"], key=head.count)
    return {"sep": sep, "decimal": "," if sep == ";" else "."}


def read_table(path: str | Path, name: str | None = None) -> pd.DataFrame:
    """Read a CSV (``,``/``;``/tab, optionally gzip) or Excel file as text, then type it by its contract.

    Parameters
    ----------
    path : path
        The file. ``.xlsx``/``.xls`` are read with openpyxl; CSV separators are
        detected from the header line; a ``;``-separated file is taken to use
        decimal commas and may use ``31.12.2025`` dates.
    name : str, optional
        The contract to apply (a key of :data:`CONTRACTS`); by default the file
        name without extensions.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file (expected the '{name or path.stem}' table)")
    name = name or path.name.split(".")[0]
    if path.suffix in {".xlsx", ".xls"}:
        raw = pd.read_excel(path, dtype=str)
        decimal = "."
    else:
        fmt = _sniff(path)
        raw = pd.read_csv(path, sep=fmt["sep"], dtype=str, keep_default_na=False, na_values=[""],
                          quoting=csv.QUOTE_MINIMAL, encoding="utf-8-sig")
        decimal = fmt["decimal"]
    raw.columns = [str(c).strip() for c in raw.columns]
    return validate(raw, name, source=path.name, decimal=decimal)


def _examples(values: pd.Series, k: int = 3) -> str:
    return ", ".join(repr(v) for v in examples(values, k))


def _fail(source: str, column: str, rule: str, bad: pd.Series, values: pd.Series) -> None:
    raise DataContractError(
        f"{source}: column '{column}' {rule}: {int(bad.sum())} of {len(bad)} rows break it "
        f"(file lines {', '.join(str(i + 2) for i in bad[bad].index[:3])}; values {_examples(values[bad])})"
    )


def _parse(values: pd.Series, col: Column, decimal: str) -> pd.Series:
    """Convert text to the column's type; unparseable entries become NaN/NaT (reported by the caller)."""
    if col.kind in {"int", "float"}:
        if decimal == ",":
            values = values.str.replace(r"[\s\u00a0]", "", regex=True).str.replace(",", ".", regex=False)
        return pd.to_numeric(values, errors="coerce")
    if col.kind in {"date", "datetime"}:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
        retry = parsed.isna() & values.notna()
        if retry.any():  # Finnish dates: 31.12.2025, optionally with a time
            text = values[retry]
            finnish = pd.to_datetime(text, errors="coerce", format="%d.%m.%Y")
            for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"):
                finnish = finnish.fillna(pd.to_datetime(text, errors="coerce", format=fmt))
            parsed[retry] = finnish
        return parsed
    return values


def validate(raw: pd.DataFrame, name: str, source: str | None = None, decimal: str = ".") -> pd.DataFrame:
    """Check a table of text columns against its contract and return it typed.

    Raises
    ------
    DataContractError
        Naming the file, the column, the rule broken, how many rows break it
        and a few examples: a missing required column, missing values in a
        required column, text that is not a number or a date, a value outside
        the allowed set or below the minimum, repeated keys.
    """
    if name not in CONTRACTS:
        raise ValueError(f"no data contract named {name!r}; known: {sorted(CONTRACTS)}")
    source = source or name
    contract = CONTRACTS[name]
    missing = [c.name for c in contract if c.name not in raw.columns]
    if missing:
        raise DataContractError(f"{source}: required column(s) {missing} are missing; the file has {list(raw.columns)}")
    df = raw.copy()
    for col in contract:
        values = df[col.name].astype("str").where(df[col.name].notna()).str.strip()
        empty = values.isna() | values.eq("")
        if col.required and empty.any():
            _fail(source, col.name, "must not be empty", empty, values.fillna("<empty>"))
        parsed = _parse(values.where(~empty), col, decimal)
        bad = parsed.isna() & ~empty
        if bad.any():
            _fail(source, col.name, f"must be a {'number' if col.kind in ('int', 'float') else col.kind}", bad, values)
        if col.kind == "int":
            fractional = parsed.notna() & (parsed % 1 != 0)
            if fractional.any():
                _fail(source, col.name, "must be a whole number", fractional, values)
            parsed = parsed.astype("Int64") if not col.required else parsed.astype("int64")
        if col.allowed is not None:
            outside = parsed.notna() & ~parsed.isin(col.allowed)
            if outside.any():
                _fail(source, col.name, f"must be one of {list(col.allowed)}", outside, values)
        if col.min_value is not None:
            low = parsed.notna() & (parsed < col.min_value)
            if low.any():
                _fail(source, col.name, f"must be at least {col.min_value}", low, values)
        if col.unique:
            dup = parsed.duplicated(keep=False) & parsed.notna()
            if dup.any():
                _fail(source, col.name, "must be unique", dup, values)
        df[col.name] = parsed
    key = COMPOSITE_KEYS.get(name)
    if key:
        dup = df.duplicated(key, keep=False)
        if dup.any():
            _fail(source, "+".join(key), "must be unique together", dup, df[key].astype(str).agg("/".join, axis=1))
    return df


def _load(name: str, path: str | Path | None) -> pd.DataFrame:
    return read_table(Path(path) if path else SAMPLE_DIR / FILES[name], name)


def load_customers(path=None) -> pd.DataFrame:
    """The loyalty-club register, one row per customer id (raw: faults included). See ``data/README.md``."""
    return _load("customers", path)


def load_orders(path=None) -> pd.DataFrame:
    """Order lines (raw): one row per line; returns have negative quantity, amount and margin (euros)."""
    return _load("orders", path)


def load_products(path=None) -> pd.DataFrame:
    """The product catalogue: list price and unit cost in euros."""
    return _load("products", path)


def load_stores(path=None) -> pd.DataFrame:
    """The six stores."""
    return _load("stores", path)


def load_postal_codes(path=None) -> pd.DataFrame:
    """The reference list of postal codes (town, area type)."""
    return _load("postal_codes", path)


def load_campaigns(path=None) -> pd.DataFrame:
    """The campaigns: send date, channel, offer, audience, planned control share, cost per contact (euros)."""
    return _load("campaigns", path)


def load_campaign_members(path=None) -> pd.DataFrame:
    """Campaign members with their group and outcomes in the response window (euros)."""
    return _load("campaign_members", path)


def load_survey(path=None) -> pd.DataFrame:
    """NPS (0-10), CES (1-7) and driver ratings (1-5), one response per customer."""
    return _load("survey", path)


def load_referrals(path=None) -> pd.DataFrame:
    """Member-gets-member referrals: who referred whom and when."""
    return _load("referrals", path)


def load_park_holders(path=None) -> pd.DataFrame:
    """Aurora Park season-pass holders."""
    return _load("park_holders", path)


def load_park_seasons(path=None) -> pd.DataFrame:
    """One row per holder and season held: visits, on-site spend (euros), pass price, renewal."""
    return _load("park_seasons", path)


def load_park_campaign(path=None) -> pd.DataFrame:
    """The summer-2024 'come a third time' trigger test with its control group."""
    return _load("park_campaign", path)


def load_truth(name: str) -> pd.DataFrame:
    """One answer-key table of ``data/sample/truth`` (e.g. ``"customers_truth"``); for checking only."""
    path = next((p for p in [TRUTH_DIR / f"{name}.csv", TRUTH_DIR / f"{name}.csv.gz"] if p.exists()), None)
    if path is None:
        known = sorted(p.name.split(".")[0] for p in TRUTH_DIR.glob("*.csv*"))
        raise FileNotFoundError(f"no truth table {name!r}; known: {known}")
    df = pd.read_csv(path, dtype={"customer_id": str, "key": str})
    for col in df.columns:
        if col in {"date", "send_date"}:
            df[col] = pd.to_datetime(df[col])
    return df


def load_cdnow(kind: str = "sample", path: str | Path | None = None) -> pd.DataFrame:
    """Load the CDNOW purchase records (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    kind : {"sample", "master"}
        ``"sample"`` is the 1/10 sample of 2,357 customers used in the papers;
        ``"master"`` is all 23,570 customers.
    path : path, optional
        Another copy of the file in the same layout.

    Returns
    -------
    DataFrame
        One row per purchase record: ``customer_id`` (text), ``date``
        (datetime64, day precision), ``quantity`` (number of CDs) and
        ``amount`` (US dollars).
    """
    if kind not in {"sample", "master"}:
        raise ValueError(f"kind must be 'sample' or 'master', got {kind!r}")
    path = Path(path) if path else REAL_DIR / "cdnow" / f"CDNOW_{kind}.txt"
    if kind == "sample":
        names = ["customer_id", "sample_customer_id", "date", "quantity", "amount"]
        raw = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype={"customer_id": str, "date": str})
        raw = raw.drop(columns="sample_customer_id")
    else:
        raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "quantity", "amount"],
                          dtype={"customer_id": str, "date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw["quantity"] = raw["quantity"].astype("int64")
    raw["amount"] = raw["amount"].astype("float64")
    return raw


def load_hillstrom(path: str | Path | None = None) -> pd.DataFrame:
    """Load the MineThatData e-mail test (Hillstrom 2008): 64,000 customers, three arms.

    Returns
    -------
    DataFrame
        The original columns; ``segment`` (the arm) is categorical with
        ``"No E-Mail"`` (the control) first; ``visit``, ``conversion``,
        ``mens``, ``womens`` and ``newbie`` are 0/1 integers; ``history``
        and ``spend`` are US dollars.
    """
    path = Path(path) if path else REAL_DIR / "hillstrom" / "hillstrom.csv.gz"
    df = pd.read_csv(path)
    arms = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]
    unknown = ~df["segment"].isin(arms)
    if unknown.any():
        _fail(path.name, "segment", f"must be one of {arms}", unknown, df["segment"])
    df["segment"] = pd.Categorical(df["segment"], categories=arms)
    for col in ["visit", "conversion", "mens", "womens", "newbie", "recency"]:
        df[col] = df[col].astype("int64")
    return df


# --------------------------------------------------------------------------- health check
#: What each health-check rule blocks or costs the business (shown in the findings table).
CONSEQUENCES = {
    "duplicate_customer": "one person counted as two: customer numbers, value and churn are wrong; the person gets every campaign twice",
    "unknown_postal_code": "no area type for the customer: area-based segments and store planning miss them; mail may not arrive",
    "missing_consent": "no recorded permission: the customer must not be contacted in that channel",
    "consent_without_date": "a permission that cannot be proven: treat as no consent",
    "sms_consent_without_phone": "an SMS permission with no number: the SMS audience is smaller than it looks",
    "impossible_signup_date": "tenure, cohorts and lifetime value of the customer are wrong",
    "price_above_list": "revenue overstated (decimal-point error): inflates customer value and campaign results",
    "zero_amount": "a sale that brought no money: revenue and basket values understated",
    "amount_sign_mismatch": "a sale booked as negative money (or a return as positive): revenue and margin wrong",
}


def _normalised(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower()


def _duplicate_customers(customers: pd.DataFrame) -> pd.Series:
    """Map each later-registered duplicate id to the first-registered id of the same person (same e-mail or phone)."""
    ordered = customers.sort_values(["signup_date", "customer_id"], kind="stable")
    mapping = {}
    for key in [_normalised(ordered["email"]), ordered["phone"].str.replace(" ", "", regex=False)]:
        valid = key.notna()
        first = ordered.loc[valid].groupby(key[valid])["customer_id"].transform("first")
        later = first[first != ordered.loc[valid, "customer_id"]]
        mapping.update({c: f for c, f in zip(ordered.loc[later.index, "customer_id"], later) if c not in mapping})
    return pd.Series(mapping, dtype="str", name="original_id")


def customer_faults(customers: pd.DataFrame, postal_codes: pd.DataFrame | None = None) -> dict[str, pd.Series]:
    """Boolean masks (aligned with ``customers``) of the register's health-check rules."""
    postal_codes = load_postal_codes() if postal_codes is None else postal_codes
    channels = ["email", "sms", "post"]
    value = {ch: customers[f"consent_{ch}"] for ch in channels}
    date = {ch: customers[f"consent_{ch}_date"] for ch in channels}
    return {
        "duplicate_customer": customers["customer_id"].isin(_duplicate_customers(customers).index),
        "unknown_postal_code": ~customers["postal_code"].isin(postal_codes["postal_code"]),
        "missing_consent": pd.concat([value[ch].isna() for ch in channels], axis=1).any(axis=1),
        "consent_without_date": pd.concat([value[ch].eq("yes") & date[ch].isna() for ch in channels], axis=1).any(axis=1),
        "sms_consent_without_phone": value["sms"].eq("yes") & customers["phone"].isna(),
        "impossible_signup_date": (customers["signup_date"] < FOUNDED) | (customers["signup_date"] > EXTRACTION_DATE),
    }


def order_faults(orders: pd.DataFrame, products: pd.DataFrame | None = None) -> dict[str, pd.Series]:
    """Boolean masks (aligned with ``orders``) of amounts that make no sense.

    A line is paid at most its list price (discounts only lower it), a sale
    (positive quantity) has a positive amount and a return a negative one.
    """
    products = load_products() if products is None else products
    price = orders["product_id"].map(products.set_index("product_id")["price"])
    unit_paid = orders["amount"].abs() / orders["quantity"].abs()
    return {
        "price_above_list": unit_paid > price + 0.005,
        "zero_amount": orders["amount"].eq(0),
        "amount_sign_mismatch": np.sign(orders["amount"]).ne(np.sign(orders["quantity"])) & orders["amount"].ne(0),
    }


def health_check(customers: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
                 postal_codes: pd.DataFrame | None = None, products: pd.DataFrame | None = None,
                 n_examples: int = 3) -> pd.DataFrame:
    """The register health check (*kuntotesti*, seed text 004): one row per rule.

    Parameters
    ----------
    customers, orders : DataFrame, optional
        Raw tables as loaded (default: the sample data).
    postal_codes, products : DataFrame, optional
        Reference lists (default: the sample data's).

    Returns
    -------
    DataFrame
        ``rule``, ``table``, ``rows`` (how many rows break it), ``share`` (of
        the table's rows), ``examples`` (a few keys) and ``consequence`` (what
        it blocks or costs), sorted by table and number of rows. Rules with no
        findings are listed with 0 rows, so a clean table is visible as clean.
    """
    customers = load_customers() if customers is None else customers
    orders = load_orders() if orders is None else orders
    rows = []
    for table, df, masks, key in [
        ("customers", customers, customer_faults(customers, postal_codes), customers["customer_id"]),
        ("orders", orders, order_faults(orders, products), orders["order_id"] + "/" + orders["line_no"].astype(str)),
    ]:
        for rule, mask in masks.items():
            rows.append({"rule": rule, "table": table, "rows": int(mask.sum()), "share": float(mask.mean()),
                         "examples": ", ".join(key[mask].head(n_examples)), "consequence": CONSEQUENCES[rule]})
    return pd.DataFrame(rows).sort_values(["table", "rows"], ascending=[True, False], ignore_index=True)


def flagged_keys(customers: pd.DataFrame, orders: pd.DataFrame, **refs) -> pd.DataFrame:
    """Every flagged row as (``table``, ``key``, ``rule``): the same shape as the truth file ``faults``."""
    out = []
    for rule, mask in customer_faults(customers, refs.get("postal_codes")).items():
        out.append(pd.DataFrame({"table": "customers", "key": customers.loc[mask, "customer_id"], "rule": rule}))
    keys = orders["order_id"] + "/" + orders["line_no"].astype(str)
    for rule, mask in order_faults(orders, refs.get("products")).items():
        out.append(pd.DataFrame({"table": "orders", "key": keys[mask], "rule": rule}))
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- cleaning
@dataclass
class Company:
    """The company's tables after cleaning, plus ``cleaning``: what was changed, rule by rule."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    products: pd.DataFrame
    stores: pd.DataFrame
    postal_codes: pd.DataFrame
    campaigns: pd.DataFrame
    campaign_members: pd.DataFrame
    survey: pd.DataFrame
    referrals: pd.DataFrame
    park_holders: pd.DataFrame
    park_seasons: pd.DataFrame
    park_campaign: pd.DataFrame
    cleaning: pd.DataFrame = field(default_factory=pd.DataFrame)


def clean_company(customers: pd.DataFrame, orders: pd.DataFrame, products: pd.DataFrame,
                  postal_codes: pd.DataFrame, others: dict[str, pd.DataFrame] | None = None):
    """Repair the health-check findings; every change is counted, nothing disappears silently.

    Rules and actions: duplicates are merged into the first-registered id (their
    orders and other rows follow); a missing, undated or unusable consent counts
    as *no* (no permission, no contact); an impossible sign-up date is replaced
    by the customer's first purchase date; an unknown postal code keeps the
    customer with area type missing; order lines with nonsensical amounts are
    removed (their euros reported).

    Returns
    -------
    customers, orders, others, report : the cleaned tables and a DataFrame with
    ``rule``, ``table``, ``rows``, ``action``.
    """
    others = dict(others or {})
    cmask = customer_faults(customers, postal_codes)
    report = []
    mapping = _duplicate_customers(customers)
    customers = customers[~customers["customer_id"].isin(mapping.index)].copy()
    remap = lambda s: s.map(mapping).fillna(s) if len(mapping) else s  # noqa: E731
    moved = int(orders["customer_id"].isin(mapping.index).sum())
    orders = orders.assign(customer_id=remap(orders["customer_id"]))
    for name, cols in [("survey", ["customer_id"]), ("referrals", ["referrer_id", "referred_id"]),
                       ("campaign_members", ["customer_id"])]:
        if name in others:
            others[name] = others[name].assign(**{c: remap(others[name][c]) for c in cols})
    report.append(("duplicate_customer", "customers", len(mapping), f"merged into the first-registered id ({moved} order lines re-linked)"))
    for ch in ["email", "sms", "post"]:
        value, date = f"consent_{ch}", f"consent_{ch}_date"
        unusable = customers[value].isna() | (customers[value].eq("yes") & customers[date].isna())
        if ch == "sms":
            unusable |= customers[value].eq("yes") & customers["phone"].isna()
        customers.loc[unusable, value] = "no"
        report.append((f"unusable_consent_{ch}", "customers", int(unusable.sum()), f"{ch} consent set to 'no'"))
    bad_date = (customers["signup_date"] < FOUNDED) | (customers["signup_date"] > EXTRACTION_DATE)
    first_buy = orders[orders["quantity"] > 0].groupby("customer_id")["timestamp"].min().dt.normalize()
    customers.loc[bad_date, "signup_date"] = customers.loc[bad_date, "customer_id"].map(first_buy)
    report.append(("impossible_signup_date", "customers", int(bad_date.sum()), "replaced by the first purchase date"))
    unknown = int(cmask["unknown_postal_code"].loc[customers.index].sum())
    report.append(("unknown_postal_code", "customers", unknown, "kept; area type left missing"))
    omask = order_faults(orders, products)
    bad_lines = pd.concat(omask, axis=1).any(axis=1)
    euros = orders.loc[bad_lines, "amount"].sum()
    orders = orders[~bad_lines].reset_index(drop=True)
    report.append(("nonsense_amount", "orders", int(bad_lines.sum()), f"order lines removed ({euros:,.2f} € of recorded amount)"))
    report = pd.DataFrame(report, columns=["rule", "table", "rows", "action"])
    return customers.reset_index(drop=True), orders, others, report


CACHE_DIR = DATA_DIR / ".cache"


def _cache_key() -> str:
    """Changes whenever a sample file or this module changes (size and modification time)."""
    parts = [Path(__file__).read_bytes()]
    for name in sorted(FILES):
        stat = (SAMPLE_DIR / FILES[name]).stat()
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return hashlib.sha256(b"|".join(parts)).hexdigest()[:16]


def load_company(cache: bool = True) -> Company:
    """All sample tables of Kotiranta Oy and Aurora Park, cleaned by :func:`clean_company`.

    Loading and validating every table takes a few seconds, so the cleaned
    result is kept in ``data/.cache/`` (not in git) and reused while neither the
    data files nor this module change. Every call returns fresh copies.
    """
    path = CACHE_DIR / f"company-{_cache_key()}.pkl"
    if cache and path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    raw = {name: _load(name, None) for name in CONTRACTS}
    others = {k: v for k, v in raw.items() if k not in {"customers", "orders"}}
    customers, orders, others, report = clean_company(raw["customers"], raw["orders"], raw["products"],
                                                      raw["postal_codes"], others)
    company = Company(customers=customers, orders=orders, cleaning=report, **others)
    if cache:
        CACHE_DIR.mkdir(exist_ok=True)
        for old in CACHE_DIR.glob("company-*.pkl"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(company, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a parallel reader never sees half a file
    return company
