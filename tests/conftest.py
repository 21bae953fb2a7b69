"""Fixtures and markers shared by several test files.

- ``@pytest.mark.needs_sample``: the test reads the generated sample data; skipped (with the reason)
  while ``data/sample/READY`` is missing, e.g. in a fresh clone before ``make data``.
- ``sample_company``: the sample company as the lessons load it (``helpers.data.load_company()``),
  one fresh copy per test module; skipped like ``needs_sample``.
- ``sample_purchases``: its purchase lines (amount > 0; return lines are left out, as the CLV and
  basket lessons do).
- ``cdnow_client``: the folder of the CDNOW client fixture (a Finnish cp1252 ``;`` export).
"""

from __future__ import annotations

import pytest

from helpers import DATA_DIR

SAMPLE_READY = (DATA_DIR / "sample" / "READY").exists()
NOT_READY = "sample data not generated yet (data/sample/READY missing: run make data)"


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_sample: reads the generated sample data (skipped without it)")


def pytest_collection_modifyitems(config, items):
    if SAMPLE_READY:
        return
    skip = pytest.mark.skip(reason=NOT_READY)
    for item in items:
        if "needs_sample" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def sample_company():
    if not SAMPLE_READY:
        pytest.skip(NOT_READY)
    from helpers.data import load_company

    return load_company()


@pytest.fixture(scope="module")
def sample_purchases(sample_company):
    orders = sample_company.orders
    return orders[orders["amount"] > 0]


@pytest.fixture(scope="session")
def cdnow_client():
    return DATA_DIR / "clients" / "cdnow"
