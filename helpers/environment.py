"""Check the Python environment against the course's declared dependencies.

``pyproject.toml`` is the single source of truth; ``environment.yml`` mirrors it
for conda and Binder users. :func:`check_environment` is what lesson 0 runs;
:func:`declared_requirements` is what the tests use to keep the two in sync.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata

import pandas as pd

from helpers import PROJECT_ROOT

_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(>=|==)?\s*([0-9][0-9A-Za-z.]*)?")


def _parse(requirement: str) -> tuple[str, str]:
    match = _REQ.match(requirement)
    if not match:
        raise ValueError(f"cannot read the requirement {requirement!r}")
    return match.group(1).lower().replace("_", "-"), match.group(3) or ""


def declared_requirements(source: str = "pyproject") -> dict[str, str]:
    """Package name -> lower version bound, from ``pyproject.toml`` or ``environment.yml``."""
    if source == "pyproject":
        project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return dict(_parse(r) for r in project["dependencies"])
    if source == "environment.yml":
        reqs, in_dependencies = {}, False
        for line in (PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
            item = line.strip()
            if not line.startswith((" ", "-")):
                in_dependencies = item == "dependencies:"
            if not in_dependencies or not item.startswith("- ") or item.endswith(":") \
                    or item[2:].startswith(("python", "pip", "-e")):
                continue
            name, bound = _parse(item[2:])
            reqs[name] = bound
        return reqs
    raise ValueError(f"source must be 'pyproject' or 'environment.yml', got {source!r}")


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def check_environment(source: str = "environment.yml") -> pd.DataFrame:
    """One row per declared package: the required lower bound, the installed version and whether it is fine.

    ``source`` is ``"environment.yml"`` (what conda and Binder users installed from) or ``"pyproject"``;
    a test keeps the two lists identical.
    """
    rows = [{"package": "python", "required": "3.11", "installed": ".".join(map(str, sys.version_info[:3])),
             "ok": sys.version_info[:2] >= (3, 11)}]
    for name, bound in declared_requirements(source).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        ok = installed is not None and (not bound or _as_tuple(installed) >= _as_tuple(bound))
        rows.append({"package": name, "required": bound, "installed": installed or "missing", "ok": ok})
    return pd.DataFrame(rows)
