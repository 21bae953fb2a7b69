"""Uplift: whom a message changes, and whom to leave alone.

A campaign's average effect hides four kinds of customers (Radcliffe & Surry
2011): *persuadables* buy because of the message, *sure things* buy anyway,
*lost causes* never buy, and *sleeping dogs* are put off by it. An **uplift
model** predicts, per customer, the change the message causes
(``P(buy | message) − P(buy | no message)``), learnt from past campaigns that
kept a random control group.

Features: :func:`member_features` describes every campaign member from what
was known before the send date (orders, register) and the campaign.

Models (scikit-learn style, ``fit(X, treatment, y)`` → ``self``, ``predict(X)`` → uplift;
``sklearn.utils.validation.check_is_fitted`` tells a fitted model from a new one):

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
from sklearn.utils.validation import check_is_fitted

from helpers import columns, vocabulary
from helpers._checks import examples, require_columns, require_dates
from helpers.experiments import pre_period_features

__all__ = [
    "SAMPLE_CATEGORY_GROUPS",
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


def _check_fitted(model) -> None:
    """scikit-learn's fitted check with a message that says what to do."""
    check_is_fitted(model, msg="This %(name)s is not fitted yet: call fit(X, treatment, y) on a past campaign "
                               "with a control group before predicting uplift.")


def _predict_outcome(model, X) -> np.ndarray:
    if is_classifier(model) and hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


# ----------------------------------------------------------------------------
# features
# ----------------------------------------------------------------------------
#: The **sample company's** own grouping of its product categories (Kotiranta's
#: ``vocabulary.SAMPLE_CATEGORIES``), the default of :func:`member_features`.
#: A client's categories differ: pass its own grouping as ``category_groups``.
SAMPLE_CATEGORY_GROUPS = {
    "premium": ["decor", "lighting", "home_textiles"],
    "outdoor": ["garden", "outdoor"],
    "family": ["kids", "kitchen", "food_gifts"],
}


def _bought_by_group(orders: pd.DataFrame, groups: dict, channels, amount_col: str, category_col: str,
                     channel_col: str) -> dict[str, pd.Series]:
    """Euros bought (returns left out) per order line: in all, per category group and per channel."""
    grouped = [c for cats in groups.values() for c in cats]
    if groups and not orders[category_col].isin(grouped).any():
        raise ValueError(f"category_groups: none of its categories (e.g. {grouped[:3]}) occurs in the orders' "
                         f"{category_col!r}, which holds e.g. {examples(orders[category_col].dropna())}; the "
                         f"default grouping is the sample company's: pass category_groups for other data")
    gross = orders[amount_col].clip(lower=0)
    bought = {"_gross": gross}
    bought.update({f"_group_{g}": gross * orders[category_col].isin(cats) for g, cats in groups.items()})
    bought.update({f"_channel_{c}": gross * orders[channel_col].eq(c) for c in channels})
    return bought


def _register_facts(customers: pd.DataFrame, members: pd.DataFrame, customer_col: str, signup_date_col: str,
                    age_band_col: str) -> pd.DataFrame:
    """Sign-up date and age mid-point (years, ``vocabulary.AGE_MIDPOINTS``) per member row, in member order."""
    reg = customers.drop_duplicates(customer_col).set_index(customer_col)
    unknown = ~members[customer_col].isin(reg.index)
    if unknown.any():
        raise ValueError(f"members: {int(unknown.sum())} rows have a {customer_col} not in customers, "
                         f"e.g. {examples(members.loc[unknown, customer_col])}")
    reg = reg.reindex(members[customer_col])
    signup = require_dates(reg.reset_index(), signup_date_col, "customers (members' rows)")
    age = reg[age_band_col].astype(object).map(vocabulary.AGE_MIDPOINTS).astype(float).to_numpy()
    if np.isnan(age).all():
        raise ValueError(f"customers: column {age_band_col!r} holds no known age band among the members, e.g. "
                         f"{examples(reg[age_band_col].dropna())}; known bands: {list(vocabulary.AGE_MIDPOINTS)}")
    return pd.DataFrame({"signup": signup.to_numpy(), "age": age})


def _customer_features(hist: pd.DataFrame, send, register: pd.DataFrame, discount_before: str,
                       shares: dict[str, str]) -> pd.DataFrame:
    """The customer features of :func:`member_features` from the pre-period history and the register."""
    age = register["age"].to_numpy()
    bought = hist["_gross_before"].where(hist["_gross_before"] > 0)
    return pd.DataFrame({
        "log_days_since_last": np.log1p(hist["days_since_last"].fillna(1000)),
        "log_orders": np.log1p(hist["orders_before"]),
        "log_spend": np.log1p(hist["spend_before"].clip(lower=0)),
        "orders_90d": hist["orders_90d"].astype(float),
        "orders_365d": hist["orders_365d"].astype(float),
        "tenure_days": (send - register["signup"].to_numpy()) / np.timedelta64(1, "D"),
        "age": np.where(np.isnan(age), np.nanmedian(age), age),
        "log_avg_order": np.log1p(hist["_gross_before"] / hist["orders_before"].clip(lower=1)),
        "discount_share": (hist[discount_before] / (bought + hist[discount_before])).fillna(0.0),
        "return_share": ((hist["_gross_before"] - hist["spend_before"]) / bought).fillna(0.0).clip(0, 1),
        **{f"share_{name}": (hist[column] / bought).fillna(0.0) for name, column in shares.items()},
    }).reset_index(drop=True)


def _with_campaign_features(x: pd.DataFrame, campaign_ids: pd.Series, campaign_features: pd.DataFrame,
                            interactions: bool) -> pd.DataFrame:
    """Append the campaigns' numeric descriptors and, optionally, every customer × campaign product."""
    ctx = campaign_features.reindex(campaign_ids).reset_index(drop=True).astype(float)
    if ctx.isna().any().any():
        missing = ctx.isna().any(axis=1).to_numpy()
        raise ValueError(f"campaign_features lacks {int(missing.sum())} members' campaigns, "
                         f"e.g. {examples(campaign_ids[missing])}")
    parts = [x, ctx]
    if interactions:
        parts.append(pd.concat({f"{c}*{k}": x[c] * ctx[k] for k in ctx for c in x}, axis=1))
    return pd.concat(parts, axis=1)


def member_features(members: pd.DataFrame, orders: pd.DataFrame, campaigns: pd.DataFrame,
                    customers: pd.DataFrame, campaign_features: pd.DataFrame | None = None, *,
                    category_groups: dict[str, list[str]] | None = None, channels=("app", "web"),
                    interactions: bool = True, campaign_col: str = columns.CAMPAIGN,
                    customer_col: str = columns.CUSTOMER, order_col: str = columns.ORDER,
                    timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT,
                    margin_col: str = columns.MARGIN, discount_col: str = columns.DISCOUNT,
                    category_col: str = columns.CATEGORY, channel_col: str = columns.CHANNEL,
                    send_date_col: str = columns.SEND_DATE, signup_date_col: str = columns.SIGNUP_DATE,
                    age_band_col: str = columns.AGE_BAND) -> pd.DataFrame:
    """Features of every campaign member from what was known **before** the send date.

    Customer features (orders strictly before the member's send date, via
    :func:`helpers.experiments.pre_period_features`, and the register):
    ``log_days_since_last``, ``log_orders``, ``log_spend`` (euros, net of
    returns), ``orders_90d``, ``orders_365d``, ``tenure_days`` (since sign-up),
    ``age`` (mid-point of the age band in years, ``vocabulary.AGE_MIDPOINTS``;
    an unknown band gets the members' median), ``log_avg_order`` (euros per purchase),
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
        ``campaign_col``, ``customer_col`` (one row per member).
    orders : DataFrame
        Order lines with ``order_col``, ``customer_col``, ``timestamp_col`` (dates),
        ``amount_col``, ``discount_col``, ``margin_col`` (euros), ``category_col``, ``channel_col``.
    campaigns : DataFrame
        ``campaign_col`` and ``send_date_col`` (dates).
    customers : DataFrame
        ``customer_col``, ``signup_date_col`` (dates), ``age_band_col``; every member must be in it.
    campaign_features : DataFrame, optional
        Numeric campaign descriptors indexed by campaign id.
    category_groups : dict, optional
        Group name → list of categories. Default :data:`SAMPLE_CATEGORY_GROUPS`,
        **the sample company's** grouping: pass your own for other data. A
        grouping none of whose categories occurs in ``orders`` is refused.
    channels : sequence of str
        Channels (``vocabulary.CHANNELS``) whose share of bought euros is a feature;
        by default app and web, store being the rest.
    campaign_col, customer_col, order_col, timestamp_col, amount_col, margin_col, discount_col, \
category_col, channel_col, send_date_col, signup_date_col, age_band_col : str
        Column names (defaults: the data contract's, :mod:`helpers.columns`).

    Returns
    -------
    DataFrame
        One row per member, in the order of ``members`` (same index), numeric, no
        missing values. ``attrs["members_without_history"]`` counts members with no
        order before the send (their history features are zero);
        ``attrs["members_without_age_band"]`` those whose age band is missing or unknown.
    """
    groups = SAMPLE_CATEGORY_GROUPS if category_groups is None else category_groups
    require_columns(members, [campaign_col, customer_col], "members")
    require_columns(campaigns, [campaign_col, send_date_col], "campaigns")
    require_columns(customers, [customer_col, signup_date_col, age_band_col], "customers")
    require_columns(orders, [discount_col, category_col, channel_col], "orders")
    sent = campaigns[campaigns[campaign_col].isin(members[campaign_col])]
    send = pd.Series(require_dates(sent, send_date_col, "campaigns").to_numpy(), index=sent[campaign_col])
    bought = _bought_by_group(orders, groups, channels, amount_col, category_col, channel_col)
    hist = pre_period_features(members[[campaign_col, customer_col]], orders.assign(**bought), send,
                               windows=(90, 365), sums=[discount_col, *bought], campaign_col=campaign_col,
                               customer_col=customer_col, order_col=order_col, timestamp_col=timestamp_col,
                               amount_col=amount_col, margin_col=margin_col)
    register = _register_facts(customers, hist, customer_col, signup_date_col, age_band_col)
    shares = {**{g: f"_group_{g}_before" for g in groups}, **{c: f"_channel_{c}_before" for c in channels}}
    x = _customer_features(hist, send.reindex(hist[campaign_col]).to_numpy(), register,
                           f"{discount_col}_before", shares)
    if campaign_features is not None:
        x = _with_campaign_features(x, hist[campaign_col].reset_index(drop=True), campaign_features, interactions)
    x.index = members.index
    x.attrs["members_without_history"] = hist.attrs["members_without_history"]
    x.attrs["members_without_age_band"] = int(np.isnan(register["age"].to_numpy()).sum())
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
        Customers in each group of the training data.

    The attributes exist only after :meth:`fit` (scikit-learn's rule);
    predicting before it raises ``sklearn.exceptions.NotFittedError``.
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
        _check_fitted(self)
        with_msg = _predict_outcome(self.model_treatment_, X)
        without = _predict_outcome(self.model_control_, X)
        return pd.DataFrame({"with_message": with_msg, "without_message": without, "uplift": with_msg - without})

    def predict(self, X) -> np.ndarray:
        """Predicted uplift per customer (share of conversion probability, or euros)."""
        _check_fitted(self)
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

    The attributes exist only after :meth:`fit` (scikit-learn's rule);
    predicting before it raises ``sklearn.exceptions.NotFittedError``.
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
        _check_fitted(self)
        return 2 * self.model_.predict_proba(X)[:, 1] - 1


# ----------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------
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
