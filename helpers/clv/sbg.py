"""Shifted-beta-geometric (sBG) model of contract renewals.

* Fader, P. S. & Hardie, B. G. S. (2007). How to Project Customer Retention.
  *Journal of Interactive Marketing* 21(1), 76-90 (shifted-beta-geometric, sBG).
* Fader, P. S. & Hardie, B. G. S. (2010). Customer-Base Valuation in a
  Contractual Setting: The Perils of Ignoring Heterogeneity. *Marketing
  Science* 29(1), 85-93 (discounted expected residual lifetime).
"""

from __future__ import annotations

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator

from helpers.clv._fitting import minimise, require_fitted, wdot


def _check_alive(alive, name="alive") -> np.ndarray:
    arr = np.asarray(alive, dtype=float)
    if arr.ndim != 1 or len(arr) < 2:
        raise ValueError(f"{name} must be a sequence of at least two counts (cohort size first), got {alive!r}")
    if np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must hold whole numbers >= 0, got {list(arr)}")
    if arr[0] <= 0:
        raise ValueError(f"{name}: the first value (cohort size) must be > 0, got {arr[0]:g}")
    up = np.flatnonzero(np.diff(arr) > 0)
    if len(up):
        raise ValueError(f"{name} must not increase (customers cannot come back to a cohort); it increases at "
                         f"{len(up)} place(s), e.g. period {up[0]} -> {up[0] + 1}: "
                         f"{arr[up[0]]:g} -> {arr[up[0] + 1]:g}")
    return arr


class ShiftedBetaGeometric(BaseEstimator):
    """Shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie 2007).

    Each customer renews at the end of each period with a constant
    probability ``1 - theta``; ``theta ~ Beta(alpha, beta)`` across customers,
    so the retention rate of a cohort rises over time (the weak leave first).
    A "period" is whatever the data counts: a season, a year, a month.

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta``.
    log_likelihood_ : float
    n_cohorts_ : int
    """

    @staticmethod
    def _negll(log_params, cohorts):
        al, be = np.exp(log_params)
        total, g_al, g_be, n_tot = 0.0, 0.0, 0.0, 0.0
        for arr in cohorts:
            n = len(arr) - 1
            t = np.arange(1, n + 1)
            lost = arr[:-1] - arr[1:]
            # P(T = t) = B(al + 1, be + t - 1) / B(al, be); S(n) = B(al, be + n) / B(al, be)
            lp = special.betaln(al + 1, be + t - 1) - special.betaln(al, be)
            ls = special.betaln(al, be + n) - special.betaln(al, be)
            total += wdot(lost, lp) + arr[-1] * ls
            d0 = special.digamma(al + be)
            dlp_al = special.digamma(al + 1) - special.digamma(al + be + t) - special.digamma(al) + d0
            dlp_be = special.digamma(be + t - 1) - special.digamma(al + be + t) - special.digamma(be) + d0
            dls_al = special.digamma(al) - special.digamma(al + be + n) - special.digamma(al) + d0
            dls_be = special.digamma(be + n) - special.digamma(al + be + n) - special.digamma(be) + d0
            g_al += wdot(lost, dlp_al) + arr[-1] * dls_al
            g_be += wdot(lost, dlp_be) + arr[-1] * dls_be
            n_tot += arr[0]
        return -total / n_tot, -np.array([g_al * al, g_be * be]) / n_tot

    def fit(self, alive) -> ShiftedBetaGeometric:
        """Fit on the number of customers still active at the start of each period.

        Parameters
        ----------
        alive : sequence of int, or a list of such sequences
            ``alive[0]`` is the cohort size, ``alive[t]`` the customers still
            active after ``t`` renewals. Several cohorts (possibly of different
            lengths) are fitted jointly.

        Raises
        ------
        ValueError
            A sequence that increases, negative or fractional counts.
        ConvergenceError
            When the optimiser does not converge.
        """
        if len(alive) and np.ndim(alive[0]) == 1:
            cohorts = [_check_alive(a, f"alive[{i}]") for i, a in enumerate(alive)]
        else:
            cohorts = [_check_alive(alive)]
        res = minimise(lambda z: self._negll(z, cohorts), np.zeros(2), "ShiftedBetaGeometric")
        al, be = np.exp(res.x)
        self.params_ = {"alpha": float(al), "beta": float(be)}
        self.log_likelihood_ = float(-self._negll(res.x, cohorts)[0] * sum(a[0] for a in cohorts))
        self.n_cohorts_ = len(cohorts)
        return self

    def _ab(self):
        """The fitted (alpha, beta); scikit-learn's NotFittedError before :meth:`fit`."""
        require_fitted(self, "fit(alive)")
        return self.params_["alpha"], self.params_["beta"]

    def survival(self, t) -> np.ndarray | float:
        """Share of a cohort still active after ``t`` renewals, ``S(t) = B(alpha, beta + t) / B(alpha, beta)``."""
        al, be = self._ab()
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 0) or np.any(~np.isfinite(t_arr)):
            raise ValueError("t must be finite and >= 0 (periods)")
        out = np.exp(special.betaln(al, be + t_arr) - special.betaln(al, be))
        return float(out) if out.ndim == 0 else out

    def retention_rate(self, t) -> np.ndarray | float:
        """Share of those active in period ``t`` who renew for period ``t + 1``.

        ``(beta + t - 1) / (alpha + beta + t - 1)`` (Fader & Hardie 2007).

        ``t >= 1`` (periods): ``retention_rate(1)`` is the first renewal rate, ``S(1) / S(0)``.
        """
        al, be = self._ab()
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 1) or np.any(~np.isfinite(t_arr)):
            raise ValueError("t must be finite and >= 1 (periods)")
        out = (be + t_arr - 1) / (al + be + t_arr - 1)
        return float(out) if out.ndim == 0 else out

    def expected_residual_lifetime(self, periods_survived: int = 0, discount_rate: float = 0.0,
                                   horizon: int | None = None) -> float:
        """Expected (discounted) number of periods a customer still pays for, the current one included.

        For a customer who has renewed ``n = periods_survived`` times and is
        active in period ``n + 1``:
        ``sum_{k>=0} S(n + k) / S(n) / (1 + d)^k = 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))``
        (Fader & Hardie 2010, eqs. 5-6). For a new customer (``n = 0``) this is
        their DEL; for ``n >= 1`` it counts the period just renewed for, so
        Fader & Hardie's DERL (future periods only, discounted one period)
        equals ``(value - 1)`` here. Multiply by the margin per period to get
        the expected value of a customer.

        Parameters
        ----------
        periods_survived : int
            Renewals so far (0 for a new customer).
        discount_rate : float
            Discount rate per period (e.g. 0.10 per season), >= 0.
        horizon : int, optional
            Count at most this many periods (a finite planning horizon).

        Raises
        ------
        ValueError
            When ``discount_rate = 0`` and no horizon is given while ``alpha <= 1``:
            the expected lifetime is then infinite.
        """
        al, be = self._ab()
        n = periods_survived
        if n < 0 or n != int(n):
            raise ValueError(f"periods_survived must be a whole number >= 0, got {periods_survived!r}")
        if not np.isfinite(discount_rate) or discount_rate < 0:
            raise ValueError(f"discount_rate must be >= 0 (per period), got {discount_rate!r}")
        if horizon is not None:
            if horizon < 1 or horizon != int(horizon):
                raise ValueError(f"horizon must be a whole number >= 1 (periods), got {horizon!r}")
            k = np.arange(int(horizon))
            surv = np.exp(special.betaln(al, be + n + k) - special.betaln(al, be + n))
            return float(np.sum(surv / (1 + discount_rate) ** k))
        if discount_rate == 0:
            if al <= 1:
                raise ValueError(f"alpha = {al:.3f} <= 1: without discounting the expected lifetime is infinite; "
                                 f"give a discount_rate > 0 or a horizon")
            return float((al + be + n - 1) / (al - 1))
        return float(special.hyp2f1(1.0, be + n, al + be + n, 1.0 / (1.0 + discount_rate)))
