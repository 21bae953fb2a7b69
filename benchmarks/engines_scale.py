"""Benchmark: the CLV pipeline (summary + fit + scoring) in pandas, DuckDB and Spark, 1 M to 100 M order lines.

Generates (once, into ``--data``, a temporary folder: never commit the files)
order lines for 0.1 M, 1 M and 10 M customers (about 1 M, 10 M and 100 M lines)
with :func:`helpers.engines.generate.write_lines`, as Parquet and as a Finnish
CSV export (cp1252, ``;``, decimal comma, ``31.12.2025 09:05``). Then, for each
size, format and engine, a fresh Python process runs

1. ``summary``: the BG/NBD summary per customer in weeks (pandas: reading the
   file into a frame and :func:`helpers.clv.rfm_summary`; DuckDB and Spark: SQL
   on the file, :mod:`helpers.engines`);
2. ``fit``: BG/NBD and Gamma-Gamma on the summary (on one machine);
3. ``score``: P(alive), expected purchases, expected spend and 12-month CLV of
   every customer (pandas and DuckDB: :func:`helpers.engines.score_in_batches`;
   Spark: a pandas UDF, the scores written to Parquet);

and this process samples the memory of the child and all its descendants
(Spark's JVM and Python workers included) every 0.2 s: the *peak* column. The
pandas path first asks :func:`helpers.engines.check_pandas_fits` and reports
"refused" instead of swapping when the file would not fit.

Run: ``python benchmarks/engines_scale.py --data /tmp/engines-bench``
(``--sizes 100000 1000000``, ``--engines duckdb``, ``--formats parquet`` to do
less). Prints a Markdown table (the one in ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SIZES = (100_000, 1_000_000, 10_000_000)
GB = 1024 ** 3


def files_for(data: Path, n_customers: int) -> dict:
    """Generate (or find) the Parquet and Finnish CSV files of ``n_customers``."""
    from helpers.engines import generate

    folder = data / f"c{n_customers}"
    pq, csv = folder / "order_lines.parquet", folder / "order_lines.csv"
    if not (pq.exists() and csv.exists()):
        start = time.perf_counter()
        made = generate.write_lines(folder, n_customers)
        print(f"generated {made.n_lines:,} lines of {n_customers:,} customers in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return {"parquet": pq, "csv": csv}


# --------------------------------------------------------------------------- one run, in a child process
def _pandas_summary(path: Path, fmt: str):
    import pandas as pd

    from helpers import clv
    from helpers.engines import check_pandas_fits, generate

    check_pandas_fits(path, reader="parquet" if fmt == "parquet" else "read_csv")
    if fmt == "parquet":
        lines = pd.read_parquet(path, columns=["customer_id", "timestamp", "amount"])
    else:
        lines = pd.read_csv(path, sep=";", decimal=",", encoding="cp1252", usecols=["Asiakasnro", "Tilausaika",
                            "Summa €"], dtype={"Asiakasnro": str}).rename(columns=generate.FINNISH_HEADERS)
        lines["timestamp"] = pd.to_datetime(lines["timestamp"], format="%d.%m.%Y %H:%M")
    return clv.rfm_summary(lines[lines["amount"] >= 0], observation_end="2025-12-31")


def _engine_lines(engine: str, path: Path, fmt: str, spark=None):
    from helpers import engines
    from helpers.engines import generate

    source = (engines.parquet_source(path) if fmt == "parquet"
              else engines.finnish_csv(path, columns=generate.FINNISH_HEADERS))
    if engine == "duckdb":   # the CLV summary needs customer_id, timestamp and amount only: read just those
        from helpers.engines import duckdb_engine

        return duckdb_engine.open_lines(source, memory_limit="3GB", columns=())
    from helpers.engines import spark_engine

    return spark_engine.SparkLines(source, spark, columns=())


def run_one(engine: str, fmt: str, path: Path, out: Path) -> dict:
    """Time the three steps of one engine on one file; return the timings (s) and sizes."""
    from helpers import engines

    times, spark = {}, None
    if engine == "spark":
        from helpers.engines import spark_engine

        t = time.perf_counter()
        spark = spark_engine.local_session(cores=2, driver_memory="6g")
        spark.sparkContext.setLogLevel("ERROR")
        times["start"] = time.perf_counter() - t
    t = time.perf_counter()
    if engine == "pandas":
        try:
            summary = _pandas_summary(path, fmt)
        except engines.TooBigForPandas as exc:
            return {"refused": str(exc)}
    elif engine == "duckdb":
        lines = _engine_lines(engine, path, fmt)
        summary = lines.rfm_summary(observation_end="2025-12-31")
        lines.close()
    else:
        lines = _engine_lines(engine, path, fmt, spark)
        summary = lines.summary_frame(observation_end="2025-12-31").persist()
        summary.count()
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    if engine == "spark":
        bg, gg = lines.fit(time_unit="W", summary=summary)
    else:
        bg, gg = engines.fit_models(*engines.scoring.distinct_rows(summary), time_unit="W")
    times["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    if engine == "spark":
        from pyspark.sql import functions as F

        from helpers.engines import spark_engine

        udf = spark_engine.scoring_udf(bg, gg, "W", 12, 0.01, 0.35)
        cols = ["frequency", "recency", "T", "monetary_value"]
        summary.select("customer_id", udf(*[F.col(c) for c in cols]).alias("s")).select("customer_id", "s.*") \
            .write.mode("overwrite").parquet(str(out))
        n_customers = summary.count()
        spark.stop()
    else:
        scores = engines.score_in_batches(bg, gg, summary, months=12, margin=0.35)
        n_customers = len(scores)
    times["score"] = time.perf_counter() - t
    return {"times": times, "customers": n_customers, "params": {k: round(v, 4) for k, v in bg.params_.items()}}


# --------------------------------------------------------------------------- the parent: processes and memory
def measure(engine: str, fmt: str, path: Path, scratch: Path) -> dict:
    """Run :func:`run_one` in a child process; sample the memory of the child and its descendants."""
    import psutil

    result_file = scratch / f"{engine}-{fmt}-{path.parent.name}.json"
    cmd = [sys.executable, __file__, "--one", engine, fmt, str(path), str(result_file)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            tree = [proc] + proc.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - start
    if child.returncode != 0 or not result_file.exists():
        return {"error": child.stderr.read().decode()[-2000:], "wall": wall, "peak_gb": peak / GB}
    return {**json.loads(result_file.read_text()), "wall": wall, "peak_gb": peak / GB}


def row(size: int, lines: int, fmt: str, engine: str, res: dict) -> str:
    head = f"| {lines / 1e6:,.0f} M | {size / 1e6:g} M | {fmt} | {engine} |"
    if "refused" in res:
        return f"{head} refused by the guard | | | | | {res['peak_gb']:.1f} |"
    if "error" in res:
        return f"{head} failed: {res['error'][-80:]!r} | | | | | |"
    t = res["times"]
    total = t["summary"] + t["fit"] + t["score"]
    return (f"{head} {t['summary']:.1f} | {t['fit']:.1f} | {t['score']:.1f} | {total:.1f} | {res['wall']:.0f} | "
            f"{res['peak_gb']:.1f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/engines-bench"))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--engines", nargs="+", default=["pandas", "duckdb", "spark"])
    parser.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    parser.add_argument("--skip", nargs="*", default=[], help="runs to skip, as engine:format:customers")
    parser.add_argument("--one", nargs=4, metavar=("ENGINE", "FORMAT", "PATH", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        engine, fmt, path, result = args.one
        out = Path(result).with_suffix(".scores")
        Path(result).write_text(json.dumps(run_one(engine, fmt, Path(path), out)))
        return 0
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / GB:.0f} GB, {platform.platform()}; "
          f"Python {platform.python_version()}; date {time.strftime('%Y-%m-%d')}")
    print("| lines | customers | format | engine | summary s | fit s | score s | total s | process s | peak GB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        files = files_for(args.data, size)
        import pyarrow.parquet as pq

        n_lines = pq.ParquetFile(files["parquet"]).metadata.num_rows
        for fmt in args.formats:
            for engine in args.engines:
                if f"{engine}:{fmt}:{size}" in args.skip:
                    continue
                res = measure(engine, fmt, files[fmt], args.data)
                print(row(size, n_lines, fmt, engine, res), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
