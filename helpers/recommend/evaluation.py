"""Ranking metrics of recommendation lists, as defined in microsoft/recommenders' ``python_evaluation``.

precision@k, recall@k, MAP@k, NDCG@k (binary relevance; Järvelin &
Kekäläinen 2002) and catalogue coverage. Users are those present in both the
recommendations and the relevant items (with at least one relevant item).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValueError(f"k must be a positive integer (the length of the recommendation list), got {k!r}")
    return int(k)


def _to_series(obj, name: str) -> pd.Series:
    if isinstance(obj, pd.Series):
        return obj
    if isinstance(obj, dict):
        return pd.Series(obj, dtype="object") if obj else pd.Series(dtype="object")
    raise ValueError(f"{name} must be a dict or a pandas Series mapping each user to a list of items, "
                     f"got {type(obj).__name__}")


def _long(obj, name: str) -> tuple[pd.DataFrame, pd.Series]:
    s = _to_series(obj, name)
    bad = ~s.map(lambda v: isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Index)))
    if bad.any():
        raise ValueError(f"{name}: every value must be a list of items; {int(bad.sum())} users have something else, "
                         f"e.g. {s[bad].head(3).to_dict()}")
    long = s.rename("item").rename_axis("user").explode().dropna().reset_index()
    return long, s


def _hits(recommended, relevant, k: int):
    """Per-user table of hits (with ranks) and relevant counts for the users present in both."""
    k = _check_k(k)
    rec, rec_s = _long(recommended, "recommended")
    rel, _ = _long(relevant, "relevant")
    rel = rel.drop_duplicates()
    dup = rec.duplicated(["user", "item"])
    if dup.any():
        raise ValueError(f"recommended: an item appears twice in a user's list for {rec.loc[dup, 'user'].nunique()} "
                         f"users, e.g. {rec.loc[dup, 'user'].head(3).tolist()}")
    rec["rank"] = rec.groupby("user", sort=False).cumcount() + 1
    rec = rec[rec["rank"] <= k]
    n_rel = rel.groupby("user").size()
    users = n_rel.index.intersection(pd.Index(rec_s.index))
    if len(users) == 0:
        raise ValueError("no user is present in both 'recommended' and 'relevant' (with at least one relevant item)")
    n_rel = n_rel.loc[users]
    hits = rec.merge(rel, on=["user", "item"], how="inner")
    hits = hits[hits["user"].isin(users)].sort_values(["user", "rank"])
    return hits, n_rel, k


def _n_hits(hits: pd.DataFrame, n_rel: pd.Series) -> pd.Series:
    return hits.groupby("user").size().reindex(n_rel.index, fill_value=0)


def _per_user(recommended, relevant, k: int) -> pd.DataFrame:
    """All four ranking metrics per user (one pass over the hits)."""
    hits, n_rel, k = _hits(recommended, relevant, k)
    users = n_rel.index
    n_hits = _n_hits(hits, n_rel)
    # average precision: precision at each hit rank, summed, / min(|relevant|, k)
    prec_at_hit = (hits.groupby("user").cumcount() + 1) / hits["rank"]
    ap = prec_at_hit.groupby(hits["user"]).sum().reindex(users, fill_value=0.0) / np.minimum(n_rel, k)
    # NDCG with binary relevance
    dcg = (1 / np.log2(hits["rank"] + 1)).groupby(hits["user"]).sum().reindex(users, fill_value=0.0)
    ideal_cum = np.cumsum(1 / np.log2(np.arange(1, k + 1) + 1))
    idcg = ideal_cum[np.minimum(n_rel.to_numpy(), k) - 1]
    return pd.DataFrame({
        f"precision@{k}": n_hits / k,
        f"recall@{k}": n_hits / n_rel,
        f"map@{k}": ap,
        f"ndcg@{k}": dcg / idcg,
    }, index=users).astype("float64")


def _one(recommended, relevant, k, per_user: bool, which: str):
    table = _per_user(recommended, relevant, k)
    col = table[f"{which}@{int(k)}"]
    return col if per_user else float(col.mean())


def precision_at_k(recommended, relevant, k: int, per_user: bool = False):
    """Precision@k: hits among the top ``k`` divided by ``k``, averaged over users.

    Users are those present in both ``recommended`` and ``relevant`` (with at
    least one relevant item), as in microsoft/recommenders. A list shorter
    than ``k`` still divides by ``k``. Items after the first ``k`` of a list
    are ignored; an item listed twice for a user raises a ValueError.

    Parameters
    ----------
    recommended : dict or Series
        User → ordered list of items (best first).
    relevant : dict or Series
        User → items the user really took (order irrelevant; duplicates count once).
    k : int
        Cut-off (> 0).
    per_user : bool
        Return the per-user values (Series) instead of the mean.
    """
    return _one(recommended, relevant, k, per_user, "precision")


def recall_at_k(recommended, relevant, k: int, per_user: bool = False):
    """Recall@k: hits among the top ``k`` divided by the number of relevant items, averaged over users.

    Same arguments and users as :func:`precision_at_k`.
    """
    return _one(recommended, relevant, k, per_user, "recall")


def map_at_k(recommended, relevant, k: int, per_user: bool = False):
    """MAP@k: mean over users of the average precision at the hit ranks, divided by min(|relevant|, k).

    ``AP@k(u) = Σ_{hits at rank r ≤ k} (hits up to r / r) / min(|relevant_u|, k)``
    (microsoft/recommenders ``map_at_k``). Same arguments as :func:`precision_at_k`.
    """
    return _one(recommended, relevant, k, per_user, "map")


def ndcg_at_k(recommended, relevant, k: int, per_user: bool = False):
    """NDCG@k with binary relevance: DCG of the hits / DCG of an ideal list, averaged over users.

    ``DCG = Σ_{hits at rank r ≤ k} 1 / log2(r + 1)``; the ideal list puts
    min(|relevant|, k) hits first (Järvelin & Kekäläinen 2002; the binary
    score of microsoft/recommenders). Same arguments as :func:`precision_at_k`.
    """
    return _one(recommended, relevant, k, per_user, "ndcg")


def catalog_coverage(recommended, catalog, k: int | None = None) -> float:
    """Share of the catalogue that appears in at least one user's recommendations (0–1).

    Parameters
    ----------
    recommended : dict or Series
        User → ordered list of items.
    catalog : iterable
        The items that could be recommended (e.g. the items of the training
        data, as in microsoft/recommenders).
    k : int, optional
        Count only the top ``k`` of each list.
    """
    rec, _ = _long(recommended, "recommended")
    if k is not None:
        k = _check_k(k)
        rec = rec[rec.groupby("user", sort=False).cumcount() < k]
    catalog = pd.Index(pd.unique(pd.Series(list(catalog), dtype="object")))
    if len(catalog) == 0:
        raise ValueError("catalog: empty; coverage needs at least one item")
    items = pd.Index(rec["item"].unique())
    outside = items.difference(catalog)
    if len(outside):
        raise ValueError(f"recommended: {len(outside)} items are not in the catalogue, e.g. {outside[:5].tolist()}")
    return len(items) / len(catalog)


def ranking_metrics(recommended, relevant, k: int, catalog=None) -> pd.Series:
    """Precision, recall, MAP and NDCG at ``k`` (and coverage when ``catalog`` is given) in one Series.

    ``attrs["n_users"]`` holds the number of users evaluated (present in both, with a relevant item).
    """
    table = _per_user(recommended, relevant, k)
    out = table.mean().to_dict()
    if catalog is not None:
        out["coverage"] = catalog_coverage(recommended, catalog, k)
    result = pd.Series(out, name="value")
    result.attrs["n_users"] = len(table)
    return result
