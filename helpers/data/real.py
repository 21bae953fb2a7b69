"""The real public data sets of the course: CDNOW purchases and the Hillstrom e-mail test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import DATA_DIR
from helpers._checks import examples

from .contracts import DataContractError

REAL_DIR = DATA_DIR / "real"


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
            f"{path.name}: column 'segment' must be one of {arms}: {int(unknown.sum())} of {len(df)} rows break it "
            f"(file lines {', '.join(str(i + 2) for i in df.index[unknown][:3])}; values "
            f"{', '.join(repr(v) for v in examples(df.loc[unknown, 'segment']))})")
    df["segment"] = pd.Categorical(df["segment"], categories=arms)
    for col in ["visit", "conversion", "mens", "womens", "newbie", "recency"]:
        df[col] = df[col].astype("int64")
    return df
