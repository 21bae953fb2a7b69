"""Small shared pieces of input checking: one place for how error messages show examples."""

from __future__ import annotations

import numpy as np
import pandas as pd


def examples(values, n: int = 3) -> list:
    """The first ``n`` distinct values, as plain Python objects, to quote in an error message."""
    unique = pd.unique(np.asarray(values, dtype=object) if not isinstance(values, (pd.Series, pd.Index)) else values)
    return [v.item() if hasattr(v, "item") else v for v in list(unique)[:n]]


def require_columns(df, columns, name: str) -> None:
    """Raise a ValueError naming the table and the columns it lacks (and a few it has)."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}: not found (no column of that name) "
                         f"among {list(df.columns)[:12]}")
