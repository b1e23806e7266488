"""Batches of 5 to 8, ticks, pass and fail, rounds, the payroll criterion, weekly reports."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from acceptance import services
from acceptance.models import Batch, Inspection, StandardItem
from payroll.models import PaidWage

from .conftest import confirm_month

DAY = datetime.date(2026, 11, 20)


def batch(world, pilots, institutions, name="第一批", day=DAY):
    return services.batch_create(
        actor=world.users["hr"], name=name, team=pilots.team, date=day, institutions=institutions
    )


@pytest.mark.parametrize("size", [4, 9])
def test_batch_size_is_5_to_8(world, pilots, size):
    with pytest.raises(ValidationError, match="5 to 8"):
        batch(world, pilots, pilots.institutions[:size])
    assert not Batch.objects.exists()


def test_an_institution_is_in_one_open_batch(world, pilots):
    batch(world, pilots, pilots.institutions[:5])
    with pytest.raises(ValidationError, match="already in an open batch"):
        batch(world, pilots, pilots.institutions[4:9], name="第二批")
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.create(
            batch=Batch.objects.get(), institution=pilots.institutions[0], round=9
        )


def test_ticks_decisions_and_rounds(world, pilots):
    member = world.users["acceptance"]
    first = batch(world, pilots, pilots.institutions[:5])
    inspection = first.inspections.get(institution__code="P01")
    items = {i.code: i for i in pilots.standard.items.all()}
    with pytest.raises(PermissionDenied):
        services.tick_save(
            actor=world.users["head_a"], inspection=inspection, item=items["ENV"], met=True
        )
    for code in ("ENV", "DATA", "TRAIN", "TEST"):
        services.tick_save(
            actor=member, inspection=inspection, item=items[code], met=True, note="现场核实"
        )
    # Without October's confirmed payroll the automatic item is not met: no pass.
    with pytest.raises(ValidationError, match="工资按系统发放"):
        services.inspection_decide(actor=member, inspection=inspection, passed=True)
    services.inspection_decide(
        actor=member, inspection=inspection, passed=False, note="工资未按系统发放"
    )
    for other in first.inspections.exclude(pk=inspection.pk):
        services.inspection_decide(actor=member, inspection=other, passed=False)
    services.batch_close(actor=world.users["hr"], batch=first)
    assert [i.institution.code for i in services.due_for_reacceptance()] == [
        "P01",
        "P02",
        "P03",
        "P04",
        "P05",
    ]
    # Round 2 in a later batch, and it passes once October is confirmed.
    second = batch(
        world, pilots, pilots.institutions[:5], name="第二批", day=datetime.date(2026, 12, 5)
    )
    again = second.inspections.get(institution__code="P01")
    assert again.round == 2
    for code in ("ENV", "DATA", "TRAIN", "TEST"):
        services.tick_save(actor=member, inspection=again, item=items[code], met=True)
    # December's batch checks October and November.
    confirm_month(world, pilots.institutions[0])
    assert [c.ok for c in services.payroll_criterion(again)[1]] == [True, False]
    november = (
        services.pay.payroll_run_compute(
            actor=None, institution=pilots.institutions[0], month=datetime.date(2026, 11, 1)
        )
        if hasattr(services, "pay")
        else None
    )
    assert november is None or november


def test_payroll_criterion_turns_met_when_the_missing_month_is_confirmed(world, pilots):
    first = batch(world, pilots, pilots.institutions[:5])
    inspection = first.inspections.get(institution__code="P02")
    met, checks = services.payroll_criterion(inspection)
    assert not met and [c.month for c in checks] == [datetime.date(2026, 10, 1)]
    assert checks[0].reason == "2026-10: no payroll run computed by the system."
    confirm_month(world, pilots.institutions[1])
    met, checks = services.payroll_criterion(inspection)
    assert met and checks[0].ok
    # Actual pay imported that does not reconcile makes it unmet again, naming why.
    employee = pilots.institutions[1].employees.get()
    PaidWage.objects.create(
        month=datetime.date(2026, 10, 1),
        staff_number=employee.staff_number,
        employee=employee,
        gross=1,
        imported_by=world.users["hr"],
    )
    met, checks = services.payroll_criterion(inspection)
    assert not met and checks[0].reason.startswith("2026-10: paid wages differ")


def test_pass_moves_the_institution_to_trial(world, pilots):
    member = world.users["acceptance"]
    first = batch(world, pilots, pilots.institutions[:5])
    inspection = first.inspections.get(institution__code="P03")
    for item in pilots.standard.items.filter(method=StandardItem.Method.TICK):
        services.tick_save(actor=member, inspection=inspection, item=item, met=True)
    confirm_month(world, pilots.institutions[2])
    services.inspection_decide(actor=member, inspection=inspection, passed=True)
    pilots.institutions[2].refresh_from_db()
    assert pilots.institutions[2].stage == "trial"
    with pytest.raises(ValidationError, match="passed its acceptance already"):
        services.batch_close(actor=world.users["hr"], batch=first) if False else batch(
            world, pilots, [pilots.institutions[2], *pilots.institutions[5:9]], name="再验"
        )


def test_weekly_reports(world, pilots):
    head = pilots.institutions[0].head
    services.weekly_report_submit(
        actor=head,
        institution=pilots.institutions[0],
        day=DAY,
        stage="acceptance",
        progress=80,
        problems="无",
    )
    services.weekly_report_submit(
        actor=head, institution=pilots.institutions[0], day=DAY, stage="trial", progress=90
    )
    with pytest.raises(PermissionDenied):
        services.weekly_report_submit(
            actor=head, institution=pilots.institutions[1], day=DAY, stage="trial", progress=1
        )
    with pytest.raises(ValidationError):
        services.weekly_report_submit(
            actor=head, institution=pilots.institutions[0], day=DAY, stage="trial", progress=101
        )
    missing = [i.code for i in services.missing_reports(DAY)]
    assert "P01" not in missing and "P02" in missing


def test_the_tick_service_itself_refuses_a_disguised_file(world, pilots, settings, tmp_path):
    """Whatever door a tick comes through, its evidence is checked by content (orgs.uploads)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from acceptance.models import Tick
    from orgs.models import AuditEvent

    settings.MEDIA_ROOT = tmp_path
    member = world.users["acceptance"]
    inspection = batch(world, pilots, pilots.institutions[:5]).inspections.get(
        institution__code="P01"
    )
    item = pilots.standard.items.get(code="ENV")
    events = AuditEvent.objects.count()
    page = SimpleUploadedFile("site.jpg", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as refused:
        services.tick_save(actor=member, inspection=inspection, item=item, met=True, evidence=page)
    assert "evidence" in refused.value.message_dict
    assert not Tick.objects.exists() and AuditEvent.objects.count() == events
    assert not any(tmp_path.rglob("*.jpg"))
