"""Three ways of flagging "about to leave", and how to compare them.

1. **A rule**: the more days since the last purchase, the likelier gone --
   what most marketing teams use first (Wübben & von Wangenheim 2008,
   "Instant customer base analysis: managerial heuristics often 'get it
   right'", *Journal of Marketing* 72(3), 82-93).
2. **The BG/NBD model** of lesson 02 (Fader, Hardie & Lee 2005): P(alive),
   and the chance of no purchase in the horizon,
   ``P(no purchase in t) = 1 - P(alive) + P(alive) * ((alpha + T) / (alpha + T + t)) ** (r + x)``
   (the Poisson-gamma probability of no event while alive, times being alive).
3. **A classifier** on the behavioural features of :mod:`~helpers.churn.split`:
   a logistic regression and gradient-boosted trees (scikit-learn), trained
   on an earlier cut-off whose outcome is known (Neslin et al. 2006).

They are compared by ROC AUC (the chance that a random leaver is ranked
above a random stayer), the **lift in the top decile** (the leaving rate
among the 10 % ranked most at risk, over the overall rate: what a retention
campaign to a tenth of the base gains) and **calibration** (do 30 % of the
customers given 30 % leave?): the Brier score and the expected calibration
error over ten bins of predicted probability (Naeini, Cooper & Hauskrecht
2015, AAAI). A rule has no probability: its calibration is left empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers import clv, columns
from helpers._checks import examples
from helpers.churn._common import sale_lines
from helpers.churn.split import ChurnSplit, churn_split

#: Names of the methods in the comparison table.
RULE, BGNBD, LOGISTIC, BOOSTED = ("days since last purchase", "BG/NBD", "logistic regression",
                                  "gradient-boosted trees")


def recency_rule(split: ChurnSplit) -> pd.Series:
    """The rule's score: days since the last purchase (higher = likelier gone). A ranking, not a probability."""
    return split.features["recency_days"].astype(float).rename(RULE)


def bgnbd_summary(orders: pd.DataFrame, split: ChurnSplit, *, customer_col: str = columns.CUSTOMER,
                  timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT) -> pd.DataFrame:
    """The BG/NBD summary (weeks) of the split's customers at its cut-off, from the sale lines only.

    Returns are not purchases. Rows after the cut-off are left out and counted
    (``attrs["rows_after_observation_end"]``, :func:`helpers.clv.rfm_summary`).
    """
    sales = sale_lines(orders, amount_col)
    summary = clv.rfm_summary(sales, customer_col, timestamp_col, amount_col, observation_end=split.cutoff,
                              time_unit="W")
    out = summary.reindex(split.features.index)
    if out["frequency"].isna().any():
        lost = out.index[out["frequency"].isna()]
        raise ValueError(f"bgnbd_churn: {len(lost)} customers of the split have no sale line in orders, "
                         f"e.g. {examples(lost)}: pass the orders the split was made from")
    out.attrs.update(summary.attrs)
    return out


def bgnbd_churn(orders: pd.DataFrame, split: ChurnSplit, *, customer_col: str = columns.CUSTOMER,
                timestamp_col: str = columns.TIMESTAMP, amount_col: str = columns.AMOUNT,
                model: clv.BetaGeoModel | None = None) -> pd.DataFrame:
    """BG/NBD P(alive) at the cut-off and the chance of no purchase in the split's horizon.

    Fits :class:`helpers.clv.BetaGeoModel` (weeks) on the purchases up to
    ``split.cutoff`` (:func:`bgnbd_summary`), unless a fitted ``model`` is given.

    Returns
    -------
    DataFrame
        Indexed like ``split.features``: ``p_alive`` and ``p_no_purchase``
        (0-1; the chance of no purchase day in the ``horizon_days`` after the cut-off).
    """
    summary = bgnbd_summary(orders, split, customer_col=customer_col, timestamp_col=timestamp_col,
                            amount_col=amount_col)
    model = model if model is not None else clv.BetaGeoModel().fit(summary)
    p_alive = model.p_alive(summary).to_numpy()
    r, alpha = model.params_["r"], model.params_["alpha"]
    t = split.horizon_days / 7
    x, T = summary["frequency"].to_numpy(), summary["T"].to_numpy()
    quiet_if_alive = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    return pd.DataFrame({"p_alive": p_alive, "p_no_purchase": 1 - p_alive + p_alive * quiet_if_alive},
                        index=split.features.index)


def churn_classifiers(seed: int = 0) -> dict:
    """The two classifiers, unfitted: a scaled logistic regression and gradient-boosted trees.

    Gradient boosting (``HistGradientBoostingClassifier``) is the tree
    ensemble: it minimises the log-loss, so its probabilities are usually
    well calibrated; the trees' depth and the learning rate are modest so it
    does not memorise a few thousand customers.
    """
    return {
        LOGISTIC: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        BOOSTED: HistGradientBoostingClassifier(learning_rate=0.05, max_iter=200, max_leaf_nodes=15,
                                                min_samples_leaf=40, random_state=seed),
    }


def fit_classifiers(train: ChurnSplit, seed: int = 0) -> dict:
    """Fit :func:`churn_classifiers` on a split whose outcome is known (an earlier cut-off)."""
    if train.left.nunique() < 2:
        raise ValueError(f"fit_classifiers: the training split's label has one value only "
                         f"({train.left.iloc[0]}): nobody or everybody left; choose another cut-off or horizon")
    models = churn_classifiers(seed)
    for model in models.values():
        model.fit(train.features, train.left)
    return models


def classifier_churn(models: dict, split: ChurnSplit) -> pd.DataFrame:
    """Each fitted classifier's probability of leaving for the customers of ``split``.

    The split's feature columns must be those the models were trained on
    (the same :func:`~helpers.churn.split.churn_features` options).
    """
    out = {}
    for name, model in models.items():
        trained_on = list(getattr(model, "feature_names_in_", split.features.columns))
        missing = [c for c in trained_on if c not in split.features.columns]
        if missing:
            raise ValueError(f"classifier_churn: the split lacks feature(s) {missing} that {name!r} was "
                             f"trained on: build both splits with the same churn_features options")
        out[name] = model.predict_proba(split.features[trained_on])[:, 1]
    return pd.DataFrame(out, index=split.features.index)


def top_decile_lift(score, left) -> float:
    """Leaving rate among the 10 % highest scores over the overall rate (ties broken by order, stably)."""
    score, left = np.asarray(score, dtype=float), np.asarray(left, dtype=float)
    k = max(1, int(round(0.1 * len(score))))
    top = np.argsort(-score, kind="stable")[:k]
    return float(left[top].mean() / left.mean())


def calibration_table(probability, left, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed leaving rate, in equal-width bins of the prediction."""
    p, y = np.asarray(probability, dtype=float), np.asarray(left, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    b = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = pd.DataFrame({"bin": b, "predicted": p, "observed": y}).groupby("bin").agg(
        n=("observed", "size"), mean_predicted=("predicted", "mean"), observed_rate=("observed", "mean"))
    table.insert(0, "from", edges[table.index])
    table.insert(1, "to", edges[table.index + 1])
    return table.reset_index(drop=True)


def compare_churn_methods(scores: pd.DataFrame, left: pd.Series, probabilities=None) -> pd.DataFrame:
    """ROC AUC, top-decile lift and calibration of each method's score against who left.

    Parameters
    ----------
    scores : DataFrame
        One column per method, indexed by customer (higher = likelier to leave).
    left : Series
        1 = left, 0 = stayed, indexed by customer (every customer of ``scores``).
    probabilities : list of str, optional
        The columns that are probabilities (calibration is measured for
        these only); default every column but the rule :data:`RULE`.

    Returns
    -------
    DataFrame
        One row per method: ``roc_auc``, ``top_decile_lift``,
        ``top_decile_rate`` and ``base_rate`` (shares), ``brier`` and
        ``calibration_error`` (mean absolute gap between predicted and
        observed rates over ten bins, weighted by their customers; NaN for a
        ranking that is not a probability).
    """
    y = left.reindex(scores.index)
    if y.isna().any():
        raise ValueError(f"compare_churn_methods: {int(y.isna().sum())} customers of scores have no label, "
                         f"e.g. {examples(scores.index[y.isna()])}")
    if y.nunique() < 2:
        raise ValueError("compare_churn_methods: everybody stayed or everybody left; the comparison needs both")
    probabilities = [c for c in scores.columns if c != RULE] if probabilities is None else list(probabilities)
    rows = []
    for name in scores.columns:
        s = scores[name].to_numpy(dtype=float)
        row = {"method": name, "roc_auc": roc_auc_score(y, s), "top_decile_lift": top_decile_lift(s, y),
               "top_decile_rate": top_decile_lift(s, y) * y.mean(), "base_rate": y.mean(),
               "brier": np.nan, "calibration_error": np.nan}
        if name in probabilities:
            table = calibration_table(s, y)
            row["brier"] = brier_score_loss(y, s)
            row["calibration_error"] = float(np.average((table["mean_predicted"] - table["observed_rate"]).abs(),
                                                        weights=table["n"]))
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ChurnComparison:
    """The three methods on one split: their scores, the comparison table and the fitted models."""

    scores: pd.DataFrame  # one column per method, indexed by customer
    table: pd.DataFrame  # :func:`compare_churn_methods` (empty when the split has no label yet)
    models: dict  # the fitted classifiers and the BG/NBD ("BG/NBD")
    train: ChurnSplit
    test: ChurnSplit


def compare_methods_out_of_time(orders: pd.DataFrame, train_cutoff, test_cutoff, horizon_days: int = 182, *,
                                observation_end=None, seed: int = 0, customer_col: str = columns.CUSTOMER,
                                timestamp_col: str = columns.TIMESTAMP,
                                amount_col: str = columns.AMOUNT) -> ChurnComparison:
    """Train the classifiers at ``train_cutoff``, score every method at ``test_cutoff``, compare them.

    ``train_cutoff + horizon_days`` must fall on or before ``test_cutoff``
    (the training label is known by then, nothing of the test period leaks
    in) and ``test_cutoff + horizon_days`` on or before the data's end.
    """
    cols = {"customer_col": customer_col, "timestamp_col": timestamp_col, "amount_col": amount_col}
    train = churn_split(orders, train_cutoff, horizon_days, observation_end=observation_end, **cols)
    test = churn_split(orders, test_cutoff, horizon_days, observation_end=observation_end, **cols)
    if train.horizon_end > test.cutoff:
        raise ValueError(f"compare_methods_out_of_time: the training label runs to {train.horizon_end.date()}, "
                         f"after the test cut-off {test.cutoff.date()}: it would use the test period; choose a "
                         f"train_cutoff on or before {(test.cutoff - pd.Timedelta(days=horizon_days)).date()}")
    models = fit_classifiers(train, seed)
    bgnbd = clv.BetaGeoModel().fit(bgnbd_summary(orders, test, **cols))
    bg = bgnbd_churn(orders, test, model=bgnbd, **cols)
    scores = pd.concat([recency_rule(test), bg["p_no_purchase"].rename(BGNBD), classifier_churn(models, test)],
                       axis=1)
    return ChurnComparison(scores, compare_churn_methods(scores, test.left), {**models, BGNBD: bgnbd}, train, test)
