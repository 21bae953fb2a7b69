"""What respondents did around their answer, and how to reach them: the euro side of a survey.

- :func:`answers_between`: the answers given between two days (dates or
  strings such as ``2025-07-01`` or ``01.07.2025``), e.g. those old enough to
  have a full follow-up year in the data.
- :func:`outcomes_after`: for each answer, what the respondent bought (orders,
  margin in euros) and how many new members they referred in the ``days``
  after the answer day: the link between a score and later behaviour.
- :func:`margin_before`: the margin a respondent brought in the ``days`` up to
  and including the answer day: what the company stands to lose if a
  detractor leaves ("margin at risk").
- :func:`first_consented_channel`: the first channel in the company's order of
  preference that the customer has consented to, or ``"no consent"``.

Windows are whole days. An answer given on day ``d`` is followed from day
``d + 1`` to day ``d + days`` (both included), so the purchase during which
the customer was asked does not count as something the answer "led to";
``margin_before`` covers days ``d − days + 1`` to ``d``. Order lines after
``observation_end`` are left out and counted in
``attrs["rows_after_observation_end"]``; answers whose window is not complete
by then are counted in ``attrs["incomplete_windows"]`` (their totals are too
low: choose answers old enough, as lesson 07 does).
"""

from __future__ import annotations

import pandas as pd

from helpers import columns
from helpers._checks import as_timestamp, require_columns, require_dates, within_observation

#: Label of a customer who has consented to none of the channels asked for.
NO_CONSENT = "no consent"
_DAY = pd.Timedelta(days=1)


def _check_days(days) -> int:
    if isinstance(days, bool) or int(days) != days or days < 1:
        raise ValueError(f"days must be a positive whole number of days, got {days!r}")
    return int(days)


def _answer_days(answers: pd.DataFrame, customer_col: str, date_col: str) -> pd.DataFrame:
    """The answers' customer and day (midnight), keyed by the answers' own index as ``_answer``."""
    require_columns(answers, [customer_col, date_col], "answers")
    if answers.index.has_duplicates:
        raise ValueError("answers: the index must be unique (one label per answer); use answers.reset_index()")
    days = require_dates(answers, date_col, "answers").dt.normalize()
    return pd.DataFrame({"_answer": answers.index, customer_col: answers[customer_col].to_numpy(),
                         "_day": days.to_numpy()})


def _window_sums(answers: pd.DataFrame, lines: pd.DataFrame, first: int, days: int, customer_col: str,
                 time_col: str, sums: dict) -> pd.DataFrame:
    """Totals of ``lines`` per answer over days ``answer day + first`` … ``+ first + days − 1`` (whole days)."""
    joined = lines.merge(answers, on=customer_col)
    start = joined["_day"] + first * _DAY
    inside = (joined[time_col] >= start) & (joined[time_col] < start + days * _DAY)
    out = joined[inside].groupby("_answer").agg(**sums)
    return out.reindex(answers["_answer"]).fillna(0)


def answers_between(answers: pd.DataFrame, start=None, end=None, date_col: str = "date") -> pd.DataFrame:
    """The answers given from day ``start`` to day ``end``, both included.

    ``start`` and ``end`` are dates or strings (``2025-07-01`` or
    ``01.07.2025``); ``None`` leaves that side open. The days used are in
    ``attrs["start"]`` and ``attrs["end"]`` (``None`` when open).
    """
    require_columns(answers, [date_col], "answers")
    days = require_dates(answers, date_col, "answers").dt.normalize()
    first = None if start is None else as_timestamp(start, "start").normalize()
    last = None if end is None else as_timestamp(end, "end").normalize()
    if first is not None and last is not None and last < first:
        raise ValueError(f"end {last.date()} is before start {first.date()}")
    keep = pd.Series(True, index=answers.index)
    if first is not None:
        keep &= days >= first
    if last is not None:
        keep &= days <= last
    out = answers[keep.to_numpy()].copy()
    out.attrs.update(start=first, end=last)
    return out


def outcomes_after(answers: pd.DataFrame, orders: pd.DataFrame, days: int = 365,
                   referrals: pd.DataFrame | None = None, observation_end=None, *,
                   customer_col: str = columns.CUSTOMER, date_col: str = "date",
                   timestamp_col: str = columns.TIMESTAMP, margin_col: str = columns.MARGIN,
                   order_col: str = columns.ORDER, referrer_col: str = columns.REFERRER,
                   referral_date_col: str = "date") -> pd.DataFrame:
    """What each respondent did in the ``days`` after the answer day.

    Parameters
    ----------
    answers : DataFrame
        One row per answer with the customer (``customer_col``) and the answer
        day (``date_col``, datetimes); its index labels the result's rows
        (unique). A customer who answered twice is followed twice.
    orders : DataFrame
        Order lines with ``customer_col``, ``timestamp_col``, ``order_col`` and
        ``margin_col`` (euros; return lines count with their negative margin,
        so the margin is net of returns).
    days : int
        Length of the follow-up window, in days after the answer day.
    referrals : DataFrame, optional
        Member-gets-member referrals with ``referrer_col`` and
        ``referral_date_col``: new members the respondent brought in the window.
    observation_end : date or str, optional
        Last day the order history covers (default: the last order day);
        lines after it are left out and counted.

    Returns
    -------
    DataFrame
        Index of ``answers``; ``orders`` (distinct orders in the window),
        ``margin`` (euros), ``retained`` (bought at least once) and, with
        ``referrals``, ``referrals``. ``attrs["rows_after_observation_end"]``,
        ``attrs["incomplete_windows"]`` (answers whose window runs past
        ``observation_end``), ``attrs["days"]``.
    """
    days = _check_days(days)
    asked = _answer_days(answers, customer_col, date_col)
    require_columns(orders, [customer_col, timestamp_col, order_col, margin_col], "orders")
    times = require_dates(orders, timestamp_col, "orders")
    keep, end, n_after = within_observation(times, observation_end)
    lines = pd.DataFrame({customer_col: orders[customer_col].to_numpy(), "_t": times.to_numpy(),
                          "_order": orders[order_col].to_numpy(), "_margin": orders[margin_col].to_numpy()})[
        keep.to_numpy()]
    out = _window_sums(asked, lines, 1, days, customer_col, "_t",
                       {"orders": ("_order", "nunique"), "margin": ("_margin", "sum")})
    out["orders"] = out["orders"].astype("int64")
    out["retained"] = out["orders"] > 0
    if referrals is not None:
        require_columns(referrals, [referrer_col, referral_date_col], "referrals")
        refs = pd.DataFrame({customer_col: referrals[referrer_col].to_numpy(),
                             "_t": require_dates(referrals, referral_date_col, "referrals").to_numpy(),
                             "_one": 1})
        out["referrals"] = _window_sums(asked, refs, 1, days, customer_col, "_t",
                                        {"referrals": ("_one", "sum")})["referrals"].astype("int64")
    out.index = answers.index
    out.attrs["rows_after_observation_end"] = n_after
    out.attrs["incomplete_windows"] = int((asked["_day"] + days * _DAY > end).sum())
    out.attrs["days"] = days
    return out


def margin_before(answers: pd.DataFrame, orders: pd.DataFrame, days: int = 365, *,
                  customer_col: str = columns.CUSTOMER, date_col: str = "date",
                  timestamp_col: str = columns.TIMESTAMP, margin_col: str = columns.MARGIN) -> pd.Series:
    """The margin (euros) each respondent brought in the ``days`` up to and including the answer day.

    The "margin at risk" of a detractor: what the company loses in a year if
    the customer leaves. Return lines count with their negative margin.
    Returns a Series on the index of ``answers``, named ``margin_before``.
    """
    days = _check_days(days)
    asked = _answer_days(answers, customer_col, date_col)
    require_columns(orders, [customer_col, timestamp_col, margin_col], "orders")
    lines = pd.DataFrame({customer_col: orders[customer_col].to_numpy(),
                          "_t": require_dates(orders, timestamp_col, "orders").to_numpy(),
                          "_margin": orders[margin_col].to_numpy()})
    out = _window_sums(asked, lines, 1 - days, days, customer_col, "_t", {"margin": ("_margin", "sum")})
    return pd.Series(out["margin"].to_numpy(), index=answers.index, name="margin_before")


def first_consented_channel(customers: pd.DataFrame, contact_order, customer_col: str = columns.CUSTOMER) -> pd.Series:
    """The first channel of ``contact_order`` each customer has consented to, else ``"no consent"``.

    Parameters
    ----------
    customers : DataFrame
        The register with ``customer_col`` and a ``consent_<channel>``
        column (``"yes"``/``"no"``) for every channel asked for; anything but
        ``"yes"`` (a missing value included) is no consent.
    contact_order : list of str
        Channels in order of preference, e.g. ``["email", "sms", "post"]``.

    Returns
    -------
    Series
        Indexed by customer id: the channel, or :data:`NO_CONSENT`.
    """
    contact_order = [contact_order] if isinstance(contact_order, str) else list(contact_order)
    if not contact_order:
        raise ValueError("contact_order: give at least one channel, e.g. ['email', 'sms']")
    consent = [f"consent_{c}" for c in contact_order]
    require_columns(customers, [customer_col, *consent], "customers")
    allowed = pd.concat({c: customers[f"consent_{c}"].eq("yes") for c in contact_order}, axis=1)
    channel = allowed.idxmax(axis=1).where(allowed.any(axis=1), NO_CONSENT)
    return pd.Series(channel.to_numpy(), index=pd.Index(customers[customer_col], name=customer_col),
                     name="channel")
