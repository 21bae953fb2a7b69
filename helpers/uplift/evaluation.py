"""Evaluating an uplift ranking on a held-out experiment: deciles, Qini and uplift curves, profit.

The individual effect is never observed, so every measure compares treated and
control customers *within* the top of the ranking.

References
----------
Radcliffe, N. J. (2007). Using control groups to target on predicted lift:
building and assessing uplift models. *Direct Marketing Analytics Journal* 1, 14–21.
Rzepakowski, P. & Jaroszewicz, S. (2012). Decision trees for uplift modeling with
single and multiple treatments. *Knowledge and Information Systems* 32, 303–327.
Gutierrez, P. & Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a
review of the literature. *PMLR* 67, 1–13.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._inputs import _check_outcome, _check_score, _check_treatment

__all__ = ["uplift_by_decile", "qini_curve", "uplift_curve", "qini_auc", "uplift_auc", "uplift_at_k",
           "profit_curve"]


def _ranked(y, treatment, score, extra=None):
    """Outcome, treatment, score and ``extra`` (zeros if None) by falling score, ties in input order."""
    t = _check_treatment(treatment)
    y = _check_outcome(y, t.size)
    s = _check_score(score, t.size)
    order = np.argsort(-s, kind="stable")
    extra = np.zeros(t.size) if extra is None else extra
    return y[order], t[order], s[order], extra[order]


def _cumulative(y, treatment, score, n_points: int | None, extra=None):
    """Cumulative counts (and sum of ``extra``) over the ranking, at the ends of groups of tied scores."""
    y, t, s, extra = _ranked(y, treatment, score, extra)
    n = t.size
    n_t = np.cumsum(t)
    n_c = np.cumsum(1 - t)
    y_t = np.cumsum(y * t)
    y_c = np.cumsum(y * (1 - t))
    ends = np.r_[np.flatnonzero(np.diff(s) != 0), n - 1]  # last row of each tie group
    if n_points is not None and ends.size > n_points:
        wanted = np.ceil(np.linspace(0, n, n_points + 1)[1:]).astype(int) - 1
        ends = ends[np.unique(np.searchsorted(ends, wanted))]
    return n, ends + 1, n_t[ends], n_c[ends], y_t[ends], y_c[ends], np.cumsum(extra)[ends]


def _uplift_times_targeted(k, n_t, n_c, y_t, y_c) -> np.ndarray:
    """``(Y_t/N_t − Y_c/N_c) · k`` at each cut-off; 0 where the top holds no treated or no control customer yet."""
    ok = (n_t > 0) & (n_c > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, (y_t / np.where(ok, n_t, 1) - y_c / np.where(ok, n_c, 1)) * k, 0.0)


def qini_curve(y, treatment, uplift, n_points: int | None = 100) -> pd.DataFrame:
    """Qini curve: extra outcomes gained by targeting the top of an uplift ranking.

    At each cut-off the Qini value is ``Y_t − Y_c · N_t / N_c`` (Radcliffe 2007):
    outcomes (buyers, or euros) of the treated in the top minus what the same
    number of customers would have produced without the message, estimated from
    the controls in the top. The straight line from 0 to the last point is random
    targeting.

    Parameters
    ----------
    y : array-like
        Outcome per customer of a held-out experiment (0/1 or euros).
    treatment : array-like of 0/1
        1 = got the message.
    uplift : array-like
        Predicted uplift (only its ranking matters).
    n_points : int, optional
        Number of points (cut-offs) to return; ``None`` = every distinct score.

    Returns
    -------
    DataFrame
        ``share_targeted`` (0–1), ``n_targeted``, ``qini`` (extra outcomes in units
        of ``y``) and ``random`` (the random-targeting line), starting at (0, 0).
    """
    n, k, n_t, n_c, y_t, y_c, _ = _cumulative(y, treatment, uplift, n_points)
    q = y_t - y_c * n_t / np.maximum(n_c, 1)  # no controls yet: nothing to subtract (y_c = 0)
    share = k / n
    return pd.DataFrame({"share_targeted": np.r_[0.0, share], "n_targeted": np.r_[0, k],
                         "qini": np.r_[0.0, q], "random": np.r_[0.0, share * q[-1]]})


def uplift_curve(y, treatment, uplift, n_points: int | None = 100) -> pd.DataFrame:
    """Uplift curve: ``(Y_t/N_t − Y_c/N_c) · (N_t + N_c)`` at each cut-off.

    The uplift (difference of response rates) within the top of the ranking,
    times the number targeted (Rzepakowski & Jaroszewicz 2012; Gutierrez &
    Gérardy 2017). Same columns as :func:`qini_curve` with ``uplift`` in place of
    ``qini``; cut-offs with no treated or no control customer yet have 0.
    """
    n, k, n_t, n_c, y_t, y_c, _ = _cumulative(y, treatment, uplift, n_points)
    u = _uplift_times_targeted(k, n_t, n_c, y_t, y_c)
    share = k / n
    return pd.DataFrame({"share_targeted": np.r_[0.0, share], "n_targeted": np.r_[0, k],
                         "uplift": np.r_[0.0, u], "random": np.r_[0.0, share * u[-1]]})


def _area_above_random(curve: pd.DataFrame, column: str) -> float:
    x = curve["share_targeted"].to_numpy()
    gap = curve[column].to_numpy() - curve["random"].to_numpy()
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(x)))


def qini_auc(y, treatment, uplift, n_points: int | None = None, per_customer: bool = True) -> float:
    """Area between the Qini curve and the random-targeting line (the Qini coefficient).

    Positive = the ranking finds more persuadables at the top than random
    targeting; 0 = no better than random; negative = worse (it puts sleeping
    dogs first). With ``per_customer=True`` the area is divided by the number of
    customers, so it does not grow with the size of the hold-out and is in
    units of ``y`` per customer (extra conversions per customer for 0/1 outcomes).
    """
    curve = qini_curve(y, treatment, uplift, n_points)
    area = _area_above_random(curve, "qini")
    return area / curve["n_targeted"].iloc[-1] if per_customer else area


def uplift_auc(y, treatment, uplift, n_points: int | None = None, per_customer: bool = True) -> float:
    """Area between the uplift curve and the random-targeting line (see :func:`qini_auc`)."""
    curve = uplift_curve(y, treatment, uplift, n_points)
    area = _area_above_random(curve, "uplift")
    return area / curve["n_targeted"].iloc[-1] if per_customer else area


def uplift_at_k(y, treatment, uplift, k: float = 0.3) -> float:
    """Observed uplift (treated rate − control rate) among the top ``k`` share of the ranking.

    ``k`` is a share of all customers (0.3 = the best-ranked 30 %), counted over
    both groups together. Returns the difference in mean outcome (share for 0/1
    outcomes, euros for money).
    """
    if not 0 < k <= 1:
        raise ValueError(f"k must be a share in (0, 1]; got {k!r}")
    y, t, _, _ = _ranked(y, treatment, uplift)
    top = int(np.ceil(k * t.size))
    yt, tt = y[:top], t[:top]
    if tt.sum() == 0 or tt.sum() == top:
        raise ValueError(f"the top {k:.0%} ({top} customers) holds no treated or no control customer")
    return float(yt[tt == 1].mean() - yt[tt == 0].mean())


def uplift_by_decile(y, treatment, uplift, bins: int = 10) -> pd.DataFrame:
    """Observed response rates of treated and controls in each decile of predicted uplift.

    Decile 1 holds the customers with the highest predicted uplift. A good model
    shows observed uplift falling from the first decile to the last; the bottom
    deciles of a campaign with sleeping dogs go negative.

    Returns
    -------
    DataFrame
        One row per decile: ``decile``, ``n_treatment``, ``n_control``,
        ``rate_treatment``, ``rate_control``, ``uplift`` (observed difference),
        ``predicted_uplift`` (mean prediction).
    """
    y, t, s, _ = _ranked(y, treatment, uplift)
    if not 2 <= bins <= t.size:
        raise ValueError(f"bins must be between 2 and the number of customers ({t.size}); got {bins!r}")
    decile = (np.arange(t.size) * bins // t.size) + 1
    df = pd.DataFrame({"decile": decile, "t": t, "y": y, "s": s})
    g = df.groupby("decile")
    out = pd.DataFrame({
        "n_treatment": g["t"].sum(),
        "n_control": g["t"].size() - g["t"].sum(),
        "rate_treatment": df[df.t == 1].groupby("decile")["y"].mean(),
        "rate_control": df[df.t == 0].groupby("decile")["y"].mean(),
        "predicted_uplift": g["s"].mean(),
    })
    out["uplift"] = out["rate_treatment"] - out["rate_control"]
    return out.reset_index()[["decile", "n_treatment", "n_control", "rate_treatment", "rate_control",
                              "uplift", "predicted_uplift"]]


def profit_curve(y, treatment, uplift, cost_per_contact, value_per_unit: float = 1.0,
                 population: int | None = None, n_points: int | None = 100) -> pd.DataFrame:
    """Profit of contacting the top of an uplift ranking, estimated on a held-out experiment.

    At each cut-off, the extra outcome per contacted customer is the observed
    uplift in the top (treated mean − control mean, as in :func:`uplift_curve`);
    times ``value_per_unit`` (e.g. the margin of one extra conversion, or 1 when
    ``y`` is already margin in euros) and the number contacted, minus the contact
    cost. Contacting nobody earns 0.

    Parameters
    ----------
    y, treatment, uplift
        As in :func:`qini_curve`.
    cost_per_contact : float or array-like
        Euros per message; an array gives each customer's own cost (e.g. SMS
        dearer than e-mail), summed over the contacted in ranking order.
    value_per_unit : float
        Euros per unit of ``y``.
    population : int, optional
        Scale the counts to a customer base of this size (the hold-out is a sample
        of it); default: the hold-out size.

    Returns
    -------
    DataFrame
        ``share_targeted``, ``n_contacted``, ``incremental_value`` (euros),
        ``cost`` (euros), ``profit`` (euros).
    """
    t = _check_treatment(treatment)
    cost_arr = np.broadcast_to(np.asarray(cost_per_contact, dtype=float), t.shape).copy()
    if not np.isfinite(cost_arr).all() or (cost_arr < 0).any():
        raise ValueError(f"cost_per_contact must be non-negative euros; {int((~(cost_arr >= 0)).sum())} values are not")
    n, k, n_t, n_c, y_t, y_c, cum_cost = _cumulative(y, t, uplift, n_points, extra=cost_arr)
    u = _uplift_times_targeted(k, n_t, n_c, y_t, y_c)
    scale = (population / n) if population else 1.0
    n_contacted = np.r_[0, k] * scale
    value = np.r_[0.0, u] * scale * value_per_unit
    cost = np.r_[0.0, cum_cost] * scale
    return pd.DataFrame({"share_targeted": np.r_[0.0, k / n], "n_contacted": n_contacted,
                         "incremental_value": value, "cost": cost, "profit": value - cost})
