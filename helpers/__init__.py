"""Helper package of the customer-analytics course.

One small module per topic (``data``, ``synth``, ``clv``, ``segments``,
``metrics``, ``experiments``, ``uplift``, ``nps``, ``recommend``, ``plots``).
Data flows one way: ``data/`` -> :mod:`helpers.data` (load, validate) -> topic
modules -> notebooks.
"""

from pathlib import Path

__version__ = "0.1.0"

#: Root of the repository (the folder holding ``data/`` and ``notebooks/``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Folder of the bundled data sets.
DATA_DIR = PROJECT_ROOT / "data"
