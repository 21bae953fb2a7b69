"""Seeded order lines of any size, written as Parquet and as a Finnish CSV export (for lesson 10 and the benchmarks).

The customers follow the BG/NBD story (Fader, Hardie & Lee 2005a): a first
order on a random day of the period, then orders at a Gamma-distributed rate
until the customer leaves after an order with a Beta-distributed chance. Each
order has one or more lines (products from a catalogue whose popularity
falls off as 1/rank), about 2 % of the lines are returns (negative quantity
and amount), and a few customers order twice on the same day. About ten lines
per customer: 0.1 M customers give about 1 M lines, 10 M customers about
100 M.

Customers are generated in blocks of :data:`BLOCK` (each block from its own
seeded stream), so the same ``seed`` and ``n_customers`` give the same file
byte for byte, whatever the memory, and memory stays bounded by one block.
The Finnish CSV is what a Finnish Excel export looks like: ``;`` separators,
decimal comma, ``31.12.2025 9:05`` timestamps, cp1252 with Finnish headers
(``Summa €``), CRLF line ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import columns

#: Customers generated together (one seeded stream each; bounds the memory).
BLOCK = 250_000
#: The Finnish headers of the CSV export, and the course columns they map onto.
FINNISH_HEADERS = {"Asiakasnro": columns.CUSTOMER, "Tilausnro": columns.ORDER, "Tuote": columns.PRODUCT,
                   "Tilausaika": columns.TIMESTAMP, "Kpl": columns.QUANTITY, "Summa €": columns.AMOUNT}
START = pd.Timestamp("2023-01-01")
DAYS = 1096                                  # three years, 1.1.2023-31.12.2025
N_PRODUCTS = 2_000
# the generating process: rate ~ Gamma(1.2, scale 1/120 per day), drop-out chance ~ Beta(1.0, 8.0)
RATE_SHAPE, RATE_SCALE_DAYS, DROP_A, DROP_B = 1.2, 120.0, 1.0, 8.0


@dataclass(frozen=True)
class GeneratedFiles:
    """What :func:`write_lines` wrote: the files, their sizes (bytes) and the counts."""

    parquet: Path | None
    csv: Path | None
    n_lines: int
    n_customers: int
    observation_end: pd.Timestamp
    parquet_bytes: int
    csv_bytes: int


def customer_days(rng: np.random.Generator, n: int, *, days: int = DAYS, rate_shape: float = RATE_SHAPE,
                  rate_scale_days: float = RATE_SCALE_DAYS, drop_a: float = DROP_A,
                  drop_b: float = DROP_B) -> tuple[np.ndarray, np.ndarray]:
    """Customer (0..n-1) and day number (0..days-1) of every order of ``n`` customers, sorted by customer.

    The BG/NBD story: a first order on a random day, then orders at a rate ~ Gamma(``rate_shape``, scale
    1/``rate_scale_days`` per day) until the customer leaves after an order with a chance ~
    Beta(``drop_a``, ``drop_b``). The defaults are this module's; ``benchmarks/clv_scale.py`` passes its own.
    """
    first = rng.integers(0, days - 1, n)                       # day of the first order
    window = days - 1 - first                                  # days observed after it
    lam = rng.gamma(rate_shape, 1 / rate_scale_days, n)        # repeat orders per day while alive
    last_order = rng.geometric(rng.beta(drop_a, drop_b, n))    # they leave right after this repeat order
    n_possible = rng.poisson(lam * window)                     # repeats by the end if they stayed
    n_repeat = np.minimum(n_possible, last_order)
    # the n_possible event times are uniform on the window; the customer makes the first n_repeat of them
    cust = np.repeat(np.arange(n), n_possible)
    u = rng.uniform(0, 1, len(cust))
    order = np.lexsort((u, cust))
    cust, u = cust[order], u[order]
    rank = np.arange(len(cust)) - np.repeat(np.cumsum(n_possible) - n_possible, n_possible)
    keep = rank < n_repeat[cust]
    day = np.r_[first, first[cust[keep]] + np.ceil(u[keep] * window[cust[keep]]).astype(np.int64)]
    cust = np.r_[np.arange(n), cust[keep]]
    order = np.lexsort((day, cust))
    return cust[order], day[order]


def _ids(prefix: str, numbers: np.ndarray, width: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def block_lines(block: int, n: int, seed: int):
    """The order lines of customers ``block * BLOCK`` ... ``+ n - 1`` as a pyarrow Table (course columns)."""
    import pyarrow as pa

    rng = np.random.default_rng([seed, block])
    cust, day = customer_days(rng, n)
    n_lines = 1 + rng.poisson(1.2, len(cust))                    # lines per order
    order_no = np.repeat(np.arange(len(cust)), n_lines)
    popularity = 1.0 / np.arange(1, N_PRODUCTS + 1)
    product = rng.choice(N_PRODUCTS, len(order_no), p=popularity / popularity.sum())
    price = np.round(np.exp(np.random.default_rng([seed, 10**6]).normal(2.8, 0.7, N_PRODUCTS)), 2) + 0.5
    quantity = 1 + rng.poisson(0.4, len(order_no))
    returned = rng.uniform(size=len(order_no)) < 0.02
    quantity = np.where(returned, -quantity, quantity)
    seconds = rng.integers(8 * 3600, 22 * 3600, len(cust))[order_no]
    offset = (day[order_no] * 86_400 + seconds).astype("timedelta64[s]")
    stamp = (START.to_datetime64() + offset).astype("datetime64[us]")
    first_order = block * BLOCK * 20                               # at most 20 orders per customer on average
    return pa.table({
        columns.CUSTOMER: _ids("K", cust[order_no] + block * BLOCK + 1, 8),
        columns.ORDER: _ids("T", order_no + first_order + 1, 11),
        columns.PRODUCT: _ids("P", product + 1, 5),
        columns.TIMESTAMP: pa.array(stamp, pa.timestamp("us")),
        columns.QUANTITY: pa.array(quantity.astype(np.int32)),
        columns.AMOUNT: pa.array(np.round(price[product] * quantity, 2)),
    })


def finnish_text(table):
    """The lines as a Finnish export writes them: Finnish headers, ``31.12.2025 9:05``, decimal comma (text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cents = pc.cast(pc.round(pc.multiply(table[columns.AMOUNT], 100)), pa.int64())
    sign = pc.if_else(pc.less(cents, 0), "-", "")
    cents = pc.abs(cents)
    euros = pc.cast(pc.divide(cents, 100), pa.string())
    rest = pc.utf8_lpad(pc.cast(pc.subtract(cents, pc.multiply(pc.divide(cents, 100), 100)), pa.string()), 2, "0")
    amount = pc.binary_join_element_wise(sign, euros, ",", rest, "")   # the last argument is the separator
    stamp = pc.strftime(table[columns.TIMESTAMP], format="%d.%m.%Y %H:%M")
    names = list(FINNISH_HEADERS)
    return pa.table([table[columns.CUSTOMER], table[columns.ORDER], table[columns.PRODUCT], stamp,
                     pc.cast(table[columns.QUANTITY], pa.string()), amount], names=names)


def write_lines(folder, n_customers: int, seed: int = 2026, parquet: bool = True, csv: bool = True,
                name: str = "order_lines") -> GeneratedFiles:
    """Write ``n_customers`` customers' order lines to ``folder`` as Parquet and/or Finnish CSV.

    Parameters
    ----------
    folder : path
        Where to write (a temporary folder: the files are large; never commit them).
    n_customers : int
        About ten lines each (1 M lines per 0.1 M customers).
    seed : int
        The same seed and ``n_customers`` give the same files.
    parquet, csv : bool
        Which files to write (``<name>.parquet``, ``<name>.csv``).

    Returns
    -------
    GeneratedFiles
        Paths, sizes, lines and customers, and the last day of the data
        (31.12.2025).
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pq_path, csv_path = folder / f"{name}.parquet", folder / f"{name}.csv"
    pq_writer, csv_file, csv_writer, n_lines = None, None, None, 0
    try:
        if csv:
            csv_file = open(csv_path, "wb")
            csv_file.write((";".join(FINNISH_HEADERS) + "\r\n").encode("cp1252"))
        for block, start in enumerate(range(0, n_customers, BLOCK)):
            table = block_lines(block, min(BLOCK, n_customers - start), seed)
            n_lines += table.num_rows
            if parquet:
                pq_writer = pq_writer or pq.ParquetWriter(pq_path, table.schema, compression="zstd")
                pq_writer.write_table(table, row_group_size=1_000_000)
            if csv:
                text = finnish_text(table)
                csv_writer = csv_writer or pa_csv.CSVWriter(csv_file, text.schema, write_options=pa_csv.WriteOptions(
                    include_header=False, delimiter=";", quoting_style="none", eol="\r\n"))
                csv_writer.write_table(text)
    finally:
        for closable in (pq_writer, csv_writer, csv_file):
            if closable is not None:
                closable.close()
    return GeneratedFiles(parquet=pq_path if parquet else None, csv=csv_path if csv else None, n_lines=n_lines,
                          n_customers=n_customers, observation_end=START + pd.Timedelta(days=DAYS - 1),
                          parquet_bytes=pq_path.stat().st_size if parquet else 0,
                          csv_bytes=csv_path.stat().st_size if csv else 0)
