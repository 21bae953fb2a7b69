"""Offline evaluation data: a split in time and the items each customer took."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers import columns
from helpers._checks import as_timestamp, require_columns, require_dates
from helpers.recommend.baskets import exclude_returns


@dataclass(frozen=True, eq=False)
class TemporalSplit:
    """Training rows (before ``cutoff``) and test rows (from ``cutoff`` on, before ``test_end`` if given).

    Unpacks as ``train, test = temporal_split(...)``.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    cutoff: pd.Timestamp
    test_end: pd.Timestamp | None

    def __iter__(self):
        return iter((self.train, self.test))


def default_cutoff(observation_end, test_months: int = 6) -> pd.Timestamp:
    """The first day of the last ``test_months`` months up to ``observation_end`` (a date or a string).

    ``31.12.2025`` and 6 months give ``2025-07-01``: the test period is the
    last half-year of the data, training everything before it.
    """
    if isinstance(test_months, bool) or int(test_months) != test_months or test_months < 1:
        raise ValueError(f"test_months must be a positive whole number of months, got {test_months!r}")
    end = as_timestamp(observation_end, "observation_end").normalize()
    return end + pd.Timedelta(days=1) - pd.DateOffset(months=int(test_months))


def temporal_split(interactions: pd.DataFrame, cutoff=None, timestamp_col: str = columns.TIMESTAMP,
                   test_end=None, test_months: int = 6) -> TemporalSplit:
    """Split interactions in time: train before ``cutoff``, test from ``cutoff`` on.

    A time-based split is the honest offline test of a recommender: the
    model only sees what was known on the cutoff date and is judged on what
    customers bought afterwards, as in real use. A random split leaks the
    future into training.

    Parameters
    ----------
    interactions : DataFrame
        One row per interaction (e.g. order line) with a datetime
        ``timestamp_col``; a column still held as text is refused (read the
        table with :func:`helpers.data.read_table`, which reads ISO and
        ``31.12.2025`` dates).
    cutoff : date or str, optional
        First moment of the test period (``"2025-07-01"`` or ``"01.07.2025"``);
        must lie after the first and not after the last interaction. ``None``:
        the last ``test_months`` months of the data, ending on the day of the
        last interaction (:func:`default_cutoff`).
    test_end : date or str, optional
        End (exclusive) of the test period; default: all data from the cutoff.
    test_months : int
        Length of the test period when ``cutoff`` is ``None`` (months).

    Returns
    -------
    TemporalSplit
        ``train``, ``test``, ``cutoff``, ``test_end``; unpacks as ``(train, test)``.
    """
    require_columns(interactions, [timestamp_col], "interactions")
    if len(interactions) == 0:
        raise ValueError("interactions: empty table")
    t = require_dates(interactions, timestamp_col, "interactions")
    first, last = t.min(), t.max()
    cutoff = default_cutoff(last, test_months) if cutoff is None else as_timestamp(cutoff, "cutoff")
    if not first < cutoff <= last:
        raise ValueError(
            f"cutoff {cutoff.date()} is outside the data: {timestamp_col!r} runs from {first} to {last}; "
            f"the cutoff must lie after the first and not after the last interaction"
        )
    test_mask = t >= cutoff
    if test_end is not None:
        test_end = as_timestamp(test_end, "test_end")
        if test_end <= cutoff:
            raise ValueError(f"test_end {test_end.date()} must be after the cutoff {cutoff.date()}")
        test_mask &= t < test_end
    return TemporalSplit(interactions[(t < cutoff).to_numpy()], interactions[test_mask.to_numpy()], cutoff, test_end)


def user_items(interactions: pd.DataFrame, customer_col: str = columns.CUSTOMER,
               product_col: str = columns.PRODUCT, exclude: pd.DataFrame | None = None,
               quantity_col: str | None = columns.QUANTITY, amount_col: str | None = columns.AMOUNT) -> pd.Series:
    """The distinct items of each customer as a sorted list (e.g. the "relevant" items of a test period).

    Parameters
    ----------
    interactions : DataFrame
        One row per interaction. Return lines (negative ``quantity_col`` or
        ``amount_col``, where the table has them) are excluded and counted in
        ``attrs["return_lines_excluded"]``: a returned product is not one the
        customer wanted.
    exclude : DataFrame, optional
        Interactions (same columns) whose customer–item pairs are removed, e.g.
        the training period, to keep only items **new** to the customer (all
        its lines count, returns included: the customer has met the item).
        Customers left with nothing are dropped; how many is in
        ``attrs["n_users_dropped"]``.

    Returns
    -------
    Series
        Index: customer; values: lists of items.
    """
    require_columns(interactions, [customer_col, product_col], "interactions")
    interactions, n_returns = exclude_returns(interactions, quantity_col, amount_col)
    pairs = interactions[[customer_col, product_col]].drop_duplicates()
    n_users = pairs[customer_col].nunique()
    if exclude is not None:
        require_columns(exclude, [customer_col, product_col], "exclude")
        seen = exclude[[customer_col, product_col]].drop_duplicates().assign(_seen=True)
        pairs = pairs.merge(seen, on=[customer_col, product_col], how="left")
        pairs = pairs.loc[pairs["_seen"].isna(), [customer_col, product_col]]
    out = pairs.sort_values([customer_col, product_col]).groupby(customer_col, sort=True)[product_col].agg(list)
    out.name = "items"
    out.attrs["n_users_dropped"] = int(n_users - len(out))
    out.attrs["return_lines_excluded"] = n_returns
    return out
