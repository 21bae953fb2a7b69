"""Engines for client data larger than memory: DuckDB on one machine, Spark on a cluster.

The pandas path of the course holds about ten million order lines on a
laptop. A retail chain's export can hold a hundred million. The pattern the
big-data kits follow, and this package: **summarise in the engine, fit on the
summary, score everywhere**.

1. *Summarise in the engine.* The per-customer summaries the lessons need
   (the BG/NBD summary of lesson 02, the calibration/holdout split, lesson
   04's customer metrics, lesson 08's basket pairs) are SQL run by DuckDB
   (:mod:`~helpers.engines.duckdb_engine`, embedded, one pip wheel) or Spark
   (:mod:`~helpers.engines.spark_engine`) straight on the client's CSV or
   Parquet files; the lines never enter pandas. One SQL text serves both
   (:mod:`~helpers.engines._sql`), one class the summaries
   (:mod:`~helpers.engines.summaries`).
2. *Fit on the summary.* The models of :mod:`helpers.clv` are fitted on the
   summary (the BG/NBD on its distinct rows, weighted), on one machine.
3. *Score everywhere.* Every customer is scored with the package's own
   closed forms (:mod:`~helpers.engines.scoring`): in pandas batches, or in a
   Spark pandas UDF on the workers.

And a habit: **the parity check**. Each engine's summary equals the pandas
function's on the same lines, exactly for counts and to 1e-9 for money and
times (``tests/test_engines*.py``): check it on a sample of the client's data
before trusting the engine with all of it.

When to switch: :func:`~helpers.engines.memory.check_pandas_fits` estimates
from the file's size whether pandas can hold it (and refuses or warns);
:func:`~helpers.engines.memory.choose_engine` says which path to take.
A file is described by a :class:`~helpers.engines.sources.Source`
(:func:`finnish_csv`, :func:`csv_source`, :func:`parquet_source`,
:func:`from_table_spec`). The engines are an optional extra:
``pip install -e ".[scale]"`` (DuckDB; PySpark, which needs Java 17+).
:mod:`~helpers.engines.generate` writes seeded order lines of any size for
lesson 10 and ``benchmarks/engines_scale.py``.
"""

from helpers.engines.memory import TooBigForPandas, check_pandas_fits, choose_engine, estimate_pandas_memory
from helpers.engines.scoring import fit_models, score_customers, score_in_batches
from helpers.engines.sources import Source, csv_source, finnish_csv, from_table_spec, parquet_source


def available(engine: str) -> bool:
    """Whether ``"duckdb"`` or ``"pyspark"`` (with Java) can be used here."""
    import importlib.util
    import shutil

    if engine not in ("duckdb", "pyspark"):
        raise ValueError(f"engine must be 'duckdb' or 'pyspark', got {engine!r}")
    try:
        found = importlib.util.find_spec(engine) is not None
    except (ImportError, ValueError):   # a module set to None in sys.modules (hidden on purpose)
        found = False
    if engine == "pyspark":
        import os

        found = found and (shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")))
    return found


__all__ = ["Source", "TooBigForPandas", "available", "check_pandas_fits", "choose_engine", "csv_source",
           "estimate_pandas_memory", "finnish_csv", "fit_models", "from_table_spec", "parquet_source",
           "score_customers", "score_in_batches"]
