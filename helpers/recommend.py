"""Next best offer: market-basket rules, recommenders and their offline evaluation.

Three parts:

1. **Association rules.** :func:`pair_rules` computes support, confidence,
   lift, leverage and conviction of every item pair from a co-occurrence
   matrix (one sparse matrix product); :func:`basket_rules` finds all frequent
   itemsets with mlxtend's FP-growth and derives the rules with
   ``association_rules`` (Agrawal, Imieliński & Swami 1993; Han, Pei & Yin
   2000).
2. **Recommenders** with a scikit-learn-like interface (``fit(interactions)``
   returns ``self``; ``recommend(users, k)`` returns an ordered list of items
   per user): :class:`PopularityRecommender` (the baseline every method must
   beat), :class:`ItemKNNRecommender` (item-to-item similarity, Sarwar et al.
   2001; Linden, Smith & York 2003) and :class:`SegmentPopularityRecommender`
   (what is popular in the customer's own segment).
3. **Offline evaluation**: :func:`temporal_split` (train before a date, test
   after, so nothing from the future leaks into the model) and the ranking
   metrics :func:`precision_at_k`, :func:`recall_at_k`, :func:`map_at_k`,
   :func:`ndcg_at_k` and :func:`catalog_coverage`, defined as in
   microsoft/recommenders' ``python_evaluation`` module.

**Ties** are always broken the same way: higher score first, then the item
bought by more distinct users in the training data, then the smaller item id.
So a user with no history gets the popularity ranking.

References
----------
- Agrawal, R., Imieliński, T. & Swami, A. (1993). Mining association rules
  between sets of items in large databases. *SIGMOD '93*.
- Han, J., Pei, J. & Yin, Y. (2000). Mining frequent patterns without
  candidate generation. *SIGMOD '00* (FP-growth).
- Sarwar, B., Karypis, G., Konstan, J. & Riedl, J. (2001). Item-based
  collaborative filtering recommendation algorithms. *WWW '01*.
- Linden, G., Smith, B. & York, J. (2003). Amazon.com recommendations:
  item-to-item collaborative filtering. *IEEE Internet Computing* 7(1).
- Järvelin, K. & Kekäläinen, J. (2002). Cumulated gain-based evaluation of IR
  techniques. *ACM TOIS* 20(4) (NDCG).
- microsoft/recommenders, ``recommenders/evaluation/python_evaluation.py``
  (definitions of precision@k, recall@k, MAP@k, NDCG@k, catalogue coverage).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from helpers._checks import require_columns

# ---------------------------------------------------------------------------
# baskets
# ---------------------------------------------------------------------------
def _basket_matrix(baskets, basket_col: str, item_col: str):
    """Binary basket × item CSR matrix, the basket ids and the item ids (sorted).

    ``baskets`` is either a long DataFrame (one row per basket line) or a list
    of transactions (each a list of items). An item appearing twice in a
    basket counts once.
    """
    if isinstance(baskets, pd.DataFrame):
        require_columns(baskets, [basket_col, item_col], "baskets")
        b, i = baskets[basket_col], baskets[item_col]
        missing = b.isna() | i.isna()
        if missing.any():
            raise ValueError(
                f"baskets: {int(missing.sum())} lines have a missing {basket_col!r} or {item_col!r}, "
                f"e.g. rows {baskets.index[missing][:5].tolist()}"
            )
    else:
        transactions = list(baskets)
        lengths = np.array([len(t) for t in transactions], dtype="int64")
        b = pd.Series(np.repeat(np.arange(len(transactions)), lengths))
        i = pd.Series([item for t in transactions for item in t], dtype="object")
    if len(b) == 0:
        raise ValueError("baskets: no basket lines (empty input)")
    b_codes, b_ids = pd.factorize(b, sort=True)
    i_codes, i_ids = pd.factorize(i, sort=True)
    x = sparse.csr_matrix((np.ones(len(b_codes), dtype="int32"), (b_codes, i_codes)),
                          shape=(len(b_ids), len(i_ids)))
    x.sum_duplicates()
    x.data[:] = 1
    return x, b_ids, i_ids


def pair_rules(baskets, basket_col: str = "order_id", item_col: str = "product_id",
               min_support: float = 0.0, min_count: int = 1) -> pd.DataFrame:
    """All one-item → one-item association rules, computed by hand from co-occurrence counts.

    For items A and C in ``N`` baskets:

    - support(A → C) = baskets with both / N
    - confidence(A → C) = support(A and C) / support(A)
    - lift(A → C) = confidence(A → C) / support(C)  (1 = no association)
    - leverage(A → C) = support(A and C) − support(A) · support(C)
    - conviction(A → C) = (1 − support(C)) / (1 − confidence(A → C))

    (Agrawal et al. 1993; the same definitions as mlxtend's ``association_rules``.)

    Parameters
    ----------
    baskets : DataFrame or list of lists
        Long table of basket lines (``basket_col``, ``item_col``) or a list of
        transactions. Filter out returns (negative quantities) before calling.
    min_support : float
        Keep pairs bought together in at least this share of baskets.
    min_count : int
        Keep pairs bought together in at least this many baskets.

    Returns
    -------
    DataFrame
        One row per ordered pair (both directions): ``antecedent``,
        ``consequent``, ``count``, ``antecedent_support``,
        ``consequent_support``, ``support``, ``confidence``, ``lift``,
        ``leverage``, ``conviction`` (inf when confidence is 1), sorted by
        lift, then support (descending), then the ids. ``attrs["n_baskets"]``.
    """
    x, _, items = _basket_matrix(baskets, basket_col, item_col)
    n = x.shape[0]
    item_support = np.asarray(x.sum(axis=0)).ravel() / n
    co = (x.T @ x).tocoo()
    keep = (co.row != co.col) & (co.data >= max(min_count, 1)) & (co.data / n >= min_support)
    a, c, cnt = co.row[keep], co.col[keep], co.data[keep].astype("int64")
    support = cnt / n
    sa, sc = item_support[a], item_support[c]
    confidence = support / sa
    with np.errstate(divide="ignore"):
        conviction = np.where(confidence < 1, (1 - sc) / np.where(confidence < 1, 1 - confidence, 1), np.inf)
    out = pd.DataFrame({
        "antecedent": np.asarray(items)[a], "consequent": np.asarray(items)[c], "count": cnt,
        "antecedent_support": sa, "consequent_support": sc, "support": support,
        "confidence": confidence, "lift": confidence / sc, "leverage": support - sa * sc,
        "conviction": conviction,
    })
    out = out.sort_values(["lift", "support", "antecedent", "consequent"],
                          ascending=[False, False, True, True], ignore_index=True)
    out.attrs["n_baskets"] = n
    return out


def frequent_itemsets(baskets, min_support: float, basket_col: str = "order_id", item_col: str = "product_id",
                      max_len: int | None = None) -> pd.DataFrame:
    """Frequent itemsets with mlxtend's FP-growth (Han, Pei & Yin 2000).

    Returns mlxtend's table (``support``, ``itemsets`` as frozensets of item
    ids) with ``attrs["n_baskets"]``.
    """
    from mlxtend.frequent_patterns import fpgrowth

    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be a share of baskets in (0, 1], got {min_support!r}")
    x, _, items = _basket_matrix(baskets, basket_col, item_col)
    columns = [str(v) for v in items] if not isinstance(items[0], str) else list(items)
    if x.shape[0] * x.shape[1] <= 50_000_000:
        onehot = pd.DataFrame(x.toarray().astype(bool), columns=columns)
    else:
        onehot = pd.DataFrame.sparse.from_spmatrix(x.astype(bool), columns=columns)
    found = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    found.attrs["n_baskets"] = x.shape[0]
    return found


def basket_rules(baskets, min_support: float, basket_col: str = "order_id", item_col: str = "product_id",
                 metric: str = "lift", min_threshold: float = 1.0, max_len: int | None = None) -> pd.DataFrame:
    """Association rules of all frequent itemsets (mlxtend ``fpgrowth`` + ``association_rules``).

    Parameters
    ----------
    baskets : DataFrame or list of lists
        Long table of basket lines or a list of transactions.
    min_support : float
        Minimum share of baskets (0–1) an itemset must appear in.
    metric, min_threshold :
        Passed to mlxtend's ``association_rules`` (e.g. ``"lift"``, 1.0 keeps
        rules with positive association; ``"confidence"``, 0.7).
    max_len : int, optional
        Longest itemset to consider.

    Returns
    -------
    DataFrame
        mlxtend's rules with ``antecedents``/``consequents`` (frozensets),
        ``antecedent_support``, ``consequent_support``, ``support``,
        ``confidence``, ``lift``, ``leverage``, ``conviction`` (spaces in
        mlxtend's names replaced by ``_``), sorted by lift then support;
        ``attrs["n_baskets"]`` and ``attrs["n_itemsets"]``. The number of
        baskets is passed to mlxtend as ``num_itemsets`` (mlxtend ≥ 0.23.2).
    """
    from mlxtend.frequent_patterns import association_rules

    found = frequent_itemsets(baskets, min_support, basket_col, item_col, max_len)
    n = found.attrs["n_baskets"]
    cols = ["antecedents", "consequents", "antecedent_support", "consequent_support", "support",
            "confidence", "lift", "leverage", "conviction"]
    if len(found) == 0:
        rules = pd.DataFrame(columns=cols)
    else:
        # ask only for the metrics we return (mlxtend's 'certainty' divides by zero when a consequent is in every basket)
        wanted = ["antecedent support", "consequent support", "support", "confidence", "lift", "leverage", "conviction"]
        rules = association_rules(found, num_itemsets=n, metric=metric, min_threshold=min_threshold,
                                  return_metrics=wanted)
        rules = rules.rename(columns=lambda c: c.replace(" ", "_"))[cols]
        rules = rules.sort_values(["lift", "support"], ascending=False, kind="stable", ignore_index=True)
    rules.attrs["n_baskets"] = n
    rules.attrs["n_itemsets"] = len(found)
    return rules


# ---------------------------------------------------------------------------
# splitting and item lists
# ---------------------------------------------------------------------------
class TemporalSplit(NamedTuple):
    """Training rows (before the cutoff) and test rows (from the cutoff on)."""

    train: pd.DataFrame
    test: pd.DataFrame


def temporal_split(interactions: pd.DataFrame, cutoff, time_col: str = "timestamp",
                   test_end=None) -> TemporalSplit:
    """Split interactions in time: train before ``cutoff``, test from ``cutoff`` on.

    A time-based split is the honest offline test of a recommender: the
    model only sees what was known on the cutoff date and is judged on what
    customers bought afterwards, as in real use. A random split leaks the
    future into training.

    Parameters
    ----------
    interactions : DataFrame
        One row per interaction (e.g. order line) with a datetime ``time_col``.
    cutoff : date-like
        First moment of the test period; must lie after the first and not
        after the last interaction.
    test_end : date-like, optional
        End (exclusive) of the test period; default: all data from the cutoff.

    Returns
    -------
    TemporalSplit
        ``(train, test)``.
    """
    require_columns(interactions, [time_col], "interactions")
    t = pd.to_datetime(interactions[time_col])
    if t.isna().any():
        raise ValueError(f"interactions: {int(t.isna().sum())} rows have no {time_col!r}")
    if len(t) == 0:
        raise ValueError("interactions: empty table")
    cutoff = pd.Timestamp(cutoff)
    first, last = t.min(), t.max()
    if not first < cutoff <= last:
        raise ValueError(
            f"cutoff {cutoff.date()} is outside the data: {time_col!r} runs from {first} to {last}; "
            f"the cutoff must lie after the first and not after the last interaction"
        )
    test_mask = t >= cutoff
    if test_end is not None:
        test_end = pd.Timestamp(test_end)
        if test_end <= cutoff:
            raise ValueError(f"test_end {test_end.date()} must be after the cutoff {cutoff.date()}")
        test_mask &= t < test_end
    return TemporalSplit(interactions.loc[t < cutoff], interactions.loc[test_mask])


def user_items(interactions: pd.DataFrame, user_col: str = "customer_id", item_col: str = "product_id",
               exclude: pd.DataFrame | None = None) -> pd.Series:
    """The distinct items of each user as a sorted list (e.g. the "relevant" items of a test period).

    Parameters
    ----------
    exclude : DataFrame, optional
        Interactions (same columns) whose user–item pairs are removed, e.g.
        the training period, to keep only items **new** to the user. Users left
        with nothing are dropped; how many is in ``attrs["n_users_dropped"]``.

    Returns
    -------
    Series
        Index: user; values: lists of items.
    """
    require_columns(interactions, [user_col, item_col], "interactions")
    pairs = interactions[[user_col, item_col]].drop_duplicates()
    n_users = pairs[user_col].nunique()
    if exclude is not None:
        require_columns(exclude, [user_col, item_col], "exclude")
        seen = exclude[[user_col, item_col]].drop_duplicates().assign(_seen=True)
        pairs = pairs.merge(seen, on=[user_col, item_col], how="left")
        pairs = pairs.loc[pairs["_seen"].isna(), [user_col, item_col]]
    out = pairs.sort_values([user_col, item_col]).groupby(user_col, sort=True)[item_col].agg(list)
    out.name = "items"
    out.attrs["n_users_dropped"] = int(n_users - len(out))
    return out


# ---------------------------------------------------------------------------
# recommenders
# ---------------------------------------------------------------------------
class _BaseRecommender:
    """Shared fitting and ranking: a binary user × item matrix, items in popularity order."""

    user_col: str = "customer_id"
    item_col: str = "product_id"

    def _fit_matrix(self, interactions: pd.DataFrame, user_col: str, item_col: str):
        require_columns(interactions, [user_col, item_col], "interactions")
        if len(interactions) == 0:
            raise ValueError("interactions: empty table; nothing to learn from")
        missing = interactions[user_col].isna() | interactions[item_col].isna()
        if missing.any():
            raise ValueError(f"interactions: {int(missing.sum())} rows have a missing {user_col!r} or {item_col!r}")
        self.user_col, self.item_col = user_col, item_col
        pairs = interactions[[user_col, item_col]].drop_duplicates()
        popularity = pairs[item_col].value_counts()
        # item order = tie-break order: more distinct buyers first, then smaller id
        order = pd.DataFrame({"item": popularity.index, "n": popularity.to_numpy()})
        order = order.sort_values(["n", "item"], ascending=[False, True], ignore_index=True)
        self.items_ = pd.Index(order["item"], name=item_col)
        self.item_popularity_ = pd.Series(order["n"].to_numpy(), index=self.items_, name="buyers")
        self.users_ = pd.Index(pairs[user_col].unique(), name=user_col)
        rows = self.users_.get_indexer(pairs[user_col])
        cols = self.items_.get_indexer(pairs[item_col])
        self.matrix_ = sparse.csr_matrix((np.ones(len(rows), dtype="float64"), (rows, cols)),
                                         shape=(len(self.users_), len(self.items_)))
        return self.matrix_

    def _check_fitted(self):
        if not hasattr(self, "matrix_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(interactions) first")

    def _scores(self, rows: np.ndarray, users: pd.Index) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _user_rows(self, rows: np.ndarray) -> sparse.csr_matrix:
        """History rows of the given users (unknown users, row −1, get an empty history)."""
        known = rows >= 0
        out = sparse.csr_matrix((len(rows), len(self.items_)))
        if known.any():
            take = sparse.csr_matrix(self.matrix_[rows[known]])
            expand = sparse.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), np.arange(known.sum()))),
                                       shape=(len(rows), known.sum()))
            out = expand @ take
        return out

    def recommend(self, users, k: int = 10, exclude_seen: bool | None = None,
                  block_size: int = 20_000) -> pd.Series:
        """Top-``k`` items for each user, best first.

        Parameters
        ----------
        users : iterable of user ids
            Duplicates are recommended once. Users not seen in training get
            the ranking of a user with no history (for item-to-item: the
            popularity ranking).
        k : int
            Number of items per user (> 0).
        exclude_seen : bool, optional
            Leave out items the user already bought in training (default: the
            recommender's ``exclude_seen``). Users who already have almost the
            whole catalogue can get fewer than ``k`` items.
        block_size : int
            Users scored at once (memory: ``block_size × n_items`` floats).

        Returns
        -------
        Series
            Index: user; values: ordered lists of item ids. Ties: higher
            score, then more buyers in training, then smaller item id.
        """
        self._check_fitted()
        k = _check_k(k)
        if exclude_seen is None:
            exclude_seen = self.exclude_seen
        users = pd.Index(pd.unique(pd.Series(list(users), dtype="object")), name=self.user_col)
        rows_all = self.users_.get_indexer(users)
        kk = min(k, len(self.items_))
        lists: list = []
        for start in range(0, len(users), block_size):
            rows = rows_all[start:start + block_size]
            scores = np.asarray(self._scores(rows, users[start:start + block_size]), dtype="float64")
            if exclude_seen:
                hist = self._user_rows(rows).tocoo()
                scores[hist.row, hist.col] = -np.inf
            # stable sort keeps the popularity order (the column order) among equal scores
            top = np.argsort(-scores, axis=1, kind="stable")[:, :kk]
            top_items = np.asarray(self.items_)[top]
            valid = np.isfinite(np.take_along_axis(scores, top, axis=1))
            block = top_items.tolist()
            for r in np.flatnonzero(~valid.all(axis=1)):  # only users who own most of the catalogue
                block[r] = top_items[r][valid[r]].tolist()
            lists.extend(block)
        return pd.Series(lists, index=users, name="items", dtype="object")


class PopularityRecommender(_BaseRecommender):
    """Recommend the items bought by the most distinct customers (the baseline).

    Parameters
    ----------
    exclude_seen : bool
        Leave out items the customer already bought (default True).

    Attributes
    ----------
    items_ : Index
        Items in popularity order. ``item_popularity_``: distinct buyers per item.
    """

    def __init__(self, exclude_seen: bool = True):
        self.exclude_seen = exclude_seen

    def fit(self, interactions: pd.DataFrame, user_col: str = "customer_id", item_col: str = "product_id"):
        """Count distinct buyers per item; returns ``self``."""
        self._fit_matrix(interactions, user_col, item_col)
        return self

    def _scores(self, rows, users):
        return np.broadcast_to(self.item_popularity_.to_numpy(dtype="float64"), (len(rows), len(self.items_))).copy()


class ItemKNNRecommender(_BaseRecommender):
    """Item-to-item collaborative filtering (Sarwar et al. 2001; Linden et al. 2003).

    The similarity of two items is computed from the customers who bought
    them; a customer's score for an item is the sum of its similarities to the
    items the customer already bought, counting only the item's
    ``n_neighbors`` most similar items.

    Parameters
    ----------
    n_neighbors : int or None
        Most similar items kept per item (None: all).
    similarity : {"cosine", "jaccard", "cooccurrence"}
        ``cosine``: co-buyers / sqrt(buyers_i · buyers_j); ``jaccard``:
        co-buyers / buyers of either; ``cooccurrence``: raw co-buyer counts
        (favours popular items).
    exclude_seen : bool
        Leave out items the customer already bought (default True).

    Attributes
    ----------
    similarity_ : DataFrame
        Item × item similarity after keeping the neighbours (diagonal 0).

    Notes
    -----
    Customers are processed in blocks, so their number is not a limit; the
    item × item matrix is dense, which suits catalogues of up to a few
    thousand products (for larger ones, recommend product groups or keep
    only the most sold items).
    """

    def __init__(self, n_neighbors: int | None = 20, similarity: str = "cosine", exclude_seen: bool = True):
        self.n_neighbors = n_neighbors
        self.similarity = similarity
        self.exclude_seen = exclude_seen

    def fit(self, interactions: pd.DataFrame, user_col: str = "customer_id", item_col: str = "product_id"):
        """Compute the item–item similarity from distinct user–item pairs; returns ``self``."""
        if self.similarity not in {"cosine", "jaccard", "cooccurrence"}:
            raise ValueError(f"similarity must be 'cosine', 'jaccard' or 'cooccurrence', got {self.similarity!r}")
        if self.n_neighbors is not None and (int(self.n_neighbors) != self.n_neighbors or self.n_neighbors < 1):
            raise ValueError(f"n_neighbors must be a positive integer or None, got {self.n_neighbors!r}")
        x = self._fit_matrix(interactions, user_col, item_col)
        co = np.asarray((x.T @ x).todense(), dtype="float64")
        buyers = np.diag(co).copy()
        if self.similarity == "cosine":
            sim = co / np.sqrt(np.outer(buyers, buyers))
        elif self.similarity == "jaccard":
            sim = co / (buyers[:, None] + buyers[None, :] - co)
        else:
            sim = co
        np.fill_diagonal(sim, 0.0)
        if self.n_neighbors is not None and self.n_neighbors < sim.shape[0] - 1:
            # for each target item (column) keep its n most similar items (rows)
            order = np.argsort(-sim, axis=0, kind="stable")
            drop = order[self.n_neighbors:, :]
            np.put_along_axis(sim, drop, 0.0, axis=0)
        self.similarity_ = pd.DataFrame(sim, index=self.items_, columns=self.items_)
        self._sim = sim
        return self

    def _scores(self, rows, users):
        return np.asarray(self._user_rows(rows) @ self._sim)


class SegmentPopularityRecommender(_BaseRecommender):
    """Recommend what is popular among customers of the same segment.

    Segment-aware popularity: the score of an item for a customer is the
    share of the customer's segment who bought it in training. Customers
    without a known segment get the overall popularity.

    Parameters
    ----------
    exclude_seen : bool
        Leave out items the customer already bought (default True).
    """

    def __init__(self, exclude_seen: bool = True):
        self.exclude_seen = exclude_seen

    def fit(self, interactions: pd.DataFrame, segments: pd.Series, user_col: str = "customer_id",
            item_col: str = "product_id"):
        """Learn item shares per segment; ``segments`` maps user id → segment. Returns ``self``."""
        if not isinstance(segments, pd.Series):
            raise ValueError("segments must be a pandas Series indexed by user id with the segment as value")
        if segments.index.has_duplicates:
            dup = segments.index[segments.index.duplicated()]
            raise ValueError(f"segments: user ids must be unique; {len(dup)} are repeated, e.g. {dup[:5].tolist()}")
        x = self._fit_matrix(interactions, user_col, item_col)
        self.segments_ = segments.dropna()
        seg_of_user = self.segments_.reindex(self.users_)
        codes, labels = pd.factorize(seg_of_user)  # -1 = no segment
        self.n_users_without_segment_ = int((codes < 0).sum())
        known = codes >= 0
        onehot = sparse.csr_matrix((np.ones(known.sum()), (codes[known], np.flatnonzero(known))),
                                   shape=(len(labels), len(self.users_)))
        counts = np.asarray((onehot @ x).todense())
        sizes = np.asarray(onehot.sum(axis=1)).ravel()
        share = counts / sizes[:, None]
        overall = self.item_popularity_.to_numpy(dtype="float64") / len(self.users_)
        self.segment_labels_ = pd.Index(labels, name="segment")
        self.item_share_ = pd.DataFrame(share, index=self.segment_labels_, columns=self.items_)
        self._table = np.vstack([share, overall])  # last row: no segment
        return self

    def _scores(self, rows, users):
        seg = self.segments_.reindex(users)
        idx = self.segment_labels_.get_indexer(seg)
        idx = np.where(idx < 0, len(self.segment_labels_), idx)
        return self._table[idx]


# ---------------------------------------------------------------------------
# metrics (definitions of microsoft/recommenders python_evaluation)
# ---------------------------------------------------------------------------
def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValueError(f"k must be a positive integer (the length of the recommendation list), got {k!r}")
    return int(k)


def _to_series(obj, name: str) -> pd.Series:
    if isinstance(obj, pd.Series):
        return obj
    if isinstance(obj, dict):
        return pd.Series(obj, dtype="object") if obj else pd.Series(dtype="object")
    raise ValueError(f"{name} must be a dict or a pandas Series mapping each user to a list of items, got {type(obj).__name__}")


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
