"""DuckDB: the embedded engine for exports larger than memory (``pip install -e .[scale]``).

DuckDB (Raasveldt & Mühleisen 2019) runs SQL inside the Python process, reads
CSV and Parquet files in parallel without loading them into pandas, and spills
to disk when an aggregation outgrows its memory limit. :func:`open_lines`
turns a :class:`~helpers.engines.sources.Source` into the view ``lines`` of the
course's columns; the summaries are the methods of
:class:`~helpers.engines.summaries.EngineLines`::

    from helpers import engines
    source = engines.finnish_csv("tilausrivit.csv", columns={"Asiakasnro": "customer_id", ...})
    with engines.duckdb_engine.open_lines(source) as lines:
        summary = lines.rfm_summary(observation_end="30.6.1998")

Only the small results (one row per customer, period or product pair) come
back to pandas.

Reference: Raasveldt, M. & Mühleisen, H. (2019). DuckDB: an embeddable
analytical database. *SIGMOD '19*, 1981-1984.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from helpers.engines import _sql
from helpers.engines.sources import Readable, Source, readable_copy, transcode
from helpers.engines.summaries import EngineLines

def require_duckdb():
    """The duckdb module, or an ImportError saying how to install it."""
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("DuckDB is not installed: pip install -e '.[scale]' (or pip install duckdb)") from exc
    return duckdb


class DuckDBLines(EngineLines):
    """Order lines read by DuckDB; use :func:`open_lines`. Close it (or use ``with``) to free the temp folder.

    Parameters
    ----------
    source : Source
    memory_limit : str
        DuckDB's memory limit (``"3GB"``); larger aggregations spill to
        ``temp_directory``.
    threads : int, optional
        Worker threads (default: DuckDB's, one per core).
    columns : tuple of str, optional
        The course columns to read besides ``customer_id``, ``timestamp`` and
        ``amount`` (default: every column the source maps). A CSV is parsed
        into a table once; fewer columns make that twice as fast (the CLV
        summary needs only the three).
    """

    dialect = _sql.DUCKDB

    def __init__(self, source: Source, memory_limit: str = "3GB", threads: int | None = None,
                 columns: tuple[str, ...] | None = None):
        duckdb = require_duckdb()
        self.source = source
        self._tmp = tempfile.TemporaryDirectory(prefix="engines-duckdb-")
        self.con = duckdb.connect(str(Path(self._tmp.name) / "lines.duckdb"),
                                  config={"memory_limit": memory_limit, "temp_directory": self._tmp.name,
                                          "preserve_insertion_order": False})
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.reading = []
        self._mapping = source.course_columns(columns)
        self.present = frozenset(self._mapping)
        self.con.execute(f"CREATE VIEW raw AS {self._reader()}")
        typed = _sql.typed_sql(self.dialect, self._mapping, source)
        # a CSV is parsed once into a table of the typed columns (on disk in the temporary folder, so it
        # may outgrow the memory limit); Parquet is already typed and columnar: read it as it is
        self.con.execute(f"CREATE {'TABLE' if source.kind == 'csv' else 'VIEW'} typed AS {typed}")
        self.con.execute(f"CREATE VIEW lines AS {_sql.lines_sql(self._mapping, source)}")

    # ---- building the views -------------------------------------------
    def _reader(self) -> str:
        s = self.source
        if s.kind == "parquet":
            self.reading.append("Parquet read as it is")
            return f"SELECT * FROM read_parquet({_list(s.files)}, union_by_name = true)"
        tmp = Path(self._tmp.name)
        ways = [readable_copy(f, s.encoding, tmp / f"{i}.utf8.csv", s.separator) for i, f in enumerate(s.files)]
        if len({(w.encoding, w.names) for w in ways}) > 1:  # files that need different handling: copy them all
            ways = [w if w.encoding == "utf-8" else Readable(transcode(f, tmp / f"{i}.utf8.csv", s.encoding), "utf-8",
                                                             "transcoded to a temporary UTF-8 copy (as the others)")
                    for i, (f, w) in enumerate(zip(s.files, ways))]
        self.reading += [f"{Path(f).name}: {w.note}" for f, w in zip(s.files, ways)]
        sep = "\\t" if s.separator == "\t" else s.separator
        header = ("header = true" if ways[0].names is None
                  else f"header = false, skip = 1, names = {_list(ways[0].names)}")
        return (f"SELECT * FROM read_csv({_list(w.path for w in ways)}, delim = '{sep}', {header}, "
                f"all_varchar = true, encoding = '{ways[0].encoding}', quote = '\"', union_by_name = true)")

    # ---- engine hooks ---------------------------------------------------
    def _query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def close(self) -> None:
        """Close the connection and remove the temporary folder (spill files, transcoded copies)."""
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_lines(source: Source, memory_limit: str = "3GB", threads: int | None = None,
               columns: tuple[str, ...] | None = None) -> DuckDBLines:
    """Open a source's order lines in DuckDB (never loaded into pandas; see :class:`DuckDBLines`)."""
    return DuckDBLines(source, memory_limit=memory_limit, threads=threads, columns=columns)


def _list(files) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
