"""Fixtures of the notification tests: the worlds of the domain tests (a year, a letter, pilots,
ranked results, a paid year) and a local HTTP receiver standing in for the robots."""

import pytest

from ..acceptance.conftest import pilots  # noqa: F401 — fixture
from ..appraisal.conftest import _english, year  # noqa: F401 — fixtures
from ..bulletins.conftest import ranked  # noqa: F401 — fixture
from ..letters.conftest import letter  # noqa: F401 — fixture
from ..payroll.conftest import paid_year  # noqa: F401 — fixture
from . import receiver as receiver_module

CHANNEL_SETTINGS = (
    "NOTIFY_EMAIL", "NOTIFY_WECOM_URL", "NOTIFY_DINGTALK_URL", "NOTIFY_DINGTALK_SECRET",
    "NOTIFY_FEISHU_URL", "NOTIFY_FEISHU_SECRET",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_channels(settings):
    """Every test starts with the embedded default's channels (none), whatever the environment
    running the suite sets."""
    for name in CHANNEL_SETTINGS:
        setattr(settings, name, False if name == "NOTIFY_EMAIL" else "")
    settings.NOTIFY_DAILY_CAP = 20
    settings.NOTIFY_MAX_TRIES = 3
    settings.NOTIFY_TIMEOUT = 5.0
    settings.SITE_URL = "https://jx.example.com"


@pytest.fixture
def receiver():
    started = receiver_module.start()
    yield started
    started.server.shutdown()
    started.server.server_close()
