"""Benchmark: helpers.clv on a million customers and about ten million transactions.

Generates a synthetic transaction log from a BG/NBD-like process (three years of
data, first purchases spread over the period, a Gamma purchase rate and a
drop-out chance after each repeat purchase, Gamma-distributed amounts), then times

1. ``rfm_summary`` (10 M rows -> 1 M customers, in weeks),
2. ``BetaGeoModel().fit`` (on the unique (frequency, recency, T) rows, weighted),
3. ``GammaGammaModel().fit``,
4. ``customer_lifetime_value`` over 36 months (and 12 months),

and reports the peak memory of the process (``ru_maxrss``, which includes the
generated data itself). Target on a 2-core machine: all four steps in <= 30 s,
peak <= 4 GB.

Run: ``python benchmarks/clv_scale.py [--customers 1000000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from helpers import clv
from helpers.engines.generate import customer_days


# the generating BG/NBD parameters (lambda ~ Gamma(1.5, scale 1/40 per day), p ~ Beta(1.2, 12))
TRUE_R, RATE_SCALE_DAYS, TRUE_A, TRUE_B = 1.5, 40.0, 1.2, 12.0


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far, in GB (Linux reports kB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024**2 if sys.platform != "darwin" else kb / 1024**3


def generate(n_customers: int, seed: int = 1, days: int = 1096) -> pd.DataFrame:
    """A transaction log of ``n_customers`` customers (about 10 per customer).

    Columns ``customer_id`` (text ``K0000001``), ``timestamp`` (datetime64) and
    ``amount`` (euros, > 0): the data contract's names, so the defaults apply.
    """
    rng = np.random.default_rng(seed)
    cust, day = customer_days(rng, n_customers, days=days, rate_shape=TRUE_R, rate_scale_days=RATE_SCALE_DAYS,
                              drop_a=TRUE_A, drop_b=TRUE_B)
    spend_mean = rng.gamma(6.0, 1 / 0.12, n_customers)          # euros per order
    amount = np.round(rng.gamma(4.0, spend_mean[cust] / 4.0), 2) + 0.01
    ids = pd.Index(np.char.add("K", np.char.zfill(np.arange(n_customers).astype(str), 7)))
    return pd.DataFrame({
        "customer_id": ids[cust],
        "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(day, unit="D"),
        "amount": amount,
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    tx = generate(args.customers, args.seed)
    print(f"generated {len(tx):,} transactions of {tx['customer_id'].nunique():,} customers "
          f"in {time.perf_counter() - t0:.1f} s (not timed below); memory so far {peak_memory_gb():.2f} GB")

    timings = {}
    start = time.perf_counter()
    t = time.perf_counter()
    summary = clv.rfm_summary(tx, observation_end="2025-12-31", time_unit="W")
    timings["rfm_summary"] = time.perf_counter() - t
    t = time.perf_counter()
    bg = clv.BetaGeoModel().fit(summary)
    timings["BetaGeoModel.fit"] = time.perf_counter() - t
    t = time.perf_counter()
    gg = clv.GammaGammaModel().fit(summary)
    timings["GammaGammaModel.fit"] = time.perf_counter() - t
    t = time.perf_counter()
    value36 = clv.customer_lifetime_value(bg, gg, summary, months=36, monthly_discount_rate=0.01, margin=0.35)
    timings["customer_lifetime_value (36 months)"] = time.perf_counter() - t
    total = time.perf_counter() - start
    t = time.perf_counter()
    value12 = clv.customer_lifetime_value(bg, gg, summary, months=12, monthly_discount_rate=0.01, margin=0.35)
    t12 = time.perf_counter() - t

    print(f"customers: {len(summary):,}; repeat buyers: {(summary['frequency'] > 0).sum():,}; "
          f"unique (frequency, recency, T) rows: {bg.n_unique_rows_:,}")
    for name, seconds in timings.items():
        print(f"{name:<40s}{seconds:6.1f} s")
    print(f"{'total of the four steps':<40s}{total:6.1f} s   (target <= 30 s)")
    print(f"{'customer_lifetime_value (12 months)':<40s}{t12:6.1f} s   (extra)")
    print(f"peak memory of the process: {peak_memory_gb():.2f} GB   (target <= 4 GB)")
    print(f"generating parameters: r {TRUE_R}, alpha {RATE_SCALE_DAYS / 7:.2f} weeks, a {TRUE_A}, b {TRUE_B} "
          "(purchase days are whole days, which the continuous-time model only approximates)")
    print("BG/NBD:", {k: round(v, 4) for k, v in bg.params_.items()},
          "Gamma-Gamma:", {k: round(v, 3) for k, v in gg.params_.items()})
    print(f"customer equity (36 months, 35 % margin, 1 %/month): {value36.sum() / 1e6:,.1f} M euros; "
          f"12 months: {value12.sum() / 1e6:,.1f} M euros")
    if value36.isna().any() or (value36 < 0).any():
        print("ERROR: NaN or negative CLV")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
