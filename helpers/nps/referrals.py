"""Member-gets-member networks: the direct and indirect reach of every referrer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import columns
from helpers._checks import require_columns


def _check_referrals(referrals: pd.DataFrame, referrer_col: str, referred_col: str) -> None:
    """Raise a ValueError unless every customer was referred once, by someone else."""
    require_columns(referrals, [referrer_col, referred_col], "referrals")
    if len(referrals) == 0:
        raise ValueError("referrals: the table is empty")
    a = referrals[referrer_col]
    b = referrals[referred_col]
    missing = a.isna() | b.isna()
    if missing.any():
        raise ValueError(f"referrals: {int(missing.sum())} rows have a missing id, "
                         f"e.g. rows {referrals.index[missing][:5].tolist()}")
    self_ref = a.to_numpy() == b.to_numpy()
    if self_ref.any():
        raise ValueError(f"referrals: {int(self_ref.sum())} customers refer themselves, "
                         f"e.g. {a[self_ref].head(5).tolist()}")
    dup = b.duplicated(keep=False)
    if dup.any():
        raise ValueError(
            f"referrals: column {referred_col!r} must be unique (one referrer per new customer); "
            f"{int(dup.sum())} rows break it, e.g. {b[dup].unique()[:5].tolist()}"
        )


def _climb(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reach (descendants) and generations below every node of a forest given by its parent array (−1: root)."""
    n = len(parent)
    reach = np.zeros(n, dtype="int64")
    generations = np.zeros(n, dtype="int64")
    ancestor = parent.copy()
    level = 1
    while (alive := ancestor >= 0).any():
        anc = ancestor[alive]
        if (anc == np.flatnonzero(alive)).any():
            raise ValueError("referrals: the network has a cycle (someone is their own indirect referrer)")
        reach += np.bincount(anc, minlength=n)
        np.maximum.at(generations, anc, level)
        ancestor[alive] = parent[anc]
        level += 1
    return reach, generations


def referral_reach(referrals: pd.DataFrame, referrer_col: str = columns.REFERRER,
                   referred_col: str = columns.REFERRED) -> pd.DataFrame:
    """Direct and indirect reach of every referrer in a member-gets-member network.

    A customer's **reach** is everyone who joined through them: the customers
    they referred (direct) plus those customers' referrals, and so on
    (indirect). Computed for all customers at once by following each
    customer's chain of referrers upwards (pointer jumping), so the cost grows
    with the longest chain, not with the number of customers.

    Parameters
    ----------
    referrals : DataFrame
        One row per referral. Each customer can have been referred only once
        (a sign-up has one referrer), nobody refers themselves, and there are
        no cycles; breaking any of these raises a ValueError.
    referrer_col, referred_col : str
        Columns of the referring and the referred customer.

    Returns
    -------
    DataFrame
        One row per customer who referred at least one person, indexed by the
        customer id: ``direct``, ``indirect``, ``reach`` (= direct +
        indirect), ``generations`` (length of the longest chain below them),
        sorted by reach, then direct, then id.
    """
    _check_referrals(referrals, referrer_col, referred_col)
    a, b = referrals[referrer_col], referrals[referred_col]
    codes, ids = pd.factorize(pd.concat([a, b], ignore_index=True), sort=True)
    src, dst = codes[:len(referrals)], codes[len(referrals):]
    parent = np.full(len(ids), -1, dtype="int64")
    parent[dst] = src
    direct = np.bincount(src, minlength=len(ids))
    reach, generations = _climb(parent)
    out = pd.DataFrame({"direct": direct, "indirect": reach - direct, "reach": reach, "generations": generations},
                       index=pd.Index(ids, name=referrer_col))
    out = out[out["direct"] > 0]
    out = out.reset_index().sort_values(["reach", "direct", referrer_col], ascending=[False, False, True])
    return out.set_index(referrer_col)
