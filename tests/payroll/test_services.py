"""Monthly payroll runs: pools, exact lines, the 优秀 cap, confirmation, immutability,
differences, retries, reconciliation."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appraisal.models import Result
from payroll import services
from payroll.models import PaidWage, PayrollLine, PayrollRun
from payroll.tasks import refresh_draft_runs, run_month

from ..factories import EmployeeFactory

JAN, DEC, MAR27 = datetime.date(2026, 1, 1), datetime.date(2026, 12, 1), datetime.date(2027, 3, 1)


def test_monthly_run_pays_basic_by_post_coefficient(world, paid_year):
    run = services.payroll_run_compute(actor=world.users["payroll"], institution=world.a, month=JAN)
    # A01 has 3 formal employees at 1.00: T = 108,000, B = 64,800, monthly 5,400 → 1,800 each
    assert run.basic_pool == D("5400.00") and run.incentive_pool == 0
    assert [line.basic for line in run.lines.all()] == [D("1800.00")] * 3
    assert all(
        line.gross == line.post_wage + line.grade_wage + line.special_allowance + line.basic
        for line in run.lines.all()
    )
    assert run.total_gross == sum(line.gross for line in run.lines.all())


def test_a_year_of_basic_adds_up(world, paid_year):
    EmployeeFactory(staff_number="A0009", institution=world.a, post_coefficient=D("1.37"))
    services.policy_save(
        actor=world.users["hr"],
        year=2026,
        institution=world.a,
        per_capita=D("36000.07"),
        basic_ratio=D("0.613"),
        settlement_month=MAR27,
    )
    policy = paid_year.policies["A01"]
    policy.refresh_from_db()
    total = D(0)
    for m in range(1, 13):
        run = services.payroll_run_compute(
            actor=None, institution=world.a, month=datetime.date(2026, m, 1)
        )
        lines = list(run.lines.all())
        assert sum(line.basic for line in lines) == run.basic_pool
        total += run.basic_pool
    assert total == policy.pools().basic


def test_settlement_month_pays_incentive_and_prize(world, paid_year):
    result = Result.objects.get(scheme__year=2026, institution=world.a)
    run = services.payroll_run_compute(actor=None, institution=world.a, month=MAR27)
    assert run.settles_year == 2026
    coefficient = services.tier_coefficients()[run.tier]
    assert run.incentive_pool == (D("43200.00") * coefficient).quantize(D("0.01"))
    assert run.prize_pool == result.prize_amount
    lines = list(run.lines.all())
    assert sum(line.incentive for line in lines) == run.incentive_pool
    assert sum(line.prize for line in lines) == run.prize_pool


def test_non_formal_staff_get_fixed_parts_only(world, paid_year):
    temp = EmployeeFactory(staff_number="A0100", institution=world.a, is_formal=False)
    run = services.payroll_run_compute(actor=None, institution=world.a, month=MAR27)
    line = run.lines.get(employee=temp)
    assert (line.basic, line.incentive, line.prize) == (0, 0, 0)
    assert line.gross == temp.fixed_monthly_wage


def test_excellent_cap_is_refused_naming_the_institution(world, paid_year):
    a_staff = list(world.a.employees.order_by("staff_number"))
    with pytest.raises(ValidationError, match="A01"):
        services.grades_save(
            actor=world.users["hr"],
            year=2026,
            institution=world.a,
            grades={a_staff[0]: "excellent", a_staff[1]: "excellent"},
        )
    assert (
        services.grades_save(
            actor=world.users["hr"],
            year=2026,
            institution=world.a,
            grades={a_staff[0]: "excellent"},
        )
        == 1
    )


def test_basic_ratio_outside_range_is_refused(world, paid_year):
    with pytest.raises(ValidationError):
        services.policy_save(
            actor=world.users["hr"],
            year=2028,
            institution=world.a,
            per_capita=D(1),
            basic_ratio=D("0.75"),
            settlement_month=MAR27,
        )


def test_confirmed_run_is_immutable_and_differences_are_shown(world, paid_year):
    officer = world.users["payroll"]
    run = services.payroll_run_compute(actor=officer, institution=world.a, month=JAN)
    services.payroll_run_confirm(actor=officer, run=run)
    before = list(run.lines.values_list("staff_number", "gross"))
    # A raise after confirmation: the run stays, the difference is shown.
    employee = world.a.employees.order_by("staff_number").first()
    employee.post_wage += D("100")
    employee.save()
    again = services.payroll_run_compute(actor=None, institution=world.a, month=JAN)
    assert again.pk == run.pk and again.status == PayrollRun.Status.CONFIRMED
    assert list(run.lines.values_list("staff_number", "gross")) == before
    diffs = services.run_differences(run)
    assert [(d["staff_number"], d["difference"]) for d in diffs] == [
        (employee.staff_number, D("100"))
    ]
    with pytest.raises(ValidationError, match="confirmed already"):
        services.payroll_run_confirm(actor=officer, run=run)


def test_stale_draft_is_not_confirmed(world, paid_year):
    run = services.payroll_run_compute(actor=None, institution=world.a, month=JAN)
    employee = world.a.employees.order_by("staff_number").first()
    employee.grade_wage += D("1")
    employee.save()
    with pytest.raises(ValidationError, match="review it again"):
        services.payroll_run_confirm(actor=world.users["hr"], run=run)
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.DRAFT
    assert run.lines.get(employee=employee).grade_wage == employee.grade_wage  # recomputed
    services.payroll_run_confirm(actor=world.users["hr"], run=run)


def test_retried_tasks_never_pay_twice(world, paid_year):
    for _ in range(3):
        run_month("2026-01-01")
        refresh_draft_runs(None)
    assert PayrollRun.objects.filter(month=JAN).count() == 2  # A01 and B01
    assert PayrollLine.objects.filter(run__institution=world.a, run__month=JAN).count() == 3


def test_a_policy_change_refreshes_the_drafts_at_the_commit(
    world, paid_year, django_capture_on_commit_callbacks
):
    """payroll.services queues payroll.refresh_draft_runs by its registered name, at the commit;
    eagerly (the embedded default, and the test runs in CI) the task runs then, in-process."""
    run = services.payroll_run_compute(actor=None, institution=world.a, month=JAN)
    assert run.basic_pool == D("5400.00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.policy_save(
            actor=world.users["hr"],
            year=2026,
            institution=world.a,
            per_capita=D("48000"),
            basic_ratio=D("0.6"),
            settlement_month=MAR27,
        )
        run.refresh_from_db()
        assert run.basic_pool == D("5400.00")  # nothing before the commit
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.DRAFT
    assert run.basic_pool == D("7200.00")  # 3 × 48,000 × 0.6 ÷ 12


def test_only_hr_and_bound_officers_run_payroll(world, paid_year):
    with pytest.raises(PermissionDenied):
        services.payroll_run_compute(actor=world.users["payroll"], institution=world.b, month=JAN)
    for persona in ("head_a", "scorer", "auditor"):
        with pytest.raises(PermissionDenied):
            services.payroll_run_compute(actor=world.users[persona], institution=world.a, month=JAN)


def test_missing_policy_or_unpublished_results_are_explained(world, paid_year):
    with pytest.raises(ValidationError, match="no pay policy"):
        services.payroll_run_compute(actor=None, institution=world.c, month=JAN)


def test_reconciliation(world, paid_year):
    hr = world.users["hr"]
    run = services.payroll_run_compute(actor=None, institution=world.a, month=DEC)
    services.payroll_run_confirm(actor=hr, run=run)
    lines = list(run.lines.order_by("staff_number"))
    PaidWage.objects.create(
        month=DEC,
        staff_number=lines[0].staff_number,
        employee=lines[0].employee,
        gross=lines[0].gross,
        imported_by=hr,
    )
    PaidWage.objects.create(
        month=DEC,
        staff_number=lines[1].staff_number,
        employee=lines[1].employee,
        gross=lines[1].gross - D("0.01"),
        imported_by=hr,
    )
    report = services.reconcile(institution=world.a, month=DEC)
    assert [m["staff_number"] for m in report.matches] == [lines[0].staff_number]
    assert [(d["staff_number"], d["difference"]) for d in report.differences] == [
        (lines[1].staff_number, D("-0.01"))
    ]
    assert [m["staff_number"] for m in report.missing] == [lines[2].staff_number]
    assert not report.reconciled
