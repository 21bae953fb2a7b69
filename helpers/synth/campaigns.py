"""Campaigns of the sample company: randomised control groups, true individual effects, outcomes.

Each campaign goes to the members its audience rule and consents allow; a
planned share is held out at random as a control group. A treated member who
is still alive at the send date reacts with a known individual effect: a
positive one is the chance of an extra purchase in the response window, a
negative one (the "sleeping dogs") the chance that the message puts them off
buying in it. Outcomes are measured from the order lines of the window, and
the effects are written to the answer key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth.common import CONTROL, TREATMENT, YES, YOUNG, Settings
from helpers.synth.latent import seasonality_table
from helpers.synth.purchases import alive_at

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

#: The campaigns in send order (their ids are numbered in this order):
#: send date (of the sample; moved by the settings' shift), channel, type, name,
#: offer, audience rule, control share, cost per contact (euros).
CAMPAIGNS = [
    ("2023-03-09", "email", "new_collection", "Spring collection", "new spring collection", "active12", 0.10, 0.05),
    ("2023-04-20", "sms", "discount", "Garden weekend", "-20 % on garden and outdoor", "all", 0.05, 0.12),
    ("2023-06-01", "email", "loyalty", "Double club points", "double points for a week", "active12", 0.15, 0.05),
    ("2023-08-17", "email", "discount", "Back to school", "-20 % on kids and kitchen", "all", 0.10, 0.05),
    ("2023-10-05", "sms", "reactivation", "We miss you", "-15 % voucher", "lapsed6", 0.20, 0.12),
    ("2023-11-09", "email", "new_collection", "Christmas gift guide", "gift guide", "all", 0.05, 0.05),
    ("2023-11-24", "email", "discount", "Black Friday", "-30 % on everything", "all", 0.10, 0.05),
    ("2024-02-08", "email", "loyalty", "Club birthday", "a gift for club members", "active12", 0.10, 0.05),
    ("2024-03-21", "sms", "new_collection", "Spring is here", "new spring collection", "active12", 0.15, 0.12),
    ("2024-05-02", "email", "discount", "Garden days", "-25 % on garden", "all", 0.05, 0.05),
    ("2024-06-13", "email", "reactivation", "Summer comeback", "-15 % voucher", "lapsed6", 0.20, 0.05),
    ("2024-08-29", "sms", "discount", "Autumn sale", "-20 % on home textiles", "active12", 0.10, 0.12),
    ("2024-10-10", "email", "new_collection", "Autumn lights", "new lighting collection", "all", 0.10, 0.05),
    ("2024-11-29", "email", "discount", "Black Friday", "-30 % on everything", "all", 0.05, 0.05),
    ("2025-02-13", "email", "loyalty", "Club points bonus", "triple points on one purchase", "active12", 0.15, 0.05),
    ("2025-03-27", "sms", "reactivation", "We miss you", "-15 % voucher", "lapsed6", 0.20, 0.12),
    ("2025-05-08", "email", "discount", "Garden weekend", "-20 % on garden and outdoor", "all", 0.10, 0.05),
    ("2025-08-21", "email", "new_collection", "Autumn collection", "new autumn collection", "active12", 0.10, 0.05),
    ("2025-10-02", "sms", "loyalty", "Club evening", "members' evening invitation", "active12", 0.15, 0.12),
    ("2025-11-28", "email", "discount", "Black Friday", "-30 % on everything", "all", 0.05, 0.05),
]
AUDIENCE_TEXT = {"all": "all club members with consent for the channel",
                 "active12": "members with consent who bought in the last 12 months",
                 "lapsed6": "members with consent who have not bought for 6 months"}
RESPONSE_WINDOW_DAYS = 14
MAX_AUDIENCE = 6000
#: Discount rate of each campaign type's offer on the purchases it brings.
OFFER_DISCOUNT = {"discount": 0.2, "reactivation": 0.15}


def campaign_plan(cfg: Settings) -> pd.DataFrame:
    """The campaigns with their ids and send dates (moved by the shift), in send order."""
    plan = pd.DataFrame(CAMPAIGNS, columns=["send_date", "channel", "kind", "name", "offer", "audience_rule",
                                            "control_share", "cost_per_contact"])
    plan.insert(0, "campaign_id", cfg.ids.make("campaign", len(plan)))
    plan["send_date"] = pd.to_datetime(plan["send_date"]) + pd.Timedelta(days=cfg.shift_days)
    return plan


def offer_discounts(plan: pd.DataFrame) -> dict:
    """Discount rate of each campaign's offer, by campaign id (campaigns without a price offer left out)."""
    return {c: OFFER_DISCOUNT[k] for c, k in zip(plan["campaign_id"], plan["kind"]) if k in OFFER_DISCOUNT}


def run_campaigns(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, events: pd.DataFrame,
                  plan: pd.DataFrame, late_rng: np.random.Generator):
    """Send the campaigns with random control groups and apply their true effects.

    For a treated member who is still alive at the send date, a positive effect
    ``e`` is the chance of an extra purchase in the response window; a negative
    one is the chance that the message puts the member off, removing the
    purchases they would have made in the window. The exact change in the
    probability of buying in the window is the member's ``true_effect``.

    The early members (the first ``cfg.n_early`` persons) are drawn from
    ``rng``; late joiners who qualify for a campaign from ``late_rng``, at the
    rate at which the early ones were (so adding them changed no early draw).

    Returns the purchase events with the campaigns' effects, and one row per
    member and campaign (``person``, ``group``, ``true_effect``, …).
    """
    organic = events.copy()
    members = []
    for c in plan.itertuples(index=False):
        send = cfg.days(c.send_date)
        eligible = _audience(persons, events, send, c.channel, c.audience_rule)
        early = eligible[eligible < cfg.n_early]
        idx = early
        if idx.size > cfg.scaled(MAX_AUDIENCE):
            idx = np.sort(rng.choice(idx, cfg.scaled(MAX_AUDIENCE), replace=False))
        parts = [(rng, idx)]
        late = eligible[eligible >= cfg.n_early]
        if late.size:
            parts.append((late_rng, late[late_rng.random(late.size) < idx.size / max(early.size, 1)]))
        for part_rng, part in parts:
            events, sent = _send(cfg, part_rng, persons, organic, events, c, part)
            members.append(sent)
    events = events.sort_values(["person", "t"], kind="stable", ignore_index=True)
    return events, pd.concat(members, ignore_index=True)


def _send(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, organic: pd.DataFrame,
          events: pd.DataFrame, c, idx: np.ndarray):
    """One campaign to the members ``idx``: the control group, the true effects, the responses."""
    send = cfg.days(c.send_date)
    control = np.zeros(idx.size, bool)
    control[rng.permutation(idx.size)[: int(round(c.control_share * idx.size))]] = True
    alive = alive_at(persons, organic, send)[idx]
    lam, push, put_off = _individual_effects(persons, idx, c.send_date.month - 1, c.channel, c.kind)
    p0 = 1 - np.exp(-lam)
    true_effect = alive * (push * (1 - p0) - put_off * p0)
    events = _respond(rng, events, idx, ~control & alive, push, put_off, send, c.campaign_id)
    return events, pd.DataFrame({"campaign_id": c.campaign_id, "person": idx,
                                 "group": np.where(control, CONTROL, TREATMENT), "true_effect": true_effect,
                                 "expected_organic": alive * lam, "push": alive * push, "put_off": alive * put_off})


def _audience(persons: pd.DataFrame, events: pd.DataFrame, send: int, channel: str, rule: str) -> np.ndarray:
    """Persons the campaign may go to: consent for the channel, signed up a week before, the audience rule.

    The caller cuts a larger audience at random to ``MAX_AUDIENCE`` (scaled to the settings' size).
    """
    consent = persons[f"consent_{channel}"].eq(YES).to_numpy().copy()
    if channel == "sms":
        consent &= persons["phone"].notna().to_numpy()
    before = events[events["t"] < send]
    last_buy = before.groupby("person")["t"].max().reindex(range(len(persons))).to_numpy()
    ok = consent & (persons["signup_day"].to_numpy() < send - 7)
    if rule == "active12":
        ok &= last_buy >= send - 365
    elif rule == "lapsed6":
        ok &= last_buy < send - 182
    return np.flatnonzero(ok)


def _individual_effects(persons: pd.DataFrame, idx: np.ndarray, month: int, channel: str, kind: str):
    """Expected organic purchases in the window (``lam``) and the chances to push and to put off.

    The segment's effect for the campaign type times the person's response
    multiplier; young people respond more strongly to a positive SMS (x 1.4).
    """
    seg = persons["segment_idx"].to_numpy()[idx]
    month_intensity = seasonality_table()[seg, month]
    lam = persons["purchase_rate"].to_numpy()[idx] / 7 * month_intensity * RESPONSE_WINDOW_DAYS
    effect = np.array(CAMPAIGN_EFFECTS[kind])[seg] * persons["response_multiplier"].to_numpy()[idx]
    if channel == "sms":
        young = persons["age_band"].isin(YOUNG).to_numpy()[idx]
        effect = np.where(young & (effect > 0), effect * 1.4, effect)
    return lam, np.clip(effect, 0, 0.9), np.clip(-effect, 0, 0.9)


def _respond(rng: np.random.Generator, events: pd.DataFrame, idx: np.ndarray, treated: np.ndarray,
             push: np.ndarray, put_off: np.ndarray, send: int, campaign_id: str) -> pd.DataFrame:
    """Apply one draw per member: the put-off lose their purchases in the window, the pushed gain one."""
    window = RESPONSE_WINDOW_DAYS
    u = rng.random(idx.size)
    pushed = treated & (u < push)
    offended = treated & (u < put_off)
    if offended.any():
        gone = events["person"].isin(idx[offended]) & events["t"].between(send, send + window, inclusive="left")
        events = events[~gone]
    extra = pd.DataFrame({"person": idx[pushed], "t": send + 0.35 + rng.random(pushed.sum()) * (window - 1),
                          "rank": -1, "source": campaign_id})
    return pd.concat([events, extra], ignore_index=True)


def campaign_table(plan: pd.DataFrame) -> pd.DataFrame:
    """``campaigns.csv``: what was sent, when, to whom, with which control share and cost."""
    out = plan.assign(audience=plan["audience_rule"].map(AUDIENCE_TEXT), response_window_days=RESPONSE_WINDOW_DAYS)
    return out[["campaign_id", "name", "send_date", "channel", "offer", "audience", "control_share",
                "cost_per_contact", "response_window_days"]]


def measure_members(cfg: Settings, members: pd.DataFrame, plan: pd.DataFrame, sales: pd.DataFrame,
                    persons: pd.DataFrame, customer_ids: np.ndarray,
                    value_sales: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each member's outcome in the response window (returns excluded) and true effect in euros.

    ``revenue`` and ``margin`` are the euros of the member's purchase lines
    from the send day on, for ``RESPONSE_WINDOW_DAYS`` days; ``converted`` is 1
    when there was any. The true effect in euros values the change in the
    chance of buying at the person's mean organic order (their spend level
    when they had none) in ``value_sales`` (default ``sales``; the build passes
    the sales before the win-back automation's vouchers).
    """
    members = members.merge(plan[["campaign_id", "send_date"]], on="campaign_id")
    send_day = (members["send_date"] - cfg.data_start).dt.days.to_numpy()
    m = members.assign(send_day=send_day).reset_index().merge(
        sales[["person", "t", "amount", "margin", "ev"]], on="person", how="inner")
    m = m[(m["t"] >= m["send_day"]) & (m["t"] < m["send_day"] + RESPONSE_WINDOW_DAYS)]
    agg = m.groupby("index").agg(revenue=("amount", "sum"), margin=("margin", "sum"))
    members["revenue"] = agg["revenue"].reindex(members.index, fill_value=0.0).round(2)
    members["margin"] = agg["margin"].reindex(members.index, fill_value=0.0).round(2)
    members["converted"] = members.index.isin(agg.index).astype(int)
    value_sales = sales if value_sales is None else value_sales
    organic_orders = value_sales[value_sales["source"] == "organic"].groupby("ev").agg(
        person=("person", "first"), amount=("amount", "sum"))
    value = organic_orders.groupby("person")["amount"].mean().reindex(range(len(persons)))
    value = value.fillna(pd.Series(persons["spend_level"].to_numpy())).to_numpy()
    v = value[members["person"].to_numpy()]
    members["true_effect_revenue"] = members["push"] * v - members["put_off"] * members["expected_organic"] * v
    members["customer_id"] = customer_ids[members["person"].to_numpy()]
    return members.sort_values(["campaign_id", "customer_id"], ignore_index=True)


def campaign_truth(members: pd.DataFrame) -> pd.DataFrame:
    """The answer key per campaign: members, mean true effect (chance and euros), share of sleeping dogs."""
    return members.groupby("campaign_id").agg(
        members=("customer_id", "size"), true_effect=("true_effect", "mean"),
        true_effect_revenue=("true_effect_revenue", "mean"),
        share_sleeping_dogs=("true_effect", lambda s: (s < 0).mean()),
    ).reset_index()
