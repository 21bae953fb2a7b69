"""Benchmark: the item-to-item recommender on big catalogues (10 000 and 100 000 products).

Before, :class:`helpers.recommend.ItemKNNRecommender` built a dense item × item
similarity (about 32 · n_items² bytes with its temporaries: 3.2 GB at 10 000
items, 320 GB at 100 000). It now keeps each item's ``n_neighbors`` nearest
items in a ``scipy.sparse`` matrix, built from the co-occurrence counts one
block of items at a time, and ranks with a partial sort. This script measures
what that costs on synthetic data:

- a catalogue of ``n`` products in categories of 50, with Zipf-like
  popularity; ``5 · n`` customers who buy 1–12 distinct products each, 70 %
  of them from the customer's favourite category;
- ``fit`` (``n_neighbors=20``, cosine) and ``recommend`` (top 10) for 20 000
  customers, each size in a fresh process;
- peak memory: the largest allocation traced during ``fit`` and during
  ``recommend`` (``tracemalloc``; NumPy and SciPy arrays are traced) and the
  peak resident memory of the process (``ru_maxrss``, which includes the
  generated data and the interpreter).

Not a timed test: run ``python benchmarks/recommend_scale.py [--items 10000 100000] [--seed 1]``.

Measured on the course machine (2 cores, 24 GB, one BLAS thread), seed 1:

=========  =========  =========  ========  =====  ======  =====  ======  ======  ========
items      customers  pairs      kept      fit s  fit MB  rec s  rec MB  RSS MB  dense GB
=========  =========  =========  ========  =====  ======  =====  ======  ======  ========
10 000     50 000     312 236    200 000   0.8    150     4.2    145     377     3.0
100 000    500 000    3 135 659  2 000 000 10.4   430     23.0   143     703     298.0
=========  =========  =========  ========  =====  ======  =====  ======  ======  ========

(``kept``: neighbours stored, 23 MB at 100 000 items; ``rec``: top 10 for
20 000 customers; ``dense GB``: 32 · n_items² bytes, what the dense
similarity needed.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from helpers import recommend

CATEGORY_SIZE = 50        # products per category
CUSTOMERS_PER_ITEM = 5    # customers in the data per product in the catalogue
SCORED_CUSTOMERS = 20_000  # customers given a top-10 list


def generate(n_items: int, seed: int = 1) -> pd.DataFrame:
    """Distinct customer–product pairs (``customer_id``, ``product_id``, both integers)."""
    rng = np.random.default_rng(seed)
    n_customers = CUSTOMERS_PER_ITEM * n_items
    sizes = rng.integers(1, 13, n_customers)
    customer = np.repeat(np.arange(n_customers), sizes)
    favourite = rng.integers(0, n_items // CATEGORY_SIZE, n_customers)[customer]
    in_category = favourite * CATEGORY_SIZE + rng.integers(0, CATEGORY_SIZE, len(customer))
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    anywhere = rng.choice(n_items, size=len(customer), p=popularity / popularity.sum())
    product = np.where(rng.random(len(customer)) < 0.7, in_category, anywhere)
    pairs = pd.DataFrame({"customer_id": customer, "product_id": product})
    return pairs.drop_duplicates(ignore_index=True)


def traced(step):
    """Run ``step()``; return its result, the seconds it took and its peak traced allocation (MB)."""
    tracemalloc.start()
    start = time.perf_counter()
    out = step()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1024**2
    tracemalloc.stop()
    return out, seconds, peak


def measure(n_items: int, seed: int) -> dict:
    """Fit and recommend on one synthetic catalogue; the figures of one table row."""
    pairs = generate(n_items, seed)
    model, fit_s, fit_mb = traced(lambda: recommend.ItemKNNRecommender(n_neighbors=20).fit(pairs))
    everyone = pairs["customer_id"].drop_duplicates()
    customers = everyone.sample(min(SCORED_CUSTOMERS, len(everyone)), random_state=seed)
    lists, rec_s, rec_mb = traced(lambda: model.recommend(customers, k=10))
    assert lists.map(len).eq(10).all()
    sim = model.similarity_
    return {
        "items": n_items, "customers": int(pairs["customer_id"].nunique()), "pairs": len(pairs),
        "neighbours_kept": int(sim.nnz),
        "similarity_mb": (sim.data.nbytes + sim.indices.nbytes + sim.indptr.nbytes) / 1024**2,
        "fit_s": fit_s, "fit_peak_mb": fit_mb, "recommend_s": rec_s, "recommend_peak_mb": rec_mb,
        "process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "dense_would_need_gb": 32 * n_items**2 / 1024**3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)   # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return
    print(f"{'items':>8} {'customers':>10} {'pairs':>10} {'kept':>10} {'sim MB':>7} {'fit s':>6} "
          f"{'fit MB':>7} {'rec s':>6} {'rec MB':>7} {'RSS MB':>7} {'dense GB':>9}")
    for n in args.items:
        run = subprocess.run([sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
                             capture_output=True, text=True, env=os.environ)
        if run.returncode:
            sys.exit(f"{n} items failed:\n{run.stderr}")
        r = json.loads(run.stdout)
        print(f"{r['items']:>8,} {r['customers']:>10,} {r['pairs']:>10,} {r['neighbours_kept']:>10,} "
              f"{r['similarity_mb']:>7.1f} {r['fit_s']:>6.1f} {r['fit_peak_mb']:>7.0f} {r['recommend_s']:>6.1f} "
              f"{r['recommend_peak_mb']:>7.0f} {r['process_peak_mb']:>7.0f} {r['dense_would_need_gb']:>9.1f}")


if __name__ == "__main__":
    main()
