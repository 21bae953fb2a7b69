"""Purchases of the sample company: the catalogue, purchase days, order lines and returns.

Purchase days follow the "buy till you die" story of the BG/NBD model (Fader,
Hardie & Lee 2005): the first purchase at sign-up; repeat purchases as a
Poisson process at the person's own rate while alive (thinned by the segment's
seasonality); after each repeat purchase the person leaves for good with their
own probability. Each purchase day becomes an order of one or more lines, with
products near the person's price level, planted product associations,
promotions, campaign offers and returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.synth.common import CATEGORIES, Settings, choice_rows
from helpers.synth.latent import seasonality_table, segment_values
from helpers.vocabulary import CHANNELS

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
#: Columns of ``orders.csv``, in order.
ORDER_COLUMNS = ["order_id", "line_no", "customer_id", "timestamp", "channel", "store_id", "product_id",
                 "category", "quantity", "amount", "discount", "margin"]


def make_products(cfg: Settings) -> pd.DataFrame:
    """The product catalogue: id, name, category, list price and unit cost (euros)."""
    rows = []
    for category in CATEGORIES:
        for name, price in PRODUCTS[category].items():
            rows.append((name, category, price, round(price * COST_RATIO[category], 2)))
    df = pd.DataFrame(rows, columns=["name", "category", "price", "unit_cost"])
    df.insert(0, "product_id", cfg.ids.make("product", len(df)))
    return df


def simulate_purchase_days(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """Purchase events (continuous day offsets) of every person up to the end of the hidden future year.

    The first purchase is at sign-up. Repeat purchases follow a Poisson process
    at the person's rate (with the segment's seasonality, by thinning); after
    each repeat purchase the person leaves for good with probability
    ``dropout_p`` (the BG/NBD story of Fader, Hardie & Lee 2005).
    """
    horizon = cfg.days(cfg.future_end) + 1 - persons["signup_day"].to_numpy()
    seas = seasonality_table()  # (segments, 12)
    seg = persons["segment_idx"].to_numpy()
    peak = seas.max(axis=1)[seg]
    lam_day = persons["purchase_rate"].to_numpy() / 7
    n_cand = rng.poisson(lam_day * peak * horizon)
    owner = np.repeat(np.arange(len(persons)), n_cand)
    t = persons["signup_day"].to_numpy()[owner] + rng.random(owner.size) * horizon[owner]
    month = cfg.months(t) - 1
    keep = rng.random(owner.size) < seas[seg[owner], month] / peak[owner]
    ev = pd.DataFrame({"person": owner[keep], "t": t[keep]}).sort_values(["person", "t"], kind="stable")
    ev["rank"] = ev.groupby("person").cumcount() + 1
    lifetime_purchases = rng.geometric(persons["dropout_p"].to_numpy())  # dies after this repeat purchase
    ev = ev[ev["rank"] <= lifetime_purchases[ev["person"].to_numpy()]]
    first_time = rng.random(len(persons)) * 0.98  # time of day of the first purchase
    first = pd.DataFrame({"person": np.arange(len(persons)), "t": persons["signup_day"].to_numpy() + first_time,
                          "rank": 0})
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


@dataclass(frozen=True)
class Taste:
    """How the company's customers choose products: spend-level bins and each bin's product weights.

    Drawn once (with the early members' order lines) and reused for the late
    joiners and the automation's orders, so every customer shops from the same catalogue tastes.
    """

    edges: np.ndarray  # log spend level at the bins' borders
    cdf: np.ndarray  # (bins x categories, products): cumulative choice weights


def build_order_lines(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, events: pd.DataFrame,
                      products: pd.DataFrame, offer_discount: dict, taste: Taste | None = None):
    """Turn purchase events into order lines (channel, store, products, discounts, margin).

    ``offer_discount`` maps an event's source (a campaign id) to the discount
    rate its offer gives; other sources get none. ``persons`` is indexed by the
    events' ``person``; without ``taste`` the catalogue tastes are drawn from
    these persons (the early members).

    Returns
    -------
    lines : DataFrame
        One row per line; ``ev`` is the event's position in ``events``.
    taste : Taste
        The tastes used (drawn, or the ones given).
    """
    person = events["person"].to_numpy()
    chan_idx = choice_rows(rng, persons[[f"pref_{c}" for c in CHANNELS]].to_numpy()[person])
    n_lines = 1 + rng.poisson(0.5, len(events))
    ev_id = np.repeat(np.arange(len(events)), n_lines)
    cat = choice_rows(rng, persons[[f"pref_{c}" for c in CATEGORIES]].to_numpy()[person[ev_id]])
    prod, taste = _choose_products(rng, persons, person[ev_id], cat, products, taste)
    lines = _add_associations(rng, pd.DataFrame({"ev": ev_id, "product": prod}), products)
    lp = person[lines["ev"].to_numpy()]
    qty, amount, discount, margin = _price_lines(rng, persons, lp, lines, products,
                                                 events["source"].to_numpy()[lines["ev"].to_numpy()], offer_discount)
    ev = lines["ev"].to_numpy()
    t = events["t"].to_numpy()[ev]
    frac = t - np.floor(t)
    ch = chan_idx[ev]
    hours = np.where(ch == 0, 10 + frac * 10, 7 + frac * 16)
    out = pd.DataFrame({
        "ev": ev, "person": lp, "t": t,
        "timestamp": cfg.date(t) + pd.to_timedelta(np.round(hours * 3600), unit="s"),
        "channel": np.array(CHANNELS)[ch],
        "store_id": np.where(ch == 0, persons["store_id"].to_numpy()[lp], None),
        "product_id": products["product_id"].to_numpy()[lines["product"].to_numpy()],
        "category": products["category"].to_numpy()[lines["product"].to_numpy()],
        "quantity": qty, "amount": amount, "discount": discount, "margin": margin,
        "source": events["source"].to_numpy()[ev],
    })
    # all lines of one order share the order's timestamp
    out["timestamp"] = out.groupby("ev")["timestamp"].transform("first")
    return out, taste


def _choose_products(rng: np.random.Generator, persons: pd.DataFrame, lp: np.ndarray, cat: np.ndarray,
                     products: pd.DataFrame, taste: Taste | None):
    """A product of the line's category; products near the person's price level and popular ones likelier.

    ``lp`` is the person of each line, ``cat`` the index of its category.
    """
    log_spend = np.log(persons["spend_level"].to_numpy())
    if taste is None:
        taste = _draw_taste(rng, log_spend, products)
    sbin = np.searchsorted(taste.edges, log_spend)
    row = sbin[lp] * len(CATEGORIES) + cat
    flat = (taste.cdf + np.arange(len(taste.cdf))[:, None]).ravel()
    prod = np.searchsorted(flat, rng.random(row.size) * 0.999999 + row, side="right") - row * len(products)
    return np.clip(prod, 0, len(products) - 1), taste


def _draw_taste(rng: np.random.Generator, log_spend: np.ndarray, products: pd.DataFrame) -> Taste:
    """Twelve spend-level bins, each preferring products near its price level; a random popularity order."""
    n_bins = 12
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
    return Taste(edges, np.cumsum(weights / weights.sum(1, keepdims=True), axis=1))


def _add_associations(rng: np.random.Generator, lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Planted associations: the consequent joins the basket of the antecedent with a given probability."""
    name_to_idx = {n: i for i, n in enumerate(products["name"])}
    extra = []
    for ante, cons, prob in ASSOCIATIONS:
        has = lines.loc[lines["product"] == name_to_idx[ante], "ev"].to_numpy()
        joined = has[rng.random(has.size) < prob]
        extra.append(pd.DataFrame({"ev": joined, "product": name_to_idx[cons]}))
    lines = pd.concat([lines, *extra], ignore_index=True).drop_duplicates(["ev", "product"])
    return lines.sort_values(["ev", "product"], kind="stable", ignore_index=True)


def _price_lines(rng: np.random.Generator, persons: pd.DataFrame, lp: np.ndarray, lines: pd.DataFrame,
                 products: pd.DataFrame, src: np.ndarray, offer_discount: dict):
    """Quantity, amount, discount and margin (euros) of each line.

    A promotion (chance: the person's discount propensity) takes 10-30 % off,
    50 % for deal hunters; a campaign's offer applies to the purchases it brought.
    """
    lprice = products["price"].to_numpy()[lines["product"].to_numpy()]
    qty = np.where(lprice < 15, 1 + rng.poisson(0.6, len(lines)), np.where(rng.random(len(lines)) < 0.08, 2, 1))
    deep = segment_values("deep_discounts")[persons["segment_idx"].to_numpy()[lp]]
    promo = rng.random(len(lines)) < persons["discount_propensity"].to_numpy()[lp]
    rate = np.where(deep, rng.choice([0.3, 0.4, 0.5], len(lines)), rng.choice([0.1, 0.2, 0.3], len(lines))) * promo
    camp_rate = pd.Series(src).map(lambda s: offer_discount.get(s, 0.0)).to_numpy()
    rate = np.maximum(rate, camp_rate)
    gross = qty * lprice
    amount = np.round(gross * (1 - rate), 2)
    cost = qty * products["unit_cost"].to_numpy()[lines["product"].to_numpy()]
    return qty, amount, np.round(gross - amount, 2), np.round(amount - cost, 2)


def add_returns(rng: np.random.Generator, persons: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Returned lines become return orders (negative quantity, amount and margin) 3-30 days later."""
    seg = persons["segment_idx"].to_numpy()[lines["person"].to_numpy()]
    p_ret = segment_values("returns")[seg]
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


def number_orders(cfg: Settings, lines: pd.DataFrame, customer_ids: np.ndarray) -> pd.DataFrame:
    """Order ids in time order, line numbers within an order, and the customer id of every line.

    Lines marked ``removed`` (purchases a message put off, see
    :mod:`helpers.synth.automation`) keep their place among the lines but get
    no order id (``-``), so the other orders are numbered as if they never existed.
    """
    heads = lines.drop_duplicates("ev")[["ev", "timestamp", "person"]].sort_values(["timestamp", "person", "ev"],
                                                                                   kind="stable")
    place = pd.Series(np.arange(len(heads)), index=heads["ev"].to_numpy())
    lines = lines.assign(_place=lines["ev"].map(place)).sort_values(["_place", "product_id"], kind="stable",
                                                                    ignore_index=True)
    removed = lines["removed"].to_numpy() if "removed" in lines else np.zeros(len(lines), bool)
    kept_heads = lines.loc[~removed, "ev"].drop_duplicates().to_numpy()
    order_ids = pd.Series(cfg.ids.make("order", len(kept_heads)), index=kept_heads)
    lines["order_id"] = lines["ev"].map(order_ids).fillna("-")
    lines["line_no"] = lines.groupby("ev").cumcount() + 1
    lines["customer_id"] = customer_ids[lines["person"].to_numpy()]
    return lines.drop(columns="_place")
