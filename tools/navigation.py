"""Add or refresh the navigation of the course notebooks (idempotent).

Every lesson ``notebooks/NN_topic.ipynb`` gets a markdown cell tagged
``navigation`` at its top and bottom (course contents, previous, next), and the
cell tagged ``contents`` in ``00_start_here.ipynb`` lists every lesson by its
title. Titles come from each notebook's first ``# `` heading.

``python tools/navigation.py`` rewrites the notebooks; ``--check`` only reports
(exit 1) when a notebook is out of date, which ``tests/test_notebooks.py`` uses.
Navigation cells are markdown, so refreshing them does not invalidate outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = "navigation"


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


def refreshed(nb: nbformat.NotebookNode, nav: str, contents: str | None) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in cells:
        if contents is not None and "contents" in cell.get("metadata", {}).get("tags", []):
            cell.source = contents
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
    stale = []
    for i, (path, nb) in enumerate(zip(paths, notebooks)):
        before = nbformat.writes(nb)
        contents = contents_text(paths, titles) if path.name.startswith("00_") else None
        after = nbformat.writes(refreshed(nb, nav_text(paths, titles, i), contents))
        if after != before:
            stale.append(path.name)
            if not check:
                path.write_text(after + "\n" if not after.endswith("\n") else after, encoding="utf-8")
    if check and stale:
        print("navigation out of date in: " + ", ".join(stale) + " (run: python tools/navigation.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
