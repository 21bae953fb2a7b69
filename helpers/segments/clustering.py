"""Clustering customers into segments with scikit-learn pipelines, and judging the number of segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from helpers._checks import examples, require_columns

#: Money and count columns that are strongly right-skewed: clustered on a signed log scale.
SKEWED = ("recency_days", "tenure_days", "frequency", "orders_per_year", "avg_order_value",
          "revenue", "margin", "margin_per_year", "value")


class _SignedLog1p:
    """``sign(x) * log(1 + |x|)``: a log scale that keeps zero and negative values (returns).

    A small callable rather than a function so that the pipeline prints the
    same text every run (a function's text carries its memory address).
    """

    def __call__(self, x):
        return np.sign(x) * np.log1p(np.abs(x))

    def __repr__(self) -> str:
        return "signed_log1p"


def _weigh(x, w):
    return np.asarray(x) * w


@dataclass(frozen=True, eq=False)
class SegmentFit:
    """A fitted segmentation.

    Attributes
    ----------
    labels : Series
        Segment number per customer (0 = the largest segment), named ``segment``.
    pipeline : sklearn Pipeline
        Preprocessing (signed log of skewed columns, scaling, optional PCA) and
        the model; use :meth:`predict` to assign new customers (it applies
        ``relabel``).
    columns : list of str
        The feature columns used, in order.
    method : str
        ``"kmeans"`` or ``"gmm"``.
    k : int
        Number of segments.
    relabel : ndarray
        Model cluster number -> segment number.
    """

    labels: pd.Series
    pipeline: Pipeline
    columns: list
    method: str
    k: int
    relabel: np.ndarray

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Assign customers (e.g. a later snapshot) to the fitted segments."""
        require_columns(features, self.columns, "features")
        raw = self.pipeline.predict(features[self.columns])
        return pd.Series(self.relabel[raw], index=features.index, name="segment")


def _columns(features: pd.DataFrame, columns) -> list:
    if columns is None:
        columns = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    columns = list(columns)
    require_columns(features, columns, "features")
    if not columns:
        raise ValueError("features has no numeric column to cluster on")
    sub = features[columns]
    bad = ~np.isfinite(sub.to_numpy(dtype="float64"))
    if bad.any():
        rows = bad.any(axis=1)
        cols = [c for c, b in zip(columns, bad.any(axis=0)) if b]
        raise ValueError(f"features: columns {cols} must be finite numbers; {rows.sum()} rows break it, "
                         f"e.g. {examples(features.index[rows])}")
    return columns


def make_pipeline(columns, k: int, method: str = "kmeans", *, random_state: int = 0,
                  pca: int | float | None = None, log_columns=None, weights: dict | None = None,
                  n_init: int = 4, covariance_type: str = "tied") -> Pipeline:
    """The segmentation pipeline: signed log of skewed columns, scaling, optional PCA, model.

    Parameters
    ----------
    columns : list of str
        Feature columns, in order.
    k : int
        Number of segments.
    method : {"kmeans", "gmm"}
        k-means (Lloyd; ``n_init`` starts) or a Gaussian mixture
        (``covariance_type``, EM; Wedel & Kamakura 2000). The default
        ``"tied"`` covariance (one shared shape) suits customer features with
        0/1 and share columns, on which per-segment ``"full"`` covariances
        collapse onto single values.
    pca : int or float, optional
        Components (or share of variance) kept after scaling.
    log_columns : list, optional
        Columns put on a signed log scale first (default: the skewed money,
        count and day columns of :data:`SKEWED` present).
    weights : dict, optional
        Multiplier per column after scaling (e.g. ``{"margin": 2}`` to let value
        count twice as much as other features).
    """
    if method not in {"kmeans", "gmm"}:
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {method!r}")
    columns = list(columns)
    log_columns = [c for c in (SKEWED if log_columns is None else log_columns) if c in columns]
    other = [c for c in columns if c not in log_columns]
    order = log_columns + other
    steps = [
        ("prepare", ColumnTransformer([("log", FunctionTransformer(_SignedLog1p()), log_columns),
                                       ("keep", "passthrough", other)], verbose_feature_names_out=False)),
        ("scale", StandardScaler()),
    ]
    if weights:
        unknown = [c for c in weights if c not in columns]
        if unknown:
            raise ValueError(f"weights name columns {unknown} that are not among the clustered columns")
        w = np.array([float(weights.get(c, 1.0)) for c in order])
        steps.append(("weight", FunctionTransformer(_weigh, kw_args={"w": w})))
    if pca is not None:
        steps.append(("pca", PCA(n_components=pca, random_state=random_state)))
    if method == "kmeans":
        steps.append(("model", KMeans(n_clusters=k, n_init=n_init, random_state=random_state)))
    else:
        steps.append(("model", GaussianMixture(n_components=k, covariance_type=covariance_type, n_init=n_init,
                                               reg_covar=1e-4, random_state=random_state)))
    return Pipeline(steps)


def _check_k(features: pd.DataFrame, k: int, columns) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    distinct = len(features[columns].drop_duplicates())
    if k > distinct:
        raise ValueError(f"k={k} is larger than the data supports: only {distinct} distinct customers "
                         f"(of {len(features)} rows) to split into segments")


def fit_segments(features: pd.DataFrame, k: int, method: str = "kmeans", random_state: int = 0, *,
                 columns=None, pca=None, log_columns=None, weights=None, n_init: int = 4,
                 covariance_type: str = "tied", n_threads: int | None = 1) -> SegmentFit:
    """Cluster customers into ``k`` segments with a scikit-learn pipeline.

    Parameters
    ----------
    features : DataFrame
        One row per customer (:func:`segment_features`); all used columns must
        be finite numbers.
    k : int
        Number of segments (at most the number of distinct customers).
    method : {"kmeans", "gmm"}
        k-means or Gaussian mixture (see :func:`make_pipeline`).
    random_state : int
        Seed: the same seed gives the same labels.
    columns : list, optional
        Feature columns to use (default: every numeric column).
    n_threads : int, optional
        Threads for the numerical libraries (None = all cores). One thread is
        fastest up to some 100,000 customers and avoids over-subscription when
        several processes share a machine.

    Returns
    -------
    SegmentFit
        Labels numbered by size (0 = largest, ties by mean feature vector) and
        the fitted pipeline.
    """
    columns = _columns(features, columns)
    _check_k(features, k, columns)
    pipe = make_pipeline(columns, k, method, random_state=random_state, pca=pca, log_columns=log_columns,
                         weights=weights, n_init=n_init, covariance_type=covariance_type)
    X = features[columns]
    with threadpool_limits(limits=n_threads):
        pipe.fit(X)
        raw = pipe.predict(X)
    sizes = np.bincount(raw, minlength=k)
    # Deterministic numbering: largest segment first; ties broken by the cluster's mean position.
    means = np.array([X.to_numpy()[raw == j].mean(axis=0).sum() if sizes[j] else np.inf for j in range(k)])
    order = np.lexsort((means, -sizes))
    relabel = np.empty(k, dtype="int64")
    relabel[order] = np.arange(k)
    labels = pd.Series(relabel[raw], index=features.index, name="segment")
    return SegmentFit(labels=labels, pipeline=pipe, columns=columns, method=method, k=int(k), relabel=relabel)


def choose_k(features: pd.DataFrame, k_values, method: str = "kmeans", random_state: int = 0, *,
             columns=None, pca=None, log_columns=None, weights=None, min_share: float = 0.05,
             sample_size: int | None = 3000, n_init: int = 4, criterion: str | None = None,
             stability_resamples: int = 0, stability_share: float = 0.5, min_stability: float = 0.9,
             n_threads: int | None = 1) -> pd.DataFrame:
    """Criteria per candidate number of segments, and the recommended ``k``.

    Parameters
    ----------
    k_values : iterable of int
        Candidate numbers of segments (each >= 2).
    min_share : float
        A segmentation is *usable* when its smallest segment holds at least this
        share of customers (a marketer cannot run a programme for 0.5 %).
    sample_size : int, optional
        Customers sampled (seeded) for the silhouette, which is quadratic.
    criterion : {"silhouette", "bic"}, optional
        What picks ``k`` among the usable ones: default silhouette for k-means
        and BIC (lowest) for a Gaussian mixture.
    stability_resamples : int
        If > 0, also run :func:`segment_stability` per ``k`` with this many
        rounds on ``stability_share`` subsamples; a ``k`` whose mean adjusted
        Rand index is below ``min_stability`` is not usable (Ben-Hur, Elisseeff
        & Guyon 2002, "A stability based method for discovering structure in
        clustered data", *Pacific Symposium on Biocomputing* 7, 6-17).

    Returns
    -------
    DataFrame
        One row per ``k``: ``silhouette`` (Rousseeuw 1987; higher is better,
        on the transformed features), ``calinski_harabasz``, ``inertia``
        (k-means: within-segment sum of squares) or ``bic`` (mixture; lower is
        better), ``smallest_share``, ``largest_share``, ``stability`` (when
        computed), ``usable`` and ``chosen`` (True on the recommended ``k``).
    """
    columns = _columns(features, columns)
    k_values = sorted({int(k) for k in k_values})
    if not k_values or k_values[0] < 2:
        raise ValueError(f"k_values must be integers >= 2 (a silhouette needs two segments), got {k_values}")
    for k in k_values:
        _check_k(features, k, columns)
    criterion = criterion or ("silhouette" if method == "kmeans" else "bic")
    if criterion not in {"silhouette", "bic"} or (criterion == "bic" and method != "gmm"):
        raise ValueError(f"criterion must be 'silhouette' or (with method='gmm') 'bic', got {criterion!r}")
    rows = []
    with threadpool_limits(limits=n_threads):
        for k in k_values:
            fit = fit_segments(features, k, method, random_state, columns=columns, pca=pca,
                               log_columns=log_columns, weights=weights, n_init=n_init, n_threads=n_threads)
            Z = fit.pipeline[:-1].transform(features[columns])
            labels = fit.labels.to_numpy()
            shares = np.bincount(labels, minlength=k) / len(labels)
            n = None if sample_size is None or sample_size >= len(labels) else sample_size
            row = {"k": k,
                   "silhouette": float(silhouette_score(Z, labels, sample_size=n, random_state=random_state))
                   if shares.min() > 0 and (shares > 0).sum() > 1 else np.nan,
                   "calinski_harabasz": float(calinski_harabasz_score(Z, labels)) if (shares > 0).sum() > 1 else np.nan}
            model = fit.pipeline[-1]
            if method == "kmeans":
                row["inertia"] = float(model.inertia_)
            else:
                row["bic"] = float(model.bic(Z))
            row["smallest_share"] = float(shares.min())
            row["largest_share"] = float(shares.max())
            row["usable"] = bool(shares.min() >= min_share)
            if stability_resamples:
                st = segment_stability(features, k, method, random_state, n_resamples=stability_resamples,
                                       sample_share=stability_share, columns=columns, pca=pca,
                                       log_columns=log_columns, weights=weights, n_init=n_init,
                                       n_threads=n_threads)
                row["stability"] = float(st["ari"].mean())
                row["usable"] = row["usable"] and row["stability"] >= min_stability
            rows.append(row)
    table = pd.DataFrame(rows).set_index("k")
    pool = table[table["usable"]] if table["usable"].any() else table
    best = pool["silhouette"].idxmax() if criterion == "silhouette" else pool["bic"].idxmin()
    table["chosen"] = table.index == best
    return table


def segment_stability(features: pd.DataFrame, k: int, method: str = "kmeans", random_state: int = 0, *,
                      n_resamples: int = 10, sample_share: float = 0.8, columns=None, pca=None,
                      log_columns=None, weights=None, n_init: int = 4,
                      n_threads: int | None = 1) -> pd.DataFrame:
    """Stability of a segmentation under resampling (adjusted Rand index between refits).

    Each round draws two random subsamples of ``sample_share`` of the customers
    (without replacement, seeded), fits the pipeline on each with a different
    seed, assigns **all** customers with both fits and compares the two
    assignments with the adjusted Rand index (1 = identical up to renaming,
    0 = chance agreement). A segmentation a marketer can trust gives values
    close to 1. Hennig (2007) reads mean bootstrap Jaccard similarities of a
    cluster above 0.85 as highly stable and below 0.5 as dissolved; the same
    reading is a useful rule of thumb here (Ben-Hur, Elisseeff & Guyon 2002
    compare partitions of subsamples in the same way).

    Returns
    -------
    DataFrame
        One row per round: ``round``, ``ari``.
    """
    columns = _columns(features, columns)
    _check_k(features, k, columns)
    if not 0 < sample_share <= 1:
        raise ValueError(f"sample_share must be in (0, 1], got {sample_share}")
    n = len(features)
    m = int(round(sample_share * n))
    if m < k:
        raise ValueError(f"sample_share={sample_share} leaves {m} customers, fewer than k={k}")
    rng = np.random.default_rng(random_state)
    X = features[columns]
    rows = []
    for r in range(n_resamples):
        preds = []
        for _ in range(2):
            idx = np.sort(rng.choice(n, size=m, replace=False))
            seed = int(rng.integers(0, 2**31 - 1))
            pipe = make_pipeline(columns, k, method, random_state=seed, pca=pca, log_columns=log_columns,
                                 weights=weights, n_init=n_init)
            with threadpool_limits(limits=n_threads):
                pipe.fit(X.iloc[idx])
                preds.append(pipe.predict(X))
        rows.append({"round": r, "ari": float(adjusted_rand_score(preds[0], preds[1]))})
    return pd.DataFrame(rows)
