"""``python -m helpers.data check [path/to/company.toml]``: what was read, and what the health check found.

Prints, per table, the file, its encoding, separator, decimal mark and date
format, rows in and out (blank, total and title rows), the columns mapped and
left out; then what was derived, the health-check findings (found, clean,
skipped and why), what cleaning would change and which analyses the data
supports. Exit status 0 when every table was read, 1 on a contract violation
or a mistake in the description (the message names file, column, rule, rows
and examples), 2 on wrong usage. Without a path: the sample company.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from .cleaning import clean_company
from .company import SAMPLE_TOML, Company, load_company
from .contracts import DataContractError
from .description import CompanyFileError
from .health import health_check


def _date(value) -> str:
    return "not given" if value is None else f"{value:%d.%m.%Y}"


def _facts(company: Company) -> list[str]:
    rate = "not given" if company.margin_rate is None else f"{company.margin_rate:.0%}"
    return [f"Company: {company.name}  ({company.source})",
            f"Data covers up to {_date(company.observation_end)}; extracted {_date(company.extraction_date)}; "
            f"founded {_date(company.founded)}; margin rate {rate}"]


def _intake(company: Company) -> list[str]:
    out = ["", "Tables read"]
    for r in company.intake.itertuples():
        out += [f"  {r.table:18s} {r.file}: {r.encoding}, separator {r.separator}, decimal '{r.decimal}', "
                f"dates {r.date_format or '-'}",
                f"  {'':18s} rows {r.rows_in:,} in -> {r.rows_out:,} out ({r.blank_rows} blank, "
                f"{r.total_rows} total, {r.title_rows} title row(s) above the header)",
                f"  {'':18s} columns mapped: {r.mapped or '-'}",
                f"  {'':18s} columns left out ({len(r.ignored.split('; ')) if r.ignored else 0}): {r.ignored or '-'}"]
    if company.notes:
        out += ["", "Notes"] + [f"  - {note}" for note in company.notes]
    return out


def _findings(findings: pd.DataFrame) -> list[str]:
    out = ["", "Health check"]
    for r in findings[findings["status"] == "found"].itertuples():
        out.append(f"  found    {r.table:10s} {r.rule:26s} {r.rows:7,} rows ({r.share:.2%})  e.g. {r.examples}")
    for table, rules in findings[findings["status"] == "clean"].groupby("table")["rule"]:
        out.append(f"  clean    {table:10s} {', '.join(rules)}")
    for r in findings[findings["status"] == "skipped"].itertuples():
        out.append(f"  skipped  {r.table:10s} {r.rule:26s} {r.note}")
    for r in findings[findings["note"].ne("") & findings["status"].ne("skipped")].itertuples():
        out.append(f"  note     {r.table:10s} {r.rule:26s} {r.note}")
    return out


def _cleaning(cleaned: Company) -> list[str]:
    out = ["", "Cleaning (company.toml [cleaning]; load_company applies it)"]
    if cleaned.cleaning.empty:
        return out + ["  nothing to change, nothing allowed"]
    return out + [f"  {r.table:10s} {r.rule:26s} {r.rows:7,} rows  {r.action}" for r in cleaned.cleaning.itertuples()]


def _supports(company: Company) -> list[str]:
    rows = company.supports().itertuples()
    return ["", "Analyses the data supports"] + [
        f"  {'yes' if r.supported else 'no ':3s}  {r.analysis}{'' if r.supported else ': ' + r.missing}" for r in rows]


def report(path=None, n_examples: int = 3) -> str:
    """The text ``check`` prints for the company described at ``path`` (``None``: the sample company)."""
    as_read = load_company(path, clean=False)
    findings = health_check(as_read, n_examples=n_examples)
    lines = _facts(as_read) + _intake(as_read) + _findings(findings) + _cleaning(clean_company(as_read))
    return "\n".join(lines + _supports(as_read))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check"], help="check: read a company's data and report on it")
    parser.add_argument("path", nargs="?", default=None, help=f"its company.toml (default: {SAMPLE_TOML})")
    parser.add_argument("--examples", type=int, default=3, help="example keys per finding (default 3)")
    args = parser.parse_args(argv)
    try:
        print(report(args.path, args.examples))
    except (DataContractError, CompanyFileError, FileNotFoundError) as exc:
        print(f"Cannot read the company's data: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
