"""Word of mouth in the sample company: the NPS/CES survey and member-gets-member referrals.

Survey scores come from each person's latent satisfaction, which is made of
driver ratings with known weights (:data:`helpers.synth.latent.SURVEY_DRIVERS`,
the answer key). Satisfied members refer more, and a few ambassadors, planted
among the early members, refer a great many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth.common import Settings
from helpers.synth.latent import SURVEY_DRIVERS

#: Survey responses and planted ambassadors of the sample (scaled with the number of persons).
SURVEY_SIZE = 3500
AMBASSADORS = 15


def make_survey(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, sales: pd.DataFrame,
                customer_ids: np.ndarray) -> pd.DataFrame:
    """``survey.csv``: one answer 1-10 days after a purchase, for a random set of buyers.

    NPS (0-10) from the latent satisfaction; CES (1-7) from the delivery and
    app ratings and the satisfaction; the five driver ratings (1-5) as given.
    """
    buyers = sales.drop_duplicates("ev")[["person", "t"]]
    chosen = rng.choice(np.sort(buyers["person"].unique()), size=cfg.scaled(SURVEY_SIZE), replace=False)
    last = cfg.days(cfg.observation_end)
    pick = buyers[buyers["person"].isin(chosen)].sample(frac=1, random_state=int(rng.integers(1 << 31)))
    pick = pick.drop_duplicates("person").sort_values("person")
    day = np.minimum(np.floor(pick["t"].to_numpy()) + rng.integers(1, 11, len(pick)), last)
    p = persons.loc[pick["person"].to_numpy()]
    z = p["satisfaction"].to_numpy()
    nps = np.clip(np.rint(8.0 + 1.5 * z + rng.normal(0, 0.9, len(p))), 0, 10).astype(int)
    ces = np.clip(np.rint(5.0 + 0.5 * (p["rating_delivery"] - 3.4) + 0.5 * (p["rating_app"] - 3.4)
                          + 0.3 * z + rng.normal(0, 1.0, len(p))), 1, 7).astype(int)
    out = pd.DataFrame({"person": pick["person"].to_numpy(), "date": cfg.date(day), "nps": nps, "ces": ces})
    for d in ["rating_range", "rating_price", "rating_staff", "rating_delivery", "rating_app"]:
        out[d] = p[d].to_numpy()
    out = out.sort_values(["date", "person"], kind="stable", ignore_index=True)
    out.insert(0, "response_id", cfg.ids.make("response", len(out)))
    out.insert(1, "customer_id", customer_ids[out.pop("person").to_numpy()])
    return out


def make_referrals(cfg: Settings, rng: np.random.Generator, persons: pd.DataFrame, customer_ids: np.ndarray,
                   late_rng: np.random.Generator) -> pd.DataFrame:
    """``referrals.csv``: who brought whom, on the referred person's sign-up day.

    About 12 % of the members who joined after the first two months were
    referred, by a member who joined before them, chosen with weight
    ``exp(0.7 * satisfaction)``, 150 times more for an ambassador. Marks
    ``persons["is_ambassador"]`` (the answer key). The early members'
    referrals are drawn from ``rng``, the late joiners' from ``late_rng``.
    """
    n = cfg.n_early
    sat = persons["satisfaction"].to_numpy()
    signup = persons["signup_day"].to_numpy()  # sorted ascending
    candidates = np.flatnonzero((sat[:n] > 1.0) & (signup[:n] < 300))
    ambassadors = np.sort(rng.choice(candidates, min(cfg.scaled(AMBASSADORS), candidates.size), replace=False))
    weight = np.exp(0.7 * sat)
    weight[ambassadors] *= 150
    persons["is_ambassador"] = False
    persons.loc[ambassadors, "is_ambassador"] = True
    referred = np.flatnonzero((signup[:n] > 60) & (rng.random(n) < 0.12))
    early = _referrers(rng, referred, signup[:n], np.cumsum(weight[:n]))
    late = n + np.flatnonzero(late_rng.random(len(persons) - n) < 0.12)
    late = _referrers(late_rng, late, signup, np.cumsum(weight))
    pairs = pd.concat([early, late], ignore_index=True)
    return pd.DataFrame({"referrer_id": customer_ids[pairs["referrer"]], "referred_id": customer_ids[pairs["referred"]],
                         "date": cfg.date(signup[pairs["referred"]])}).sort_values(["date", "referred_id"],
                                                                                   ignore_index=True)


def _referrers(rng: np.random.Generator, referred: np.ndarray, signup: np.ndarray, cum: np.ndarray) -> pd.DataFrame:
    """A referrer for each referred person among those who signed up before them (``cum``: cumulative weights)."""
    # eligible referrers signed up before the referred person (persons are sorted by sign-up)
    n_before = np.searchsorted(signup, signup[referred], side="left")
    ok = n_before > 0
    referred, n_before = referred[ok], n_before[ok]
    u = rng.random(referred.size) * cum[n_before - 1]
    return pd.DataFrame({"referrer": np.searchsorted(cum, u, side="right"), "referred": referred})


def driver_truth() -> pd.DataFrame:
    """The answer key of the survey: each driver's weight in the latent satisfaction."""
    return pd.DataFrame({"driver": list(SURVEY_DRIVERS), "weight": list(SURVEY_DRIVERS.values())})
