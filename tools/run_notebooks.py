"""Execute course notebooks in place, top to bottom, each in one fresh kernel.

Usage: ``python tools/run_notebooks.py [NOTEBOOK ...]`` (default: every
``notebooks/NN_*.ipynb`` and the template). Fails (exit 1) when a cell raises or
when any output contains a warning, so stored notebooks stay clean.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # kernels inherit it: small fits are faster single-threaded on 2 cores

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WARNING = re.compile(r"Warning|Traceback")


def course_notebooks() -> list[Path]:
    """The lesson notebooks in teaching order (``NN_topic.ipynb``)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def warnings_in(nb: nbformat.NotebookNode) -> list[str]:
    """Texts of stderr outputs that carry a warning or a traceback."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr" and WARNING.search(out["text"]):
                found.append(out["text"].strip().splitlines()[0])
            if out.get("output_type") == "error":
                found.append(f"{out['ename']}: {out['evalue']}")
    return found


def execute(path: Path, timeout: int = 300) -> float:
    """Execute one notebook in place in a fresh kernel; return seconds taken."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    problems = warnings_in(nb)
    nbformat.write(nb, path)
    if problems:
        raise RuntimeError(f"{path.name}: warnings in outputs: {problems[:5]}")
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or course_notebooks() + [NOTEBOOKS.parent / "docs" / "lesson_template.ipynb"]
    total = 0.0
    for path in paths:
        if not path.exists():
            continue
        seconds = execute(path)
        total += seconds
        print(f"{path.name}: {seconds:.1f} s")
    print(f"total: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
