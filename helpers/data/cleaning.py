"""Repairing the health-check findings, only as far as the company description allows.

Each repair is a *fix* the company's ``company.toml`` switches on in its
``[cleaning]`` section (none is on by default: a client's data is changed only
where the consultant said so). Every fix reports how many rows it changed; a
finding whose fix is not allowed is reported as left unchanged.

=============================  ============================================================
fix                            what it does
=============================  ============================================================
``drop_exact_duplicates``      removes rows that repeat an earlier row exactly
``merge_duplicate_customers``  merges a duplicate id into the first-registered id of the
                               same person (same e-mail or phone); its rows follow it
``unusable_consent_is_no``     a missing, undated or unusable consent counts as *no*
``signup_from_first_purchase`` an impossible sign-up date becomes the first purchase date
``drop_nonsense_amounts``      removes order lines whose amounts make no sense (their euros
                               reported): above list price, zero, wrong sign, zero quantity
=============================  ============================================================
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from helpers import columns as cols
from helpers import vocabulary as voc
from helpers._money import format_euro

from .health import NONSENSE_AMOUNT, duplicate_customers, impossible_signup, order_rules

FIXES = ("drop_exact_duplicates", "merge_duplicate_customers", "unusable_consent_is_no",
         "signup_from_first_purchase", "drop_nonsense_amounts")
#: Tables whose customer columns follow a merged duplicate.
CUSTOMER_LINKS = {"orders": [cols.CUSTOMER], "survey": [cols.CUSTOMER],
                  "referrals": [cols.REFERRER, cols.REFERRED], "campaign_members": [cols.CUSTOMER],
                  "automation_members": [cols.CUSTOMER]}
NOT_ALLOWED = "not changed: company.toml [cleaning] does not allow {fix}"


class _Report:
    """The cleaning report: one row per fix allowed, and per finding whose fix is not allowed."""

    def __init__(self, allowed):
        self.allowed, self.rows = set(allowed), []

    def may(self, fix: str, rule: str, table: str, found: int) -> bool:
        if fix in self.allowed:
            return True
        if found:
            self.rows.append((rule, table, found, NOT_ALLOWED.format(fix=fix)))
        return False

    def add(self, rule: str, table: str, rows: int, action: str) -> None:
        self.rows.append((rule, table, int(rows), action))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["rule", "table", "rows", "action"])


def _drop_exact_duplicates(tables: dict, report: _Report) -> None:
    for name in ("customers", "orders"):
        if tables.get(name) is None:
            continue
        repeat = tables[name].duplicated(keep="first")
        if report.may("drop_exact_duplicates", "exact_duplicate", name, int(repeat.sum())):
            tables[name] = tables[name][~repeat].reset_index(drop=True)
            report.add("exact_duplicate", name, repeat.sum(), "repeated rows removed (the first copy kept)")


def _merge_duplicates(tables: dict, report: _Report) -> None:
    customers = tables["customers"]
    if "email" not in customers and "phone" not in customers:
        return
    mapping = duplicate_customers(customers)
    if not report.may("merge_duplicate_customers", "duplicate_customer", "customers", len(mapping)):
        return
    tables["customers"] = customers[~customers[cols.CUSTOMER].isin(mapping.index)].copy()
    remap = lambda s: s.map(mapping).fillna(s) if len(mapping) else s  # noqa: E731
    orders = tables.get("orders")
    moved = 0 if orders is None else int(orders[cols.CUSTOMER].isin(mapping.index).sum())
    for name, links in CUSTOMER_LINKS.items():
        if tables.get(name) is not None:
            tables[name] = tables[name].assign(**{c: remap(tables[name][c]) for c in links if c in tables[name]})
    report.add("duplicate_customer", "customers", len(mapping),
               f"merged into the first-registered id ({moved} order lines re-linked)")


def _consents(customers: pd.DataFrame, report: _Report) -> pd.DataFrame:
    for ch in voc.CONSENT_CHANNELS:
        value, date = f"consent_{ch}", f"consent_{ch}_date"
        if value not in customers:
            continue
        unusable = customers[value].isna()
        if date in customers:
            unusable |= customers[value].eq("yes") & customers[date].isna()
        if ch == "sms" and "phone" in customers:
            unusable |= customers[value].eq("yes") & customers["phone"].isna()
        if report.may("unusable_consent_is_no", f"unusable_consent_{ch}", "customers", int(unusable.sum())):
            customers.loc[unusable, value] = "no"
            report.add(f"unusable_consent_{ch}", "customers", unusable.sum(), f"{ch} consent set to 'no'")
    return customers


def _signups(company, customers: pd.DataFrame, orders: pd.DataFrame | None, report: _Report) -> None:
    if company.founded is None and company.extraction_date is None:
        return
    bad = impossible_signup(customers, company.founded, company.extraction_date)
    if orders is None or not report.may("signup_from_first_purchase", "impossible_signup_date", "customers",
                                        int(bad.sum())):
        return
    sales = orders[orders[cols.QUANTITY] > 0] if cols.QUANTITY in orders else orders[orders[cols.AMOUNT] > 0]
    first_buy = sales.groupby(cols.CUSTOMER)[cols.TIMESTAMP].min().dt.normalize()
    customers.loc[bad, cols.SIGNUP_DATE] = customers.loc[bad, cols.CUSTOMER].map(first_buy)
    report.add("impossible_signup_date", "customers", bad.sum(), "replaced by the first purchase date")


def _nonsense_amounts(company, tables: dict, report: _Report) -> None:
    orders = tables["orders"]
    masks = order_rules(orders, company.products)[0]
    bad = pd.concat([masks[r] for r in NONSENSE_AMOUNT if r in masks], axis=1).any(axis=1)
    if report.may("drop_nonsense_amounts", "nonsense_amount", "orders", int(bad.sum())):
        euros = orders.loc[bad, cols.AMOUNT].sum()
        tables["orders"] = orders[~bad].reset_index(drop=True)
        report.add("nonsense_amount", "orders", bad.sum(),
                   f"order lines removed ({format_euro(euros)} of recorded amount)")


def clean_company(company):
    """The company with its health-check findings repaired as its description allows; every change counted.

    Parameters
    ----------
    company : Company
        As read (``load_company(path, clean=False)``); its ``allowed_fixes``
        come from ``company.toml`` ``[cleaning]`` (see the module text).

    Returns
    -------
    Company
        A copy with the repaired tables and ``cleaning``: a DataFrame with
        ``rule``, ``table``, ``rows``, ``action``, one row per allowed fix
        (0 rows when there was nothing to fix) and per finding left unchanged.
    """
    report = _Report(company.allowed_fixes)
    tables = dict(company.tables)
    _drop_exact_duplicates(tables, report)
    if tables.get("customers") is not None:
        _merge_duplicates(tables, report)
        tables["customers"] = _consents(tables["customers"].copy(), report)
        _signups(company, tables["customers"], tables.get("orders"), report)
        if company.postal_codes is not None and cols.POSTAL_CODE in tables["customers"]:
            unknown = ~tables["customers"][cols.POSTAL_CODE].isin(company.postal_codes[cols.POSTAL_CODE])
            report.add("unknown_postal_code", "customers", unknown.sum(), "kept; area type left missing")
        tables["customers"] = tables["customers"].reset_index(drop=True)
    if tables.get("orders") is not None:
        _nonsense_amounts(company, tables, report)
    return dataclasses.replace(company, cleaning=report.frame(), **tables)
