"""Spark: the same summaries when one machine is not enough (``pip install -e .[scale]``, Java 17+).

Apache Spark (Zaharia et al. 2016) spreads the same SQL over the cores of a
cluster. The course runs it in *local mode* (one machine, ``local[2]``); on a
cluster **only the session builder changes**::

    spark = spark_engine.local_session()                     # this laptop, 2 cores
    spark = (SparkSession.builder.master("spark://head:7077")  # a standalone cluster,
             .config("spark.executor.memory", "8g")            # or .master("yarn"), or on
             .getOrCreate())                                   # Databricks: the given `spark`
    lines = spark_engine.SparkLines(source, spark)           # everything below is the same

(the workers need the course package too: ``pip install`` it on them, or ship
it with ``spark.sparkContext.addPyFile``; and the files must be where every
worker can read them: HDFS, S3, a shared disk.)

The summaries are :class:`~helpers.engines.summaries.EngineLines`' methods
(the SQL both engines share). :meth:`SparkLines.clv_scores` is the whole CLV
pipeline the Spark solution accelerators follow: summarise in the engine, fit
the BG/NBD and Gamma-Gamma models on the driver (on the distinct summary rows,
:func:`~helpers.engines.scoring.fit_models`), and score every customer in a
pandas UDF that calls the package's own closed forms
(:func:`~helpers.engines.scoring.score_customers`).

Reference: Zaharia, M. et al. (2016). Apache Spark: a unified engine for big
data processing. *Communications of the ACM* 59(11), 56-65.
"""

from __future__ import annotations

import itertools
import os
import sys

import pandas as pd

from helpers import columns
from helpers.clv.summaries import check_time_unit
from helpers.engines import _sql
from helpers.engines.scoring import SCORES, fit_models, score_customers
from helpers.engines.sources import Source, _python_codec
from helpers.engines.summaries import EngineLines

_VIEW_IDS = itertools.count(1)
#: Python's codec names -> Java's charset names (Spark's CSV reader decodes with Java).
_JAVA_CHARSETS = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "latin-1": "ISO-8859-1", "cp1252": "windows-1252"}
_STANDARD_CHARSETS = {"iso-8859-1", "us-ascii", "utf-16", "utf-16be", "utf-16le", "utf-32", "utf-8"}


def require_pyspark():
    """The pyspark module, or an ImportError saying how to install it."""
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("PySpark is not installed: pip install -e '.[scale]' (or pip install pyspark; "
                          "it needs Java 17 or newer)") from exc
    return pyspark


def local_session(cores: int = 2, driver_memory: str = "4g", app_name: str = "crm-analytics-course"):
    """A Spark session in local mode on this machine; the one line that changes on a cluster.

    Settings: ``cores`` worker threads; ``driver_memory`` (in local mode the
    driver is the executor too); session time zone UTC (dates are read as
    written, not shifted); Arrow for pandas UDFs and ``toPandas``; as many
    shuffle partitions as twice the cores (the default 200 is for clusters);
    no web UI; all of Java's charsets for CSV (cp1252: Spark 4 reads only
    UTF-8/16/32, ASCII and Latin-1 otherwise); the workers run this Python.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (SparkSession.builder.master(f"local[{int(cores)}]").appName(app_name)
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", str(2 * int(cores)))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.legacy.javaCharsets", "true")
            .getOrCreate())


class SparkLines(EngineLines):
    """Order lines read by Spark (``source`` a :class:`~helpers.engines.sources.Source`, ``spark`` a session).

    ``columns`` limits the optional course columns read, as for
    :class:`~helpers.engines.duckdb_engine.DuckDBLines` (a CSV is parsed once
    and kept, in memory and on local disk).
    """

    dialect = _sql.SPARK

    def __init__(self, source: Source, spark, columns: tuple[str, ...] | None = None):
        self.source, self.spark = source, spark
        self._mapping = source.course_columns(columns)
        self.present = frozenset(self._mapping)
        n = next(_VIEW_IDS)
        self._names = {"raw": f"raw_{n}", "typed": f"typed_{n}", "lines": f"lines_{n}"}
        self._read().createOrReplaceTempView(self._names["raw"])
        typed = self.spark.sql(self._sql_text(_sql.typed_sql(self.dialect, self._mapping, source)))
        if source.kind == "csv":  # parse the text once; kept in memory, the rest on local disk
            from pyspark import StorageLevel

            typed = typed.persist(StorageLevel.MEMORY_AND_DISK)
        typed.createOrReplaceTempView(self._names["typed"])
        self.spark.sql(self._sql_text(_sql.lines_sql(self._mapping, source))) \
            .createOrReplaceTempView(self._names["lines"])

    def _read(self):
        s, reader = self.source, self.spark.read
        files = [str(f) for f in s.files]
        if s.kind == "parquet":
            return reader.parquet(*files)
        charset = _JAVA_CHARSETS.get(_python_codec(s.encoding), s.encoding)
        if charset.lower() not in _STANDARD_CHARSETS:
            # Spark 4 reads only the standard charsets unless told to use all of Java's (cp1252 among them)
            self.spark.conf.set("spark.sql.legacy.javaCharsets", "true")
        frame = (reader.option("header", True).option("sep", s.separator).option("encoding", charset)
                 .option("inferSchema", False).option("quote", '"').option("mode", "PERMISSIVE").csv(files))
        first = frame.columns[0]
        if first.startswith("\ufeff"):  # a UTF-8 byte-order mark read as part of the first header
            frame = frame.withColumnRenamed(first, first.lstrip("\ufeff"))
        return frame

    def _sql_text(self, sql: str) -> str:
        """The shared SQL names the views ``raw``, ``typed`` and ``lines``; this object's have numbered names."""
        for view, name in self._names.items():
            sql = sql.replace(f"FROM {view}", f"FROM {name}")
        return sql

    def _query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(self._sql_text(sql)).toPandas()

    def frame(self, sql: str):
        """A Spark DataFrame of one of the shared queries (nothing is collected)."""
        return self.spark.sql(self._sql_text(sql))

    # ---- the CLV pipeline -------------------------------------------------
    def summary_frame(self, observation_end=None, time_unit: str = "W"):
        """The BG/NBD summary as a Spark DataFrame (one row per customer, left in the cluster)."""
        unit_days = check_time_unit(time_unit)
        self.check()
        _, last_day = self._end(observation_end, purchases_only=True)
        return self.frame(_sql.rfm_sql(last_day, unit_days))

    def fit(self, observation_end=None, time_unit: str = "W", summary=None):
        """BG/NBD and Gamma-Gamma fitted on the driver from the summary's distinct rows and repeat buyers."""
        summary = summary if summary is not None else self.summary_frame(observation_end, time_unit)
        from pyspark.sql import functions as F

        # the distinct rows in the order a customer-sorted summary meets them: the fit then adds up its
        # likelihood in the same order as a fit on the whole summary
        rows = (summary.groupBy("frequency", "recency", "T")
                .agg(F.count("*").alias("n_customers"), F.min(columns.CUSTOMER).alias("_first"))
                .orderBy("_first").drop("_first").toPandas())
        repeat = (summary.where("frequency > 0").select(columns.CUSTOMER, "frequency", "monetary_value")
                  .orderBy(columns.CUSTOMER).toPandas().set_index(columns.CUSTOMER))
        return fit_models(rows, repeat, time_unit)

    def clv_scores(self, observation_end=None, time_unit: str = "W", months: int = 12,
                   monthly_discount_rate: float = 0.01, margin: float = 1.0):
        """Every customer's P(alive), expected purchases, expected spend and CLV, as a Spark DataFrame.

        Returns ``(scores, bg, gg)``: the scores (``customer_id``, the summary
        columns and :data:`~helpers.engines.scoring.SCORES`) computed by a
        pandas UDF on the workers, and the two fitted models.
        """
        from pyspark.sql import functions as F

        summary = self.summary_frame(observation_end, time_unit)
        bg, gg = self.fit(time_unit=time_unit, summary=summary)
        udf = scoring_udf(bg, gg, time_unit, months, monthly_discount_rate, margin)
        cols = ["frequency", "recency", "T", "monetary_value"]
        scored = summary.withColumn("_s", udf(*[F.col(c) for c in cols]))
        return scored.select(columns.CUSTOMER, *cols, *[F.col(f"_s.{name}").alias(name) for name in SCORES]), bg, gg


def scoring_udf(bg, gg, time_unit: str, months: int, monthly_discount_rate: float, margin: float):
    """A pandas UDF scoring a batch of summary rows with :func:`~helpers.engines.scoring.score_customers`.

    The fitted models travel to the workers inside the function (they are
    small: a few numbers each).
    """
    from pyspark.sql.functions import pandas_udf

    schema = ", ".join(f"{name} double" for name in SCORES)

    @pandas_udf(schema)
    def score(frequency: pd.Series, recency: pd.Series, T: pd.Series, monetary_value: pd.Series) -> pd.DataFrame:
        batch = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary_value})
        batch.attrs["time_unit"] = time_unit
        return score_customers(bg, gg, batch, months=months, monthly_discount_rate=monthly_discount_rate,
                               margin=margin).reset_index(drop=True)

    return score


__all__ = ["SparkLines", "local_session", "require_pyspark", "scoring_udf"]
