"""The register health check (*kuntotesti*, seed text 004), parameterised by the company.

Each rule is a boolean mask over a table. The references a rule needs (the
company's founding and extraction dates, its postal-code list, its product
catalogue with list prices, a register to look customers up in) come from the
company description: a rule whose reference is missing is **skipped and listed
as skipped**, never run against another company's lists. :func:`health_check`
reports one row per rule: found, clean, or skipped (and why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import columns as cols
from helpers import vocabulary as voc
from helpers._checks import as_timestamp

#: What each health-check rule blocks or costs the business (shown in the findings table).
CONSEQUENCES = {
    "duplicate_customer": "one person counted as two: customer numbers, value and churn are wrong; the person gets "
                          "every campaign twice",
    "unknown_postal_code": "no area type for the customer: area-based segments and store planning miss them; mail "
                           "may not arrive",
    "missing_consent": "no recorded permission: the customer must not be contacted in that channel",
    "consent_without_date": "a permission that cannot be proven: treat as no consent",
    "sms_consent_without_phone": "an SMS permission with no number: the SMS audience is smaller than it looks",
    "impossible_signup_date": "tenure, cohorts and lifetime value of the customer are wrong",
    "price_above_list": "revenue overstated (decimal-point error): inflates customer value and campaign results",
    "zero_amount": "a sale that brought no money: revenue and basket values understated",
    "amount_sign_mismatch": "a sale booked as negative money (or a return as positive): revenue and margin wrong",
    "zero_quantity": "a line of nothing: no price per unit, and any amount on it is unexplained",
    "date_after_extraction": "a date after the data was exported (a typing or clock error): recency and the period "
                             "covered are wrong",
    "order_before_signup": "a purchase before the customer joined: the sign-up date (tenure, cohorts) or the "
                           "customer link is wrong",
    "customer_not_in_register": "purchases of a customer the register does not know: they drop out of every analysis "
                                "that joins the register",
    "exact_duplicate": "the same row twice (an export appended twice?): amounts and counts doubled; rows without an "
                       "order number or line may repeat legitimately",
    "duplicate_file": "the same file read twice: every row of it is counted twice",
    "id_format_clash": "one id written two ways (123 and 000123, typically a number in Excel): one customer split in "
                       "two, or two merged",
}
#: The order-line rules whose lines make no sense as money (removed by ``drop_nonsense_amounts``).
NONSENSE_AMOUNT = ("price_above_list", "zero_amount", "amount_sign_mismatch", "zero_quantity")


def _normalised(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower()


def duplicate_customers(customers: pd.DataFrame) -> pd.Series:
    """Map each later-registered duplicate id to the first-registered id of the same person (same e-mail or phone)."""
    ordered = customers.sort_values([cols.SIGNUP_DATE, cols.CUSTOMER], kind="stable")
    keys = [_normalised(ordered["email"])] if "email" in ordered else []
    keys += [ordered["phone"].str.replace(" ", "", regex=False)] if "phone" in ordered else []
    mapping = {}
    for key in keys:
        valid = key.notna()
        first = ordered.loc[valid].groupby(key[valid])[cols.CUSTOMER].transform("first")
        later = first[first != ordered.loc[valid, cols.CUSTOMER]]
        mapping.update({c: f for c, f in zip(ordered.loc[later.index, cols.CUSTOMER], later) if c not in mapping})
    return pd.Series(mapping, dtype="str", name="original_id")


def id_format_clash(ids: pd.Series, other: pd.Series | None = None) -> pd.Series:
    """Digit-only ids that are written two ways (``123`` and ``000123``) here or in ``other``."""
    pool = pd.concat([ids, other]) if other is not None else ids
    text = pool.dropna().astype("str").str.strip()
    digits = text[text.str.fullmatch(r"\d+")].drop_duplicates()
    forms = digits.groupby(digits.str.lstrip("0").to_numpy()).size()
    clashing = set(forms[forms > 1].index)
    canon = ids.astype("str").str.strip()
    return (canon.str.fullmatch(r"\d+").fillna(False).astype(bool) & canon.str.lstrip("0").isin(clashing))


def impossible_signup(customers: pd.DataFrame, founded=None, extraction_date=None) -> pd.Series:
    """Sign-ups before the company was founded or after the data was extracted (unknown dates not checked)."""
    signup = customers[cols.SIGNUP_DATE]
    bad = pd.Series(False, index=customers.index)
    if founded is not None:
        bad |= signup < founded
    if extraction_date is not None:
        bad |= signup > extraction_date
    return bad


def _consent_rules(customers: pd.DataFrame, masks: dict, skipped: dict) -> None:
    channels = [ch for ch in voc.CONSENT_CHANNELS if f"consent_{ch}" in customers]
    value = {ch: customers[f"consent_{ch}"] for ch in channels}
    dated = [ch for ch in channels if f"consent_{ch}_date" in customers]
    if channels:
        masks["missing_consent"] = pd.concat([value[ch].isna() for ch in channels], axis=1).any(axis=1)
    else:
        skipped["missing_consent"] = "the register has no consent_* columns"
    if dated:
        masks["consent_without_date"] = pd.concat(
            [value[ch].eq("yes") & customers[f"consent_{ch}_date"].isna() for ch in dated], axis=1).any(axis=1)
    else:
        skipped["consent_without_date"] = "the register has no consent and consent-date columns"
    if "consent_sms" in customers and "phone" in customers:
        masks["sms_consent_without_phone"] = value["sms"].eq("yes") & customers["phone"].isna()
    else:
        skipped["sms_consent_without_phone"] = "the register has no consent_sms or no phone column"


def customer_rules(customers: pd.DataFrame, postal_codes: pd.DataFrame | None = None, founded=None,
                   extraction_date=None) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """The register's rules: ``(masks of the rules run, reasons of the rules skipped)``."""
    masks, skipped = {}, {}
    if "email" in customers or "phone" in customers:
        masks["duplicate_customer"] = customers[cols.CUSTOMER].isin(duplicate_customers(customers).index)
    else:
        skipped["duplicate_customer"] = "the register has no email or phone column to recognise a person by"
    if postal_codes is None or cols.POSTAL_CODE not in customers:
        skipped["unknown_postal_code"] = ("no postal-code reference list (postal_codes table)" if postal_codes is None
                                          else "the register has no postal_code column")
    else:
        masks["unknown_postal_code"] = ~customers[cols.POSTAL_CODE].isin(postal_codes[cols.POSTAL_CODE])
    _consent_rules(customers, masks, skipped)
    if founded is None and extraction_date is None:
        skipped["impossible_signup_date"] = "neither the founding nor the extraction date is known"
    else:
        masks["impossible_signup_date"] = impossible_signup(customers, founded, extraction_date)
    dates = [c for c in customers if c.startswith("consent_") and c.endswith("_date")]
    if extraction_date is not None and dates:
        masks["date_after_extraction"] = (customers[dates] > extraction_date).any(axis=1)
    masks["exact_duplicate"] = customers.duplicated(keep="first")
    masks["id_format_clash"] = id_format_clash(customers[cols.CUSTOMER])
    return masks, skipped


def _register_rules(orders: pd.DataFrame, register: pd.DataFrame | None, founded, extraction_date,
                    masks: dict, skipped: dict) -> None:
    if register is None:
        for rule in ("order_before_signup", "customer_not_in_register"):
            skipped[rule] = "no customer register (derived from the orders, or not given)"
        return
    first = register.drop_duplicates(cols.CUSTOMER).set_index(cols.CUSTOMER)
    plausible = first.loc[~impossible_signup(first, founded, extraction_date), cols.SIGNUP_DATE]
    signup = orders[cols.CUSTOMER].map(plausible)  # an impossible sign-up date is its own finding, not this one
    masks["order_before_signup"] = orders[cols.TIMESTAMP].dt.normalize() < signup.dt.normalize()
    masks["customer_not_in_register"] = ~orders[cols.CUSTOMER].isin(register[cols.CUSTOMER])


def order_rules(orders: pd.DataFrame, products: pd.DataFrame | None = None, customers: pd.DataFrame | None = None,
                founded=None, extraction_date=None) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """The order lines' rules: ``(masks of the rules run, reasons of the rules skipped)``.

    A line is paid at most its list price (discounts only lower it), a sale
    (positive quantity) has a positive amount and a return a negative one.
    """
    masks, skipped = {}, {}
    amount = orders[cols.AMOUNT]
    quantity = orders[cols.QUANTITY] if cols.QUANTITY in orders else None
    if products is None or "price" not in products or quantity is None or cols.PRODUCT not in orders:
        skipped["price_above_list"] = ("no product list with prices (products table with price)"
                                       if products is None or "price" not in products
                                       else "the orders have no product_id or quantity column")
    else:
        price = orders[cols.PRODUCT].map(products.set_index(cols.PRODUCT)["price"])
        masks["price_above_list"] = (amount.abs() / quantity.abs() > price + 0.005) & quantity.ne(0)
    masks["zero_amount"] = amount.eq(0)
    if quantity is None:
        skipped["amount_sign_mismatch"] = skipped["zero_quantity"] = "the orders have no quantity column"
    else:
        masks["amount_sign_mismatch"] = (np.sign(amount).ne(np.sign(quantity)) & amount.ne(0) & quantity.ne(0))
        masks["zero_quantity"] = quantity.eq(0)
    if extraction_date is None:
        skipped["date_after_extraction"] = "the extraction date is not known"
    else:
        masks["date_after_extraction"] = orders[cols.TIMESTAMP] >= extraction_date.normalize() + pd.Timedelta(days=1)
    _register_rules(orders, customers, founded, extraction_date, masks, skipped)
    masks["exact_duplicate"] = orders.duplicated(keep="first")
    masks["id_format_clash"] = id_format_clash(orders[cols.CUSTOMER],
                                               None if customers is None else customers[cols.CUSTOMER])
    return masks, skipped


def customer_faults(customers: pd.DataFrame, postal_codes: pd.DataFrame | None = None, *, founded=None,
                    extraction_date=None) -> dict[str, pd.Series]:
    """Boolean masks (aligned with ``customers``) of the register's rules that could run.

    A rule whose reference is not given (``postal_codes``, ``founded``,
    ``extraction_date``, an optional column) is left out; :func:`health_check`
    lists it as skipped.
    """
    return customer_rules(customers, postal_codes, founded, extraction_date)[0]


def order_faults(orders: pd.DataFrame, products: pd.DataFrame | None = None, *, customers=None, founded=None,
                 extraction_date=None) -> dict[str, pd.Series]:
    """Boolean masks (aligned with ``orders``) of the order-line rules that could run (see :func:`order_rules`)."""
    return order_rules(orders, products, customers, founded, extraction_date)[0]


# --------------------------------------------------------------------------- the check
def row_keys(table: str, df: pd.DataFrame) -> pd.Series:
    """The key quoted for a row: customer id, ``order_id/line_no``, or customer and day for orders without ids."""
    if table == "customers":
        return df[cols.CUSTOMER].astype("str")
    if cols.ORDER in df and cols.LINE in df:
        return df[cols.ORDER] + "/" + df[cols.LINE].astype(str)
    if cols.ORDER in df:
        return df[cols.ORDER].astype("str")
    return df[cols.CUSTOMER] + " " + df[cols.TIMESTAMP].dt.strftime("%Y-%m-%d")


def _inputs(customers, orders, postal_codes, products, founded, extraction_date) -> dict:
    """Everything the rules need, from a Company, from the tables given, or the sample company as read."""
    if customers is None and orders is None:
        from .company import load_company

        customers = load_company(clean=False)
    if hasattr(customers, "intake"):  # a Company
        company = customers
        derived = "customers" in company.derived
        return {"customers": company.customers, "orders": company.orders, "postal_codes": company.postal_codes,
                "products": company.products, "founded": company.founded,
                "extraction_date": company.extraction_date, "register": None if derived else company.customers,
                "intake": company.intake}
    as_date = lambda v, name: None if v is None else as_timestamp(v, name)  # noqa: E731
    return {"customers": customers, "orders": orders, "postal_codes": postal_codes, "products": products,
            "founded": as_date(founded, "founded"), "extraction_date": as_date(extraction_date, "extraction_date"),
            "register": customers, "intake": None}


def rule_results(customers=None, orders=None, postal_codes=None, products=None, *, founded=None,
                 extraction_date=None) -> tuple[list[tuple[str, pd.DataFrame, dict, dict]], dict]:
    """``([(table, frame, masks, skipped), ...], inputs)`` for the register and the order lines."""
    given = _inputs(customers, orders, postal_codes, products, founded, extraction_date)
    out = []
    if given["customers"] is not None:
        out.append(("customers", given["customers"], *customer_rules(
            given["customers"], given["postal_codes"], given["founded"], given["extraction_date"])))
    if given["orders"] is not None:
        out.append(("orders", given["orders"], *order_rules(
            given["orders"], given["products"], given["register"], given["founded"], given["extraction_date"])))
    return out, given


def duplicate_files(intake: pd.DataFrame | None, tables: dict[str, int]) -> list[dict]:
    """Per table: the rows read from a file identical to an earlier file of the same table.

    ``tables`` maps the tables checked to their numbers of rows; other tables
    of ``intake`` are listed only when they have a duplicate file.
    """
    if intake is None:
        return [{"table": t, "rows": 0, "share": np.nan, "examples": [], "status": "skipped",
                 "note": "no file information (pass the Company)"} for t in tables]
    out = []
    for table in dict.fromkeys(list(tables) + list(intake["table"])):
        files = intake[intake["table"] == table]
        copies = files[files["sha256"].duplicated(keep="first")]
        if table in tables or len(copies):
            first = files.drop_duplicates("sha256").set_index("sha256")["file"]
            rows = int(copies["rows_out"].sum())
            out.append({"table": table, "rows": rows, "share": rows / tables.get(table, files["rows_out"].sum()),
                        "examples": [f"{r.file} (= {first[r.sha256]})" for r in copies.itertuples()],
                        "status": "found" if rows else "clean", "note": ""})
    return out


def _rule_rows(results: list, founded, n_examples: int) -> list[dict]:
    rows = []
    for table, df, masks, skipped in results:
        key = row_keys(table, df)
        for rule, mask in masks.items():
            note = ("founding date unknown: only sign-ups after the extraction date checked"
                    if rule == "impossible_signup_date" and founded is None else "")
            rows.append({"rule": rule, "table": table, "rows": int(mask.sum()), "share": float(mask.mean()),
                         "examples": ", ".join(key[mask].head(n_examples)), "consequence": CONSEQUENCES[rule],
                         "status": "found" if mask.any() else "clean", "note": note})
        rows += [{"rule": rule, "table": table, "rows": 0, "share": np.nan, "examples": "",
                  "consequence": CONSEQUENCES[rule], "status": "skipped", "note": why} for rule, why in skipped.items()]
    return rows


def health_check(customers=None, orders=None, postal_codes=None, products=None, n_examples: int = 3, *,
                 founded=None, extraction_date=None) -> pd.DataFrame:
    """The register health check (*kuntotesti*, seed text 004): one row per rule.

    Parameters
    ----------
    customers : Company or DataFrame, optional
        A :class:`~helpers.data.Company` (its tables, dates and reference
        lists are used), or the raw register. With neither ``customers`` nor
        ``orders``: the sample company as read (before cleaning).
    orders : DataFrame, optional
        The raw order lines.
    postal_codes, products : DataFrame, optional
        Reference lists; a rule whose list is not given is skipped (listed).
    n_examples : int
        Example keys shown per rule.
    founded, extraction_date : date or str, optional
        The company's founding and extraction dates; unknown ones are not checked.

    Returns
    -------
    DataFrame
        ``rule``, ``table``, ``rows`` (how many rows break it), ``share`` (of
        the table's rows), ``examples`` (a few keys), ``consequence`` (what it
        blocks or costs), ``status`` (``found``, ``clean`` or ``skipped``) and
        ``note`` (why a rule was skipped or only partly run), sorted by table
        and number of rows. Clean rules are listed with 0 rows, so a clean
        table is visible as clean.
    """
    results, given = rule_results(customers, orders, postal_codes, products, founded=founded,
                                  extraction_date=extraction_date)
    rows = _rule_rows(results, given["founded"], n_examples)
    for dup in duplicate_files(given["intake"], {t: len(df) for t, df, *_ in results}):
        rows.append({"rule": "duplicate_file", **dup, "examples": ", ".join(dup["examples"][:n_examples]),
                     "consequence": CONSEQUENCES["duplicate_file"]})
    columns = ["rule", "table", "rows", "share", "examples", "consequence", "status", "note"]
    return pd.DataFrame(rows, columns=columns).sort_values(["table", "rows"], ascending=[True, False],
                                                           ignore_index=True)


def flagged_keys(customers, orders=None, **refs) -> pd.DataFrame:
    """Every flagged row as (``table``, ``key``, ``rule``): the same shape as the truth file ``faults``.

    ``customers`` is a Company or the raw register (then ``orders`` and the
    keywords of :func:`health_check` give the rest).
    """
    results, _ = rule_results(customers, orders, refs.get("postal_codes"), refs.get("products"),
                              founded=refs.get("founded"), extraction_date=refs.get("extraction_date"))
    out = [pd.DataFrame({"table": table, "key": row_keys(table, df)[mask], "rule": rule})
           for table, df, masks, _ in results for rule, mask in masks.items()]
    return pd.concat(out, ignore_index=True)
