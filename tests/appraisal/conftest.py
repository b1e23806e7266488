"""An open appraisal year over the `world` of tests/conftest.py:

| indicator | part | method | max | department | applies to |
|---|---|---|---|---|---|
| C1 安全生产 | common | deduct | 300 | AQ 安全生产科 | all |
| B1 营业收入 | business | add | 300 | DJ 党建办 | A01 |
| B2 服务质量 | business | deduct | 300 | DJ 党建办 | B01, C01 |
| E1 重点工作 | execution | deduct | 400 | DC 督查室 | all |

The `scorer` persona belongs to AQ, so it scores C1 only.
"""

from decimal import Decimal

import pytest

from appraisal.models import Indicator, Scheme

from ..factories import ScoringDepartmentFactory


@pytest.fixture
def year(world):
    return build_year(world)


def build_year(world):
    """The `year` fixture's data (also built once per module by tests/security)."""
    dj = ScoringDepartmentFactory(code="DJ", name="党建办")
    dc = ScoringDepartmentFactory(code="DC", name="督查室")
    scheme = Scheme.objects.create(year=2026, status=Scheme.Status.OPEN)

    def indicator(code, part, method, max_points, department, applies=None):
        ind = Indicator.objects.create(
            scheme=scheme, code=code, part=part, name=code, method=method,
            max_points=Decimal(max_points), department=department, applies_to_all=applies is None,
        )  # fmt: skip
        if applies:
            ind.institutions.set(applies)
        return ind

    indicators = {
        "C1": indicator("C1", "common", "deduct", "300", world.dept),
        "B1": indicator("B1", "business", "add", "300", dj, [world.a]),
        "B2": indicator("B2", "business", "deduct", "300", dj, [world.b, world.c]),
        "E1": indicator("E1", "execution", "deduct", "400", dc),
    }
    return type("Year", (), {"scheme": scheme, "indicators": indicators, "dj": dj, "dc": dc})


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests check messages by their English text: services called directly run in English,
    and so do pages and the API (the product's default is Chinese; tests/test_i18n.py and the
    orgs and browser tests cover that)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
