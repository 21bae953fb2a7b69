"""The SQL text both engines run: one definition of every summary, two small dialects.

Every summary is written once, here, as plain SQL on integer **day numbers**
(days since 1.1.1970), so that DuckDB and Spark SQL run the same text. The few
places where the two dialects differ (turning a date into a day number and
back, parsing a date written as text, quoting a column name, the name of the text
type) are the :class:`Dialect` fragments below; nothing else is
engine-specific.

Every query reads one view, ``lines``, with the course's column names
(:mod:`helpers.columns`) and typed values: ``customer_id`` (text), ``day``
(day number), ``amount`` (euros, a double), optionally ``order_id``,
``product_id`` (text), ``quantity`` and ``margin``. The engines build that view
from the client's file (:mod:`helpers.engines.sources`).

The rules are those of the pandas functions they reproduce, stated next to each
query: :func:`helpers.clv.rfm_summary` (several purchases of one customer on
one calendar day are one purchase, their amounts added),
:func:`helpers.clv.calibration_holdout_split`,
:func:`helpers.metrics.customer_metrics` and
:func:`helpers.recommend.pair_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers import columns

#: Course column names inside the view ``lines`` (``day`` is the day number of the timestamp).
C, ORD, P = columns.CUSTOMER, columns.ORDER, columns.PRODUCT
A, Q, M = columns.AMOUNT, columns.QUANTITY, columns.MARGIN


@dataclass(frozen=True)
class Dialect:
    """The SQL fragments in which DuckDB and Spark SQL differ."""

    name: str
    quote_char: str
    day_of_date: str        # {x}: a DATE or TIMESTAMP -> days since 1970-01-01
    date_of_day: str        # {x}: days since 1970-01-01 -> DATE
    parse_date: str         # {x}, {fmt}: text -> DATE (NULL when it does not parse)
    try_double: str         # {x}: text -> DOUBLE (NULL when it does not parse)
    text_type: str          # the type of text columns

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def day(self, expr: str) -> str:
        return self.day_of_date.format(x=expr)

    def date(self, expr: str) -> str:
        return self.date_of_day.format(x=expr)


DUCKDB = Dialect(
    name="duckdb", quote_char='"',
    day_of_date="(CAST({x} AS DATE) - DATE '1970-01-01')",
    date_of_day="(DATE '1970-01-01' + CAST({x} AS INTEGER))",
    parse_date="CAST(try_strptime({x}, '{fmt}') AS DATE)",
    try_double="TRY_CAST({x} AS DOUBLE)",
    text_type="VARCHAR",
)

SPARK = Dialect(
    name="spark", quote_char="`",
    day_of_date="unix_date(CAST({x} AS DATE))",
    date_of_day="date_from_unix_date(CAST({x} AS INT))",
    parse_date="try_to_date({x}, '{fmt}')",
    try_double="try_cast({x} AS DOUBLE)",
    text_type="STRING",
)

#: strftime pieces (the package's way of writing a date format) and Java's (Spark's) equivalents.
_JAVA_DATE = {"%d": "d", "%m": "M", "%Y": "yyyy", "%y": "yy", "%H": "H", "%M": "m", "%S": "s"}


def java_date_format(fmt: str) -> str:
    """``"%d.%m.%Y"`` -> ``"d.M.yyyy"`` (Spark's parser; one-letter fields also read ``01``)."""
    out = fmt
    for piece, java in _JAVA_DATE.items():
        out = out.replace(piece, java)
    if "%" in out:
        raise ValueError(f"date_format {fmt!r}: only %d %m %Y %y %H %M %S can be translated for Spark")
    return out


# --------------------------------------------------------------------------- reading text columns
def text_day(d: Dialect, column: str, date_format: str) -> str:
    """Day number of a date written as text: the date part only (a time after a space or ``T`` is ignored)."""
    date_part = date_format.split(" ")[0].split("T")[0]   # "%d.%m.%Y %H:%M" -> "%d.%m.%Y": days only
    fmt = date_part if d is DUCKDB else java_date_format(date_part)
    first = f"split_part(replace(trim({column}), 'T', ' '), ' ', 1)"
    return d.day(d.parse_date.format(x=first, fmt=fmt))


def text_number(d: Dialect, column: str, decimal: str) -> str:
    """A number written as text: spaces (also no-break and narrow no-break) removed; ``1.234,5`` with ``decimal=","``.

    Plain ``replace`` calls rather than one regular expression: three times faster on a hundred million rows.
    """
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    cleaned = f"trim({column})"
    for ch in [" ", "\u00a0", "\u202f"] + (["."] if decimal == "," else []):
        cleaned = f"replace({cleaned}, '{ch}', '')"
    if decimal == ",":
        cleaned = f"replace({cleaned}, ',', '.')"
    return d.try_double.format(x=cleaned)


NUMERIC = (A, Q, M)


def typed_column(d: Dialect, course: str, client: str, source) -> str:
    """The SQL reading one course column from the client's column of the view ``raw`` (text in a CSV)."""
    col = d.quote(client)
    if course == columns.TIMESTAMP:
        return text_day(d, col, source.date_format) if source.kind == "csv" else d.day(col)
    if course in NUMERIC:
        return text_number(d, col, source.decimal) if source.kind == "csv" else f"CAST({col} AS DOUBLE)"
    return f"CAST({col} AS {d.text_type})"


def _total_words() -> str:
    from helpers.data.intake import TOTAL_WORDS

    words = sorted(TOTAL_WORDS) + [w + ":" for w in sorted(TOTAL_WORDS)]
    return ", ".join("'" + w.replace("'", "''") + "'" for w in words)


def not_data_rows(d: Dialect, mapping: dict) -> tuple[str, str]:
    """Conditions on the view ``raw`` of Excel's blank ``;;;`` rows and of total rows ("Yhteensä", "Total", …).

    A blank row has every column the engine reads empty; a total row has a
    total word in the customer column and no date. Both are left out of
    ``lines`` and counted (:func:`skipped_sql`), never read as a customer
    (as the intake, :mod:`helpers.data.intake`, leaves them out).
    """
    blank = " AND ".join(f"{d.quote(client)} IS NULL" for client in mapping.values())
    customer, stamp = d.quote(mapping[columns.CUSTOMER]), d.quote(mapping[columns.TIMESTAMP])
    total = f"(lower(trim({customer})) IN ({_total_words()}) AND {stamp} IS NULL)"
    return f"({blank})", total


def typed_sql(d: Dialect, mapping: dict, source, raw: str = "raw") -> str:
    """The client's rows with the course's columns, typed (``timestamp`` becomes the day number ``day``).

    A CSV's rows also get ``_skip``: 1 for a blank row, 2 for a total row
    (:func:`not_data_rows`), 0 for the order lines. An engine reads a CSV
    once into this table; the summaries then read the typed columns.
    """
    names = {columns.TIMESTAMP: "day"}
    parts = [f"{typed_column(d, course, client, source)} AS {names.get(course, course)}"
             for course, client in mapping.items()]
    if source.kind == "csv":
        blank, total = not_data_rows(d, mapping)
        parts.append(f"CASE WHEN {blank} THEN 1 WHEN {total} THEN 2 ELSE 0 END AS _skip")
    return "SELECT " + ", ".join(parts) + f" FROM {raw}"


def lines_sql(mapping: dict, source, typed: str = "typed") -> str:
    """The view ``lines``: the order lines of the typed rows (blank and total rows left out)."""
    names = ", ".join("day" if course == columns.TIMESTAMP else course for course in mapping)
    return f"SELECT {names} FROM {typed}" + (" WHERE _skip = 0" if source.kind == "csv" else "")


def skipped_sql(typed: str = "typed") -> str:
    """How many blank rows and total rows the view ``lines`` leaves out."""
    return (f"SELECT COUNT(*) FILTER (WHERE _skip = 1) AS blank_rows_skipped, "
            f"COUNT(*) FILTER (WHERE _skip = 2) AS total_rows_dropped FROM {typed}")


def unreadable_sql(d: Dialect, course: str, client: str, source, raw: str = "raw") -> str:
    """A few client values of a column that could not be read (for the error message)."""
    return (f"SELECT {d.quote(client)} AS v FROM {raw} WHERE ({typed_column(d, course, client, source)}) IS NULL "
            f"LIMIT 3")


# --------------------------------------------------------------------------- checks of the view
def problems_sql(has_order: bool) -> str:
    """Counts of rows the summaries cannot use: missing customer, day or amount (each named in the error)."""
    order = f", COUNT(*) FILTER (WHERE {ORD} IS NULL) AS missing_order" if has_order else ""
    return (f"SELECT COUNT(*) AS n_rows, COUNT(*) FILTER (WHERE {C} IS NULL) AS missing_customer, "
            f"COUNT(*) FILTER (WHERE day IS NULL) AS missing_day, "
            f"COUNT(*) FILTER (WHERE {A} IS NULL) AS missing_amount, "
            f"MIN(day) AS first_day, MAX(day) AS last_day{order} FROM lines")


def health_sql(has_quantity: bool, extraction_day: int | None) -> str:
    """Counts of the order-line rules of :func:`helpers.data.order_faults` that need no other table.

    ``zero_amount``; ``amount_sign_mismatch`` (a sale with a negative amount or a
    return with a positive one) and ``zero_quantity`` when there is a quantity;
    ``date_after_extraction`` (a day after the extraction day) when it is known.
    """
    parts = [f"COUNT(*) FILTER (WHERE {A} = 0) AS zero_amount"]
    if has_quantity:
        parts += [f"COUNT(*) FILTER (WHERE sign({A}) <> sign({Q}) AND {A} <> 0 AND {Q} <> 0) AS amount_sign_mismatch",
                  f"COUNT(*) FILTER (WHERE {Q} = 0) AS zero_quantity"]
    if extraction_day is not None:
        parts.append(f"COUNT(*) FILTER (WHERE day > {int(extraction_day)}) AS date_after_extraction")
    return "SELECT " + ", ".join(parts) + " FROM lines"


# --------------------------------------------------------------------------- RFM / BG-NBD summary
def purchase_days_sql(last_day: int, first_day: int | None = None) -> str:
    """One row per customer and purchase day, the day's amounts added (``amount >= 0``: returns are not purchases)."""
    lower = "" if first_day is None else f" AND day >= {int(first_day)}"
    return (f"SELECT {C}, day, SUM({A}) AS amount FROM lines "
            f"WHERE {A} >= 0 AND day <= {int(last_day)}{lower} GROUP BY {C}, day")


def rfm_sql(last_day: int, unit_days: float) -> str:
    """The BG/NBD summary (Fader, Hardie & Lee 2005a), as :func:`helpers.clv.rfm_summary` computes it.

    ``frequency`` = purchase days - 1; ``recency`` = last - first purchase day;
    ``T`` = ``last_day`` - first purchase day (both divided by the days of the
    time unit); ``monetary_value`` = mean amount of the repeat purchase days
    (0 without one). ``min_by(amount, day)`` is the first day's amount.
    """
    unit = repr(float(unit_days))
    return (f"SELECT {C}, CAST(COUNT(*) - 1 AS BIGINT) AS frequency, "
            f"CAST(MAX(day) - MIN(day) AS DOUBLE) / {unit} AS recency, "
            f"CAST({int(last_day)} - MIN(day) AS DOUBLE) / {unit} AS T, "
            f"CASE WHEN COUNT(*) > 1 THEN (SUM(amount) - min_by(amount, day)) / CAST(COUNT(*) - 1 AS DOUBLE) "
            f"ELSE 0.0 END AS monetary_value "
            f"FROM ({purchase_days_sql(last_day)}) AS days GROUP BY {C}")


def purchase_counts_sql(last_day: int) -> str:
    """Purchase lines up to ``last_day`` and after it, and return lines (``amount < 0``, any day)."""
    return (f"SELECT COUNT(*) FILTER (WHERE day <= {int(last_day)} AND {A} >= 0) AS n_transactions, "
            f"COUNT(*) FILTER (WHERE day > {int(last_day)} AND {A} >= 0) AS rows_after_observation_end, "
            f"COUNT(*) FILTER (WHERE {A} < 0) AS return_lines_excluded FROM lines")


def holdout_sql(calibration_day: int, holdout_day: int) -> str:
    """Purchase days and their mean amount per customer in ``(calibration_day, holdout_day]``."""
    days = purchase_days_sql(holdout_day, first_day=calibration_day + 1)
    return (f"SELECT {C}, CAST(COUNT(*) AS BIGINT) AS frequency_holdout, "
            f"SUM(amount) / CAST(COUNT(*) AS DOUBLE) AS monetary_value_holdout FROM ({days}) AS days GROUP BY {C}")


def split_counts_sql(calibration_day: int, holdout_day: int) -> str:
    """Customers whose first purchase is in the holdout period, purchase lines after it, return lines."""
    firsts = (f"SELECT {C}, MIN(day) AS first_day FROM lines WHERE {A} >= 0 AND day <= {int(holdout_day)} "
              f"GROUP BY {C}")
    return (f"SELECT (SELECT COUNT(*) FROM ({firsts}) AS f WHERE first_day > {int(calibration_day)}) "
            f"AS n_customers_first_in_holdout, "
            f"(SELECT COUNT(*) FROM lines WHERE {A} >= 0 AND day > {int(holdout_day)}) AS rows_after_observation_end, "
            f"(SELECT COUNT(*) FROM lines WHERE {A} < 0) AS return_lines_excluded")


# --------------------------------------------------------------------------- customer metrics
def period_of_day(d: Dialect, day: str, period: str) -> str:
    """An integer period number of a day number: months and quarters since year 0, weeks (Monday to Sunday)."""
    date = d.date(day)
    if period == "M":
        return f"(year({date}) * 12 + month({date}) - 1)"
    if period == "Q":
        return f"(year({date}) * 4 + quarter({date}) - 1)"
    if period == "W":  # 1.1.1970 was a Thursday: day + 3 counts from the Monday before it
        return f"CAST(FLOOR(({day} + 3) / 7.0) AS BIGINT)"
    raise ValueError(f"period must be 'M', 'Q' or 'W' in the engines, got {period!r}")


def spells_sql(d: Dialect, last_day: int, churn_after: int, period: str) -> str:
    """New, reactivated and churned customers per period (:func:`helpers.metrics.activity_spells`).

    Purchase days (``amount > 0``) up to ``last_day``; a gap of more than
    ``churn_after`` days starts a new spell; a spell's first day is a *new*
    (the first spell) or *reactivated* event, its last day + ``churn_after``
    a *churned* event. Returns one row per period with the three counts.
    """
    days = (f"SELECT DISTINCT {C}, day FROM lines WHERE {A} > 0 AND day <= {int(last_day)}")
    gaps = (f"SELECT {C}, day, CASE WHEN day - LAG(day) OVER (PARTITION BY {C} ORDER BY day) <= {int(churn_after)} "
            f"THEN 0 ELSE 1 END AS starts FROM ({days}) AS d")
    numbered = (f"SELECT {C}, day, starts, SUM(starts) OVER (PARTITION BY {C} ORDER BY day "
                f"ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS spell FROM ({gaps}) AS g")
    spells = (f"SELECT {C}, spell, MIN(day) AS start_day, MAX(day) AS last_day FROM ({numbered}) AS n "
              f"GROUP BY {C}, spell")
    start_p = period_of_day(d, "start_day", period)
    churn_p = period_of_day(d, f"(last_day + {int(churn_after)})", period)
    return (f"SELECT p, SUM(new) AS new, SUM(reactivated) AS reactivated, SUM(churned) AS churned FROM ("
            f"SELECT {start_p} AS p, CASE WHEN spell = 1 THEN 1 ELSE 0 END AS new, "
            f"CASE WHEN spell > 1 THEN 1 ELSE 0 END AS reactivated, 0 AS churned FROM ({spells}) AS s1 "
            f"UNION ALL SELECT {churn_p} AS p, 0, 0, 1 FROM ({spells}) AS s2) AS e GROUP BY p")


def money_sql(d: Dialect, last_day: int, period: str, has_margin: bool) -> str:
    """Per period: lines, buyers (customers with an ``amount > 0`` line), revenue and margin (euros, returns netted)."""
    p = period_of_day(d, "day", period)
    margin = f", SUM({M}) AS margin" if has_margin else ""
    return (f"SELECT {p} AS p, COUNT(*) AS n_lines, COUNT(DISTINCT CASE WHEN {A} > 0 THEN {C} END) AS buyers, "
            f"SUM({A}) AS revenue{margin} FROM lines WHERE day <= {int(last_day)} GROUP BY {p}")


# --------------------------------------------------------------------------- basket pairs
def basket_lines_sql(has_quantity: bool) -> str:
    """Distinct (order, product) of the lines that are not returns (negative quantity or amount)."""
    returns = f"{A} < 0" + (f" OR {Q} < 0" if has_quantity else "")
    return f"SELECT DISTINCT {ORD}, {P} FROM lines WHERE NOT ({returns})"


def basket_returns_sql(has_quantity: bool) -> str:
    """Return lines left out of the baskets, and lines with a missing order or product among the rest."""
    returns = f"{A} < 0" + (f" OR {Q} < 0" if has_quantity else "")
    return (f"SELECT COUNT(*) FILTER (WHERE {returns}) AS return_lines_excluded, "
            f"COUNT(*) FILTER (WHERE NOT ({returns}) AND ({ORD} IS NULL OR {P} IS NULL)) AS missing FROM lines")


def item_counts_sql(has_quantity: bool) -> str:
    """Baskets holding each product."""
    return f"SELECT {P}, COUNT(*) AS n FROM ({basket_lines_sql(has_quantity)}) AS b GROUP BY {P}"


def pair_counts_sql(has_quantity: bool, min_count: int) -> str:
    """Baskets holding each ordered pair of different products, pairs in at least ``min_count`` baskets."""
    b = basket_lines_sql(has_quantity)
    return (f"SELECT a.{P} AS antecedent, c.{P} AS consequent, COUNT(*) AS count "
            f"FROM ({b}) AS a JOIN ({b}) AS c ON a.{ORD} = c.{ORD} AND a.{P} <> c.{P} "
            f"GROUP BY a.{P}, c.{P} HAVING COUNT(*) >= {max(int(min_count), 1)}")
