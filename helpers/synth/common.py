"""Settings of one generation: seed, size, timeline and id formats, and small random-draw tools.

Every date the generator writes is a day offset from the company's first day
(:attr:`Settings.data_start`); moving that day by ``shift_days`` moves every date
of every table (the calendar then decides the months, so Christmas stays in
December). The defaults are the sample company's, and reproduce ``data/sample/``
byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from helpers.vocabulary import (
    AGE_BANDS, GROUPS, LOYALTY_TIERS, SAMPLE, SAMPLE_CATEGORIES, SAMPLE_FUTURE_END, YES_NO, CompanyFacts,
)

#: Seed of the sample data.
SEED = 20260105
#: Version of the generator; written to ``data/sample/READY``. Version 3: sign-ups run
#: through December 2025 (the late joiners) and a win-back automation with an always-on
#: holdout runs in 2024-2025 (:mod:`helpers.synth.automation`).
VERSION = "3"
#: Number of real persons behind the sample's register (before duplicates are planted):
#: 14 600 who joined by the end of October 2025 and 1 513 late joiners.
N_PERSONS = 16_113
#: Last sign-up day of the sample (the club keeps growing until then).
SAMPLE_SIGNUP_END = pd.Timestamp("2025-12-31")
#: Last sign-up day of the generator's version 2. Members who joined by then are drawn
#: exactly as version 2 drew them; the later ones (the *late joiners*) come from random
#: streams of their own, so adding them left the earlier members' data as it was.
SAMPLE_EARLY_SIGNUP_END = pd.Timestamp("2025-10-31")
#: First day of the sample's last observed calendar year (loyalty tiers are earned in it).
SAMPLE_TIER_YEAR_START = pd.Timestamp("2025-01-01")
#: Smallest register the generator supports (the survey, the ambassadors and the
#: planted faults need a few thousand people to be drawn without running out).
MIN_PERSONS = 1_000

CATEGORIES = SAMPLE_CATEGORIES
YOUNG = AGE_BANDS[:2]  # 18-34: more SMS consents, stronger SMS response
YES, NO = YES_NO
TREATMENT, CONTROL = GROUPS
BASIC, SILVER, GOLD = LOYALTY_TIERS


@dataclass(frozen=True)
class IdFormats:
    """How each table's ids are written: a ``str.format`` pattern filled with a running number 1, 2, ….

    The defaults are the sample company's (``C00001``, ``O0000001``, ``K01``, …).
    Zero-padded patterns keep the ids sorting in the order they were given
    (orders in time order, campaigns by send date).
    """

    customer: str = "C{:05d}"
    order: str = "O{:07d}"
    product: str = "P{:03d}"
    campaign: str = "K{:02d}"
    store: str = "S{:d}"
    response: str = "R{:05d}"  # survey responses
    holder: str = "H{:05d}"  # season-pass holders of the park
    automation: str = "A{:02d}"  # marketing-automation rules

    def __post_init__(self):
        for f in fields(self):
            pattern = getattr(self, f.name)
            try:
                first, second = pattern.format(1), pattern.format(2)
            except (IndexError, KeyError, ValueError, AttributeError) as exc:
                raise ValueError(f"IdFormats.{f.name}={pattern!r} is not a str.format pattern with one "
                                 f"field for the running number, such as 'C{{:05d}}'") from exc
            if first == second:
                raise ValueError(f"IdFormats.{f.name}={pattern!r} gives the same id for 1 and 2 "
                                 f"({first!r}): it must contain a field for the running number")

    def make(self, kind: str, count: int) -> np.ndarray:
        """The first ``count`` ids of one kind (``customer``, ``order``, …), numbered from 1."""
        pattern = getattr(self, kind)
        return np.array([pattern.format(i + 1) for i in range(count)])


@dataclass(frozen=True)
class Settings:
    """Everything one generation depends on; see :func:`helpers.synth.generate` for the meaning."""

    seed: int = SEED
    n_persons: int = N_PERSONS
    shift_days: int = 0
    ids: IdFormats = field(default_factory=IdFormats)
    name: str = SAMPLE.name

    def __post_init__(self):
        for attr in ("seed", "n_persons", "shift_days"):
            if not isinstance(getattr(self, attr), (int, np.integer)) or isinstance(getattr(self, attr), bool):
                raise ValueError(f"{attr} must be a whole number, got {getattr(self, attr)!r}")
        if self.n_persons < MIN_PERSONS:
            raise ValueError(f"n_persons={self.n_persons} is too small: the generator needs at least "
                             f"{MIN_PERSONS} persons (the sample has {N_PERSONS})")
        if not isinstance(self.ids, IdFormats):
            raise ValueError(f"ids must be an IdFormats, got {type(self.ids).__name__}")
        if not str(self.name).strip():
            raise ValueError("name (the company's name) must not be empty")

    # ------------------------------------------------------------------ timeline
    def shifted(self, date) -> pd.Timestamp:
        """A date of the sample's timeline moved by ``shift_days``."""
        return pd.Timestamp(date) + pd.Timedelta(days=self.shift_days)

    @property
    def data_start(self) -> pd.Timestamp:
        """First day of the history (day 0 of every day offset)."""
        return self.shifted(SAMPLE.data_start)

    @property
    def observation_end(self) -> pd.Timestamp:
        """Last day of the observed data (inclusive)."""
        return self.shifted(SAMPLE.observation_end)

    @property
    def future_end(self) -> pd.Timestamp:
        """Last day of the hidden future year (the answer key's horizon)."""
        return self.shifted(SAMPLE_FUTURE_END)

    @property
    def signup_end(self) -> pd.Timestamp:
        """Last sign-up day."""
        return self.shifted(SAMPLE_SIGNUP_END)

    @property
    def early_signup_end(self) -> pd.Timestamp:
        """Last sign-up day of the early members (version 2's sign-up end); later joiners are the late joiners."""
        return self.shifted(SAMPLE_EARLY_SIGNUP_END)

    @property
    def tier_year_start(self) -> pd.Timestamp:
        """First day of the last observed year, whose spend sets the loyalty tier."""
        return self.shifted(SAMPLE_TIER_YEAR_START)

    @property
    def park_year_offset(self) -> int:
        """Park seasons are calendar years: they move by the shift rounded to whole years."""
        return int(round(self.shift_days / 365.25))

    @property
    def facts(self) -> CompanyFacts:
        """The generated company's dates, as :class:`helpers.vocabulary.CompanyFacts`."""
        return CompanyFacts(name=self.name, data_start=self.data_start, observation_end=self.observation_end,
                            extraction_date=self.shifted(SAMPLE.extraction_date), founded=self.shifted(SAMPLE.founded))

    @property
    def brand(self) -> str:
        """The company's name without its legal form (``Kotiranta Oy`` -> ``Kotiranta``), for store names."""
        return str(self.name).split()[0]

    def days(self, ts) -> int:
        """Whole days from :attr:`data_start` to ``ts``."""
        return int((pd.Timestamp(ts) - self.data_start).days)

    def date(self, days) -> pd.Series:
        """Dates (midnight) of day offsets, fractions of a day dropped."""
        return self.data_start + pd.to_timedelta(np.floor(np.asarray(days, dtype=float)), unit="D")

    def months(self, days) -> np.ndarray:
        """Calendar month (1-12) of day offsets."""
        return self.date(days).month.to_numpy()

    # ------------------------------------------------------------------ size
    def scaled(self, count: int) -> int:
        """A count of the sample (``count`` among :data:`N_PERSONS` persons) scaled to ``n_persons``."""
        return max(1, int(round(count * self.n_persons / N_PERSONS)))

    def signup_weights(self, late: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Sign-up day offsets and their weights: a growing club, more sign-ups before Christmas.

        The early members' days run from the first day to :attr:`early_signup_end`,
        the late joiners' from the day after to :attr:`signup_end`; the weight
        ``(1 + day / last early day)`` times 1.2 in November and 1.5 in December
        continues the same growth across both.
        """
        last_early = self.days(self.early_signup_end)
        grid = np.arange(last_early + 1, self.days(self.signup_end) + 1) if late else np.arange(last_early + 1)
        months = self.months(grid)
        weight = (1 + grid / last_early) * np.where(months == 12, 1.5, np.where(months == 11, 1.2, 1.0))
        return grid, weight

    @property
    def n_late(self) -> int:
        """Late joiners: the persons' share that the sign-up weights put after :attr:`early_signup_end`."""
        early, late = self.signup_weights()[1].sum(), self.signup_weights(late=True)[1].sum()
        return int(round(self.n_persons * late / (early + late)))

    @property
    def n_early(self) -> int:
        """Persons who joined by :attr:`early_signup_end` (the sample: 14 600)."""
        return self.n_persons - self.n_late


def rngs(seed: int, n: int) -> list[np.random.Generator]:
    """Independent random streams, so a change in one part leaves the others as they were."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Row-wise Dirichlet draws for a matrix of concentration parameters."""
    x = rng.gamma(alpha)
    return x / x.sum(axis=1, keepdims=True)


def choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x categories) weight matrix."""
    cum = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cum).sum(1), probs.shape[1] - 1)
