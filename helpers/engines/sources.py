"""Where a client's order lines are and how they are written: a :class:`Source`.

An engine never loads the lines into pandas; it reads the file itself. So the
file's conventions must be known before the engine starts: the separator, the
decimal mark, the date format, the encoding and which client column is which
course column (:mod:`helpers.columns`). A :class:`Source` holds them.
:func:`csv_source` reads what is not given from the head of the file (the first
megabyte): the same conventions the intake detects (:mod:`helpers.data`), and
:func:`finnish_csv` states the usual Finnish export at once (``;``, decimal
comma, ``31.12.2025`` dates, cp1252). A company description's table
(``[tables.orders]`` of ``company.toml``, :func:`from_table_spec`) gives the
same information.

**Encodings.** DuckDB's CSV reader reads UTF-8 (with or without a byte-order
mark), UTF-16 and Latin-1 itself. Windows' cp1252 (Excel's "CSV (;)" on a
Finnish Windows) is Latin-1 except for 27 characters at bytes 0x80-0x9F (``€``,
curly quotes, ``š``, ``ž``, ``–``, …), which DuckDB refuses without its
``encodings`` extension (downloaded on first use, so not available offline).
:func:`readable_copy` therefore scans a cp1252 file once for those bytes
(in 8 MiB blocks): a file without them *is* Latin-1 and is read as it is; a
file with them only in its header (``Summa €``) is read from a byte copy with
the header made Latin-1; any other is transcoded to a temporary UTF-8 copy,
block by block, in constant memory. Spark reads cp1252 (``windows-1252``) itself.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers import columns as cols

#: The course columns an engine reads (others are ignored); the first three are required.
REQUIRED = (cols.CUSTOMER, cols.TIMESTAMP, cols.AMOUNT)
OPTIONAL = (cols.ORDER, cols.PRODUCT, cols.QUANTITY, cols.MARGIN)
_BLOCK = 8 * 1024 * 1024
_HEAD = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """Order lines in one or more files of the same layout.

    Attributes
    ----------
    files : tuple of Path
        CSV (``.csv``, ``.txt``, gzip fine) or Parquet files.
    kind : {"csv", "parquet"}
    separator, decimal, encoding, date_format : str
        CSV only: field separator (``;``, ``,`` or tab), decimal mark (``,``
        or ``.``), encoding (``utf-8``, ``utf-16``, ``cp1252``, ``latin-1``)
        and the strftime format of the date part (``%d.%m.%Y`` or
        ``%Y-%m-%d``; a time after the date is ignored: the summaries count
        days).
    columns : dict
        Client's header -> course column (``{"Asiakasnro": "customer_id"}``);
        a header that already is a course column needs no entry.
    """

    files: tuple[Path, ...]
    kind: str = "csv"
    separator: str = ";"
    decimal: str = ","
    encoding: str = "cp1252"
    date_format: str = "%d.%m.%Y"
    columns: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in ("csv", "parquet"):
            raise ValueError(f"Source kind must be 'csv' or 'parquet', got {self.kind!r}")
        missing = [str(f) for f in self.files if not Path(f).exists()]
        if not self.files or missing:
            raise FileNotFoundError(f"Source: no such file(s) {missing or '(none given)'}")
        if self.decimal not in (".", ","):
            raise ValueError(f"Source decimal must be '.' or ',', got {self.decimal!r}")
        if self.kind == "csv" and self.separator == self.decimal:
            raise ValueError(f"Source: the separator and the decimal mark are both {self.decimal!r}")

    @property
    def size_bytes(self) -> int:
        """Bytes on disk of all the files."""
        return sum(Path(f).stat().st_size for f in self.files)

    def header(self) -> list[str]:
        """The client's column names, as written in the first file."""
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(self.files[0]).names)
        with _open_text(self.files[0], self.encoding) as fh:
            return [h.strip() for h in next(csv.reader(fh, delimiter=self.separator))]

    def course_columns(self, wanted: tuple[str, ...] | None = None) -> dict[str, str]:
        """Course column -> client's header for the columns an engine reads; the required ones checked.

        ``wanted`` limits the optional columns read (default: all the source has).
        """
        header = self.header()
        found = {}
        keep = REQUIRED + (OPTIONAL if wanted is None else tuple(c for c in OPTIONAL if c in wanted))
        for name in header:
            course = self.columns.get(name, name)
            if course in keep:
                found[course] = name
        unknown = sorted(set(self.columns) - set(header))
        if unknown:
            raise ValueError(f"{self.files[0].name}: the column mapping names {unknown}, which the header "
                             f"lacks; the header is {header[:12]}")
        missing = [c for c in REQUIRED if c not in found]
        if missing:
            raise ValueError(f"{self.files[0].name}: no column for {missing}; map the client's header onto it, "
                             f"e.g. columns={{'Asiakasnro': 'customer_id'}}; the header is {header[:12]}")
        return found


def parquet_source(path, columns: dict | None = None) -> Source:
    """Order lines in Parquet file(s) (``path`` a file, a list of files, or a folder of ``*.parquet``)."""
    return Source(files=_files(path, "*.parquet"), kind="parquet", columns=dict(columns or {}))


def finnish_csv(path, columns: dict | None = None, encoding: str = "cp1252") -> Source:
    """A Finnish Excel export: ``;`` separators, decimal comma, ``31.12.2025`` dates, cp1252."""
    return Source(files=_files(path, "*.csv"), kind="csv", separator=";", decimal=",", encoding=encoding,
                  date_format="%d.%m.%Y", columns=dict(columns or {}))


def csv_source(path, separator: str | None = None, decimal: str | None = None, encoding: str | None = None,
               date_format: str | None = None, columns: dict | None = None) -> Source:
    """Order lines in CSV file(s); what is not given is read from the head of the first file.

    Detection (on the first megabyte): the encoding from a byte-order mark,
    else UTF-8 if the head decodes as UTF-8, else cp1252; the separator that
    splits the header line into the most fields; the decimal mark ``,`` when
    amounts in the head are written with a comma; the date format from the
    first timestamps (``31.12.2025`` or ISO). Declare what the head cannot show.
    """
    files = _files(path, "*.csv")
    head = _head_bytes(files[0])
    encoding = encoding or _detect_encoding(head)
    text = head.decode(_python_codec(encoding), errors="replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    if not lines:
        raise ValueError(f"{files[0].name}: the file is empty")
    separator = separator or max([";", "\t", ","], key=lambda s: len(lines[0].split(s)))
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=separator))
    mapping = dict(columns or {})
    names = [mapping.get(h.strip(), h.strip()) for h in rows[0]]

    def values(course):
        return [r[names.index(course)] for r in rows[1:] if course in names and len(r) > names.index(course)]

    if decimal is None:
        decimal = "," if any(re.fullmatch(r"-?[\d \u00a0\u202f.]*,\d+", v.strip()) for v in values(cols.AMOUNT)) \
            else "."
    if date_format is None:
        stamps = values(cols.TIMESTAMP)
        date_format = "%d.%m.%Y" if any(re.match(r"\s*\d{1,2}\.\d{1,2}\.\d{4}", v) for v in stamps) else "%Y-%m-%d"
    return Source(files=files, kind="csv", separator=separator, decimal=decimal, encoding=encoding,
                  date_format=date_format, columns=mapping)


def from_table_spec(spec) -> Source:
    """A :class:`Source` from a company description's table (``helpers.data``'s ``TableSpec``).

    Uses its ``files`` and the reading options it declares (``encoding``,
    ``separator``, ``decimal``, ``date_format``, ``columns``); the rest is
    detected as in :func:`csv_source`. Excel workbooks are not read by the
    engines (a workbook holds at most about a million rows: load it with pandas).
    """
    files, options = tuple(Path(f) for f in spec.files), dict(getattr(spec, "options", {}) or {})
    if all(f.suffix == ".parquet" for f in files):
        return Source(files=files, kind="parquet", columns=options.get("columns", {}))
    if any(f.suffix in (".xlsx", ".xls") for f in files):
        raise ValueError(f"{files[0].name}: the engines read CSV and Parquet; an Excel workbook (at most "
                         "1 048 576 rows) is small enough for the pandas path")
    date_format = options.get("date_format")
    return csv_source(list(files), separator=options.get("separator"), decimal=options.get("decimal"),
                      encoding=options.get("encoding"), date_format=date_format, columns=options.get("columns"))


# --------------------------------------------------------------------------- files and encodings
def _files(path, pattern: str) -> tuple[Path, ...]:
    if isinstance(path, (list, tuple)):
        return tuple(Path(p) for p in path)
    path = Path(path)
    if path.is_dir():
        found = tuple(sorted(path.glob(pattern)))
        if not found:
            raise FileNotFoundError(f"{path}: no {pattern} files in this folder")
        return found
    return (path,)


def _raw_open(path: Path):
    return gzip.open(path, "rb") if Path(path).suffix == ".gz" else open(path, "rb")


def _python_codec(encoding: str) -> str:
    enc = encoding.lower().replace("_", "-")
    return {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "windows-1252": "cp1252", "latin1": "latin-1"}.get(enc, enc)


def _open_text(path: Path, encoding: str):
    return io.TextIOWrapper(_raw_open(path), encoding=_python_codec(encoding), newline="")


def _head_bytes(path: Path) -> bytes:
    with _raw_open(path) as fh:
        return fh.read(_HEAD)


def _detect_encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut by the end of the head
            return "utf-8"
        return "cp1252"


def has_cp1252_only_bytes(path: Path, skip_header: bool = False) -> bool:
    """Whether a file holds any of the bytes 0x80-0x9F (where cp1252 is not Latin-1); one pass, 8 MiB blocks."""
    with _raw_open(path) as fh:
        if skip_header:
            fh.readline()
        while block := fh.read(_BLOCK):
            if ((np.frombuffer(block, np.uint8) - np.uint8(0x80)) < 0x20).any():   # 0x80 <= byte <= 0x9F
                return True
    return False


def transcode(path: Path, target: Path, encoding: str) -> Path:
    """Write a UTF-8 copy of ``path`` (in ``encoding``) to ``target``, 8 MiB at a time (constant memory)."""
    decoder = codecs.getincrementaldecoder(_python_codec(encoding))()
    with _raw_open(path) as src, open(target, "wb") as dst:
        while block := src.read(_BLOCK):
            dst.write(decoder.decode(block).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target


@dataclass(frozen=True)
class Readable:
    """How DuckDB reads one CSV file: ``path`` in ``encoding``; ``names`` when the header is read here instead."""

    path: Path
    encoding: str
    note: str
    names: tuple[str, ...] | None = None


def readable_copy(path: Path, encoding: str, target: Path, separator: str = ";") -> Readable:
    """How DuckDB should read a CSV file, and in which encoding.

    UTF-8, UTF-16 and Latin-1 are read as they are. cp1252 is read as Latin-1
    when it has no byte 0x80-0x9F; when only its header has one (``Summa €``),
    the header is decoded here and the rest read as Latin-1; otherwise it is
    transcoded to a UTF-8 copy at ``target``.
    """
    enc = _python_codec(encoding)
    if enc in ("utf-8-sig", "utf-16", "latin-1"):
        return Readable(Path(path), {"utf-8-sig": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1"}[enc],
                        "read as it is")
    if enc == "cp1252" and not has_cp1252_only_bytes(path, skip_header=True):
        if not has_cp1252_only_bytes(path):
            return Readable(Path(path), "latin-1", "cp1252 without bytes 0x80-0x9F: read as Latin-1")
        return _header_safe_copy(path, target, separator)
    return Readable(transcode(path, target, enc), "utf-8", f"{encoding} transcoded to a temporary UTF-8 copy")


def _header_safe_copy(path: Path, target: Path, separator: str) -> Readable:
    """A byte copy whose header's cp1252-only characters (``Summa €``) become ``?``; the names are decoded here.

    DuckDB checks every byte of a Latin-1 file, the header's too, so a header
    with ``€`` needs a copy; copying bytes is several times faster than decoding.
    """
    with _raw_open(path) as src, open(target, "wb") as dst:
        first = src.readline()
        text = first.decode("cp1252")
        names = tuple(h.strip() for h in next(csv.reader([text.rstrip("\r\n")], delimiter=separator)))
        dst.write(text.encode("latin-1", errors="replace"))
        shutil.copyfileobj(src, dst, _BLOCK)
    return Readable(Path(target), "latin-1", "cp1252 with '€' etc. in the header only: the header decoded apart, "
                    "the rest read as Latin-1 (from a byte copy)", names)
