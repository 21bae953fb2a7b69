"""Tests of helpers.metrics: the customer-metrics table and its accounting identity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.metrics import activity_spells, check_identity, customer_metrics, dashboard, report_start, year_summary


def random_orders(n_lines: int = 4000, n_customers: int = 500, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, n_customers, n_lines)
    # Customers have different purchase rates, so some lapse and come back.
    day = (rng.beta(0.7, 0.7, n_lines) * 1000).astype(int)
    amount = rng.gamma(2.0, 30.0, n_lines)
    amount[rng.random(n_lines) < 0.05] *= -1  # a few returns
    return pd.DataFrame({
        "customer_id": [f"C{c:04d}" for c in cust],
        "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(day, unit="D") + pd.to_timedelta(
            rng.integers(0, 86400, n_lines), unit="s"),
        "amount": amount,
        "margin": amount * 0.3,
    })


def brute_force_active(orders: pd.DataFrame, period_end: pd.Timestamp, churn_after: int) -> int:
    """Customers active at the end of a period, counted one by one (independent reference)."""
    buys = orders[orders["amount"] > 0]
    next_day = period_end.normalize() + pd.Timedelta(days=1)
    active = 0
    for _, dates in buys.groupby("customer_id")["timestamp"]:
        past = dates[dates < next_day]
        if len(past) and (next_day - past.max().normalize()).days <= churn_after:
            active += 1
    return active


@pytest.fixture(scope="module")
def orders():
    return random_orders()


def test_identity_holds_on_every_period(orders):
    table = customer_metrics(orders, period="M", churn_after=120)
    assert len(table) == 33  # Jan 2023 .. Sep 2025
    assert check_identity(table).all()
    assert (table["active"] == table["active_start"] + table["new"] + table["reactivated"]
            - table["churned"]).all()
    assert table["reactivated"].sum() > 0 and table["churned"].sum() > 0


def test_active_counts_match_brute_force(orders):
    table = customer_metrics(orders, period="M", churn_after=120).set_index("period")
    for p in ["2023-03", "2024-06", "2025-09"]:
        end = pd.Period(p, freq="M").end_time
        assert table.loc[pd.Period(p, freq="M"), "active"] == brute_force_active(orders, end, 120)


def test_new_customers_are_first_purchases(orders):
    table = customer_metrics(orders, period="Q", churn_after=180).set_index("period")
    buys = orders[orders["amount"] > 0]
    first = buys.groupby("customer_id")["timestamp"].min().dt.to_period("Q").value_counts()
    assert table["new"].sum() == buys["customer_id"].nunique()
    assert (table["new"] == first.reindex(table.index, fill_value=0)).all()


def test_revenue_and_margin_add_up(orders):
    table = customer_metrics(orders, churn_after=120)
    assert table["revenue"].sum() == pytest.approx(orders["amount"].sum())
    assert table["margin"].sum() == pytest.approx(orders["margin"].sum())


def test_segments_sum_to_total_and_identity_per_segment(orders):
    ids = orders["customer_id"].unique()
    seg = pd.Series(np.where(np.arange(len(ids)) % 3 == 0, "gold", "basic"), index=ids)
    total = customer_metrics(orders, churn_after=120, start="2024-01").set_index("period")
    by_seg = customer_metrics(orders, churn_after=120, start="2024-01", segments=seg)
    assert check_identity(by_seg).all()
    summed = by_seg.groupby("period")[["active_start", "new", "reactivated", "churned", "active", "buyers"]].sum()
    pd.testing.assert_frame_equal(summed, total[summed.columns], check_names=False)
    # Warm-up: customers who bought in 2023 are already active at the start of 2024, not new.
    assert total["active_start"].iloc[0] > 0


def test_spells_split_on_long_gaps():
    o = pd.DataFrame({"customer_id": ["A"] * 4 + ["B"],
                      "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-12-01", "2024-12-01",
                                                   "2024-03-01"]),
                      "amount": [10.0, 20.0, 5.0, 5.0, 7.0]})
    spells = activity_spells(o, churn_after=100)
    a = spells[spells["customer_id"] == "A"]
    assert a["spell"].tolist() == [0, 1]
    assert a["churn_date"].iloc[0] == pd.Timestamp("2024-02-01") + pd.Timedelta(days=100)


def test_bad_input_is_refused(orders):
    with pytest.raises(ValueError, match="shorter than one period"):
        customer_metrics(orders, period="Q", churn_after=60)
    with pytest.raises(ValueError, match="empty"):
        customer_metrics(orders.iloc[:0])
    gap = orders[~orders["timestamp"].dt.to_period("M").isin([pd.Period("2024-05", "M")])]
    with pytest.raises(ValueError, match="have no orders"):
        customer_metrics(gap)
    assert len(customer_metrics(gap, allow_empty_periods=True)) == 33
    seg = pd.Series("x", index=orders["customer_id"].unique()[:10])
    with pytest.raises(ValueError, match="have no segment"):
        customer_metrics(orders, segments=seg)
    with pytest.raises(ValueError, match="missing column"):
        customer_metrics(orders.drop(columns="timestamp"))
    with pytest.raises(ValueError, match="period frequency"):
        customer_metrics(orders, period="monthly")


def test_rows_after_observation_end_are_left_out_and_counted(orders):
    table = customer_metrics(orders, churn_after=120, observation_end="15.6.2024")
    later = orders["timestamp"] >= pd.Timestamp("2024-06-16")
    assert table.attrs["rows_after_observation_end"] == later.sum() > 0
    assert table.attrs["observation_end"] == pd.Timestamp("2024-06-15")
    assert str(table["period"].iloc[-1]) == "2024-06"  # the period of the last day is the last one reported
    by_hand = customer_metrics(orders[~later], churn_after=120)
    pd.testing.assert_frame_equal(table, by_hand)
    spells = activity_spells(orders, churn_after=120, observation_end=pd.Timestamp("2024-06-15"))
    assert spells.attrs["rows_after_observation_end"] == later.sum()
    assert spells["last"].max() <= pd.Timestamp("2024-06-15")
    with pytest.raises(ValueError, match="no purchase .* on or before observation_end=2022-12-31"):
        customer_metrics(orders, churn_after=120, observation_end="31.12.2022")
    assert table["revenue"].sum() == pytest.approx(orders.loc[~later, "amount"].sum())


def test_dates_and_periods_in_any_accepted_form(orders):
    expected = customer_metrics(orders, churn_after=120, start="2024-01", observation_end="2025-06-30")
    for start in ("2024-01-01", "1.1.2024", pd.Timestamp("2024-01-20"), pd.Period("2024-01", "M")):
        for end in ("30.06.2025", pd.Timestamp("2025-06-30 18:00")):
            got = customer_metrics(orders, churn_after=120, start=start, observation_end=end)
            pd.testing.assert_frame_equal(got, expected)
    with pytest.raises(ValueError, match="not a date"):
        customer_metrics(orders, churn_after=120, observation_end="06/30/2025")  # month-first is never guessed
    with pytest.raises(ValueError, match="before start"):
        customer_metrics(orders, churn_after=120, start="2025-01", observation_end="2024-12-31")


def test_dates_held_as_text_are_refused(orders):
    as_text = orders.assign(timestamp=orders["timestamp"].dt.strftime("%d.%m.%Y"))
    with pytest.raises(ValueError, match="'timestamp' must hold dates"):
        customer_metrics(as_text)
    with pytest.raises(ValueError, match="'timestamp' must hold dates"):
        activity_spells(as_text)


def test_client_column_names(orders):
    names = {"customer_id": "asiakas", "timestamp": "aika", "amount": "summa", "margin": "kate"}
    got = customer_metrics(orders.rename(columns=names), churn_after=120, customer_col="asiakas",
                           timestamp_col="aika", amount_col="summa", margin_col="kate")
    pd.testing.assert_frame_equal(got, customer_metrics(orders, churn_after=120))
    spells = activity_spells(orders.rename(columns=names), customer_col="asiakas", timestamp_col="aika",
                             amount_col="summa")
    assert spells.columns[0] == "asiakas"


# --------------------------------------------------------------------------- sample data
def test_sample_identity_and_truth(sample_company):
    from helpers.data import load_truth
    from helpers.vocabulary import SAMPLE

    orders = sample_company.orders
    table = customer_metrics(orders, churn_after=180, observation_end=SAMPLE.observation_end)
    assert table.attrs["rows_after_observation_end"] == 0
    assert check_identity(table).all()
    assert table["new"].sum() == orders.loc[orders["amount"] > 0, "customer_id"].nunique()
    truth = load_truth("customers_truth")
    # the share active at the end under a 180-day threshold is close to the planted share alive
    # (measured 0.600 vs 0.601)
    assert table["active"].iloc[-1] / len(truth) == pytest.approx(truth["alive_at_end"].mean(), abs=0.05)


# --------------------------------------------------------------------------- reporting window, year, dashboard
def test_report_start_after_a_warm_up(orders):
    # 1000 days of data from 1.1.2023: a year of warm-up, then the first whole period
    assert report_start(orders, 180) == pd.Period("2024-01", "M")
    assert report_start(orders, 180, "Q") == pd.Period("2024Q1", "Q")
    assert report_start(orders, 400) == pd.Period("2024-03", "M")  # never shorter than the threshold
    # under two years of data: the threshold alone (the least that keeps the stocks right)
    short = orders[orders["timestamp"] < "2024-06-01"]
    assert report_start(short, 180) == pd.Period("2023-07", "M")
    assert report_start(orders, 180, observation_end="31.03.2023") == pd.Period("2023-03", "M")  # not after the end
    table = customer_metrics(orders, churn_after=180, start=report_start(orders, 180))
    assert table["period"].iloc[0] == pd.Period("2024-01", "M")


def test_year_summary_adds_up_the_last_year(orders):
    table = customer_metrics(orders, churn_after=120)
    year = year_summary(table)
    last12 = table.tail(12)
    row = year.loc["all customers"]
    assert row["periods"] == 12 and year.attrs["first"] == last12["period"].iloc[0]
    for col in ["new", "reactivated", "churned", "revenue", "margin"]:
        assert row[col] == pytest.approx(last12[col].sum())
    assert row["active_start"] == last12["active_start"].iloc[0] and row["active"] == last12["active"].iloc[-1]
    assert row["growth"] == pytest.approx(row["active"] / row["active_start"] - 1)
    assert row["churn_rate"] == pytest.approx(last12["churn_rate"].mean())
    seg = pd.Series(np.where(orders["customer_id"].str[-1].astype(int) % 2, "odd", "even"),
                    index=orders["customer_id"]).groupby(level=0).first()
    per = year_summary(customer_metrics(orders, churn_after=120, segments=seg))
    assert set(per.index) == {"even", "odd"}
    for col in ["new", "reactivated", "churned", "active_start", "active", "revenue"]:
        assert per[col].sum() == pytest.approx(row[col])  # the segments add up to all customers
    assert per["share_margin"].sum() == pytest.approx(1.0)
    short = year_summary(table.head(5))
    assert short.loc["all customers", "periods"] == 5  # a shorter table gives what it has
    quarterly = year_summary(customer_metrics(orders, period="Q", churn_after=120))
    assert quarterly.loc["all customers", "periods"] == 4


def test_dashboard_titles_state_the_findings(orders):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.segments import migration_matrix

    table = customer_metrics(orders, churn_after=120, start="2023-06")
    seg = pd.Series(np.where(orders["customer_id"].str[-1].astype(int) % 2, "odd buyers (x)", "even buyers"),
                    index=orders["customer_id"]).groupby(level=0).first()
    by_segment = customer_metrics(orders, churn_after=120, start="2023-06", segments=seg)
    ids = seg.index
    before = pd.Series(["Champions", "Lapsed"] * (len(ids) // 2), index=ids[: len(ids) // 2 * 2])
    after = before.where(np.arange(len(before)) % 4 != 0, "At risk")
    fig = dashboard(table, by_segment, migration_matrix(before, after), name="Testi Oy")
    titles = [ax.get_title() for ax in fig.axes]
    peak = table.loc[table["churned"].idxmax()]
    assert f"Churn peaked in {peak['period'].strftime('%B %Y')} at {peak['churned']:,} customers" in titles
    assert titles[0] == (f"Active customers: {table['active'].iloc[0]:,} -> {table['active'].iloc[-1]:,} "
                         f"since {table['period'].iloc[0].strftime('%m/%Y')}")
    assert fig._suptitle.get_text().startswith("Testi Oy: customer metrics 06/2023")
    assert "(churn = 120 days without a purchase)" in fig._suptitle.get_text()
    assert any("of last year's Champions slipped to At risk or Lapsed" in t for t in titles)
    # a segment's name is shortened in titles (its bracket left out); margin carries the money panel
    assert any(t.endswith("margin") and "(x)" not in t for t in titles)
    plt.close(fig)
    # without margin the money panel shows revenue; without a migration the panel says so
    fig = dashboard(customer_metrics(orders.drop(columns="margin"), churn_after=120, start="2023-06"),
                    customer_metrics(orders.drop(columns="margin"), churn_after=120, start="2023-06",
                                     segments=seg))
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.endswith("revenue") for t in titles)
    assert "No Champions in the first snapshot: no migration to show" in titles
    plt.close(fig)
