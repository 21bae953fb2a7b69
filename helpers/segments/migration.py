"""Customers moving between segments from one period to the next."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.segments._common import check_labels


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
    b = check_labels(labels_before, "labels_before")
    a = check_labels(labels_after, "labels_after")
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
