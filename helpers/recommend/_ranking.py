"""Two sorting steps of the recommenders, written to scale to large catalogues.

- :func:`top_neighbours` builds the item × item similarity keeping only each
  item's ``n`` most similar items, as a ``scipy.sparse`` matrix, from the
  co-occurrence counts computed one block of items at a time. Memory grows
  with the kept neighbours (about 12 bytes each) and one block's
  co-occurrences, never with n_items²: 100 000 items × 20 neighbours take
  about 24 MB.
- :func:`top_k` returns each row's ``k`` best columns with a partial sort
  (``np.partition``) and a sort of the ``k`` chosen only, in exactly the
  order a full stable ``argsort`` gives: higher score first, then the smaller
  column (the recommenders put the columns in their tie-break order).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

#: Co-occurrence entries computed at once when building the similarity (with
#: the product and the ranking's temporaries about 70 bytes each: some 300 MB).
BLOCK_ENTRIES = 2**22


def _similarity_values(co, rows, cols, buyers, similarity: str) -> np.ndarray:
    """Similarity of item pairs from their co-buyer counts (the same floating-point steps as a dense computation)."""
    if similarity == "cosine":
        return co / np.sqrt(buyers[rows] * buyers[cols])
    if similarity == "jaccard":
        return co / (buyers[rows] + buyers[cols] - co)
    return co


def _column_blocks(x: sparse.csr_matrix, budget: int) -> list[tuple[int, int]]:
    """Contiguous column ranges whose co-occurrence products hold at most about ``budget`` entries each."""
    items_per_user = np.asarray(x.sum(axis=1)).ravel()
    # upper bound of the items co-bought with each item: its buyers' numbers of items, summed (at most n_items)
    work = np.minimum(np.asarray(x.T @ items_per_user).ravel(), x.shape[1])
    ends = np.searchsorted(np.cumsum(work), np.arange(budget, work.sum() + budget, budget), side="right")
    edges = np.unique(np.concatenate([[0], np.clip(ends, 1, x.shape[1]), [x.shape[1]]]))
    return list(zip(edges[:-1], edges[1:]))


def _keep_first(rows, cols, values, n: int | None):
    """Keep, in each column, the ``n`` largest values (ties: the smaller row first), as a stable argsort would."""
    if n is None:
        return rows, cols, values
    order = np.lexsort((rows, -values, cols))
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(len(cols)) - np.searchsorted(cols, cols, side="left")
    keep = rank < n
    return rows[keep], cols[keep], values[keep]


def top_neighbours(x: sparse.csr_matrix, similarity: str, n: int | None,
                   budget: int = BLOCK_ENTRIES) -> sparse.csr_matrix:
    """Item × item similarity from a binary user × item matrix, each column keeping its ``n`` nearest items.

    Column ``j`` holds the similarities of item ``j``'s ``n`` most similar
    items (rows); the diagonal is left out. ``n=None`` keeps every pair bought
    together. ``similarity``: ``cosine`` (co-buyers / sqrt(buyers_i ·
    buyers_j)), ``jaccard`` (co-buyers / buyers of either) or
    ``cooccurrence`` (co-buyers).
    """
    x = sparse.csr_matrix(x, dtype="float64")
    xt, xc = x.T.tocsr(), x.tocsc()
    buyers = np.asarray(x.sum(axis=0)).ravel()
    parts = []
    for start, stop in _column_blocks(x, budget):
        co = (xt @ xc[:, start:stop]).tocoo()
        rows, cols, counts = co.row.astype("int64"), co.col.astype("int64") + start, co.data
        off_diagonal = rows != cols
        rows, cols, counts = rows[off_diagonal], cols[off_diagonal], counts[off_diagonal]
        values = _similarity_values(counts, rows, cols, buyers, similarity)
        parts.append(_keep_first(rows, cols, values, n))
    rows, cols, values = (np.concatenate(p) for p in zip(*parts))
    return sparse.csr_matrix((values, (rows, cols)), shape=(x.shape[1], x.shape[1]))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` highest scores, best first; ties: the smaller column first.

    The same result as ``np.argsort(-scores, axis=1, kind="stable")[:, :k]``
    at the cost of a partial sort: the ``k``-th best score of each row is
    found with ``np.partition``; every column above it is taken, and of the
    columns equal to it the first ones (by index) until ``k`` are chosen; only
    those ``k`` are then sorted (stably).
    """
    neg = -scores
    kth = np.partition(neg, k - 1, axis=1)[:, k - 1:k]
    better = neg < kth
    tied = neg == kth
    room = k - better.sum(axis=1, keepdims=True)
    chosen = better | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= room))
    cols = np.nonzero(chosen)[1].reshape(len(scores), k)  # ascending column order within each row
    order = np.argsort(np.take_along_axis(neg, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)
