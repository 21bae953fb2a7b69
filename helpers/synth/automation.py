"""A retail win-back automation with an always-on random holdout, and its answer key.

From :data:`AUTOMATION_START` on, the rule "We miss you" fires on the day a
member's silence (days since their last purchase) reaches
:data:`SILENCE_DAYS`, if the member has an e-mail consent by then. Every firing
is randomised: :data:`HOLDOUT_SHARE` of them are held out (nothing is sent,
the always-on holdout), the others get an e-mail with a
:data:`VOUCHER_DISCOUNT` discount on their purchases in the next
:data:`WINDOW_DAYS` days. A member fires again only after buying again and
falling silent again, so the windows of one member never overlap. Firings
whose window would run past the observation end are not in the data.

The true response depends on the member's latent state at the firing (the
"buy till you die" story of :mod:`helpers.synth.purchases`):

* **lost causes** have already left for good (after their last repeat
  purchase): the message does nothing;
* **sleeping dogs** (:data:`SLEEPING_DOG_SHARE` of the members, a trait) are
  put off: with chance :data:`PUT_OFF` they skip every purchase in the window;
* members who **would come back anyway** (an organic purchase in the window)
  buy no more, but use the voucher: its discount is a cost;
* **persuadable** members (alive, no purchase coming in the window): with
  chance :data:`PUSH` the message brings one purchase, with the voucher.

The answer key labels each firing by the chance of buying in the window
anyway (``sure_thing`` from 0.5, else ``persuadable``) and records the true
chance of being alive at the firing (``p_alive``: the member's own purchase
rate and chance to leave applied to their history, as the BG/NBD's P(alive)
of Fader, Hardie & Lee 2005 with known parameters). Both potential outcomes
of every firing -- purchases, revenue and margin in the window with and
without the message -- come from the same random draws, so each firing's
true effect is known exactly. The always-on holdout and measuring each rule
against it follow Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled
Experiments*, ch. 1 and 21; the four response types are those of uplift
modelling (Radcliffe & Surry 2011, "Real-world uplift modelling with
significance-based uplift trees").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.synth.campaigns import RESPONSE_WINDOW_DAYS
from helpers.synth.common import CONTROL, TREATMENT, YES, Settings
from helpers.synth.latent import seasonality_table

#: First day the automation runs (the sample's; moved by the settings' shift).
AUTOMATION_START = pd.Timestamp("2024-01-01")
#: Days of silence that fire the rule, and the days of the outcome window from the firing day.
SILENCE_DAYS, WINDOW_DAYS = 120, 60
#: Share of the firings held out at random (nothing sent), all the time.
HOLDOUT_SHARE = 0.2
#: Discount rate of the voucher on the purchases in the window (the message's offer).
VOUCHER_DISCOUNT = 0.10
#: Chance that the message brings a purchase to an alive member who would not buy in the window.
PUSH = 0.35
#: Share of members who are put off by the message, and their chance to skip the window's purchases.
SLEEPING_DOG_SHARE, PUT_OFF = 0.06, 0.7
#: Cost of one message in euros.
COST_PER_MESSAGE = 0.05
#: The chance of buying in the window anyway from which an alive member counts as a sure thing.
SURE_THING_FROM = 0.5
#: The answer key's response types.
RESPONSE_TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
#: Columns of the automation's member table (``automation_members.csv``).
MEMBER_COLUMNS = ["automation_id", "customer_id", "fire_date", "group", "converted", "purchases", "revenue", "margin"]


def automation_table(cfg: Settings) -> pd.DataFrame:
    """``automations.csv``: the rule as the automation system holds it (one row per rule)."""
    return pd.DataFrame([{
        "automation_id": cfg.ids.automation.format(1), "name": "We miss you",
        "trigger": f"no purchase for {SILENCE_DAYS} days", "silence_days": SILENCE_DAYS, "channel": "email",
        "offer": f"-{VOUCHER_DISCOUNT:.0%} on purchases for {WINDOW_DAYS} days".replace("%", " %"),
        "start_date": cfg.shifted(AUTOMATION_START), "holdout_share": HOLDOUT_SHARE, "window_days": WINDOW_DAYS,
        "cost_per_message": COST_PER_MESSAGE}])


@dataclass
class _Member:
    """One member's purchase history as the firing loop reads it (times in day offsets, sorted)."""

    times: np.ndarray
    positions: np.ndarray  # rows of the events table
    rank: np.ndarray  # repeat-purchase number of organic purchases (0: the first), -1 for a campaign's
    lifetime: int  # leaves for good after this repeat purchase
    consent_day: float  # e-mail consent from this day (inf: none)
    dog: bool
    brought: list  # firing days on which the automation brought a purchase


def fire(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, events: pd.DataFrame):
    """Run the rule over every member's purchases up to the observation end.

    Parameters
    ----------
    events : DataFrame
        Purchase events (``person``, ``t``, ``rank``, ``source``), sorted by
        person and time, up to the observation end.

    Returns
    -------
    firings : DataFrame
        One row per firing: ``person``, ``fire_day``, ``group``, ``alive``,
        ``sleeping_dog``, ``anyway`` (a purchase in the window without the
        message), ``pushed`` / ``put_off`` (what the message does, or would
        do for a held-out firing), ``push_t`` (when the purchase it brings
        happens), ``p_alive`` and ``p_buy`` (:func:`_add_chances`).
    removed : ndarray
        Rows of ``events`` that treated sleeping dogs skip.
    """
    start, last = cfg.days(cfg.shifted(AUTOMATION_START)), cfg.days(cfg.observation_end) - WINDOW_DAYS + 1
    dog = rng.random(len(persons)) < SLEEPING_DOG_SHARE
    consent = np.where(persons["consent_email"].eq(YES).to_numpy(), persons["consent_email_day"].to_numpy(), np.inf)
    rank = np.where(events["source"].eq("organic").to_numpy(), events["rank"].to_numpy(), -1)
    person, t = events["person"].to_numpy(), events["t"].to_numpy()
    lifetime = persons["lifetime_purchases"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, person[1:] != person[:-1], True])
    rows, removed = [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        p = int(person[a])
        if np.isfinite(consent[p]):
            who = _Member(t[a:b], np.arange(a, b), rank[a:b], int(lifetime[p]), consent[p], bool(dog[p]), [])
            rows += [{"person": p, **row} for row in _fire_member(who, rng, start, last, removed)]
    firings = pd.DataFrame(rows)
    _add_chances(cfg, persons, firings)
    return firings, np.array(sorted(removed), dtype=int)


def _fire_member(who: _Member, rng: np.random.Generator, start: int, last_fire: int, removed: list) -> list[dict]:
    """The firings of one member: walk their purchases, fire on each silence of ``SILENCE_DAYS`` days."""
    out = []
    last, k = who.times[0], 1
    while True:
        nxt = who.times[k] if k < len(who.times) else np.inf
        day = np.floor(last) + SILENCE_DAYS
        if nxt < day:  # bought again before the silence reached the threshold
            last, k = nxt, k + 1
            continue
        if day > last_fire:
            return out
        if day >= start and who.consent_day <= day:
            row = _one_firing(who, rng, day)
            out.append(row)
            if row["group"] == TREATMENT and row["pushed"]:  # the brought purchase ends the silence
                who.brought.append(day)
                last = row["push_t"]
                continue
            if row["group"] == TREATMENT and row["put_off"]:  # the window's purchases never happen
                skipped = (who.times >= day) & (who.times < day + WINDOW_DAYS)
                removed.extend(who.positions[skipped])
                k = int(np.flatnonzero(skipped)[-1]) + 1
        if k >= len(who.times):
            return out
        last, k = who.times[k], k + 1


def _one_firing(who: _Member, rng: np.random.Generator, day: float) -> dict:
    """One firing on ``day``: the group, the member's latent state and what the message does (or would do)."""
    holdout, u, delta = rng.random(3)
    times = who.times
    anyway = bool(np.any((times >= day) & (times < day + WINDOW_DAYS)))
    repeats_before = (times < day) & (who.rank > 0)
    repeats = int(who.rank[repeats_before].max()) if repeats_before.any() else 0
    last_repeat = times[repeats_before][-1] if repeats_before.any() else -np.inf
    # a campaign (or this automation) sent after the last repeat purchase that brought a purchase shows the
    # member alive then, and so now: only the alive respond, and no one leaves without a repeat purchase
    sent_after = (who.rank < 0) & (times - RESPONSE_WINDOW_DAYS > last_repeat) & (times < day)
    shown_alive = bool(np.any(sent_after)) or any(last_repeat < b < day for b in who.brought)
    alive = repeats < who.lifetime
    return {"fire_day": day, "group": CONTROL if holdout < HOLDOUT_SHARE else TREATMENT, "alive": alive,
            "sleeping_dog": who.dog, "anyway": anyway, "pushed": alive and not who.dog and not anyway and u < PUSH,
            "put_off": alive and who.dog and anyway and u < PUT_OFF,
            "push_t": day + 0.35 + delta * (WINDOW_DAYS - 1), "repeats": repeats, "last_repeat_t": last_repeat,
            "shown_alive": shown_alive}


def _add_chances(cfg: Settings, persons: pd.DataFrame, firings: pd.DataFrame) -> None:
    """The true chance of being alive at the firing and of buying in the window anyway (if alive).

    With the member's own rate ``lambda`` (per day, times the segment's
    seasonality) and chance to leave ``p`` after each repeat purchase: alive
    for sure before the first repeat purchase or after a purchase a campaign
    brought (only alive members respond); otherwise, ``L`` the expected
    purchases since the last repeat purchase, ``P(alive) = (1 - p) e^-L / ((1 - p) e^-L + p)``.
    """
    if firings.empty:
        firings["p_alive"], firings["p_buy"] = [], []
        return
    seg = persons["segment_idx"].to_numpy()[firings["person"]]
    days = np.arange(cfg.days(cfg.future_end) + 2)
    month = cfg.months(days) - 1
    cum = np.c_[np.zeros(len(seasonality_table())), np.cumsum(seasonality_table()[:, month], axis=1)]
    lam = persons["purchase_rate"].to_numpy()[firings["person"]] / 7
    p = persons["dropout_p"].to_numpy()[firings["person"]]
    day = firings["fire_day"].to_numpy().astype(int)
    since = np.floor(np.maximum(firings["last_repeat_t"].to_numpy(), 0)).astype(int)
    expected = lam * (cum[seg, day] - cum[seg, since])
    stay = (1 - p) * np.exp(-expected)
    sure = (firings["repeats"].to_numpy() == 0) | firings["shown_alive"].to_numpy()
    firings["p_alive"] = np.where(sure, 1.0, stay / (stay + p))
    firings["p_buy"] = 1 - np.exp(-lam * (cum[seg, day + WINDOW_DAYS] - cum[seg, day]))


def push_events(cfg: Settings, firings: pd.DataFrame) -> pd.DataFrame:
    """The purchases the message brings (or would bring, for the held-out firings), as events."""
    brought = firings[firings["pushed"]]
    return pd.DataFrame({"person": brought["person"].to_numpy(), "t": brought["push_t"].to_numpy(), "rank": -1,
                         "source": cfg.ids.automation.format(1), "firing": brought.index.to_numpy()})


def with_voucher(lines: pd.DataFrame, events: np.ndarray) -> pd.DataFrame:
    """Lines of the purchase events ``events`` priced with the voucher (their returns follow).

    The voucher's rate replaces a smaller promotion (``max`` of the two, as a
    campaign's offer); amount, discount and margin move by the same euros.
    """
    lines = lines.copy()
    sale = lines["ev"].isin(events).to_numpy()
    gross = lines.loc[sale, "amount"] + lines.loc[sale, "discount"]
    rate = np.maximum(lines.loc[sale, "discount"] / gross, VOUCHER_DISCOUNT)
    amount = (gross * (1 - rate)).round(2)
    lines.loc[sale, "margin"] = (lines.loc[sale, "margin"] - (lines.loc[sale, "amount"] - amount)).round(2)
    lines.loc[sale, "discount"] = (gross - amount).round(2)
    lines.loc[sale, "amount"] = amount
    back = (lines["ev"] < 0) & (-1 - lines["ev"]).isin(events)
    if back.any():
        priced = lines.loc[sale].set_index(["ev", "product_id"])
        key = pd.MultiIndex.from_arrays([-1 - lines.loc[back, "ev"], lines.loc[back, "product_id"]])
        for col in ("amount", "margin"):
            lines.loc[back, col] = -priced[col].reindex(key).to_numpy()
    return lines


def window_outcomes(firings: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Purchases (orders), revenue and margin (euros) of each firing's member in its window, returns excluded."""
    m = firings[["person", "fire_day"]].reset_index(names="firing").merge(
        sales[["person", "t", "ev", "amount", "margin"]], on="person")
    m = m[(m["t"] >= m["fire_day"]) & (m["t"] < m["fire_day"] + WINDOW_DAYS)]
    agg = m.groupby("firing").agg(purchases=("ev", "nunique"), revenue=("amount", "sum"), margin=("margin", "sum"))
    return agg.reindex(firings.index, fill_value=0).round(2).astype({"purchases": int})


def window_events(firings: pd.DataFrame, lines: pd.DataFrame) -> np.ndarray:
    """Purchase events (``ev``) of the firings' members in their windows."""
    sale = lines.loc[lines["ev"] >= 0, ["person", "t", "ev"]].drop_duplicates("ev")
    m = firings[["person", "fire_day"]].merge(sale, on="person")
    return np.unique(m.loc[(m["t"] >= m["fire_day"]) & (m["t"] < m["fire_day"] + WINDOW_DAYS), "ev"].to_numpy())


def member_table(cfg: Settings, firings: pd.DataFrame, sales: pd.DataFrame, customer_ids: np.ndarray) -> pd.DataFrame:
    """``automation_members.csv``: one row per firing with its measured outcome in the window.

    ``purchases`` (orders), ``revenue`` and ``margin`` (euros) of the member's
    purchase lines from the firing day on for ``WINDOW_DAYS`` days, returns
    excluded (as ``campaign_members.csv``); ``converted`` is 1 when there was any.
    """
    out = window_outcomes(firings, sales)
    table = pd.DataFrame({"automation_id": cfg.ids.automation.format(1),
                          "customer_id": customer_ids[firings["person"].to_numpy()],
                          "fire_date": cfg.date(firings["fire_day"]), "group": firings["group"],
                          "converted": (out["purchases"] > 0).astype(int), **out})
    return table[MEMBER_COLUMNS].sort_values(["fire_date", "customer_id"], ignore_index=True)


def potential_outcomes(firings: pd.DataFrame, before: pd.DataFrame, potential: pd.DataFrame) -> dict:
    """Each firing's window outcome without the message (``holdout``) and with it (``treated``).

    Without: the member's purchases as they were. With: the same purchases at
    the voucher's price, none at all for a sleeping dog put off, plus the
    purchase the message brings.
    """
    sales = before[before["quantity"] > 0]
    holdout = window_outcomes(firings, sales)
    discounted = with_voucher(sales, window_events(firings, sales))
    treated = window_outcomes(firings, discounted).mul(~firings["put_off"].to_numpy(), axis=0)
    extra = potential[potential["quantity"] > 0].groupby("firing").agg(
        purchases=("ev", "nunique"), revenue=("amount", "sum"), margin=("margin", "sum"))
    treated = treated.add(extra.reindex(treated.index, fill_value=0)).round(2).astype({"purchases": int})
    return {"holdout": holdout, "treated": treated}


def effects_truth(cfg: Settings, firings: pd.DataFrame, before: pd.DataFrame, potential: pd.DataFrame,
                  customer_ids: np.ndarray) -> pd.DataFrame:
    """``truth/automation_effects.csv.gz``: every firing's latent state, potential outcomes and true effects.

    ``true_effect_buy`` is the expected change in the chance of buying in the
    window (``PUSH * (1 - p_buy)`` for a persuadable or sure thing,
    ``-PUT_OFF * p_buy`` for a sleeping dog, 0 for a lost cause); the
    ``true_effect_purchases/revenue/margin`` are the realised differences of
    the two potential outcomes (euros for revenue and margin).
    """
    out = potential_outcomes(firings, before, potential)
    alive, dog, p_buy = firings["alive"].to_numpy(), firings["sleeping_dog"].to_numpy(), firings["p_buy"].to_numpy()
    kind = np.where(~alive, "lost_cause", np.where(dog, "sleeping_dog",
                                                   np.where(p_buy >= SURE_THING_FROM, "sure_thing", "persuadable")))
    table = pd.DataFrame({
        "automation_id": cfg.ids.automation.format(1), "customer_id": customer_ids[firings["person"].to_numpy()],
        "fire_date": cfg.date(firings["fire_day"]), "group": firings["group"], "response_type": kind,
        "alive": alive.astype(int), "p_alive": firings["p_alive"], "p_buy": p_buy,
        "true_effect_buy": np.where(alive, np.where(dog, -PUT_OFF * p_buy, PUSH * (1 - p_buy)), 0.0)})
    for col in ("purchases", "revenue", "margin"):
        table[f"{col}_holdout"] = out["holdout"][col].to_numpy()
        table[f"{col}_treated"] = out["treated"][col].to_numpy()
        table[f"true_effect_{col}"] = (out["treated"][col] - out["holdout"][col]).round(2).to_numpy()
    return table.sort_values(["fire_date", "customer_id"], ignore_index=True)


def parameters(effects: pd.DataFrame) -> pd.DataFrame:
    """``truth/automation_parameters.csv``: the planted rule and response, and the planted average effects."""
    rows = {"silence_days": SILENCE_DAYS, "window_days": WINDOW_DAYS, "holdout_share": HOLDOUT_SHARE,
            "voucher_discount": VOUCHER_DISCOUNT, "push_probability": PUSH, "sleeping_dog_share": SLEEPING_DOG_SHARE,
            "put_off_probability": PUT_OFF, "sure_thing_from_p_buy": SURE_THING_FROM,
            "cost_per_message": COST_PER_MESSAGE, "firings": len(effects)}
    rows.update({f"mean_true_effect_{c}": effects[f"true_effect_{c}"].mean()
                 for c in ("buy", "purchases", "revenue", "margin")})
    return pd.DataFrame({"parameter": list(rows), "value": list(rows.values())})
