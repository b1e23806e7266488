"""The `year` of tests/appraisal/conftest.py, with targets for A01 and a head's letter issued."""

from decimal import Decimal as D

import pytest

from appraisal.models import Indicator, Target
from letters import services

from ..appraisal.conftest import _english, year  # noqa: F401 — fixtures


@pytest.fixture
def letter(world, year):  # noqa: F811
    ratio = Indicator.objects.create(
        scheme=year.scheme, code="B3", part="business", name="营业收入", method="ratio",
        direction="higher", max_points=D("0.01"), department=year.dj, applies_to_all=False,
    )  # fmt: skip
    ratio.institutions.set([world.a])
    # B1 (add, 300) carries A01's business max; B3 adds a revenue target to its letter.
    Indicator.objects.filter(pk=year.indicators["B1"].pk).update(max_points=D("299.99"))
    Target.objects.create(
        indicator=ratio,
        institution=world.a,
        period="h2",
        kind="absolute",
        unit="万元",
        target_value=D("1200"),
    )
    Target.objects.create(
        indicator=year.indicators["B1"],
        institution=world.a,
        period="h2",
        kind="rank",
        unit="名",
        target_value=D("3"),
    )
    return services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.a)
