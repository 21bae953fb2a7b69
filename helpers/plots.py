"""One look for every figure in the course.

Call :func:`set_theme` once in a notebook's setup cell; use :func:`euro_axis`
and :func:`percent_axis` to label money and shares the way a manager reads them.
Titles should state the finding ("Top 20 % of customers bring 61 % of margin"),
not the chart type.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import seaborn as sns

from helpers._money import format_euro  # the one money format, re-exported here for the lessons

#: The course palette: one colour per role, used consistently across lessons.
PALETTE = ["#1b6ca8", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f", "#bab0ac"]


def set_theme(font_scale: float = 1.0) -> None:
    """Set the course-wide seaborn/matplotlib theme (white grid, course palette)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=font_scale)
    plt.rcParams.update(
        {
            "figure.figsize": (8, 4.5),
            "figure.dpi": 90,
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "savefig.bbox": "tight",
        }
    )


def euro_table(df, columns, decimals: int = 0):
    """A display copy of ``df`` with the money ``columns`` written as ``12 345 €`` (the one money format).

    Use it for tables a reader sees; keep computing on the numeric frame. Missing values stay empty.
    """
    out = df.copy()
    for column in [columns] if isinstance(columns, str) else columns:
        out[column] = [format_euro(v, decimals) if v == v else "" for v in out[column]]
    return out


def euro_axis(ax: plt.Axes, axis: str = "y", decimals: int = 0) -> plt.Axes:
    """Label an axis in euros (``12 345 €``)."""
    formatter = mticker.FuncFormatter(lambda v, _pos: format_euro(v, decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)
    return ax


def percent_axis(ax: plt.Axes, axis: str = "y", decimals: int = 0) -> plt.Axes:
    """Label an axis holding shares (0-1) as percentages."""
    formatter = mticker.PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)
    return ax
