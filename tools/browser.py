"""Open a published page in headless Chromium: its DOM, console errors, files loaded, a screenshot.

Used by ``tests/test_playbook.py`` (skipped when no Chromium is installed; on Debian:
``apt-get install chromium``) and by hand::

    python tools/browser.py check build/index.html            # console messages and files loaded
    python tools/browser.py screenshot build/index.html index.png [--size 1280,2400]

The browser runs with no network use of its own (no sync, no component updates, no background
networking) and a throw-away profile, so the page's own requests are the only ones.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
]
_CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(.*)\", source: (.*)$")
_FILE_LOAD = re.compile(r"FileURLLoader::Start: (file://\S+)")
_PROBE_OUT = re.compile(r'data-pb-(resources|failed)="([^"]*)"')
#: Injected at the top of a copy of the page: records every resource the page requested (Resource
#: Timing) and every element whose load failed (error events, caught while capturing).
PROBE = """<script>(function(){var failed=[];
window.addEventListener("error",function(e){var t=e.target;
if(t&&t!==window&&(t.src||t.href)){failed.push(t.src||t.href);}},true);
window.addEventListener("load",function(){
var r=performance.getEntriesByType("resource").map(function(x){return x.name;});
document.documentElement.setAttribute("data-pb-resources",r.join(" "));
document.documentElement.setAttribute("data-pb-failed",failed.join(" "));});})();</script>"""


def chromium() -> str | None:
    """Path of a Chromium or Chrome executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Rendering:
    dom: str
    console: list[str] = field(default_factory=list)  # every console message (text and source)
    files: list[Path] = field(default_factory=list)  # every file:// resource the page asked for
    missing: list[Path] = field(default_factory=list)  # … of which do not exist
    web: list[str] = field(default_factory=list)  # http(s) addresses the page asked for
    failed: list[str] = field(default_factory=list)  # resources whose load failed (error event)


def render(page: Path, timeout: int = 60, budget_ms: int = 3000) -> Rendering:
    """Load ``page`` headless: its DOM after scripts ran, console messages, resources loaded."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no chromium/chrome executable on PATH")
    page = Path(page).resolve()
    # a probed copy next to the page, so that its relative links resolve the same way
    probed = page.with_name(f".pb-probe-{page.name}")
    text = page.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", text, re.I)
    at = head.end() if head else 0
    probed.write_text(text[:at] + PROBE + text[at:], encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory(prefix="pb-chromium-") as profile:
            proc = subprocess.run(
                [
                    exe,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "--enable-logging=stderr",
                    "--v=1",
                    f"--virtual-time-budget={budget_ms}",
                    "--dump-dom",
                    probed.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
    finally:
        probed.unlink(missing_ok=True)
    console = [
        f"{m.group(1)} ({m.group(2)})" for m in map(_CONSOLE.search, proc.stderr.splitlines()) if m
    ]
    files = []
    for match in _FILE_LOAD.finditer(proc.stderr):
        path = Path(unquote(urlparse(match.group(1)).path))
        if path != probed and path not in files:
            files.append(path)
    probe = {k: html.unescape(v).split() for k, v in _PROBE_OUT.findall(proc.stdout[:5000])}
    requested = probe.get("resources", [])
    web = sorted(
        {u for u in requested + probe.get("failed", []) if u.startswith(("http://", "https://"))}
    )
    dom = _PROBE_OUT.sub("", proc.stdout).replace(PROBE, "")
    return Rendering(
        dom=dom,
        console=console,
        files=files,
        missing=[p for p in files if not p.exists()],
        web=web,
        failed=probe.get("failed", []),
    )


def screenshot(
    page: Path,
    png: Path,
    size: tuple[int, int] = (1280, 2400),
    timeout: int = 60,
    fragment: str = "",
) -> Path:
    """Save a PNG of ``page`` (``#fragment``: ``/3`` = fourth slide) in a ``size`` window."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no chromium/chrome executable on PATH")
    png = Path(png).resolve()
    with tempfile.TemporaryDirectory(prefix="pb-chromium-") as profile:
        subprocess.run(
            [
                exe,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "--virtual-time-budget=3000",
                f"--screenshot={png}",
                Path(page).resolve().as_uri() + (f"#{fragment}" if fragment else ""),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    return png


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("page")
    shot = sub.add_parser("screenshot")
    shot.add_argument("page")
    shot.add_argument("png")
    shot.add_argument("--size", default="1280,2400")
    shot.add_argument(
        "--fragment", default="", help="URL fragment, e.g. /3 for a deck's fourth slide"
    )
    args = parser.parse_args(argv)
    if args.command == "screenshot":
        width, height = (int(x) for x in args.size.split(","))
        print(screenshot(Path(args.page), Path(args.png), (width, height), fragment=args.fragment))
        return 0
    result = render(Path(args.page))
    print(f"DOM: {len(result.dom):,} characters; files loaded: {len(result.files)}")
    for path in result.files:
        print(f"  {'MISSING ' if path in result.missing else ''}{path}")
    for line in result.console:
        print(f"console: {line}")
    for url in result.web:
        print(f"web: {url}")
    for url in result.failed:
        print(f"failed to load: {url}")
    return 1 if result.console or result.missing or result.web or result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
