"""Customer lifetime value: RFM summaries, BG/NBD, Gamma-Gamma and sBG models.

The non-contractual models ("buy till you die") follow

* Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting Your Customers"
  the Easy Way: An Alternative to the Pareto/NBD Model. *Marketing Science*
  24(2), 275-284 (BG/NBD).
* Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: Using
  Iso-Value Curves for Customer Base Analysis. *Journal of Marketing Research*
  42(4), 415-430, and Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary
  Value" (note at brucehardie.com) (Gamma-Gamma spend model).

The contractual model (renewals of subscriptions or season passes) follows

* Fader, P. S. & Hardie, B. G. S. (2007). How to Project Customer Retention.
  *Journal of Interactive Marketing* 21(1), 76-90 (shifted-beta-geometric, sBG).
* Fader, P. S. & Hardie, B. G. S. (2010). Customer-Base Valuation in a
  Contractual Setting: The Perils of Ignoring Heterogeneity. *Marketing
  Science* 29(1), 85-93 (discounted expected residual lifetime).

Time units: a summary is expressed in days (``"D"``), weeks (``"W"``, days / 7)
or months (``"M"``, days / 30.4375); the unit is stored in ``summary.attrs`` and
carried by the fitted models. Money is in the currency of the data (euros for
the course company, US dollars for CDNOW).

Large customer bases: many customers share the same (frequency, recency, T);
:class:`BetaGeoModel` fits on the unique rows with weights and evaluates its
predictions on the unique rows only, so a million customers take seconds.

The sub-modules, by concern: :mod:`~helpers.clv.summaries` (``rfm_summary``,
``calibration_holdout_split``, ``holdout_dates``, the input checks), :mod:`~helpers.clv.bgnbd`,
:mod:`~helpers.clv.gammagamma`, :mod:`~helpers.clv.sbg` and
:mod:`~helpers.clv.value` (``customer_lifetime_value``, the discounting) and
:mod:`~helpers.clv.value_interval` (``clv_interval``: the value and the customer
equity with a parametric-bootstrap interval).
Import the public names from here: ``from helpers import clv;
clv.BetaGeoModel``.
"""

from helpers.clv._fitting import ConvergenceError
from helpers.clv.bgnbd import BetaGeoModel
from helpers.clv.gammagamma import GammaGammaModel, SpendOutlierWarning
from helpers.clv.sbg import ShiftedBetaGeometric
from helpers.clv.summaries import DAYS_PER_UNIT, calibration_holdout_split, holdout_dates, rfm_summary
from helpers.clv.value import customer_lifetime_value
from helpers.clv.value_interval import ValueInterval, clv_interval, parameter_covariance

__all__ = [
    "ConvergenceError",
    "SpendOutlierWarning",
    "rfm_summary",
    "calibration_holdout_split",
    "holdout_dates",
    "BetaGeoModel",
    "GammaGammaModel",
    "ShiftedBetaGeometric",
    "customer_lifetime_value",
    "clv_interval",
    "ValueInterval",
    "parameter_covariance",
    "DAYS_PER_UNIT",
]
