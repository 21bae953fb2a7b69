"""helpers.report: the lines a lesson prints when the data cannot answer, and its date knobs."""

import pandas as pd
import pytest

from helpers import report
from helpers.data import Company


def _company(**tables):
    return Company(name="Testi Oy", observation_end=pd.Timestamp("2025-12-31"),
                   extraction_date=pd.Timestamp("2026-01-05"), **tables)


def test_section_needs_prints_one_skip_line_and_says_no(capsys):
    company = _company(orders=pd.DataFrame({"customer_id": ["a"], "amount": [1.0]}))
    assert report.section_needs(company, "orders", "amount", would_show="x")
    assert not report.section_needs(company, "campaigns", would_show="each campaign's effect")
    assert not report.section_needs(company, "orders", "margin", would_show="margin per customer")
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Skipped: Testi Oy has no campaigns table — each campaign's effect",
                     "Skipped: Testi Oy's orders table has no column(s) margin — margin per customer"]


def test_lesson_needs_raises_not_applicable():
    with pytest.raises(report.NotApplicable, match="has no customers table, and lesson 01 needs it"):
        report.lesson_needs(_company(), "customers", lesson="lesson 01")


def test_date_parameter_takes_the_default_or_reads_iso_and_finnish_dates():
    default = pd.Timestamp("2025-12-31")
    assert report.date_parameter(None, default, "OBSERVATION_END") == default
    assert report.date_parameter("2025-07-01", default, "OBSERVATION_END") == pd.Timestamp("2025-07-01")
    # a Finnish date is day first: 01.07.2025 is the first of July, never the seventh of January
    assert report.date_parameter("01.07.2025", default, "OBSERVATION_END") == pd.Timestamp("2025-07-01")
    assert report.date_parameter(pd.Timestamp("2024-03-31"), default, "X") == pd.Timestamp("2024-03-31")


def test_date_parameter_refuses_an_ambiguous_date_naming_the_parameter():
    with pytest.raises(ValueError, match="OBSERVATION_END='07/01/2025'"):
        report.date_parameter("07/01/2025", pd.Timestamp("2025-12-31"), "OBSERVATION_END")
