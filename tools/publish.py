"""Render one executed lesson three ways, and the report's index page.

Used by ``tools/playbook.py``; the tag and output conventions it applies are
written down there (module docstring) and in ``docs/authoring.md``.

From one executed notebook:

* :func:`course_page` -- the course view: every cell, code included (nbconvert's lab template);
* :func:`report_page` -- the managers' page: no code, no course material (nbconvert's basic
  template with inputs excluded, wrapped in ``templates/report_page.html.j2`` with
  ``templates/report.css`` inlined, so one file can be mailed or printed);
* :func:`slides_page` -- a reveal.js deck (nbconvert's SlidesExporter with the offline template
  ``templates/offline_reveal``; the reveal.js files come from ``vendor/reveal.js`` copied next to
  the decks by :func:`copy_reveal`).

Nothing here loads a web asset: no CDN, no web font, no MathJax, no require.js.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter, SlidesExporter

from helpers._money import format_euro

TOOLS = Path(__file__).resolve().parent
TEMPLATES = TOOLS / "templates"
REVEAL = TOOLS / "vendor" / "reveal.js"

# ----------------------------------------------------------------------------- conventions
#: A finding for the index page and the slides (markdown or code output).
HEADLINE = "headline"
#: A cell that becomes a slide (besides the headline cells).
SLIDE = "slide"
#: Teaching material: never in the report or the slides. On a markdown cell that starts with a
#: heading it drops the whole section (up to the next heading of the same or a higher level).
COURSE_ONLY = "course-only"
#: Prose quoting the sample company's numbers: in the sample run's report, not in a client run.
SAMPLE_PROSE = "sample-prose"
#: Cells never shown to managers, whatever the run.
NEVER_IN_REPORT = {
    COURSE_ONLY,
    "navigation",
    "contents",
    "solution",
    "parameters",
    "injected-parameters",
    "papermill-error-cell-tag",
    "remove-cell",
}
#: Sections left out of the report by their heading alone (numbering such as "5." is ignored).
COURSE_SECTIONS = (
    "objectives",
    "how to use the course",
    "course map",
    "course contents",
    "exercises",
    "check your understanding",
    "glossary",
    "key points",
    "adapting this for a client",
    "references",
    "check against the truth",
    "check your environment",
)
#: Output line prefixes the lessons print.
SKIPPED = "Skipped:"
NOT_APPLICABLE = "Not applicable:"
#: Exception class name that stops a lesson as not applicable (its message is the reason).
NOT_APPLICABLE_ERROR = "NotApplicable"

_HEADING = re.compile(r"^\s*(#{1,6})\s+(.*)")
_NUMBERING = re.compile(r"^\d+(\.\d+)*\.?\s+")
_WARNING = re.compile(r"Warning|Traceback")


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def heading(cell) -> tuple[int, str] | None:
    """(level, text) when a markdown cell starts with a heading."""
    if cell.cell_type != "markdown":
        return None
    match = _HEADING.match(cell.source)
    if not match:
        return None
    return len(match.group(1)), match.group(2).splitlines()[0].strip()


def output_lines(cell) -> list[str]:
    """Lines of a code cell's visible text output (stdout, plain text and markdown displays)."""
    lines: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            lines += out.get("text", "").splitlines()
        elif out.get("output_type") in ("display_data", "execute_result"):
            data = out.get("data", {})
            text = data.get("text/markdown") or (
                "" if "text/html" in data else data.get("text/plain", "")
            )
            lines += (text if isinstance(text, str) else "".join(text)).splitlines()
    return lines


def _prefixed(nb, prefix: str) -> list[str]:
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            found += [
                line.strip()[len(prefix) :].strip()
                for line in output_lines(cell)
                if line.strip().startswith(prefix)
            ]
    return found


def skipped_sections(nb) -> list[str]:
    """Every ``Skipped: …`` line the lesson printed (the text after the prefix)."""
    return _prefixed(nb, SKIPPED)


def first_error(nb) -> dict | None:
    """The first error output of an executed notebook as ``cell``, ``ename``, ``evalue``."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return {
                    "cell": cell.get("execution_count"),
                    "ename": out.get("ename", ""),
                    "evalue": str(out.get("evalue", "")).strip(),
                }
    return None


def not_applicable(nb) -> str | None:
    """The reason a lesson gave for not running on the data, or ``None``."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if (
                out.get("output_type") == "error"
                and out.get("ename", "").split(".")[-1] == NOT_APPLICABLE_ERROR
            ):
                return out.get("evalue", "").strip() or "(no reason given)"
    reasons = _prefixed(nb, NOT_APPLICABLE)
    return reasons[0] if reasons else None


def warnings_in(nb) -> list[str]:
    """First line of every stderr output that carries a warning."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if (
                out.get("output_type") == "stream"
                and out.get("name") == "stderr"
                and _WARNING.search(out["text"])
            ):
                found.append(out["text"].strip().splitlines()[0])
    return found


# ----------------------------------------------------------------------------- choosing cells
def _is_course_section(text: str) -> bool:
    text = _NUMBERING.sub("", text.lower()).strip()
    return any(text.startswith(name) for name in COURSE_SECTIONS)


def _status_only(cell) -> bool:
    """A code cell whose only visible output is ``Skipped:``/``Not applicable:`` lines."""
    lines = [line for line in output_lines(cell) if line.strip()]
    has_rich = any(
        "image/png" in o.get("data", {}) or "text/html" in o.get("data", {})
        for o in cell.get("outputs", [])
    )
    return (
        bool(lines)
        and not has_rich
        and all(line.strip().startswith((SKIPPED, NOT_APPLICABLE)) for line in lines)
    )


def _model_diagram(output) -> bool:
    """A scikit-learn estimator's HTML display (a model's wiring, with script and doc links)."""
    page = output.get("data", {}).get("text/html", "")
    return isinstance(page, str) and "sk-top-container" in page


def report_cells(nb, client: bool) -> list:
    """The cells a manager sees, in order, as copies: no code input, no course material.

    Dropped: cells tagged with any of :data:`NEVER_IN_REPORT`; in a client run (``client=True``)
    cells tagged :data:`SAMPLE_PROSE`; whole sections whose heading is in :data:`COURSE_SECTIONS`
    or whose heading cell is tagged :data:`COURSE_ONLY`; raw cells; stderr and error outputs;
    scikit-learn model diagrams; code cells left without output. Code cells whose only output
    is a ``Skipped:`` line get the tag ``pb-skipped`` (styled as a note).
    """
    kept, drop_below = [], None  # drop_below: level of the heading whose section is being dropped
    for cell in nb.cells:
        found = heading(cell)
        if found and drop_below is not None and found[0] <= drop_below:
            drop_below = None
        if drop_below is not None:
            continue
        cell_tags = tags(cell)
        if found and (COURSE_ONLY in cell_tags or _is_course_section(found[1])):
            drop_below = found[0]
            continue
        if (
            cell_tags & NEVER_IN_REPORT
            or (client and SAMPLE_PROSE in cell_tags)
            or cell.cell_type == "raw"
        ):
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if (
                    o.get("output_type") in ("display_data", "execute_result")
                    and not _model_diagram(o)
                )
                or (o.get("output_type") == "stream" and o.get("name") == "stdout")
            ]
            if not cell.outputs:
                continue
            if _status_only(cell):
                cell.metadata.setdefault("tags", []).append("pb-skipped")
        kept.append(cell)
    return kept


def _has_image(cell) -> bool:
    return any(
        "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
        for o in cell.get("outputs", [])
    )


def headline_cells(cells: list) -> tuple[list, bool]:
    """Headline cells of a lesson's report cells, and whether they were tagged.

    Without any cell tagged :data:`HEADLINE`, a stand-in: the printed key results (cells tagged
    ``nbval-check-output`` printing at most four lines, at most three) and the lesson's first plot.
    """
    tagged = [c for c in cells if HEADLINE in tags(c) and "pb-skipped" not in tags(c)]
    if tagged:
        return tagged, True
    key = [
        c
        for c in cells
        if "nbval-check-output" in tags(c)
        and "pb-skipped" not in tags(c)
        and not _has_image(c)
        and 0 < len(output_lines(c)) <= 4
    ][:3]
    plot = next((c for c in cells if c.cell_type == "code" and _has_image(c)), None)
    chosen = [c for c in cells if c in key or c is plot]
    return chosen, False


def _fits_slide(cell, max_lines: int = 14, max_rows: int = 14) -> bool:
    """A result that fits a slide: a plot, or text/table of at most ``max_lines``/``max_rows``."""
    if _has_image(cell):
        return True
    rows = sum(
        o.get("data", {}).get("text/html", "").count("<tr")
        for o in cell.get("outputs", [])
        if isinstance(o.get("data", {}).get("text/html", ""), str)
    )
    return len(output_lines(cell)) <= max_lines and rows <= max_rows + 1


def slide_cells(cells: list, deck_title: str, subtitle: str) -> list:
    """The report cells with reveal.js slide types set: a flat deck, one result per slide.

    A title slide, then one slide per cell tagged :data:`HEADLINE` or :data:`SLIDE` or, when no
    cell is tagged, one slide per result short enough for a slide (a plot, or at most 14 lines or
    table rows); each slide is headed by its section's title. A tagged markdown cell that starts
    with a heading is a slide of its own.
    """

    def md(source: str, kind: str):
        return nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": kind}})

    def with_type(cell, kind: str):
        cell = copy.deepcopy(cell)
        cell.metadata["slideshow"] = {"slide_type": kind}
        return cell

    deck = [md(f"# {deck_title}\n\n{subtitle}", "slide")]
    tagged = any(tags(c) & {HEADLINE, SLIDE} for c in cells)
    section = None
    for cell in cells:
        found = heading(cell)
        if found and found[0] >= 2:
            section = found[1]
        if "pb-skipped" in tags(cell) or (found and found[0] == 1):
            continue
        chosen = (
            bool(tags(cell) & {HEADLINE, SLIDE})
            if tagged
            else cell.cell_type == "code" and _fits_slide(cell)
        )
        if not chosen:
            continue
        if found or not section:
            deck.append(with_type(cell, "slide"))
        else:
            deck.append(md(f"### {section}", "slide"))
            deck.append(with_type(cell, "-"))
    return deck


# ----------------------------------------------------------------------------- honest text
#: A figure in prose: a number with thousands separators or decimals, or followed by € or %.
_FIGURE = re.compile(
    r"(?<![\w.,])[-−+]?\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?:[.,]\d+)?(?:\s?(?:€|%|EUR))?"
    r"|(?<![\w.,])[-−+]?\d+[.,]\d+(?:\s?(?:€|%|EUR))?"
    r"|(?<![\w.,])[-−+]?\d+\s?(?:€|%|EUR)"
)


def _figure_key(text: str) -> str:
    """``12 345,6 €`` and ``12,345.6`` -> ``12345.6``: a figure's digits, whatever the format."""
    core = re.sub(r"[€%EUR\s\u00a0\u202f+−-]", "", text)
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", core):
        core = core.replace(",", "")
    return core.replace(",", ".").rstrip("0").rstrip(".") if "." in core.replace(",", ".") else core


def unbacked_figures(cells: list) -> list[str]:
    """Figures in the report's prose (markdown cells) that no output of the lesson printed.

    The check behind "no sentence states a number that was not computed from the company's own
    data": a figure (thousands separators, decimals, or a € or % sign) in a markdown cell must
    appear, digits equal, in some printed output (text, tables, HTML) of the same lesson.
    Headings, code spans and ``$formulas$`` are not read.
    """
    printed = set()
    for cell in cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts = [out.get("text", "")] + [
                v
                for k, v in out.get("data", {}).items()
                if k.startswith("text/") and isinstance(v, str)
            ]
            for text in texts:
                printed |= {_figure_key(m) for m in _FIGURE.findall(html.unescape(text))}
                printed |= set(re.findall(r"\d+(?:\.\d+)?", text))
    found = []
    for cell in cells:
        if cell.cell_type == "markdown":
            prose = "\n".join(line for line in cell.source.splitlines() if not _HEADING.match(line))
            prose = re.sub(
                r"`[^`]*`|\$[^$]*\$", "", prose
            )  # code spans and formulas are not figures
            found += [m for m in _FIGURE.findall(prose) if _figure_key(m) not in printed]
    return found


# ----------------------------------------------------------------------------- rendering
_ANCHOR = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def _report_links(body: str, lessons: set[str]) -> str:
    """Lesson links go to the lesson's report page; other repository links are unwrapped."""

    def fix(match: re.Match) -> str:
        href, text = match.group(1), match.group(2)
        if href.startswith(("#", "http://", "https://", "mailto:")):
            return match.group(0)
        lesson = re.match(r"(\d\d_[\w-]+)\.(?:ipynb|html)(#.*)?$", href)
        if lesson and lesson.group(1) in lessons:
            return f'<a href="{lesson.group(1)}.html{lesson.group(2) or ""}">{text}</a>'
        return text

    return _ANCHOR.sub(fix, body)


def _notebook(cells: list, like) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(like.metadata))
    nb.cells = cells
    return nb


def _basic() -> HTMLExporter:
    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )


def fragment(cells: list, like) -> str:
    """HTML of some report cells (no inputs, no prompts), for embedding in a page."""
    if not cells:
        return ""
    body, _ = _basic().from_notebook_node(_notebook(cells, like))
    return body


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.globals["css"] = lambda name: (TEMPLATES / name).read_text(encoding="utf-8")
    return env


SOLUTION_SUMMARY = "Show the solution"


def hide_solutions(body: str, nb) -> str:
    """Put every cell tagged ``solution`` of the course view in a closed ``<details>`` block."""
    ids = {cell.get("id") for cell in nb.cells if "solution" in tags(cell)}
    if not ids:
        return body
    soup = BeautifulSoup(body, "html.parser")
    for div in soup.find_all("div", id=[f"cell-id={i}" for i in ids]):
        details = soup.new_tag("details", attrs={"class": "solution"})
        summary = soup.new_tag("summary")
        summary.string = SOLUTION_SUMMARY
        div.wrap(details)
        details.insert(0, summary)
    return str(soup)


def course_page(nb) -> str:
    """The course view: every cell with its code, as the lesson looks in JupyterLab.

    Solutions stay hidden until asked for: each is a closed ``<details>`` block ("Show the solution").
    """
    body, _ = HTMLExporter().from_notebook_node(nb)
    body = hide_solutions(body, nb)
    return body.replace('.ipynb"', '.html"').replace(".ipynb#", ".html#")


def report_page(
    cells: list,
    like,
    *,
    lesson: str,
    lesson_title: str,
    company: str,
    lessons: list[str],
    status: str = "ok",
    reason: str = "",
    skipped: list[str] | None = None,
) -> str:
    """One lesson's page for managers (a whole HTML document, CSS inlined, no external asset)."""
    names = list(lessons)
    i = names.index(lesson) if lesson in names else -1
    prev_page = f"{names[i - 1]}.html" if i > 0 else None
    next_page = f"{names[i + 1]}.html" if 0 <= i < len(names) - 1 else None
    body = _report_links(fragment(cells, like), set(names)) if status == "ok" else ""
    return (
        _env()
        .get_template("report_page.html.j2")
        .render(
            company=company,
            lesson=lesson,
            title=lesson_title,
            body=_markup(body),
            status=status,
            reason=reason,
            skipped=skipped or [],
            prev_page=prev_page,
            next_page=next_page,
        )
    )


def slides_page(
    cells: list, like, *, lesson_title: str, subtitle: str, reveal_prefix: str = "reveal.js"
) -> str:
    """A reveal.js deck of the lesson's headline or result cells (reveal.js: ``reveal_prefix``)."""
    exporter = SlidesExporter(
        template_name="offline_reveal",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_url_prefix=reveal_prefix,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    deck = _notebook(slide_cells(cells, lesson_title, subtitle), like)
    resources = {
        "deck_title": f"{lesson_title} · slides",
        "deck_css": (TEMPLATES / "slides.css").read_text(encoding="utf-8"),
    }
    body, _ = exporter.from_notebook_node(deck, resources=resources)
    return _report_links(body, set())


def index_page(**context) -> str:
    """The report's index: company, period, health check, each lesson's status and headlines."""
    for lesson in context.get("lessons", []):
        lesson["headline_html"] = _markup(_report_links(lesson.get("headline_html", ""), set()))
    return _env().get_template("report_index.html.j2").render(**context)


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


def copy_reveal(slides_dir: Path) -> Path:
    """Copy the vendored reveal.js next to the decks (``slides_dir/reveal.js``)."""
    target = slides_dir / "reveal.js"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REVEAL, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def euro(value: float) -> str:
    """``12345.6`` -> ``12 346 €``: the course's one money format (``helpers._money.format_euro``)."""
    return format_euro(value)


_MONEY = re.compile(r"(-?\d{1,3}(?:,\d{3})+|-?\d+)(?:\.\d+)?\s?(?:€|EUR)")


def money_text(text: str) -> str:
    """Amounts written ``123,207.00 €`` or ``2,258 EUR`` in a text, rewritten ``123 207 €``."""
    return _MONEY.sub(lambda m: euro(float(m.group(1).replace(",", ""))), text)


def count(value: float) -> str:
    """``12345`` -> ``12 345`` (no-break space between thousands)."""
    return f"{value:,.0f}".replace(",", "\u00a0")


def escape(text: str) -> str:
    return html.escape(text, quote=True)
