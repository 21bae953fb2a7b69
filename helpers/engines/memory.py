"""Will the pandas path hold this file? An estimate before reading, so that a big export is refused, not swapped.

A pandas frame of order lines takes many times the bytes of its CSV: every
text cell becomes a Python-visible string, and the reader holds the text and
the frame at once. Measured on this course's generated Finnish export
(``benchmarks/engines_scale.py``; 1 M lines, 56 MB of CSV), the peak memory
above the interpreter's own was

* **17 bytes per byte of CSV** through the intake (:func:`helpers.data.load_table`:
  it decodes, checks and types every cell, keeping the text for its messages);
* 6 bytes per byte through a bare ``pandas.read_csv`` with the right options.

:func:`estimate_pandas_memory` multiplies the file's size (unzipped, estimated
from its head when gzipped) by that factor and compares it with the memory
available now; :func:`check_pandas_fits` warns above half of it and refuses
above 80 % (the rest is for the analysis itself: a summary, a model, the
notebook's other frames). On a machine with 20 GB available the intake thus
warns at about 600 MB of CSV (about 11 M order lines) and refuses at about
950 MB (17 M lines): use an engine there (:mod:`helpers.engines.duckdb_engine`).
"""

from __future__ import annotations

import gzip
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

#: Peak bytes of memory per byte of CSV (see the module text for how they were measured).
BYTES_PER_BYTE = {"intake": 17.0, "read_csv": 6.0, "parquet": 40.0}
#: Shares of the available memory above which the pandas path warns and refuses.
WARN_SHARE, REFUSE_SHARE = 0.5, 0.8


class TooBigForPandas(MemoryError):
    """The file would not fit in memory as a pandas frame: use an engine (the message says which)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimate for one file (bytes unless said otherwise)."""

    path: Path
    file_bytes: int          # on disk
    text_bytes: int          # unzipped (estimated for .gz from the head)
    lines: int               # estimated from the head's line length
    estimated_peak: int      # of the pandas path
    available: int           # memory available now
    reader: str

    @property
    def share(self) -> float:
        """Estimated peak as a share of the available memory."""
        return self.estimated_peak / max(self.available, 1)

    @property
    def verdict(self) -> str:
        """``"fits"``, ``"tight"`` (warn) or ``"too big"`` (refuse)."""
        return "too big" if self.share > REFUSE_SHARE else "tight" if self.share > WARN_SHARE else "fits"

    def message(self) -> str:
        gb = 1024 ** 3
        return (f"{self.path.name}: about {self.lines:,} lines ({self.text_bytes / gb:.2f} GB of text) would need "
                f"about {self.estimated_peak / gb:.1f} GB as a pandas frame ({self.reader}); "
                f"{self.available / gb:.1f} GB of memory is available ({self.share:.0%})")


def available_memory() -> int:
    """Bytes of memory available now (Linux ``MemAvailable``; else the physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _text_size(path: Path, head_bytes: int = 1 << 20) -> tuple[int, bytes]:
    """Unzipped size (estimated from the first megabyte's ratio for .gz) and the head of the text."""
    size = path.stat().st_size
    if path.suffix != ".gz":
        with open(path, "rb") as fh:
            return size, fh.read(head_bytes)
    with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
        head = fh.read(head_bytes)
        ratio = len(head) / max(raw.tell(), 1)
    return int(size * ratio) if len(head) == head_bytes else len(head), head


def estimate_pandas_memory(path, reader: str = "intake", available: int | None = None) -> MemoryEstimate:
    """Estimate the peak memory of reading ``path`` into pandas, before reading it.

    Parameters
    ----------
    path : path
        A CSV (gzip fine) or Parquet file.
    reader : {"intake", "read_csv", "parquet"}
        Which pandas path: the course's intake (default), a bare
        ``pandas.read_csv``, or ``pandas.read_parquet`` (per byte of Parquet,
        which is compressed about 7 times more than CSV).
    available : int, optional
        Bytes of memory to compare with (default: available now).
    """
    path = Path(path)
    if reader not in BYTES_PER_BYTE:
        raise ValueError(f"reader must be one of {sorted(BYTES_PER_BYTE)}, got {reader!r}")
    text_bytes, head = _text_size(path) if path.suffix != ".parquet" else (path.stat().st_size, b"")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        lines = pq.ParquetFile(path).metadata.num_rows
        reader = "parquet"
    else:
        lines = int(text_bytes * max(head.count(b"\n"), 1) / max(len(head), 1))
    return MemoryEstimate(path=path, file_bytes=path.stat().st_size, text_bytes=text_bytes, lines=lines,
                          estimated_peak=int(text_bytes * BYTES_PER_BYTE[reader]),
                          available=available if available is not None else available_memory(), reader=reader)


def check_pandas_fits(path, reader: str = "intake", available: int | None = None) -> MemoryEstimate:
    """Refuse (or warn before) a file the pandas path cannot hold; for the intake to call before reading.

    Returns the estimate when it fits; warns (``ResourceWarning``) when it
    would take more than half of the available memory; raises
    :class:`TooBigForPandas` above 80 %, naming the engine to use instead.
    """
    est = estimate_pandas_memory(path, reader, available)
    advice = ("summarise it in DuckDB instead: helpers.engines.duckdb_engine.open_lines(...) "
              "(pip install -e '.[scale]'; lesson 10)")
    if est.verdict == "too big":
        raise TooBigForPandas(f"{est.message()}: too big for pandas; {advice}")
    if est.verdict == "tight":
        warnings.warn(f"{est.message()}: pandas may run out of memory; consider an engine: {advice}",
                      ResourceWarning, stacklevel=2)
    return est


def choose_engine(path, reader: str = "intake", available: int | None = None) -> tuple[str, str]:
    """``("pandas" | "duckdb", why)``: pandas while the file fits comfortably, DuckDB above half the memory."""
    est = estimate_pandas_memory(path, reader, available)
    if est.verdict == "fits":
        return "pandas", f"{est.message()}: pandas holds it"
    return "duckdb", f"{est.message()}: summarised in DuckDB instead"
