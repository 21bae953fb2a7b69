"""The latent story of the sample company: six customer segments and what drives satisfaction.

Every customer belongs to one segment, which sets the mean of the person's own
purchase rate, chance to leave, spend, channel and category preferences, age,
area and seasonality (:func:`helpers.synth.people.make_persons` draws the
person around it). The segments are written to the answer key
(``truth/segments.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    Segment("premium_home",
            "Design-minded buyers of decor, lighting and textiles; few but large orders; web and store; cities",
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
    Segment("occasional_gifters",
            "Older customers who come a few times, mostly for gifts at Christmas, and often not again",
            0.14, 0.025, 0.25, 60, (0.82, 0.15, 0.03), (0.8, 0.6, 0.4, 0.8, 0.2, 0.2, 0.4, 4.0), 0.10, False,
            0.02, (0.01, 0.03, 0.06, 0.15, 0.35, 0.40), (0.30, 0.40, 0.30),
            (0.7, 0.6, 0.7, 0.8, 0.8, 0.8, 0.7, 0.7, 0.8, 0.9, 1.4, 3.2), 0.1),
]

#: Weight of each driver rating (1-5) in the latent satisfaction behind the NPS
#: survey (the answer key ``truth/survey_drivers.csv``).
SURVEY_DRIVERS = {"rating_range": 0.9, "rating_staff": 0.7, "rating_delivery": 0.5, "rating_price": 0.35,
                  "rating_app": 0.1}


def seasonality(seg: Segment) -> np.ndarray:
    """Monthly intensity normalised to a day-weighted mean of 1."""
    days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    s = np.array(seg.season, dtype=float)
    return s / np.average(s, weights=days)


def seasonality_table() -> np.ndarray:
    """Monthly intensity of every segment, shape (segments, 12), January first."""
    return np.array([seasonality(s) for s in SEGMENTS])


def segment_values(attr: str) -> np.ndarray:
    """One attribute of every segment, in the order of :data:`SEGMENTS`."""
    return np.array([getattr(s, attr) for s in SEGMENTS])

