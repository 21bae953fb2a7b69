"""The course reads the same everywhere: one money format, short code lines, short cells.

- Code in the notebooks is at most 100 characters a line (``notebooks/ruff.toml``; no horizontal
  scrolling in JupyterLab), and helpers, tools and tests pass the project's ruff rules.
- No code cell is over 30 lines: a longer step belongs in a helper.
- Money is printed one way, ``12 345 €`` (``helpers.plots.format_euro``): never ``122,615 €``,
  ``2,258 EUR`` or ``174175.0 €``.
"""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ALL = LESSONS + [ROOT / "docs" / "lesson_template.ipynb"]
MAX_CELL_LINES = 30
#: Money written another way than ``12 345 €``: comma thousands, "EUR", or a long unrounded float.
OTHER_MONEY = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?\s?(?:€|EUR\b)|\d\s?EUR\b|\d+\.\d{3,}\s?€")


def test_ruff_passes_on_notebooks_helpers_tools_and_tests():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                             "notebooks", "helpers", "tools", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_code_cell_is_over_30_lines(path):
    nb = nbformat.read(path, as_version=4)
    long = [(i, len(c.source.splitlines())) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and len(c.source.splitlines()) > MAX_CELL_LINES]
    assert not long, f"cells (index, lines) over {MAX_CELL_LINES} lines: {long}"


def _printed(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                             if k in ("text/plain", "text/markdown", "text/html")]
            for text in texts:
                yield i, text if isinstance(text, str) else "".join(text)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_money_is_printed_one_way(path):
    nb = nbformat.read(path, as_version=4)
    found = [(i, m.group(0)) for i, text in _printed(nb) for m in OTHER_MONEY.finditer(text)]
    assert not found, f"money not written as 12 345 € (cell, text): {found[:8]}"


def test_the_money_pattern_catches_the_other_formats():
    for bad in ["122,615 €", "2,258 EUR", "174175.0312 €", "1,234.50 €", "12 EUR"]:
        assert OTHER_MONEY.search(bad), bad
    for good in ["12\u202f345 €", "267 €", "1.5 %", "2,636 customers"]:
        assert not OTHER_MONEY.search(good), good
