"""Reading a client's export as it is: encodings, separators, Excel sheets, title, blank and total rows.

A file becomes a table of text in three steps, each reported:

1. **Bytes to text** (:func:`decode`): UTF-8, UTF-8 with a byte-order mark
   (Excel's "CSV UTF-8"), UTF-16 with a byte-order mark (Excel's "Unicode
   text") and cp1252 (Excel's "CSV (;)" on a Finnish Windows, a superset of
   Latin-1) are recognised; anything else is refused naming the line and the
   encodings tried. ``.gz`` files are unzipped first; ``.xlsx`` workbooks are
   read cell by cell (numbers and dates as Excel stores them, ids as text).
2. **Text to rows** (:func:`read_raw`): the separator (``,`` ``;`` tab) is read
   from the header line; rows above the header (``header_row``) are title
   rows; blank lines and Excel's ``;;;`` rows are skipped and counted; a
   trailing total row ("Yhteensä", "Total", …) is dropped and counted, never
   read as a customer. An empty file, a header without rows and rows with more
   fields than the header (a trailing ``;``) are refused naming the file.
3. **Client headers to the course's names** (:func:`map_columns`): the
   company description maps ``"Asiakasnro" = "customer_id"`` and client values
   onto course values; columns it does not map are left out and listed.

The typed, contract-checked table comes from :func:`load_table`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from .contracts import CONTRACTS, DataContractError, check_table, column_names, core_columns

#: Labels of a trailing total row (compared lower-case, without a trailing colon).
TOTAL_WORDS = frozenset({"yhteensä", "yht", "yht.", "kaikki yhteensä", "summa", "summa yhteensä", "total",
                         "totals", "grand total", "sum", "totalt", "summa totalt"})
ENCODINGS_TRIED = "UTF-8, UTF-8 with BOM, UTF-16 with BOM, cp1252 (Windows Latin-1)"
SEPARATORS = {";": "';'", "\t": "tab", ",": "','"}


@dataclass
class RawFile:
    """One file as text: ``frame`` (text cells, missing when empty), the file ``lines`` of its rows, and ``info``."""

    frame: pd.DataFrame
    lines: list
    info: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- bytes to text
def _line_of(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def decode(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the name of its encoding (declared, or recognised as in the module text)."""
    text, label = _decode(data, source, encoding)
    return text.lstrip("\ufeff"), label  # a byte-order mark written twice (some tools add one to a UTF-16 BOM)


def _decode(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    if encoding:
        try:
            utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
            return data.decode("utf-8-sig" if utf8 else encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            where = (f"line {_line_of(data, exc.start)}, bytes {data[exc.start:exc.end]!r}" if hasattr(exc, "start")
                     else str(exc))
            raise DataContractError(f"{source}: cannot be read as {encoding} (declared): {where}") from None
    for bom, name, label in [(codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
                             (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 with BOM"),
                             (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 with BOM")]:
        if data.startswith(bom):
            try:
                return data.decode(name), label
            except UnicodeDecodeError as exc:
                raise DataContractError(f"{source}: starts as {label} but line {_line_of(data, exc.start)} is not "
                                        f"{label} (bytes {data[exc.start:exc.end]!r})") from None
    if b"\x00" in data[:4096]:
        raise DataContractError(f"{source}: looks like UTF-16 without a byte-order mark (zero bytes between the "
                                f"letters); declare encoding = \"utf-16-le\" for the table in company.toml")
    failures = []
    for name, label in [("utf-8", "UTF-8"), ("cp1252", "cp1252")]:
        try:
            return data.decode(name), label
        except UnicodeDecodeError as exc:
            failures.append(f"{label} fails on line {_line_of(data, exc.start)} (bytes {data[exc.start:exc.end]!r})")
    raise DataContractError(f"{source}: cannot be decoded: {'; '.join(failures)}; encodings tried: {ENCODINGS_TRIED}. "
                            f"Declare encoding = \"...\" for the table in company.toml if you know it")


# --------------------------------------------------------------------------- text to rows
def _sniff(line: str) -> str:
    counts = {sep: line.count(sep) for sep in SEPARATORS}
    best = max(counts.values())
    if best == 0:
        return ","  # a single column: the separator does not matter
    return next(sep for sep in SEPARATORS if counts[sep] == best)


def _csv_rows(data: bytes, source: str, encoding: str | None, separator: str | None,
              header_row: int) -> tuple[list, dict]:
    text, label = decode(data, source, encoding)
    first = text.split("\n", 1)[0].strip()
    skip = 0
    if re.fullmatch(r"sep=.", first):  # Excel's hint line names the separator
        separator, skip = separator or first[4], 1
    lines = text.split("\n", header_row + skip)
    if len(lines) < header_row + skip:
        raise DataContractError(f"{source}: has {len(lines)} line(s), but header_row = {header_row}")
    sep = separator or _sniff(lines[header_row + skip - 1])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows, start = [], 1
    for fields in reader:
        if start > skip:
            rows.append((start, fields))
        start = reader.line_num + 1
    return rows, {"encoding": label, "separator": SEPARATORS.get(sep, repr(sep))}


def _cell_text(value, decimal: str | None, date_format: str | None) -> str | None:
    """An Excel cell as the text a CSV export would hold (ids as written, dates ISO or the declared format)."""
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        if date_format:
            return value.strftime(date_format)
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return text.replace(".", ",") if decimal == "," else text
    return str(value)


def _excel_rows(path: Path, source: str, sheet, decimal: str | None, date_format: str | None) -> tuple[list, dict]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise DataContractError(f"{source}: has no sheet {sheet!r}; its sheets are {names}")
        ws = book[sheet if sheet is not None else names[0]]
        rows, date_cols = [], set()
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            date_cols.update(i for i, v in enumerate(cells) if isinstance(v, (datetime, date)))
            rows.append((number, [_cell_text(v, decimal, date_format) for v in cells]))
    finally:
        book.close()
    return rows, {"encoding": f"Excel sheet '{ws.title}'", "separator": "-", "date_cells": date_cols}


def _header(rows: list, header_row: int, source: str) -> tuple[int, list[str]]:
    """The header's line number and column names; empty names are allowed only at the end."""
    if len(rows) < header_row:
        raise DataContractError(f"{source}: the file is empty (no header line)" if not rows else
                                f"{source}: has {len(rows)} row(s), but header_row = {header_row}")
    line, cells = rows[header_row - 1]
    names = ["" if c is None else str(c).strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise DataContractError(f"{source}: the header line (line {line}) is empty; set header_row to the line "
                                f"that holds the column names")
    if "" in names:
        raise DataContractError(f"{source}: column {names.index('') + 1} of the header (line {line}) has no name")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataContractError(f"{source}: the header (line {line}) repeats column name(s) {repeated}")
    return len(cells), names


def _text_frame(rows: list, width: int, names: list[str]) -> tuple[pd.DataFrame, list]:
    """The data rows as text columns (empty cells missing); refuses rows wider than the header."""
    n = len(names)
    fields = [f for _, f in rows]
    wide = [i for i, f in enumerate(fields) if len(f) > n and (len(f) > width or any(f[n:]))]
    padded = [f if len(f) == n else (list(f) + [None] * n)[:n] for f in fields]
    columns = list(zip(*padded)) if padded else [()] * n
    frame = pd.DataFrame({name: pd.Series(col, dtype="str") for name, col in zip(names, columns)})
    frame = frame.where(frame.ne(""))
    return frame, wide


def _drop_blank_and_total(frame: pd.DataFrame, lines: list, wide: list, source: str,
                          fields: list) -> tuple[pd.Series, dict]:
    """Which rows to keep: blank rows and a trailing total row are dropped and counted, anything else refused."""
    text = {c: frame[c].str.strip() for c in frame.columns}
    blank = pd.concat([t.isna() | t.eq("") for t in text.values()], axis=1).all(axis=1).to_numpy()
    total = pd.concat([t.str.lower().str.rstrip(":").str.strip().isin(TOTAL_WORDS) for t in text.values()],
                      axis=1).any(axis=1).to_numpy()
    keep = ~blank
    filled = keep.nonzero()[0]
    trailing = 0
    while trailing < len(filled) and total[filled[len(filled) - 1 - trailing]]:
        keep[filled[len(filled) - 1 - trailing]] = False
        trailing += 1
    counts = {"rows_in": len(frame), "blank_rows": int(blank.sum()), "total_rows": trailing}
    bad = [i for i in wide if keep[i]]
    if bad:
        raise DataContractError(
            f"{source}: {len(bad)} data row(s) have more fields than the header's {frame.shape[1]} columns (a "
            f"trailing separator the header lacks, or a value without a column name): file lines "
            f"{', '.join(str(lines[i]) for i in bad[:3])}; e.g. line {lines[bad[0]]} has {len(fields[bad[0]])} "
            f"fields {fields[bad[0]][:8]}. Remove the trailing separators or give the extra column a header; if "
            f"the file has title rows above its header, set header_row")
    inner = (total & keep).nonzero()[0]
    if len(inner):
        raise DataContractError(f"{source}: {len(inner)} total or subtotal row(s) inside the data (file lines "
                                f"{', '.join(str(lines[i]) for i in inner[:3])}; e.g. {fields[inner[0]][:8]}); only "
                                f"a trailing total row is dropped: remove the subtotals from the export")
    if not keep.any():
        raise DataContractError(f"{source}: has a header but no data rows ({counts['blank_rows']} blank, "
                                f"{trailing} total row(s))")
    return keep, counts


def read_raw(path: str | Path, *, sheet: str | None = None, header_row: int = 1, encoding: str | None = None,
             separator: str | None = None, decimal: str | None = None, date_format: str | None = None) -> RawFile:
    """One CSV/TSV (optionally gzip) or ``.xlsx`` file as a table of text, with what was found on the way.

    Parameters
    ----------
    path : path
        The file.
    sheet : str, optional
        Excel only: the sheet's name (default: the first sheet).
    header_row : int
        The line (CSV) or row (Excel) holding the column names, 1-based; rows
        above it are title rows.
    encoding, separator : str, optional
        Declared instead of recognised.
    decimal, date_format : str, optional
        Excel only: how number and date cells are written out as text.

    Returns
    -------
    RawFile
        ``frame`` of text (missing when a cell is empty), ``lines`` (file
        line or sheet row of each row) and ``info``: ``file``, ``encoding``,
        ``separator``, ``title_rows``, ``rows_in``, ``blank_rows``,
        ``total_rows``, ``rows_out``, ``sha256``.
    """
    path = Path(path)
    source = path.name
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in {".xls", ".xlsm", ".xlsb", ".ods"}:
        raise DataContractError(f"{source}: {path.suffix} workbooks are not read; save it as .xlsx (Excel workbook) "
                                f"or export the sheet as CSV")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".xlsx":
        rows, info = _excel_rows(path, source, sheet, decimal, date_format)
    else:
        data = gzip.decompress(data) if path.suffix.lower() == ".gz" else data
        if not data.strip():
            raise DataContractError(f"{source}: the file is empty ({len(data)} bytes): export the table again")
        rows, info = _csv_rows(data, source, encoding, separator, header_row)
    width, names = _header(rows, header_row, source)
    body = rows[header_row:]
    lines = [line for line, _ in body]
    frame, wide = _text_frame(body, width, names)
    keep, counts = _drop_blank_and_total(frame, lines, wide, source, [f for _, f in body])
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
        lines = [line for line, k in zip(lines, keep) if k]
    date_cells = {names[i] for i in info.pop("date_cells", set()) if i < len(names)}
    info = {"file": source, **info, "title_rows": header_row - 1, **counts, "rows_out": len(frame),
            "sha256": sha, "date_cells": date_cells}
    return RawFile(frame, lines, info)


# --------------------------------------------------------------------------- client names to course names
def map_columns(frame: pd.DataFrame, name: str, source: str, columns: dict | None = None,
                values: dict | None = None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Rename the client's headers to the course's, translate values, leave the rest out.

    Returns the table, the mappings used (``"Asiakasnro -> customer_id"``)
    and the client columns left out (neither mapped nor a contract name).
    """
    columns, values = dict(columns or {}), dict(values or {})
    known = column_names(name)
    unknown = sorted({t for t in columns.values() if t not in known})
    if unknown:
        raise DataContractError(f"{source}: maps onto {unknown}, which the '{name}' table does not have; its "
                                f"columns are {known}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataContractError(f"{source}: company.toml maps column(s) {absent}, but the file's header has "
                                f"{list(frame.columns)}")
    rename = {c: columns.get(c, c) for c in frame.columns if c in columns or c in known}
    targets = list(rename.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise DataContractError(f"{source}: more than one column becomes {twice}: "
                                f"{[c for c, t in rename.items() if t in twice]}")
    ignored = [c for c in frame.columns if c not in rename]
    missing = [c for c in core_columns(name) if c not in targets]
    if missing:
        raise DataContractError(
            f"{source}: required column(s) {missing} are missing; the file's header has {list(frame.columns)}, of "
            f"which {ignored} are not mapped (map the client's headers onto the course's names in company.toml "
            f"[tables.{name}.columns]; if the file has title rows above its header, set header_row)")
    out = frame[list(rename)].rename(columns=rename)
    for col, mapping in values.items():
        if col not in out.columns:
            raise DataContractError(f"{source}: company.toml translates values of '{col}', which the table lacks")
        text = out[col].str.strip()
        out[col] = text.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype("str")
    mapped = [f"{c} -> {t}" for c, t in rename.items() if c != t]
    return out, mapped, ignored


def _date_label(formats: dict, date_cells: set) -> str:
    return "; ".join(f"{col}: {'Excel date cells' if col in date_cells else label}" for col, label in formats.items())


def load_table(files, name: str, *, columns: dict | None = None, values: dict | None = None, sheet=None,
               header_row: int = 1, encoding: str | None = None, separator: str | None = None,
               decimal: str | None = None, date_format: str | None = None,
               timezone: str | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Read one table from one or more files (concatenated in order): ``(typed table, one report per file)``."""
    if name not in CONTRACTS:
        raise ValueError(f"no data contract named {name!r}; known: {sorted(CONTRACTS)}")
    files = [Path(f) for f in ([files] if isinstance(files, (str, Path)) else files)]
    parts, lines, reports = [], [], []
    for path in files:
        raw = read_raw(path, sheet=sheet, header_row=header_row, encoding=encoding, separator=separator,
                       decimal=decimal, date_format=date_format)
        frame, mapped, ignored = map_columns(raw.frame, name, path.name, columns, values)
        parts.append(frame)
        lines += raw.lines if len(files) == 1 else [f"{path.name}:{line}" for line in raw.lines]
        date_cells = {(columns or {}).get(c, c) for c in raw.info.pop("date_cells")}
        reports.append({**raw.info, "mapped": mapped, "ignored": ignored, "date_cells": date_cells})
    source = ", ".join(f.name for f in files)
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    excel = any(r["encoding"].startswith("Excel") for r in reports)
    table, found = check_table(frame, name, source, decimal or ("." if excel else None),
                               date_format=date_format, timezone=timezone, lines=lines)
    for report in reports:
        report.update(decimal=found["decimal"], date_format=_date_label(found["date_format"], report.pop("date_cells")))
    return table, reports


def read_table(path: str | Path, name: str | None = None, **options) -> pd.DataFrame:
    """Read one file as the named table, typed by its contract; what was read is in ``.attrs["intake"]``.

    Parameters
    ----------
    path : path
        A CSV/TSV (``,`` ``;`` or tab; optionally ``.gz``) or ``.xlsx`` file.
    name : str, optional
        The contract to apply (a key of ``CONTRACTS``); by default the file name
        without extensions.
    **options
        As in a company description's ``[tables.X]``: ``columns`` (client
        header -> course column), ``values``, ``sheet``, ``header_row``,
        ``encoding``, ``separator``, ``decimal``, ``date_format``, ``timezone``.
    """
    path = Path(path)
    name = name or path.name.split(".")[0]
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file (expected the '{name}' table)")
    table, reports = load_table(path, name, **options)
    table.attrs["intake"] = reports[0]
    return table
