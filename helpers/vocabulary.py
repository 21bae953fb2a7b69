"""The business vocabulary of the course, in one place.

The values a column of the data contract may take (age bands, channels,
tiers, area types, …) and their meanings (an age band's mid-point in years)
are defined here once and imported by :mod:`helpers.data`, :mod:`helpers.synth`,
:mod:`helpers.segments` and :mod:`helpers.uplift` alike.

The *company facts* (when the company was founded, when the data was
extracted, the last day the data covers) belong to the data, not to the code:
functions take them as parameters. :data:`SAMPLE` holds the sample company's
values, used as defaults for the sample data only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Age bands of the customer register, youngest first.
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
#: Mid-point of each age band in whole years: the middle of the band's first
#: and last age, rounded half up (``25-34`` -> 29.5 -> 30); the open band
#: ``65+`` is taken as 70. (``13-17`` is listed for registers that admit teenagers.)
AGE_MIDPOINTS = {"13-17": 15, "18-24": 21, "25-34": 30, "35-44": 40, "45-54": 50, "55-64": 60, "65+": 70}
#: Sales channels of an order.
CHANNELS = ("store", "web", "app")
#: Contact channels of a campaign.
CAMPAIGN_CHANNELS = ("email", "sms")
#: Consent channels of the register (``consent_<channel>`` columns).
CONSENT_CHANNELS = ("email", "sms", "post")
#: Area types of the postal-code classifier.
AREA_TYPES = ("city", "suburb", "rural")
#: Loyalty tiers, lowest first.
LOYALTY_TIERS = ("basic", "silver", "gold")
#: Yes/no answers (consents).
YES_NO = ("yes", "no")
#: Groups of a controlled campaign.
GROUPS = ("treatment", "control")
#: Product categories of the sample company (a client's categories come from its data).
SAMPLE_CATEGORIES = ("home_textiles", "kitchen", "lighting", "decor", "garden", "outdoor", "kids", "food_gifts")


@dataclass(frozen=True)
class CompanyFacts:
    """Dates that belong to a company's data (all inclusive days).

    ``data_start``: first day of the history; ``observation_end``: last day the
    history covers; ``extraction_date``: the day the data was exported (later
    dates are impossible); ``founded``: the day the company began (earlier
    sign-ups are impossible; ``None`` = unknown, the check is skipped).
    """

    name: str
    data_start: pd.Timestamp | None
    observation_end: pd.Timestamp
    extraction_date: pd.Timestamp
    founded: pd.Timestamp | None = None


#: The sample company, Kotiranta Oy (``data/README.md``).
SAMPLE = CompanyFacts(
    name="Kotiranta Oy",
    data_start=pd.Timestamp("2023-01-01"),
    observation_end=pd.Timestamp("2025-12-31"),
    extraction_date=pd.Timestamp("2026-01-05"),
    founded=pd.Timestamp("2015-01-01"),
)
#: Last day of the sample's hidden future year (the answer key's horizon).
SAMPLE_FUTURE_END = pd.Timestamp("2026-12-31")
