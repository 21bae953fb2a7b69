"""Marketing automation measured against its always-on holdout, and the rule table a system can run.

An automation rule fires by itself, day after day (a silence of 120 days, a
second visit, …). It is measured like a campaign (lesson 05), but all the
time: every firing is held out at random with a small share, and the
treated firings are compared with the held-out ones in euros
(Kohavi, Tang & Xu 2020, *Trustworthy Online Controlled Experiments*, ch. 1
and 21). Each period's firings are one **run**; the runs' effects are pooled
(:func:`helpers.experiments.pool_effects`, DerSimonian & Laird 1986), which
also shows whether the effect drifts between runs (``i2``).

The member table has one row per firing: the rule, the customer, the fire
date, the group (treatment / control) and the outcome in the rule's window
(``converted`` 0/1, ``purchases``, ``revenue`` and ``margin`` in euros), as
``automation_members.csv`` of the sample company.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import columns, experiments
from helpers._checks import examples, require_columns, require_dates, within_observation
from helpers.churn._common import check_share, purchases
from helpers.clv.summaries import DAYS_PER_UNIT, check_time_unit

#: Columns of the automation tables (to move into :mod:`helpers.columns` with the data contract).
AUTOMATION, FIRE_DATE, PURCHASES = columns.AUTOMATION, columns.FIRE_DATE, columns.PURCHASES


@dataclass(frozen=True)
class AutomationMeasurement:
    """An automation rule against its holdout: overall, per run, and the runs pooled.

    ``overall``: one row per rule and outcome (:func:`helpers.experiments.compare_by`
    columns: ``estimate`` treatment minus control per firing, ``std_error``,
    ``ci_low``, ``ci_high``, ``p_value``, …); ``runs``: the same per rule,
    run and outcome; ``pooled``: one row per rule and outcome with the
    pooled ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value``,
    ``tau2``, ``i2`` and ``k`` runs. Shares for ``converted``, euros per firing
    for ``revenue`` and ``margin``.
    """

    overall: pd.DataFrame
    runs: pd.DataFrame
    pooled: pd.DataFrame
    period: str
    alpha: float


def measure_automation(members: pd.DataFrame, *, period: str = "Q",
                       outcomes=(columns.CONVERTED, columns.REVENUE, columns.MARGIN),
                       automation_col: str = AUTOMATION, fire_date_col: str = FIRE_DATE,
                       group_col: str = columns.GROUP, rates=(columns.CONVERTED,), alpha: float = 0.05,
                       pool_method: str = "random") -> AutomationMeasurement:
    """Each rule's effect per firing against the holdout: overall, per run (fire-date period) and pooled.

    Parameters
    ----------
    members : DataFrame
        One row per firing (see the module docstring).
    period : str
        The runs: a pandas period of the fire date (``"Q"`` quarters, ``"M"`` months).
    outcomes : sequence of str
        Outcome columns, compared per firing as :func:`helpers.experiments.compare_by` does.
    rates : sequence of str
        The outcomes that are 0/1 (compared as rates, z-test); the others
        are compared as means (Welch), e.g. euros.
    pool_method : {"random", "fixed"}
        How :func:`helpers.experiments.pool_effects` pools the runs.
    """
    require_columns(members, [automation_col, fire_date_col, group_col, *outcomes], "members")
    dates = require_dates(members, fire_date_col, "members")
    try:
        run = dates.dt.to_period(period).astype(str)
    except ValueError as exc:
        raise ValueError(f"period={period!r} is not a pandas period such as 'Q' or 'M'") from exc
    data = members.assign(run=run.to_numpy())
    overall, runs, pooled = [], [], []
    for outcome in outcomes:
        kind = "proportion" if outcome in rates else "mean"
        common = {"outcome_col": outcome, "group_col": group_col, "kind": kind, "alpha": alpha}
        overall.append(experiments.compare_by(data, campaign_col=automation_col, **common).assign(outcome=outcome))
        per_run = experiments.compare_by(data, campaign_col=[automation_col, "run"], **common).assign(outcome=outcome)
        runs.append(per_run)
        pooled += [_pooled(rule, part, outcome, pool_method, alpha) for rule, part in per_run.groupby(automation_col)]
    first = ["outcome", automation_col]
    return AutomationMeasurement(_outcome_first(pd.concat(overall, ignore_index=True), first),
                                 _outcome_first(pd.concat(runs, ignore_index=True), first),
                                 pd.DataFrame(pooled), period, float(alpha))


def _outcome_first(table: pd.DataFrame, first: list) -> pd.DataFrame:
    return table[first + [c for c in table.columns if c not in first]]


def _pooled(rule, runs: pd.DataFrame, outcome: str, method: str, alpha: float) -> dict:
    """The runs of one rule pooled; runs without variation in either group (std_error 0) left out and counted."""
    ok = runs["std_error"] > 0
    result = experiments.pool_effects(runs.loc[ok, "estimate"], runs.loc[ok, "std_error"], method=method,
                                      alpha=alpha)
    return {"outcome": outcome, AUTOMATION: rule, "estimate": result.estimate, "std_error": result.std_error,
            "ci_low": result.ci_low, "ci_high": result.ci_high, "p_value": result.p_value, "alpha": result.alpha,
            "tau2": result.tau2, "i2": result.i2, "k": result.k, "runs_left_out": int((~ok).sum()),
            "method": method}


def firings_per_week(members: pd.DataFrame, *, weeks: int = 26, observation_end=None,
                     automation_col: str = AUTOMATION, fire_date_col: str = FIRE_DATE) -> pd.Series:
    """Each rule's firings per week over its last ``weeks`` weeks of data (holdout included).

    The weeks end on ``observation_end`` (default: the last fire date), read as
    :func:`helpers._checks.within_observation` reads it; firings after that day are left out.
    """
    require_columns(members, [automation_col, fire_date_col], "members")
    dates = require_dates(members, fire_date_col, "members")
    keep, end, _n_after = within_observation(dates, observation_end)
    recent = keep & (dates >= end + pd.Timedelta(days=1) - pd.Timedelta(weeks=weeks))
    return (members.loc[recent].groupby(automation_col).size() / weeks).rename("firings_per_week")


@dataclass(frozen=True)
class AutomationRule:
    """One row of the rule table: when, who, what, how, the holdout and the measure, and what it is worth.

    ``effect`` (with ``ci_low``/``ci_high``) is the measured margin per firing
    in euros, net of the message's cost (0 for the rule to do nothing).
    """

    name: str
    when: str
    who: str
    what: str
    how: str
    holdout_share: float
    measure: str
    effect: float
    ci_low: float
    ci_high: float
    firings_per_week: float


def do_nothing(who: str, why: str, firings_per_week: float = 0.0) -> AutomationRule:
    """The rule to send nothing: customers best left alone (sure things, lost causes, sleeping dogs)."""
    return AutomationRule(name="do nothing", when="never", who=who, what="nothing", how="-", holdout_share=0.0,
                          measure=why, effect=0.0, ci_low=0.0, ci_high=0.0, firings_per_week=firings_per_week)


def rule_table(rules) -> pd.DataFrame:
    """The automation rules as a table a marketing-automation system can run, with the cost of waiting.

    ``cost_of_waiting_per_week`` (euros) is what a week without the rule
    loses: margin per firing times the firings of a week that would be
    treated (``1 - holdout_share`` of them); its interval follows the
    effect's. Negative: running the rule loses money -- do not run it.
    """
    rows = []
    for rule in rules:
        if not isinstance(rule, AutomationRule):
            raise ValueError(f"rule_table takes AutomationRule rows; got {type(rule).__name__}")
        check_share(rule.holdout_share, f"{rule.name}: holdout_share", open_low=False)
        treated = rule.firings_per_week * (1 - rule.holdout_share)
        rows.append({**rule.__dict__, "cost_of_waiting_per_week": rule.effect * treated,
                     "cost_ci_low": rule.ci_low * treated, "cost_ci_high": rule.ci_high * treated})
    if not rows:
        raise ValueError("rule_table: no rules given")
    return pd.DataFrame(rows)


def rule_from_measurement(measurement: AutomationMeasurement, rule: str, *, name: str, when: str, who: str, what: str,
                          how: str, holdout_share: float, cost_per_message: float, firings: float,
                          outcome: str = columns.MARGIN, which: str = "overall") -> AutomationRule:
    """An :class:`AutomationRule` whose effect is the measured ``outcome`` per firing minus the message's cost.

    ``which="overall"`` takes the comparison over all firings (each firing
    weighs the same: the right average for euros per week); ``"pooled"`` the
    runs' pooled effect (each run weighs by its precision, and with random
    effects the runs count more equally).
    """
    if which not in ("overall", "pooled"):
        raise ValueError(f"which must be 'overall' or 'pooled', got {which!r}")
    table = measurement.overall if which == "overall" else measurement.pooled
    row = table[(table["outcome"] == outcome) & (table[AUTOMATION] == rule)]
    if row.empty:
        raise ValueError(f"rule_from_measurement: no {which} {outcome!r} for rule {rule!r}; the measurement has "
                         f"{examples(table[AUTOMATION])}")
    r = row.iloc[0]
    measure = (f"{outcome} per firing against the holdout" if which == "overall"
               else f"{outcome} per firing against the holdout, pooled over {measurement.period} runs")
    return AutomationRule(name=name, when=when, who=who, what=what, how=how, holdout_share=holdout_share,
                          measure=measure, effect=float(r["estimate"] - cost_per_message),
                          ci_low=float(r["ci_low"] - cost_per_message), ci_high=float(r["ci_high"] - cost_per_message),
                          firings_per_week=float(firings))


def uplift_by_band(members: pd.DataFrame, score: pd.Series, *, bands=(0, 0.3, 0.8, 1.0),
                   outcome_col: str = columns.MARGIN, group_col: str = columns.GROUP, rates=(columns.CONVERTED,),
                   alpha: float = 0.05) -> pd.DataFrame:
    """The rule's effect per firing within bands of a score known at the firing (e.g. P(alive)).

    ``score`` is indexed like ``members`` (one value per firing). Randomised
    firings within a band are still randomised, so each band's difference is
    the effect for that kind of customer: where the rule pays and where it
    should do nothing. Returns :func:`helpers.experiments.compare_by`'s table,
    one row per band (``"0.3-0.8"``: above 0.3 up to 0.8; the first band
    includes its lower edge), ``outcome_col`` compared as a rate when it is one of ``rates``.
    """
    require_columns(members, [group_col, outcome_col], "members")
    if not score.index.equals(members.index):
        raise ValueError("uplift_by_band: score must be indexed like members (one value per firing)")
    edges = np.asarray(bands, dtype=float)
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges[:-1], edges[1:])]
    band = pd.cut(score, bins=edges, labels=labels, include_lowest=True).astype(str)
    kind = "proportion" if outcome_col in rates else "mean"
    return experiments.compare_by(members.assign(band=band.to_numpy()), campaign_col="band", outcome_col=outcome_col,
                                  group_col=group_col, kind=kind, alpha=alpha)


def firing_summaries(orders: pd.DataFrame, members: pd.DataFrame, *, time_unit: str = "W",
                     customer_col: str = columns.CUSTOMER, timestamp_col: str = columns.TIMESTAMP,
                     amount_col: str = columns.AMOUNT, fire_date_col: str = FIRE_DATE) -> pd.DataFrame:
    """Each firing's customer summary as the rule saw it: the purchases before the fire date only.

    The BG/NBD summary (``frequency``, ``recency``, ``T`` in ``time_unit``;
    Fader, Hardie & Lee 2005) of the firing's customer with the day before
    the fire date as the observation end, so a fitted
    :class:`helpers.clv.BetaGeoModel` gives each firing's P(alive) when the
    message went out -- a score the rule could have used to pick whom to message.

    Returns
    -------
    DataFrame
        Indexed like ``members``; a firing whose customer has no purchase
        before it is left out and counted in ``attrs["firings_without_history"]``.
    """
    unit = check_time_unit(time_unit)
    require_columns(members, [customer_col, fire_date_col], "members")
    fire = require_dates(members, fire_date_col, "members").dt.normalize()
    days = purchases(orders, None, customer_col, timestamp_col, amount_col).days
    m = pd.DataFrame({"firing": members.index, "customer": members[customer_col].to_numpy(),
                      "fire": fire.to_numpy()}).merge(days[["customer", "day"]], on="customer")
    m = m[m["day"] < m["fire"]]
    by = m.groupby("firing")
    first, last = by["day"].min(), by["day"].max()
    end = by["fire"].first() - pd.Timedelta(days=1)
    out = pd.DataFrame({"frequency": by.size() - 1, "recency": (last - first).dt.days / unit,
                        "T": (end - first).dt.days / unit}).reindex(members.index).dropna()
    out["frequency"] = out["frequency"].astype(np.int64)
    out.attrs.update(time_unit=time_unit, firings_without_history=int(len(members) - len(out)),
                     days_per_unit=DAYS_PER_UNIT[time_unit])
    return out
