"""What a lesson tells its reader when the data cannot answer: skip lines and "not applicable".

Every lesson runs on any company (``DATA`` in its parameters cell). A section
whose table or column the company lacks prints **one** line and the lesson goes
on; a lesson that cannot run at all stops at its top with one line. The
playbook (``tools/playbook.py``) reads exactly these lines:

``Skipped: <what is missing> — <what the section would show>``
    printed by :func:`section_needs` / :func:`skip`;
``Not applicable: <reason>``
    raised as :class:`NotApplicable` by :func:`lesson_needs`.

:func:`date_parameter` reads a date knob of a parameters cell (``None`` = taken from the data).
"""

from __future__ import annotations

import pandas as pd

from helpers._checks import as_timestamp

SKIPPED = "Skipped:"
NOT_APPLICABLE = "Not applicable:"


class NotApplicable(Exception):
    """The lesson cannot run on this company's data; the message says why.

    In JupyterLab it shows as one line (no traceback): the reason and what the
    lesson would need.
    """

    def _render_traceback_(self) -> list[str]:  # IPython: show one line instead of a traceback
        return [f"{NOT_APPLICABLE} {self}"]


def skip(missing: str, would_show: str) -> None:
    """Print the one line that says a section is skipped: what is missing, what it would show."""
    print(f"{SKIPPED} {missing} — {would_show}")


def section_needs(company, table: str, *columns: str, would_show: str) -> bool:
    """Whether the company has ``table`` (and ``columns``); if not, print the skip line and say no.

    Use as ``if report.section_needs(company, "campaigns", would_show="…"):`` at the top of a
    section's cells.
    """
    missing = company.missing(table, *columns)
    if missing:
        skip(missing, would_show)
        return False
    return True


def truth_available(company, would_show: str = "the check of the results against the answer key") -> bool:
    """Whether the company has an answer key (the sample company only); if not, print the skip line."""
    if getattr(company, "truth_dir", None) is None:
        skip(f"{company.name} has no answer key (only generated data knows its truth)", would_show)
        return False
    return True


def date_parameter(value, default, name: str) -> pd.Timestamp:
    """A date knob of a lesson's parameters cell: ``None`` is ``default`` (taken from the data).

    Papermill passes dates as strings: ``"2025-12-31"`` and ``"31.12.2025"`` are read as written
    (never month-first); a date or ``Timestamp`` is taken as it is. Use as
    ``OBSERVATION_END = report.date_parameter(OBSERVATION_END, company.observation_end,
    "OBSERVATION_END")``.

    Raises
    ------
    ValueError
        Naming the parameter, when the value is not a date in either form.
    """
    return as_timestamp(default if value is None else value, name)


def lesson_needs(company, table: str, *columns: str, lesson: str) -> None:
    """Stop the lesson with :class:`NotApplicable` when the company lacks ``table``/``columns``."""
    missing = company.missing(table, *columns)
    if missing:
        raise NotApplicable(f"{missing}, and {lesson} needs it")
