"""Aurora Park season passes: holders, seasons (visits, spend, renewal) and a trigger test with a holdout.

Each holder has a personal chance to leave after a season (drawn from a beta
distribution: the shifted-beta-geometric story of Fader & Hardie 2007) and a
personal number of visits per summer. A planted **three-visit effect**
multiplies the chance to leave by ``THREE_VISIT_CHURN_MULTIPLIER`` after a season
of three visits or more. In the next-to-last season the park ran a randomised
trigger test: holders with two visits by mid-season were sent a voucher (a
share held out as control), which brings a third visit with a known chance.
Seasons are calendar years (moved by the settings' shift in whole years).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth.common import CONTROL, TREATMENT, Settings
from helpers.vocabulary import AREA_TYPES

HOLDER_TYPES = {  # share, visits per summer, age bands, adults, children, food, rides, shows (euros per visit)
    "families": (0.34, 3.0, ["25-34", "35-44"], (1, 2), (1, 3), 30, 25, 5),
    "teens": (0.12, 3.6, ["13-17"], (0, 0), (1, 1), 12, 20, 2),
    "culture_lovers": (0.10, 2.3, ["45-54", "55-64", "65+"], (1, 2), (0, 0), 15, 4, 25),
    "indulgers": (0.15, 2.6, ["25-34", "35-44", "45-54"], (2, 2), (0, 0), 48, 10, 8),
    "friend_groups": (0.19, 2.5, ["18-24", "25-34"], (3, 4), (0, 0), 35, 30, 5),
    "business": (0.10, 1.7, ["35-44", "45-54"], (4, 6), (0, 0), 70, 5, 20),
}
#: Seasons of the sample's park, and the new holders of each (scaled with the number of persons).
PARK_SEASONS = list(range(2019, 2026))
NEW_HOLDERS = [520, 570, 630, 680, 720, 750, 780]
THREE_VISIT_CHURN_MULTIPLIER = 0.4
VOUCHER_EXTRA_VISIT = 0.45
PASS_PRICE_ADULT, PASS_PRICE_CHILD = 119.0, 89.0
PARK_CONTROL_SHARE = 0.3
#: Parameters of the beta distribution of the chance to leave after a season.
CHURN_BETA_ALPHA, CHURN_BETA_BETA = 1.2, 2.2
SEASON_COLUMNS = ["holder_id", "season", "visits", "spend_food", "spend_rides", "spend_shows", "pass_price", "renewed"]


def make_park(cfg: Settings, rng: np.random.Generator):
    """The park's tables and answer key.

    Returns ``park_holders``, ``park_seasons``, ``park_campaign`` (the trigger
    test), ``park_truth`` (type, chance to leave, expected visits, renewal after
    the last season; the column keeps the sample's name ``renewed_2025``) and
    ``park_effects`` (each test member's true effects).
    """
    seasons_run = [s + cfg.park_year_offset for s in PARK_SEASONS]
    first = np.repeat(seasons_run, [cfg.scaled(k) for k in NEW_HOLDERS])
    holders, kind, theta, mu = _make_holders(cfg, rng, first)
    seasons, campaign, renewed_last = _simulate_seasons(rng, holders, kind, theta, mu, seasons_run)
    test_season = seasons_run[-2]
    camp = pd.concat(campaign, ignore_index=True)
    camp["holder_id"] = holders["holder_id"].to_numpy()[camp["holder"]]
    tested = seasons[seasons["season"] == test_season].set_index("holder_id")
    camp["season"] = test_season
    camp["third_visit"] = (tested.loc[camp["holder_id"], "visits"].to_numpy() >= 3).astype(int)
    camp["renewed"] = tested.loc[camp["holder_id"], "renewed"].to_numpy().astype(int)
    camp = camp.sort_values("holder_id", ignore_index=True)
    truth = pd.DataFrame({"holder_id": holders["holder_id"], "holder_type": np.array(list(HOLDER_TYPES))[kind],
                          "churn_probability": theta, "expected_visits": mu,
                          "renewed_2025": pd.Series(renewed_last).astype("Int64").where(renewed_last >= 0)})
    effects = camp[["holder_id", "group", "true_effect_third_visit", "true_effect_renewal"]]
    return holders, seasons, camp[["holder_id", "season", "group", "third_visit", "renewed"]], truth, effects


def _make_holders(cfg: Settings, rng: np.random.Generator, first: np.ndarray):
    """Holders (id, first season, age band, adults, children, home area) and their latent type, churn, visits."""
    names = list(HOLDER_TYPES)
    shares = np.array([HOLDER_TYPES[k][0] for k in names])
    n = first.size
    kind = rng.choice(len(names), n, p=shares / shares.sum())
    theta = rng.beta(CHURN_BETA_ALPHA, CHURN_BETA_BETA, n)  # churn probability per season (sBG heterogeneity)
    mu = np.array([HOLDER_TYPES[k][1] for k in names])[kind] * np.exp(-1.2 * (theta - 0.3) + rng.normal(0, 0.25, n))
    holders = pd.DataFrame({"holder_id": cfg.ids.make("holder", n), "first_season": first})
    holders["age_band"] = [rng.choice(HOLDER_TYPES[names[k]][2]) for k in kind]
    holders["adults"] = [rng.integers(HOLDER_TYPES[names[k]][3][0], HOLDER_TYPES[names[k]][3][1] + 1) for k in kind]
    holders["children"] = [rng.integers(HOLDER_TYPES[names[k]][4][0], HOLDER_TYPES[names[k]][4][1] + 1) for k in kind]
    area_p = {"families": (0.3, 0.5, 0.2), "business": (0.7, 0.2, 0.1)}
    holders["home_area"] = [AREA_TYPES[rng.choice(3, p=area_p.get(names[k], (0.45, 0.35, 0.2)))] for k in kind]
    return holders, kind, theta, mu


def _simulate_seasons(rng: np.random.Generator, holders: pd.DataFrame, kind: np.ndarray, theta: np.ndarray,
                      mu: np.ndarray, seasons_run: list):
    """Visits (70 % before mid-season, 30 % after), spend and renewal of every active holder, season by season.

    Returns the seasons table (renewal unknown, ``<NA>``, after the last
    season), the trigger test's members, and each holder's renewal after the
    last season (-1: not active then).
    """
    names = list(HOLDER_TYPES)
    first = holders["first_season"].to_numpy()
    seasons, campaign = [], []
    active = np.zeros(first.size, bool)
    renewed_last = np.full(first.size, -1)
    for season in seasons_run:
        active |= first == season
        idx = np.flatnonzero(active)
        v_before = rng.poisson(0.7 * mu[idx])
        v_after = rng.poisson(0.3 * mu[idx])
        if season == seasons_run[-2]:
            campaign.append(_trigger_test(rng, idx, v_before, v_after, theta, mu))
        visits = v_before + v_after
        churn = theta[idx] * np.where(visits >= 3, THREE_VISIT_CHURN_MULTIPLIER, 1.0)
        renewed = (rng.random(idx.size) >= churn).astype(int)
        per_visit = np.array([HOLDER_TYPES[names[k]][5:8] for k in kind[idx]], dtype=float)
        spend = np.round(visits[:, None] * per_visit * rng.gamma(8, 1 / 8, per_visit.shape), 2)
        price = (PASS_PRICE_ADULT * holders["adults"].to_numpy()[idx]
                 + PASS_PRICE_CHILD * holders["children"].to_numpy()[idx])
        seasons.append(pd.DataFrame({"holder": idx, "season": season, "visits": visits, "spend_food": spend[:, 0],
                                     "spend_rides": spend[:, 1], "spend_shows": spend[:, 2], "pass_price": price,
                                     "renewed": renewed}))
        if season == seasons_run[-1]:
            renewed_last[idx] = renewed
        active[idx[renewed == 0]] = False
    seasons = pd.concat(seasons, ignore_index=True)
    seasons["holder_id"] = holders["holder_id"].to_numpy()[seasons["holder"]]
    seasons["renewed"] = seasons["renewed"].astype("Int64").where(seasons["season"] < seasons_run[-1])
    seasons = seasons.sort_values(["holder_id", "season"], ignore_index=True)
    return seasons[SEASON_COLUMNS], campaign, renewed_last


def _trigger_test(rng: np.random.Generator, idx: np.ndarray, v_before: np.ndarray, v_after: np.ndarray,
                  theta: np.ndarray, mu: np.ndarray) -> pd.DataFrame:
    """The voucher to holders with two visits by mid-season; adds the third visits it brings to ``v_after``.

    The true effects: the chance of a third visit the voucher adds
    (``VOUCHER_EXTRA_VISIT`` times the chance of no later visit anyway) and,
    through the three-visit effect, the chance of renewing it adds.
    """
    e_idx = np.flatnonzero(v_before == 2)
    control = np.zeros(e_idx.size, bool)
    control[rng.permutation(e_idx.size)[: int(round(PARK_CONTROL_SHARE * e_idx.size))]] = True
    extra = ~control & (v_after[e_idx] == 0) & (rng.random(e_idx.size) < VOUCHER_EXTRA_VISIT)
    v_after[e_idx[extra]] = 1
    p_no_later = np.exp(-0.3 * mu[idx[e_idx]])
    eff_visit = VOUCHER_EXTRA_VISIT * p_no_later
    eff_renew = eff_visit * theta[idx[e_idx]] * (1 - THREE_VISIT_CHURN_MULTIPLIER)
    return pd.DataFrame({"holder": idx[e_idx], "group": np.where(control, CONTROL, TREATMENT),
                         "true_effect_third_visit": eff_visit, "true_effect_renewal": eff_renew})


def park_parameters() -> pd.DataFrame:
    """The park's planted parameters (the answer key ``truth/park_parameters.csv``)."""
    return pd.DataFrame({"parameter": ["three_visit_churn_multiplier", "voucher_extra_visit_probability",
                                       "churn_beta_alpha", "churn_beta_beta", "pass_price_adult", "pass_price_child"],
                         "value": [THREE_VISIT_CHURN_MULTIPLIER, VOUCHER_EXTRA_VISIT, CHURN_BETA_ALPHA, CHURN_BETA_BETA,
                                   PASS_PRICE_ADULT, PASS_PRICE_CHILD]})
