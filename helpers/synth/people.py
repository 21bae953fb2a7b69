"""The people of the sample company: postal codes and stores, persons, consents, the register.

A *person* is a real customer with latent attributes (segment, purchase rate,
chance to leave, spend level, satisfaction, …; the answer key) and observed
ones (name, contacts, postal code, age band, consents). The register
(``customers.csv``) shows the observed ones; duplicates and other faults are
planted later by :mod:`helpers.synth.faults`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth.common import BASIC, CATEGORIES, GOLD, NO, SILVER, YES, YOUNG, Settings, choice_rows, dirichlet
from helpers.synth.latent import SEGMENTS, SURVEY_DRIVERS, segment_values
from helpers.vocabulary import AGE_BANDS, AREA_TYPES, CHANNELS, CONSENT_CHANNELS

TOWNS = [  # town, store number, first code, last code, area of the first half, of the second half, weight
    ("Helsinki", 1, 100, 990, "city", "suburb", 3.0),
    ("Espoo", 2, 2100, 2380, "suburb", "suburb", 1.5),
    ("Kirkkonummi", 2, 2400, 2490, "rural", "rural", 0.4),
    ("Nurmijärvi", 1, 1800, 1990, "rural", "rural", 0.6),
    ("Tampere", 3, 33100, 33720, "city", "suburb", 1.6),
    ("Kangasala", 3, 36200, 36290, "rural", "rural", 0.4),
    ("Lempäälä", 3, 37500, 37570, "rural", "rural", 0.3),
    ("Turku", 4, 20100, 20960, "city", "suburb", 1.3),
    ("Lieto", 4, 21420, 21490, "rural", "rural", 0.3),
    ("Oulu", 5, 90100, 90420, "city", "suburb", 1.3),
    ("Kempele", 5, 90440, 90460, "rural", "rural", 0.3),
    ("Kuopio", 6, 70100, 70940, "city", "suburb", 0.9),
    ("Siilinjärvi", 6, 71800, 71850, "rural", "rural", 0.3),
]
#: The town of each store, in store-number order (store 1 is in Helsinki).
STORE_TOWNS = ["Helsinki", "Espoo", "Tampere", "Turku", "Oulu", "Kuopio"]
FIRST_NAMES = ["Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Maria", "Mikko", "Noora", "Olli", "Pia",
               "Sami", "Sanna", "Teemu", "Tiina", "Ville", "Elina", "Antti", "Johanna", "Jari", "Leena",
               "Matti", "Minna", "Pekka", "Riikka", "Timo", "Hanna", "Kalle", "Laura", "Onni", "Emma", "Leo"]
LAST_NAMES = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
              "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi",
              "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen"]
#: Spend in the last observed year (euros) that earns the silver and the gold tier.
SILVER_FROM, GOLD_FROM = 250, 800


def make_postal_codes(cfg: Settings) -> pd.DataFrame:
    """The reference list of postal codes served, with town, area type and nearest store."""
    rows = []
    for town, store, first, last, area1, area2, _w in TOWNS:
        codes = list(range(first, last + 1, 10))
        half = len(codes) // 2
        for i, code in enumerate(codes):
            rows.append((f"{code:05d}", town, area1 if i < half else area2, cfg.ids.store.format(store)))
    return pd.DataFrame(rows, columns=["postal_code", "town", "area_type", "store_id"])


def make_stores(cfg: Settings) -> pd.DataFrame:
    """The stores: id, name (``<brand> <town>``) and town."""
    rows = [(cfg.ids.store.format(i + 1), f"{cfg.brand} {town}", town) for i, town in enumerate(STORE_TOWNS)]
    return pd.DataFrame(rows, columns=["store_id", "name", "town"])


def make_persons(cfg: Settings, rng: np.random.Generator, postal: pd.DataFrame, late: bool = False) -> pd.DataFrame:
    """Latent and observed attributes of the early members (or the late joiners), one row each, in sign-up order.

    The early members join up to :attr:`Settings.early_signup_end`, the late
    joiners after it up to :attr:`Settings.signup_end`; the two are drawn from
    different random streams and concatenated by the caller (the late ones last).
    """
    n = cfg.n_late if late else cfg.n_early
    shares = segment_values("share")
    seg = rng.choice(len(SEGMENTS), size=n, p=shares / shares.sum())
    signup = _signup_days(cfg, rng, n, late)
    rng.shuffle(seg)  # segments independent of sign-up order
    p = pd.DataFrame({"segment_idx": seg, "signup_day": signup})
    p["segment"] = segment_values("name")[seg]
    _add_satisfaction(rng, p)
    _add_behaviour(rng, p)
    _add_preferences(rng, p)
    p["age_band"] = np.array(AGE_BANDS)[choice_rows(rng, segment_values("age")[seg])]
    area = np.array(AREA_TYPES)[choice_rows(rng, segment_values("area")[seg])]
    p["postal_code"] = _postal_codes(rng, area, postal)
    return p.merge(postal[["postal_code", "area_type", "store_id"]], on="postal_code", how="left")


def _signup_days(cfg: Settings, rng: np.random.Generator, n: int, late: bool) -> np.ndarray:
    """Sign-up days, sorted: a growing club, more sign-ups before Christmas (:meth:`Settings.signup_weights`)."""
    day_grid, weight = cfg.signup_weights(late)
    return np.sort(rng.choice(day_grid, size=n, p=weight / weight.sum()))


def _add_satisfaction(rng: np.random.Generator, p: pd.DataFrame) -> None:
    """Driver ratings (1-5) and the latent satisfaction they make (the survey's truth); standardised."""
    n, seg = len(p), p["segment_idx"].to_numpy()
    drivers = {}
    for name in SURVEY_DRIVERS:
        base = 3.4 + 0.35 * segment_values("satisfaction")[seg] + rng.normal(0, 0.9, n)
        drivers[name] = np.clip(np.rint(base), 1, 5).astype(int)
    latent = sum(w * (drivers[d] - 3.4) for d, w in SURVEY_DRIVERS.items()) + rng.normal(0, 0.8, n)
    p["satisfaction"] = (latent - latent.mean()) / latent.std()
    for name, values in drivers.items():
        p[name] = values


def _add_behaviour(rng: np.random.Generator, p: pd.DataFrame) -> None:
    """Purchase rate (per week), dropout, spend level (euros per order), discount and response propensities.

    Satisfied people leave less (dropout times ``exp(-0.3 * satisfaction)``).
    """
    n, seg = len(p), p["segment_idx"].to_numpy()
    shape = 2.0
    p["purchase_rate"] = rng.gamma(shape, 1.3 * segment_values("rate")[seg] / shape)
    mean_p = segment_values("dropout")[seg]
    a = 2.0
    dropout = rng.beta(a, a * (1 - mean_p) / mean_p) * np.exp(-0.3 * p["satisfaction"].to_numpy())
    p["dropout_p"] = np.clip(dropout, 0.005, 0.9)
    p["spend_level"] = rng.gamma(4.0, segment_values("spend")[seg] / 4.0)
    disc = segment_values("discount")[seg]
    p["discount_propensity"] = np.clip(rng.beta(4 * disc + 0.1, 4 * (1 - disc) + 0.1), 0, 0.98)
    p["response_multiplier"] = np.exp(rng.normal(0, 0.35, n))


def _add_preferences(rng: np.random.Generator, p: pd.DataFrame) -> None:
    """Channel and category preferences (shares summing to one) around the segment's."""
    seg = p["segment_idx"].to_numpy()
    chan = segment_values("channel")[seg] * 12 + 0.2
    p[[f"pref_{c}" for c in CHANNELS]] = dirichlet(rng, chan)
    cats = segment_values("categories")[seg]
    cats = cats / cats.sum(1, keepdims=True) * 10 + 0.05
    p[[f"pref_{c}" for c in CATEGORIES]] = dirichlet(rng, cats)


def _postal_codes(rng: np.random.Generator, area: np.ndarray, postal: pd.DataFrame) -> np.ndarray:
    """A postal code of the person's area type, bigger towns likelier."""
    town_w = {t[0]: t[6] for t in TOWNS}
    postal = postal.assign(w=postal["town"].map(town_w))
    codes = np.empty(area.size, dtype=object)
    for a_type in AREA_TYPES:
        ref = postal[postal["area_type"] == a_type]
        mask = area == a_type
        codes[mask] = rng.choice(ref["postal_code"].to_numpy(), size=mask.sum(),
                                 p=(ref["w"] / ref["w"].sum()).to_numpy())
    return codes


def add_consents(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, first_number: int = 1,
                 taken_phones: pd.Series | None = None) -> None:
    """Contact details and per-channel marketing consents (with the day recorded).

    ``first_number`` numbers the e-mail addresses (unique: ``aino.laine15@…``);
    the late joiners continue after the early members and get phone numbers
    none of ``taken_phones`` has.
    """
    n = len(persons)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    persons["name"] = np.char.add(np.char.add(first.astype(str), " "), last.astype(str))
    ascii_ = str.maketrans("äöå", "aoa")
    local = pd.Series(np.char.add(np.char.add(first.astype(str), "."), last.astype(str)))
    local = local.str.lower().str.translate(ascii_)
    email = local + (np.arange(n) + first_number).astype(str) + "@example.fi"
    has_email = rng.random(n) > 0.07
    persons["email"] = email.where(has_email, None)
    young = persons["age_band"].isin(YOUNG).to_numpy()
    persons["consent_email"] = np.where(has_email & (rng.random(n) < np.where(young, 0.85, 0.75)), YES, NO)
    sms = rng.random(n) < np.where(young, 0.6, 0.4)
    has_phone = sms | (rng.random(n) < 0.8)
    numbers = _phone_numbers(rng, n, taken_phones)
    persons["phone"] = pd.Series([f"+35840{x:07d}" for x in numbers]).where(has_phone, None)
    persons["consent_sms"] = np.where(sms, YES, NO)
    persons["consent_post"] = np.where(rng.random(n) < 0.3, YES, NO)
    last_day = cfg.days(cfg.observation_end)
    for ch in CONSENT_CHANNELS:
        later = rng.random(n) < 0.2
        day = persons["signup_day"].to_numpy() + np.where(later, rng.integers(1, 400, n), 0)
        persons[f"consent_{ch}_day"] = np.minimum(day, last_day)


def _phone_numbers(rng: np.random.Generator, n: int, taken: pd.Series | None) -> np.ndarray:
    """``n`` distinct 7-digit numbers; with ``taken`` (phone numbers in use) none of theirs."""
    if taken is None:
        return rng.choice(10**7, size=n, replace=False)
    used = taken.dropna().str[-7:].astype(int).to_numpy()
    candidates = rng.choice(10**7, size=2 * n + 100, replace=False)
    return candidates[~np.isin(candidates, used)][:n]


def customer_ids(cfg: Settings, n_duplicates: int) -> np.ndarray:
    """Customer ids of the persons in sign-up order: the early members first, then the late joiners.

    The late joiners' numbers start after the ``n_duplicates`` duplicate
    registrations (numbered right after the early members by
    :mod:`helpers.synth.faults`), so the duplicates keep the ids version 2 gave them.
    """
    early = cfg.ids.make("customer", cfg.n_early)
    first_late = cfg.n_early + n_duplicates + 1
    late = [cfg.ids.customer.format(first_late + k) for k in range(cfg.n_late)]
    return np.array([*early, *late])


def make_register(cfg: Settings, persons: pd.DataFrame, sales: pd.DataFrame, customer_ids: np.ndarray) -> pd.DataFrame:
    """The customer register as the company holds it (before faults): contacts, consents, loyalty tier.

    The tier is earned by the spend of the last observed year (from
    :attr:`Settings.tier_year_start`): gold from ``GOLD_FROM`` euros, silver from ``SILVER_FROM``.
    """
    spend = sales[sales["timestamp"] >= cfg.tier_year_start].groupby("person")["amount"].sum()
    spend = spend.reindex(range(len(persons)), fill_value=0)
    tier = np.where(spend >= GOLD_FROM, GOLD, np.where(spend >= SILVER_FROM, SILVER, BASIC))
    customers = pd.DataFrame({
        "customer_id": customer_ids, "name": persons["name"], "email": persons["email"], "phone": persons["phone"],
        "signup_date": cfg.date(persons["signup_day"]), "postal_code": persons["postal_code"],
        "area_type": persons["area_type"], "age_band": persons["age_band"], "loyalty_tier": tier})
    for ch in CONSENT_CHANNELS:
        customers[f"consent_{ch}"] = persons[f"consent_{ch}"]
        customers[f"consent_{ch}_date"] = cfg.date(persons[f"consent_{ch}_day"])
    return customers
