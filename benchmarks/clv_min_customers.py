"""Evidence for the smallest data the BG/NBD and Gamma-Gamma fits accept.

Simulates customer bases of a given size from known parameters, fits the
model to each and reports, per size,

* ``repeat``: the median number of repeat buyers,
* ``failed``: the share of fits that raised (did not converge),
* ``meaningless``: the share of fits with a parameter beyond e^8 = 2,981 or
  below e^-8 (the fit ran towards a boundary; the numbers mean nothing),
* ``err_median``, ``err_q90``: the median and 90th percentile of the absolute
  relative error of the group forecast (BG/NBD: expected purchases of the same
  customers in the next period, against the forecast of the true
  parameters; Gamma-Gamma: the population mean spend ``p gamma / (q - 1)``).

Three settings: BG/NBD from the published CDNOW estimates (Fader, Hardie &
Lee 2005a: r, alpha, a, b = 0.243, 4.414, 0.793, 2.426 in weeks; 39 weeks
observed, 39 forecast), BG/NBD from the sample company's estimates (most
customers buy again; 104 weeks observed, 52 forecast) and Gamma-Gamma from
the CDNOW estimates (p, q, gamma = 6.25, 3.74, 15.44; repeat purchases per
customer drawn from 1-10). The thresholds of ``BetaGeoModel`` and
``GammaGammaModel`` (see their docstrings) quote this output.

Run: ``python benchmarks/clv_min_customers.py [--samples 200] [--seed 1]`` (about a minute).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from helpers import clv

CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SAMPLE_BGNBD = {"r": 1.401, "alpha": 10.535, "a": 0.980, "b": 10.876}   # the sample company, weeks, 2023-2025
CDNOW_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _meaningless(params: dict) -> bool:
    return bool(np.max(np.abs(np.log(list(params.values())))) > 8)


def _bgnbd_rows(params, sizes, T, horizon, samples, rng):
    true = clv.BetaGeoModel()
    true.params_, true.time_unit_ = params, "W"
    for n in sizes:
        for _ in range(samples):
            sim = true.simulate(n, T=T, seed=int(rng.integers(2**31)))
            truth = true.expected_purchases(horizon, sim).sum()
            row = {"n": n, "repeat": int((sim["frequency"] > 0).sum()), "failed": False}
            try:
                fit = clv.BetaGeoModel(min_customers=0, min_repeat_buyers=1).fit(sim)
            except (clv.ConvergenceError, ValueError):
                yield row | {"failed": True}
                continue
            yield row | {"meaningless": _meaningless(fit.params_),
                         "error": fit.expected_purchases(horizon, sim).sum() / truth - 1}


def _gamma_gamma_rows(params, sizes, samples, rng):
    p, q, g = params["p"], params["q"], params["gamma"]
    population = p * g / (q - 1)
    for n in sizes:
        for _ in range(samples):
            x = rng.integers(1, 11, n).astype(float)
            nu = rng.gamma(q, 1 / g, n)
            m = rng.gamma(p * x, 1 / (nu * x))
            summary = pd.DataFrame({"frequency": x, "recency": 1.0, "T": 2.0, "monetary_value": m})
            row = {"n": n, "repeat": n, "failed": False}
            try:
                fit = clv.GammaGammaModel(min_repeat_buyers=1, outlier_ratio=np.inf).fit(summary)
            except (clv.ConvergenceError, ValueError):
                yield row | {"failed": True}
                continue
            fp, fq, fg = fit.params_["p"], fit.params_["q"], fit.params_["gamma"]
            estimate = fp * fg / (fq - 1) if fq > 1 else np.inf
            yield row | {"meaningless": _meaningless(fit.params_), "error": estimate / population - 1}


def table(rows) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    df["meaningless"] = df["meaningless"].astype(float)   # NaN where the fit failed
    df["err"] = df["error"].abs()
    return df.groupby("n").agg(
        repeat=("repeat", "median"), failed=("failed", "mean"), meaningless=("meaningless", "mean"),
        err_median=("err", "median"), err_q90=("err", lambda e: e.quantile(0.9)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    with pd.option_context("display.width", 120):
        print("BG/NBD, CDNOW estimates, 39 weeks observed, forecast of the next 39 weeks")
        print(table(_bgnbd_rows(CDNOW_BGNBD, [20, 50, 100, 200, 500], 39.0, 39.0, args.samples, rng)).round(3))
        print("\nBG/NBD, sample company estimates, 104 weeks observed, forecast of the next 52 weeks")
        print(table(_bgnbd_rows(SAMPLE_BGNBD, [30, 50, 100, 200], 104.0, 52.0, args.samples, rng)).round(3))
        print("\nGamma-Gamma, CDNOW estimates, population mean spend")
        print(table(_gamma_gamma_rows(CDNOW_GAMMA_GAMMA, [10, 20, 30, 50, 100], args.samples, rng)).round(3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
