"""Demo payroll for seed_demo: 2026 pay policies for every institution (incentive settled in March
2027, once the 2026 results are published), a few 优秀 grades within the cap, and the runs of
October (confirmed) and November (draft) 2026 — the months the acceptance checks. Entered through
the services; a year that has policies already is left as it is."""

import datetime
from decimal import Decimal

from django.db import transaction

from orgs.models import Employee, Institution, User
from payroll import services
from payroll.models import PayPolicy

DEMO_YEAR = 2026
PER_CAPITA = {
    "G1": Decimal("42000"),
    "G2": Decimal("36000"),
    "G3": Decimal("30000"),
    None: Decimal("30000"),
}


@transaction.atomic
def seed_payroll(*, hr: User) -> int:
    if PayPolicy.objects.filter(year=DEMO_YEAR).exists():
        return 0
    institutions = list(Institution.objects.select_related("group").order_by("code"))
    for inst in institutions:
        group = inst.group.code if inst.group else None
        services.policy_save(
            actor=hr,
            year=DEMO_YEAR,
            institution=inst,
            per_capita=PER_CAPITA[group],
            basic_ratio=Decimal("0.60") if group != "G3" else Decimal("0.65"),
            settlement_month=datetime.date(DEMO_YEAR + 1, 3, 1),
        )
        formal = list(
            Employee.objects.filter(institution=inst, is_formal=True, is_active=True).order_by(
                "staff_number"
            )
        )
        # The first fifth (at least the leader) are 优秀, as the cap allows; the newest is 基本合格.
        excellent = formal[: max(1, len(formal) // 5)]
        grades = dict.fromkeys(excellent, "excellent")
        if len(formal) > 3:
            grades[formal[-1]] = "basic"
        services.grades_save(actor=hr, year=DEMO_YEAR, institution=inst, grades=grades)
    runs = 0
    for inst in institutions:
        october = services.payroll_run_compute(
            actor=None, institution=inst, month=datetime.date(DEMO_YEAR, 10, 1)
        )
        services.payroll_run_compute(
            actor=None, institution=inst, month=datetime.date(DEMO_YEAR, 11, 1)
        )
        runs += 2
        if inst.code <= "JG003" or inst.is_pilot:
            services.payroll_run_confirm(actor=hr, run=october)
    return runs
