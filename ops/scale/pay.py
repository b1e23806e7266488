"""Pay at scale: the year's pay policy of every institution, individual grades within the 优秀 cap,
and one month of payroll computed and confirmed through the real services (payroll.services)."""

import datetime
import random
import time
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from orgs.models import Institution, User
from payroll import distribution, services
from payroll.models import IndividualGrade, PayPolicy, PayrollRun

from .org import Org
from .rows import next_id, rows_insert, sequences_reset

PER_CAPITA_BANDS = [Decimal("42000"), Decimal("39000"), Decimal("36000"), Decimal("30000")]
SETTLEMENT_MONTH = 3  # the year's incentive is paid in March of the next year


def policies_seed(rng: random.Random, org: Org, *, year: int) -> int:
    """A policy per institution (N = its formal staff now) and its grades: up to the 优秀 cap of
    the default share, a few 基本合格, rarely a 不合格; everyone else counts as 合格."""
    band_of = {g: n * len(PER_CAPITA_BANDS) // len(org.groups) for n, g in enumerate(org.groups)}
    policies = []
    for pk in sorted(org.institution_group):
        group = org.institution_group[pk]
        band = band_of[group] if group is not None else len(PER_CAPITA_BANDS) - 1
        policies.append(
            PayPolicy(
                year=year,
                institution_id=pk,
                per_capita=PER_CAPITA_BANDS[band],
                basic_ratio=Decimal(rng.choice(("0.600", "0.600", "0.650", "0.700"))),
                settlement_month=datetime.date(year + 1, SETTLEMENT_MONTH, 1),
                formal_staff=len(org.formal[pk]),
            )
        )
    PayPolicy.objects.bulk_create(policies, batch_size=2000)

    first = next_id(IndividualGrade)
    rows = []
    for pk in sorted(org.institution_group):
        formal = org.formal[pk]
        cap = distribution.excellent_cap(len(formal))
        excellent = rng.randint(max(0, cap - 2), cap) if formal else 0
        for n, employee in enumerate(formal):
            if n < excellent:
                grade = "excellent"
            elif rng.random() < 0.04:
                grade = "basic"
            elif rng.random() < 0.005:
                grade = "unqualified"
            else:
                continue  # no grade recorded: 合格
            rows.append((first + len(rows), year, employee, grade))
    rows_insert(IndividualGrade, ("id", "year", "employee", "grade"), rows)
    sequences_reset(IndividualGrade)
    return len(policies)


def payroll_month_seed(*, hr_id: int, month: datetime.date) -> tuple[int, dict[str, float]]:
    """Compute every institution's run of `month` with payroll_run_compute, then confirm each with
    payroll_run_confirm as HR: the per-institution services, as the monthly job runs them.
    Returns the number of runs and the seconds each step took."""
    hr = User.objects.get(pk=hr_id)
    institutions = list(Institution.objects.order_by("code"))
    started = timezone.now()
    t0 = time.perf_counter()
    runs = [
        services.payroll_run_compute(actor=None, institution=inst, month=month)
        for inst in institutions
    ]
    t1 = time.perf_counter()
    for run in runs:
        services.payroll_run_confirm(actor=hr, run=run)
    t2 = time.perf_counter()
    confirmed = PayrollRun.objects.filter(
        month=month, status=PayrollRun.Status.CONFIRMED, confirmed_at__gte=started
    ).count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE payroll_payrollline")
    return confirmed, {
        "payroll_compute": t1 - t0,
        "payroll_confirm": t2 - t1,
    }
