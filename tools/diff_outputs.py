"""Re-execute notebooks in memory and compare every text output with the stored one.

Usage: ``python tools/diff_outputs.py [NOTEBOOK ...]`` (default: every lesson).
Nothing is written. Prints, per notebook, the cells whose printed text
(stream and ``text/plain`` outputs; images are skipped) differs from what is
stored, with the first differing lines; exit status 1 when any differs. This
is the check behind "no printed number changes" for a refactoring; nbval
checks only the tagged key cells.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebooks import course_notebooks  # noqa: E402


def texts(cell) -> str:
    """The printed text of a code cell's outputs (images and html left out)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out and "text/plain" in out["data"] and "image/png" not in out["data"]:
            parts.append(out["data"]["text/plain"])
        elif out.get("output_type") == "error":
            parts.append(f"ERROR {out['ename']}: {out['evalue']}")
    return "".join(parts)


def diff(path: Path) -> list[str]:
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    NotebookClient(fresh, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    report = []
    for i, (a, b) in enumerate(zip(stored.cells, fresh.cells)):
        if a.cell_type != "code":
            continue
        ta, tb = texts(a), texts(b)
        if ta != tb:
            lines = list(difflib.unified_diff(ta.splitlines(), tb.splitlines(), "stored", "now", lineterm="", n=0))
            report.append(f"  cell {i}: " + "\n    ".join(lines[2:12]))
    return report


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or course_notebooks()
    failed = False
    for path in paths:
        report = diff(path)
        print(f"{path.name}: {'same' if not report else f'{len(report)} cell(s) differ'}")
        for line in report:
            print(line)
        failed |= bool(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
