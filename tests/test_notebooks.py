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
ALL = LESSONS + [ROOT / "docs" / "lesson_template.ipynb"]


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
    if not path.name.startswith(("11_", "lesson_template")):  # the capstone is one long exercise
        assert "## Check your understanding" in text, "self-check questions with hidden answers"


def test_navigation_is_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "navigation.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


SOLUTION = "solution"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_solution_is_hidden_in_lab_and_in_the_html(path):
    """Answers stay hidden until asked for: collapsed code and output in JupyterLab, a closed <details> in HTML."""
    sys.path.insert(0, str(ROOT / "tools"))
    import publish  # noqa: PLC0415 (tools/ is not a package)

    nb = nbformat.read(path, as_version=4)
    solutions = [c for c in nb.cells if SOLUTION in c.metadata.get("tags", [])]
    for cell in solutions:
        hidden = cell.metadata.get("jupyter", {})
        assert hidden.get("source_hidden") and hidden.get("outputs_hidden"), \
            f"solution not collapsed in JupyterLab (run tools/navigation.py): {cell.source[:60]}"
    html = publish.course_page(nb)
    assert html.count('<details class="solution"><summary>Show the solution</summary>') == len(solutions)
    assert "<details open" not in html


def test_course_map_minutes_come_from_one_source():
    """README's and lesson 00's course maps and every lesson's Time line equal the lessons' metadata."""
    sys.path.insert(0, str(ROOT / "tools"))
    import navigation  # noqa: PLC0415

    notebooks = [nbformat.read(p, as_version=4) for p in LESSONS]
    total = sum(navigation.minutes(nb) for nb in notebooks)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"**{total}** ({total // 60} h {total % 60:02d} min)" in readme
    lesson0 = "\n".join(c.source for c in notebooks[0].cells if "course-map" in c.metadata.get("tags", []))
    for path, nb in zip(LESSONS, notebooks):
        assert navigation.time_line(nb) in "\n".join(c.source for c in nb.cells), path.name
        row = f"| {navigation.minutes(nb)} |"
        assert f"`{path.stem}`" in readme and row in readme.split(f"`{path.stem}`")[1].split("\n")[0]
        assert f"| {path.name[:2]} {nb.metadata['course']['name']} |" in lesson0
