"""数据填报 over the `year` of tests/appraisal/conftest.py, plus a completion-ratio indicator:

| indicator | part | method | max | department | applies to | target (上半年) |
|---|---|---|---|---|---|---|
| B3 营业收入 | business | ratio, higher | 10 | AQ (the `scorer` persona) | A01 | 1200 万元 |

B1's max is lowered to 290 so that A01's business goals still add up to 300. A01's report holds
C1, B1, B3 (a figure item) and E1; B01's C1, B2, E1 (note items only).
"""

from decimal import Decimal

import pytest

from appraisal.models import Indicator, Target

from ..appraisal.conftest import build_year


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def year(world):
    return build_year(world)


@pytest.fixture
def ratio(world, year):
    Indicator.objects.filter(pk=year.indicators["B1"].pk).update(max_points=Decimal("290"))
    indicator = Indicator.objects.create(
        scheme=year.scheme, code="B3", part="business", name="营业收入", method="ratio",
        direction="higher", max_points=Decimal("10"), department=world.dept, applies_to_all=False,
    )  # fmt: skip
    indicator.institutions.set([world.a])
    target = Target.objects.create(
        indicator=indicator,
        institution=world.a,
        period="h1",
        kind="absolute",
        unit="万元",
        target_value=Decimal("1200"),
    )
    return type("Ratio", (), {"indicator": indicator, "target": target})
