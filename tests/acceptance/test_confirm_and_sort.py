"""Issue 15, parts 4 and 5, on the acceptance pages.

Confirmations: starting and closing a batch, deciding an inspection and making a new version of the
standard each open a dialog that says what happens to whom, with counts; the server refuses a POST
without `confirm=yes` (400) and changes nothing, and does the thing with it. The decision's note is
the dialog's reason box.

Sorting: the batch list, a batch's institutions, the weekly reports and the rollout board sort on
the server through their filter sets (`?ordering=`, `-` descending, a whitelisted column, a fixed
tie-breaker), and the API lists that share the filter sets take the same `ordering`."""

import datetime
import re

import pytest
from django.urls import reverse

from acceptance import services
from acceptance.models import Batch, Inspection, Standard, WeeklyReport, week_start
from orgs.models import AuditEvent, Institution

from .conftest import confirm_month

DAY = datetime.date(2026, 11, 20)
CONFIRM = {"confirm": "yes"}


def _url(name, **kwargs):
    return reverse(f"acceptance:{name}", kwargs=kwargs)


def _batch(world, pilots, institutions, name="第一批", day=DAY):
    return services.batch_create(
        actor=world.users["hr"], name=name, team=pilots.team, date=day, institutions=institutions
    )


def _dialog(body: str, testid: str) -> str:
    """The text of the confirm dialog whose form carries `testid`."""
    return body.split(f'data-testid="{testid}"')[1].split("</dialog>")[0]


def _codes(body: str, table: str) -> list[str]:
    rows = body.split(f'data-testid="{table}"')[1].split("</table>")[0]
    return re.findall(r'<tr data-code="(\w+)"', rows)


@pytest.fixture
def decided(world, pilots):
    """第一批 of P01…P06, started: P01 fails, the others pass (their months confirmed)."""
    batch = _batch(world, pilots, pilots.institutions[:6])
    services.batch_start(actor=world.users["hr"], batch=batch)
    member = world.users["acceptance"]
    tick = [i for i in pilots.standard.items.all() if i.method == "tick"]
    for inspection in batch.inspections.select_related("institution"):
        if inspection.institution.code == "P01":
            services.inspection_decide(actor=member, inspection=inspection, passed=False)
            continue
        confirm_month(world, inspection.institution)
        for item in tick:
            services.tick_save(actor=member, inspection=inspection, item=item, met=True)
        services.inspection_decide(actor=member, inspection=inspection, passed=True)
    return batch


# --- Confirmations -------------------------------------------------------------------------------


def test_closing_a_batch_says_what_happens_and_needs_the_confirmation(client_for, decided):
    hr = client_for("hr")
    body = hr.get(_url("batch_detail", pk=decided.pk)).content.decode()
    dialog = _dialog(body, "batch-close")
    assert "Close 第一批: 6 institutions — 5 passed, 1 failed." in dialog
    assert "P01 试点01 — round 2" in dialog  # the failed one, in its next round
    assert "No more ticks or decisions in this batch." in dialog
    assert 'name="confirm" value="yes"' in dialog

    events = AuditEvent.objects.count()
    response = hr.post(_url("batch_close", pk=decided.pk))
    assert response.status_code == 400
    decided.refresh_from_db()
    assert decided.status == Batch.Status.IN_PROGRESS and AuditEvent.objects.count() == events
    assert hr.post(_url("batch_close", pk=decided.pk), CONFIRM).status_code == 302
    decided.refresh_from_db()
    assert decided.status == Batch.Status.CLOSED


def test_starting_a_batch_needs_the_confirmation(client_for, world, pilots):
    batch = _batch(world, pilots, pilots.institutions[:5])
    member = client_for("acceptance")
    dialog = _dialog(member.get(_url("batch_detail", pk=batch.pk)).content.decode(), "batch-start")
    assert "tick the items of its 5 institutions on site" in dialog
    assert member.post(_url("batch_start", pk=batch.pk)).status_code == 400
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PLANNED
    assert member.post(_url("batch_start", pk=batch.pk), CONFIRM).status_code == 302
    batch.refresh_from_db()
    assert batch.status == Batch.Status.IN_PROGRESS


def test_deciding_says_the_new_stage_or_the_unmet_items_and_needs_the_confirmation(
    client_for, world, pilots
):
    batch = _batch(world, pilots, pilots.institutions[:5])
    member = client_for("acceptance")
    p01 = batch.inspections.get(institution__code="P01")
    for item in pilots.standard.items.filter(method="tick"):
        services.tick_save(actor=world.users["acceptance"], inspection=p01, item=item, met=True)
    body = member.get(_url("inspection_detail", pk=p01.pk)).content.decode()
    # October is not paid as computed: the pass is held back, and the fail names the item.
    assert "disabled" in body.split('data-testid="decide-pass-open"')[1].split(">")[0]
    fail = _dialog(body, "decide-fail")
    assert "P01 试点01 fails round 1. Not met: 工资按系统发放" in fail
    assert "It is due for a later batch, as round 2." in fail
    assert 'name="reason"' in fail and 'name="decision" value="fail"' in fail

    confirm_month(world, p01.institution)
    body = member.get(_url("inspection_detail", pk=p01.pk)).content.decode()
    assert "disabled" not in body.split('data-testid="decide-pass-open"')[1].split(">")[0]
    assert "P01 试点01 passes round 1: its stage becomes Trial run." in _dialog(body, "decide-pass")

    decide = _url("inspection_decide", pk=p01.pk)
    assert member.post(decide, {"decision": "pass", "reason": "合格"}).status_code == 400
    p01.refresh_from_db()
    assert p01.result == Inspection.Result.PENDING
    response = member.post(decide, {"decision": "pass", "reason": "合格", **CONFIRM})
    assert response.status_code == 302
    p01.refresh_from_db()
    assert (p01.result, p01.note) == (Inspection.Result.PASSED, "合格")
    assert Institution.objects.get(code="P01").stage == "trial"
    event = AuditEvent.objects.get(action="acceptance.pass")
    assert event.after["note"] == "合格"  # the dialog's reason is the decision's note


def test_a_new_version_of_the_standard_names_the_batches_that_keep_theirs(
    client_for, world, pilots
):
    _batch(world, pilots, pilots.institutions[:5])
    hr = client_for("hr")
    dialog = _dialog(hr.get(_url("standard_detail")).content.decode(), "go-live-form")
    assert "New batches use it; the 1 batch made so far keeps the version it was made with." in (
        dialog
    )
    go_live = _url("standard_go_live")
    assert hr.post(go_live, {"go_live_month": "2026-11"}).status_code == 400
    assert Standard.objects.count() == 1
    assert hr.post(go_live, {"go_live_month": "2026-11", **CONFIRM}).status_code == 302
    assert Standard.objects.count() == 2


# --- Sorting -------------------------------------------------------------------------------------


def test_the_batch_list_sorts_by_its_columns(client_for, world, pilots, decided):
    _batch(
        world, pilots, [*pilots.institutions[6:], world.a, world.b], "第二批", DAY.replace(day=1)
    )
    hr = client_for("hr")

    def order(ordering=""):
        body = hr.get(_url("batch_list"), {"ordering": ordering} if ordering else {}).content
        return re.findall(r'data-batch="\d+">\s*<td[^>]*><a[^>]*>([^<]+)<', body.decode())

    assert order() == ["第一批", "第二批"]  # newest first
    assert order("date") == ["第二批", "第一批"]
    assert order("-passed") == ["第一批", "第二批"]
    assert order("passed") == ["第二批", "第一批"]
    assert order("status") == ["第二批", "第一批"]  # planned before in progress
    assert order("nonsense") == ["第一批", "第二批"]  # ignored: the list's own order
    # The header links write the URL and keep the filter.
    body = hr.get(_url("batch_list"), {"status": "planned", "ordering": "date"}).content.decode()
    assert 'href="?status=planned&amp;ordering=-date"' in body
    assert 'aria-sort="ascending"' in body


def test_a_batch_sorts_its_institutions(client_for, world, pilots, decided):
    hr = client_for("hr")
    page = _url("batch_detail", pk=decided.pk)
    assert _codes(hr.get(page).content.decode(), "inspection-table")[:2] == ["P01", "P02"]

    def rows(ordering):
        return _codes(hr.get(page, {"ordering": ordering}).content.decode(), "inspection-table")

    passed = ["P02", "P03", "P04", "P05", "P06"]
    assert rows("result") == ["P01", *passed]  # failed before passed, then by code
    assert rows("-result") == [*passed, "P01"]
    assert rows("-institution") == ["P06", "P05", "P04", "P03", "P02", "P01"]


def test_the_rollout_board_sorts_by_stage_and_lateness(client_for, world, pilots):
    p = {i.code: i for i in pilots.institutions}
    Institution.objects.filter(code="P03").update(stage="setup")
    Institution.objects.filter(code="P04").update(stage="trial")
    today = datetime.date.today()
    for code, weeks_ago in (("P01", 0), ("P02", 2)):
        WeeklyReport.objects.create(
            institution=p[code],
            week=week_start(today) - datetime.timedelta(weeks=weeks_ago),
            stage="acceptance",
            progress=50,
            submitted_by=world.users["hr"],
        )
    hr = client_for("hr")

    def rows(ordering):
        body = hr.get(_url("rollout"), {"ordering": ordering}).content.decode()
        return _codes(body, "rollout-table")

    by_stage = rows("stage")
    # 环境搭建 before 验收 before 试运行 before 正式运行 (A01, B01): the rollout's order, not the
    # alphabet's.
    assert by_stage[0] == "P03" and by_stage[-3:] == ["P04", "A01", "B01"]
    assert rows("-stage")[:3] == ["A01", "B01", "P04"]
    late = rows("reported")  # never reported first, then the oldest report
    assert late.index("P02") < late.index("P01") and late[-1] == "P01"
    assert set(late[: late.index("P02")]) == set(by_stage) - {"P01", "P02"}
    assert rows("-reported")[0] == "P01"


def test_the_weekly_reports_sort_and_the_api_shares_the_ordering(client_for, world, pilots):
    today = datetime.date.today()
    for code, progress in (("P01", 80), ("P02", 30), ("P03", 55)):
        WeeklyReport.objects.create(
            institution=Institution.objects.get(code=code),
            week=week_start(today),
            stage="data",
            progress=progress,
            submitted_by=world.users["hr"],
        )
    hr = client_for("hr")
    body = hr.get(_url("report_list"), {"ordering": "-progress"}).content.decode()
    assert re.findall(r'data-code="(\w+)" data-week', body) == ["P01", "P03", "P02"]
    api = hr.get("/api/v1/reports/", {"ordering": "progress"}).json()["results"]
    assert [r["institution"] for r in api] == ["P02", "P03", "P01"]
    assert hr.get("/api/v1/reports/", {"ordering": "bogus"}).status_code == 400
    batches = hr.get("/api/v1/batches/", {"ordering": "-name"})
    assert batches.status_code == 200
    inspections = hr.get("/api/v1/inspections/", {"ordering": "-institution"})
    assert inspections.status_code == 200
