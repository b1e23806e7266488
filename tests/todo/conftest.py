"""The 待办 tests use the `world` of tests/conftest.py and each app's own fixtures: the open 2026
`year` (appraisal), the `letter` issued to A01's head (letters), the published `paid_year` with pay
policies for A01 and B01 (payroll), the `pilots` P01…P09 with a team (acceptance) and the `ranked`
results (bulletins). Messages are read in English (tests/appraisal/conftest.py's `_english`)."""

import pytest

from orgs.todo import TodoItem

from ..acceptance.conftest import pilots  # noqa: F401 — fixtures
from ..appraisal.conftest import _english, year  # noqa: F401
from ..bulletins.conftest import ranked  # noqa: F401
from ..letters.conftest import letter  # noqa: F401
from ..payroll.conftest import paid_year  # noqa: F401


def by_key(items: list[TodoItem]) -> dict[str, TodoItem]:
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys)), keys
    return {item.key: item for item in items}


def counts(items: list[TodoItem]) -> dict[str, int]:
    """{key: count} of the items with something waiting (as orgs.todo.todo_for keeps them)."""
    return {key: item.count for key, item in by_key(items).items() if item.count}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
