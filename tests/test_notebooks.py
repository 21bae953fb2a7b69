"""Stored notebooks are executed top to bottom, clean, navigable and follow the lesson anatomy.

The notebooks themselves are re-executed and their tagged key numbers compared
by nbval (``pytest --nbval-lax notebooks/``); these tests check what a student
sees when opening the stored files.
"""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ALL = LESSONS + [ROOT / "notebooks" / "_template.ipynb"]


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_stored_notebook_was_executed_in_order_without_errors_or_warnings(path):
    nb = nbformat.read(path, as_version=4)
    cells = _code_cells(nb)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), "re-run with tools/run_notebooks.py"
    for cell in cells:
        for out in cell.outputs:
            assert out.output_type != "error", f"error output in: {cell.source[:80]}"
            if out.output_type == "stream" and out.name == "stderr":
                assert not re.search(r"Warning|Traceback", out.text), f"warning in output of: {cell.source[:80]}"
            text = out.get("data", {}).get("text/plain", "")
            assert not re.match(r"^<(matplotlib|Axes)", text), f"stray plot return value in: {cell.source[:80]}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_notebook_follows_the_lesson_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert re.search(r"^# \d\d|^# NN", text, re.M), "title '# NN · Title'"
    for heading in ["## Objectives", "## Key points", "## Adapting this for a client", "## References"]:
        assert heading in text, heading
    assert tags.count("parameters") == 1
    assert "nbval-check-output" in tags
    assert tags.count("solution") >= 3, "at least three exercises with solutions"


def test_navigation_is_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "navigation.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
