"""The course's one money format, ``12 345 €`` (light: no plotting library imported).

:func:`helpers.plots.format_euro` (prints, tables, plot axes), the data intake's
cleaning report and the playbook's report pages all write money through it.
"""

from __future__ import annotations


def format_euro(value: float, decimals: int = 0) -> str:
    """Format a number as euros the Finnish way: ``12 345 €`` (narrow no-break spaces group thousands).

    The course's one money format: prints, tables (:func:`helpers.plots.euro_table`) and plot axes
    (:func:`helpers.plots.euro_axis`) all go through it.
    """
    text = f"{value:,.{decimals}f}".replace(",", "\u202f")
    return f"{text} €"
