"""Add or refresh the navigation and the course frame of the notebooks (idempotent).

Every lesson ``notebooks/NN_topic.ipynb`` gets a markdown cell tagged
``navigation`` at its top and bottom (course contents, previous, next), and the
cell tagged ``contents`` in ``00_start_here.ipynb`` lists every lesson by its
title. Titles come from each notebook's first ``# `` heading.

**One source for the course map.** Each lesson's notebook metadata ``course``
holds its short ``name``, its business ``question``, the ``topics`` in brackets, the ``need`` served
and its ``minutes`` (``teaching`` and ``exercises``). From it this tool writes
the "**Time:**" line of the lesson's objectives, the course map of lesson 00
(the cell tagged ``course-map``) and the course map of ``README.md`` (between
``<!-- course-map -->`` markers), so the three never disagree.

**Hidden answers.** Every cell tagged ``solution`` (exercise solutions and the
answers of "Check your understanding") is collapsed in JupyterLab, code *and*
output (``metadata.jupyter.source_hidden`` and ``outputs_hidden``); the HTML
course view wraps it in a closed ``<details>`` block (``tools/publish.py``).

``python tools/navigation.py`` rewrites the notebooks; ``--check`` only reports
(exit 1) when a notebook is out of date, which ``tests/test_notebooks.py`` uses.
Navigation cells are markdown, so refreshing them does not invalidate outputs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
TAG = "navigation"
MAP_TAG = "course-map"
HIDDEN = {"source_hidden": True, "outputs_hidden": True}
_TIME = re.compile(r"\*\*Time:\*\* teaching \d+ min, exercises \d+ min")
_README_MAP = re.compile(r"(<!-- course-map -->\n).*?(<!-- /course-map -->)", re.S)


def lessons() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "(untitled)"


def nav_text(paths: list[Path], titles: list[str], i: int) -> str:
    parts = ["[Course contents](00_start_here.ipynb#Course-contents)"]
    if i > 0:
        parts.append(f"< [{titles[i - 1]}]({paths[i - 1].name})")
    if i < len(paths) - 1:
        parts.append(f"[{titles[i + 1]}]({paths[i + 1].name}) >")
    return "*Customer analytics for customer-relationship marketing* · " + " | ".join(parts)


def contents_text(paths: list[Path], titles: list[str]) -> str:
    lines = ["### Course contents", ""]
    lines += [f"- [{t}]({p.name})" for p, t in zip(paths, titles)]
    return "\n".join(lines)


def course(nb: nbformat.NotebookNode) -> dict:
    """The lesson's entry in the course map (notebook metadata ``course``); clear error if absent."""
    info = nb.metadata.get("course")
    if not info or not {"name", "question", "need", "minutes"} <= set(info):
        raise ValueError(f"{title(nb)}: notebook metadata 'course' must hold name, question, need and minutes")
    return info


def minutes(nb: nbformat.NotebookNode) -> int:
    """Teaching plus exercise minutes of a lesson."""
    return sum(course(nb)["minutes"].values())


def time_line(nb: nbformat.NotebookNode) -> str:
    m = course(nb)["minutes"]
    return f"**Time:** teaching {m['teaching']} min, exercises {m['exercises']} min"


def course_map(paths: list[Path], notebooks: list, *, readme: bool) -> str:
    """The course-map table: one row a lesson, minutes from each lesson's metadata, and the total."""
    head = "| notebook | business question | need served | minutes |" if readme else \
        "| lesson | business question | need served | minutes |"
    lines = [head, "|---|---|---|---|"]
    for path, nb in zip(paths, notebooks):
        info = course(nb)
        if readme:
            topics = f" ({info['topics']})" if info.get("topics") else ""
            lines.append(f"| `{path.stem}` | {info['question']}{topics} | {info['need']} | {minutes(nb)} |")
        else:
            lines.append(f"| {path.name[:2]} {info['name']} | {info['question']} | {info['need']} | {minutes(nb)} |")
    total = sum(minutes(nb) for nb in notebooks)
    lines.append(f"| **all** | | | **{total}** ({total // 60} h {total % 60:02d} min) |")
    return "\n".join(lines)


def _with_table(source: str, table: str) -> str:
    """The markdown with its (first) table replaced by ``table``; text before and after is kept."""
    lines = source.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), len(lines))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[:start] + table.split("\n") + lines[end:])


def hide_solutions(cells: list) -> None:
    for cell in cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            cell.metadata["jupyter"] = dict(HIDDEN)


def refreshed(nb: nbformat.NotebookNode, nav: str, contents: str | None,
              course_map_text: str | None = None) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if contents is not None and "contents" in tags:
            cell.source = contents
        if course_map_text is not None and MAP_TAG in tags:
            cell.source = _with_table(cell.source, course_map_text)
        if cell.cell_type == "markdown" and _TIME.search(cell.source) and "course" in nb.metadata:
            cell.source = _TIME.sub(time_line(nb), cell.source)
    hide_solutions(cells)
    make = lambda: nbformat.v4.new_markdown_cell(nav, metadata={"tags": [TAG]})  # noqa: E731
    nb.cells = [make(), *cells, make()]
    for cell in nb.cells:  # stable ids so a refresh is byte-identical
        if TAG in cell.metadata.get("tags", []):
            cell.id = f"nav-{'top' if cell is nb.cells[0] else 'bottom'}"
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = lessons()
    notebooks = [nbformat.read(p, as_version=4) for p in paths]
    titles = [title(nb) for nb in notebooks]
    lesson_map = course_map(paths, notebooks, readme=False)
    stale = []
    for i, (path, nb) in enumerate(zip(paths, notebooks)):
        before = nbformat.writes(nb)
        first = path.name.startswith("00_")
        contents = contents_text(paths, titles) if first else None
        after = nbformat.writes(refreshed(nb, nav_text(paths, titles, i), contents,
                                          lesson_map if first else None))
        if after != before:
            stale.append(path.name)
            if not check:
                path.write_text(after + "\n" if not after.endswith("\n") else after, encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    new_readme = _README_MAP.sub(lambda m: m.group(1) + course_map(paths, notebooks, readme=True) + "\n"
                                 + m.group(2), readme)
    if new_readme != readme:
        stale.append(README.name)
        if not check:
            README.write_text(new_readme, encoding="utf-8")
    template = ROOT / "docs" / "lesson_template.ipynb"
    if template.exists():
        nb = nbformat.read(template, as_version=4)
        before = nbformat.writes(nb)
        hide_solutions(nb.cells)
        if nbformat.writes(nb) != before:
            stale.append(template.name)
            if not check:
                nbformat.write(nb, template)
    if check and stale:
        print("navigation out of date in: " + ", ".join(stale) + " (run: python tools/navigation.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
