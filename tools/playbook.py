"""The course's main job without a browser: run every notebook and publish HTML.

``python tools/playbook.py`` executes each lesson in teaching order on the
bundled data (a fresh kernel per notebook, no server), writes the executed
copies and one HTML page per notebook under ``build/``, and an index page
linking them with their run times. The stored notebooks are not modified.
"""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from navigation import title  # noqa: E402
from run_notebooks import course_notebooks, execute  # noqa: E402

BUILD = Path(__file__).resolve().parent.parent / "build"


def main() -> int:
    BUILD.mkdir(exist_ok=True)
    (BUILD / "notebooks").mkdir(exist_ok=True)
    exporter = HTMLExporter()
    rows, total = [], 0.0
    for source in course_notebooks():
        copy = BUILD / "notebooks" / source.name
        shutil.copyfile(source, copy)
        seconds = execute(copy)
        total += seconds
        nb = nbformat.read(copy, as_version=4)
        body, _ = exporter.from_notebook_node(nb)
        page = BUILD / f"{source.stem}.html"
        page.write_text(body.replace('.ipynb"', '.html"').replace(".ipynb#", ".html#"), encoding="utf-8")
        rows.append((page.name, title(nb), seconds))
        print(f"{source.name}: {seconds:.1f} s -> build/{page.name}")
    items = "\n".join(f'<li><a href="{p}">{html.escape(t)}</a> <small>({s:.0f} s)</small></li>' for p, t, s in rows)
    (BUILD / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Customer analytics course</title></head><body>"
        "<h1>Customer analytics for customer-relationship marketing</h1>"
        f"<p>Every lesson executed on the bundled data in {total:.0f} s.</p><ol>{items}</ol></body></html>",
        encoding="utf-8")
    print(f"total: {total:.1f} s; open build/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
