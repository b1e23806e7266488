"""The open 2026 year of tests/appraisal/conftest.py, in English (see its `_english`)."""

from ..appraisal.conftest import _english, year  # noqa: F401
