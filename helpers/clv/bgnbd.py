"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005a).

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting Your Customers"
the Easy Way: An Alternative to the Pareto/NBD Model. *Marketing Science*
24(2), 275-284.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator

from helpers.clv._fitting import CASES_PER_PARAMETER, minimise, require_enough, require_fitted, unique_rows, wdot
from helpers.clv.summaries import summary_arrays

_BGNBD_REASON = (
    "the model has 4 parameters, and the repeat buyers are the customers who tell it how often people buy "
    f"again and when they stop: about {CASES_PER_PARAMETER} of them per parameter is the usual minimum for a "
    "likelihood fit. In simulations from the CDNOW estimates, 38 % of fits on 50 customers ran to meaningless "
    "parameter values (beyond 3,000 or below 1/3,000) and one in ten forecasts was off by more than 40 %.")


class BetaGeoModel(BaseEstimator):
    """BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005a).

    While alive a customer buys as a Poisson process with rate ``lambda``
    (purchases per time unit), ``lambda ~ Gamma(r, alpha)``; after each
    purchase they leave for good with probability ``p ~ Beta(a, b)``.

    Parameters
    ----------
    min_customers : int, default 100
        Fewest customers (the sum of the weights) :meth:`fit` accepts (see Notes).
    min_repeat_buyers : int, default 40
        Fewest repeat buyers (``frequency > 0``) :meth:`fit` accepts (see Notes).

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (in the time unit of the summary), ``a``, ``b``.
    log_likelihood_ : float
        Total log-likelihood of the fitting data (comparable with the paper:
        -9582.4 on the CDNOW sample in weeks).
    time_unit_ : str
        Time unit of the fitting summary (``"D"``, ``"W"`` or ``"M"``; None if the summary
        did not record it).
    n_customers_, n_unique_rows_ : int
        Customers fitted and the unique (frequency, recency, T) rows used.

    Notes
    -----
    Why the defaults. A likelihood model needs about ten informative cases per
    parameter it estimates (Peduzzi et al. 1996, *Journal of Clinical
    Epidemiology* 49(12), 1373-1379): the BG/NBD has 4 parameters and its
    informative cases are the repeat buyers, who show how often customers buy
    again and when they stop, hence 40 repeat buyers. Where nearly everybody
    buys again, 40 repeat buyers could be 45 customers, hence also 100
    customers. ``benchmarks/clv_min_customers.py`` backs both numbers (200
    simulated customer bases per size, each fit's forecast of the group's
    purchases compared with the true model's). From the published CDNOW
    estimates (``r, alpha, a, b = 0.243, 4.414, 0.793, 2.426``, 39 weeks
    observed and forecast): on 100 customers (42 repeat buyers) 20 % of fits
    had meaningless parameters (beyond e^8 = 2,981 or below e^-8) and the
    forecast was off by more than 31 % one time in ten; on 50 customers 38 %
    and 40 %; on 20 customers 60 % and 57 %; on 200 customers 5 % and 20 %.
    From the sample company's estimates (most customers buy again): 50
    customers 13 % meaningless, 100 customers 5 %. So the thresholds keep out
    the data on which the model mostly answers noise; a fit just above them
    is still rough. Lower them only knowingly (a classroom toy example, say).
    """

    def __init__(self, min_customers: int = 100, min_repeat_buyers: int = 4 * CASES_PER_PARAMETER):
        self.min_customers = min_customers
        self.min_repeat_buyers = min_repeat_buyers

    # ---- likelihood ----------------------------------------------------
    @staticmethod
    def _prepare(x, tx, T, w):
        """Precompute what does not change between likelihood evaluations."""
        ux, inv = np.unique(x, return_inverse=True)
        pos = x > 0
        # rows with no repeat purchase only differ by T: collapse them
        uT0, inv0 = np.unique(T[~pos], return_inverse=True)
        return {"ux": ux, "wx": np.bincount(inv, weights=w, minlength=len(ux)), "T0": uT0,
                "w0": np.bincount(inv0, weights=w[~pos], minlength=len(uT0)),
                "x": x[pos], "tx": tx[pos], "T": T[pos], "w": w[pos], "wsum": w.sum()}

    @staticmethod
    def _negll(log_params, x, tx=None, T=None, w=None):
        """Mean negative log-likelihood (FHL 2005a, eq. 6) and its gradient in log-parameters.

        ``x`` is either the frequency array (with ``tx``, ``T``, ``w``) or the
        dict from :meth:`_prepare`.
        """
        d = x if isinstance(x, dict) else BetaGeoModel._prepare(x, tx, T, w)
        r, alpha, a, b = np.exp(log_params)
        ux, wx = d["ux"], d["wx"]
        ln_alpha = np.log(alpha)
        # terms that depend on x only, on the unique x values, summed with their weights
        dg_ab = special.digamma(a + b)
        dg_abx = special.digamma(a + b + ux)
        s_x = (wdot(wx, special.gammaln(r + ux) + special.betaln(a, b + ux)) + d["wsum"] * (
            r * ln_alpha - special.gammaln(r) - special.betaln(a, b)))
        g_r = wdot(wx, special.digamma(r + ux)) + d["wsum"] * (ln_alpha - special.digamma(r))
        g_alpha = d["wsum"] * r / alpha
        g_a = wdot(wx, dg_ab - dg_abx)
        g_b = wdot(wx, special.digamma(b + ux) - dg_abx) + d["wsum"] * (dg_ab - special.digamma(b))
        # customers without repeat purchases: A3 = -r ln(alpha + T)
        la_T0 = np.log(alpha + d["T0"])
        s_x -= r * wdot(d["w0"], la_T0)
        g_r -= wdot(d["w0"], la_T0)
        g_alpha -= r * wdot(d["w0"], 1.0 / (alpha + d["T0"]))
        # repeat buyers: log(exp(A3) + exp(A4)) = A3 + log1p(exp(A4 - A3))
        xp, w = d["x"], d["w"]
        rx = r + xp
        a_T, a_tx = alpha + d["T"], alpha + d["tx"]
        la_T, la_tx = np.log(a_T), np.log(a_tx)
        bx1 = b + xp - 1
        diff = np.log(a / bx1) + rx * (la_T - la_tx)          # A4 - A3
        # below -40 the "died at tx" term is < 4e-18 of the other; clipping keeps the arithmetic
        # away from subnormal numbers, which are a hundred times slower
        diff = np.maximum(diff, -40.0)
        w4 = special.expit(diff)                            # weight of the "died at tx" term
        ll = -rx * la_T + np.logaddexp(0.0, diff)
        s_x += wdot(w, ll)
        g_r += wdot(w, -la_T + w4 * (la_T - la_tx))
        g_alpha += wdot(w, -rx / a_T + w4 * (rx / a_T - rx / a_tx))
        g_a += wdot(w, w4) / a
        g_b -= wdot(w, w4 / bx1)
        total_w = d["wsum"]
        return -s_x / total_w, -np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b]) / total_w

    def fit(self, summary: pd.DataFrame, weights=None, initial_params: dict | None = None) -> BetaGeoModel:
        """Fit by maximum likelihood on the unique (frequency, recency, T) rows.

        Parameters
        ----------
        summary : DataFrame
            Output of :func:`rfm_summary` (``frequency``, ``recency``, ``T``).
        weights : array-like, optional
            Number of customers each row stands for (default 1 each).
        initial_params : dict, optional
            Starting values (``r``, ``alpha``, ``a``, ``b``).

        Raises
        ------
        ValueError
            A summary that breaks the summary rules, no repeat buyers, or
            fewer customers or repeat buyers than ``min_customers`` and
            ``min_repeat_buyers`` (the message says why).
        ConvergenceError
            When the optimiser does not converge.
        """
        arr = summary_arrays(summary)
        w = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype=float)
        if len(w) != len(summary) or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite, >= 0 and one per summary row")
        self._require_enough_data(arr["frequency"], w)
        (x, tx, T), inv, _ = unique_rows(arr["frequency"], arr["recency"], arr["T"])
        uw = np.bincount(inv, weights=w, minlength=len(x))
        start = initial_params or {"r": 1.0, "alpha": max(float(np.mean(arr["T"])), 1e-3) / 2, "a": 1.0, "b": 1.0}
        x0 = np.log([start["r"], start["alpha"], start["a"], start["b"]])
        prepared = self._prepare(x, tx, T, uw)
        res = minimise(lambda z: self._negll(z, prepared), x0, "BetaGeoModel")
        r, alpha, a, b = np.exp(res.x)
        self.params_ = {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)}
        self.log_likelihood_ = float(-self._negll(res.x, prepared)[0] * uw.sum())
        self.time_unit_ = summary.attrs.get("time_unit")   # None when the summary was built by hand
        self.n_customers_ = int(len(summary))
        self.n_unique_rows_ = int(len(x))
        return self

    def _require_enough_data(self, frequency: np.ndarray, w: np.ndarray) -> None:
        """Refuse a summary without repeat buyers, or with fewer customers than the model needs."""
        repeat = float(w[frequency > 0].sum())
        if repeat == 0:
            raise ValueError(
                f"BetaGeoModel: summary has no repeat buyers (frequency > 0) among its {w.sum():,.0f} customers: "
                f"the BG/NBD model learns how often customers buy again and when they stop from repeat "
                f"purchases, so it cannot be fitted. A longer observation period may show repeat purchases")
        require_enough("BetaGeoModel", {"customers": float(w.sum()), "repeat buyers (frequency > 0)": repeat},
                       {"customers": self.min_customers, "repeat buyers (frequency > 0)": self.min_repeat_buyers},
                       _BGNBD_REASON, "pass BetaGeoModel(min_customers=..., min_repeat_buyers=...) lower values")

    def _check_fitted(self):
        """The fitted (r, alpha, a, b); scikit-learn's NotFittedError before :meth:`fit`."""
        require_fitted(self, "fit(summary)")
        return self.params_["r"], self.params_["alpha"], self.params_["a"], self.params_["b"]

    # ---- predictions -------------------------------------------------
    def _log_odds_dead(self, x, tx, T):
        r, alpha, a, b = self._check_fitted()
        pos = x > 0
        bx1 = np.where(pos, b + x - 1, 1.0)
        z = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(pos, z, -np.inf)

    def _bracket(self, t, x, T):
        """E[Y(t)] of a customer known to be alive at T (FHL 2005a, eq. 10 without the P(alive) factor).

        Depends on (x, T) only, not on recency, so it is evaluated on the unique (x, T) pairs.
        """
        r, alpha, a, b = self._check_fitted()
        c = a + b + x - 1
        z = t / (alpha + T + t)
        # Euler transformation of FHL (2005a, eq. 10): (1-z)^(r+x) 2F1(r+x, b+x; c; z)
        # = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), which stays well scaled for large x.
        with np.errstate(all="ignore"):
            h = special.hyp2f1(a + b - 1 - r, a - 1, c, z)
            head = -np.expm1((a - 1) * np.log1p(-z))  # 1 - (1-z)^(a-1)
            bracket = c / (a - 1) * (head - (1 - head) * (h - 1))   # c / (a-1) * (1 - (1-z)^(a-1) h)
        bad = ~np.isfinite(bracket)
        if np.any(bad):
            # 2F1 overflows when a and b are huge (almost no heterogeneity in p): integrate instead
            t_b, x_b, T_b = (np.broadcast_to(v, np.shape(bracket))[bad] for v in (t, x, T))
            bracket = np.array(bracket, dtype=float)
            bracket[bad] = self._bracket_quadrature(t_b, x_b, T_b)
        return np.maximum(bracket, 0.0)

    def _bracket_quadrature(self, t, x, T, nodes: int = 64):
        """The same expectation by quadrature: E[(1 - ((alpha+T) / (alpha+T+p t))^(r+x)) / p].

        Given alive at T, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x)
        (FHL 2005a); the lambda integral is closed form and the p integral is
        Gauss-Legendre on the Beta quantile scale (robust for any a, b).
        """
        r, alpha, a, b = self._check_fitted()
        u, w = np.polynomial.legendre.leggauss(nodes)
        u, w = (u + 1) / 2, w / 2
        p = special.betaincinv(a, np.asarray(b + x, dtype=float)[..., None], u)
        p = np.maximum(p, 1e-300)
        k = np.asarray(r + x, dtype=float)[..., None]
        rate = np.asarray(t / (alpha + T), dtype=float)[..., None]
        f = np.where(p * rate < 1e-12, k * rate, -np.expm1(-k * np.log1p(p * rate)) / p)
        return (f * w).sum(axis=-1)

    def _conditional(self, t, x, tx, T):
        """Conditional expected purchases in (T, T + t] (FHL 2005a, eq. 10)."""
        t = np.broadcast_to(np.asarray(t, dtype=float), np.shape(x))
        (ut, ux, uT), inv, _ = unique_rows(t.ravel(), np.ravel(x), np.ravel(T))
        bracket = self._bracket(ut, ux, uT)[inv].reshape(np.shape(x))
        return bracket * special.expit(-self._log_odds_dead(x, tx, T))

    def _on_unique(self, summary, fn):
        unit, fitted = summary.attrs.get("time_unit"), getattr(self, "time_unit_", None)
        if unit is not None and fitted is not None and unit != fitted:
            raise ValueError(f"summary is in time unit {unit!r} but the model was fitted in {fitted!r}: "
                             f"rebuild the summary with time_unit={fitted!r}")
        arr = summary_arrays(summary)
        (x, tx, T), inv, _ = unique_rows(arr["frequency"], arr["recency"], arr["T"])
        return fn(x, tx, T)[inv]

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still alive at ``T``.

        Fader, Hardie & Lee (2005a, eq. 11) and their note "Computing P(alive) using the BG/NBD model" (2008).

        Returns a Series (0-1) indexed like ``summary``; 1 for customers with no repeat purchase.
        """
        self._check_fitted()
        values = self._on_unique(summary, lambda x, tx, T: special.expit(-self._log_odds_dead(x, tx, T)))
        return pd.Series(values, index=summary.index, name="p_alive")

    def expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` time units (FHL 2005a, eq. 10).

        Parameters
        ----------
        t : float
            Horizon in the model's time unit (``time_unit_``), >= 0.
        summary : DataFrame
            ``frequency``, ``recency``, ``T`` of the customers, same time unit as the fit.

        Returns
        -------
        Series
            Conditional expected number of purchase days, never negative.
        """
        self._check_fitted()
        if not np.isfinite(t) or t < 0:
            raise ValueError(f"t must be a finite number >= 0 (time units), got {t!r}")
        values = self._on_unique(summary, lambda x, tx, T: self._conditional(float(t), x, tx, T))
        return pd.Series(values, index=summary.index, name="expected_purchases")

    def expected_purchases_new_customer(self, t) -> np.ndarray | float:
        """Expected purchases in ``(0, t]`` of a randomly chosen new customer (FHL 2005a, eq. 7).

        ``t`` in the model's time unit (scalar or array); the first purchase at time 0 is not counted.
        """
        self._check_fitted()
        t_arr = np.asarray(t, dtype=float)
        if np.any(~np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise ValueError("t must be finite and >= 0 (time units)")
        zero = np.zeros_like(t_arr)
        # a new customer is the x = 0, T = 0 case of the conditional expectation
        out = self._conditional(t_arr, zero, zero, zero)
        return float(out) if out.ndim == 0 else out

    def simulate(self, n_customers: int, T: float, seed: int | None = None) -> pd.DataFrame:
        """Simulate a cohort from the fitted model observed for ``T`` time units (for checks and teaching).

        Returns a summary (``frequency``, ``recency``, ``T``) and the true ``alive`` state at ``T``.
        """
        r, alpha, a, b = self._check_fitted()
        rng = np.random.default_rng(seed)
        lam = rng.gamma(r, 1 / alpha, n_customers)
        p = rng.beta(a, b, n_customers)
        # the customer drops out right after repeat purchase J ~ Geometric(p) (J = 1, 2, ...);
        # N ~ Poisson(lambda T) purchases would happen by T if they stayed
        last_purchase = rng.geometric(p)
        n_events = rng.poisson(lam * T)
        x = np.minimum(n_events, last_purchase)
        alive = n_events < last_purchase
        # recency: the x-th of n_events uniform event times
        tx = np.zeros(n_customers)
        has = x > 0
        # the x-th order statistic of n uniforms on (0, T): T * Beta(x, n - x + 1)
        tx[has] = T * rng.beta(x[has], n_events[has] - x[has] + 1)
        out = pd.DataFrame({"frequency": x.astype(np.int64), "recency": tx, "T": float(T), "alive": alive})
        out.attrs["time_unit"] = getattr(self, "time_unit_", "W")
        return out

