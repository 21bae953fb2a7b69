"""Checks and small text helpers shared by the segmentation modules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers._checks import examples


def not_in(values, reference) -> np.ndarray:
    """Boolean mask: which of ``values`` are not in ``reference`` (hash join; fast for text ids)."""
    return pd.Index(reference).unique().get_indexer(pd.Index(values)) < 0


def check_labels(labels: pd.Series, name: str = "labels") -> pd.Series:
    """A segment per customer: a Series with unique customer ids and no missing segment."""
    if not isinstance(labels, pd.Series):
        raise ValueError(f"{name} must be a pandas Series indexed by customer id, got {type(labels).__name__}")
    dup = labels.index.duplicated()
    if dup.any():
        raise ValueError(f"{name}: customer ids must be unique; {dup.sum()} rows repeat an id, "
                         f"e.g. {examples(labels.index[dup])}")
    missing = labels.isna()
    if missing.any():
        raise ValueError(f"{name}: every customer needs a segment; {missing.sum()} rows are missing one, "
                         f"e.g. {examples(labels.index[missing])}")
    return labels


def check_known(labels: pd.Series, features: pd.DataFrame, name: str = "labels") -> None:
    """Every labelled customer must be a row of ``features``."""
    unknown = not_in(labels.index, features.index)
    if unknown.any():
        raise ValueError(f"{name}: {unknown.sum()} customer ids are not in the features table, "
                         f"e.g. {examples(labels.index[unknown])}")


def slug(text) -> str:
    """A category as part of a column name: lower case, anything but letters and digits as ``_``."""
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower()).strip("_")
