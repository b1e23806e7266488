"""Pilot institutions P01…P09 (with heads for P01 and P02), a team with the acceptance persona,
the default standard (go-live October 2026), and payroll policies so that the runs of October 2026
on can be confirmed."""

import datetime
from decimal import Decimal as D

import pytest

from acceptance import services
from acceptance.models import Team
from orgs.models import Role
from payroll import services as pay

from ..appraisal.conftest import _english  # noqa: F401 — these tests read English messages
from ..factories import EmployeeFactory, InstitutionFactory, UserFactory


@pytest.fixture
def pilots(world):
    hr = world.users["hr"]
    institutions = []
    for n in range(1, 10):
        head = UserFactory(username=f"head_p{n:02d}", role=Role.HEAD) if n <= 2 else None
        inst = InstitutionFactory(
            code=f"P{n:02d}",
            name=f"试点{n:02d}",
            group=None,
            is_pilot=True,
            stage="acceptance",
            head=head,
        )
        EmployeeFactory(staff_number=f"P{n:02d}01", institution=inst)
        pay.policy_save(
            actor=hr,
            year=2026,
            institution=inst,
            per_capita=D("36000"),
            basic_ratio=D("0.6"),
            settlement_month=datetime.date(2027, 3, 1),
        )
        institutions.append(inst)
    team = Team.objects.create(name="第一验收组")
    team.members.set([world.users["acceptance"], hr])
    standard = services.standard_create(
        actor=hr, name="试点机构验收标准", go_live_month=datetime.date(2026, 10, 1)
    )
    return type("Pilots", (), {"institutions": institutions, "team": team, "standard": standard})


def confirm_month(world, institution, month=datetime.date(2026, 10, 1)):
    run = pay.payroll_run_compute(actor=None, institution=institution, month=month)
    return pay.payroll_run_confirm(actor=world.users["hr"], run=run)
