"""The data faults planted into the sample's register and order lines, with their list (the answer key).

The typical faults of a customer register (seed text 004): postal codes not in
the reference list (lost leading zeros, typos), missing consents, a consent
without its date, an SMS consent without a phone number, impossible sign-up
dates, and the same person registered twice; and order lines whose amounts make
no sense (a price a hundred times the list price, a zero amount, a sign that
contradicts the quantity). Every fault lands on a different customer, so each
faulty row breaks one rule; ``truth/faults.csv`` lists them (``table``, ``key``,
``rule``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth.common import YES, Settings
from helpers.vocabulary import CONSENT_CHANNELS

#: Customers of the sample given each register fault (scaled with the number of persons).
REGISTER_FAULTS = {"duplicate_customer": 60, "unknown_postal_code": 80, "missing_consent": 120,
                   "consent_without_date": 40, "sms_consent_without_phone": 50, "impossible_signup_date": 30}
#: Sale lines of the sample given each amount fault (scaled likewise).
AMOUNT_FAULTS = {"price_above_list": 40, "zero_amount": 20, "amount_sign_mismatch": 15}
#: The repairs (``company.toml`` ``[cleaning]``, :data:`helpers.data.FIXES`) that the planted faults call for.
CLEANING = ("merge_duplicate_customers", "unusable_consent_is_no", "signup_from_first_purchase",
            "drop_nonsense_amounts")
#: Postal codes typed wrong (every other unknown code; the rest lost their leading zeros).
BAD_POSTAL_CODES = ["00000", "99999", "12345", "33999", "7010", "2O100"]
#: Impossible sign-up dates: a placeholder, a far future and a day after the extraction
#: (the last two of the sample's timeline, moved by the shift).
ODD_SIGNUP_DATES = ["1900-01-01", "2052-06-14", "2026-03-01"]


def plant_faults(cfg: Settings, rng: np.random.Generator, customers: pd.DataFrame, orders: pd.DataFrame):
    """Plant the register and amount faults; return the faulty tables and the list of faults.

    Faults land on the early members (the register's first ``cfg.n_early``
    rows) and their order lines (``orders["origin"] == "early"``), so the late
    joiners and the automation's orders (version 3) changed none of version 2's faults.
    """
    customers = customers.copy()
    orders = orders.copy()
    picked = _pick_customers(cfg, rng, customers)
    faults = _register_faults(cfg, customers, picked)
    customers, orders, dup_ids = _duplicates(cfg, rng, customers, orders, picked["duplicate_customer"])
    faults += [("customers", c, "duplicate_customer") for c in dup_ids]
    faults += _amount_faults(cfg, rng, orders)
    return customers, orders, pd.DataFrame(faults, columns=["table", "key", "rule"])


def _pick_customers(cfg: Settings, rng: np.random.Generator, customers: pd.DataFrame) -> dict:
    """Row positions of the customers given each register fault: in one random order, each customer once.

    A duplicate needs an e-mail address, a missing consent date an e-mail
    consent, a missing phone an SMS consent.
    """
    n = cfg.n_early
    order = rng.permutation(n)
    anyone = np.ones(n, bool)
    allowed = {"duplicate_customer": customers["email"].notna().to_numpy(),
               "unknown_postal_code": anyone,
               "missing_consent": anyone,
               "consent_without_date": customers["consent_email"].eq(YES).to_numpy(),
               "sms_consent_without_phone": customers["consent_sms"].eq(YES).to_numpy(),
               "impossible_signup_date": anyone}
    taken = np.zeros(n, bool)
    picked = {}
    for rule, k in REGISTER_FAULTS.items():
        idx = [i for i in order if allowed[rule][i] and not taken[i]][:cfg.scaled(k)]
        taken[idx] = True
        picked[rule] = np.array(sorted(idx))
    return picked


def _register_faults(cfg: Settings, customers: pd.DataFrame, picked: dict) -> list:
    """Break the register's rows in place (all but the duplicates); return the faults planted."""
    ids = customers["customer_id"].to_numpy()
    bad_postal = picked["unknown_postal_code"]
    codes = customers["postal_code"].to_numpy().copy()
    for j, i in enumerate(bad_postal):
        codes[i] = codes[i].lstrip("0") if codes[i].startswith("00") and j % 2 == 0 else \
            BAD_POSTAL_CODES[j % len(BAD_POSTAL_CODES)]
    customers["postal_code"] = codes
    customers.loc[bad_postal, "area_type"] = None
    for j, i in enumerate(picked["missing_consent"]):
        ch = CONSENT_CHANNELS[j % 3]
        customers.loc[i, [f"consent_{ch}", f"consent_{ch}_date"]] = None
    customers.loc[picked["consent_without_date"], "consent_email_date"] = None
    customers.loc[picked["sms_consent_without_phone"], "phone"] = None
    bad_date = picked["impossible_signup_date"]
    odd = [pd.Timestamp(ODD_SIGNUP_DATES[0])] + [cfg.shifted(d) for d in ODD_SIGNUP_DATES[1:]]
    customers.loc[bad_date, "signup_date"] = [odd[j % 3] for j in range(len(bad_date))]
    return [("customers", ids[i], rule) for rule in REGISTER_FAULTS if rule != "duplicate_customer"
            for i in picked[rule]]


def _duplicates(cfg: Settings, rng: np.random.Generator, customers: pd.DataFrame, orders: pd.DataFrame,
                dup_src: np.ndarray):
    """The same person registered again later (e.g. at a first web order), under a new customer id.

    When the person has web or app orders after their first day, the
    duplicate's sign-up is a middle one of them and their web and app orders
    from then on move to the new id; otherwise the duplicate signs up 30-299
    days later (at the latest on the observation end).
    """
    n = cfg.n_early
    dups = customers.loc[dup_src].copy()
    dups["customer_id"] = [cfg.ids.customer.format(n + k + 1) for k in range(len(dups))]
    dups["email"] = dups["email"].str.capitalize()
    sales = orders[(orders["quantity"] > 0) & orders["channel"].isin(["web", "app"]) & orders["origin"].eq("early")]
    firsts = orders.groupby("customer_id")["timestamp"].min()
    for k, (_, row) in enumerate(customers.loc[dup_src].iterrows()):
        after_first = sales["timestamp"] > firsts[row["customer_id"]] + pd.Timedelta(days=1)
        own = sales[(sales["customer_id"] == row["customer_id"]) & after_first]
        if len(own):
            start = own["timestamp"].iloc[len(own) // 2]
            moved = ((orders["customer_id"] == row["customer_id"]) & (orders["timestamp"] >= start)
                     & orders["channel"].isin(["web", "app"]))
            orders.loc[moved, "customer_id"] = dups["customer_id"].iloc[k]
            dups.iloc[k, dups.columns.get_loc("signup_date")] = start.normalize()
        else:
            later = row["signup_date"] + pd.Timedelta(days=int(rng.integers(30, 300)))
            dups.iloc[k, dups.columns.get_loc("signup_date")] = min(later, cfg.observation_end)
    register = pd.concat([customers.iloc[:n], dups, customers.iloc[n:]], ignore_index=True)  # in id order
    return register, orders, list(dups["customer_id"])


def _amount_faults(cfg: Settings, rng: np.random.Generator, orders: pd.DataFrame) -> list:
    """Sale lines with nonsense amounts, changed in place (the margin follows the amount); return the faults."""
    counts = [cfg.scaled(k) for k in AMOUNT_FAULTS.values()]
    sale_rows = np.flatnonzero(((orders["quantity"] > 0) & orders["origin"].eq("early")).to_numpy())
    chosen = rng.choice(sale_rows, sum(counts), replace=False)
    shift, zero, sign = np.split(chosen, np.cumsum(counts)[:-1])
    cost = orders["amount"] - orders["margin"]
    orders.loc[shift, "amount"] = (orders.loc[shift, "amount"] * 100).round(2)
    orders.loc[zero, "discount"] = orders.loc[zero, "discount"] + orders.loc[zero, "amount"]
    orders.loc[zero, "amount"] = 0.0
    orders.loc[sign, "amount"] = -orders.loc[sign, "amount"]
    bad = np.concatenate([shift, zero, sign])
    orders.loc[bad, "margin"] = (orders.loc[bad, "amount"] - cost[bad]).round(2)
    keys = orders["order_id"] + "/" + orders["line_no"].astype(str)
    return [("orders", keys[i], rule) for rule, rows in zip(AMOUNT_FAULTS, [shift, zero, sign]) for i in rows]
