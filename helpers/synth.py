"""Generate the sample data of Kotiranta Oy and Aurora Park, with its truth.

The data is synthetic and **knows its truth**: every customer belongs to one of
six latent segments and buys according to a Pareto/NBD-like "buy till you die"
process (Poisson purchases at a personal rate while alive, a personal chance to
leave after each repeat purchase, as in Fader, Hardie & Lee 2005); campaigns
have randomised control groups and known individual effects (negative for some:
the "sleeping dogs"); survey scores come from known driver weights; a few
ambassadors bring many new customers; season-pass renewal follows a
shifted-beta-geometric-like churn with a planted three-visit effect; and a
documented set of data faults is planted into the register and the order lines.

Everything flows from one seed (:data:`SEED`): ``make data`` (``python -m
helpers.synth``) twice gives byte-identical files. Lessons never import this
module; they read the files through :mod:`helpers.data`. The truth is written
to ``data/sample/truth/`` and is only an answer key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import DATA_DIR
from helpers.vocabulary import (
    AGE_BANDS, AREA_TYPES, CHANNELS, CONSENT_CHANNELS, GROUPS, LOYALTY_TIERS, SAMPLE, SAMPLE_CATEGORIES,
    SAMPLE_FUTURE_END, YES_NO,
)

SEED = 20260105
#: Version of the generator; written to ``data/sample/READY``.
VERSION = "2"
N_PERSONS = 14_600
DATA_START = SAMPLE.data_start
OBSERVATION_END = SAMPLE.observation_end  # last day of observed data
FUTURE_END = SAMPLE_FUTURE_END  # end of the hidden future year
SIGNUP_END = pd.Timestamp("2025-10-31")
CATEGORIES = SAMPLE_CATEGORIES
YOUNG = AGE_BANDS[:2]  # 18-34: more SMS consents, stronger SMS response
YES, NO = YES_NO
TREATMENT, CONTROL = GROUPS
BASIC, SILVER, GOLD = LOYALTY_TIERS


# --------------------------------------------------------------------------- segments
@dataclass(frozen=True)
class Segment:
    """Behaviour of one latent customer segment (rates per week, euros)."""

    name: str
    description: str
    share: float
    rate: float  # mean purchases per week while alive
    dropout: float  # mean chance to leave after a repeat purchase
    spend: float  # mean euros per order
    channel: tuple  # store, web, app
    categories: tuple  # weight per CATEGORIES
    discount: float  # mean share of lines bought on promotion
    deep_discounts: bool
    returns: float  # chance that a line is returned
    age: tuple  # weight per AGE_BANDS
    area: tuple  # weight per AREA_TYPES
    season: tuple  # relative purchase intensity per month (Jan..Dec)
    satisfaction: float  # mean of the latent satisfaction


FLAT = (0.9, 0.8, 0.9, 1.0, 1.0, 0.95, 0.85, 0.9, 1.0, 1.0, 1.15, 1.55)
SEGMENTS = [
    Segment("family_regulars", "Families who shop often for kitchen, kids and food; stores and the app; suburbs",
            0.22, 0.16, 0.05, 48, (0.60, 0.12, 0.28), (1.0, 2.5, 0.4, 0.6, 0.4, 0.4, 3.0, 2.0), 0.20, False,
            0.03, (0.02, 0.18, 0.45, 0.25, 0.07, 0.03), (0.15, 0.70, 0.15), FLAT, 0.3),
    Segment("premium_home", "Design-minded buyers of decor, lighting and textiles; few but large orders; web and store; cities",
            0.12, 0.06, 0.05, 165, (0.50, 0.47, 0.03), (2.5, 0.6, 3.0, 3.5, 0.3, 0.2, 0.2, 0.4), 0.04, False,
            0.04, (0.01, 0.10, 0.22, 0.32, 0.25, 0.10), (0.75, 0.22, 0.03), FLAT, 0.4),
    Segment("deal_hunters", "Buy mostly on promotion, often online, return a lot; margin is thin or negative",
            0.20, 0.11, 0.10, 34, (0.22, 0.63, 0.15), (1.5, 1.5, 1.0, 1.2, 0.8, 0.8, 1.2, 1.2), 0.75, True,
            0.13, (0.10, 0.25, 0.22, 0.20, 0.15, 0.08), (0.35, 0.40, 0.25), FLAT, -0.4),
    Segment("outdoor_seasonal", "Garden and outdoor buyers from the countryside; spring-summer peak; store and web",
            0.14, 0.07, 0.07, 95, (0.55, 0.42, 0.03), (0.3, 0.4, 0.3, 0.3, 3.5, 3.5, 0.3, 0.5), 0.15, False,
            0.03, (0.02, 0.10, 0.22, 0.28, 0.25, 0.13), (0.05, 0.20, 0.75),
            (0.45, 0.45, 0.75, 1.3, 1.8, 1.8, 1.5, 1.0, 0.75, 0.55, 0.55, 0.95), 0.2),
    Segment("young_urban_app", "Young city dwellers who buy small things often in the app",
            0.18, 0.13, 0.09, 27, (0.12, 0.13, 0.75), (0.6, 1.5, 0.6, 2.0, 0.2, 0.3, 0.2, 2.5), 0.30, False,
            0.08, (0.40, 0.45, 0.10, 0.03, 0.01, 0.01), (0.80, 0.17, 0.03), FLAT, 0.0),
    Segment("occasional_gifters", "Older customers who come a few times, mostly for gifts at Christmas, and often not again",
            0.14, 0.025, 0.25, 60, (0.82, 0.15, 0.03), (0.8, 0.6, 0.4, 0.8, 0.2, 0.2, 0.4, 4.0), 0.10, False,
            0.02, (0.01, 0.03, 0.06, 0.15, 0.35, 0.40), (0.30, 0.40, 0.30),
            (0.7, 0.6, 0.7, 0.8, 0.8, 0.8, 0.7, 0.7, 0.8, 0.9, 1.4, 3.2), 0.1),
]

#: Effect of a campaign type on each segment: > 0 is the chance that the message
#: brings an extra purchase, < 0 the chance that it puts the customer off buying
#: in the response window (sleeping dogs).
CAMPAIGN_EFFECTS = {
    #                   family premium deal  outdoor young gifters
    "discount":       (0.06, -0.12, 0.14, 0.04, 0.06, 0.02),
    "new_collection": (0.03, 0.07, 0.00, 0.05, 0.03, 0.03),
    "loyalty":        (0.05, 0.01, 0.02, 0.02, 0.04, 0.00),
    "reactivation":   (0.08, -0.06, 0.10, 0.04, 0.03, -0.05),
}

# campaign_id, send date, channel, type, name, offer, audience rule, control share, cost per contact (euros)
CAMPAIGNS = [
    ("K01", "2023-03-09", "email", "new_collection", "Spring collection", "new spring collection", "active12", 0.10, 0.05),
    ("K02", "2023-04-20", "sms", "discount", "Garden weekend", "-20 % on garden and outdoor", "all", 0.05, 0.12),
    ("K03", "2023-06-01", "email", "loyalty", "Double club points", "double points for a week", "active12", 0.15, 0.05),
    ("K04", "2023-08-17", "email", "discount", "Back to school", "-20 % on kids and kitchen", "all", 0.10, 0.05),
    ("K05", "2023-10-05", "sms", "reactivation", "We miss you", "-15 % voucher", "lapsed6", 0.20, 0.12),
    ("K06", "2023-11-09", "email", "new_collection", "Christmas gift guide", "gift guide", "all", 0.05, 0.05),
    ("K07", "2023-11-24", "email", "discount", "Black Friday", "-30 % on everything", "all", 0.10, 0.05),
    ("K08", "2024-02-08", "email", "loyalty", "Club birthday", "a gift for club members", "active12", 0.10, 0.05),
    ("K09", "2024-03-21", "sms", "new_collection", "Spring is here", "new spring collection", "active12", 0.15, 0.12),
    ("K10", "2024-05-02", "email", "discount", "Garden days", "-25 % on garden", "all", 0.05, 0.05),
    ("K11", "2024-06-13", "email", "reactivation", "Summer comeback", "-15 % voucher", "lapsed6", 0.20, 0.05),
    ("K12", "2024-08-29", "sms", "discount", "Autumn sale", "-20 % on home textiles", "active12", 0.10, 0.12),
    ("K13", "2024-10-10", "email", "new_collection", "Autumn lights", "new lighting collection", "all", 0.10, 0.05),
    ("K14", "2024-11-29", "email", "discount", "Black Friday", "-30 % on everything", "all", 0.05, 0.05),
    ("K15", "2025-02-13", "email", "loyalty", "Club points bonus", "triple points on one purchase", "active12", 0.15, 0.05),
    ("K16", "2025-03-27", "sms", "reactivation", "We miss you", "-15 % voucher", "lapsed6", 0.20, 0.12),
    ("K17", "2025-05-08", "email", "discount", "Garden weekend", "-20 % on garden and outdoor", "all", 0.10, 0.05),
    ("K18", "2025-08-21", "email", "new_collection", "Autumn collection", "new autumn collection", "active12", 0.10, 0.05),
    ("K19", "2025-10-02", "sms", "loyalty", "Club evening", "members' evening invitation", "active12", 0.15, 0.12),
    ("K20", "2025-11-28", "email", "discount", "Black Friday", "-30 % on everything", "all", 0.05, 0.05),
]
AUDIENCE_TEXT = {"all": "all club members with consent for the channel",
                 "active12": "members with consent who bought in the last 12 months",
                 "lapsed6": "members with consent who have not bought for 6 months"}
RESPONSE_WINDOW_DAYS = 14
MAX_AUDIENCE = 6000

SURVEY_DRIVERS = {"rating_range": 0.9, "rating_staff": 0.7, "rating_delivery": 0.5, "rating_price": 0.35, "rating_app": 0.1}

# --------------------------------------------------------------------------- reference data
TOWNS = [  # town, store, first code, last code, area of the first half, of the second half, weight
    ("Helsinki", "S1", 100, 990, "city", "suburb", 3.0),
    ("Espoo", "S2", 2100, 2380, "suburb", "suburb", 1.5),
    ("Kirkkonummi", "S2", 2400, 2490, "rural", "rural", 0.4),
    ("Nurmijärvi", "S1", 1800, 1990, "rural", "rural", 0.6),
    ("Tampere", "S3", 33100, 33720, "city", "suburb", 1.6),
    ("Kangasala", "S3", 36200, 36290, "rural", "rural", 0.4),
    ("Lempäälä", "S3", 37500, 37570, "rural", "rural", 0.3),
    ("Turku", "S4", 20100, 20960, "city", "suburb", 1.3),
    ("Lieto", "S4", 21420, 21490, "rural", "rural", 0.3),
    ("Oulu", "S5", 90100, 90420, "city", "suburb", 1.3),
    ("Kempele", "S5", 90440, 90460, "rural", "rural", 0.3),
    ("Kuopio", "S6", 70100, 70940, "city", "suburb", 0.9),
    ("Siilinjärvi", "S6", 71800, 71850, "rural", "rural", 0.3),
]
STORES = [("S1", "Kotiranta Helsinki", "Helsinki"), ("S2", "Kotiranta Espoo", "Espoo"),
          ("S3", "Kotiranta Tampere", "Tampere"), ("S4", "Kotiranta Turku", "Turku"),
          ("S5", "Kotiranta Oulu", "Oulu"), ("S6", "Kotiranta Kuopio", "Kuopio")]

COST_RATIO = {"home_textiles": 0.45, "kitchen": 0.55, "lighting": 0.50, "decor": 0.42,
              "garden": 0.58, "outdoor": 0.58, "kids": 0.55, "food_gifts": 0.62}
PRODUCTS = {  # name: list price in euros
    "home_textiles": {"Linen towel": 19.9, "Bath towel set": 39.9, "Duvet": 89.0, "Duvet cover set": 59.0,
                      "Wool blanket": 79.0, "Cushion cover": 14.9, "Curtain pair": 49.0, "Rug 160x230": 149.0,
                      "Bed sheet": 24.9, "Table cloth": 29.9, "Bathrobe": 69.0, "Pillow": 34.9},
    "kitchen": {"Coffee maker": 79.0, "Coffee filters": 3.9, "Cast-iron pan": 59.0, "Oven gloves": 12.9,
                "Knife set": 99.0, "Cutting board": 24.9, "Mug set": 29.9, "Dinner plate set": 49.0,
                "Kettle": 45.0, "Glass jars": 14.9, "Baking tin": 16.9, "Stand mixer": 249.0},
    "lighting": {"Floor lamp": 129.0, "LED bulb 3-pack": 9.9, "Table lamp": 69.0, "Pendant lamp": 159.0,
                 "String lights": 19.9, "Wall lamp": 79.0, "Candle lantern": 24.9, "Reading lamp": 49.0,
                 "Solar garden lights": 29.9, "Lamp shade": 34.9, "Smart plug": 19.9, "Ceiling light": 99.0},
    "decor": {"Vase": 39.0, "Scented candle": 12.9, "Photo frame": 14.9, "Wall mirror": 119.0,
              "Plant pot": 19.9, "Artificial plant": 29.9, "Poster": 24.9, "Wall clock": 49.0,
              "Decorative tray": 29.9, "Storage basket": 22.9, "Candle holder": 17.9, "Wall shelf": 59.0},
    "garden": {"Gas grill": 399.0, "Grill tools set": 29.9, "Garden hose": 34.9, "Seed mix": 4.9,
               "Plant soil 40 l": 7.9, "Lawn mower": 299.0, "Garden gloves": 9.9, "Pruning shears": 24.9,
               "Flower pot large": 39.0, "Garden chair": 59.0, "Watering can": 14.9, "Fertiliser": 11.9},
    "outdoor": {"Tent (2-person)": 189.0, "Sleeping bag": 89.0, "Backpack 40 l": 99.0, "Hiking socks": 14.9,
                "Camping stove": 49.0, "Thermos": 29.9, "Headlamp": 24.9, "Rain jacket": 119.0,
                "Trekking poles": 59.0, "Sit pad": 9.9, "Water bottle": 19.9, "First-aid kit": 24.9},
    "kids": {"Baby blanket": 29.9, "Soft toy bear": 19.9, "Building blocks": 39.0, "Kids' plate set": 16.9,
             "Night light": 24.9, "Puzzle": 14.9, "Kids' rain suit": 49.0, "Board game": 34.9,
             "Crayons": 6.9, "Kids' backpack": 29.9, "Bath toys": 12.9, "Play tent": 59.0},
    "food_gifts": {"Christmas candles": 9.9, "Christmas chocolate box": 14.9, "Coffee beans 500 g": 12.9,
                   "Tea selection": 16.9, "Jam gift set": 19.9, "Licorice box": 7.9, "Gift card 50 €": 50.0,
                   "Honey jar": 9.9, "Cookie tin": 12.9, "Spice set": 24.9, "Sauna gift set": 29.9,
                   "Wrapping paper": 4.9},
}
ASSOCIATIONS = [  # antecedent name, consequent name, probability that the consequent joins the basket
    ("Coffee maker", "Coffee filters", 0.60), ("Duvet", "Duvet cover set", 0.50),
    ("Gas grill", "Grill tools set", 0.55), ("Tent (2-person)", "Sleeping bag", 0.50),
    ("Floor lamp", "LED bulb 3-pack", 0.50), ("Baby blanket", "Soft toy bear", 0.40),
    ("Cast-iron pan", "Oven gloves", 0.40), ("Christmas candles", "Christmas chocolate box", 0.45),
]
FIRST_NAMES = ["Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Maria", "Mikko", "Noora", "Olli", "Pia",
               "Sami", "Sanna", "Teemu", "Tiina", "Ville", "Elina", "Antti", "Johanna", "Jari", "Leena",
               "Matti", "Minna", "Pekka", "Riikka", "Timo", "Hanna", "Kalle", "Laura", "Onni", "Emma", "Leo"]
LAST_NAMES = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
              "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi",
              "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen"]


def _rngs(seed: int, n: int) -> list[np.random.Generator]:
    """Independent random streams, so a change in one part leaves the others as they were."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _days(ts: pd.Timestamp) -> int:
    return int((ts - DATA_START).days)


def _date(days) -> pd.Series:
    return DATA_START + pd.to_timedelta(np.floor(np.asarray(days, dtype=float)), unit="D")


# --------------------------------------------------------------------------- building blocks
def make_postal_codes() -> pd.DataFrame:
    """The reference list of postal codes served, with town and area type."""
    rows = []
    for town, store, first, last, area1, area2, _w in TOWNS:
        codes = list(range(first, last + 1, 10))
        half = len(codes) // 2
        for i, code in enumerate(codes):
            rows.append((f"{code:05d}", town, area1 if i < half else area2, store))
    return pd.DataFrame(rows, columns=["postal_code", "town", "area_type", "store_id"])


def make_products() -> pd.DataFrame:
    """The product catalogue: id, name, category, list price and unit cost (euros)."""
    rows = []
    for category in CATEGORIES:
        for name, price in PRODUCTS[category].items():
            rows.append((name, category, price, round(price * COST_RATIO[category], 2)))
    df = pd.DataFrame(rows, columns=["name", "category", "price", "unit_cost"])
    df.insert(0, "product_id", [f"P{i + 1:03d}" for i in range(len(df))])
    return df


def _seasonality(seg: Segment) -> np.ndarray:
    """Monthly intensity normalised to a day-weighted mean of 1."""
    days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    s = np.array(seg.season, dtype=float)
    return s / np.average(s, weights=days)


def make_persons(rng: np.random.Generator, postal: pd.DataFrame) -> pd.DataFrame:
    """Latent and observed attributes of every person (one row per real customer)."""
    n = N_PERSONS
    shares = np.array([s.share for s in SEGMENTS])
    seg = rng.choice(len(SEGMENTS), size=n, p=shares / shares.sum())
    # sign-up day: growing club, more sign-ups before Christmas
    day_grid = np.arange(_days(SIGNUP_END) + 1)
    months = (DATA_START + pd.to_timedelta(day_grid, unit="D")).month.to_numpy()
    weight = (1 + day_grid / day_grid.max()) * np.where(months == 12, 1.5, np.where(months == 11, 1.2, 1.0))
    signup = np.sort(rng.choice(day_grid, size=n, p=weight / weight.sum()))
    rng.shuffle(seg)  # segments independent of sign-up order
    p = pd.DataFrame({"segment_idx": seg, "signup_day": signup})
    g = lambda attr: np.array([getattr(SEGMENTS[i], attr) for i in range(len(SEGMENTS))])  # noqa: E731
    p["segment"] = np.array([s.name for s in SEGMENTS])[seg]
    # satisfaction and driver ratings (survey truth); satisfaction lowers dropout
    drivers = {}
    for k, name in enumerate(SURVEY_DRIVERS):
        base = 3.4 + 0.35 * g("satisfaction")[seg] + rng.normal(0, 0.9, n)
        drivers[name] = np.clip(np.rint(base), 1, 5).astype(int)
    latent = sum(w * (drivers[d] - 3.4) for d, w in SURVEY_DRIVERS.items()) + rng.normal(0, 0.8, n)
    p["satisfaction"] = (latent - latent.mean()) / latent.std()
    for name, values in drivers.items():
        p[name] = values
    # purchase rate (per week), dropout, spend level (euros per order), discount propensity
    shape = 2.0
    p["purchase_rate"] = rng.gamma(shape, 1.3 * g("rate")[seg] / shape)
    mean_p = g("dropout")[seg]
    a = 2.0
    dropout = rng.beta(a, a * (1 - mean_p) / mean_p) * np.exp(-0.3 * p["satisfaction"].to_numpy())
    p["dropout_p"] = np.clip(dropout, 0.005, 0.9)
    p["spend_level"] = rng.gamma(4.0, g("spend")[seg] / 4.0)
    disc = g("discount")[seg]
    p["discount_propensity"] = np.clip(rng.beta(4 * disc + 0.1, 4 * (1 - disc) + 0.1), 0, 0.98)
    p["response_multiplier"] = np.exp(rng.normal(0, 0.35, n))
    # channel and category preferences around the segment's
    chan = np.array([s.channel for s in SEGMENTS])[seg] * 12 + 0.2
    p[[f"pref_{c}" for c in CHANNELS]] = _dirichlet(rng, chan)
    cats = np.array([s.categories for s in SEGMENTS])[seg]
    cats = cats / cats.sum(1, keepdims=True) * 10 + 0.05
    p[[f"pref_{c}" for c in CATEGORIES]] = _dirichlet(rng, cats)
    # register attributes
    ages = np.array([s.age for s in SEGMENTS])[seg]
    p["age_band"] = np.array(AGE_BANDS)[_choice_rows(rng, ages)]
    areas = np.array([s.area for s in SEGMENTS])[seg]
    area = np.array(AREA_TYPES)[_choice_rows(rng, areas)]
    town_w = {t[0]: t[6] for t in TOWNS}
    postal = postal.assign(w=postal["town"].map(town_w))
    codes = np.empty(n, dtype=object)
    for a_type in AREA_TYPES:
        ref = postal[postal["area_type"] == a_type]
        mask = area == a_type
        codes[mask] = rng.choice(ref["postal_code"].to_numpy(), size=mask.sum(), p=(ref["w"] / ref["w"].sum()).to_numpy())
    p["postal_code"] = codes
    p = p.merge(postal[["postal_code", "area_type", "store_id"]], on="postal_code", how="left")
    return p


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Row-wise Dirichlet draws for a matrix of concentration parameters."""
    x = rng.gamma(alpha)
    return x / x.sum(axis=1, keepdims=True)


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x categories) weight matrix."""
    cum = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cum).sum(1), probs.shape[1] - 1)


def simulate_purchase_days(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """Purchase events (continuous day offsets) of every person up to FUTURE_END.

    The first purchase is at sign-up. Repeat purchases follow a Poisson process
    at the person's rate (with the segment's seasonality, by thinning); after
    each repeat purchase the person leaves for good with probability
    ``dropout_p`` (the BG/NBD story of Fader, Hardie & Lee 2005).
    """
    horizon = _days(FUTURE_END) + 1 - persons["signup_day"].to_numpy()
    seas = np.array([_seasonality(s) for s in SEGMENTS])  # (segments, 12)
    seg = persons["segment_idx"].to_numpy()
    peak = seas.max(axis=1)[seg]
    lam_day = persons["purchase_rate"].to_numpy() / 7
    n_cand = rng.poisson(lam_day * peak * horizon)
    owner = np.repeat(np.arange(len(persons)), n_cand)
    t = persons["signup_day"].to_numpy()[owner] + rng.random(owner.size) * horizon[owner]
    month = (DATA_START + pd.to_timedelta(np.floor(t), unit="D")).month.to_numpy() - 1
    keep = rng.random(owner.size) < seas[seg[owner], month] / peak[owner]
    ev = pd.DataFrame({"person": owner[keep], "t": t[keep]}).sort_values(["person", "t"], kind="stable")
    ev["rank"] = ev.groupby("person").cumcount() + 1
    lifetime_purchases = rng.geometric(persons["dropout_p"].to_numpy())  # dies after this repeat purchase
    ev = ev[ev["rank"] <= lifetime_purchases[ev["person"].to_numpy()]]
    first_time = rng.random(len(persons)) * 0.98  # time of day of the first purchase
    first = pd.DataFrame({"person": np.arange(len(persons)), "t": persons["signup_day"].to_numpy() + first_time, "rank": 0})
    ev = pd.concat([first, ev], ignore_index=True).sort_values(["person", "t"], kind="stable", ignore_index=True)
    ev["source"] = "organic"
    persons["lifetime_purchases"] = lifetime_purchases
    return ev


def alive_at(persons: pd.DataFrame, events: pd.DataFrame, day: float) -> np.ndarray:
    """True when a person has signed up and has not yet made their last purchase before ``day``."""
    org = events[(events["source"] == "organic") & (events["rank"] > 0) & (events["t"] < day)]
    repeats = np.bincount(org["person"], minlength=len(persons))
    joined = persons["signup_day"].to_numpy() < day
    return joined & (repeats < persons["lifetime_purchases"].to_numpy())


def add_consents(rng: np.random.Generator, persons: pd.DataFrame) -> None:
    """Contact details and per-channel marketing consents (with the day recorded)."""
    n = len(persons)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    persons["name"] = np.char.add(np.char.add(first.astype(str), " "), last.astype(str))
    ascii_ = str.maketrans("äöå", "aoa")
    local = pd.Series(np.char.add(np.char.add(first.astype(str), "."), last.astype(str))).str.lower().str.translate(ascii_)
    email = local + (np.arange(n) + 1).astype(str) + "@example.fi"
    has_email = rng.random(n) > 0.07
    persons["email"] = email.where(has_email, None)
    young = persons["age_band"].isin(YOUNG).to_numpy()
    persons["consent_email"] = np.where(has_email & (rng.random(n) < np.where(young, 0.85, 0.75)), YES, NO)
    sms = rng.random(n) < np.where(young, 0.6, 0.4)
    has_phone = sms | (rng.random(n) < 0.8)
    numbers = rng.choice(10**7, size=n, replace=False)
    persons["phone"] = pd.Series([f"+35840{x:07d}" for x in numbers]).where(has_phone, None)
    persons["consent_sms"] = np.where(sms, YES, NO)
    persons["consent_post"] = np.where(rng.random(n) < 0.3, YES, NO)
    last_day = _days(OBSERVATION_END)
    for ch in CONSENT_CHANNELS:
        later = rng.random(n) < 0.2
        day = persons["signup_day"].to_numpy() + np.where(later, rng.integers(1, 400, n), 0)
        persons[f"consent_{ch}_day"] = np.minimum(day, last_day)


def run_campaigns(rng: np.random.Generator, persons: pd.DataFrame, events: pd.DataFrame):
    """Send the campaigns with random control groups and apply their true effects.

    For a treated member who is still alive at the send date, a positive effect
    ``e`` is the chance of an extra purchase in the response window; a negative
    one is the chance that the message puts the member off, removing the
    purchases they would have made in the window. The exact change in the
    probability of buying in the window is the member's ``true_effect``.
    """
    organic = events.copy()
    seas = np.array([_seasonality(s) for s in SEGMENTS])
    seg = persons["segment_idx"].to_numpy()
    young = persons["age_band"].isin(YOUNG).to_numpy()
    members, added = [], []
    for cid, date, channel, kind, *_ in CAMPAIGNS:
        send = _days(pd.Timestamp(date))
        window = RESPONSE_WINDOW_DAYS
        consent = persons[f"consent_{channel}"].eq(YES).to_numpy().copy()
        if channel == "sms":
            consent &= persons["phone"].notna().to_numpy()
        before = events[events["t"] < send]
        last_buy = before.groupby("person")["t"].max().reindex(range(len(persons))).to_numpy()
        audience_rule, share = [(c[6], c[7]) for c in CAMPAIGNS if c[0] == cid][0]
        ok = consent & (persons["signup_day"].to_numpy() < send - 7)
        if audience_rule == "active12":
            ok &= last_buy >= send - 365
        elif audience_rule == "lapsed6":
            ok &= last_buy < send - 182
        idx = np.flatnonzero(ok)
        if idx.size > MAX_AUDIENCE:
            idx = np.sort(rng.choice(idx, MAX_AUDIENCE, replace=False))
        control = np.zeros(idx.size, bool)
        control[rng.permutation(idx.size)[: int(round(share * idx.size))]] = True
        alive = alive_at(persons, organic, send)[idx]
        month = pd.Timestamp(date).month - 1
        lam = persons["purchase_rate"].to_numpy()[idx] / 7 * seas[seg[idx], month] * window
        p0 = 1 - np.exp(-lam)
        effect = np.array(CAMPAIGN_EFFECTS[kind])[seg[idx]] * persons["response_multiplier"].to_numpy()[idx]
        if channel == "sms":
            effect = np.where(young[idx] & (effect > 0), effect * 1.4, effect)
        push, put_off = np.clip(effect, 0, 0.9), np.clip(-effect, 0, 0.9)
        true_effect = alive * (push * (1 - p0) - put_off * p0)
        treated = ~control & alive
        u = rng.random(idx.size)
        pushed = treated & (u < push)
        offended = treated & (u < put_off)
        if offended.any():
            gone = events["person"].isin(idx[offended]) & events["t"].between(send, send + window, inclusive="left")
            events = events[~gone]
        extra = pd.DataFrame({"person": idx[pushed], "t": send + 0.35 + rng.random(pushed.sum()) * (window - 1),
                              "rank": -1, "source": cid})
        added.append(extra)
        events = pd.concat([events, extra], ignore_index=True)
        members.append(pd.DataFrame({"campaign_id": cid, "person": idx, "group": np.where(control, CONTROL, TREATMENT),
                                     "true_effect": true_effect, "expected_organic": alive * lam,
                                     "push": alive * push, "put_off": alive * put_off}))
    events = events.sort_values(["person", "t"], kind="stable", ignore_index=True)
    return events, pd.concat(members, ignore_index=True)


def build_order_lines(rng: np.random.Generator, persons: pd.DataFrame, events: pd.DataFrame,
                      products: pd.DataFrame) -> pd.DataFrame:
    """Turn purchase events into order lines (channel, store, products, discounts, margin)."""
    n_ev = len(events)
    person = events["person"].to_numpy()
    chan_idx = _choice_rows(rng, persons[[f"pref_{c}" for c in CHANNELS]].to_numpy()[person])
    n_lines = 1 + rng.poisson(0.5, n_ev)
    ev_id = np.repeat(np.arange(n_ev), n_lines)
    lp = person[ev_id]
    cat = _choice_rows(rng, persons[[f"pref_{c}" for c in CATEGORIES]].to_numpy()[lp])
    # within a category, products near the person's price level are likelier
    n_bins = 12
    log_spend = np.log(persons["spend_level"].to_numpy())
    edges = np.quantile(log_spend, np.linspace(0, 1, n_bins + 1)[1:-1])
    sbin = np.searchsorted(edges, log_spend)
    target = np.array([np.exp(np.median(log_spend[sbin == b])) / 1.5 for b in range(n_bins)])
    price = products["price"].to_numpy()
    pcat = products["category"].map({c: i for i, c in enumerate(CATEGORIES)}).to_numpy()
    popularity = np.ones(len(products))
    for c in range(len(CATEGORIES)):
        k = np.flatnonzero(pcat == c)
        popularity[k] = 1 / (1 + rng.permutation(k.size)) ** 0.7
    weights = np.zeros((n_bins * len(CATEGORIES), len(products)))
    for b in range(n_bins):
        aff = np.exp(-((np.log(price) - np.log(target[b])) ** 2) / (2 * 0.9**2))
        for c in range(len(CATEGORIES)):
            weights[b * len(CATEGORIES) + c] = popularity * aff * (pcat == c)
    cdf = np.cumsum(weights / weights.sum(1, keepdims=True), axis=1)
    row = sbin[lp] * len(CATEGORIES) + cat
    flat = (cdf + np.arange(len(cdf))[:, None]).ravel()
    prod = np.searchsorted(flat, rng.random(row.size) * 0.999999 + row, side="right") - row * len(products)
    prod = np.clip(prod, 0, len(products) - 1)
    lines = pd.DataFrame({"ev": ev_id, "product": prod})
    # planted associations: the consequent joins the basket with a given probability
    name_to_idx = {n: i for i, n in enumerate(products["name"])}
    extra = []
    for ante, cons, prob in ASSOCIATIONS:
        has = lines.loc[lines["product"] == name_to_idx[ante], "ev"].to_numpy()
        joined = has[rng.random(has.size) < prob]
        extra.append(pd.DataFrame({"ev": joined, "product": name_to_idx[cons]}))
    lines = pd.concat([lines, *extra], ignore_index=True).drop_duplicates(["ev", "product"])
    lines = lines.sort_values(["ev", "product"], kind="stable", ignore_index=True)
    lp = person[lines["ev"].to_numpy()]
    lprice = price[lines["product"].to_numpy()]
    qty = np.where(lprice < 15, 1 + rng.poisson(0.6, len(lines)), np.where(rng.random(len(lines)) < 0.08, 2, 1))
    deep = np.array([s.deep_discounts for s in SEGMENTS])[persons["segment_idx"].to_numpy()[lp]]
    promo = rng.random(len(lines)) < persons["discount_propensity"].to_numpy()[lp]
    rate = np.where(deep, rng.choice([0.3, 0.4, 0.5], len(lines)), rng.choice([0.1, 0.2, 0.3], len(lines))) * promo
    src = events["source"].to_numpy()[lines["ev"].to_numpy()]
    kinds = {c[0]: c[3] for c in CAMPAIGNS}
    camp_rate = pd.Series(src).map(lambda s: {"discount": 0.2, "reactivation": 0.15}.get(kinds.get(s), 0.0)).to_numpy()
    rate = np.maximum(rate, camp_rate)
    gross = qty * lprice
    amount = np.round(gross * (1 - rate), 2)
    cost = qty * products["unit_cost"].to_numpy()[lines["product"].to_numpy()]
    ev = lines["ev"].to_numpy()
    t = events["t"].to_numpy()[ev]
    frac = t - np.floor(t)
    ch = chan_idx[ev]
    hours = np.where(ch == 0, 10 + frac * 10, 7 + frac * 16)
    out = pd.DataFrame({
        "ev": ev, "person": lp, "t": t,
        "timestamp": _date(t) + pd.to_timedelta(np.round(hours * 3600), unit="s"),
        "channel": np.array(CHANNELS)[ch],
        "store_id": np.where(ch == 0, persons["store_id"].to_numpy()[lp], None),
        "product_id": products["product_id"].to_numpy()[lines["product"].to_numpy()],
        "category": products["category"].to_numpy()[lines["product"].to_numpy()],
        "quantity": qty, "amount": amount, "discount": np.round(gross - amount, 2),
        "margin": np.round(amount - cost, 2), "source": src,
    })
    # all lines of one order share the order's timestamp
    out["timestamp"] = out.groupby("ev")["timestamp"].transform("first")
    return out


def add_returns(rng: np.random.Generator, persons: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Returned lines become return orders (negative quantity, amount and margin) 3-30 days later."""
    seg = persons["segment_idx"].to_numpy()[lines["person"].to_numpy()]
    p_ret = np.array([s.returns for s in SEGMENTS])[seg]
    back = lines[rng.random(len(lines)) < p_ret].copy()
    per_event = pd.Series(rng.integers(3, 31, back["ev"].nunique()), index=np.sort(back["ev"].unique()))
    delay = back["ev"].map(per_event).to_numpy()
    back["t"] = back["t"] + delay
    back["timestamp"] = back["timestamp"] + pd.to_timedelta(delay, unit="D")
    back["ev"] = -1 - back["ev"]  # a return is its own order
    for col in ["quantity", "amount", "margin"]:
        back[col] = -back[col]
    back["discount"] = 0.0
    back["source"] = "return"
    return pd.concat([lines, back], ignore_index=True)


def make_survey(rng: np.random.Generator, persons: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """NPS/CES survey after a purchase: scores from the latent satisfaction and driver ratings."""
    buyers = sales.drop_duplicates("ev")[["person", "t"]]
    chosen = rng.choice(np.sort(buyers["person"].unique()), size=3500, replace=False)
    last = _days(OBSERVATION_END)
    pick = buyers[buyers["person"].isin(chosen)].sample(frac=1, random_state=int(rng.integers(1 << 31)))
    pick = pick.drop_duplicates("person").sort_values("person")
    day = np.minimum(np.floor(pick["t"].to_numpy()) + rng.integers(1, 11, len(pick)), last)
    p = persons.loc[pick["person"].to_numpy()]
    z = p["satisfaction"].to_numpy()
    nps = np.clip(np.rint(8.0 + 1.5 * z + rng.normal(0, 0.9, len(p))), 0, 10).astype(int)
    ces = np.clip(np.rint(5.0 + 0.5 * (p["rating_delivery"] - 3.4) + 0.5 * (p["rating_app"] - 3.4)
                          + 0.3 * z + rng.normal(0, 1.0, len(p))), 1, 7).astype(int)
    out = pd.DataFrame({"person": pick["person"].to_numpy(), "date": _date(day), "nps": nps, "ces": ces})
    for d in ["rating_range", "rating_price", "rating_staff", "rating_delivery", "rating_app"]:
        out[d] = p[d].to_numpy()
    out = out.sort_values(["date", "person"], kind="stable", ignore_index=True)
    out.insert(0, "response_id", [f"R{i + 1:05d}" for i in range(len(out))])
    return out


def make_referrals(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """Member-gets-member referrals; satisfied members refer more, a few ambassadors refer a lot."""
    n = len(persons)
    sat = persons["satisfaction"].to_numpy()
    signup = persons["signup_day"].to_numpy()  # sorted ascending
    candidates = np.flatnonzero((sat > 1.0) & (signup < 300))
    ambassadors = np.sort(rng.choice(candidates, 15, replace=False))
    weight = np.exp(0.7 * sat)
    weight[ambassadors] *= 150
    persons["is_ambassador"] = False
    persons.loc[ambassadors, "is_ambassador"] = True
    referred = np.flatnonzero((signup > 60) & (rng.random(n) < 0.12))
    cum = np.cumsum(weight)
    # eligible referrers signed up before the referred person (persons are sorted by sign-up)
    n_before = np.searchsorted(signup, signup[referred], side="left")
    ok = n_before > 0
    referred, n_before = referred[ok], n_before[ok]
    u = rng.random(referred.size) * cum[n_before - 1]
    referrer = np.searchsorted(cum, u, side="right")
    return pd.DataFrame({"referrer": referrer, "referred": referred, "date": _date(signup[referred])})


HOLDER_TYPES = {  # share, visits per summer, age bands, adults, children, food, rides, shows (euros per visit)
    "families": (0.34, 3.0, ["25-34", "35-44"], (1, 2), (1, 3), 30, 25, 5),
    "teens": (0.12, 3.6, ["13-17"], (0, 0), (1, 1), 12, 20, 2),
    "culture_lovers": (0.10, 2.3, ["45-54", "55-64", "65+"], (1, 2), (0, 0), 15, 4, 25),
    "indulgers": (0.15, 2.6, ["25-34", "35-44", "45-54"], (2, 2), (0, 0), 48, 10, 8),
    "friend_groups": (0.19, 2.5, ["18-24", "25-34"], (3, 4), (0, 0), 35, 30, 5),
    "business": (0.10, 1.7, ["35-44", "45-54"], (4, 6), (0, 0), 70, 5, 20),
}
PARK_SEASONS = list(range(2019, 2026))
NEW_HOLDERS = [520, 570, 630, 680, 720, 750, 780]
THREE_VISIT_CHURN_MULTIPLIER = 0.4
VOUCHER_EXTRA_VISIT = 0.45
PASS_PRICE_ADULT, PASS_PRICE_CHILD = 119.0, 89.0
PARK_CONTROL_SHARE = 0.3


def make_park(rng: np.random.Generator):
    """Aurora Park season passes: holders, seasons (visits, spend, renewal) and the 2024 trigger test."""
    names = list(HOLDER_TYPES)
    shares = np.array([HOLDER_TYPES[k][0] for k in names])
    first = np.repeat(PARK_SEASONS, NEW_HOLDERS)
    n = first.size
    kind = rng.choice(len(names), n, p=shares / shares.sum())
    theta = rng.beta(1.2, 2.2, n)  # churn probability per season (sBG heterogeneity)
    mu = np.array([HOLDER_TYPES[k][1] for k in names])[kind] * np.exp(-1.2 * (theta - 0.3) + rng.normal(0, 0.25, n))
    holders = pd.DataFrame({"holder_id": [f"H{i + 1:05d}" for i in range(n)], "first_season": first})
    holders["age_band"] = [rng.choice(HOLDER_TYPES[names[k]][2]) for k in kind]
    holders["adults"] = [rng.integers(HOLDER_TYPES[names[k]][3][0], HOLDER_TYPES[names[k]][3][1] + 1) for k in kind]
    holders["children"] = [rng.integers(HOLDER_TYPES[names[k]][4][0], HOLDER_TYPES[names[k]][4][1] + 1) for k in kind]
    area_p = {"families": (0.3, 0.5, 0.2), "business": (0.7, 0.2, 0.1)}
    holders["home_area"] = [AREA_TYPES[rng.choice(3, p=area_p.get(names[k], (0.45, 0.35, 0.2)))] for k in kind]
    seasons, campaign = [], []
    active = np.zeros(n, bool)
    renewed_2025 = np.full(n, -1)
    for season in PARK_SEASONS + [2026]:
        active |= first == season
        if season == 2026:
            break
        idx = np.flatnonzero(active)
        v_before = rng.poisson(0.7 * mu[idx])
        v_after = rng.poisson(0.3 * mu[idx])
        if season == 2024:
            eligible = v_before == 2
            e_idx = np.flatnonzero(eligible)
            control = np.zeros(e_idx.size, bool)
            control[rng.permutation(e_idx.size)[: int(round(PARK_CONTROL_SHARE * e_idx.size))]] = True
            extra = ~control & (v_after[e_idx] == 0) & (rng.random(e_idx.size) < VOUCHER_EXTRA_VISIT)
            v_after[e_idx[extra]] = 1
            p_no_later = np.exp(-0.3 * mu[idx[e_idx]])
            eff_visit = VOUCHER_EXTRA_VISIT * p_no_later
            eff_renew = eff_visit * theta[idx[e_idx]] * (1 - THREE_VISIT_CHURN_MULTIPLIER)
            campaign.append(pd.DataFrame({"holder": idx[e_idx], "group": np.where(control, CONTROL, TREATMENT),
                                          "true_effect_third_visit": eff_visit, "true_effect_renewal": eff_renew}))
        visits = v_before + v_after
        churn = theta[idx] * np.where(visits >= 3, THREE_VISIT_CHURN_MULTIPLIER, 1.0)
        renewed = (rng.random(idx.size) >= churn).astype(int)
        per_visit = np.array([HOLDER_TYPES[names[k]][5:8] for k in kind[idx]], dtype=float)
        spend = np.round(visits[:, None] * per_visit * rng.gamma(8, 1 / 8, per_visit.shape), 2)
        price = PASS_PRICE_ADULT * holders["adults"].to_numpy()[idx] + PASS_PRICE_CHILD * holders["children"].to_numpy()[idx]
        seasons.append(pd.DataFrame({"holder": idx, "season": season, "visits": visits, "spend_food": spend[:, 0],
                                     "spend_rides": spend[:, 1], "spend_shows": spend[:, 2], "pass_price": price,
                                     "renewed": renewed}))
        if season == 2025:
            renewed_2025[idx] = renewed
        active[idx[renewed == 0]] = False
    seasons = pd.concat(seasons, ignore_index=True)
    seasons["holder_id"] = holders["holder_id"].to_numpy()[seasons["holder"]]
    seasons["renewed"] = seasons["renewed"].astype("Int64").where(seasons["season"] < 2025)
    seasons = seasons.sort_values(["holder_id", "season"], ignore_index=True)
    seasons = seasons[["holder_id", "season", "visits", "spend_food", "spend_rides", "spend_shows", "pass_price", "renewed"]]
    camp = pd.concat(campaign, ignore_index=True)
    camp["holder_id"] = holders["holder_id"].to_numpy()[camp["holder"]]
    s24 = seasons[seasons["season"] == 2024].set_index("holder_id")
    camp["season"] = 2024
    camp["third_visit"] = (s24.loc[camp["holder_id"], "visits"].to_numpy() >= 3).astype(int)
    camp["renewed"] = s24.loc[camp["holder_id"], "renewed"].to_numpy().astype(int)
    camp = camp.sort_values("holder_id", ignore_index=True)
    truth = pd.DataFrame({"holder_id": holders["holder_id"], "holder_type": np.array(names)[kind],
                          "churn_probability": theta, "expected_visits": mu,
                          "renewed_2025": pd.Series(renewed_2025).astype("Int64").where(renewed_2025 >= 0)})
    effects = camp[["holder_id", "group", "true_effect_third_visit", "true_effect_renewal"]]
    return holders, seasons, camp[["holder_id", "season", "group", "third_visit", "renewed"]], truth, effects


def plant_faults(rng: np.random.Generator, customers: pd.DataFrame, orders: pd.DataFrame):
    """Plant the typical register faults of seed text 004 and a few nonsense amounts.

    Returns the faulty tables and the list of faults (``table``, ``key``, ``rule``);
    every fault lands on a different customer, so each row breaks one rule.
    """
    customers = customers.copy()
    orders = orders.copy()
    faults = []
    n = len(customers)
    order = rng.permutation(n)
    has_email = customers["email"].notna().to_numpy()
    sms_yes = customers["consent_sms"].eq(YES).to_numpy()
    email_yes = customers["consent_email"].eq(YES).to_numpy()
    taken = np.zeros(n, bool)

    def pick(k, allowed):
        idx = [i for i in order if allowed[i] and not taken[i]][:k]
        taken[idx] = True
        return np.array(sorted(idx))

    dup_src = pick(60, has_email)
    bad_postal = pick(80, np.ones(n, bool))
    no_consent = pick(120, np.ones(n, bool))
    no_date = pick(40, email_yes)
    no_phone = pick(50, sms_yes)
    bad_date = pick(30, np.ones(n, bool))
    ids = customers["customer_id"].to_numpy()
    # postal codes that are not in the reference list: lost leading zeros and typos
    codes = customers["postal_code"].to_numpy().copy()
    for j, i in enumerate(bad_postal):
        codes[i] = codes[i].lstrip("0") if codes[i].startswith("00") and j % 2 == 0 else \
            ["00000", "99999", "12345", "33999", "7010", "2O100"][j % 6]
    customers["postal_code"] = codes
    customers.loc[bad_postal, "area_type"] = None
    faults += [("customers", ids[i], "unknown_postal_code") for i in bad_postal]
    for j, i in enumerate(no_consent):
        ch = CONSENT_CHANNELS[j % 3]
        customers.loc[i, [f"consent_{ch}", f"consent_{ch}_date"]] = None
    faults += [("customers", ids[i], "missing_consent") for i in no_consent]
    customers.loc[no_date, "consent_email_date"] = None
    faults += [("customers", ids[i], "consent_without_date") for i in no_date]
    customers.loc[no_phone, "phone"] = None
    faults += [("customers", ids[i], "sms_consent_without_phone") for i in no_phone]
    odd = [pd.Timestamp("1900-01-01"), pd.Timestamp("2052-06-14"), pd.Timestamp("2026-03-01")]
    customers.loc[bad_date, "signup_date"] = [odd[j % 3] for j in range(len(bad_date))]
    faults += [("customers", ids[i], "impossible_signup_date") for i in bad_date]
    # duplicates: the same person registered again later (e.g. at a first web order)
    dups = customers.loc[dup_src].copy()
    dups["customer_id"] = [f"C{n + k + 1:05d}" for k in range(len(dups))]
    dups["email"] = dups["email"].str.capitalize()
    sales = orders[(orders["quantity"] > 0) & orders["channel"].isin(["web", "app"])]
    firsts = orders.groupby("customer_id")["timestamp"].min()
    for k, (_, row) in enumerate(customers.loc[dup_src].iterrows()):
        own = sales[(sales["customer_id"] == row["customer_id"]) & (sales["timestamp"] > firsts[row["customer_id"]] + pd.Timedelta(days=1))]
        if len(own):
            start = own["timestamp"].iloc[len(own) // 2]
            moved = (orders["customer_id"] == row["customer_id"]) & (orders["timestamp"] >= start) & orders["channel"].isin(["web", "app"])
            orders.loc[moved, "customer_id"] = dups["customer_id"].iloc[k]
            dups.iloc[k, dups.columns.get_loc("signup_date")] = start.normalize()
        else:
            later = row["signup_date"] + pd.Timedelta(days=int(rng.integers(30, 300)))
            dups.iloc[k, dups.columns.get_loc("signup_date")] = min(later, OBSERVATION_END)
    customers = pd.concat([customers, dups], ignore_index=True)
    faults += [("customers", c, "duplicate_customer") for c in dups["customer_id"]]
    # order lines whose amounts make no sense
    sale_rows = np.flatnonzero((orders["quantity"] > 0).to_numpy())
    chosen = rng.choice(sale_rows, 75, replace=False)
    shift, zero, sign = chosen[:40], chosen[40:60], chosen[60:]
    cost = orders["amount"] - orders["margin"]
    orders.loc[shift, "amount"] = (orders.loc[shift, "amount"] * 100).round(2)
    orders.loc[zero, "discount"] = orders.loc[zero, "discount"] + orders.loc[zero, "amount"]
    orders.loc[zero, "amount"] = 0.0
    orders.loc[sign, "amount"] = -orders.loc[sign, "amount"]
    bad = np.concatenate([shift, zero, sign])
    orders.loc[bad, "margin"] = (orders.loc[bad, "amount"] - cost[bad]).round(2)
    keys = orders["order_id"] + "/" + orders["line_no"].astype(str)
    faults += [("orders", keys[i], "price_above_list") for i in shift]
    faults += [("orders", keys[i], "zero_amount") for i in zero]
    faults += [("orders", keys[i], "amount_sign_mismatch") for i in sign]
    return customers, orders, pd.DataFrame(faults, columns=["table", "key", "rule"])


@dataclass
class SampleData:
    """All tables of the sample data, keyed by file name (without extension)."""

    tables: dict
    truth: dict


def generate(seed: int = SEED) -> SampleData:
    """Generate every table of the sample data and its truth from one seed."""
    r = _rngs(seed, 12)
    postal = make_postal_codes()
    products = make_products()
    persons = make_persons(r[0], postal)
    add_consents(r[1], persons)
    events = simulate_purchase_days(r[2], persons)
    events, members = run_campaigns(r[3], persons, events)
    obs_end = _days(OBSERVATION_END) + 1
    future = events[(events["source"] == "organic") & (events["t"] >= obs_end)]
    future_days = future.assign(day=np.floor(future["t"])).drop_duplicates(["person", "day"])
    persons["purchases_future"] = np.bincount(future_days["person"], minlength=len(persons))
    persons["alive_at_end"] = alive_at(persons, events[events["source"] == "organic"], obs_end)
    lines = build_order_lines(r[4], persons, events[events["t"] < obs_end].reset_index(drop=True), products)
    lines = add_returns(r[5], persons, lines)
    lines = lines[lines["t"] < obs_end]
    # ids: orders in time order
    heads = lines.drop_duplicates("ev")[["ev", "timestamp", "person"]].sort_values(["timestamp", "person", "ev"], kind="stable")
    order_ids = pd.Series([f"O{i + 1:07d}" for i in range(len(heads))], index=heads["ev"].to_numpy())
    lines = lines.assign(order_id=lines["ev"].map(order_ids)).sort_values(["order_id", "product_id"], kind="stable", ignore_index=True)
    lines["line_no"] = lines.groupby("order_id").cumcount() + 1
    cust_ids = np.array([f"C{i + 1:05d}" for i in range(len(persons))])
    lines["customer_id"] = cust_ids[lines["person"].to_numpy()]
    orders = lines[["order_id", "line_no", "customer_id", "timestamp", "channel", "store_id", "product_id",
                    "category", "quantity", "amount", "discount", "margin"]].copy()
    # campaign outcomes, from the order lines of the window (returns excluded)
    campaigns = pd.DataFrame(CAMPAIGNS, columns=["campaign_id", "send_date", "channel", "kind", "name", "offer",
                                                 "audience_rule", "control_share", "cost_per_contact"])
    campaigns["send_date"] = pd.to_datetime(campaigns["send_date"])
    campaigns["audience"] = campaigns["audience_rule"].map(AUDIENCE_TEXT)
    campaigns["response_window_days"] = RESPONSE_WINDOW_DAYS
    sales = lines[lines["quantity"] > 0]
    members = members.merge(campaigns[["campaign_id", "send_date"]], on="campaign_id")
    send_day = (members["send_date"] - DATA_START).dt.days.to_numpy()
    m = members.assign(send_day=send_day).reset_index().merge(
        sales[["person", "t", "amount", "margin", "ev"]], on="person", how="inner")
    m = m[(m["t"] >= m["send_day"]) & (m["t"] < m["send_day"] + RESPONSE_WINDOW_DAYS)]
    agg = m.groupby("index").agg(revenue=("amount", "sum"), margin=("margin", "sum"))
    members["revenue"] = agg["revenue"].reindex(members.index, fill_value=0.0).round(2)
    members["margin"] = agg["margin"].reindex(members.index, fill_value=0.0).round(2)
    members["converted"] = members.index.isin(agg.index).astype(int)
    organic_orders = sales[sales["source"] == "organic"].groupby("ev").agg(person=("person", "first"), amount=("amount", "sum"))
    value = organic_orders.groupby("person")["amount"].mean().reindex(range(len(persons)))
    value = value.fillna(pd.Series(persons["spend_level"].to_numpy())).to_numpy()
    v = value[members["person"].to_numpy()]
    members["true_effect_revenue"] = members["push"] * v - members["put_off"] * members["expected_organic"] * v
    members["customer_id"] = cust_ids[members["person"].to_numpy()]
    # survey, referrals, register
    survey = make_survey(r[6], persons, sales)
    survey.insert(1, "customer_id", cust_ids[survey.pop("person").to_numpy()])
    refs = make_referrals(r[7], persons)
    referrals = pd.DataFrame({"referrer_id": cust_ids[refs["referrer"]], "referred_id": cust_ids[refs["referred"]],
                              "date": refs["date"]}).sort_values(["date", "referred_id"], ignore_index=True)
    spend_2025 = sales[sales["timestamp"] >= "2025-01-01"].groupby("person")["amount"].sum().reindex(range(len(persons)), fill_value=0)
    tier = np.where(spend_2025 >= 800, GOLD, np.where(spend_2025 >= 250, SILVER, BASIC))
    customers = pd.DataFrame({
        "customer_id": cust_ids, "name": persons["name"], "email": persons["email"], "phone": persons["phone"],
        "signup_date": _date(persons["signup_day"]), "postal_code": persons["postal_code"],
        "area_type": persons["area_type"], "age_band": persons["age_band"], "loyalty_tier": tier})
    for ch in CONSENT_CHANNELS:
        customers[f"consent_{ch}"] = persons[f"consent_{ch}"]
        customers[f"consent_{ch}_date"] = _date(persons[f"consent_{ch}_day"])
    customers, orders, faults = plant_faults(r[8], customers, orders)
    holders, seasons, park_campaign, park_truth, park_effects = make_park(r[9])
    # truth
    truth_customers = pd.DataFrame({
        "customer_id": cust_ids, "segment": persons["segment"], "purchase_rate": persons["purchase_rate"],
        "dropout_p": persons["dropout_p"], "spend_mean": persons["spend_level"],
        "discount_propensity": persons["discount_propensity"], "satisfaction": persons["satisfaction"],
        "alive_at_end": persons["alive_at_end"].astype(int), "purchases_future": persons["purchases_future"],
        "is_ambassador": persons["is_ambassador"].astype(int)})
    seg_share = persons["segment"].value_counts(normalize=True)
    segments = pd.DataFrame([{"segment": s.name, "description": s.description, "share": round(seg_share[s.name], 4),
                              "purchase_rate_per_week": s.rate, "dropout_p": s.dropout, "spend_mean_eur": s.spend,
                              "discount_share": s.discount, "return_share": s.returns,
                              "main_channel": CHANNELS[int(np.argmax(s.channel))],
                              "main_categories": ", ".join(np.array(CATEGORIES)[np.argsort(s.categories)[::-1][:3]])}
                             for s in SEGMENTS])
    members = members.sort_values(["campaign_id", "customer_id"], ignore_index=True)
    camp_truth = members.groupby("campaign_id").agg(
        members=("customer_id", "size"), true_effect=("true_effect", "mean"),
        true_effect_revenue=("true_effect_revenue", "mean"), share_sleeping_dogs=("true_effect", lambda s: (s < 0).mean()),
    ).reset_index()
    name_of = products.set_index("name")["product_id"]
    assoc = pd.DataFrame([(name_of[a], a, name_of[c], c, p) for a, c, p in ASSOCIATIONS],
                         columns=["antecedent", "antecedent_name", "consequent", "consequent_name", "probability"])
    drivers = pd.DataFrame({"driver": list(SURVEY_DRIVERS), "weight": list(SURVEY_DRIVERS.values())})
    park_params = pd.DataFrame({"parameter": ["three_visit_churn_multiplier", "voucher_extra_visit_probability",
                                              "churn_beta_alpha", "churn_beta_beta", "pass_price_adult", "pass_price_child"],
                                "value": [THREE_VISIT_CHURN_MULTIPLIER, VOUCHER_EXTRA_VISIT, 1.2, 2.2,
                                          PASS_PRICE_ADULT, PASS_PRICE_CHILD]})
    tables = {
        "customers": customers, "orders": orders, "products": products,
        "stores": pd.DataFrame(STORES, columns=["store_id", "name", "town"]),
        "postal_codes": postal[["postal_code", "town", "area_type"]],
        "campaigns": campaigns[["campaign_id", "name", "send_date", "channel", "offer", "audience", "control_share",
                                "cost_per_contact", "response_window_days"]],
        "campaign_members": members[["campaign_id", "customer_id", "group", "converted", "revenue", "margin"]],
        "survey": survey, "referrals": referrals,
        "park_holders": holders, "park_seasons": seasons, "park_campaign": park_campaign,
    }
    truth = {
        "customers_truth": truth_customers, "segments": segments,
        "campaign_effects": members[["campaign_id", "customer_id", "group", "true_effect", "true_effect_revenue"]],
        "campaigns_truth": camp_truth, "product_associations": assoc, "survey_drivers": drivers,
        "faults": faults, "park_truth": park_truth, "park_effects": park_effects, "park_parameters": park_params,
    }
    return SampleData(tables, truth)


LARGE = {"orders", "campaign_members", "campaign_effects"}


def write(data: SampleData, folder: Path | None = None) -> list[Path]:
    """Write every table as CSV (large ones gzip-compressed with a fixed header time)."""
    folder = Path(folder) if folder else DATA_DIR / "sample"
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    written = []
    for sub, tables, fmt in [("", data.tables, "%.2f"), ("truth", data.truth, "%.6g")]:
        for name, df in tables.items():
            df = df.copy()
            for col in df.columns:
                if pd.api.types.is_datetime64_any_dtype(df[col]):
                    has_time = (df[col].dropna().dt.normalize() != df[col].dropna()).any()
                    df[col] = df[col].dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
            path = folder / sub / (f"{name}.csv.gz" if name in LARGE else f"{name}.csv")
            compression = {"method": "gzip", "mtime": 0, "compresslevel": 9} if name in LARGE else None
            df.to_csv(path, index=False, float_format=fmt, compression=compression, lineterminator="\n")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.synth [FOLDER]``: generate and write the sample data."""
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else DATA_DIR / "sample"
    paths = write(generate(), folder)
    (folder / "READY").write_text(f"generator version {VERSION}, seed {SEED}\n")
    for p in paths:
        print(f"{p.relative_to(folder)}: {p.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
