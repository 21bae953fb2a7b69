"""Market baskets: co-occurrence pair rules and mlxtend's FP-growth rules.

Return lines (a negative quantity or amount) are **excluded and counted**:
a product bought and returned is not an association anyone should act on,
and a return-only order is not a basket. The count is reported as
``attrs["return_lines_excluded"]`` on every result. The purchase lines of an
order that also holds a return stay in the basket.

References: Agrawal, Imieliński & Swami (1993); Han, Pei & Yin (2000); see
:mod:`helpers.recommend`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from helpers import columns
from helpers._checks import require_columns


def exclude_returns(lines: pd.DataFrame, quantity_col: str | None = columns.QUANTITY,
                    amount_col: str | None = columns.AMOUNT) -> tuple[pd.DataFrame, int]:
    """The lines that are not returns, and how many return lines were left out.

    A return line has a negative ``quantity_col`` or ``amount_col``. A column
    the table does not have (or ``None``) is not used, so a plain table of
    ``order_id`` and ``product_id`` passes unchanged.

    Returns
    -------
    (DataFrame, int)
        The kept lines (the same rows, index unchanged) and the number excluded.
    """
    is_return = np.zeros(len(lines), dtype=bool)
    for col in (quantity_col, amount_col):
        if col is not None and col in lines.columns:
            is_return |= (pd.to_numeric(lines[col], errors="coerce") < 0).to_numpy()
    n_returns = int(is_return.sum())
    return (lines[~is_return] if n_returns else lines), n_returns


def _basket_matrix(baskets, order_col: str, product_col: str, quantity_col: str | None, amount_col: str | None):
    """Binary basket × item CSR matrix, the basket ids, the item ids (sorted) and the return lines left out.

    ``baskets`` is either a long DataFrame (one row per basket line) or a list
    of transactions (each a list of items). An item appearing twice in a
    basket counts once.
    """
    n_returns = 0
    if isinstance(baskets, pd.DataFrame):
        require_columns(baskets, [order_col, product_col], "baskets")
        baskets, n_returns = exclude_returns(baskets, quantity_col, amount_col)
        b, i = baskets[order_col], baskets[product_col]
        missing = b.isna() | i.isna()
        if missing.any():
            raise ValueError(
                f"baskets: {int(missing.sum())} lines have a missing {order_col!r} or {product_col!r}, "
                f"e.g. rows {baskets.index[missing][:5].tolist()}"
            )
    else:
        transactions = list(baskets)
        lengths = np.array([len(t) for t in transactions], dtype="int64")
        b = pd.Series(np.repeat(np.arange(len(transactions)), lengths))
        i = pd.Series([item for t in transactions for item in t], dtype="object")
    if len(b) == 0:
        raise ValueError("baskets: no basket lines (empty input, or only return lines)")
    b_codes, b_ids = pd.factorize(b, sort=True)
    i_codes, i_ids = pd.factorize(i, sort=True)
    x = sparse.csr_matrix((np.ones(len(b_codes), dtype="int32"), (b_codes, i_codes)),
                          shape=(len(b_ids), len(i_ids)))
    x.sum_duplicates()
    x.data[:] = 1
    return x, b_ids, i_ids, n_returns


def pair_rules(baskets, order_col: str = columns.ORDER, product_col: str = columns.PRODUCT,
               min_support: float = 0.0, min_count: int = 1, quantity_col: str | None = columns.QUANTITY,
               amount_col: str | None = columns.AMOUNT) -> pd.DataFrame:
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
        Long table of basket lines (``order_col``, ``product_col``) or a list
        of transactions.
    min_support : float
        Keep pairs bought together in at least this share of baskets.
    min_count : int
        Keep pairs bought together in at least this many baskets.
    quantity_col, amount_col : str or None
        Lines with a negative quantity or amount are returns: excluded and
        counted (:func:`exclude_returns`).

    Returns
    -------
    DataFrame
        One row per ordered pair (both directions): ``antecedent``,
        ``consequent``, ``count``, ``antecedent_support``,
        ``consequent_support``, ``support``, ``confidence``, ``lift``,
        ``leverage``, ``conviction`` (inf when confidence is 1), sorted by
        lift, then confidence (so of a pair's two directions, which share
        their lift, the stronger rule comes first), then support
        (descending), then the ids.
        ``attrs["n_baskets"]`` and ``attrs["return_lines_excluded"]``.
    """
    x, _, items, n_returns = _basket_matrix(baskets, order_col, product_col, quantity_col, amount_col)
    n = x.shape[0]
    item_support = np.asarray(x.sum(axis=0)).ravel() / n
    co = (x.T @ x).tocoo()
    keep = (co.row != co.col) & (co.data >= max(min_count, 1)) & (co.data / n >= min_support)
    a, c, cnt = co.row[keep], co.col[keep], co.data[keep].astype("int64")
    support = cnt / n
    sa, sc = item_support[a], item_support[c]
    confidence = support / sa
    lift = support / (sa * sc)  # symmetric: both directions of a pair get exactly the same lift
    with np.errstate(divide="ignore"):
        conviction = np.where(confidence < 1, (1 - sc) / np.where(confidence < 1, 1 - confidence, 1), np.inf)
    out = pd.DataFrame({
        "antecedent": np.asarray(items)[a], "consequent": np.asarray(items)[c], "count": cnt,
        "antecedent_support": sa, "consequent_support": sc, "support": support,
        "confidence": confidence, "lift": lift, "leverage": support - sa * sc,
        "conviction": conviction,
    })
    out = out.sort_values(["lift", "confidence", "support", "antecedent", "consequent"],
                          ascending=[False, False, False, True, True], ignore_index=True)
    out.attrs["n_baskets"] = n
    out.attrs["return_lines_excluded"] = n_returns
    return out


def frequent_itemsets(baskets, min_support: float, order_col: str = columns.ORDER,
                      product_col: str = columns.PRODUCT, max_len: int | None = None,
                      quantity_col: str | None = columns.QUANTITY,
                      amount_col: str | None = columns.AMOUNT) -> pd.DataFrame:
    """Frequent itemsets with mlxtend's FP-growth (Han, Pei & Yin 2000).

    Returns mlxtend's table (``support``, ``itemsets`` as frozensets of item
    ids) with ``attrs["n_baskets"]`` and ``attrs["return_lines_excluded"]``
    (return lines are left out as in :func:`pair_rules`).
    """
    from mlxtend.frequent_patterns import fpgrowth

    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be a share of baskets in (0, 1], got {min_support!r}")
    x, _, items, n_returns = _basket_matrix(baskets, order_col, product_col, quantity_col, amount_col)
    names = [str(v) for v in items] if not isinstance(items[0], str) else list(items)
    if x.shape[0] * x.shape[1] <= 50_000_000:
        onehot = pd.DataFrame(x.toarray().astype(bool), columns=names)
    else:
        onehot = pd.DataFrame.sparse.from_spmatrix(x.astype(bool), columns=names)
    found = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    found.attrs["n_baskets"] = x.shape[0]
    found.attrs["return_lines_excluded"] = n_returns
    return found


def basket_rules(baskets, min_support: float, order_col: str = columns.ORDER, product_col: str = columns.PRODUCT,
                 metric: str = "lift", min_threshold: float = 1.0, max_len: int | None = None,
                 quantity_col: str | None = columns.QUANTITY, amount_col: str | None = columns.AMOUNT) -> pd.DataFrame:
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
    quantity_col, amount_col : str or None
        Return lines are excluded and counted, as in :func:`pair_rules`.

    Returns
    -------
    DataFrame
        mlxtend's rules with ``antecedents``/``consequents`` (frozensets),
        ``antecedent_support``, ``consequent_support``, ``support``,
        ``confidence``, ``lift``, ``leverage``, ``conviction`` (spaces in
        mlxtend's names replaced by ``_``), sorted by lift then support;
        ``attrs["n_baskets"]``, ``attrs["n_itemsets"]`` and
        ``attrs["return_lines_excluded"]``. The number of baskets is passed to
        mlxtend as ``num_itemsets`` (mlxtend ≥ 0.23.2).
    """
    from mlxtend.frequent_patterns import association_rules

    found = frequent_itemsets(baskets, min_support, order_col, product_col, max_len, quantity_col, amount_col)
    n = found.attrs["n_baskets"]
    cols = ["antecedents", "consequents", "antecedent_support", "consequent_support", "support",
            "confidence", "lift", "leverage", "conviction"]
    if len(found) == 0:
        rules = pd.DataFrame(columns=cols)
    else:
        # ask only for the metrics we return (mlxtend's 'certainty' divides by zero when a consequent is in
        # every basket)
        wanted = ["antecedent support", "consequent support", "support", "confidence", "lift", "leverage", "conviction"]
        rules = association_rules(found, num_itemsets=n, metric=metric, min_threshold=min_threshold,
                                  return_metrics=wanted)
        rules = rules.rename(columns=lambda c: c.replace(" ", "_"))[cols]
        rules = rules.sort_values(["lift", "support"], ascending=False, kind="stable", ignore_index=True)
    rules.attrs["n_baskets"] = n
    rules.attrs["n_itemsets"] = len(found)
    rules.attrs["return_lines_excluded"] = found.attrs["return_lines_excluded"]
    return rules
