"""Demo payroll for seed_demo, entered through the services (checked and audited like real work):

* **2025**: pay policies for the institutions appraised in 2025 (those in an assessment group; the
  pilots have no 2025 result, so no 2025 policy), settled in **March 2026**, and their 2025
  individual grades within the 优秀 cap;
* **2026**: pay policies for every institution, settled in March 2027 once the 2026 results are
  published, and 2026 grades;
* the **March 2026** runs of the grouped institutions: basic pay from the 2026 policy, and the
  settlement of 2025 — 奖励性绩效 by the tier of the published 2025 result and 考核奖金 (the 2025
  prize money) — computed, confirmed and exported for payment;
* the runs of **October** (confirmed for the pilots and JG001–JG003) and **November** 2026 (drafts):
  the months the pilots' acceptance checks.

Safe to run again: a year that has policies already is left as it is, and so are runs."""

import datetime
from decimal import Decimal

from django.db import transaction

from orgs.models import Employee, Institution, User
from payroll import services
from payroll.models import PayPolicy

PUBLISHED_YEAR = 2025
DEMO_YEAR = 2026
PER_CAPITA = {
    2025: {"G1": Decimal("40000"), "G2": Decimal("34000"), "G3": Decimal("28000")},
    2026: {
        "G1": Decimal("42000"),
        "G2": Decimal("36000"),
        "G3": Decimal("30000"),
        None: Decimal("30000"),
    },
}
SETTLEMENT = datetime.date(DEMO_YEAR, 3, 1)  # March 2026 pays 2025's incentive and prizes


def _grades(year: int, inst: Institution, *, hr: User) -> None:
    """A fifth of the formal staff (at least one) 优秀, as the cap allows — in 2026 from the
    leader on, in 2025 from the next one — and the newest one 基本合格."""
    formal = list(
        Employee.objects.filter(institution=inst, is_formal=True, is_active=True).order_by(
            "staff_number"
        )
    )
    start, count = (0 if year == DEMO_YEAR else 1), max(1, len(formal) // 5)
    grades = dict.fromkeys(formal[start : start + count], "excellent")
    if len(formal) > 3 and formal[-1] not in grades:
        grades[formal[-1]] = "basic"
    services.grades_save(actor=hr, year=year, institution=inst, grades=grades)


def _policies(year: int, institutions: list[Institution], *, hr: User) -> None:
    for inst in institutions:
        group = inst.group.code if inst.group else None
        services.policy_save(
            actor=hr,
            year=year,
            institution=inst,
            per_capita=PER_CAPITA[year][group],
            basic_ratio=Decimal("0.60") if group != "G3" else Decimal("0.65"),
            settlement_month=datetime.date(year + 1, 3, 1),
        )
        _grades(year, inst, hr=hr)


@transaction.atomic
def seed_payroll(*, hr: User) -> int:
    """Returns the number of runs computed (0 when the demo payroll exists already)."""
    if PayPolicy.objects.filter(year=DEMO_YEAR).exists():
        return 0
    institutions = list(Institution.objects.select_related("group").order_by("code"))
    appraised = [i for i in institutions if i.group is not None]
    _policies(PUBLISHED_YEAR, appraised, hr=hr)
    _policies(DEMO_YEAR, institutions, hr=hr)
    runs = 0
    # March 2026: 2025's settlement, paid and exported.
    for inst in appraised:
        march = services.payroll_run_compute(actor=None, institution=inst, month=SETTLEMENT)
        march = services.payroll_run_confirm(actor=hr, run=march)
        services.payroll_run_mark_exported(actor=hr, run=march)
        runs += 1
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
