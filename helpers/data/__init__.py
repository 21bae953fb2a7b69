"""Load, validate and health-check a company's data: the sample company's, or a client's exports as they are.

A company is a folder of exports and one ``company.toml`` describing them
(:mod:`helpers.data.description`): which file holds which table, what the
client calls each column, the company's dates. :func:`load_company` reads it
(the sample company ships its own ``data/sample/company.toml`` and is read by
the same path), returning a :class:`Company`. Reading goes in steps, each
reported and each refusing what is ambiguous rather than guessing:

- :mod:`~helpers.data.intake`: bytes to rows (encodings, separators, Excel
  sheets, title, blank and total rows) and client names to course names;
- :mod:`~helpers.data.contracts`: the tiered data contracts (a small core
  per table, optional columns left absent when the export lacks them) and
  :func:`validate`, which types the table (:mod:`~helpers.data.values`:
  decimal marks, thousands separators, ISO and Finnish dates);
- :mod:`~helpers.data.health`: the register health check (*kuntotesti*,
  seed text 004), its references taken from the company, a rule without its
  reference skipped and listed;
- :mod:`~helpers.data.cleaning`: the repairs the description allows, each
  counted.

``python -m helpers.data check path/to/company.toml`` prints all of it.
The real public data sets (:func:`load_cdnow`, :func:`load_hillstrom`) are
read as published.
"""

from helpers import DATA_DIR
from helpers import vocabulary as _vocabulary

from .cleaning import FIXES, clean_company
from .company import (ANALYSES, CACHE_DIR, SAMPLE_DIR, SAMPLE_TOML, TABLES, TRUTH_DIR, Company,
                      load_automation_members, load_automations, load_campaign_members, load_campaigns,
                      load_company, load_customers, load_orders, load_park_campaign, load_park_holders,
                      load_park_seasons, load_postal_codes, load_products, load_referrals, load_stores, load_survey,
                      load_truth)
from .contracts import (COMPOSITE_KEYS, COMPRESSED, CONTRACTS, FILES, Column, DataContractError, check_table,
                        column_names, core_columns, validate)
from .description import CompanyFileError, Description, description_text, read_description
from .health import CONSEQUENCES, customer_faults, flagged_keys, health_check, order_faults
from .intake import decode, load_table, map_columns, read_raw, read_table
from .real import REAL_DIR, load_cdnow, load_hillstrom

# The sample company's dates, kept for the lessons that name them (its company.toml holds the same).
DATA_START = _vocabulary.SAMPLE.data_start
OBSERVATION_END = _vocabulary.SAMPLE.observation_end
EXTRACTION_DATE = _vocabulary.SAMPLE.extraction_date
FOUNDED = _vocabulary.SAMPLE.founded
FUTURE_END = _vocabulary.SAMPLE_FUTURE_END

__all__ = [
    "ANALYSES", "CACHE_DIR", "COMPOSITE_KEYS", "COMPRESSED", "CONSEQUENCES", "CONTRACTS", "DATA_DIR", "DATA_START",
    "EXTRACTION_DATE", "FILES", "FIXES", "FOUNDED", "FUTURE_END", "OBSERVATION_END", "REAL_DIR", "SAMPLE_DIR",
    "SAMPLE_TOML", "TABLES", "TRUTH_DIR", "Column", "Company", "CompanyFileError", "DataContractError", "Description",
    "check_table", "clean_company", "column_names", "core_columns", "customer_faults", "decode", "description_text",
    "flagged_keys", "health_check", "load_automation_members", "load_automations", "load_campaign_members",
    "load_campaigns", "load_cdnow", "load_company", "load_customers", "load_hillstrom", "load_orders",
    "load_park_campaign", "load_park_holders", "load_park_seasons", "load_postal_codes", "load_products",
    "load_referrals", "load_stores", "load_survey", "load_table", "load_truth", "map_columns", "order_faults",
    "read_description", "read_raw", "read_table", "validate",
]
