"""Customer segmentation that serves a business goal, and a programme per segment.

The working model of customer-relationship marketing is *segment -> programme
per segment (when, what, how) -> campaign -> measure*. This module covers the
first two steps:

* :func:`segment_features` turns order lines and the customer register into one
  row per customer (RFM, category and channel mix, discount use, margin, age
  band and area type);
* :func:`rfm_segments` is the rule-based baseline every clustering must beat;
* :func:`fit_segments`, :func:`choose_k` and :func:`segment_stability` cluster
  customers with scikit-learn pipelines (scaling, optional PCA, k-means or a
  Gaussian mixture) and judge the number of segments by silhouette,
  inertia/BIC, usability (segment sizes) and stability under resampling;
* :func:`profile_segments`, :func:`name_segments` and
  :func:`marketing_programme` describe each segment in the words a marketer
  uses and derive the *when, what and how* for it;
* :func:`migration_matrix` counts customers moving between segments from one
  period to the next.

References
----------
Hughes, A. M. (2012). *Strategic Database Marketing* (4th ed.), McGraw-Hill
(RFM analysis). Tan, Steinbach & Kumar (2019). *Introduction to Data Mining*
(2nd ed.), ch. 7 (k-means, silhouette). Hennig, C. (2007). Cluster-wise
assessment of cluster stability. *Computational Statistics & Data Analysis*
52(1), 258-271. Hubert, L. & Arabie, P. (1985). Comparing partitions.
*Journal of Classification* 2, 193-218 (adjusted Rand index). Wedel, M. &
Kamakura, W. (2000). *Market Segmentation*, Kluwer (mixture models).
"""

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

from helpers._checks import examples as _examples
from helpers._checks import require_columns

#: Mid-points (years) of the age bands (register; 13-17 only on park passes), a numeric feature.
AGE_BAND_YEARS = {"13-17": 15.0, "18-24": 21.0, "25-34": 29.5, "35-44": 39.5, "45-54": 49.5, "55-64": 59.5, "65+": 70.0}
#: Area types of the postal-code classifier.
AREA_TYPES = ("city", "suburb", "rural")
#: Channels of the orders table.
CHANNELS = ("store", "web", "app")
#: Money and count columns that are strongly right-skewed: clustered on a signed log scale.
SKEWED = ("recency_days", "tenure_days", "frequency", "orders_per_year", "avg_order_value",
          "revenue", "margin", "margin_per_year", "value")
#: RFM group names of :func:`rfm_segments`, best first.
RFM_GROUPS = ("Champions", "Loyal", "Promising", "New", "Need attention", "At risk", "Lapsed")


# --------------------------------------------------------------------------- checks




def _not_in(values, reference) -> np.ndarray:
    """Boolean mask: which of ``values`` are not in ``reference`` (hash join; fast for text ids)."""
    return pd.Index(reference).unique().get_indexer(pd.Index(values)) < 0


def _signed_log1p(x):
    return np.sign(x) * np.log1p(np.abs(x))


def _weigh(x, w):
    return np.asarray(x) * w


def _check_labels(labels: pd.Series, name: str = "labels") -> pd.Series:
    if not isinstance(labels, pd.Series):
        raise ValueError(f"{name} must be a pandas Series indexed by customer id, got {type(labels).__name__}")
    dup = labels.index.duplicated()
    if dup.any():
        raise ValueError(f"{name}: customer ids must be unique; {dup.sum()} rows repeat an id, "
                         f"e.g. {_examples(labels.index[dup])}")
    missing = labels.isna()
    if missing.any():
        raise ValueError(f"{name}: every customer needs a segment; {missing.sum()} rows are missing one, "
                         f"e.g. {_examples(labels.index[missing])}")
    return labels


def _check_known(labels: pd.Series, features: pd.DataFrame, name: str = "labels") -> None:
    unknown = _not_in(labels.index, features.index)
    if unknown.any():
        raise ValueError(f"{name}: {unknown.sum()} customer ids are not in the features table, "
                         f"e.g. {_examples(labels.index[unknown])}")


# --------------------------------------------------------------------------- features
def segment_features(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of=None,
    value: pd.Series | None = None,
    categories=None,
    customer_col: str = "customer_id",
    order_col: str = "order_id",
    date_col: str = "timestamp",
    amount_col: str = "amount",
    margin_col: str = "margin",
    discount_col: str | None = "discount",
    channel_col: str | None = "channel",
    category_col: str | None = "category",
) -> pd.DataFrame:
    """One row per customer: the behaviour and enrichment features segmentation uses.

    Parameters
    ----------
    orders : DataFrame
        Order lines (``data/README.md``): a return is its own order with a
        negative amount. Lines after ``as_of`` are ignored (and counted).
    customers : DataFrame, optional
        The register; adds ``age_years`` (mid-point of ``age_band``) and one-hot
        ``area_city/suburb/rural`` (all zero when the area type is unknown).
        Every customer of ``orders`` must be in it.
    as_of : date, optional
        The snapshot date; default the last order date. Recency and tenure are
        measured in days up to it.
    value : Series, optional
        Customer value in euros indexed by customer id (e.g. predicted CLV from
        lesson 2); added as column ``value`` (0 for customers it lacks).
    categories : list, optional
        The categories to make share columns for (default: all in the data);
        pass the same list for two snapshots so their columns agree.

    Returns
    -------
    DataFrame
        Index ``customer_id``; columns ``recency_days``, ``tenure_days`` (days
        since first purchase), ``frequency`` (purchase orders), ``orders_per_year``
        (purchases per year of tenure, tenure floored at 90 days),
        ``avg_order_value`` (euros per purchase order, before returns),
        ``revenue`` and ``margin`` (euros net of returns), ``margin_per_year``,
        ``return_rate`` (returned / purchased euros), ``discount_share``
        (discount / list value of purchases), ``channel_<c>`` (share of purchase
        orders per channel), ``cat_<category>`` (share of purchase euros), and
        the enrichments. ``attrs`` records ``as_of``, ``lines_after_as_of``,
        ``customers_without_orders`` (in the register, joined by ``as_of``, no
        lines), ``customers_only_returns`` (lines but no purchase order: left
        out) and, with ``value``, ``value_missing``.

    Notes
    -----
    RFM after Hughes (2012); channel, category and discount features follow the
    behavioural bases of Wedel & Kamakura (2000, ch. 2).
    """
    require_columns(orders, [customer_col, order_col, date_col, amount_col, margin_col], "orders")
    if orders.empty:
        raise ValueError("orders is empty: there is nothing to build features from")
    dates = pd.to_datetime(orders[date_col])
    as_of = dates.max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1) if as_of is None \
        else pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    keep = dates <= as_of
    lines = orders.loc[keep].copy()
    lines["_date"] = dates[keep].dt.normalize()
    if lines.empty:
        raise ValueError(f"as_of={as_of.date()} is before the first order ({dates.min().date()})")

    # Orders: a purchase order has a positive total; a return order a negative one.
    per_order = lines.groupby([customer_col, order_col], sort=False).agg(
        date=("_date", "min"), amount=(amount_col, "sum"))
    purchase = per_order[per_order["amount"] > 0].reset_index()
    if purchase.empty:
        raise ValueError("orders has no purchase order (an order with a positive total amount)")
    cust = purchase.groupby(customer_col).agg(first=("date", "min"), last=("date", "max"),
                                              frequency=("date", "size"), gross=("amount", "sum"))
    asof_day = as_of.normalize()
    feats = pd.DataFrame(index=cust.index)
    feats["recency_days"] = (asof_day - cust["last"]).dt.days.astype("float64")
    feats["tenure_days"] = (asof_day - cust["first"]).dt.days.astype("float64")
    feats["frequency"] = cust["frequency"].astype("float64")
    feats["orders_per_year"] = feats["frequency"] / (feats["tenure_days"].clip(lower=90) / 365.25)
    feats["avg_order_value"] = cust["gross"] / cust["frequency"]
    totals = lines.groupby(customer_col).agg(revenue=(amount_col, "sum"), margin=(margin_col, "sum"))
    feats["revenue"] = totals["revenue"].reindex(feats.index).fillna(0.0)
    feats["margin"] = totals["margin"].reindex(feats.index).fillna(0.0)
    feats["margin_per_year"] = feats["margin"] / (feats["tenure_days"].clip(lower=90) / 365.25)
    returned = -lines.loc[lines[amount_col] < 0].groupby(customer_col)[amount_col].sum()
    feats["return_rate"] = (returned.reindex(feats.index).fillna(0.0) / cust["gross"]).clip(0, 1)

    pos = lines[lines[amount_col] > 0]
    if discount_col is not None and discount_col in lines.columns:
        d = pos.groupby(customer_col).agg(disc=(discount_col, "sum"), amt=(amount_col, "sum"))
        feats["discount_share"] = (d["disc"] / (d["amt"] + d["disc"])).reindex(feats.index).fillna(0.0)
    if channel_col is not None and channel_col in lines.columns:
        order_total = lines.groupby(order_col, sort=False)[amount_col].transform("sum")
        ch = lines.loc[order_total > 0].drop_duplicates([order_col])
        counts = ch.groupby([customer_col, channel_col]).size().unstack(fill_value=0)
        shares = counts.div(counts.sum(axis=1), axis=0)
        for c in sorted(set(CHANNELS) | set(shares.columns)):
            feats[f"channel_{c}"] = shares[c].reindex(feats.index).fillna(0.0) if c in shares else 0.0
    if category_col is not None and category_col in lines.columns:
        cats = sorted(pos[category_col].dropna().unique()) if categories is None else list(categories)
        amt = pos.pivot_table(index=customer_col, columns=category_col, values=amount_col,
                              aggfunc="sum", fill_value=0.0, observed=True)
        amt = amt.reindex(index=feats.index, columns=cats, fill_value=0.0)
        tot = amt.sum(axis=1).replace(0.0, np.nan)
        for c in cats:
            feats[f"cat_{_slug(c)}"] = (amt[c] / tot).fillna(0.0)

    only_returns = int(_not_in(lines[customer_col].unique(), feats.index).sum())
    attrs = {"as_of": asof_day, "lines_after_as_of": int((~keep).sum()), "customers_without_orders": 0,
             "customers_only_returns": only_returns}
    if customers is not None:
        require_columns(customers, [customer_col], "customers")
        reg = customers.set_index(customer_col)
        unknown = _not_in(feats.index, reg.index)
        if unknown.any():
            raise ValueError(f"orders: {unknown.sum()} customers are not in the customer register, "
                             f"e.g. {_examples(feats.index[unknown])}")
        if reg.index.duplicated().any():
            raise ValueError(f"customers: customer ids must be unique; {reg.index.duplicated().sum()} repeat")
        first_seen = pd.to_datetime(reg["signup_date"]) if "signup_date" in reg else None
        known = reg.index if first_seen is None else reg.index[first_seen <= as_of]
        attrs["customers_without_orders"] = int(_not_in(known, feats.index).sum())
        if "age_band" in reg:
            band = reg["age_band"].reindex(feats.index)
            bad = band.notna() & ~band.isin(list(AGE_BAND_YEARS))
            if bad.any():
                raise ValueError(f"customers: age_band must be one of {list(AGE_BAND_YEARS)}; "
                                 f"{bad.sum()} rows break it, e.g. {_examples(band[bad])}")
            feats["age_years"] = band.map(AGE_BAND_YEARS).astype("float64")
            feats["age_years"] = feats["age_years"].fillna(feats["age_years"].median())
        if "area_type" in reg:
            area = reg["area_type"].reindex(feats.index)
            for a in AREA_TYPES:
                feats[f"area_{a}"] = (area == a).fillna(False).astype("float64")
    if value is not None:
        v = value.reindex(feats.index)
        feats["value"] = v.fillna(0.0).astype("float64")
        feats.attrs["value_missing"] = int(v.isna().sum())
    feats.index.name = customer_col
    feats.attrs.update(attrs)
    return feats


def _slug(text) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower()).strip("_")


# --------------------------------------------------------------------------- RFM baseline
def rfm_segments(features: pd.DataFrame, *, new_days: float = 90, lapsed_days: float = 365,
                 recency_col: str = "recency_days", frequency_col: str = "frequency",
                 monetary_col: str = "margin", tenure_col: str = "tenure_days") -> pd.DataFrame:
    """Rule-based RFM groups: the baseline a clustering has to beat.

    Each customer gets recency, frequency and monetary scores 1-5 (quintiles of
    the rank, 5 = best; ties share a score) and one of :data:`RFM_GROUPS`:

    * *New*: first purchase within ``new_days`` days;
    * *Lapsed*: no purchase for more than ``lapsed_days`` days;
    * *Champions*: R >= 4 and F >= 4 and M >= 4;
    * *Loyal*: F >= 4 and R >= 3;
    * *At risk*: F >= 3 and R <= 2;
    * *Promising*: R >= 4 (recent but not yet frequent);
    * *Need attention*: everyone else.

    Parameters
    ----------
    features : DataFrame
        From :func:`segment_features` (days and euros).

    Returns
    -------
    DataFrame
        ``r``, ``f``, ``m`` (1-5), ``rfm`` (e.g. ``"545"``) and ``group``
        (ordered categorical, best first), indexed like ``features``.

    Notes
    -----
    Quintile RFM cells after Hughes (2012), *Strategic Database Marketing*.
    """
    require_columns(features, [recency_col, frequency_col, monetary_col, tenure_col], "features")
    if features.empty:
        raise ValueError("features is empty")

    def score(x: pd.Series) -> pd.Series:
        return np.ceil(x.rank(method="average", pct=True) * 5).clip(1, 5).astype("int64")

    out = pd.DataFrame(index=features.index)
    out["r"] = score(-features[recency_col])
    out["f"] = score(features[frequency_col])
    out["m"] = score(features[monetary_col])
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    r, f, m = out["r"], out["f"], out["m"]
    conditions = [
        features[tenure_col] <= new_days,
        features[recency_col] > lapsed_days,
        (r >= 4) & (f >= 4) & (m >= 4),
        (f >= 4) & (r >= 3),
        (f >= 3) & (r <= 2),
        r >= 4,
    ]
    choices = ["New", "Lapsed", "Champions", "Loyal", "At risk", "Promising"]
    group = np.select(conditions, choices, default="Need attention")
    out["group"] = pd.Categorical(group, categories=list(RFM_GROUPS), ordered=True)
    return out


# --------------------------------------------------------------------------- clustering
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
                         f"e.g. {_examples(features.index[rows])}")
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
        ("prepare", ColumnTransformer([("log", FunctionTransformer(_signed_log1p), log_columns),
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


# --------------------------------------------------------------------------- profiles and programme
def profile_segments(features: pd.DataFrame, labels: pd.Series, customers: pd.DataFrame | None = None, *,
                     orders: pd.DataFrame | None = None, lapsed_days: float = 365,
                     customer_col: str = "customer_id", margin_col: str = "margin",
                     date_col: str = "timestamp", amount_col: str = "amount") -> pd.DataFrame:
    """Describe each segment: size, share of margin, value, behaviour, channel, consents.

    Parameters
    ----------
    features : DataFrame
        From :func:`segment_features`.
    labels : Series
        Segment per customer (index = customer id); every customer must be in
        ``features``. Customers of ``features`` without a label are left out
        and counted in ``attrs["unlabelled"]``.
    customers : DataFrame, optional
        The register: adds ``consent_email``/``consent_sms``/``consent_post``
        (share answering ``yes``; missing counts as no consent), the most common
        ``age_band``, ``area_type`` and ``loyalty_tier``.
    orders : DataFrame, optional
        Order lines: adds ``peak_month`` (1-12), the calendar month in which
        the segment buys most compared with all customers, and ``peak_lift``.
    lapsed_days : float
        Days without a purchase after which a customer counts as lapsed
        (``share_lapsed``).

    Returns
    -------
    DataFrame
        One row per segment: ``customers``, ``share_customers``,
        ``margin_total`` (euros), ``share_margin``, ``margin_per_customer``,
        ``share_lapsed``, the mean of every numeric feature, ``top_channel``,
        ``top_category`` (largest share lift over all customers),
        ``category_lift``, ``next_category`` (second largest lift), and the
        register and calendar columns.
    """
    labels = _check_labels(labels)
    _check_known(labels, features)
    require_columns(features, [margin_col, "recency_days"], "features")
    f = features.loc[labels.index]
    key = labels.to_numpy()
    g = f.groupby(key)
    numeric = [c for c in f.columns if pd.api.types.is_numeric_dtype(f[c])]
    prof = g[numeric].mean()
    prof.insert(0, "customers", g.size())
    prof.insert(1, "share_customers", prof["customers"] / prof["customers"].sum())
    margin = g[margin_col].sum()
    prof.insert(2, "margin_total", margin)
    prof.insert(3, "share_margin", margin / margin.sum())
    prof.insert(4, "margin_per_customer", margin / prof["customers"])
    prof.insert(5, "share_lapsed", (f["recency_days"] > lapsed_days).groupby(key).mean())
    chan = [c for c in numeric if c.startswith("channel_")]
    if chan:
        prof["top_channel"] = prof[chan].idxmax(axis=1).str.removeprefix("channel_")
    cats = [c for c in numeric if c.startswith("cat_")]
    if cats:
        lift = prof[cats] / f[cats].mean().replace(0, np.nan)
        prof["top_category"] = lift.idxmax(axis=1).str.removeprefix("cat_")
        prof["category_lift"] = lift.max(axis=1)
        if len(cats) > 1:
            second = np.argsort(-lift.fillna(0).to_numpy(), axis=1)[:, 1]
            prof["next_category"] = [cats[j].removeprefix("cat_") for j in second]
    if customers is not None:
        require_columns(customers, [customer_col], "customers")
        reg = customers.drop_duplicates(customer_col).set_index(customer_col).reindex(labels.index)
        for c in ("consent_email", "consent_sms", "consent_post"):
            if c in reg:
                prof[c] = (reg[c] == "yes").fillna(False).groupby(key).mean()
        for c in ("age_band", "area_type", "loyalty_tier"):
            if c in reg:
                counts = reg[c].fillna("unknown").groupby(key).value_counts()
                prof[f"top_{c}"] = counts.groupby(level=0).idxmax().str[1]
    if orders is not None:
        require_columns(orders, [customer_col, date_col, amount_col], "orders")
        buys = orders.loc[orders[amount_col] > 0]
        seg = buys[customer_col].map(labels)
        month = pd.to_datetime(buys[date_col]).dt.month
        by = buys[amount_col].groupby([seg, month]).sum().unstack(fill_value=0.0)
        share = by.div(by.sum(axis=1), axis=0)
        overall = buys[amount_col].groupby(month).sum()
        lift = share / (overall / overall.sum())
        prof["peak_month"] = lift.idxmax(axis=1).reindex(prof.index)
        prof["peak_lift"] = lift.max(axis=1).reindex(prof.index)
    prof.index.name = "segment"
    prof.attrs["unlabelled"] = int(_not_in(features.index, labels.index).sum())
    prof.attrs["lapsed_days"] = lapsed_days
    return prof


_CHANNEL_WORD = {"app": "app", "web": "web", "store": "store"}
_AREA_WORD = {"city": "city", "suburb": "suburban", "rural": "rural"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _pretty(category) -> str:
    return str(category).replace("_", " & ") if str(category) == "food_gifts" else str(category).replace("_", " ")


def name_segments(profiles: pd.DataFrame, *, deal_ratio: float = 1.5, young_age: float = 35,
                  older_age: float = 55, dominant: float = 0.5) -> pd.Series:
    """Give each segment a name a marketer would use, generated from its profile.

    Pattern: ``"<Value tier> <what they buy> (<who, where, how>)"``, e.g.
    ``"High-value kids buyers (suburban, store)"``. The value tier is the
    segment's ``margin_per_customer`` third among the segments; *what they buy*
    is the category with the largest lift, or *deal-seekers* when the
    ``discount_share`` is at least ``deal_ratio`` times the average; the
    descriptors are added when distinctive: mean age below ``young_age`` or
    above ``older_age``, an area type or a channel (app, web) holding at least
    ``dominant`` of the segment. Names are made unique by appending the
    segment number.

    Returns
    -------
    Series
        Name per segment.
    """
    require_columns(profiles, ["margin_per_customer", "customers"], "profiles")
    p = profiles
    rank = p["margin_per_customer"].rank(pct=True, method="first")
    tier = pd.Series(np.where(rank > 2 / 3, "High-value", np.where(rank > 1 / 3, "Mid-value", "Low-value")),
                     index=p.index)
    weight = p["customers"] / p["customers"].sum()
    deal = pd.Series(False, index=p.index)
    if "discount_share" in p:
        avg = float((p["discount_share"] * weight).sum())
        deal = (p["discount_share"] >= deal_ratio * avg) & (avg > 0)
    what = p["top_category"].map(lambda c: f"{_pretty(c)} buyers") if "top_category" in p \
        else pd.Series("customers", index=p.index)
    what = what.where(~deal, "deal-seekers")
    desc = pd.Series([[] for _ in p.index], index=p.index)
    if "age_years" in p:
        desc = desc + p["age_years"].map(lambda a: ["young"] if a < young_age else ["older"] if a > older_age else [])
    for a, word in _AREA_WORD.items():
        if f"area_{a}" in p:
            desc = desc + (p[f"area_{a}"] >= dominant).map(lambda x, w=word: [w] if x else [])
    for c, word in _CHANNEL_WORD.items():
        if f"channel_{c}" in p:
            desc = desc + (p[f"channel_{c}"] >= dominant).map(lambda x, w=word: [w] if x else [])
    names = tier + " " + what + desc.map(lambda d: f" ({', '.join(d)})" if d else "")
    names.name = "name"
    dup = names.duplicated(keep=False)
    names[dup] = names[dup] + " #" + names.index[dup].astype(str)
    return names


def marketing_programme(profiles: pd.DataFrame, *, names: pd.Series | None = None, deal_ratio: float = 1.5,
                        lapse_risk: float = 0.4, min_consent: float = 0.3, peak_lift: float = 1.2) -> pd.DataFrame:
    """A marketing programme per segment: need, what to offer, when, how, and what not to do.

    Rules (all from the profile, so the table follows the data when it changes):

    * **need** -- *profit* (stop paying for sales that would happen anyway)
      for deal-seekers (``discount_share`` at least ``deal_ratio`` times the
      average); *keep* (protect the best) for the top value third;
      *keep* (win back) where at least ``lapse_risk`` of the segment has
      lapsed; otherwise *sell more* (cross-sell).
    * **what** -- the segment's strongest category (lift over average): new
      products for the best, the next category for cross-sell, a personal
      come-back offer for win-back; discounts only where they already buy on
      discount, and then smaller ones.
    * **when** -- the segment's peak month (calendar) when it buys at least
      ``peak_lift`` times its usual share then, plus a trigger (a purchase
      gap, days after the last purchase).
    * **how** -- the consented channel with the highest opt-in share (e-mail,
      SMS, post) if it reaches ``min_consent``, with content in their own
      channel (app, web, store).
    * **not to do** -- e.g. no blanket discounts to customers who buy anyway,
      no more than two win-back contacts (silence is also a message), never
      a message without consent.

    Parameters
    ----------
    profiles : DataFrame
        From :func:`profile_segments` (with ``customers`` for consents and
        ``orders`` for the peak month).
    names : Series, optional
        Segment names (default :func:`name_segments`).

    Returns
    -------
    DataFrame
        One row per segment: ``name``, ``customers``, ``share_margin``, ``need``,
        ``offer``, ``when``, ``channel``, ``not_to_do``, ``lookalike`` (whom to
        acquire more of: the best segments' age band and area type).
    """
    require_columns(profiles, ["customers", "share_margin", "margin_per_customer", "share_lapsed"], "profiles")
    if profiles.empty:
        raise ValueError("profiles is empty: no segment to write a programme for")
    p = profiles
    names = name_segments(p, deal_ratio=deal_ratio) if names is None else names.reindex(p.index)
    weight = p["customers"] / p["customers"].sum()
    avg_disc = float((p["discount_share"] * weight).sum()) if "discount_share" in p else 0.0
    value_rank = p["margin_per_customer"].rank(pct=True, method="first")
    consent_cols = [c for c in ("consent_email", "consent_sms", "consent_post") if c in p]
    rows = []
    for seg in p.index:  # one row per segment (a handful), not per customer
        r = p.loc[seg]
        cat = _pretty(r["top_category"]) if "top_category" in p else "their favourite category"
        deal = "discount_share" in p and avg_disc > 0 and r["discount_share"] >= deal_ratio * avg_disc
        high = value_rank[seg] > 2 / 3
        peak = ""
        if "peak_month" in p and r["peak_lift"] >= peak_lift:
            peak = f"calendar: before their peak in {_MONTHS[int(r['peak_month']) - 1]}; "
        gap = 365.25 / r["orders_per_year"] if "orders_per_year" in p and r["orders_per_year"] > 0 else 90
        if deal:
            need = "profit (cut discount cost)"
            offer = f"member prices on a few {cat} items instead of site-wide discounts"
            when = peak + "campaign weeks only"
            not_to_do = "no extra discount codes: they buy on sale anyway; watch returns"
        elif high:
            need = "keep (protect the best)"
            offer = f"early access to new {cat}, service and club events; no discount"
            when = peak + f"trigger: no purchase for {1.5 * gap:.0f} days (1.5 times their usual gap)"
            not_to_do = "no blanket discounts: they buy at full price anyway"
        elif r["share_lapsed"] >= lapse_risk:
            need = "keep (win back)"
            offer = f"a personal come-back offer in {cat}"
            when = peak + f"trigger: no purchase for {1.5 * gap:.0f} days; one reminder, then silence"
            not_to_do = "no more than two win-back contacts; not on the weekly newsletter"
        else:
            need = "sell more (cross-sell)"
            nxt = _pretty(r["next_category"]) if "next_category" in p else "a new category"
            offer = f"{nxt} to go with their {cat}"
            when = peak + "trigger: 2 weeks after a purchase"
            not_to_do = "do not discount what they already buy"
        if consent_cols:
            best = max(consent_cols, key=lambda c: r[c])
            channel = (f"{best.removeprefix('consent_').replace('email', 'e-mail')} ({r[best]:.0%} consented)"
                       if r[best] >= min_consent else "no campaign channel: too few consents")
        else:
            channel = "check consents first"
        if "top_channel" in p:
            channel += f"; content in the {r['top_channel']}"
        lookalike = ""
        if high and "top_age_band" in p and "top_area_type" in p:
            lookalike = f"acquire look-alikes: {r['top_age_band']}, {r['top_area_type']}"
        rows.append({"segment": seg, "name": names[seg], "customers": int(r["customers"]),
                     "share_margin": float(r["share_margin"]), "need": need, "offer": offer, "when": when,
                     "channel": channel, "not_to_do": not_to_do + "; never message without consent",
                     "lookalike": lookalike})
    return pd.DataFrame(rows).set_index("segment")


# --------------------------------------------------------------------------- migration
@dataclass(frozen=True, eq=False)
class MigrationMatrix:
    """Customers moving between segments from one period to the next.

    Attributes
    ----------
    counts : DataFrame
        Rows: segment before (plus ``entry_label`` for customers only present
        after); columns: segment after (plus ``exit_label`` for customers only
        present before). Every customer is counted exactly once.
    shares : DataFrame
        ``counts`` divided by its row sums (where each row's customers went).
    """

    counts: pd.DataFrame
    shares: pd.DataFrame


def migration_matrix(labels_before: pd.Series, labels_after: pd.Series, *, order=None,
                     entry_label: str = "(new)", exit_label: str = "(gone)") -> MigrationMatrix:
    """Segment migration between two periods, as counts and row shares.

    Parameters
    ----------
    labels_before, labels_after : Series
        Segment per customer (index = customer id, unique) in each period.
        A customer in only one of them enters (row ``entry_label``) or exits
        (column ``exit_label``).
    order : list, optional
        Order of the segments in rows and columns (e.g. best first); default
        the sorted union of the labels. Labels not in ``order`` raise an error.

    Returns
    -------
    MigrationMatrix
        Row sums (without the entry row) equal the customers before; column
        sums (without the exit column) equal the customers after.
    """
    b = _check_labels(labels_before, "labels_before")
    a = _check_labels(labels_after, "labels_after")
    seen = pd.Index(b.unique()).union(pd.Index(a.unique()))
    if order is None:
        order = sorted(seen, key=str)
    else:
        order = list(order)
        unknown = [x for x in seen if x not in order]
        if unknown:
            raise ValueError(f"labels {unknown[:3]} are not in `order` {order}")
    ids = b.index.union(a.index)
    before = b.reindex(ids).astype(object).where(b.reindex(ids).notna(), entry_label)
    after = a.reindex(ids).astype(object).where(a.reindex(ids).notna(), exit_label)
    rows = list(order) + ([entry_label] if (before == entry_label).any() else [])
    cols = list(order) + ([exit_label] if (after == exit_label).any() else [])
    counts = pd.crosstab(before, after).reindex(index=rows, columns=cols, fill_value=0).astype("int64")
    counts.index.name = "before"
    counts.columns.name = "after"
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    return MigrationMatrix(counts=counts, shares=shares)
