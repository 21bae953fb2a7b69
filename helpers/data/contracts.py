"""The data contracts: for each table, its columns in tiers, their types and rules.

Every table has a small **core** (columns that must be present and never
empty: for ``orders`` only ``customer_id``, ``timestamp`` and ``amount``) and
**optional** columns (``order_id``, ``line_no``, ``product_id``, ``channel``,
``margin``, …). An optional column that a company's export lacks stays absent:
nothing is invented in its place, and the analyses that need it say so. When
an optional column is present, its rules apply to its values (an empty value
is allowed unless the column is marked ``required``).

:func:`validate` checks a table of text columns against its contract and
returns it typed; a broken rule raises :class:`DataContractError` naming the
file, the column, the rule, how many rows break it, their file lines and a few
examples. The contract is the *shape* of the data; business-rule faults that
pass it are found by :func:`helpers.data.health_check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from helpers import columns as cols
from helpers import vocabulary as voc
from helpers._checks import examples

from .values import DECIMAL_MARKS, checked_dates, decimal_evidence, number_text, parse_numbers


class DataContractError(ValueError):
    """A table breaks its data contract (file, column, rule, rows, examples)."""


@dataclass(frozen=True)
class Column:
    """One column of a data contract.

    ``kind`` is one of ``text``, ``int``, ``float``, ``date``, ``datetime``;
    ``core`` means the column must be present (core columns are always
    ``required``); ``required`` means no empty values when the column is
    present; ``allowed`` lists the permitted values; ``unique`` means no
    repeated values; ``min_value`` is the smallest allowed number.
    """

    name: str
    kind: str = "text"
    required: bool = True
    allowed: tuple | None = None
    unique: bool = False
    min_value: float | None = None
    core: bool = False


def K(name: str, kind: str = "text", **rules) -> Column:  # noqa: N802 (reads as a table below)
    """A core column: present in every export of the table, never empty."""
    return Column(name, kind, required=True, core=True, **rules)


def C(name: str, kind: str = "text", **rules) -> Column:  # noqa: N802
    """An optional column (``required=True`` only where an empty value makes no sense)."""
    return Column(name, kind, **rules)


def _consents() -> list[Column]:
    return [c for ch in voc.CONSENT_CHANNELS for c in (C(f"consent_{ch}", required=False, allowed=voc.YES_NO),
                                                       C(f"consent_{ch}_date", "date", required=False))]


def _ratings() -> list[Column]:
    return [C(f"rating_{d}", "int", allowed=(1, 2, 3, 4, 5)) for d in ("range", "price", "staff", "delivery", "app")]


OPT = {"required": False}
#: The marketing-automation tables' own columns: the rule and the day it fired for a member.
AUTOMATION, FIRE_DATE = cols.AUTOMATION, cols.FIRE_DATE
CONTRACTS: dict[str, list[Column]] = {
    "customers": [
        K(cols.CUSTOMER, unique=True), C("name", **OPT), C("email", **OPT), C("phone", **OPT),
        K(cols.SIGNUP_DATE, "date"), C(cols.POSTAL_CODE, **OPT), C(cols.AREA_TYPE, allowed=voc.AREA_TYPES, **OPT),
        C(cols.AGE_BAND, allowed=voc.AGE_BANDS, **OPT), C(cols.LOYALTY_TIER, allowed=voc.LOYALTY_TIERS, **OPT),
        *_consents(),
    ],
    "orders": [
        C(cols.ORDER), C(cols.LINE, "int", min_value=1), K(cols.CUSTOMER), K(cols.TIMESTAMP, "datetime"),
        C(cols.CHANNEL, allowed=voc.CHANNELS, **OPT), C(cols.STORE, **OPT), C(cols.PRODUCT, **OPT),
        C(cols.CATEGORY, **OPT), C(cols.QUANTITY, "int"), K(cols.AMOUNT, "float"),
        C(cols.DISCOUNT, "float", min_value=0, **OPT), C(cols.MARGIN, "float", **OPT),
    ],
    "products": [K(cols.PRODUCT, unique=True), C("name", **OPT), C(cols.CATEGORY, **OPT),
                 C("price", "float", min_value=0, **OPT), C("unit_cost", "float", min_value=0, **OPT)],
    "stores": [K(cols.STORE, unique=True), C("name", **OPT), C("town", **OPT)],
    "postal_codes": [K(cols.POSTAL_CODE, unique=True), C("town", **OPT),
                     C(cols.AREA_TYPE, allowed=voc.AREA_TYPES, **OPT)],
    "campaigns": [K(cols.CAMPAIGN, unique=True), C("name", **OPT), K(cols.SEND_DATE, "date"),
                  C(cols.CHANNEL, allowed=voc.CAMPAIGN_CHANNELS, **OPT), C("offer", **OPT), C("audience", **OPT),
                  C("control_share", "float", min_value=0, **OPT), C("cost_per_contact", "float", min_value=0, **OPT),
                  C("response_window_days", "int", min_value=1)],
    "campaign_members": [K(cols.CAMPAIGN), K(cols.CUSTOMER), K(cols.GROUP, allowed=voc.GROUPS),
                         C(cols.CONVERTED, "int", allowed=(0, 1)), C(cols.REVENUE, "float", min_value=0, **OPT),
                         C(cols.MARGIN, "float", **OPT)],
    "automations": [K(AUTOMATION, unique=True), C("name", **OPT), C("trigger", **OPT),
                    C("silence_days", "int", min_value=1, **OPT), C(cols.CHANNEL, allowed=voc.CAMPAIGN_CHANNELS, **OPT),
                    C("offer", **OPT), C("start_date", "date", **OPT), C("holdout_share", "float", min_value=0, **OPT),
                    C("window_days", "int", min_value=1), C("cost_per_message", "float", min_value=0, **OPT)],
    "automation_members": [K(AUTOMATION), K(cols.CUSTOMER), K(FIRE_DATE, "date"), K(cols.GROUP, allowed=voc.GROUPS),
                           C(cols.CONVERTED, "int", allowed=(0, 1)), C("purchases", "int", min_value=0),
                           C(cols.REVENUE, "float", min_value=0, **OPT), C(cols.MARGIN, "float", **OPT)],
    "survey": [C("response_id", unique=True), K(cols.CUSTOMER), K("date", "date"),
               C(cols.NPS, "int", allowed=tuple(range(11))), C(cols.CES, "int", allowed=tuple(range(1, 8))),
               *_ratings()],
    "referrals": [K(cols.REFERRER), K(cols.REFERRED, unique=True), C("date", "date", **OPT)],
    "park_holders": [K(cols.HOLDER, unique=True), C("first_season", "int"), C(cols.AGE_BAND, **OPT),
                     C("adults", "int", min_value=0), C("children", "int", min_value=0),
                     C("home_area", allowed=voc.AREA_TYPES, **OPT)],
    "park_seasons": [K(cols.HOLDER), K(cols.SEASON, "int"), C("visits", "int", min_value=0),
                     C("spend_food", "float", min_value=0, **OPT), C("spend_rides", "float", min_value=0, **OPT),
                     C("spend_shows", "float", min_value=0, **OPT), C("pass_price", "float", min_value=0, **OPT),
                     C("renewed", "int", allowed=(0, 1), **OPT)],
    "park_campaign": [K(cols.HOLDER), K(cols.SEASON, "int"), K(cols.GROUP, allowed=voc.GROUPS),
                      C("third_visit", "int", allowed=(0, 1)), C("renewed", "int", allowed=(0, 1))],
}
#: Keys that must be unique together (checked when all their columns are present).
COMPOSITE_KEYS = {"orders": [cols.ORDER, cols.LINE], "campaign_members": [cols.CAMPAIGN, cols.CUSTOMER],
                  "automation_members": [AUTOMATION, cols.CUSTOMER, FIRE_DATE],
                  "park_seasons": [cols.HOLDER, cols.SEASON]}
#: The sample company's large tables, written gzip-compressed.
COMPRESSED = frozenset({"orders", "campaign_members", "automation_members"})
#: The sample company's file of each table (its ``company.toml`` names the same files).
FILES = {name: f"{name}.csv.gz" if name in COMPRESSED else f"{name}.csv" for name in CONTRACTS}


def core_columns(name: str) -> list[str]:
    """The columns every export of the table must have."""
    return [c.name for c in CONTRACTS[name] if c.core]


def column_names(name: str) -> list[str]:
    """Every column the contract knows for the table, in the contract's order."""
    return [c.name for c in CONTRACTS[name]]


# --------------------------------------------------------------------------- errors
def _examples(values: pd.Series, k: int = 3) -> str:
    return ", ".join(repr(v) for v in examples(values, k))


class _Table:
    """A table being validated: where it came from, for error messages."""

    def __init__(self, raw: pd.DataFrame, name: str, source: str, lines: Sequence | None):
        self.raw, self.name, self.source = raw, name, source
        self.lines = pd.Series(list(lines) if lines is not None else list(range(2, len(raw) + 2)), index=raw.index)

    def fail(self, column: str, rule: str, bad: pd.Series, values: pd.Series) -> None:
        where = ", ".join(str(v) for v in self.lines[bad].head(3))
        raise DataContractError(
            f"{self.source}: column '{column}' {rule}: {int(bad.sum())} of {len(bad)} rows break it "
            f"(file lines {where}; values {_examples(values[bad])})")


# --------------------------------------------------------------------------- validation
def _decide_decimal(table: _Table, texts: dict[str, pd.Series], declared: str | None) -> str:
    """The file's decimal mark: the declared one, else the one its numbers can only be read with."""
    if declared:
        if declared not in DECIMAL_MARKS:
            raise DataContractError(f"{table.source}: decimal = {declared!r} is not a decimal mark; use '.' or ','")
        return declared
    found = {mark: {} for mark in (".", ",", "ambiguous")}
    for name, text in texts.items():
        for mark, mask in decimal_evidence(text).items():
            if mask.any():
                found[mark][name] = mask
    if found["."] and found[","]:
        (cp, mp), (cc, mc) = next(iter(found["."].items())), next(iter(found[","].items()))
        raise DataContractError(
            f"{table.source}: numbers are written with both decimal marks: column '{cp}' has "
            f"{int(mp.sum())} value(s) with a decimal point ({_examples(texts[cp][mp])}), column '{cc}' has "
            f"{int(mc.sum())} with a decimal comma ({_examples(texts[cc][mc])}); declare decimal = '.' or ',' "
            f"for the table in company.toml (or read_table(..., decimal=...))")
    if found["."] or found[","]:
        return "." if found["."] else ","
    if found["ambiguous"]:
        name, mask = next(iter(found["ambiguous"].items()))
        table.fail(name, "is ambiguous: a value such as 1.234 means 1 234 with a decimal comma and 1.234 with a "
                   "decimal point, and no other number in the file tells which the file uses; declare decimal = ',' "
                   "or '.' for the table in company.toml (or read_table(..., decimal=...))", mask, texts[name])
    return "."


def _parse(table: _Table, col: Column, text: pd.Series, decimal: str, dates: dict) -> tuple[pd.Series, str | None]:
    """The column converted to its type, with its date-format label; unreadable values are refused."""
    if col.kind in {"int", "float"}:
        parsed, label = parse_numbers(number_text(text), decimal), None
        parsed = parsed.astype("float64") if col.kind == "float" else parsed
    elif col.kind in {"date", "datetime"}:
        parsed, label = checked_dates(text, dates.get("date_format"), dates.get("timezone"),
                                      lambda rule, mask: table.fail(col.name, rule, mask, text))
        parsed = parsed.astype("datetime64[us]")  # one resolution, whichever format the file used
    else:
        return text, None
    bad = parsed.isna() & text.notna()
    if bad.any():
        kind = "number" if col.kind in ("int", "float") else col.kind
        hint = ("" if kind == "number"
                else " (read as ISO 2025-12-31 or Finnish 31.12.2025; declare date_format otherwise)")
        table.fail(col.name, f"must be a {kind}{hint}", bad, text)
    return parsed, label


def _repeated(values: pd.DataFrame, repeat: pd.Series) -> pd.Series:
    """Rows whose values occur more than once, leaving out exact copies of an earlier row (``repeat``)."""
    return values[~repeat].duplicated(keep=False).reindex(values.index, fill_value=False)


def _check_values(table: _Table, col: Column, parsed: pd.Series, text: pd.Series, repeat: pd.Series) -> pd.Series:
    """The rules on a typed column's values; returns the column with its final dtype."""
    if col.kind == "int":
        fractional = parsed.notna() & (parsed % 1 != 0)
        if fractional.any():
            table.fail(col.name, "must be a whole number", fractional, text)
        parsed = parsed.astype("Int64") if not col.required else parsed.astype("int64")
    if col.allowed is not None:
        outside = parsed.notna() & ~parsed.isin(col.allowed)
        if outside.any():
            table.fail(col.name, f"must be one of {list(col.allowed)}", outside, text)
    if col.min_value is not None:
        low = parsed.notna() & (parsed < col.min_value)
        if low.any():
            table.fail(col.name, f"must be at least {col.min_value}", low, text)
    if col.unique:
        dup = _repeated(parsed.to_frame(), repeat) & parsed.notna()
        if dup.any():
            table.fail(col.name, "must be unique", dup, text)
    return parsed


def check_table(raw: pd.DataFrame, name: str, source: str | None = None, decimal: str | None = None, *,
                date_format: str | None = None, timezone: str | None = None,
                lines: Sequence | None = None) -> tuple[pd.DataFrame, dict]:
    """:func:`validate`, also returning what was detected: ``{"decimal": ..., "date_format": ...}``."""
    if name not in CONTRACTS:
        raise ValueError(f"no data contract named {name!r}; known: {sorted(CONTRACTS)}")
    table = _Table(raw, name, source or name, lines)
    missing = [c for c in core_columns(name) if c not in raw.columns]
    if missing:
        raise DataContractError(
            f"{table.source}: required column(s) {missing} are missing; the file has {list(raw.columns)} "
            f"(map the client's headers onto the course's names in company.toml [tables.{name}.columns]; "
            f"if the file has title rows above its header, set header_row)")
    present = [c for c in CONTRACTS[name] if c.name in raw.columns]
    texts = {c.name: raw[c.name].astype("str").where(raw[c.name].notna()).str.strip() for c in present}
    texts = {k: v.where(v.ne("")) for k, v in texts.items()}
    # an exact copy of an earlier row is the health check's finding (an export appended twice), not a key clash
    repeat = raw.duplicated(keep="first")
    decimal = _decide_decimal(table, {c.name: number_text(texts[c.name]) for c in present
                                      if c.kind in ("int", "float")}, decimal)
    df, formats = raw.copy(), {}
    for col in present:
        text = texts[col.name]
        if col.required and text.isna().any():
            table.fail(col.name, "must not be empty", text.isna(), text.fillna("<empty>"))
        parsed, label = _parse(table, col, text, decimal, {"date_format": date_format, "timezone": timezone})
        if label:
            formats[col.name] = label
        df[col.name] = _check_values(table, col, parsed, text, repeat)
    key = COMPOSITE_KEYS.get(name)
    if key and all(k in df.columns for k in key):
        dup = _repeated(df[key], repeat)
        if dup.any():
            table.fail("+".join(key), "must be unique together", dup, df[key].astype(str).agg("/".join, axis=1))
    order = [c.name for c in CONTRACTS[name] if c.name in df.columns] + [c for c in df.columns
                                                                         if c not in column_names(name)]
    return df[order], {"decimal": decimal, "date_format": formats}


def validate(raw: pd.DataFrame, name: str, source: str | None = None, decimal: str | None = None, *,
             date_format: str | None = None, timezone: str | None = None,
             lines: Sequence | None = None) -> pd.DataFrame:
    """Check a table of text columns against its contract and return it typed.

    Parameters
    ----------
    raw : DataFrame
        Text columns named by the contract (other columns are passed through).
    name : str
        The contract (a key of :data:`CONTRACTS`).
    source : str, optional
        The file name quoted in errors.
    decimal : {".", ","}, optional
        The file's decimal mark; by default read from the numbers themselves
        (see :mod:`helpers.data.values`), refusing a value such as ``1.234``
        when nothing tells which mark the file uses.
    date_format : str, optional
        A strftime format all date columns follow (default: ISO or Finnish).
    timezone : str, optional
        The zone to convert times with written offsets to (e.g. ``"Europe/Helsinki"``).
    lines : sequence, optional
        The file line of each row, quoted in errors (default: row + 2).

    Raises
    ------
    DataContractError
        Naming the file, the column, the rule broken, how many rows break it
        and a few examples: a missing core column, missing values in a
        required column, text that is not a number or a date, an ambiguous
        decimal mark, mixed time zones, a value outside the allowed set or
        below the minimum, repeated keys.
    """
    return check_table(raw, name, source, decimal, date_format=date_format, timezone=timezone, lines=lines)[0]
