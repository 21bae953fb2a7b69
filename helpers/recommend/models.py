"""Recommenders with a scikit-learn interface: popularity, item-to-item, segment popularity.

``fit(interactions)`` returns ``self``; ``recommend(customers, k)`` returns an
ordered list of items per customer. Fitted attributes end in ``_`` and exist
only after ``fit``; :func:`sklearn.utils.validation.check_is_fitted` and every
``recommend`` call before ``fit`` raise ``NotFittedError``.

**Ties** are always broken the same way: higher score first, then the item
bought by more distinct customers in the training data, then the smaller item
id. So a customer with no history gets the popularity ranking.

References: Sarwar, Karypis, Konstan & Riedl (2001); Linden, Smith & York
(2003); see :mod:`helpers.recommend`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from helpers import columns
from helpers._checks import require_columns
from helpers.recommend._ranking import top_k, top_neighbours
from helpers.recommend.evaluation import _check_k

_NOT_FITTED = "%(name)s is not fitted yet: call fit(interactions) before using it"
#: Scores ranked at once (customers per block × items): 32 MB of float64, some 130 MB with the sort.
SCORE_BLOCK_ENTRIES = 2**22


class _BaseRecommender(BaseEstimator):
    """Shared fitting and ranking: a binary customer × item matrix, items in popularity order."""

    def _fit_matrix(self, interactions: pd.DataFrame, customer_col: str, product_col: str):
        require_columns(interactions, [customer_col, product_col], "interactions")
        if len(interactions) == 0:
            raise ValueError("interactions: empty table; nothing to learn from")
        missing = interactions[customer_col].isna() | interactions[product_col].isna()
        if missing.any():
            raise ValueError(f"interactions: {int(missing.sum())} rows have a missing {customer_col!r} "
                             f"or {product_col!r}")
        self.customer_col_, self.product_col_ = customer_col, product_col
        pairs = interactions[[customer_col, product_col]].drop_duplicates()
        popularity = pairs[product_col].value_counts()
        # item order = tie-break order: more distinct buyers first, then smaller id
        order = pd.DataFrame({"item": popularity.index, "n": popularity.to_numpy()})
        order = order.sort_values(["n", "item"], ascending=[False, True], ignore_index=True)
        self.items_ = pd.Index(order["item"], name=product_col)
        self.item_popularity_ = pd.Series(order["n"].to_numpy(), index=self.items_, name="buyers")
        self.users_ = pd.Index(pairs[customer_col].unique(), name=customer_col)
        rows = self.users_.get_indexer(pairs[customer_col])
        cols = self.items_.get_indexer(pairs[product_col])
        self.matrix_ = sparse.csr_matrix((np.ones(len(rows), dtype="float64"), (rows, cols)),
                                         shape=(len(self.users_), len(self.items_)))
        return self.matrix_

    def _scores(self, rows: np.ndarray, users: pd.Index) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _user_rows(self, rows: np.ndarray) -> sparse.csr_matrix:
        """History rows of the given customers (unknown customers, row −1, get an empty history)."""
        known = rows >= 0
        out = sparse.csr_matrix((len(rows), len(self.items_)))
        if known.any():
            take = sparse.csr_matrix(self.matrix_[rows[known]])
            expand = sparse.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), np.arange(known.sum()))),
                                       shape=(len(rows), known.sum()))
            out = expand @ take
        return out

    def _rank_block(self, rows: np.ndarray, users: pd.Index, k: int, exclude_seen: bool) -> list:
        """Top-``k`` item lists of one block of customers (seen items left out when asked)."""
        scores = np.asarray(self._scores(rows, users), dtype="float64")
        if exclude_seen:
            hist = self._user_rows(rows).tocoo()
            scores[hist.row, hist.col] = -np.inf
        top = top_k(scores, k)
        top_items = np.asarray(self.items_)[top]
        valid = np.isfinite(np.take_along_axis(scores, top, axis=1))
        block = top_items.tolist()
        for r in np.flatnonzero(~valid.all(axis=1)):  # only customers who own most of the catalogue
            block[r] = top_items[r][valid[r]].tolist()
        return block

    def recommend(self, users, k: int = 10, exclude_seen: bool | None = None,
                  block_size: int | None = None) -> pd.Series:
        """Top-``k`` items for each customer, best first.

        Parameters
        ----------
        users : iterable of customer ids
            Duplicates are recommended once. Customers not seen in training get
            the ranking of a customer with no history (for item-to-item: the
            popularity ranking).
        k : int
            Number of items per customer (> 0).
        exclude_seen : bool, optional
            Leave out items the customer already bought in training (default:
            the recommender's ``exclude_seen``). Customers who already have
            almost the whole catalogue can get fewer than ``k`` items.
        block_size : int, optional
            Customers scored at once (memory: ``block_size × n_items`` floats);
            default: as many as fit in :data:`SCORE_BLOCK_ENTRIES` scores.

        Returns
        -------
        Series
            Index: customer; values: ordered lists of item ids. Ties: higher
            score, then more buyers in training, then smaller item id.
        """
        check_is_fitted(self, msg=_NOT_FITTED)
        k = _check_k(k)
        if exclude_seen is None:
            exclude_seen = self.exclude_seen
        if block_size is None:
            block_size = max(1, SCORE_BLOCK_ENTRIES // len(self.items_))
        users = pd.Index(pd.unique(pd.Series(list(users), dtype="object")), name=self.customer_col_)
        rows_all = self.users_.get_indexer(users)
        kk = min(k, len(self.items_))
        lists: list = []
        for start in range(0, len(users), block_size):
            stop = start + block_size
            lists.extend(self._rank_block(rows_all[start:stop], users[start:stop], kk, exclude_seen))
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

    def fit(self, interactions: pd.DataFrame, customer_col: str = columns.CUSTOMER,
            product_col: str = columns.PRODUCT):
        """Count distinct buyers per item; returns ``self``."""
        self._fit_matrix(interactions, customer_col, product_col)
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
        Most similar items kept per item (None: all pairs bought together).
    similarity : {"cosine", "jaccard", "cooccurrence"}
        ``cosine``: co-buyers / sqrt(buyers_i · buyers_j); ``jaccard``:
        co-buyers / buyers of either; ``cooccurrence``: raw co-buyer counts
        (favours popular items).
    exclude_seen : bool
        Leave out items the customer already bought (default True).

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix
        Item × item similarity, rows and columns in the order of ``items_``:
        column ``j`` holds item ``j``'s ``n_neighbors`` most similar items
        (diagonal and other pairs 0, not stored); a customer's scores are
        the sum of the rows of the items they bought. :meth:`similar_items`
        reads one row.

    Notes
    -----
    Only the kept neighbours are stored (about 12 bytes each), built from
    the co-occurrence counts one block of items at a time, and customers are
    scored in blocks: 100 000 items with 20 neighbours need some hundreds of
    MB, where a dense item × item matrix would need 32 · n_items² bytes
    (``benchmarks/recommend_scale.py``).
    """

    def __init__(self, n_neighbors: int | None = 20, similarity: str = "cosine", exclude_seen: bool = True):
        self.n_neighbors = n_neighbors
        self.similarity = similarity
        self.exclude_seen = exclude_seen

    def fit(self, interactions: pd.DataFrame, customer_col: str = columns.CUSTOMER,
            product_col: str = columns.PRODUCT):
        """Compute the item–item similarity from distinct customer–item pairs; returns ``self``."""
        if self.similarity not in {"cosine", "jaccard", "cooccurrence"}:
            raise ValueError(f"similarity must be 'cosine', 'jaccard' or 'cooccurrence', got {self.similarity!r}")
        if self.n_neighbors is not None and (int(self.n_neighbors) != self.n_neighbors or self.n_neighbors < 1):
            raise ValueError(f"n_neighbors must be a positive integer or None, got {self.n_neighbors!r}")
        x = self._fit_matrix(interactions, customer_col, product_col)
        n = None if self.n_neighbors is None else int(self.n_neighbors)
        self.similarity_ = top_neighbours(x, self.similarity, n)
        return self

    def similar_items(self, item, n: int = 10) -> pd.Series:
        """The items a purchase of ``item`` pushes most, with the similarity each gains.

        Row ``item`` of :attr:`similarity_`: the items that count ``item``
        among their ``n_neighbors`` nearest, so the items whose score rises
        by this much for a customer who bought ``item``. Most similar first;
        ties: the item with more buyers, then the smaller id. At most ``n``
        items, only those with a similarity above 0. A Series indexed by item,
        named after ``item``.
        """
        check_is_fitted(self, msg=_NOT_FITTED)
        n = _check_k(n)
        i = self.items_.get_indexer([item])[0]
        if i < 0:
            raise ValueError(f"item {item!r} was not in the training data ({len(self.items_)} items, "
                             f"e.g. {self.items_[:3].tolist()})")
        row = self.similarity_[[i]].tocoo()
        order = np.lexsort((row.col, -row.data))[:n]
        return pd.Series(row.data[order], index=self.items_[row.col[order]], name=item)

    def _scores(self, rows, users):
        return (self._user_rows(rows) @ self.similarity_).toarray()


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

    def fit(self, interactions: pd.DataFrame, segments: pd.Series, customer_col: str = columns.CUSTOMER,
            product_col: str = columns.PRODUCT):
        """Learn item shares per segment; ``segments`` maps customer id → segment. Returns ``self``."""
        if not isinstance(segments, pd.Series):
            raise ValueError("segments must be a pandas Series indexed by customer id with the segment as value")
        if segments.index.has_duplicates:
            dup = segments.index[segments.index.duplicated()]
            raise ValueError(f"segments: customer ids must be unique; {len(dup)} are repeated, e.g. {dup[:5].tolist()}")
        x = self._fit_matrix(interactions, customer_col, product_col)
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
