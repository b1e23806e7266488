"""bulletins.services over the `ranked` year of conftest.py: snapshots, generating, regenerating and
publishing bulletins (periods, numbering, freezing, movement, lagging with ties, warnings),
explanation requests (created once), submitting and reviewing explanations, the warning policy;
who may do each, and the audit trail."""

import datetime
import io
import threading
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from appraisal.models import Result, Scheme
from bulletins import services, watchlist
from bulletins.models import Bulletin, ExplanationRequest, Snapshot, WarningPolicy, policy_for
from orgs.models import AuditEvent, Institution

from .conftest import PDF, recompute, score

NOV_1 = datetime.date(2026, 11, 1)  # reports October
OCT_1 = datetime.date(2026, 10, 1)  # reports September
MONDAY = datetime.date(2026, 11, 16)  # reports 9–15 November


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def monthly(ranked, day=NOV_1, actor=None):
    return services.bulletin_generate(
        scheme=ranked.scheme, kind=Bulletin.Kind.MONTHLY, day=day, actor=actor
    )


def lines(bulletin):
    return {line.institution_code: line for line in bulletin.lines.all()}


def published(ranked, world):
    return services.bulletin_publish(actor=world.users["hr"], bulletin=monthly(ranked))


def request_of(bulletin, institution):
    return ExplanationRequest.objects.get(bulletin=bulletin, institution=institution)


# --- Snapshots -----------------------------------------------------------------------------------


def test_snapshots_copy_the_current_results_into_this_month(ranked):
    today = timezone.localdate()
    assert services.snapshots_take(scheme=ranked.scheme, day=today) == 7
    snap = Snapshot.objects.get(institution=ranked.E01)
    result = Result.objects.get(institution=ranked.E01)
    assert snap.month == today.replace(day=1)
    assert (snap.total, snap.veto, snap.vetoed, snap.rank, snap.grade, snap.group_id) == (
        result.total,
        result.veto,
        True,
        4,
        result.grade,
        result.group_id,
    )


def test_snapshots_again_replace_this_month_only(world, year, ranked):
    today = timezone.localdate()
    services.snapshots_take(scheme=ranked.scheme, day=today)
    first = set(Snapshot.objects.values_list("pk", flat=True))
    score(world, year, world.a, "-30", indicator="C1")  # A01: 950 → 935
    recompute(year)
    assert services.snapshots_take(scheme=ranked.scheme) == 7  # today by default
    assert Snapshot.objects.count() == 7  # replaced, not added
    assert not first & set(Snapshot.objects.values_list("pk", flat=True))
    assert Snapshot.objects.get(institution=world.a).total == D("935.00")


def test_a_month_that_has_ended_is_frozen(world, year, ranked):
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    # Never taken (beat was down): taken late, once, from the results as they are.
    assert services.snapshots_take(scheme=ranked.scheme, day=last_month) == 7
    score(world, year, world.a, "-30", indicator="C1")
    recompute(year)
    assert services.snapshots_take(scheme=ranked.scheme, day=last_month) == 0
    assert services.snapshots_take(scheme=ranked.scheme, day=today) == 7
    month = last_month.replace(day=1)
    assert Snapshot.objects.get(institution=world.a, month=month).total == D("950.00")
    assert Snapshot.objects.get(institution=world.a, month=today.replace(day=1)).total == D(
        "935.00"
    )


def test_no_snapshot_of_a_month_to_come_nor_of_a_draft_year(ranked):
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    with pytest.raises(ValidationError):
        services.snapshots_take(scheme=ranked.scheme, day=next_month)
    draft = Scheme.objects.create(year=2027)
    with pytest.raises(ValidationError, match="draft"):
        services.snapshots_take(scheme=draft)
    assert not Snapshot.objects.exists()


# --- Generating ----------------------------------------------------------------------------------


def test_monthly_bulletin_freezes_the_previous_month(world, ranked):
    bulletin = monthly(ranked)
    assert (bulletin.kind, bulletin.number, bulletin.status) == ("monthly", 1, "draft")
    assert (bulletin.period_start, bulletin.period_end) == (OCT_1, datetime.date(2026, 10, 31))
    assert bulletin.previous is None
    got = lines(bulletin)
    assert set(got) == {"A01", "B01", "C01", "D01", "E01", "F01", "G01"}
    a = got["A01"]
    assert (a.institution_name, a.group_name, a.rank, a.total, a.prize_level) == (
        "甲机构",
        "第一组",
        3,
        D("950.00"),
        2,
    )
    assert {code for code, line in got.items() if line.movement != "new"} == set()
    # The bottom two of each group; E01 is vetoed, so ranked last, so among them.
    assert {code for code, line in got.items() if line.lagging} == {"A01", "E01", "F01", "G01"}
    assert got["E01"].vetoed and got["E01"].rank == 4
    assert got["D01"].warnings == ["prize_at_risk"]  # leads C01 by exactly the margin, 5.00
    assert got["E01"].warnings == ["vetoed"]
    assert got["A01"].warnings == ["no_report"]  # a pilot without a weekly report
    assert got["C01"].warnings == []


def test_bulletin_warnings_are_the_whole_frozen_list(world, ranked):
    bulletin = monthly(ranked)
    assert [(w["code"], w["institution_code"]) for w in bulletin.warnings] == [
        ("vetoed", "E01"),
        ("prize_at_risk", "D01"),
        ("no_report", "A01"),
        ("no_report", "B01"),
    ]
    assert bulletin.warnings[0] == {
        "institution_id": ranked.E01.pk,
        "code": "vetoed",
        "veto": "30.00",
        "institution_code": "E01",
        "institution_name": "E01机构",
    }
    assert bulletin.warnings[1]["margin"] == "5.00" and bulletin.warnings[1]["prize"] == 1


def test_lines_stay_as_they_were_when_generated(world, year, ranked):
    bulletin = monthly(ranked)
    Institution.objects.filter(pk=world.a.pk).update(name="改名机构")
    score(world, year, world.a, "-40", indicator="C1")
    recompute(year)
    a = lines(bulletin)["A01"]
    assert (a.institution_name, a.total) == ("甲机构", D("950.00"))


def test_generation_is_audited_with_or_without_an_actor(world, ranked):
    bulletin = monthly(ranked)
    event = AuditEvent.objects.get(action="bulletin.generate", object_id=str(bulletin.pk))
    assert event.actor is None
    assert event.after["lagging"] == ["A01", "E01", "F01", "G01"]
    assert event.after["period"] == ["2026-10-01", "2026-10-31"]
    weekly = services.bulletin_generate(
        scheme=ranked.scheme, kind="weekly", day=MONDAY, actor=world.users["hr"]
    )
    assert (
        AuditEvent.objects.get(object_id=str(weekly.pk), action="bulletin.generate").actor
        == (world.users["hr"])
    )


@pytest.mark.parametrize("persona", ["head_a", "scorer", "auditor", "payroll", "norole"])
def test_only_hr_generates(world, ranked, persona):
    with pytest.raises(PermissionDenied):
        monthly(ranked, actor=world.users[persona])
    assert not Bulletin.objects.exists()


def test_a_draft_year_and_a_period_before_the_year_are_refused(world, ranked):
    with pytest.raises(ValidationError, match="had not begun"):
        monthly(ranked, day=datetime.date(2026, 1, 15))  # December 2025
    draft = Scheme.objects.create(year=2027)
    with pytest.raises(ValidationError, match="draft"):
        services.bulletin_generate(scheme=draft, kind="monthly", day=NOV_1)
    with pytest.raises(ValidationError):
        services.bulletin_generate(scheme=ranked.scheme, kind="daily", day=NOV_1)
    assert not Bulletin.objects.exists()


def test_numbers_run_per_kind_in_the_year(ranked):
    w1 = services.bulletin_generate(scheme=ranked.scheme, kind="weekly", day=MONDAY)
    w2 = services.bulletin_generate(
        scheme=ranked.scheme, kind="weekly", day=MONDAY + datetime.timedelta(days=7)
    )
    m1 = monthly(ranked)
    assert (w1.number, w2.number, m1.number) == (1, 2, 1)
    assert (w1.period_start, w1.period_end) == (
        datetime.date(2026, 11, 9),
        datetime.date(2026, 11, 15),
    )
    assert w2.previous == w1


def test_regenerating_a_draft_replaces_it_in_place(world, year, ranked):
    first = monthly(ranked)
    score(world, year, world.a, "50", indicator="B1", period="h1")  # A01: 950 → 975
    recompute(year)
    again = monthly(ranked, day=datetime.date(2026, 11, 20), actor=world.users["hr"])
    assert (again.pk, again.number) == (first.pk, 1)
    assert Bulletin.objects.count() == 1
    assert lines(again)["A01"].total == D("975.00")
    assert again.lines.count() == 7
    assert AuditEvent.objects.filter(action="bulletin.regenerate", object_id=str(first.pk)).exists()


def test_a_published_bulletin_never_changes(world, year, ranked):
    bulletin = published(ranked, world)
    score(world, year, world.a, "50", indicator="B1", period="h1")
    recompute(year)
    with pytest.raises(ValidationError, match="never changed"):
        monthly(ranked, actor=world.users["hr"])
    bulletin.refresh_from_db()
    assert bulletin.status == "published"
    assert lines(bulletin)["A01"].total == D("950.00")


def test_movement_against_the_previous_bulletin_of_the_kind(world, year, ranked):
    september = monthly(ranked, day=OCT_1)
    # A01 climbs to the top (950 → 999.75), D01 falls to third (1000 → 990), C01 stays second.
    score(world, year, world.a, "49.75", indicator="B1", period="h1")
    score(world, year, world.a, "49.75", indicator="B1", period="h2")
    score(world, year, ranked.D01, "-20", indicator="C1")
    recompute(year)
    october = monthly(ranked)
    assert october.previous == september
    got = lines(october)
    assert (got["A01"].previous_rank, got["A01"].rank, got["A01"].movement) == (3, 1, "up")
    assert (got["A01"].previous_total, got["A01"].total) == (D("950.00"), D("999.75"))
    assert (got["D01"].previous_rank, got["D01"].rank, got["D01"].movement) == (1, 3, "down")
    assert (got["C01"].movement, got["E01"].movement, got["B01"].movement) == (
        "same",
        "same",
        "same",
    )
    # A weekly bulletin is measured against weekly ones only: the first of its kind.
    weekly = services.bulletin_generate(scheme=ranked.scheme, kind="weekly", day=MONDAY)
    assert weekly.previous is None
    assert set(weekly.lines.values_list("movement", flat=True)) == {"new"}


def test_a_unit_that_changed_group_is_new_there(world, year, ranked):
    monthly(ranked, day=OCT_1)
    Institution.objects.filter(pk=world.a.pk).update(group=world.g2)
    recompute(year)
    a = lines(monthly(ranked))["A01"]
    assert (a.group_name, a.movement, a.previous_rank) == ("第二组", "new", None)


def test_lagging_includes_every_unit_tied_at_the_boundary(world, year, ranked):
    services.warning_policy_save(
        actor=world.users["hr"], scheme=ranked.scheme, explanation_bottom_n=1
    )
    score(world, year, ranked.F01, "-20", indicator="C1")  # F01: 990 → 980, tied with G01
    recompute(year)
    got = lines(monthly(ranked))
    assert (got["F01"].rank, got["G01"].rank) == (2, 2)
    assert {code for code, line in got.items() if line.lagging} == {"E01", "F01", "G01"}


def test_a_policy_of_none_marks_nobody(world, ranked):
    services.warning_policy_save(
        actor=world.users["hr"], scheme=ranked.scheme, explanation_bottom_n=0
    )
    bulletin = monthly(ranked)
    assert not bulletin.lines.filter(lagging=True).exists()
    services.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)
    assert not ExplanationRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_and_publication_make_one_bulletin_and_ask_once(world, year, ranked):
    errors = []

    def run(work):
        try:
            work()
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(lambda: monthly(ranked),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    (bulletin,) = Bulletin.objects.all()
    assert (bulletin.number, bulletin.lines.count()) == (1, 7)

    def publish():
        services.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)

    threads = [threading.Thread(target=run, args=(publish,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ExplanationRequest.objects.count() == 4
    assert AuditEvent.objects.filter(action="bulletin.publish").count() == 1


# --- Publishing ----------------------------------------------------------------------------------


def test_publishing_a_monthly_bulletin_asks_the_lagging_units_once(world, ranked):
    hr = world.users["hr"]
    bulletin = monthly(ranked)
    bulletin = services.bulletin_publish(actor=hr, bulletin=bulletin)
    assert bulletin.status == "published" and bulletin.published_by == hr
    asked = ExplanationRequest.objects.filter(bulletin=bulletin)
    assert set(asked.values_list("institution__code", flat=True)) == {"A01", "E01", "F01", "G01"}
    due = timezone.localdate(bulletin.published_at) + datetime.timedelta(days=7)
    assert set(asked.values_list("due_on", "status", "scheme_id")) == {
        (due, "requested", ranked.scheme.pk)
    }
    first_published_at = bulletin.published_at
    services.bulletin_publish(actor=hr, bulletin=bulletin)  # again: nothing changes
    bulletin.refresh_from_db()
    assert bulletin.published_at == first_published_at
    assert asked.count() == 4
    (event,) = AuditEvent.objects.filter(action="bulletin.publish")
    assert event.before == {"status": "draft"}
    assert event.after == {"status": "published", "explanations": ["A01", "E01", "F01", "G01"]}


def test_the_policy_sets_the_days_given(world, ranked):
    services.warning_policy_save(actor=world.users["hr"], scheme=ranked.scheme, explanation_days=3)
    bulletin = published(ranked, world)
    assert request_of(bulletin, world.a).due_on == timezone.localdate() + datetime.timedelta(days=3)


def test_publishing_a_weekly_bulletin_asks_nobody(world, ranked):
    weekly = services.bulletin_generate(scheme=ranked.scheme, kind="weekly", day=MONDAY)
    services.bulletin_publish(actor=world.users["hr"], bulletin=weekly)
    assert not ExplanationRequest.objects.exists()


@pytest.mark.parametrize("persona", ["head_a", "scorer", "auditor", "acceptance", "norole"])
def test_only_hr_publishes(world, ranked, persona):
    bulletin = monthly(ranked)
    with pytest.raises(PermissionDenied):
        services.bulletin_publish(actor=world.users[persona], bulletin=bulletin)
    bulletin.refresh_from_db()
    assert bulletin.status == "draft" and not ExplanationRequest.objects.exists()


def test_an_overdue_request_is_a_warning_of_the_next_bulletin(world, ranked):
    bulletin = published(ranked, world)
    ExplanationRequest.objects.filter(pk=request_of(bulletin, world.a).pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert services.is_overdue(request_of(bulletin, world.a))
    assert not services.is_overdue(request_of(bulletin, ranked.E01))
    found = watchlist.explanation_overdue_ids(
        ranked.scheme, Institution.objects.all(), timezone.localdate()
    )
    assert found == {world.a.pk}
    weekly = services.bulletin_generate(
        scheme=ranked.scheme, kind="weekly", day=timezone.localdate()
    )
    assert "explanation_overdue" in lines(weekly)["A01"].warnings


# --- Explanations --------------------------------------------------------------------------------


def test_the_head_submits_with_an_attachment_and_again_until_reviewed(world, ranked, media):
    bulletin = published(ranked, world)
    request = request_of(bulletin, world.a)
    head = world.users["head_a"]
    pdf = SimpleUploadedFile("说明.pdf", PDF, content_type="application/pdf")
    request = services.explanation_submit(
        actor=head, request=request, text="  重点项目滞后，已整改。 ", attachment=pdf
    )
    assert (request.status, request.text, request.submitted_by) == (
        "submitted",
        "重点项目滞后，已整改。",
        head,
    )
    assert request.attachment.name.endswith(".pdf")
    attached = request.attachment.name
    # Again: the text is replaced; without a new file the attachment is kept.
    request = services.explanation_submit(actor=head, request=request, text="补充说明。")
    assert (request.text, request.attachment.name) == ("补充说明。", attached)
    events = AuditEvent.objects.filter(action="explanation.submit", object_id=str(request.pk))
    assert events.count() == 2
    assert events.order_by("id").last().before["text"] == "重点项目滞后，已整改。"
    # A submitted request is no longer overdue, even past its due day.
    ExplanationRequest.objects.filter(pk=request.pk).update(due_on=datetime.date(2026, 1, 1))
    request.refresh_from_db()
    assert not services.is_overdue(request)


def test_an_xlsx_attachment_is_taken(world, ranked, media):
    request = request_of(published(ranked, world), world.a)
    workbook = io.BytesIO()
    openpyxl.Workbook().save(workbook)
    xlsx = SimpleUploadedFile("数据.xlsx", workbook.getvalue())
    request = services.explanation_submit(
        actor=world.users["head_a"], request=request, text="见附表。", attachment=xlsx
    )
    assert request.attachment.name.endswith(".xlsx")


@pytest.mark.parametrize(
    "name,content",
    [
        ("说明.pdf", b"#!/bin/sh\nrm -rf /\n"),  # not what its name says
        ("说明.exe", b"MZ\x90\x00"),  # not a kind we take
        ("photo.webp", b"RIFF\x00\x00\x00\x00WAVEfmt "),  # RIFF, but not a WebP
    ],
)
def test_a_bad_attachment_is_refused(world, ranked, media, name, content):
    request = request_of(published(ranked, world), world.a)
    with pytest.raises(ValidationError) as refused:
        services.explanation_submit(
            actor=world.users["head_a"],
            request=request,
            text="说明",
            attachment=SimpleUploadedFile(name, content),
        )
    assert "attachment" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == "requested"


def test_the_text_is_required(world, ranked):
    request = request_of(published(ranked, world), world.a)
    with pytest.raises(ValidationError) as refused:
        services.explanation_submit(actor=world.users["head_a"], request=request, text="   ")
    assert refused.value.message_dict == {"text": ["Write the explanation."]}


@pytest.mark.parametrize("persona", ["head_b", "hr", "auditor", "scorer", "payroll", "norole"])
def test_only_the_head_of_the_unit_submits(world, ranked, persona):
    request = request_of(published(ranked, world), world.a)
    with pytest.raises(PermissionDenied):
        services.explanation_submit(actor=world.users[persona], request=request, text="说明")
    request.refresh_from_db()
    assert request.status == "requested"


def test_hr_reviews_once_and_then_it_no_longer_changes(world, ranked):
    hr = world.users["hr"]
    request = request_of(published(ranked, world), world.a)
    with pytest.raises(ValidationError, match="Nothing has been submitted"):
        services.explanation_review(actor=hr, request=request, note="")
    services.explanation_submit(actor=world.users["head_a"], request=request, text="说明")
    with pytest.raises(PermissionDenied):
        services.explanation_review(actor=world.users["auditor"], request=request, note="")
    request = services.explanation_review(actor=hr, request=request, note=" 已阅，同意。 ")
    assert (request.status, request.review_note, request.reviewed_by) == (
        "reviewed",
        "已阅，同意。",
        hr,
    )
    with pytest.raises(ValidationError, match="reviewed already"):
        services.explanation_review(actor=hr, request=request, note="again")
    with pytest.raises(ValidationError, match="no longer changes"):
        services.explanation_submit(actor=world.users["head_a"], request=request, text="改")
    event = AuditEvent.objects.get(action="explanation.review")
    assert (event.before["status"], event.after["status"]) == ("submitted", "reviewed")
    assert not services.can_submit(world.users["head_a"], request)


# --- Warning policy ------------------------------------------------------------------------------


def test_hr_saves_the_policy_and_it_is_audited(world, ranked):
    assert policy_for(ranked.scheme).pk is None  # the defaults, unsaved
    policy = services.warning_policy_save(
        actor=world.users["hr"], scheme=ranked.scheme, veto_margin=D("5"), prize_margin=D("2")
    )
    assert policy_for(ranked.scheme) == policy
    assert (policy.explanation_bottom_n, policy.explanation_days) == (2, 7)
    services.warning_policy_save(actor=world.users["hr"], scheme=ranked.scheme, explanation_days=10)
    first, second = AuditEvent.objects.filter(action="bulletins.policy").order_by("id")
    assert first.before is None and first.after["veto_margin"] == "5"
    assert second.before["explanation_days"] == 7 and second.after["explanation_days"] == 10
    # A prize margin of 2 no longer warns D01, 5 points ahead of C01.
    assert "prize_at_risk" not in lines(monthly(ranked))["D01"].warnings


def test_a_bad_policy_is_refused(world, ranked):
    hr = world.users["hr"]
    with pytest.raises(ValidationError) as refused:
        services.warning_policy_save(actor=hr, scheme=ranked.scheme, prize_margin=D("-1"))
    assert "prize_margin" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.warning_policy_save(actor=hr, scheme=ranked.scheme, explanation_days=0)
    with pytest.raises(PermissionDenied):
        services.warning_policy_save(
            actor=world.users["auditor"], scheme=ranked.scheme, veto_margin=D("1")
        )
    assert not WarningPolicy.objects.exists()
