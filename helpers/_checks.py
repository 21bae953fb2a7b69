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


# --------------------------------------------------------------------------- dates
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S",
                 "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S")


def as_timestamp(value, name: str) -> pd.Timestamp:
    """A date parameter as a ``Timestamp``: a date, a ``Timestamp`` or a string.

    Strings are read as ISO (``2025-12-31``) or Finnish (``31.12.2025``), with an
    optional time; nothing else is guessed (``12/31/2025`` or ``31/12/2025``
    are refused), so a date passed by papermill's ``-p`` means what it says.

    Raises
    ------
    ValueError
        Naming the parameter and the formats accepted.
    """
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in _DATE_FORMATS:
            try:
                return pd.Timestamp(pd.to_datetime(text, format=fmt))
            except (ValueError, TypeError):
                continue
        raise ValueError(f"{name}={value!r} is not a date: write it as 2025-12-31 or 31.12.2025")
    try:
        out = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}={value!r} is not a date: give a date, or a string such as "
                         f"2025-12-31 or 31.12.2025") from exc
    if out is pd.NaT:
        raise ValueError(f"{name} is missing: give a date such as 2025-12-31 or 31.12.2025")
    return out


def require_dates(df: pd.DataFrame, column: str, name: str) -> pd.Series:
    """The column as datetimes (time-zone-naive); a column still held as text is refused.

    A text column is not parsed here: whether ``01.02.2025`` is the first of
    February or the second of January is for the loader to decide from the
    file's declared format (:func:`helpers.data.read_table` does it), never for
    an analysis function to guess.
    """
    values = df[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        raise ValueError(
            f"{name}: column {column!r} must hold dates (datetime64), but it holds {values.dtype} values "
            f"such as {examples(values.dropna())}; read the table with helpers.data.read_table (which "
            f"reads ISO and 31.12.2025 dates) or parse it with pd.to_datetime(..., format=...) first")
    missing = values.isna()
    if missing.any():
        raise ValueError(f"{name}: column {column!r} must not be missing; {int(missing.sum())} of "
                         f"{len(values)} rows are (row labels {examples(values.index[missing])})")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values


def observation_end_of(dates: pd.Series, observation_end=None) -> pd.Timestamp:
    """The last day the history covers (midnight of that day): the given day, or the last date in the data."""
    if observation_end is None:
        return dates.max().normalize()
    return as_timestamp(observation_end, "observation_end").normalize()


def within_observation(dates: pd.Series, observation_end=None) -> tuple[pd.Series, pd.Timestamp, int]:
    """Which rows fall on or before ``observation_end`` (the day included).

    The one end-date rule of the package: rows after the last day are left out
    and counted (callers report the count in ``attrs["rows_after_observation_end"]``
    or a result field of that name), never an error and never silent.

    Returns
    -------
    keep : Series of bool, aligned with ``dates``
    end : Timestamp, midnight of the last day
    n_after : int, rows left out
    """
    end = observation_end_of(dates, observation_end)
    keep = dates < end + pd.Timedelta(days=1)
    return keep, end, int((~keep).sum())
