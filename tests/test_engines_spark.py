"""helpers.engines with Spark (local mode): the same summaries and the scored CLV equal the pandas path's.

One Spark session for the whole module (starting one takes seconds). The
data and the tolerances are those of ``tests/test_engines.py``: counts exactly,
amounts and what comes from them to a relative 1e-9 (the engine adds amounts
in another order than numpy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import clv, engines, metrics, recommend
from helpers.data import load_cdnow, load_company, order_faults

if not engines.available("pyspark"):
    pytest.skip("PySpark (with Java 17+) is not installed: pip install -e '.[scale]'", allow_module_level=True)

from helpers.data import SAMPLE_DIR  # noqa: E402
from helpers.engines import spark_engine  # noqa: E402
from helpers.engines.parity import assert_parity, write_finnish_csv  # noqa: E402

CLIENT_TOML = SAMPLE_DIR.parent / "clients" / "cdnow" / "company.toml"
FINNISH = {"Asiakasnro": "customer_id", "Tilausaika": "timestamp", "Kpl": "quantity", "Summa €": "amount"}
RTOL = 1e-9   # amounts added in another order than numpy's (see the module text); 1e-9 absolute near zero


def assert_same(engine: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(engine.columns) == list(reference.columns)
    assert_parity(engine, reference, rtol=RTOL, atol=1e-9)


def pandas_clv(purchases: pd.DataFrame, observation_end, **options) -> pd.DataFrame:
    """The reference pipeline of lesson 02: summary, both fits, the four scores."""
    summary = clv.rfm_summary(purchases, observation_end=observation_end)
    bg, gg = clv.BetaGeoModel().fit(summary), clv.GammaGammaModel().fit(summary)
    return engines.score_customers(bg, gg, summary, **options)

# PySpark 4.3 warns that it does not fully support pandas 3 yet, and its Arrow conversion passes pandas a
# deprecated copy= keyword; the parity tests below are the check that what the course uses works
pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


@pytest.fixture(scope="module")
def spark():
    session = spark_engine.local_session(cores=2, driver_memory="2g")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def sample_orders() -> pd.DataFrame:
    return load_company().orders


@pytest.fixture(scope="module")
def sample_lines(spark, sample_orders, tmp_path_factory):
    path = tmp_path_factory.mktemp("spark_sample") / "orders.parquet"
    sample_orders.to_parquet(path)
    return spark_engine.SparkLines(engines.parquet_source(path), spark)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow("master").rename(columns={"date": "timestamp"})


@pytest.fixture(scope="module")
def cdnow_lines(spark, cdnow, tmp_path_factory):
    """CDNOW as the intake's client fixture has it, or, before the fixture exists, as this test writes it."""
    if CLIENT_TOML.exists():
        from helpers.data import read_description

        source = engines.from_table_spec(read_description(CLIENT_TOML).tables["orders"])
    else:
        path = write_finnish_csv(cdnow, tmp_path_factory.mktemp("spark_cdnow") / "cdnow.csv", FINNISH)
        source = engines.csv_source(path, columns=FINNISH)
    return spark_engine.SparkLines(source, spark)


def test_summaries_equal_pandas_on_the_sample_company(sample_lines, sample_orders):
    purchases = sample_orders[sample_orders["amount"] >= 0]
    assert_same(sample_lines.rfm_summary(observation_end="2025-12-31"),
                clv.rfm_summary(purchases, observation_end="2025-12-31"))
    assert_same(sample_lines.calibration_holdout_split("2024-09-30", "2025-09-30"),
                clv.calibration_holdout_split(purchases, "2024-09-30", "2025-09-30"))
    assert_same(sample_lines.customer_metrics(start="2024-01", observation_end="2025-12-31"),
                metrics.customer_metrics(sample_orders, start="2024-01", observation_end="2025-12-31"))
    assert_same(sample_lines.pair_rules(min_count=20), recommend.pair_rules(sample_orders, min_count=20))
    masks = order_faults(sample_orders, extraction_date=pd.Timestamp("2025-06-30"))
    health = sample_lines.health_counts(extraction_date="30.06.2025")
    assert health == {rule: int(masks[rule].sum()) for rule in health}


def test_scored_clv_equals_pandas_on_the_sample_company(sample_lines, sample_orders):
    scores, bg, gg = sample_lines.clv_scores(observation_end="2025-12-31", months=36, margin=0.38)
    engine = scores.toPandas().set_index("customer_id").sort_index()
    reference = pandas_clv(sample_orders[sample_orders["amount"] >= 0], "2025-12-31", months=36, margin=0.38)
    assert_same(engine[list(engines.scoring.SCORES)], reference)
    summary = clv.rfm_summary(sample_orders[sample_orders["amount"] >= 0], observation_end="2025-12-31")
    assert bg.params_ == pytest.approx(clv.BetaGeoModel().fit(summary).params_, rel=1e-9)   # as the summary's
    assert gg.n_customers_ == int((summary["frequency"] > 0).sum())


def test_summaries_and_scored_clv_equal_pandas_on_cdnow(cdnow_lines, cdnow):
    assert_same(cdnow_lines.rfm_summary(observation_end="30.06.1998"),
                clv.rfm_summary(cdnow, observation_end="1998-06-30"))
    assert_same(cdnow_lines.calibration_holdout_split("1997-09-30", "1998-06-30"),
                clv.calibration_holdout_split(cdnow, "1997-09-30", "1998-06-30"))
    assert_same(cdnow_lines.customer_metrics(observation_end="1998-06-30"),
                metrics.customer_metrics(cdnow, observation_end="1998-06-30"))
    scores, _, _ = cdnow_lines.clv_scores(observation_end="1998-06-30", months=12)
    engine = scores.toPandas().set_index("customer_id").sort_index()
    assert_same(engine[list(engines.scoring.SCORES)], pandas_clv(cdnow, "1998-06-30", months=12))
    assert np.isfinite(engine["clv"]).all()
