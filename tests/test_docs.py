"""The course documents in docs/ stay true to the lessons.

- every lesson notebook has a section in the facilitator's guide and a row in the
  schedule, and the minutes stated there are the lesson's own: ``course.minutes``
  in the notebook's metadata, the single source ``tools/navigation.py`` writes the
  course maps from;
- the course plan runs every lesson once, for its own minutes, and says how much
  lesson time each of its days holds; the agendas add up (each block starts when
  the previous one ends) and refer only to sections the lessons have;
- the primer's glossary has at least 40 Finnish-English rows and agrees with
  lesson 00's glossary; the primer names every lesson;
- every relative link in docs/ resolves, anchors included, and docs/README.md
  lists every document in docs/; the capstone's section points to its marking
  guide when there is one;
- every number in a "Sample example" block is printed by the stored outputs of
  the lesson(s) the block names.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBER = {p.name[:2]: p for p in LESSONS}


def _read(name):
    return (DOCS / name).read_text(encoding="utf-8")


def _notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _markdown(nb):
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def lesson_minutes(path):
    """(teaching, exercises): the notebook metadata's ``course.minutes``, the single source."""
    minutes = _notebook(path).get("metadata", {}).get("course", {}).get("minutes", {})
    if not all(isinstance(minutes.get(k), int) for k in ("teaching", "exercises")):
        pytest.fail(f"{path.name}: its metadata has no course.minutes with integer 'teaching' "
                    "and 'exercises' (the single source of a lesson's minutes; see "
                    "tools/navigation.py)")
    return minutes["teaching"], minutes["exercises"]


def _hm(minutes):
    return f"{minutes // 60} h {minutes % 60:02d}"


# --- the schedule -------------------------------------------------------------------------------

def _minutes_table():
    text = _read("schedule.md")
    block = re.search(r"<!-- minutes-table.*?-->(.*?)<!-- /minutes-table -->", text, re.S)
    assert block, "schedule.md: the minutes table lost its <!-- minutes-table --> markers"
    rows = {}
    for line in block[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d\d|\*\*all\*\*", cells[0]):
            rows[cells[0].strip("*")] = cells
    return rows


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_schedule_lists_each_lesson_with_its_own_minutes(path):
    teaching, exercises = lesson_minutes(path)
    rows = _minutes_table()
    number = path.name[:2]
    assert number in rows, (
        f"docs/schedule.md: add lesson {number} to the minutes table (and to the plans)")
    assert [int(c) for c in rows[number][2:5]] == [teaching, exercises, teaching + exercises], (
        f"docs/schedule.md: lesson {number} takes teaching {teaching}, "
        f"exercises {exercises} min by its own count")


def test_schedule_total_is_the_sum_of_the_lessons():
    rows = _minutes_table()
    assert set(rows) - {"all"} == set(NUMBER), "the minutes table and the lessons differ"
    minutes = [lesson_minutes(p) for p in LESSONS]
    teaching, exercises = sum(t for t, _ in minutes), sum(e for _, e in minutes)
    total = rows["all"]
    assert total[2] == f"**{teaching}**" and total[3] == f"**{exercises}**"
    assert total[4] == f"**{teaching + exercises} ({_hm(teaching + exercises)})**"


def _clock(text):
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _time_tables(text):
    """Each markdown table whose first column is 'time', as lists of cell lists."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] == "time":
                current = []
                tables.append(current)
            elif current is not None and not set(cells[0]) <= set("-: "):
                current.append(cells)
        else:
            current = None
    return tables


def test_every_agenda_adds_up():
    tables = _time_tables(_read("schedule.md"))
    assert len(tables) >= 4, "two course days, a half-day and a full-day agenda"
    for rows in tables:
        previous_end = None
        for cells in rows:
            span = re.fullmatch(r"(\d\d:\d\d)(?:–(\d\d:\d\d))?", cells[0])
            assert span, f"time cell {cells[0]!r}"
            start = _clock(span[1])
            if previous_end is not None:
                assert start == previous_end, f"{cells[0]} does not start when the last block ends"
            if not cells[-1]:
                continue  # the closing "end" row
            minutes = int(cells[-1])
            if span[2]:
                assert _clock(span[2]) - start == minutes, f"{cells[0]} is not {minutes} minutes"
            previous_end = start + minutes


def _course_plan():
    text = _read("schedule.md")
    return text[text.index('<a id="two-day-course">'):text.index('<a id="short-of-time">')]


def test_the_course_plan_runs_every_lesson_once_for_its_own_minutes():
    seen = {}
    for rows in _time_tables(_course_plan()):
        for cells in rows:
            for number in re.findall(r"\*\*(\d\d) ", cells[1]):
                seen.setdefault(number, []).append(int(cells[-1]))
    for number, path in NUMBER.items():
        teaching, exercises = lesson_minutes(path)
        assert seen.get(number) == [teaching + exercises], f"lesson {number} in the two-day course"


def test_the_course_plan_states_its_lesson_time():
    """'The whole course is N minutes (H h MM)' and the lesson minutes of each day, as planned."""
    course = _course_plan()
    total = sum(sum(lesson_minutes(p)) for p in LESSONS)
    sentence = f"The whole course is {total} minutes ({_hm(total)})"
    assert sentence in " ".join(course.split()), f"schedule.md: say '{sentence}'"
    per_day = [sum(int(cells[-1]) for cells in rows if re.search(r"\*\*\d\d ", cells[1]))
               for rows in _time_tables(course)]
    stated = [int(n) for n in re.findall(r"(\d+)(?: minutes)? on (?:day \d|the capstone morning)",
                                         " ".join(course.split()))]
    assert stated == per_day, f"schedule.md: the lesson time per day is {per_day}, not {stated}"


SECTION_REF = re.compile(r"\b(\d\d) ((?:§\d+(?:\.\d+)?(?:–\d+)?(?:, | and |'s |\b))+)")


def _sections_of(path):
    text = _markdown(_notebook(path))
    found = set(re.findall(r"^## (\d+)\.", text, re.M))
    found |= set(re.findall(r"^### (\d+\.\d+)", text, re.M))
    return found


@pytest.mark.parametrize("name", ["schedule.md", "facilitator.md"])
def test_section_references_point_at_real_sections(name):
    refs = 0
    for number, items in SECTION_REF.findall(_read(name)):
        if number not in NUMBER:
            continue
        sections = _sections_of(NUMBER[number])
        for first, last in re.findall(r"§(\d+(?:\.\d+)?)(?:–(\d+))?", items):
            wanted = [first] if not last else [str(i) for i in range(int(first), int(last) + 1)]
            for section in wanted:
                refs += 1
                assert section in sections, f"{name}: lesson {number} has no section {section}"
    if name == "schedule.md":
        assert refs > 0, "the agendas name the lessons' sections"


# --- the facilitator's guide --------------------------------------------------------------------

def _facilitator_section(number):
    text = _read("facilitator.md")
    start = text.find(f'<a id="lesson-{number}"></a>')
    assert start >= 0, (
        f"docs/facilitator.md: add a section <a id=\"lesson-{number}\"></a> for lesson {number}")
    end = text.find('<a id="', start + 1)
    return text[start:end if end > 0 else None]


def test_facilitator_guide_lists_every_lesson():
    text = _read("facilitator.md")
    contents = text[:text.index('<a id="')]
    missing = [n for n in NUMBER if f"(#lesson-{n})" not in contents]
    assert not missing, f"docs/facilitator.md: link lessons {missing} from its list at the top"


def test_capstone_section_points_to_its_marking_guide():
    capstones = [p for p in LESSONS if "capstone" in p.name]
    if not capstones or not (DOCS / "capstone_marking.md").is_file():
        pytest.skip("no capstone with a marking guide (docs/capstone_marking.md) yet")
    for path in capstones:
        assert "(capstone_marking.md" in _facilitator_section(path.name[:2]), (
            f"docs/facilitator.md: the section of {path.name} links capstone_marking.md")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_facilitator_guide_covers_each_lesson(path):
    number = path.name[:2]
    section = _facilitator_section(number)
    assert re.search(rf"^## {number} · ", section, re.M), f"heading '## {number} · Title'"
    for part in ["**Learning goals.**", "**What people get wrong**",
                 "**Discussion questions for managers**", "**With a client's data.**"]:
        assert part in section, f"lesson {number}: {part}"
    teaching, exercises = lesson_minutes(path)
    stated = re.search(
        r"\*\*Time:\*\* teaching (\d+) min, exercises (\d+) min \((\d+) min\)", section)
    assert stated, f"lesson {number}: a line '**Time:** teaching N min, exercises M min (T min)'"
    assert [int(x) for x in stated.groups()] == [teaching, exercises, teaching + exercises]
    split = re.search(r"Suggested split:(.*?)\.\n", section, re.S)
    assert split, f"lesson {number}: a suggested split of the teaching minutes"
    assert sum(int(m) for m in re.findall(r"\b(\d+)(?=,|$)", split[1].strip())) == teaching, (
        f"lesson {number}: the suggested split does not add up to the {teaching} teaching minutes")


def test_facilitator_guide_has_a_checklist_before_the_workshop():
    text = _read("facilitator.md")
    assert '<a id="before-the-workshop"></a>' in text
    assert text.count("- [ ]") >= 10


# --- the primer and its glossary ----------------------------------------------------------------

def _glossary_rows():
    text = _read("primer.md")
    start = text.index('<a id="glossary"></a>')
    end = text.index('<a id="', start + 1)
    rows = []
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] != "Finnish" and not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def test_glossary_has_at_least_40_finnish_english_rows():
    rows = _glossary_rows()
    assert len(rows) >= 40, f"{len(rows)} glossary rows"
    for cells in rows:
        assert len(cells) >= 3 and cells[0] and cells[1], f"glossary row {cells}"
    finnish = " ".join(cells[0] for cells in rows)
    for term in ["asiakkuusmarkkinointi", "asiakaspoistuma", "kuntotesti", "kanta-asiakas",
                 "asiakasarvo", "suosittelu", "kohderyhmä", "verrokkiryhmä", "elinkaariarvo",
                 "asiakaspääoma", "markkinointilupa", "nettosuositteluindeksi"]:
        assert re.search(rf"(^|[ ,(]){term}\b", finnish), term
    assert len({cells[0] for cells in rows}) == len(rows), "a Finnish term listed twice"


def test_glossary_agrees_with_lesson_00():
    text = _markdown(_notebook(NUMBER["00"])) if "00" in NUMBER else ""
    lesson_terms = re.findall(r"^\| [^|]+ \| ([^|]+) \| [^|]+ \|$", text, re.M)
    lesson_terms = [t.strip().strip("()") for t in lesson_terms
                    if t.strip() not in ("Finnish", "–", "---")]
    if not lesson_terms:
        pytest.skip("lesson 00 has no glossary table")
    finnish = " ".join(cells[0] for cells in _glossary_rows())
    missing = [t for t in lesson_terms if t not in finnish]
    assert not missing, f"lesson 00's Finnish terms missing from docs/primer.md: {missing}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_primer_names_the_lessons_that_practise_it(path):
    text = _read("primer.md")
    number = path.name[:2]
    assert re.search(rf"\*\*lesson {number}\*\*", text), (
        f"docs/primer.md: no section says lesson {number} practises it")


# --- links ---------------------------------------------------------------------------------------

def _slug(heading):
    heading = re.sub(r"<[^>]+>", "", heading).strip().lower()
    heading = re.sub(r"[^\w\- ]", "", heading)
    return heading.replace(" ", "-")


def _anchors(path):
    text = path.read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([^"]+)"', text))
    anchors |= {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    return anchors


def _links():
    for doc in sorted(DOCS.glob("*.md")):
        text = re.sub(r"`[^`\n]*`", "", doc.read_text(encoding="utf-8"))  # code spans are not links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if not re.match(r"[a-z]+:", target):
                yield doc, target


def test_docs_exist_and_have_links():
    for name in ["README.md", "primer.md", "schedule.md", "facilitator.md"]:
        assert (DOCS / name).is_file(), name
    assert len(list(_links())) > 20


def test_readme_lists_every_document():
    listed = {target.partition("#")[0] for doc, target in _links() if doc.name == "README.md"}
    documents = {p.name for p in DOCS.iterdir()
                 if p.is_file() and p.suffix in {".md", ".ipynb"} and p.name != "README.md"}
    assert not documents - listed, f"docs/README.md: list {sorted(documents - listed)}"


@pytest.mark.parametrize("doc,target", list(_links()),
                         ids=lambda x: x if isinstance(x, str) else x.name)
def test_relative_link_resolves(doc, target):
    path, _, anchor = target.partition("#")
    file = (doc.parent / path).resolve() if path else doc
    assert file.exists(), f"{doc.name}: {target} points at a missing file"
    if anchor and file.suffix == ".md":
        assert anchor in _anchors(file), f"{doc.name}: {target} points at a missing anchor"


# --- sample numbers ------------------------------------------------------------------------------

SAMPLE = re.compile(
    r"^> \*\*Sample example \(lessons? ([\d, and]+)\):\*\*(.*?)(?=^(?!>))", re.M | re.S)
NUM = re.compile(r"\d+(?:[ ,\u00a0\u202f]\d{3})*(?:\.\d+)?")


def _tokens(text, grouped):
    if grouped:
        return {re.sub(r"[ ,\u00a0\u202f]", "", n) for n in NUM.findall(text)}
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def _printed(path):
    texts = []
    for cell in _notebook(path)["cells"]:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                texts.append("".join(out["text"]))
            for kind in ("text/plain", "text/markdown"):
                if kind in out.get("data", {}):
                    texts.append("".join(out["data"][kind]))
    text = "\n".join(texts)
    return _tokens(text, grouped=True) | _tokens(text, grouped=False)


def test_sample_examples_quote_only_printed_numbers():
    blocks = [(name, m) for name in ["facilitator.md", "schedule.md", "primer.md"]
              for m in SAMPLE.finditer(_read(name))]
    assert blocks, "the facilitator's guide marks its sample figures as 'Sample example' blocks"
    stale = []
    for name, match in blocks:
        lessons = re.findall(r"\d\d", match[1])
        printed = set().union(*(_printed(NUMBER[n]) for n in lessons))
        body = re.sub(r"^> ?", "", match[2], flags=re.M)
        missing = sorted(_tokens(body, grouped=True) - printed)
        if missing:
            stale.append(f"{name}, lesson(s) {lessons}: {missing}")
    assert not stale, ("sample examples quote numbers that no stored output prints:\n"
                       + "\n".join(stale))
