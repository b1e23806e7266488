"""payroll/todo.py: the payroll officer's runs to compute, confirm and export and the months whose
paid wages do not reconcile; HR's runs to confirm; exact, scoped, linked (the run list's `waiting`
filter says the same as the counts).

The `paid_year` of tests/payroll/conftest.py: 2026 published, pay policies of 2026 and 2027 for
A01 and B01; the `payroll` persona runs A01's payroll."""

import datetime

import pytest
from django.utils import timezone

from payroll import services
from payroll.models import PaidWage, PayrollRun
from payroll.todo import todo_items

from ..factories import EmployeeFactory
from .conftest import by_key, counts

OCT = datetime.date(2026, 10, 1)
SEP = datetime.date(2026, 9, 1)
TODAY = datetime.date(2026, 10, 15)


def compute(world, institution, month=OCT):
    return services.payroll_run_compute(actor=None, institution=institution, month=month)


def listed(client, url) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {run.pk for run in response.context["page_obj"]}


@pytest.fixture
def frozen_today(monkeypatch):
    """The run list's filters read the day from timezone.localdate(): the tests' October day."""
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    return TODAY


def test_runs_to_compute_then_confirm_then_export(client_for, world, paid_year, frozen_today):
    officer, hr = world.users["payroll"], world.users["hr"]
    assert counts(todo_items(officer)) == {"payroll.compute": 1}  # A01: a 2026 policy, no run
    assert counts(todo_items(hr)) == {}  # HR is not asked to compute
    item = by_key(todo_items(officer))["payroll.compute"]
    assert (item.menu, item.detail) == ("payroll", "2026-10")
    page = client_for("payroll").get(item.url)
    assert page.status_code == 200
    assert [inst.code for inst in page.context["due"]] == ["A01"]

    run_a = compute(world, world.a)
    run_b = compute(world, world.b)
    assert counts(todo_items(officer)) == {"payroll.confirm": 1}  # A01's only
    assert counts(todo_items(hr)) == {"payroll.confirm": 2}
    confirm = by_key(todo_items(officer))["payroll.confirm"]
    assert confirm.level == "info"
    assert listed(client_for("payroll"), confirm.url) == {run_a.pk}
    assert listed(client_for("hr"), by_key(todo_items(hr))["payroll.confirm"].url) == {
        run_a.pk,
        run_b.pk,
    }

    services.payroll_run_confirm(actor=officer, run=run_a)
    assert counts(todo_items(officer)) == {"payroll.export": 1}
    export = by_key(todo_items(officer))["payroll.export"]
    assert listed(client_for("payroll"), export.url) == {run_a.pk}
    services.payroll_run_mark_exported(actor=officer, run=run_a)
    assert counts(todo_items(officer)) == {}


def test_what_does_not_wait_for_a_confirmation(world, paid_year, frozen_today):
    compute(world, world.a, month=datetime.date(2026, 11, 1))  # a month not begun
    PayrollRun.objects.filter(pk=compute(world, world.b).pk).update(provisional=True)
    hr = world.users["hr"]
    assert "payroll.confirm" not in counts(todo_items(hr))


def test_a_draft_of_an_earlier_month_is_overdue(client_for, world, paid_year, frozen_today):
    run = compute(world, world.a, month=SEP)
    item = by_key(todo_items(world.users["payroll"]))["payroll.confirm"]
    assert (item.count, item.level, item.detail) == (1, "danger", "1 of an earlier month")
    assert listed(client_for("payroll"), item.url) == {run.pk}


def test_reconciliations_with_differences(client_for, world, paid_year, frozen_today):
    officer, hr = world.users["payroll"], world.users["hr"]
    run = services.payroll_run_confirm(actor=hr, run=compute(world, world.a))
    services.payroll_run_mark_exported(actor=hr, run=run)
    assert counts(todo_items(officer)) == {}  # nothing paid imported yet: nothing to reconcile
    lines = list(run.lines.order_by("staff_number"))
    for line in lines:
        PaidWage.objects.create(month=OCT, staff_number=line.staff_number, employee=line.employee,
                                gross=line.gross, imported_by=hr)  # fmt: skip
    assert counts(todo_items(officer)) == {}  # paid as computed
    assert services.reconcile(institution=world.a, month=OCT).differences == []

    PaidWage.objects.filter(staff_number=lines[0].staff_number).update(gross=lines[0].gross - 1)
    assert counts(todo_items(officer)) == {"payroll.reconcile": 1}
    item = by_key(todo_items(officer))["payroll.reconcile"]
    assert item.level == "warning"
    assert listed(client_for("payroll"), item.url) == {run.pk}

    PaidWage.objects.filter(staff_number=lines[0].staff_number).update(gross=lines[0].gross)
    PaidWage.objects.filter(staff_number=lines[1].staff_number).delete()  # not paid at all
    assert counts(todo_items(officer)) == {"payroll.reconcile": 1}
    PaidWage.objects.create(
        month=OCT, staff_number=lines[1].staff_number, employee=lines[1].employee,
        gross=lines[1].gross, imported_by=hr,
    )  # fmt: skip
    assert counts(todo_items(officer)) == {}

    # Paid to an employee of A01 who has no line in the run.
    extra = EmployeeFactory(staff_number="A9999", institution=world.a)
    PaidWage.objects.create(month=OCT, staff_number="A9999", employee=extra, gross=100,
                            imported_by=hr)  # fmt: skip
    assert counts(todo_items(officer)) == {"payroll.reconcile": 1}
    assert services.reconcile(institution=world.a, month=OCT).unexpected


@pytest.mark.parametrize("persona, queries", [("hr", 1), ("payroll", 2), ("head_a", 0)])
def test_queries(world, paid_year, django_assert_num_queries, persona, queries):
    compute(world, world.a)
    with django_assert_num_queries(queries):
        todo_items(world.users[persona], today=TODAY)
