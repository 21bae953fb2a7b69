"""Churn management and trigger-based automation: who is leaving, what keeping them is worth, what really helps.

The field names three reasons for customer-data work: winning customers,
selling more to them, and **managing churn** (*asiakaspoistuman hallinta*);
its daily work is trigger-based automation, measured continuously against a
holdout (``DOMAIN.md``). The modules follow lesson 09:

1. :mod:`~helpers.churn.split` -- churn labels on an out-of-time split
   (:func:`churn_split`) and the behavioural features (:func:`churn_features`);
2. :mod:`~helpers.churn.methods` -- the days-since-last-purchase rule, the
   BG/NBD and two classifiers compared by ROC AUC, top-decile lift and
   calibration (:func:`compare_methods_out_of_time`, :func:`compare_churn_methods`);
3. :mod:`~helpers.churn.survival` -- Kaplan-Meier retention curves with the
   censoring explained (:func:`customer_durations`, :func:`contract_durations`,
   :func:`kaplan_meier`);
4. :mod:`~helpers.churn.value` -- value at risk with the interval of
   :func:`helpers.clv.value_interval.clv_interval` (:func:`value_at_risk`);
5. :mod:`~helpers.churn.triggers` -- trigger candidates: an outcome by level
   with intervals and where it bends (:func:`trigger_curve`, :func:`find_bend`);
6. :mod:`~helpers.churn.automation` -- automation measured against its
   always-on holdout and pooled over runs (:func:`measure_automation`), the
   rule table with the cost of waiting (:func:`rule_table`);
7. :mod:`~helpers.churn.equity` -- the customer-equity bridge
   (:func:`equity_bridge`, :func:`equity_bridge_between`).

Conventions as in the rest of the package: column parameters ``<concept>_col``
with the data contract's names as defaults (:mod:`helpers.columns`), one
end-date rule (``observation_end``: later rows left out and counted), dates
as Timestamps or strings (``"2025-06-30"``, ``"30.06.2025"``), days and euros
stated in every docstring, results as DataFrames or frozen dataclasses with
``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``alpha``.
"""

from helpers.churn.automation import (AutomationMeasurement, AutomationRule, do_nothing, firing_summaries,
                                      firings_per_week, measure_automation, rule_from_measurement, rule_table,
                                      uplift_by_band)
from helpers.churn.equity import EquityBridge, customer_equity, equity_bridge, equity_bridge_between
from helpers.churn.methods import (BGNBD, BOOSTED, LOGISTIC, RULE, ChurnComparison, bgnbd_churn, bgnbd_summary,
                                   calibration_table,
                                   churn_classifiers, classifier_churn, compare_churn_methods,
                                   compare_methods_out_of_time, fit_classifiers, recency_rule, top_decile_lift)
from helpers.churn.split import ChurnSplit, churn_features, churn_split
from helpers.churn.survival import contract_durations, customer_durations, kaplan_meier, logrank_test, survival_at
from helpers.churn.triggers import Bend, find_bend, trigger_curve
from helpers.churn.value import action_summary, value_at_risk

__all__ = [
    "ChurnSplit", "churn_features", "churn_split",
    "RULE", "BGNBD", "LOGISTIC", "BOOSTED", "ChurnComparison", "recency_rule", "bgnbd_summary", "bgnbd_churn",
    "churn_classifiers",
    "fit_classifiers", "classifier_churn", "top_decile_lift", "calibration_table", "compare_churn_methods",
    "compare_methods_out_of_time",
    "customer_durations", "contract_durations", "kaplan_meier", "survival_at", "logrank_test",
    "value_at_risk", "action_summary",
    "Bend", "trigger_curve", "find_bend",
    "AutomationMeasurement", "AutomationRule", "measure_automation", "firings_per_week", "do_nothing", "rule_table",
    "rule_from_measurement", "uplift_by_band", "firing_summaries",
    "EquityBridge", "equity_bridge", "customer_equity", "equity_bridge_between",
]
