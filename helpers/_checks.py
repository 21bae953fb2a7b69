"""Small shared pieces of input checking: one place for how error messages show examples."""

from __future__ import annotations

import numpy as np
import pandas as pd


def examples(values, n: int = 3) -> list:
    """The first ``n`` distinct values, as plain Python objects, to quote in an error message."""
    unique = pd.unique(np.asarray(values, dtype=object) if not isinstance(values, (pd.Series, pd.Index)) else values)
    return [v.item() if hasattr(v, "item") else v for v in list(unique)[:n]]
