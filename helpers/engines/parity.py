"""The parity check: does the engine give the pandas path's numbers? A habit, not a one-off test.

Before trusting an engine with a client's hundred million lines, run the same
summary both ways on a slice that pandas can hold (a month, a region, a hashed
sample of customers) and compare: :func:`parity_report` says, column by
column, whether the two agree; :func:`assert_parity` stops when they do not.
Counts must agree exactly; money and times to a relative 1e-9, because an
engine adds a customer's amounts in another order than numpy, and
floating-point addition is not associative (about 1e-16 per addition).

:func:`write_finnish_csv` writes a frame as a Finnish Excel export, to test
an engine on the format a client really sends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Relative tolerance for floating-point columns (see the module text), and the absolute one near zero.
RTOL, ATOL = 1e-9, 1e-9


def parity_report(engine: pd.DataFrame, reference: pd.DataFrame, rtol: float = RTOL,
                  atol: float = ATOL) -> pd.DataFrame:
    """Column by column: the largest difference between an engine's table and the pandas one.

    Both tables must have the same rows (index) in the same order. Returns one
    row per column of ``reference``: ``kind`` (``"exact"`` for integers and
    text, ``"float"``), ``max_abs_diff``, ``max_rel_diff`` and ``same``
    (exactly equal, or within ``rtol`` / ``atol`` for floats).
    """
    if not engine.index.equals(reference.index):
        extra, missing = engine.index.difference(reference.index), reference.index.difference(engine.index)
        raise AssertionError(f"the rows differ: {len(extra)} only in the engine's table (e.g. {list(extra[:3])}), "
                             f"{len(missing)} only in the reference (e.g. {list(missing[:3])})")
    rows = []
    for col in reference.columns:
        if col not in engine:
            rows.append({"column": col, "kind": "missing", "max_abs_diff": np.nan, "max_rel_diff": np.nan,
                         "same": False})
            continue
        a, b = engine[col], reference[col]
        if pd.api.types.is_float_dtype(b):
            x, y = a.to_numpy(float), b.to_numpy(float)
            both_nan = np.isnan(x) & np.isnan(y)
            diff = np.where(both_nan, 0.0, np.abs(x - y))
            rel = diff / np.maximum(np.abs(y), np.finfo(float).tiny)
            same = bool(np.all(both_nan | (diff <= atol + rtol * np.abs(y))))
            rows.append({"column": col, "kind": "float", "max_abs_diff": float(np.nanmax(diff, initial=0.0)),
                         "max_rel_diff": float(np.nanmax(np.where(diff > 0, rel, 0.0), initial=0.0)), "same": same})
        else:
            same = bool((a.to_numpy() == b.to_numpy()).all())
            rows.append({"column": col, "kind": "exact", "max_abs_diff": 0.0 if same else np.nan,
                         "max_rel_diff": 0.0 if same else np.nan, "same": same})
    return pd.DataFrame(rows).set_index("column")


def assert_parity(engine: pd.DataFrame, reference: pd.DataFrame, rtol: float = RTOL, atol: float = ATOL,
                  attrs: bool = True) -> pd.DataFrame:
    """:func:`parity_report`, raising ``AssertionError`` naming the columns (and ``attrs``) that differ."""
    report = parity_report(engine, reference, rtol, atol)
    bad = report.index[~report["same"]].tolist()
    if bad:
        raise AssertionError(f"the engine's table differs from the reference in {bad}:\n{report.loc[bad].to_string()}")
    if attrs:
        differ = {k: (engine.attrs.get(k), v) for k, v in reference.attrs.items() if engine.attrs.get(k) != v}
        if differ:
            raise AssertionError(f"attrs differ (engine, reference): {differ}")
    return report


def write_finnish_csv(frame: pd.DataFrame, path, headers: dict) -> Path:
    """Write ``frame`` as a Finnish Excel "CSV (;)" export: cp1252, ``;``, decimal comma, CRLF.

    ``headers`` maps the client's header onto the course column
    (``{"Asiakasnro": "customer_id", "Summa €": "amount"}``); timestamps are
    written ``31.12.2025 09:05:00`` and amounts ``1 234,50`` (no-break space
    between thousands). Columns of ``headers`` the frame lacks are left out.
    """
    out = pd.DataFrame(index=frame.index)
    for client, course in headers.items():
        if course not in frame:
            continue
        values = frame[course]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%d.%m.%Y %H:%M:%S")
        elif pd.api.types.is_float_dtype(values):
            values = values.map(lambda v: f"{v:,.2f}".replace(",", "\u00a0").replace(".", ","))
        out[client] = values
    out.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    return Path(path)
