"""A published 2026 appraisal year over the `world`, pay policies for A01 and B01 (settled in
March 2027), and the `year` fixture's indicators."""

import datetime
from decimal import Decimal as D

import pytest

from appraisal.models import Scheme
from appraisal.recompute import year_results_recompute
from payroll import services

from ..appraisal.conftest import _english, year  # noqa: F401 — fixtures: English messages, the year


@pytest.fixture
def paid_year(world, year):  # noqa: F811
    hr = world.users["hr"]
    year_results_recompute(scheme_id=year.scheme.pk)
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    policies = {
        inst.code: services.policy_save(
            actor=hr,
            year=2026,
            institution=inst,
            per_capita=D("36000"),
            basic_ratio=D("0.6"),
            settlement_month=datetime.date(2027, 3, 1),
        )
        for inst in (world.a, world.b)
    }
    for inst in (world.a, world.b):
        services.policy_save(
            actor=hr,
            year=2027,
            institution=inst,
            per_capita=D("36000"),
            basic_ratio=D("0.6"),
            settlement_month=datetime.date(2028, 3, 1),
        )
    return type("PaidYear", (), {"year": year, "policies": policies})
