"""The go-live month (issue 14, part 2): a date of the rollout, set on the acceptance standard, from
which 工资按系统发放 checks every month up to the month before the batch, across the turn of the
year. A re-acceptance batch on 2027-01-11 checks October to December 2026 and names the month that
fails, on the inspection page, the batch page, the printable report, the Excel report, the refusal
of a pass and the API. HR sets the go-live month on the standard's page, which makes a new version;
the old month numbers are converted by migration 0002."""

import datetime
import importlib
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse, reverse_lazy

from acceptance import selectors, services
from acceptance.models import Batch, Inspection, Standard, StandardItem
from orgs.models import AuditEvent
from payroll import services as pay
from payroll.models import PaidWage

from ..factories import PASSWORD
from ..personas import PERSONAS
from .conftest import confirm_month

D = datetime.date
OCT, NOV, DEC = D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1)
JANUARY_BATCH = D(2027, 1, 11)
HEAD_P01 = "head_p01"
API = "/api/v1/"


def _batch(world, pilots, day, name, institutions=None):
    return services.batch_create(
        actor=world.users["hr"],
        name=name,
        team=pilots.team,
        date=day,
        institutions=institutions or pilots.institutions[:5],
    )


@pytest.fixture
def january(world, pilots):
    """P01…P05 failed in December's batch (round 1, closed); round 2 is a batch on 2027-01-11.
    Returns P01's round 2, its on-site items all ticked."""
    member = world.users["acceptance"]
    december = _batch(world, pilots, D(2026, 12, 5), "十二月批")
    for inspection in december.inspections.all():
        services.inspection_decide(actor=member, inspection=inspection, passed=False)
    services.batch_close(actor=world.users["hr"], batch=december)
    batch = _batch(world, pilots, JANUARY_BATCH, "一月复验批")
    inspection = batch.inspections.get(institution__code="P01")
    assert inspection.round == 2
    for item in pilots.standard.items.filter(method=StandardItem.Method.TICK):
        services.tick_save(actor=member, inspection=inspection, item=item, met=True)
    return inspection


def _reasons(checks):
    return [(c.month, c.ok, c.reason) for c in checks]


# --- Which months are due ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("go_live", "day", "due"),
    [
        (OCT, JANUARY_BATCH, [OCT, NOV, DEC]),  # across the turn of the year
        (OCT, D(2026, 12, 10), [OCT, NOV]),
        (OCT, D(2026, 11, 1), [OCT]),
        (OCT, D(2026, 10, 15), []),  # in the go-live month: none due yet
        (OCT, D(2026, 9, 30), []),
        (D(2026, 11, 1), D(2028, 1, 3), [D(2026, 11 + k, 1) for k in range(2)]
         + [D(2027, m, 1) for m in range(1, 13)]),
    ],
)  # fmt: skip
def test_months_due(go_live, day, due):
    assert services.months_due(go_live, day) == due


def test_a_january_batch_meets_the_criterion_when_october_to_december_are_confirmed(
    world, pilots, january
):
    for month in (OCT, NOV, DEC):
        confirm_month(world, pilots.institutions[0], month)
    met, checks = services.payroll_criterion(january)
    assert met
    assert _reasons(checks) == [
        (OCT, True, "2026-10: paid as computed."),
        (NOV, True, "2026-11: paid as computed."),
        (DEC, True, "2026-12: paid as computed."),
    ]
    # The batch pages' set-based reading says the same.
    assert selectors.payroll_criteria_many([january])[january.pk] == (met, checks)
    services.inspection_decide(actor=world.users["acceptance"], inspection=january, passed=True)
    january.refresh_from_db()
    assert january.result == Inspection.Result.PASSED


def test_a_missing_november_is_named(world, pilots, january):
    for month in (OCT, DEC):
        confirm_month(world, pilots.institutions[0], month)
    met, checks = services.payroll_criterion(january)
    assert not met
    assert _reasons(checks) == [
        (OCT, True, "2026-10: paid as computed."),
        (NOV, False, "2026-11: no payroll run computed by the system."),
        (DEC, True, "2026-12: paid as computed."),
    ]
    assert selectors.payroll_criteria_many([january])[january.pk] == (met, checks)
    # A pass is refused, naming the month and why.
    with pytest.raises(ValidationError, match="2026-11: no payroll run computed by the system"):
        services.inspection_decide(actor=world.users["acceptance"], inspection=january, passed=True)


def test_a_draft_month_is_named(world, pilots, january):
    institution = pilots.institutions[0]
    for month in (OCT, DEC):
        confirm_month(world, institution, month)
    pay.payroll_run_compute(actor=None, institution=institution, month=NOV)
    met, checks = services.payroll_criterion(january)
    assert not met
    assert [c.reason for c in checks if not c.ok] == [
        "2026-11: the payroll run is still a draft, not confirmed."
    ]
    assert selectors.payroll_criteria_many([january])[january.pk] == (met, checks)


def test_paid_wages_that_differ_name_their_month(world, pilots, january):
    institution = pilots.institutions[0]
    for month in (OCT, NOV, DEC):
        confirm_month(world, institution, month)
    employee = institution.employees.get()
    PaidWage.objects.create(
        month=DEC,
        staff_number=employee.staff_number,
        employee=employee,
        gross=1,
        imported_by=world.users["hr"],
    )
    met, checks = services.payroll_criterion(january)
    assert not met and [c.ok for c in checks] == [True, True, False]
    assert checks[2].reason.startswith("2026-12: paid wages differ from the computed ones: 1 ")
    assert selectors.payroll_criteria_many([january])[january.pk] == (met, checks)


def test_a_batch_in_the_go_live_month_has_no_month_due(world, pilots):
    inspection = _batch(world, pilots, D(2026, 10, 15), "十月批").inspections.first()
    met, checks = services.payroll_criterion(inspection)
    assert not met
    assert _reasons(checks) == [
        (
            OCT,
            False,
            "No month is due yet: wages are checked from the go-live month 2026-10 up to the "
            "month before the inspection (2026-10-15).",
        )
    ]
    assert selectors.payroll_criteria_many([inspection])[inspection.pk] == (met, checks)


def test_a_december_batch_checks_october_and_november_only(world, pilots):
    inspection = _batch(world, pilots, D(2026, 12, 10), "十二月批").inspections.get(
        institution__code="P02"
    )
    for month in (OCT, NOV):
        confirm_month(world, pilots.institutions[1], month)
    met, checks = services.payroll_criterion(inspection)
    assert met and [c.month for c in checks] == [OCT, NOV]


# --- The standard's go-live month ----------------------------------------------------------------


def test_standard_create_keeps_the_first_day_and_defaults_to_the_current_one(world, pilots):
    hr = world.users["hr"]
    assert pilots.standard.go_live_month == OCT
    later = services.standard_create(actor=hr, name="第二版", go_live_month=D(2026, 11, 17))
    assert later.go_live_month == NOV
    # Left out: the current version's go-live month.
    assert services.standard_create(actor=hr, name="第三版").go_live_month == NOV
    with pytest.raises(PermissionDenied):
        services.standard_create(actor=world.users["acceptance"], name="x", go_live_month=OCT)


def test_the_first_standard_defaults_to_the_rollouts_go_live(world):
    standard = services.standard_create(actor=world.users["hr"], name="试点机构验收标准")
    assert standard.go_live_month == services.DEFAULT_GO_LIVE_MONTH == OCT


def test_the_database_keeps_the_go_live_month_on_a_first_day(world, pilots):
    with pytest.raises(IntegrityError), transaction.atomic():
        Standard.objects.create(version=99, name="x", go_live_month=D(2026, 10, 2))


def test_a_new_go_live_month_is_a_new_version_with_the_same_items(world, pilots):
    hr = world.users["hr"]
    old_batch = _batch(world, pilots, JANUARY_BATCH, "一月批")
    StandardItem.objects.filter(standard=pilots.standard, code="TEST").update(mandatory=False)
    with pytest.raises(PermissionDenied):
        services.standard_go_live_change(actor=world.users["acceptance"], go_live_month=NOV)
    with pytest.raises(ValidationError, match=r"The go-live month is 2026-10 already\."):
        services.standard_go_live_change(actor=hr, go_live_month=D(2026, 10, 20))
    new = services.standard_go_live_change(actor=hr, go_live_month=D(2026, 11, 30))
    assert (new.version, new.name, new.go_live_month) == (2, pilots.standard.name, NOV)

    def items(standard):
        fields = ("code", "text", "mandatory", "method", "sort_order")
        return list(standard.items.order_by("sort_order").values_list(*fields))

    assert items(new) == items(pilots.standard)
    event = AuditEvent.objects.filter(action="acceptance.standard").latest("pk")
    assert (event.actor, event.before, event.after) == (
        hr,
        {"version": 1, "go_live_month": "2026-10"},
        {"version": 2, "go_live_month": "2026-11"},
    )
    # The batch made before keeps its version: October is still due there.
    old_batch.refresh_from_db()
    assert old_batch.standard == pilots.standard
    assert services.payroll_months(old_batch.inspections.first()) == [OCT, NOV, DEC]
    # A new batch takes the new version, from November on.
    new_batch = _batch(
        world, pilots, JANUARY_BATCH, "一月新批", [*pilots.institutions[5:9], world.a]
    )
    assert new_batch.standard == new
    assert services.payroll_months(new_batch.inspections.first()) == [NOV, DEC]


def test_no_standard_no_new_version(world):
    with pytest.raises(ValidationError, match=r"There is no acceptance standard yet\."):
        services.standard_go_live_change(actor=world.users["hr"], go_live_month=OCT)


# --- The migration -------------------------------------------------------------------------------

MIGRATION = importlib.import_module("acceptance.migrations.0002_standard_go_live_month")


@pytest.mark.parametrize(
    ("created_at", "month", "go_live"),
    [
        (datetime.datetime(2026, 11, 21, 6, 57, tzinfo=datetime.UTC), 10, OCT),
        # New Year's Eve in UTC is already 2027 in Beijing: the local year counts.
        (datetime.datetime(2026, 12, 31, 20, 0, tzinfo=datetime.UTC), 10, D(2027, 10, 1)),
        (datetime.datetime(2026, 3, 1, 9, 0), 9, D(2026, 9, 1)),  # naive: taken as it is
    ],
)
def test_the_conversion_takes_the_year_the_standard_was_made(created_at, month, go_live):
    assert MIGRATION.go_live_from(created_at, month) == go_live


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_existing_standards():
    before = [("acceptance", "0001_initial")]
    after = [("acceptance", "0003_standard_drop_payroll_since_month")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("acceptance", "Standard")
        made = datetime.datetime(2026, 11, 21, 6, 57, tzinfo=datetime.UTC)
        for version, month in ((1, 10), (2, 9)):
            standard = old.objects.create(version=version, name="标准", payroll_since_month=month)
            old.objects.filter(pk=standard.pk).update(created_at=made)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("acceptance", "Standard")
        assert list(new.objects.order_by("version").values_list("version", "go_live_month")) == [
            (1, OCT),
            (2, D(2026, 9, 1)),
        ]
        # And back: the month number is taken from the date.
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("acceptance", "Standard")
        assert list(
            old.objects.order_by("version").values_list("payroll_since_month", flat=True)
        ) == [
            10,
            9,
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("acceptance"))


# --- Pages ---------------------------------------------------------------------------------------


def _client(client_for, persona) -> Client:
    if persona != HEAD_P01:
        return client_for(persona)
    client = Client()
    assert client.login(username=persona, password=PASSWORD)
    return client


# Resolved lazily: importing the URL conf while collecting would fix it with the DEBUG of that
# moment (the static routes of the development server).
STANDARD = reverse_lazy("acceptance:standard_detail")
GO_LIVE = reverse_lazy("acceptance:standard_go_live")
CONFIRMED = {"confirm": "yes"}


@pytest.mark.parametrize("persona", ["hr", "acceptance", "auditor", "head_a", HEAD_P01])
def test_the_standard_page_says_from_when_wages_are_checked(client_for, pilots, persona):
    body = _client(client_for, persona).get(STANDARD).content.decode()
    assert 'data-testid="go-live" data-month="2026-10"' in body
    assert "Wages are checked from 2026-10 (go-live) up to the month before the inspection." in body
    # Only HR gets the dialog with its form.
    assert ('data-testid="go-live-form"' in body) is (persona == "hr")
    assert ('data-testid="go-live-form-open"' in body) is (persona == "hr")


@pytest.mark.parametrize("persona", [*PERSONAS, HEAD_P01])
def test_setting_the_go_live_month_per_persona(client_for, pilots, persona):
    response = _client(client_for, persona).post(GO_LIVE, {"go_live_month": "2026-11", **CONFIRMED})
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == (302 if persona == "hr" else 403), persona
    assert Standard.objects.count() == (2 if persona == "hr" else 1)


def test_the_standard_page_only_reads(client_for, pilots):
    """The page itself changes nothing: the go-live month is posted to its own URL."""
    response = client_for("hr").post(STANDARD, {"go_live_month": "2026-11", **CONFIRMED})
    assert response.status_code == 405
    assert Standard.objects.count() == 1


def test_a_new_version_needs_the_dialog_s_confirmation(client_for, pilots):
    hr = client_for("hr")
    response = hr.post(GO_LIVE, {"go_live_month": "2026-11"})
    assert response.status_code == 400
    assert Standard.objects.count() == 1
    body = hr.get(STANDARD).content.decode()
    dialog = body.split('data-testid="go-live-form"')[1].split("</dialog>")[0]
    # The dialog says what is made, for whom, with counts; it posts the month and confirm=yes.
    assert "Version 2 of the standard is made with the same 5 items" in dialog
    assert "Every batch made from now on uses it; none has been made yet." in dialog
    assert 'name="go_live_month"' in dialog and 'name="confirm" value="yes"' in dialog


def test_hr_sets_the_go_live_month_and_sees_the_new_version(client_for, world, pilots):
    client = client_for("hr")
    body = client.get(STANDARD).content.decode()
    assert "Make version 2" in body and 'value="2026-10"' in body
    response = client.post(GO_LIVE, {"go_live_month": "2026-11", **CONFIRMED}, follow=True)
    body = response.content.decode()
    assert (
        "Version 2 of the standard is in force: wages are checked from 2026-11 (go-live). New "
        "batches use it; existing batches keep theirs." in body
    )
    assert 'data-testid="standard-version" data-version="2"' in body
    assert 'data-testid="go-live" data-month="2026-11"' in body
    versions = body.split('data-testid="standard-versions"')[1]
    assert 'data-version="2" data-go-live="2026-11"' in versions
    assert 'data-version="1" data-go-live="2026-10"' in versions
    new = services.standard_current()
    assert (new.version, new.go_live_month) == (2, NOV)
    assert AuditEvent.objects.filter(action="acceptance.standard", actor=world.users["hr"]).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"go_live_month": "2026-10"}, "The go-live month is 2026-10 already."),
        ({"go_live_month": "next month"}, "Enter a valid date."),
        ({"go_live_month": ""}, "This field is required."),
    ],
)
def test_the_go_live_form_refuses_without_changing_anything(client_for, pilots, data, error):
    response = client_for("hr").post(GO_LIVE, data | CONFIRMED)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="go-live-errors"' in body and error in body
    assert Standard.objects.count() == 1


def test_every_view_of_the_criterion_names_the_failing_month(client_for, world, pilots, january):
    """Inspection page, batch page, printable report, Excel report and API, November missing."""
    for month in (OCT, DEC):
        confirm_month(world, pilots.institutions[0], month)
    batch = january.batch
    hr = client_for("hr")

    body = hr.get(reverse("acceptance:inspection_detail", kwargs={"pk": january.pk})).content
    body = body.decode()
    assert [m for m in ("2026-10", "2026-11", "2026-12") if f'data-month="{m}"' in body] == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    november = body.split('data-month="2026-11"')[1].split("</tr>")[0]
    assert 'data-ok="no"' in november
    assert "2026-11: no payroll run computed by the system." in november

    body = hr.get(reverse("acceptance:batch_detail", kwargs={"pk": batch.pk})).content.decode()
    assert 'data-testid="batch-go-live" data-month="2026-10">(go-live 2026-10)' in body
    cell = body.split('data-code="P01"')[1].split("</tr>")[0].split('data-col="payroll"')[1]
    assert 'data-ok="no"' in cell and 'data-month="2026-11"' in cell
    assert "2026-11: no payroll run computed by the system." in cell
    assert 'data-month="2026-10"' not in cell  # only what fails

    # The report and its workbook are Chinese documents, whatever the UI language.
    body = hr.get(reverse("acceptance:batch_report", kwargs={"pk": batch.pk})).content.decode()
    row = body.split('data-testid="report-payroll"')[1].split('data-code="P01"')[1]
    assert "2026-11：没有系统计算的工资核算。" in row.split("</tr>")[0]
    response = hr.get(reverse("acceptance:batch_report_export", kwargs={"pk": batch.pk}))
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {row[0].value: [c.value for c in row] for row in ws.iter_rows(min_row=2)}
    assert ws.cell(1, ws.max_column).value == "工资核验说明"
    assert rows["P01"][-1] == "2026-11：没有系统计算的工资核算。"

    data = hr.get(f"{API}inspections/{january.pk}/").json()["payroll"]
    assert data["met"] is False and data["go_live_month"] == "2026-10-01"
    assert [(m["month"], m["ok"], m["reason"]) for m in data["months"]] == [
        ("2026-10-01", True, "2026-10: paid as computed."),
        ("2026-11-01", False, "2026-11: no payroll run computed by the system."),
        ("2026-12-01", True, "2026-12: paid as computed."),
    ]


# --- API -----------------------------------------------------------------------------------------

READERS = {"hr", "acceptance", "auditor"}


@pytest.mark.parametrize("persona", [*PERSONAS, HEAD_P01])
def test_the_standard_through_the_api_per_persona(client_for, pilots, persona):
    client = _client(client_for, persona)
    response = client.get(API + "standards/")
    expected = 401 if persona == "anonymous" else 200 if persona in READERS else 403
    assert response.status_code == expected, persona
    # Read only: a reader's POST is a 405, anyone else's refused as the GET.
    post = client.post(API + "standards/", {}, content_type="application/json")
    assert post.status_code == (405 if persona in READERS else expected)
    assert Standard.objects.count() == 1


def test_the_api_shows_the_go_live_month(client_for, world, pilots):
    services.standard_go_live_change(actor=world.users["hr"], go_live_month=NOV)
    client = client_for("auditor")
    results = client.get(API + "standards/").json()["results"]
    assert [(s["version"], s["go_live_month"]) for s in results] == [
        (2, "2026-11-01"),
        (1, "2026-10-01"),
    ]
    assert [i["code"] for i in results[0]["items"]] == ["ENV", "DATA", "TRAIN", "TEST", "PAY"]
    assert results[0]["items"][-1]["method"] == "payroll"
    # A batch says which go-live month it checks from: that of its own standard.
    _batch(world, pilots, JANUARY_BATCH, "一月批")
    (batch,) = client.get(API + "batches/").json()["results"]
    assert (batch["standard_version"], batch["go_live_month"]) == (2, "2026-11-01")
    assert Batch.objects.get().standard.version == 2
