"""Run every lesson on one company's data and publish three views of it.

Usage::

    make playbook                                   # the sample company, into build/
    make playbook DATA=path/to/company.toml OUT=dir # a client's data, into dir/
    python tools/playbook.py [--data company.toml] [--out build] [-p NAME VALUE ...]
                             [--lessons 00 01 ...] [--jobs N] [NOTEBOOK ...]

Each lesson ``notebooks/NN_topic.ipynb`` is executed once, top to bottom, with papermill in a fresh
kernel (two at a time on a two-core machine; ``--jobs 1`` for one at a time); the stored notebooks
are not modified. From that one executed copy the playbook writes, under ``OUT`` (default
``build/``)::

    index.html              the report's index, for managers: the company, the data period, the
                            health-check summary, every lesson's status and headline findings
    report/NN_topic.html    one page per lesson without code (fully offline, printable)
    slides/NN_topic.html    one reveal.js deck per lesson (offline: slides/reveal.js is a copy of
                            the vendored tools/vendor/reveal.js)
    course/NN_topic.html    the course view: every cell with its code (course/index.html lists them)
    notebooks/NN_topic.ipynb  the executed notebooks

and prints one progress line per lesson: its name, seconds, status and the sections it skipped.
The exit status is 1 when any lesson failed (the run still goes to the end), else 0.

Parameters
----------
``DATA`` (``--data``) is injected, as an absolute path, into the cell tagged ``parameters`` of
every lesson whose parameters cell defines ``DATA``; ``-p NAME VALUE`` does the same for any other
parameter (the value is read as a number, ``True``/``False``/``None`` or else a string). A
parameter is injected only into the lessons whose parameters cell defines it; the progress line
names the parameters a lesson does not declare. In a client run (``DATA`` given) a lesson whose
parameters cell has no ``DATA`` is **not run** and is listed so in the index: run anyway, it would
load the sample company and the client's managers would read the sample's numbers.

Conventions for lesson authors (also in ``docs/authoring.md``)
--------------------------------------------------------------
Cell tags (cell metadata ``tags``):

``parameters``
    the one cell papermill injects into (``DATA = None`` = the sample company, and the knobs).
``headline``
    a finding for the managers: shown on the index page under the lesson and made a slide. Tag the
    cell that *prints or plots* the result (an f-string sentence built from the data, a small
    table, a plot with a title that states the finding), two to four per lesson. A markdown cell
    may be a headline only when it quotes no number. Until a lesson tags any, the index shows a
    stand-in: up to three printed key results (cells tagged ``nbval-check-output``) and the
    lesson's first plot, marked as such.
``slide``
    one more slide besides the headlines (a plot worth a slide, a section's idea in a sentence).
    Without any ``headline``/``slide`` cell a lesson's deck is one slide per section with its
    results as sub-slides.
``course-only``
    teaching material: never in the report or the slides (building a method by hand, the
    environment check, the real public data sets CDNOW and Hillstrom). On a markdown cell that
    starts with a heading it removes the whole section, up to the next heading of the same or a
    higher level.
``sample-prose``
    prose that quotes the sample company's numbers: kept in the sample run's report, left out of a
    client run (``DATA`` given), where the section's conclusion must come from a code cell.
``solution``, ``navigation``, ``contents``
    never in the report or the slides (nor the ``parameters`` cell).

Sections left out of the report by their heading alone: Objectives, How to use the course, Course
map, Course contents, Exercises, Check your understanding, Glossary, Key points, Adapting this for a
client, References…, Check against the truth, Check your environment (a leading number such as
"5." is ignored). Code is never in the report; nor are stderr outputs (warnings, logs) or
scikit-learn model diagrams.

Outputs the playbook reads:

``Skipped: <what is missing> — <what the section would show>``
    one printed line (``print(...)``, a line of stdout) when a section cannot run on the data;
    the lesson goes on. Each such line is counted in the progress line and listed in the index;
    in the report it shows as a note, in the slides it is left out.
``Not applicable: <reason>``
    printed by a lesson that cannot run at all on the data (for example receipts without
    customer ids), near its top. Or raise an exception whose class is named ``NotApplicable``
    (its message is the reason): execution stops there, and that is not a failure. The lesson
    is listed as not applicable in the index with its reason; its report page says why.
Any other exception is a failure: the lesson is listed as failed (cell number, error), its course
view shows the traceback, the run goes on, the exit status is 1. Warnings on stderr are counted
in the progress line and the index; they do not fail the run (``make test`` keeps the stored
sample notebooks free of them).

A notebook whose metadata holds ``"playbook": {"exclude": true}`` is left out of the run (for
course material that is not an analysis, such as a capstone exercise).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures as futures
import datetime as dt
import html
import inspect
import logging
import multiprocessing
import os
import sys
import time
import tomllib
from pathlib import Path

# kernels inherit it: small fits are faster single-threaded on 2 cores
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import navigation  # noqa: E402
import publish  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SAMPLE_TOML = ROOT / "data" / "sample" / "company.toml"


# ----------------------------------------------------------------------------- one lesson
def _execute(
    source: Path, target: Path, parameters: dict, timeout: int
) -> tuple[float, dict | None]:
    """Execute ``source`` into ``target`` with papermill; return seconds and the error (or None)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(source.parent),
            execution_timeout=timeout,
            # the kernel's own log (not the lesson's output): quiet its TCP notice
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        error = {"cell": exc.exec_count, "ename": exc.ename, "evalue": str(exc.evalue).strip()}
    except Exception as exc:  # kernel death, timeout, unreadable notebook: still a reported failure
        error = {
            "cell": None,
            "ename": type(exc).__name__,
            "evalue": str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "",
        }
    return time.perf_counter() - start, error


def run_lesson(
    source: str,
    out: str,
    parameters: dict,
    client: bool,
    lessons: list[str],
    company: str,
    subtitle: str,
    timeout: int = 600,
    execute: bool = True,
) -> dict:
    """Execute one lesson and write its course view, report page and slides; return a summary.

    Runs in a worker process: everything it returns is plain data. With ``execute=False`` the
    notebook executed by an earlier run (``out/notebooks``) is published again as it is.
    """
    import nbformat

    source, out = Path(source), Path(out)
    name = source.stem
    executed = out / "notebooks" / source.name
    if execute or not executed.exists():
        seconds, error = _execute(source, executed, parameters, timeout)
    else:
        seconds, error = 0.0, publish.first_error(nbformat.read(executed, as_version=4))
    result = _result(name, seconds=seconds, error=error)
    if not executed.exists():
        result.update(
            status="failed", reason=_error_text(error) or "no executed notebook was written"
        )
        return result
    nb = nbformat.read(executed, as_version=4)
    result["title"] = navigation.title(nb)
    result["skipped"] = publish.skipped_sections(nb)
    result["warnings"] = publish.warnings_in(nb)
    reason = publish.not_applicable(nb)
    if reason is not None:
        result.update(status="not applicable", reason=reason)
    elif error:
        result.update(status="failed", reason=_error_text(error))

    (out / "course" / f"{name}.html").write_text(publish.course_page(nb), encoding="utf-8")
    result["course"] = f"course/{name}.html"
    if result["status"] == "failed":
        return result
    cells = publish.report_cells(nb, client=client)
    page = publish.report_page(
        cells,
        nb,
        lesson=name,
        lesson_title=result["title"],
        company=company,
        lessons=lessons,
        status=result["status"],
        reason=result["reason"],
        skipped=result["skipped"],
    )
    (out / "report" / f"{name}.html").write_text(page, encoding="utf-8")
    result["report"] = f"report/{name}.html"
    if result["status"] == "ok":
        deck = publish.slides_page(cells, nb, lesson_title=result["title"], subtitle=subtitle)
        (out / "slides" / f"{name}.html").write_text(deck, encoding="utf-8")
        result["slides"] = f"slides/{name}.html"
        headline, tagged = publish.headline_cells(cells)
        result["headline_html"] = publish.fragment(headline, nb)
        result["headline_tagged"] = tagged
    return result


def _error_text(error: dict | None) -> str:
    if not error:
        return ""
    where = f"cell [{error['cell']}]: " if error.get("cell") is not None else ""
    return f"{where}{error['ename']}: {error['evalue']}".strip()


# ----------------------------------------------------------------------------- the company
def _date(value) -> dt.date | None:
    """A date (``datetime.date``, ``Timestamp``, ``2025-12-31`` or ``31.12.2025``) read as the package reads
    company.toml (:func:`helpers._checks.as_timestamp`); None when missing or not a date."""
    if not isinstance(value, (str, dt.date)) or value == "":
        return None
    from helpers._checks import as_timestamp

    try:
        return as_timestamp(value, "date").date()
    except ValueError:
        return None


def fi_date(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "?"


def light_facts(data: Path | None) -> dict:
    """Company name and observation end, cheaply: from ``company.toml`` (or the sample's facts)."""
    facts = {"name": None, "observation_end": None, "data_start": None}
    toml = data if data is not None else (SAMPLE_TOML if SAMPLE_TOML.exists() else None)
    if toml is not None:
        try:
            company = tomllib.loads(Path(toml).read_text(encoding="utf-8")).get("company", {})
            facts.update(
                name=company.get("name"), observation_end=_date(company.get("observation_end"))
            )
        except (OSError, tomllib.TOMLDecodeError):
            pass
    if data is None:
        try:
            from helpers.vocabulary import SAMPLE

            facts["name"] = facts["name"] or SAMPLE.name
            facts["observation_end"] = facts["observation_end"] or _date(SAMPLE.observation_end)
            facts["data_start"] = _date(SAMPLE.data_start)
        except (ImportError, AttributeError):
            pass
    facts["name"] = facts["name"] or (Path(data).parent.name if data else "Sample company")
    return facts


def _attr(obj, *names):
    for name in names:
        value = obj
        for part in name.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if value is not None:
            return value
    return None


def _rows(table, columns: list[str]) -> list[dict]:
    """A health-check or cleaning table as strings for the index (counts, euros as the course)."""

    def cell(column: str, value) -> str:
        if column == "rows":
            return publish.count(value)
        if column == "share":
            return f"{float(value):.2%}"
        return publish.money_text(str(value).replace("_", " "))

    columns = [c for c in columns if c in table.columns]
    return [{c: cell(c, row[c]) for c in columns} for _, row in table.iterrows()]


def company_summary(data: Path | None, light: dict) -> dict:
    """Name, period, a few figures and the health check, from ``helpers.data.load_company``.

    ``load_company(path)`` reads a company through its ``company.toml`` (no path: the sample).
    Written defensively: a ``load_company`` that takes no path is never called on a client (it
    would return the sample company), and anything missing leaves its part of the index out.
    """
    summary = {
        "name": light["name"],
        "start": light.get("data_start"),
        "end": light.get("observation_end"),
        "figures": [],
        "found": None,
        "clean": 0,
        "skipped": [],
        "cleaning": None,
        "unsupported": [],
        "notes": [],
    }
    try:
        from helpers import data as course_data

        load = course_data.load_company
        params = inspect.signature(load).parameters
        first = next(iter(params), None)
        if data is not None and first in (None, "cache"):
            summary["notes"].append(
                "helpers.data.load_company() does not read a company.toml: the "
                "company's figures and health check are in the lessons' pages."
            )
            return summary
        company = load() if data is None else load(str(data))
    except Exception as exc:  # the index still gets written; the reason is shown on it
        summary["notes"].append(
            f"The company's data could not be read: {type(exc).__name__}: {exc}"
        )
        return summary

    summary["name"] = _attr(company, "name", "facts.name") or summary["name"]
    end = _date(_attr(company, "observation_end", "facts.observation_end"))
    orders, customers = getattr(company, "orders", None), getattr(company, "customers", None)
    summary["end"] = end or summary["end"]
    if orders is not None and "timestamp" in orders.columns and len(orders):
        summary["start"] = _date(orders["timestamp"].min())
        summary["end"] = summary["end"] or _date(orders["timestamp"].max())
    if customers is not None:
        summary["figures"].append(("customers", publish.count(len(customers))))
    if orders is not None and len(orders):
        if "order_id" in orders.columns:
            summary["figures"].append(("orders", publish.count(orders["order_id"].nunique())))
        summary["figures"].append(("order lines", publish.count(len(orders))))
        if "amount" in orders.columns:
            net = publish.euro(float(orders["amount"].sum()))
            summary["figures"].append(("sales, net of returns", net))
    summary["notes"] += [str(note) for note in getattr(company, "notes", ()) or ()]

    # the health check runs on the data as read (before cleaning), as lesson 00 does
    try:
        if "clean" in params and hasattr(course_data, "health_check"):
            findings = course_data.health_check(
                load(None if data is None else str(data), clean=False)
            )
            if "status" in findings.columns:
                summary["found"] = _rows(
                    findings[findings["status"] == "found"],
                    ["rule", "table", "rows", "share", "consequence"],
                )
                summary["clean"] = int((findings["status"] == "clean").sum())
                summary["skipped"] = [
                    (r.rule.replace("_", " "), r.note)
                    for r in findings[findings["status"] == "skipped"].itertuples()
                ]
    except Exception as exc:
        summary["notes"].append(f"The health check could not run: {type(exc).__name__}: {exc}")
    cleaning = getattr(company, "cleaning", None)
    if cleaning is not None and hasattr(cleaning, "columns") and len(cleaning):
        if "rows" in cleaning.columns:
            cleaning = cleaning[cleaning["rows"] > 0]
        summary["cleaning"] = _rows(cleaning, ["rule", "table", "rows", "action"])
    if hasattr(company, "supports"):
        try:
            table = company.supports()
            summary["unsupported"] = [
                (r.analysis, r.missing) for r in table[~table["supported"]].itertuples()
            ]
        except Exception:
            pass
    return summary


# ----------------------------------------------------------------------------- the run
def _value(text: str):
    if text in ("None", "null"):
        return None
    if text in ("True", "true", "False", "false"):
        return text.lower() == "true"
    try:
        value = ast.literal_eval(text)
        return value if isinstance(value, (int, float, list, tuple, dict)) else text
    except (ValueError, SyntaxError):
        return text


def _declared(path: Path) -> set[str]:
    """Names assigned in the notebook's ``parameters`` cell (read with ``ast``: papermill's own
    inspection drops a line whose comment holds an ``=``)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return set()
            for node in ast.walk(tree):
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _excluded(path: Path) -> bool:
    import nbformat

    return bool(
        nbformat.read(path, as_version=4).metadata.get("playbook", {}).get("exclude", False)
    )


def lessons_to_run(selection: list[str], paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    found = navigation.lessons()
    if selection:
        found = [p for p in found if any(p.name.startswith(s) for s in selection)]
    return found


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "notebooks", nargs="*", help="notebooks to run (default: every notebooks/NN_*.ipynb)"
    )
    parser.add_argument("--data", help="the company's company.toml (default: the sample company)")
    parser.add_argument("--out", default=str(BUILD), help="output folder (default: build/)")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="one more parameter for the lessons that declare it",
    )
    parser.add_argument(
        "--lessons", nargs="+", default=[], metavar="NN", help="only the lessons with these numbers"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="lessons executed at the same time (default: up to 2)",
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="publish again the notebooks an earlier run executed into OUT/notebooks (after "
        "changing a template), executing only those that are missing",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    data = Path(args.data).expanduser().resolve() if args.data else None
    if data is not None and not data.is_file():
        print(
            f"playbook: no company description at {data} (DATA= must name a company.toml)",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out).expanduser().resolve()
    for sub in ("notebooks", "course", "report", "slides"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    publish.copy_reveal(out / "slides")

    parameters = {name: _value(value) for name, value in args.parameter}
    if data is not None:
        parameters["DATA"] = str(data)
    light = light_facts(data)
    subtitle = f"{light['name']} · data to {fi_date(light['observation_end'])}"
    paths = lessons_to_run(args.lessons, args.notebooks)
    names = [p.stem for p in paths]
    where = f"{data}" if data else "the sample data"
    print(
        f"Playbook: {len(paths)} lessons on {light['name']} ({where}) into {out}, "
        f"{args.jobs} at a time",
        flush=True,
    )

    plans, results = [], {}
    for path in paths:
        declared = _declared(path)
        if _excluded(path):
            results[path.stem] = _not_run(
                path, "left out of the playbook (notebook metadata playbook.exclude)"
            )
        elif data is not None and "DATA" not in declared:
            results[path.stem] = _not_run(
                path,
                "not run: this lesson has no DATA parameter yet (run anyway, it "
                "would show the sample company's numbers)",
            )
        else:
            inject = {k: v for k, v in parameters.items() if k in declared}
            ignored = sorted(set(parameters) - set(inject))
            plans.append((path, inject, ignored))
    for name, result in results.items():
        print(f"  {name}: {result['reason']}", flush=True)

    ignored_by = {path.stem: ignored for path, _, ignored in plans}
    done = 0

    def report(result: dict) -> None:
        nonlocal done
        done += 1
        print(
            progress_line(result, done, len(plans), ignored_by.get(result["name"], [])), flush=True
        )
        for line in result["skipped"]:
            print(f"        Skipped: {line}", flush=True)

    jobs = [
        (
            str(path),
            str(out),
            inject,
            data is not None,
            names,
            light["name"],
            subtitle,
            args.timeout,
            not args.no_execute,
        )
        for path, inject, _ in plans
    ]
    summary = None
    if args.jobs > 1 and len(jobs) > 1:
        context = multiprocessing.get_context("spawn")
        with futures.ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
            pending = {pool.submit(run_lesson, *job): job[0] for job in jobs}
            summary = company_summary(data, light)  # in parallel with the lessons
            for future in futures.as_completed(pending):
                try:
                    result = future.result()
                except Exception as exc:  # a worker that died: still a reported failure
                    stem = Path(pending[future]).stem
                    result = _not_run(Path(pending[future]), f"{type(exc).__name__}: {exc}")
                    result.update(name=stem, status="failed")
                results[result["name"]] = result
                report(result)
    else:
        for job in jobs:
            result = run_lesson(*job)
            results[result["name"]] = result
            report(result)
    if summary is None:
        summary = company_summary(data, light)

    ordered = [results[name] for name in names if name in results]
    lesson_seconds = sum(r["seconds"] for r in ordered)
    elapsed = time.perf_counter() - started
    write_index(out, ordered, summary, data, elapsed)
    write_course_index(out, ordered, summary)
    counts = {}
    for r in ordered:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(
        f"Done in {elapsed:.0f} s (lessons {lesson_seconds:.0f} s of kernel time): "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f". Open {out / 'index.html'}",
        flush=True,
    )
    failed = [r["name"] for r in ordered if r["status"] == "failed"]
    if failed:
        print(
            "FAILED: " + ", ".join(failed) + " (see their course view for the traceback)",
            flush=True,
        )
        return 1
    return 0


def _result(name: str, **values) -> dict:
    """One lesson's outcome: plain data, as a worker process returns it."""
    result = {
        "name": name,
        "title": name,
        "status": "ok",
        "reason": "",
        "seconds": 0.0,
        "skipped": [],
        "warnings": [],
        "headline_html": "",
        "headline_tagged": False,
        "error": None,
        "course": None,
        "report": None,
        "slides": None,
    }
    result.update(values)
    return result


def _not_run(path: Path, reason: str) -> dict:
    return _result(path.stem, status="not run", reason=reason)


def progress_line(result: dict, done: int, total: int, ignored: list[str]) -> str:
    status = result["status"]
    text = f"[{done}/{total}] {result['name']:<36s} {result['seconds']:6.1f} s  "
    if status == "ok":
        text += "ok"
    elif status == "not applicable":
        text += f"not applicable: {result['reason']}"
    else:
        text += f"FAILED at {result['reason']}"
    if result["skipped"]:
        n = len(result["skipped"])
        text += f" · {n} section{'s' if n != 1 else ''} skipped"
    if result["warnings"]:
        text += f" · {len(result['warnings'])} warning(s): {result['warnings'][0][:120]}"
    if ignored:
        text += f" · not declared here: {', '.join(ignored)}"
    return text


def write_index(
    out: Path, results: list[dict], summary: dict, data: Path | None, elapsed: float
) -> None:
    period = (
        f"{fi_date(summary['start'])} – {fi_date(summary['end'])}"
        if summary["start"]
        else f"to {fi_date(summary['end'])}"
    )
    page = publish.index_page(
        company=summary["name"],
        period=period,
        figures=summary["figures"],
        found=summary["found"],
        clean=summary["clean"],
        skipped_rules=summary["skipped"],
        cleaning=summary["cleaning"],
        unsupported=summary["unsupported"],
        notes=summary["notes"],
        lessons=results,
        source="the course's sample data" if data is None else f"{data.parent.name}/{data.name}",
        client=data is not None,
        generated=dt.datetime.now().strftime("%d.%m.%Y %H:%M"),
        elapsed=f"{elapsed:.0f}",
        counts={
            s: sum(r["status"] == s for r in results)
            for s in ("ok", "not applicable", "failed", "not run")
        },
    )
    (out / "index.html").write_text(page, encoding="utf-8")


def write_course_index(out: Path, results: list[dict], summary: dict) -> None:
    rows = "\n".join(
        f'<li><a href="{html.escape(Path(r["course"]).name)}">{html.escape(r["title"])}</a> '
        f"<small>({r['seconds']:.0f} s, {html.escape(r['status'])})</small></li>"
        for r in results
        if r["course"]
    )
    css = (publish.TEMPLATES / "report.css").read_text(encoding="utf-8")
    (out / "course" / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Course view · {html.escape(summary['name'])}</title><style>{css}</style></head>"
        "<body><main><h1>Course view: every lesson with its code</h1>"
        f"<p>Executed on the data of {html.escape(summary['name'])}. "
        "The report for managers (no code) is <a href='../index.html'>here</a>.</p>"
        f"<ul class='course-list'>{rows}</ul></main></body></html>",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
