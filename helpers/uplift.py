"""Uplift: whom a message changes, and whom to leave alone.

A campaign's average effect hides four kinds of customers (Radcliffe & Surry
2011): *persuadables* buy because of the message, *sure things* buy anyway,
*lost causes* never buy, and *sleeping dogs* are put off by it. An **uplift
model** predicts, per customer, the change the message causes
(``P(buy | message) − P(buy | no message)``), learnt from past campaigns that
kept a random control group.

Features: :func:`member_features` describes every campaign member from what
was known before the send date (orders, register) and the campaign.

Models (scikit-learn style, ``fit(X, treatment, y)`` → ``self``, ``predict(X)`` → uplift):

- :class:`TwoModelUplift` — one model on the treated, one on the controls, the
  difference of their predictions (the "T-learner").
- :class:`ClassTransformationUplift` — one classifier on a transformed label
  (Jaskowski & Jaroszewicz 2012); unequal group sizes are re-weighted to 50/50.

Evaluation on a held-out experiment (the individual effect is never observed,
so curves compare treated and control customers *within* the top of the ranking):
:func:`uplift_by_decile`, :func:`qini_curve`, :func:`uplift_curve`,
:func:`qini_auc`, :func:`uplift_auc`, :func:`uplift_at_k` and, in euros,
:func:`profit_curve`.

References
----------
Radcliffe, N. J. (2007). Using control groups to target on predicted lift:
building and assessing uplift models. *Direct Marketing Analytics Journal* 1, 14–21.
Radcliffe, N. J. & Surry, P. D. (2011). Real-world uplift modelling with
significance-based uplift trees. Stochastic Solutions white paper.
Jaskowski, M. & Jaroszewicz, S. (2012). Uplift modeling for clinical trial data.
*ICML Workshop on Clinical Data Analysis*.
Gutierrez, P. & Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a
review of the literature. *PMLR* 67, 1–13.
Künzel, S. R., Sekhon, J. S., Bickel, P. J. & Yu, B. (2019). Metalearners for
estimating heterogeneous treatment effects. *PNAS* 116(10), 4156–4165.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from helpers.experiments import pre_period_features
from helpers._checks import require_columns

__all__ = [
    "member_features",
    "TwoModelUplift",
    "ClassTransformationUplift",
    "uplift_by_decile",
    "qini_curve",
    "uplift_curve",
    "qini_auc",
    "uplift_auc",
    "uplift_at_k",
    "profit_curve",
]


# ----------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------
def _check_treatment(treatment, n: int | None = None) -> np.ndarray:
    t = np.asarray(treatment).ravel()
    if n is not None and t.size != n:
        raise ValueError(f"treatment has {t.size} rows but the data has {n}: lengths must match")
    try:
        tf = t.astype(float)
    except (TypeError, ValueError):
        tf = np.full(t.size, np.nan)
    bad = ~np.isin(tf, [0.0, 1.0])
    if bad.any():
        raise ValueError(f"treatment must be 0/1 (1 = got the message); {int(bad.sum())} of {t.size} rows are not, "
                         f"e.g. {pd.unique(t[bad])[:3].tolist()}")
    t = tf.astype(np.int8)
    n_t = int(t.sum())
    if n_t == 0 or n_t == t.size:
        raise ValueError(f"treatment has {n_t} treated and {t.size - n_t} control rows: "
                         "both groups are needed (a group of size zero)")
    return t


def _check_outcome(y, n: int, binary: bool = False) -> np.ndarray:
    arr = np.asarray(y, dtype=float).ravel()
    if arr.size != n:
        raise ValueError(f"y has {arr.size} rows but treatment has {n}: lengths must match")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"y has {int(bad.sum())} missing or infinite values, e.g. at rows {np.flatnonzero(bad)[:3].tolist()}")
    if binary and not np.isin(arr, [0.0, 1.0]).all():
        nb = ~np.isin(arr, [0.0, 1.0])
        raise ValueError(f"y must be 0/1 for this model; {int(nb.sum())} rows are not, e.g. {np.unique(arr[nb])[:3].tolist()}")
    return arr


def _check_score(score, n: int) -> np.ndarray:
    s = np.asarray(score, dtype=float).ravel()
    if s.size != n:
        raise ValueError(f"uplift scores have {s.size} rows but y has {n}: lengths must match")
    if not np.isfinite(s).all():
        raise ValueError(f"uplift scores have {int((~np.isfinite(s)).sum())} missing or infinite values")
    return s


def _n_rows(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _predict_outcome(model, X) -> np.ndarray:
    if is_classifier(model) and hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


# ----------------------------------------------------------------------------
# features
# ----------------------------------------------------------------------------
AGE_MIDPOINT = {"18-24": 21, "25-34": 30, "35-44": 40, "45-54": 50, "55-64": 60, "65+": 70}
CATEGORY_GROUPS = {
    "premium": ["decor", "lighting", "home_textiles"],
    "outdoor": ["garden", "outdoor"],
    "family": ["kids", "kitchen", "food_gifts"],
}


def member_features(members: pd.DataFrame, orders: pd.DataFrame, campaigns: pd.DataFrame,
                    customers: pd.DataFrame, campaign_features: pd.DataFrame | None = None, *,
                    category_groups: dict[str, list[str]] | None = None, channels=("app", "web"),
                    interactions: bool = True) -> pd.DataFrame:
    """Features of every campaign member from what was known **before** the send date.

    Customer features (orders strictly before the member's send date, via
    :func:`helpers.experiments.pre_period_features`, and the register):
    ``log_days_since_last``, ``log_orders``, ``log_spend`` (euros, net of
    returns), ``orders_90d``, ``orders_365d``, ``tenure_days`` (since sign-up),
    ``age`` (mid-point of the age band), ``log_avg_order`` (euros per purchase),
    ``discount_share`` (discount / list value bought), ``return_share`` (returned /
    bought euros) and ``share_<group>`` of bought euros per category group and
    per channel. Campaign features are whatever numeric columns
    ``campaign_features`` holds (e.g. discount offer, SMS); with
    ``interactions=True`` every customer feature is also multiplied by every
    campaign feature, so that a linear model can learn that a discount moves one
    kind of customer and not another.

    Parameters
    ----------
    members : DataFrame
        ``campaign_id``, ``customer_id`` (one row per member).
    orders : DataFrame
        Order lines with ``order_id``, ``customer_id``, ``timestamp``, ``amount``,
        ``discount``, ``margin``, ``category``, ``channel`` (euros).
    campaigns : DataFrame
        ``campaign_id`` and ``send_date``.
    customers : DataFrame
        ``customer_id``, ``signup_date``, ``age_band``; every member must be in it.
    campaign_features : DataFrame, optional
        Numeric campaign descriptors indexed by ``campaign_id``.
    category_groups : dict, optional
        Group name → list of categories (default :data:`CATEGORY_GROUPS`).

    Returns
    -------
    DataFrame
        One row per member, in the order of ``members`` (same index), numeric, no
        missing values. ``attrs["members_without_history"]`` counts members with no
        order before the send (their history features are zero).
    """
    groups = CATEGORY_GROUPS if category_groups is None else category_groups
    require_columns(customers, ["customer_id", "signup_date", "age_band"], "customers")
    gross = orders["amount"].clip(lower=0)
    extra = {"gross": gross}
    extra.update({g: gross * orders["category"].isin(cats) for g, cats in groups.items()})
    extra.update({c: gross * orders["channel"].eq(c) for c in channels})
    send = campaigns.set_index("campaign_id")["send_date"]
    hist = pre_period_features(members[["campaign_id", "customer_id"]], orders.assign(**extra), send,
                               windows=(90, 365), sums=["discount", *extra])
    reg = customers.drop_duplicates("customer_id").set_index("customer_id")
    unknown = ~hist["customer_id"].isin(reg.index)
    if unknown.any():
        raise ValueError(f"members: {int(unknown.sum())} rows have a customer_id not in customers, "
                         f"e.g. {hist.loc[unknown, 'customer_id'].unique()[:3].tolist()}")
    signup = reg["signup_date"].reindex(hist["customer_id"]).to_numpy()
    band = reg["age_band"].reindex(hist["customer_id"])
    age = band.map(AGE_MIDPOINT).astype(float).to_numpy()
    bought = hist["gross_before"].where(hist["gross_before"] > 0)
    x = pd.DataFrame({
        "log_days_since_last": np.log1p(hist["days_since_last"].fillna(1000)),
        "log_orders": np.log1p(hist["orders_before"]),
        "log_spend": np.log1p(hist["spend_before"].clip(lower=0)),
        "orders_90d": hist["orders_90d"].astype(float),
        "orders_365d": hist["orders_365d"].astype(float),
        "tenure_days": (send.reindex(hist["campaign_id"]).to_numpy() - signup) / np.timedelta64(1, "D"),
        "age": np.where(np.isnan(age), np.nanmedian(age), age),
        "log_avg_order": np.log1p(hist["gross_before"] / hist["orders_before"].clip(lower=1)),
        "discount_share": (hist["discount_before"] / (bought + hist["discount_before"])).fillna(0.0),
        "return_share": ((hist["gross_before"] - hist["spend_before"]) / bought).fillna(0.0).clip(0, 1),
        **{f"share_{g}": (hist[f"{g}_before"] / bought).fillna(0.0) for g in [*groups, *channels]},
    }).reset_index(drop=True)
    if campaign_features is not None:
        ctx = campaign_features.reindex(hist["campaign_id"]).reset_index(drop=True).astype(float)
        if ctx.isna().any().any():
            raise ValueError(f"campaign_features lacks {int(ctx.isna().any(axis=1).sum())} members' campaigns")
        parts = [x, ctx]
        if interactions:
            parts.append(pd.concat({f"{c}*{k}": x[c] * ctx[k] for k in ctx for c in x}, axis=1))
        x = pd.concat(parts, axis=1)
    x.index = members.index
    x.attrs["members_without_history"] = hist.attrs["members_without_history"]
    return x


# ----------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------
class TwoModelUplift(BaseEstimator):
    """Uplift as the difference of two outcome models (T-learner).

    One copy of ``estimator`` learns the outcome among treated customers, one
    among controls; the uplift is ``model_t(x) − model_c(x)`` (Künzel et al. 2019;
    Gutierrez & Gérardy 2017). Simple and works with any estimator, but each
    model chases the outcome, not the difference, so it can be noisy when the
    control group is small.

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        A classifier with ``predict_proba`` for 0/1 outcomes (uplift in
        conversion probability), or a regressor for euros (uplift in euros).
        Default: logistic regression.

    Attributes
    ----------
    model_treatment_, model_control_ : fitted estimators
    n_treatment_, n_control_ : int
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, treatment, y):
        n = _n_rows(X)
        t = _check_treatment(treatment, n)
        y = _check_outcome(y, n)
        base = self.estimator if self.estimator is not None else LogisticRegression(max_iter=1000)
        X_arr = X if hasattr(X, "iloc") else np.asarray(X)
        take = (lambda m: X_arr.iloc[m]) if hasattr(X_arr, "iloc") else (lambda m: X_arr[m])
        self.model_treatment_ = clone(base).fit(take(t == 1), y[t == 1])
        self.model_control_ = clone(base).fit(take(t == 0), y[t == 0])
        self.n_treatment_, self.n_control_ = int(t.sum()), int((1 - t).sum())
        return self

    def predict_outcomes(self, X) -> pd.DataFrame:
        """Predicted outcome with and without the message, and their difference."""
        with_msg = _predict_outcome(self.model_treatment_, X)
        without = _predict_outcome(self.model_control_, X)
        return pd.DataFrame({"with_message": with_msg, "without_message": without, "uplift": with_msg - without})

    def predict(self, X) -> np.ndarray:
        """Predicted uplift per customer (share of conversion probability, or euros)."""
        return _predict_outcome(self.model_treatment_, X) - _predict_outcome(self.model_control_, X)


class ClassTransformationUplift(BaseEstimator):
    """Uplift from one classifier on a transformed label (Jaskowski & Jaroszewicz 2012).

    The label ``z = 1`` for treated buyers and for control non-buyers, else 0.
    With equal group sizes ``uplift(x) = 2 P(z = 1 | x) − 1``. Campaigns rarely
    split 50/50 (a 10 % control group is usual), so each customer is weighted
    ``0.5 / share_of_own_group``, which makes the weighted split 50/50 and keeps
    the identity exact. The estimator (or the last step of a ``Pipeline``) must
    accept ``sample_weight`` in ``fit``.
    0/1 outcomes only.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Default: logistic regression.

    Attributes
    ----------
    model_ : fitted classifier of ``z``
    treatment_share_ : float
        Share of treated customers in the training data.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, treatment, y):
        n = _n_rows(X)
        t = _check_treatment(treatment, n)
        y = _check_outcome(y, n, binary=True)
        share = float(t.mean())
        z = (y * t + (1 - y) * (1 - t)).astype(int)
        weight = np.where(t == 1, 0.5 / share, 0.5 / (1 - share))
        base = self.estimator if self.estimator is not None else LogisticRegression(max_iter=1000)
        model = clone(base)
        # a Pipeline routes the weights to its last step (the classifier)
        key = f"{model.steps[-1][0]}__sample_weight" if isinstance(model, Pipeline) else "sample_weight"
        self.model_ = model.fit(X, z, **{key: weight})
        self.treatment_share_ = share
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted uplift in conversion probability (−1 … 1) per customer."""
        return 2 * self.model_.predict_proba(X)[:, 1] - 1


# ----------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------
def _ranked(y, treatment, score, extra=None):
    t = _check_treatment(treatment)
    y = _check_outcome(y, t.size)
    s = _check_score(score, t.size)
    order = np.argsort(-s, kind="stable")
    if extra is not None:
        return y[order], t[order], s[order], extra[order]
    return y[order], t[order], s[order]


def _cumulative(y, treatment, score, n_points: int | None, extra=None):
    """Cumulative counts over the ranking, evaluated at the ends of groups of tied scores."""
    if extra is None:
        y, t, s = _ranked(y, treatment, score)
    else:
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
    k = ends + 1
    if extra is not None:
        return n, k, n_t[ends], n_c[ends], y_t[ends], y_c[ends], np.cumsum(extra)[ends]
    return n, k, n_t[ends], n_c[ends], y_t[ends], y_c[ends]


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
    n, k, n_t, n_c, y_t, y_c = _cumulative(y, treatment, uplift, n_points)
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
    n, k, n_t, n_c, y_t, y_c = _cumulative(y, treatment, uplift, n_points)
    ok = (n_t > 0) & (n_c > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(ok, (y_t / np.where(ok, n_t, 1) - y_c / np.where(ok, n_c, 1)) * k, 0.0)
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
    y, t, _ = _ranked(y, treatment, uplift)
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
    y, t, s = _ranked(y, treatment, uplift)
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
    ok = (n_t > 0) & (n_c > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(ok, (y_t / np.where(ok, n_t, 1) - y_c / np.where(ok, n_c, 1)) * k, 0.0)
    scale = (population / n) if population else 1.0
    n_contacted = np.r_[0, k] * scale
    value = np.r_[0.0, u] * scale * value_per_unit
    cost = np.r_[0.0, cum_cost] * scale
    return pd.DataFrame({"share_targeted": np.r_[0.0, k / n], "n_contacted": n_contacted,
                         "incremental_value": value, "cost": cost, "profit": value - cost})
