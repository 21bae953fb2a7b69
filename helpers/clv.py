"""Customer lifetime value: RFM summaries, BG/NBD, Gamma-Gamma and sBG models.

The non-contractual models ("buy till you die") follow

* Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting Your Customers"
  the Easy Way: An Alternative to the Pareto/NBD Model. *Marketing Science*
  24(2), 275-284 (BG/NBD).
* Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: Using
  Iso-Value Curves for Customer Base Analysis. *Journal of Marketing Research*
  42(4), 415-430, and Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary
  Value" (note at brucehardie.com) (Gamma-Gamma spend model).

The contractual model (renewals of subscriptions or season passes) follows

* Fader, P. S. & Hardie, B. G. S. (2007). How to Project Customer Retention.
  *Journal of Interactive Marketing* 21(1), 76-90 (shifted-beta-geometric, sBG).
* Fader, P. S. & Hardie, B. G. S. (2010). Customer-Base Valuation in a
  Contractual Setting: The Perils of Ignoring Heterogeneity. *Marketing
  Science* 29(1), 85-93 (discounted expected residual lifetime).

Time units: a summary is expressed in days (``"D"``), weeks (``"W"``, days / 7)
or months (``"M"``, days / 30.4375); the unit is stored in ``summary.attrs`` and
carried by the fitted models. Money is in the currency of the data (euros for
the course company, US dollars for CDNOW).

Large customer bases: many customers share the same (frequency, recency, T);
:class:`BetaGeoModel` fits on the unique rows with weights and evaluates its
predictions on the unique rows only, so a million customers take seconds.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
from scipy import optimize, special

from helpers._checks import examples as _examples
from helpers._checks import require_columns

__all__ = [
    "ConvergenceError",
    "rfm_summary",
    "calibration_holdout_split",
    "BetaGeoModel",
    "GammaGammaModel",
    "ShiftedBetaGeometric",
    "customer_lifetime_value",
    "DAYS_PER_UNIT",
]

#: Length of one time unit in days. A month is 365.25 / 12 = 30.4375 days.
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


class ConvergenceError(RuntimeError):
    """The maximum-likelihood fit did not converge; the parameters would be garbage."""


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------


def _check_time_unit(time_unit: str) -> float:
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be one of {sorted(DAYS_PER_UNIT)}, got {time_unit!r}")
    return DAYS_PER_UNIT[time_unit]


def _as_dates(series: pd.Series, column: str) -> pd.Series:
    """Dates floored to the day (datetime64); clear error on missing or unparseable."""
    if series.isna().any():
        bad = series.isna()
        raise ValueError(f"column {column!r} must not be missing; {int(bad.sum())} rows are, "
                         f"e.g. rows {list(series.index[bad][:3])}")
    if not pd.api.types.is_datetime64_any_dtype(series):
        try:
            series = pd.to_datetime(series)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"column {column!r} must hold dates; could not read it as dates: {exc}") from exc
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return series.dt.floor("D")


def _prepare_transactions(transactions, customer_col, date_col, value_col):
    """Validate the transaction table; return customer codes, labels, day numbers and amounts."""
    require_columns(transactions, [customer_col, date_col, value_col], "transactions")
    if len(transactions) == 0:
        raise ValueError("transactions is empty: there is nothing to summarise")
    cust = transactions[customer_col]
    if cust.isna().any():
        bad = cust.isna()
        raise ValueError(f"column {customer_col!r} must not be missing; {int(bad.sum())} rows are, "
                         f"e.g. rows {list(transactions.index[bad][:3])}")
    amount = pd.to_numeric(transactions[value_col], errors="coerce")
    bad = amount.isna() & transactions[value_col].notna()
    if bad.any():
        raise ValueError(f"column {value_col!r} must be numeric; {int(bad.sum())} rows are not, "
                         f"e.g. {_examples(transactions.loc[bad, value_col])}")
    if amount.isna().any():
        bad = amount.isna()
        raise ValueError(f"column {value_col!r} must not be missing; {int(bad.sum())} rows are, "
                         f"e.g. customers {_examples(cust[bad])}")
    if (amount < 0).any():
        bad = amount < 0
        raise ValueError(
            f"column {value_col!r} must be >= 0 (a purchase); {int(bad.sum())} rows are negative, "
            f"e.g. {_examples(amount[bad])} (customers {_examples(cust[bad])}). Returns are not purchases: "
            f"remove them (and count them) before summarising")
    dates = _as_dates(transactions[date_col], date_col)
    codes, labels = pd.factorize(cust, sort=True)
    day = (dates.to_numpy().astype("datetime64[D]")).astype(np.int64)
    return codes.astype(np.int64), labels, day, amount.to_numpy(dtype=float), dates


def _purchase_days(codes, day, amount):
    """Collapse transactions to one row per (customer, day); sorted by customer then day."""
    key = codes * (np.int64(day.max() - day.min()) + 1) + (day - day.min())
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    day_amount = np.add.reduceat(amount[order], starts)
    return codes[order][starts], day[order][starts], day_amount


def rfm_summary(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "amount",
    observation_end=None,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Summarise transactions per customer for the BG/NBD and Gamma-Gamma models.

    Several purchases of one customer on the same calendar day count as one
    purchase (their amounts are added), as in Fader, Hardie & Lee (2005a).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or order line): customer, date (time of day is
        ignored) and amount. Amounts must be >= 0: remove returns first.
    customer_col, date_col, value_col : str
        Column names.
    observation_end : date-like, optional
        End of the observation period (inclusive); default the last date in
        the data. Dates after it raise a ``ValueError``.
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``: days, weeks (7 days) or months
        (30.4375 days).

    Returns
    -------
    DataFrame
        Indexed by customer (sorted), with

        - ``frequency``: number of repeat purchase days (purchase days - 1),
        - ``recency``: time from the first to the last purchase (``time_unit``),
        - ``T``: time from the first purchase to ``observation_end`` (``time_unit``),
        - ``monetary_value``: mean amount of the repeat purchase days
          (currency of the data; 0 when there is no repeat purchase).

        ``attrs`` holds ``time_unit``, ``observation_end``, ``n_transactions``
        and ``n_purchase_days``.

    Raises
    ------
    ValueError
        Missing columns, missing or negative amounts, missing customers or
        dates, dates after ``observation_end``, unknown ``time_unit``.
    """
    unit_days = _check_time_unit(time_unit)
    codes, labels, day, amount, dates = _prepare_transactions(transactions, customer_col, date_col, value_col)
    if observation_end is None:
        end = dates.max()
    else:
        end = pd.Timestamp(observation_end).floor("D")
        late = dates > end
        if late.any():
            raise ValueError(
                f"column {date_col!r}: {int(late.sum())} rows are after observation_end "
                f"{end.date()}, e.g. {[str(d.date()) for d in dates[late].iloc[:3]]}; "
                f"filter them first (or use calibration_holdout_split)")
    end_day = np.datetime64(end.date(), "D").astype(np.int64)
    c, d, v = _purchase_days(codes, day, amount)
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    n_days = np.diff(np.r_[starts, len(c)])
    first = d[starts]
    last = d[np.r_[starts[1:], len(c)] - 1]
    total = np.add.reduceat(v, starts)
    first_amount = v[starts]
    freq = n_days - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, (total - first_amount) / np.maximum(freq, 1), 0.0)
    out = pd.DataFrame(
        {
            "frequency": freq.astype(np.int64),
            "recency": (last - first) / unit_days,
            "T": (end_day - first) / unit_days,
            "monetary_value": monetary,
        },
        index=pd.Index(labels, name=customer_col),
    )
    out.attrs.update(time_unit=time_unit, observation_end=end, n_transactions=int(len(transactions)),
                     n_purchase_days=int(len(c)))
    return out


def calibration_holdout_split(
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "amount",
    time_unit: str = "W",
) -> pd.DataFrame:
    """Summary of a calibration period plus the purchases of the holdout period.

    Customers are those who bought in the calibration period (up to and
    including ``calibration_end``); their purchase days in the holdout
    period (after ``calibration_end`` up to and including ``holdout_end``)
    are counted, same-day purchases as one (Fader, Hardie & Lee 2005a, sec. 4).

    Returns
    -------
    DataFrame
        The :func:`rfm_summary` columns for the calibration period plus
        ``frequency_holdout`` (purchase days in the holdout period),
        ``monetary_value_holdout`` (mean amount of those days; 0 when none) and
        ``duration_holdout`` (length of the holdout period, ``time_unit``).
        ``attrs["n_customers_first_in_holdout"]`` counts the customers left out
        because their first purchase is in the holdout period;
        ``attrs["n_transactions_after_holdout"]`` the rows after ``holdout_end``.
    """
    unit_days = _check_time_unit(time_unit)
    cal_end = pd.Timestamp(calibration_end).floor("D")
    hold_end = pd.Timestamp(holdout_end).floor("D")
    if hold_end <= cal_end:
        raise ValueError(f"holdout_end ({hold_end.date()}) must be after calibration_end ({cal_end.date()})")
    require_columns(transactions, [customer_col, date_col, value_col], "transactions")
    dates = _as_dates(transactions[date_col], date_col)
    in_cal = (dates <= cal_end).to_numpy()
    in_hold = ((dates > cal_end) & (dates <= hold_end)).to_numpy()
    if not in_cal.any():
        raise ValueError(f"no transactions on or before calibration_end {cal_end.date()}")
    summary = rfm_summary(transactions.loc[in_cal], customer_col, date_col, value_col,
                          observation_end=cal_end, time_unit=time_unit)
    hold = transactions.loc[in_hold]
    freq_h = pd.Series(0, index=summary.index, dtype=np.int64)
    mon_h = pd.Series(0.0, index=summary.index)
    n_new = 0
    if len(hold):
        codes, labels, day, amount, _ = _prepare_transactions(hold, customer_col, date_col, value_col)
        c, _d, v = _purchase_days(codes, day, amount)
        counts = np.bincount(c, minlength=len(labels))
        sums = np.bincount(c, weights=v, minlength=len(labels))
        known = pd.Index(labels).isin(summary.index)
        n_new = int((~known).sum())
        lab = pd.Index(labels)[known]
        freq_h.loc[lab] = counts[known]
        mon_h.loc[lab] = sums[known] / np.maximum(counts[known], 1)
    summary["frequency_holdout"] = freq_h
    summary["monetary_value_holdout"] = mon_h
    summary["duration_holdout"] = (hold_end - cal_end).days / unit_days
    summary.attrs.update(calibration_end=cal_end, holdout_end=hold_end, n_customers_first_in_holdout=n_new,
                         n_transactions_after_holdout=int((dates > hold_end).sum()))
    return summary


# ---------------------------------------------------------------------------
# helpers shared by the models
# ---------------------------------------------------------------------------
def _summary_arrays(summary: pd.DataFrame, need_monetary: bool = False):
    cols = ["frequency", "recency", "T"] + (["monetary_value"] if need_monetary else [])
    require_columns(summary, cols, "summary")
    arrays = {}
    for col in cols:
        values = pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise ValueError(f"summary column {col!r} must be finite and >= 0; {int(bad.sum())} rows are not, "
                             f"e.g. customers {list(summary.index[bad][:3])}")
        arrays[col] = values
    x, tx, T = arrays["frequency"], arrays["recency"], arrays["T"]
    if np.any(x != np.round(x)):
        bad = x != np.round(x)
        raise ValueError(f"summary column 'frequency' must be whole numbers; {int(bad.sum())} rows are not, "
                         f"e.g. customers {list(summary.index[bad][:3])}")
    bad = tx > T + 1e-9
    if bad.any():
        raise ValueError(f"summary: 'recency' must be <= 'T'; {int(bad.sum())} rows break it, "
                         f"e.g. customers {list(summary.index[bad][:3])}")
    bad = (x == 0) & (tx > 0)
    if bad.any():
        raise ValueError(f"summary: 'recency' must be 0 when 'frequency' is 0; {int(bad.sum())} rows break it, "
                         f"e.g. customers {list(summary.index[bad][:3])}")
    return arrays


def _unique_rows(*columns: np.ndarray):
    """Unique rows of several equal-length arrays: (list of unique columns, inverse, counts)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(col)
        key = key * np.int64(len(uniques)) + codes
    inverse, uniq_keys = pd.factorize(key)
    first = np.zeros(len(uniq_keys), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    counts = np.bincount(inverse, minlength=len(uniq_keys))
    return [col[first] for col in columns], inverse, counts


def _wdot(w, v):
    """Weighted sum ``sum(w * v)`` without BLAS (BLAS threads spin badly on a busy 2-core machine)."""
    return np.add.reduce(np.multiply(w, v), axis=None)


def _minimise(fun, x0, name: str):
    """Minimise with L-BFGS-B (analytic gradient), falling back to Nelder-Mead; raise if neither converges."""
    def safe(z):
        with np.errstate(all="ignore"):
            f, g = fun(z)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return np.inf, np.zeros_like(z)
        return f, g

    res = optimize.minimize(safe, x0, jac=True, method="L-BFGS-B")
    if not res.success or not np.all(np.isfinite(res.x)):
        res2 = optimize.minimize(lambda z: safe(z)[0], res.x if np.all(np.isfinite(res.x)) else x0,
                                 method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000})
        if not res2.success or not np.all(np.isfinite(res2.x)):
            raise ConvergenceError(f"{name}: the maximum-likelihood fit did not converge ({res.message}; "
                                   f"{res2.message}). Check the data (enough repeat buyers? right time unit?)")
        res = res2
    if np.any(np.abs(res.x) > 20):
        raise ConvergenceError(f"{name}: the fit ran to a boundary (log-parameters {np.round(res.x, 1)}); "
                               f"the data do not identify the model")
    return res


# ---------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------
class BetaGeoModel:
    """BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005a).

    While alive a customer buys as a Poisson process with rate ``lambda``
    (purchases per time unit), ``lambda ~ Gamma(r, alpha)``; after each
    purchase they leave for good with probability ``p ~ Beta(a, b)``.

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
    """

    def __init__(self):
        self.params_: dict[str, float] | None = None

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
        s_x = (_wdot(wx, special.gammaln(r + ux) + special.betaln(a, b + ux)) + d["wsum"] * (
            r * ln_alpha - special.gammaln(r) - special.betaln(a, b)))
        g_r = _wdot(wx, special.digamma(r + ux)) + d["wsum"] * (ln_alpha - special.digamma(r))
        g_alpha = d["wsum"] * r / alpha
        g_a = _wdot(wx, dg_ab - dg_abx)
        g_b = _wdot(wx, special.digamma(b + ux) - dg_abx) + d["wsum"] * (dg_ab - special.digamma(b))
        # customers without repeat purchases: A3 = -r ln(alpha + T)
        la_T0 = np.log(alpha + d["T0"])
        s_x -= r * _wdot(d["w0"], la_T0)
        g_r -= _wdot(d["w0"], la_T0)
        g_alpha -= r * _wdot(d["w0"], 1.0 / (alpha + d["T0"]))
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
        s_x += _wdot(w, ll)
        g_r += _wdot(w, -la_T + w4 * (la_T - la_tx))
        g_alpha += _wdot(w, -rx / a_T + w4 * (rx / a_T - rx / a_tx))
        g_a += _wdot(w, w4) / a
        g_b -= _wdot(w, w4 / bx1)
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
        ConvergenceError
            When the optimiser does not converge.
        """
        arr = _summary_arrays(summary)
        w = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype=float)
        if len(w) != len(summary) or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite, >= 0 and one per summary row")
        (x, tx, T), inv, _ = _unique_rows(arr["frequency"], arr["recency"], arr["T"])
        uw = np.bincount(inv, weights=w, minlength=len(x))
        if np.count_nonzero(arr["frequency"] > 0) == 0:
            raise ValueError("summary has no repeat buyers (frequency > 0): the BG/NBD model cannot be fitted")
        start = initial_params or {"r": 1.0, "alpha": max(float(np.mean(arr["T"])), 1e-3) / 2, "a": 1.0, "b": 1.0}
        x0 = np.log([start["r"], start["alpha"], start["a"], start["b"]])
        prepared = self._prepare(x, tx, T, uw)
        res = _minimise(lambda z: self._negll(z, prepared), x0, "BetaGeoModel")
        r, alpha, a, b = np.exp(res.x)
        self.params_ = {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)}
        self.log_likelihood_ = float(-self._negll(res.x, prepared)[0] * uw.sum())
        self.time_unit_ = summary.attrs.get("time_unit")   # None when the summary was built by hand
        self.n_customers_ = int(len(summary))
        self.n_unique_rows_ = int(len(x))
        return self

    def _check_fitted(self):
        if self.params_ is None:
            raise ValueError("the model is not fitted yet: call fit(summary) first")
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
        (ut, ux, uT), inv, _ = _unique_rows(t.ravel(), np.ravel(x), np.ravel(T))
        bracket = self._bracket(ut, ux, uT)[inv].reshape(np.shape(x))
        return bracket * special.expit(-self._log_odds_dead(x, tx, T))

    def _on_unique(self, summary, fn):
        unit, fitted = summary.attrs.get("time_unit"), getattr(self, "time_unit_", None)
        if unit is not None and fitted is not None and unit != fitted:
            raise ValueError(f"summary is in time unit {unit!r} but the model was fitted in {fitted!r}: "
                             f"rebuild the summary with time_unit={fitted!r}")
        arr = _summary_arrays(summary)
        (x, tx, T), inv, _ = _unique_rows(arr["frequency"], arr["recency"], arr["T"])
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


# ---------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------
class GammaGammaModel:
    """Gamma-Gamma model of the mean spend per purchase (Fader, Hardie & Lee 2005b; Fader & Hardie 2013).

    The value of each transaction is Gamma(p, nu); across customers
    ``nu ~ Gamma(q, gamma)``. Assumes spend is independent of the purchase
    frequency: check the correlation of ``frequency`` and ``monetary_value``
    among repeat buyers before using it.

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``gamma`` (``gamma`` in the currency of the data).
    log_likelihood_ : float
    n_customers_ : int
        Repeat buyers with positive spend used in the fit.
    n_excluded_ : int
        Rows left out (no repeat purchase, or zero spend).
    """

    def __init__(self):
        self.params_: dict[str, float] | None = None

    @staticmethod
    def _negll(log_params, x, m=None):
        """Mean negative log-likelihood (Fader & Hardie 2013, eq. 3) and gradient in log-parameters.

        ``x`` (repeat purchases) and ``m`` (their mean value), or the dict from :meth:`_prepare`.
        """
        d = x if isinstance(x, dict) else GammaGammaModel._prepare(x, m)
        p, q, g = np.exp(log_params)
        ux, nu, n = d["ux"], d["nu"], d["n"]
        px_u = p * ux
        lgm = np.log(g + d["xm"])                 # log(gamma + m x), the only per-row work
        s_lgm, s_xlgm = lgm.sum(), _wdot(d["x"], lgm)
        ll = (_wdot(nu, special.gammaln(px_u + q) - special.gammaln(px_u)) - n * special.gammaln(q)
              + n * q * np.log(g) + p * d["s_xlnm"] - d["s_lnm"] + p * d["s_xlnx"] - p * s_xlgm - q * s_lgm)
        d_p = _wdot(nu, ux * (special.digamma(px_u + q) - special.digamma(px_u))) + d["s_xlnx"] + d["s_xlnm"] - s_xlgm
        d_q = _wdot(nu, special.digamma(px_u + q)) - n * special.digamma(q) + n * np.log(g) - s_lgm
        d_g = n * q / g - ((p * d["x"] + q) / (g + d["xm"])).sum()
        return -ll / n, -np.array([d_p * p, d_q * q, d_g * g]) / n

    @staticmethod
    def _prepare(x, m):
        ux, nu = np.unique(x, return_counts=True)
        lnm = np.log(m)
        return {"ux": ux, "nu": nu.astype(float), "n": float(len(x)), "x": x, "xm": x * m,
                "s_lnm": lnm.sum(), "s_xlnm": _wdot(x, lnm), "s_xlnx": _wdot(x, np.log(x))}

    def fit(self, summary: pd.DataFrame) -> GammaGammaModel:
        """Fit on the repeat buyers (``frequency > 0``) with positive ``monetary_value``.

        Raises
        ------
        ConvergenceError
            When the optimiser does not converge.
        """
        arr = _summary_arrays(summary, need_monetary=True)
        use = (arr["frequency"] > 0) & (arr["monetary_value"] > 0)
        if use.sum() < 10:
            raise ValueError(f"GammaGammaModel needs repeat buyers with positive monetary_value; "
                             f"only {int(use.sum())} of {len(summary)} rows qualify")
        x, m = arr["frequency"][use], arr["monetary_value"][use]
        x0 = np.log([2.0, 3.0, max(float(m.mean()), 1e-6)])
        prepared = self._prepare(x, m)
        res = _minimise(lambda z: self._negll(z, prepared), x0, "GammaGammaModel")
        p, q, g = np.exp(res.x)
        self.params_ = {"p": float(p), "q": float(q), "gamma": float(g)}
        self.log_likelihood_ = float(-self._negll(res.x, prepared)[0] * len(x))
        self.n_customers_ = int(use.sum())
        self.n_excluded_ = int((~use).sum())
        return self

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Expected mean spend per future purchase of each customer (Fader & Hardie 2013, eq. 5).

        A weighted mean of the population mean ``p * gamma / (q - 1)`` and the
        customer's own ``monetary_value``; customers with no repeat purchase
        get the population mean. Currency of the data; requires ``q > 1``.
        """
        if self.params_ is None:
            raise ValueError("the model is not fitted yet: call fit(summary) first")
        p, q, g = self.params_["p"], self.params_["q"], self.params_["gamma"]
        if q <= 1:
            raise ValueError(f"q = {q:.3f} <= 1: the population mean spend is infinite; the model does not fit")
        arr = _summary_arrays(summary, need_monetary=True)
        x = arr["frequency"]
        m = np.where(x > 0, arr["monetary_value"], 0.0)
        values = (g + m * x) * p / (p * x + q - 1)
        return pd.Series(values, index=summary.index, name="expected_spend")


# ---------------------------------------------------------------------------
# shifted-beta-geometric (contractual)
# ---------------------------------------------------------------------------
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
                         f"{len(up)} place(s), e.g. period {up[0]} -> {up[0] + 1}: {arr[up[0]]:g} -> {arr[up[0] + 1]:g}")
    return arr


class ShiftedBetaGeometric:
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

    def __init__(self):
        self.params_: dict[str, float] | None = None

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
            total += _wdot(lost, lp) + arr[-1] * ls
            d0 = special.digamma(al + be)
            dlp_al = special.digamma(al + 1) - special.digamma(al + be + t) - special.digamma(al) + d0
            dlp_be = special.digamma(be + t - 1) - special.digamma(al + be + t) - special.digamma(be) + d0
            dls_al = special.digamma(al) - special.digamma(al + be + n) - special.digamma(al) + d0
            dls_be = special.digamma(be + n) - special.digamma(al + be + n) - special.digamma(be) + d0
            g_al += _wdot(lost, dlp_al) + arr[-1] * dls_al
            g_be += _wdot(lost, dlp_be) + arr[-1] * dls_be
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
        res = _minimise(lambda z: self._negll(z, cohorts), np.zeros(2), "ShiftedBetaGeometric")
        al, be = np.exp(res.x)
        self.params_ = {"alpha": float(al), "beta": float(be)}
        self.log_likelihood_ = float(-self._negll(res.x, cohorts)[0] * sum(a[0] for a in cohorts))
        self.n_cohorts_ = len(cohorts)
        return self

    def _ab(self):
        if self.params_ is None:
            raise ValueError("the model is not fitted yet: call fit(alive) first")
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
        """Share of those active in period ``t`` who renew for period ``t + 1``: ``(beta + t - 1) / (alpha + beta + t - 1)``.

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


# ---------------------------------------------------------------------------
# CLV
# ---------------------------------------------------------------------------
def customer_lifetime_value(
    transaction_model: BetaGeoModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin: float | pd.Series = 1.0,
    time_unit: str | None = None,
) -> pd.Series:
    """Discounted expected margin of each customer over the next ``months`` months.

    ``CLV = sum_{m=1..months} margin * E[spend] * (E[Y(m)] - E[Y(m-1)]) / (1 + d)^m``
    where ``E[Y(m)]`` is the BG/NBD expected number of purchases in the next
    ``m`` months and ``E[spend]`` the Gamma-Gamma expected spend per purchase
    (Fader, Hardie & Lee 2005b, sec. "CLV"; purchases discounted to the end of
    the month in which they happen).

    Parameters
    ----------
    transaction_model : BetaGeoModel
        Fitted; its time unit (``time_unit_``) converts months to model time.
    spend_model : GammaGammaModel
        Fitted.
    summary : DataFrame
        Customers to value (same time unit as the fit).
    months : int
        Horizon in months (e.g. 12 or 36).
    monthly_discount_rate : float
        Discount rate per month (e.g. 0.01; ~12.7 % a year).
    margin : float or Series
        Share of the spend that is margin (0-1), or one value per customer.
    time_unit : str, optional
        Override the model's time unit.

    Returns
    -------
    Series
        CLV in the currency of the data (euros), indexed like ``summary``.
    """
    if months != int(months) or months < 1:
        raise ValueError(f"months must be a whole number >= 1, got {months!r}")
    if not np.isfinite(monthly_discount_rate) or monthly_discount_rate < 0:
        raise ValueError(f"monthly_discount_rate must be >= 0, got {monthly_discount_rate!r}")
    if isinstance(margin, pd.Series):
        margin_arr = margin.reindex(summary.index).to_numpy(dtype=float)
    else:
        margin_arr = np.full(len(summary), float(margin))
    if np.any(~np.isfinite(margin_arr)) or np.any(margin_arr < 0) or np.any(margin_arr > 1):
        raise ValueError("margin must be a share between 0 and 1 (one number, or one per customer in summary)")
    unit = time_unit or getattr(transaction_model, "time_unit_", None) or summary.attrs.get("time_unit")
    if unit is None:
        raise ValueError("the time unit of the model is unknown (the summary did not record it): "
                         "pass time_unit='D', 'W' or 'M'")
    month_len = DAYS_PER_UNIT["M"] / _check_time_unit(unit)
    transaction_model._check_fitted()
    spend = spend_model.expected_spend(summary).to_numpy()
    p_alive = transaction_model.p_alive(summary).to_numpy()
    arr = _summary_arrays(summary)
    # the expected purchases of an alive customer depend on (frequency, T) only
    (x, T), inv, _ = _unique_rows(arr["frequency"], arr["T"])
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    for m in range(1, int(months) + 1):
        current = transaction_model._bracket(m * month_len, x, T)
        value += np.maximum(current - previous, 0.0) / (1 + monthly_discount_rate) ** m
        previous = current
    clv = value[inv] * p_alive * spend * margin_arr
    return pd.Series(clv, index=summary.index, name="clv")
