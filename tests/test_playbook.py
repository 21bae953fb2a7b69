"""The playbook: one run, three outputs (course view, report without code, offline slides).

Runs ``tools/playbook.py`` on lessons 00 and 01 of the sample company into a temporary folder,
and on small made-up lessons that exercise the conventions (``DATA`` injection, ``Skipped:``
lines, ``NotApplicable``, a failing lesson, a lesson without ``DATA``, the tags). The browser
check renders pages in headless Chromium and is skipped when no Chromium is installed.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / "tools" / "playbook.py"
sys.path.insert(0, str(ROOT / "tools"))
import browser  # noqa: E402
import publish  # noqa: E402

#: An element that makes the browser fetch a web address (or a protocol-relative one).
WEB_ASSET = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object|use)\b[^>]*?"
    r"\b(?:src|href|data|poster|srcset)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.I,
)
CSS_WEB = re.compile(
    r"(?:url\(\s*[\"']?\s*(?:https?:)?//|@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//)", re.I
)


def run_playbook(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PLAYBOOK), *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("playbook")
    proc = run_playbook("--lessons", "00", "01", "--out", str(out), "--jobs", "2")
    return out, proc


LESSONS = ["00_start_here", "01_customer_value"]


def test_sample_run_writes_every_output(sample_run):
    out, proc = sample_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in LESSONS:
        assert re.search(rf"\[\d/2\] {name}\s+\d+\.\d s  ok", proc.stdout), proc.stdout
        for path in [
            f"notebooks/{name}.ipynb",
            f"course/{name}.html",
            f"report/{name}.html",
            f"slides/{name}.html",
        ]:
            assert (out / path).is_file(), path
    for path in [
        "index.html",
        "course/index.html",
        "slides/reveal.js/dist/reveal.js",
        "slides/reveal.js/dist/reveal.css",
        "slides/reveal.js/LICENSE",
    ]:
        assert (out / path).is_file(), path
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Kotiranta Oy" in index
    assert "01.01.2023 – 31.12.2025" in index
    assert "Health check of the data" in index and "duplicate customer" in index
    for name in LESSONS:
        assert f'href="report/{name}.html"' in index and f'href="slides/{name}.html"' in index


def test_report_pages_hold_no_code(sample_run):
    out, _ = sample_run
    for name in LESSONS:
        page = (out / "report" / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(
            r'class="[^"]*\b(input_area|jp-InputArea|jp-CodeMirrorEditor|highlight)\b', page
        )
        nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
        prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        text = html.unescape(page)
        code_lines = {
            line.strip()
            for c in nb.cells
            if c.cell_type == "code"
            for line in c.source.splitlines()
            if len(line.strip()) >= 25
            and ("(" in line or "=" in line)
            and line.strip() not in prose
        }
        leaked = [line for line in code_lines if line in text]
        assert not leaked, f"{name}: code in the report: {leaked[:3]}"
        # course material is left out: exercises, their solutions, objectives, navigation
        for heading in ("Exercises", "Objectives", "Key points", "Course contents"):
            assert f">{heading}<" not in page, f"{name}: section {heading} in the report"


def test_report_and_slides_load_nothing_from_the_web(sample_run):
    out, _ = sample_run
    pages = (
        [out / "index.html"]
        + sorted((out / "report").glob("*.html"))
        + sorted((out / "slides").glob("*.html"))
    )
    assert len(pages) == 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not WEB_ASSET.search(text), f"{page.name}: {WEB_ASSET.search(text).group(0)}"
        assert not CSS_WEB.search(text), f"{page.name}: {CSS_WEB.search(text).group(0)}"
        if page.parent.name != "slides":
            assert "<script" not in text, f"{page.name}: a report page has no script"


def test_slides_use_only_the_local_reveal(sample_run):
    out, _ = sample_run
    for name in LESSONS:
        deck = out / "slides" / f"{name}.html"
        text = deck.read_text(encoding="utf-8")
        assets = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", text)
        assert sorted(set(assets)) == ["reveal.js/dist/reveal.css", "reveal.js/dist/reveal.js"], (
            assets
        )
        for asset in assets:
            assert (deck.parent / asset).is_file()
        assert "Reveal.initialize" in text and "<section" in text
        assert not re.search(r'class="[^"]*\b(jp-CodeMirrorEditor|cm-editor|highlight)\b', text), (
            f"{name}: code"
        )


# ------------------------------------------------------------- conventions, on made-up lessons
def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, source, tags in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, metadata={"tags": list(tags)}))
    return nb


def made_up_lessons(folder: Path) -> list[Path]:
    lessons = {
        "10_fine": notebook(
            ("md", "# 10 · Fine lesson\n\nWhat the lesson is about.", []),
            ("md", "## Objectives\n- objective text", []),
            ("code", "DATA = None\nX = 1", ["parameters"]),
            ("md", "## 1. Result\nAn explanation that holds for any company.", []),
            ("code", "print(f'Headline: DATA={DATA!r} X={X}')", ["headline"]),
            (
                "code",
                "print('Skipped: no campaigns table — this section would show each campaign')",
                [],
            ),
            ("md", "The sample company made 123 456 € (sample-prose text).", ["sample-prose"]),
            ("code", "print('course-only output')", ["course-only"]),
            ("md", "## 2. CDNOW, a public data set", ["course-only"]),
            ("code", "print('cdnow section output')", []),
            ("md", "## Exercises\n**Exercise 1.** Do it.", []),
            ("code", "print('solution output')", ["solution"]),
        ),
        "11_not_applicable": notebook(
            ("code", "DATA = None", ["parameters"]),
            ("md", "# 11 · Needs customer ids", []),
            (
                "code",
                "class NotApplicable(Exception):\n    pass\n\n"
                "raise NotApplicable('the orders carry no customer ids')",
                [],
            ),
            ("code", "print('never reached')", []),
        ),
        "12_broken": notebook(
            ("code", "DATA = None", ["parameters"]),
            ("md", "# 12 · Broken", []),
            ("code", "1 / 0", []),
        ),
        "13_without_data": notebook(
            ("code", "X = 1", ["parameters"]),
            ("md", "# 13 · No DATA parameter yet", []),
            ("code", "print('sample numbers')", []),
        ),
    }
    paths = []
    for name, nb in lessons.items():
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def client_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lessons")
    paths = made_up_lessons(folder)
    toml = folder / "company.toml"
    toml.write_text(
        '[company]\nname = "Testi Oy"\nobservation_end = "30.06.1998"\n', encoding="utf-8"
    )
    out = folder / "out"
    proc = run_playbook(
        "--data", str(toml), "--out", str(out), "-p", "X", "7", "--jobs", "2", *map(str, paths)
    )
    return out, proc, toml


def test_client_run_follows_the_conventions(client_run):
    out, proc, toml = client_run
    assert proc.returncode == 1, (
        proc.stdout + proc.stderr
    )  # 12_broken failed; the run still went to the end
    log = proc.stdout
    assert re.search(r"10_fine\s+\d+\.\d s  ok · 1 section skipped", log), log
    assert "Skipped: no campaigns table — this section would show each campaign" in log
    assert re.search(
        r"11_not_applicable\s+\d+\.\d s  not applicable: the orders carry no customer ids", log
    ), log
    assert re.search(r"12_broken\s+\d+\.\d s  FAILED at cell \[\d+\]: ZeroDivisionError", log), log
    assert "13_without_data: not run: this lesson has no DATA parameter" in log
    assert "FAILED: 12_broken" in log

    page = (out / "report" / "10_fine.html").read_text(encoding="utf-8")
    assert f"Headline: DATA={str(toml)!r} X=7" in html.unescape(page)
    assert "no campaigns table" in page and "pb-skipped" in page
    for absent in (
        "123 456",
        "course-only output",
        "cdnow section output",
        "solution output",
        "objective text",
        "print(",
    ):
        assert absent not in page, absent
    assert "An explanation that holds for any company." in page

    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Testi Oy" in index and "30.06.1998" in index
    assert "the orders carry no customer ids" in index
    assert "ZeroDivisionError" in index and "not run: this lesson has no DATA parameter" in index
    assert "Headline: DATA=" in html.unescape(index)  # the tagged headline is on the index
    assert "Skipped: no campaigns table" in index
    assert (out / "report" / "11_not_applicable.html").is_file()
    assert not (out / "slides" / "11_not_applicable.html").exists()
    assert (
        out / "course" / "12_broken.html"
    ).is_file()  # its traceback is readable in the course view
    assert not (out / "report" / "12_broken.html").exists()
    assert not (out / "notebooks" / "13_without_data.ipynb").exists()
    deck = (out / "slides" / "10_fine.html").read_text(encoding="utf-8")
    assert "Headline: DATA=" in html.unescape(deck) and "no campaigns table" not in deck


def test_sample_prose_stays_in_a_sample_run(tmp_path):
    path = made_up_lessons(tmp_path)[0]
    nb = nbformat.read(path, as_version=4)
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", name="stdout", text="Headline\n")]
    kept = publish.report_cells(nb, client=False)
    assert any("sample-prose text" in c.source for c in kept)
    assert not any("sample-prose text" in c.source for c in publish.report_cells(nb, client=True))


def test_parameter_values_are_read_as_python():
    import playbook

    assert [
        playbook._value(v) for v in ["7", "0.3", "None", "true", "2025-07-01", "K20", "[1, 2]"]
    ] == [7, 0.3, None, True, "2025-07-01", "K20", [1, 2]]


def test_prose_figures_must_be_printed():
    cells = [
        nbformat.v4.new_markdown_cell(
            "## 4.1 Result\nRevenue was 12 345 € and 42.3 % came back; `1.96`."
        ),
        nbformat.v4.new_code_cell(
            "",
            outputs=[
                nbformat.v4.new_output(
                    "stream", name="stdout", text="Revenue 12,345 €; returned 42.3%\n"
                )
            ],
        ),
        nbformat.v4.new_markdown_cell("The sample made 6 200 105 € (not printed here)."),
    ]
    assert publish.unbacked_figures(cells) == ["6 200 105 €"]


# ------------------------------------------------------------- a client's data, end to end
CLIENT_LESSONS = ["00", "01", "02", "03", "04", "09", "10"]  # those the CDNOW orders support


def _lessons_taking_data() -> set[str]:
    import playbook

    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return {p.name[:2] for p in notebooks if "DATA" in playbook._declared(p)}


def test_cdnow_client_runs_end_to_end(tmp_path):
    """The CDNOW client fixture (orders, a register): 00-04, 09 and 10 report, the rest do not apply."""
    missing = sorted(set(CLIENT_LESSONS) - _lessons_taking_data())
    if missing:
        pytest.skip(f"lessons {', '.join(missing)} have no DATA parameter yet")
    fixture = tmp_path / "cdnow"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_client_fixtures.py"), str(fixture)],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "out"
    proc = run_playbook("--data", str(fixture / "company.toml"), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Kotiranta" not in index
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        name = notebook.stem
        if playbook_excluded(notebook):  # the capstone: a student's exercise, not a client page
            continue
        if name[:2] in CLIENT_LESSONS:
            assert re.search(rf"{name}\s+\d+\.\d s  ok", proc.stdout), proc.stdout
            page = out / "report" / f"{name}.html"
            assert "Kotiranta" not in page.read_text(encoding="utf-8"), name
            nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
            unbacked = publish.unbacked_figures(publish.report_cells(nb, client=True))
            assert not unbacked, f"{name}: figures in the report's text no cell printed: {unbacked}"
        else:
            assert re.search(rf"{name}\s+\d+\.\d s  not applicable: \S", proc.stdout), proc.stdout


def test_another_company_with_every_table_runs_every_lesson(tmp_path):
    """The Lumo fixture (another generated company: other ids, dates and headers, no answer key):
    every lesson runs to the end on it, and no report page states a figure it did not compute —
    the test that no lesson depends on the sample company."""
    out = tmp_path / "out"
    proc = run_playbook("--data", str(ROOT / "data" / "clients" / "lumo" / "company.toml"), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        name = notebook.stem
        if playbook_excluded(notebook):
            continue
        assert re.search(rf"{name}\s+\d+\.\d s  ok", proc.stdout), proc.stdout
        page = (out / "report" / f"{name}.html").read_text(encoding="utf-8")
        assert "Kotiranta" not in page and "C00001" not in page, name
        nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
        unbacked = publish.unbacked_figures(publish.report_cells(nb, client=True))
        assert not unbacked, f"{name}: figures in the report's text no cell printed: {unbacked}"


def playbook_excluded(notebook) -> bool:
    import playbook

    return playbook._excluded(notebook)


# ----------------------------------------------------------------------------- in a real browser
needs_chromium = pytest.mark.skipif(
    browser.chromium() is None,
    reason="no Chromium installed (Debian: apt-get install chromium); "
    "the browser check of the report is skipped",
)


@needs_chromium
def test_index_and_a_report_page_render_without_errors(sample_run):
    out, _ = sample_run
    for page in [out / "index.html", out / "report" / "01_customer_value.html"]:
        shown = browser.render(page)
        assert "Kotiranta Oy" in shown.dom, page.name
        assert not shown.console, f"{page.name}: console: {shown.console}"
        assert not shown.missing and not shown.failed, (
            f"{page.name}: {shown.missing} {shown.failed}"
        )
        assert not shown.web, f"{page.name} asked the web for {shown.web}"


@needs_chromium
def test_a_deck_starts_reveal_from_the_local_copy(sample_run):
    out, _ = sample_run
    shown = browser.render(out / "slides" / "01_customer_value.html")
    assert not shown.console and not shown.missing and not shown.failed and not shown.web
    assert re.search(r'class="reveal[^"]*\bready\b', shown.dom), "reveal.js did not start"
    assert {p.name for p in shown.files} >= {"reveal.js", "reveal.css"}
