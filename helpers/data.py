"""Load, validate and health-check the course data.

Every table of the course is read through a loader of this module
(:func:`load_customers`, :func:`load_orders`, …, :func:`load_cdnow`,
:func:`load_hillstrom`). A loader resolves its path from the package (never
from the current directory), reads CSV (``,`` or Finnish ``;`` with decimal
commas and ``31.12.2025`` dates) or Excel, checks the table against its
**data contract** (:data:`CONTRACTS`) and returns a correctly typed DataFrame.
A contract violation raises :class:`DataContractError` naming the file, the
column, the rule, how many rows break it and a few examples; nothing is
dropped silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import DATA_DIR

SAMPLE_DIR = DATA_DIR / "sample"
TRUTH_DIR = SAMPLE_DIR / "truth"
REAL_DIR = DATA_DIR / "real"


class DataContractError(ValueError):
    """A table breaks its data contract (file, column, rule, rows, examples)."""


def load_cdnow(kind: str = "sample", path: str | Path | None = None) -> pd.DataFrame:
    """Load the CDNOW purchase records (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    kind : {"sample", "master"}
        ``"sample"`` is the 1/10 sample of 2,357 customers used in the papers;
        ``"master"`` is all 23,570 customers.
    path : path, optional
        Another copy of the file in the same layout.

    Returns
    -------
    DataFrame
        One row per purchase record: ``customer_id`` (text), ``date``
        (datetime64, day precision), ``quantity`` (number of CDs) and
        ``amount`` (US dollars).
    """
    if kind not in {"sample", "master"}:
        raise ValueError(f"kind must be 'sample' or 'master', got {kind!r}")
    path = Path(path) if path else REAL_DIR / "cdnow" / f"CDNOW_{kind}.txt"
    if kind == "sample":
        names = ["customer_id", "sample_customer_id", "date", "quantity", "amount"]
        raw = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype={"customer_id": str, "date": str})
        raw = raw.drop(columns="sample_customer_id")
    else:
        raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "quantity", "amount"],
                          dtype={"customer_id": str, "date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw["quantity"] = raw["quantity"].astype("int64")
    raw["amount"] = raw["amount"].astype("float64")
    return raw


def load_hillstrom(path: str | Path | None = None) -> pd.DataFrame:
    """Load the MineThatData e-mail test (Hillstrom 2008): 64,000 customers, three arms.

    Returns
    -------
    DataFrame
        The original columns; ``segment`` (the arm) is categorical with
        ``"No E-Mail"`` (the control) first; ``visit``, ``conversion``,
        ``mens``, ``womens`` and ``newbie`` are 0/1 integers; ``history``
        and ``spend`` are US dollars.
    """
    path = Path(path) if path else REAL_DIR / "hillstrom" / "hillstrom.csv.gz"
    df = pd.read_csv(path)
    arms = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]
    unknown = ~df["segment"].isin(arms)
    if unknown.any():
        raise DataContractError(
            f"{path.name}: column 'segment' must be one of {arms}; {unknown.sum()} rows break it, "
            f"e.g. {df.loc[unknown, 'segment'].unique()[:3].tolist()}"
        )
    df["segment"] = pd.Categorical(df["segment"], categories=arms)
    for col in ["visit", "conversion", "mens", "womens", "newbie", "recency"]:
        df[col] = df[col].astype("int64")
    return df
