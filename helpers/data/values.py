"""Reading numbers and dates written the way a client's export writes them.

Numbers: ``1234.5``, ``1 234,50`` (space, no-break space or narrow no-break
space between thousands), ``1.234,50`` (Finnish/German Excel), ``1,234.50``
(English). The file's decimal mark is read from the values themselves: a value
such as ``12,50`` or ``1.234,50`` can only mean a decimal comma, ``17.43`` only
a decimal point. A value such as ``1.234`` means 1 234 under one convention and
1.234 under the other: when nothing else in the file tells which convention it
uses, the value is refused until the decimal mark is declared.

Dates: ISO (``2025-12-31``, ``2025-12-31 09:05:00``, ``2025-12-31T09:05+02:00``)
and Finnish (``31.12.2025``, ``31.12.2025 9:05``); never month-first. A declared
``date_format`` (strftime codes, e.g. ``%m/%d/%Y``) wins. A column that mixes
time-zone offsets (Helsinki's +02:00 and +03:00, or offsets and none) is refused
unless a ``timezone`` is declared to convert it to.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

#: Characters dropped from a number before it is read: thousands spaces (space,
#: no-break space, narrow no-break space, thin space) and the euro sign.
_NOISE = "[ \t\u00a0\u202f\u2009€]"
_MINUS = "\u2212"  # typographic minus, as Excel and Word write it
#: A value whose only mark could be either a thousands separator or a decimal mark.
_AMBIGUOUS = r"[-+]?[1-9]\d{0,2}[.,]\d{3}"
DECIMAL_MARKS = (".", ",")


class ValueRefused(ValueError):
    """Values of a column that cannot be read safely: ``rule`` and the boolean ``mask`` of the rows."""

    def __init__(self, rule: str, mask: pd.Series):
        super().__init__(rule)
        self.rule, self.mask = rule, mask


# --------------------------------------------------------------------------- numbers
def number_text(values: pd.Series) -> pd.Series:
    """The text of numbers without thousands spaces, euro signs and typographic minus signs."""
    return values.str.replace(_NOISE, "", regex=True).str.replace(_MINUS, "-", regex=False)


def decimal_evidence(text: pd.Series) -> dict[str, pd.Series]:
    """Which values can only be read with a decimal point (``"."``), only with a comma (``","``), or either way.

    ``text`` is the output of :func:`number_text`. Returns boolean masks under
    the keys ``"."``, ``","`` and ``"ambiguous"``.
    """
    number = text.str.fullmatch(r"[-+]?[\d.,]*\d[\d.,]*").fillna(False).astype(bool)
    text = text.where(number)  # text that is no number at all is refused later, and tells nothing here
    body = text.str.replace(r"^[-+]", "", regex=True)
    n_dot, n_comma = body.str.count(r"\."), body.str.count(",")
    both = (n_dot > 0) & (n_comma > 0)
    dot_last = body.str.contains(r"\.[^,]*$")  # the last mark is a point
    ambiguous = text.str.fullmatch(_AMBIGUOUS).fillna(False).astype(bool)
    only_dot = (n_dot > 0) & (n_comma == 0) & ~ambiguous
    only_comma = (n_comma > 0) & (n_dot == 0) & ~ambiguous
    # one mark: a decimal mark if it occurs once, thousands separators if it repeats (1.234.567)
    point = (both & dot_last) | (only_dot & (n_dot == 1)) | (only_comma & (n_comma > 1))
    comma = (both & ~dot_last) | (only_comma & (n_comma == 1)) | (only_dot & (n_dot > 1))
    return {".": point.fillna(False).astype(bool), ",": comma.fillna(False).astype(bool), "ambiguous": ambiguous}


def parse_numbers(text: pd.Series, decimal: str) -> pd.Series:
    """Numbers from :func:`number_text` output, given the decimal mark; unreadable values become NaN."""
    thousands = "," if decimal == "." else "."
    grouped = text.str.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d*)?").fillna(False).astype(bool)
    plain = text.where(~grouped, text.str.replace(thousands, "", regex=False))
    if decimal == ",":
        plain = plain.where(plain.str.count(r"\.").fillna(0).eq(0))  # a point left over is not a number here
        plain = plain.str.replace(",", ".", regex=False)
    else:
        plain = plain.where(plain.str.count(",").fillna(0).eq(0))
    return pd.to_numeric(plain, errors="coerce")


# --------------------------------------------------------------------------- dates
#: Finnish date formats tried after ISO 8601, with the label reported for each.
FINNISH_FORMATS = {"%d.%m.%Y": "dd.mm.yyyy", "%d.%m.%Y %H:%M": "dd.mm.yyyy hh:mm",
                   "%d.%m.%Y %H:%M:%S": "dd.mm.yyyy hh:mm:ss"}
_OFFSET = r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)$"


def _zone_offsets(text: pd.Series, timezone: str | None) -> pd.Series:
    """The time-zone offset written in each value (NaN when none); refuses mixtures unless a timezone is declared."""
    offsets = text.str.extract(_OFFSET, expand=False)
    written = offsets.notna()
    if not written.any() or timezone:
        return offsets
    if (~written & text.notna()).any():
        raise ValueRefused("mixes times with a time-zone offset and times without one; declare "
                           "timezone = \"Europe/Helsinki\" (or the zone the times are in) to convert them",
                           text.notna() & ~written)
    common = offsets.mode().iloc[0]
    if offsets.nunique() > 1:
        raise ValueRefused(f"mixes time zones ({', '.join(sorted(offsets.dropna().unique()))}); declare "
                           "timezone = \"Europe/Helsinki\" (or the zone to convert to) in company.toml",
                           written & offsets.ne(common))
    return offsets


def parse_dates(text: pd.Series, date_format: str | None = None,
                timezone: str | None = None) -> tuple[pd.Series, str]:
    """Dates from text: ``(values, label of the formats found)``; unreadable values become NaT.

    Raises :class:`ValueRefused` for a column mixing time zones (see the module text).
    """
    if date_format:
        return pd.to_datetime(text, format=date_format, errors="coerce"), date_format
    offsets = _zone_offsets(text, timezone)
    if offsets.notna().any():
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=bool(timezone))
        if timezone:  # written offsets converted to the declared zone; times without one are in it already
            local = pd.to_datetime(text.where(offsets.isna()), errors="coerce", format="ISO8601")
            converted = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
            return converted.where(offsets.notna(), local), f"ISO 8601, converted to {timezone}"
        return parsed.dt.tz_localize(None), f"ISO 8601 (offset {offsets.dropna().iloc[0]} dropped: local times)"
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    labels = ["ISO 8601"] if parsed.notna().any() else []
    retry = parsed.isna() & text.notna()
    if retry.any():
        rest = text[retry]
        finnish = pd.Series(pd.NaT, index=rest.index, dtype=parsed.dtype)
        for fmt, label in FINNISH_FORMATS.items():
            found = pd.to_datetime(rest, errors="coerce", format=fmt)
            if (found.notna() & finnish.isna()).any():
                labels.append(label)
            finnish = finnish.fillna(found)
        parsed[retry] = finnish
    return parsed, ", ".join(labels) or "none"


def checked_dates(text: pd.Series, date_format: str | None, timezone: str | None,
                  refuse: Callable[[str, pd.Series], None]) -> tuple[pd.Series, str]:
    """:func:`parse_dates`, with a refusal passed to ``refuse(rule, mask)`` (which raises)."""
    try:
        return parse_dates(text, date_format, timezone)
    except ValueRefused as exc:
        refuse(exc.rule, exc.mask)
        raise  # refuse always raises; this keeps the type checker and readers sure of it
