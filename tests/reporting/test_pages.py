"""The chain through the pages: 填报 by a contact person with evidence → 负责人审核 → 初审 returns →
resubmitted → 初审 accepts → 复核 accepts → only then the figure is on the Target and counts."""

from decimal import Decimal

from appraisal.models import Result, Target
from appraisal.recompute import year_results_recompute
from orgs.models import AuditEvent, Notification
from reporting.models import Report, ReportEvent, ReportItem

from .helpers import CONFIRM, item, pdf, url


def _start(client, year, period="h1", code="A01"):
    return client.post(
        url("report_start"), {"year": year.scheme.year, "period": period, "institution": code}
    )


def test_the_whole_chain_through_the_pages(world, year, ratio, client_for):
    contact, head, scorer, hr = (client_for(p) for p in ("contact_a", "head_a", "scorer", "hr"))
    response = _start(contact, year)
    assert response.status_code == 302
    report = Report.objects.get(institution=world.a, period="h1")
    assert response.url == url("report_detail", report.pk)
    assert sorted(report.items.values_list("indicator__code", flat=True)) == [
        "B1",
        "B3",
        "C1",
        "E1",
    ]
    b3 = item(report, "B3")
    assert b3.target == ratio.target

    # 填报: the figure, a note and a file of evidence, on the report page's item form.
    page = contact.get(url("report_detail", report.pk))
    assert page.status_code == 200
    assert 'data-testid="item-form-B3"' in page.content.decode()
    response = contact.post(
        url("item_detail", b3.pk),
        {"actual_value": "600", "note": "上半年营业收入", "evidence": pdf()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    b3.refresh_from_db()
    assert b3.actual_value == Decimal("600") and b3.note == "上半年营业收入"
    evidence = b3.evidence.get()
    download = contact.get(url("evidence", evidence.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "佐证.pdf" in contact.get(url("report_detail", report.pk)).content.decode()

    # Submitting needs the dialog's confirmation; then it goes to the head (the default setting).
    assert contact.post(url("report_submit", report.pk)).status_code == 400
    assert contact.post(url("report_submit", report.pk), CONFIRM).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.AWAITING_HEAD
    assert Notification.objects.filter(recipient=world.users["head_a"]).exists()
    # Note items without anything stay behind; nothing can change meanwhile.
    assert item(report, "C1").status == ReportItem.Status.DRAFT
    assert contact.post(url("item_detail", b3.pk), {"actual_value": "1"}).status_code == 400
    # A second click finds it submitted.
    assert contact.post(url("report_submit", report.pk), CONFIRM).status_code == 400

    # 负责人审核: the head approves; the scorer of the department hears of it.
    assert head.post(url("report_approve", report.pk)).status_code == 400
    assert head.post(url("report_approve", report.pk), CONFIRM).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.IN_REVIEW
    assert Notification.objects.filter(
        recipient=world.users["scorer"], kind="reporting.first_review"
    ).exists()

    # 初审 returns it, with reasons the institution sees.
    queue = scorer.get(url("queue"))
    assert queue.status_code == 200 and "B3" in queue.content.decode()
    response = scorer.post(
        url("item_first_review", b3.pk), {**CONFIRM, "decision": "return", "reason": "缺少报表"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    b3.refresh_from_db()
    assert report.status == Report.Status.RETURNED
    assert b3.status == ReportItem.Status.RETURNED and b3.return_reason == "缺少报表"
    assert "缺少报表" in contact.get(url("report_detail", report.pk)).content.decode()
    assert Notification.objects.filter(
        recipient=world.users["contact_a"], kind="reporting.returned"
    ).exists()
    # A second return is refused: it is back at the institution.
    again = {**CONFIRM, "decision": "return", "reason": "x"}
    assert scorer.post(url("item_first_review", b3.pk), again).status_code == 400

    # Corrected and resubmitted: only the returned item goes back into the chain.
    contact.post(url("item_detail", b3.pk), {"actual_value": "660", "note": "已补报表"})
    assert contact.post(url("report_submit", report.pk), CONFIRM).status_code == 302
    assert head.post(url("report_approve", report.pk), CONFIRM).status_code == 302
    b3.refresh_from_db()
    assert b3.status == ReportItem.Status.FIRST_REVIEW

    # 初审 accepts; nothing counts yet.
    accept = {**CONFIRM, "decision": "accept"}
    assert scorer.post(url("item_first_review", b3.pk), accept).status_code == 302
    b3.refresh_from_db()
    assert b3.status == ReportItem.Status.SECOND_REVIEW
    ratio.target.refresh_from_db()
    assert ratio.target.actual_value is None
    # Only HR does 复核; the scorer cannot.
    assert scorer.post(url("item_second_review", b3.pk), accept).status_code == 403

    year_results_recompute(scheme_id=year.scheme.pk)
    before = Result.objects.get(scheme=year.scheme, institution=world.a)

    # 复核 accepts: the figure is on the Target, audited, and counts.
    assert hr.get(url("queue")).status_code == 200
    assert hr.post(url("item_second_review", b3.pk), accept).status_code == 302
    b3.refresh_from_db()
    report.refresh_from_db()
    assert b3.status == ReportItem.Status.CHECKED
    assert report.status == Report.Status.CHECKED
    target = Target.objects.get(pk=ratio.target.pk)
    assert target.actual_value == Decimal("660")
    assert AuditEvent.objects.filter(action="target.update", object_id=str(target.pk)).exists()
    year_results_recompute(scheme_id=year.scheme.pk)
    after = Result.objects.get(scheme=year.scheme, institution=world.a)
    assert after.business > before.business

    # Locked: nothing more changes, and a replay is refused.
    assert hr.post(url("item_second_review", b3.pk), accept).status_code == 400
    assert contact.post(url("report_submit", report.pk), CONFIRM).status_code == 400
    actions = list(report.events.values_list("action", flat=True))
    for action in (
        ReportEvent.Action.SUBMIT,
        ReportEvent.Action.HEAD_APPROVE,
        ReportEvent.Action.FIRST_RETURN,
        ReportEvent.Action.FIRST_ACCEPT,
        ReportEvent.Action.SECOND_ACCEPT,
        ReportEvent.Action.CHECKED,
    ):
        assert action in actions
    assert AuditEvent.objects.filter(action__startswith="reporting.").count() >= len(actions)
    # The timeline shows on the report and the item pages.
    assert 'data-action="first_return"' in contact.get(url("item_detail", b3.pk)).content.decode()


def test_head_returns_to_the_contact_persons(world, year, ratio, client_for):
    contact, head = client_for("contact_a"), client_for("head_a")
    _start(contact, year)
    report = Report.objects.get(institution=world.a)
    contact.post(url("item_detail", item(report, "C1").pk), {"note": "安全检查12次"})
    contact.post(url("report_submit", report.pk), CONFIRM)
    # A reason is required.
    assert head.post(url("report_return", report.pk), CONFIRM).status_code == 400
    response = head.post(url("report_return", report.pk), {**CONFIRM, "reason": "请补充数据"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.RETURNED
    assert item(report, "C1").return_reason == "请补充数据"
    assert Notification.objects.filter(
        recipient=world.users["contact_a"], kind="reporting.returned"
    ).exists()
    # The contact person cannot approve; the head of B cannot even see it.
    assert contact.post(url("report_approve", report.pk), CONFIRM).status_code == 403
    assert client_for("head_b").get(url("report_detail", report.pk)).status_code == 404


def test_straight_up_when_the_head_need_not_approve(world, year, ratio, client_for):
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    contact = client_for("contact_a")
    _start(contact, year)
    report = Report.objects.get(institution=world.a)
    contact.post(url("item_detail", item(report, "B3").pk), {"actual_value": "100"})
    contact.post(url("report_submit", report.pk), CONFIRM)
    report.refresh_from_db()
    assert report.status == Report.Status.IN_REVIEW
    assert item(report, "B3").status == ReportItem.Status.FIRST_REVIEW


def test_the_heads_own_submission_goes_straight_up(world, year, ratio, client_for):
    head = client_for("head_a")
    _start(head, year)
    report = Report.objects.get(institution=world.a)
    head.post(url("item_detail", item(report, "B3").pk), {"actual_value": "100"})
    head.post(url("report_submit", report.pk), CONFIRM)
    report.refresh_from_db()
    assert report.status == Report.Status.IN_REVIEW


def test_correction_at_first_review(world, year, ratio, client_for):
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    contact, scorer, hr = client_for("contact_a"), client_for("scorer"), client_for("hr")
    _start(contact, year)
    report = Report.objects.get(institution=world.a)
    b3 = item(report, "B3")
    contact.post(url("item_detail", b3.pk), {"actual_value": "600"})
    contact.post(url("report_submit", report.pk), CONFIRM)
    # A correction needs its reason and the figure.
    no_reason = {**CONFIRM, "decision": "correct", "actual_value": "550"}
    assert scorer.post(url("item_first_review", b3.pk), no_reason).status_code == 400
    correct = {**no_reason, "reason": "以财务报表为准"}
    assert scorer.post(url("item_first_review", b3.pk), correct).status_code == 302
    b3.refresh_from_db()
    assert b3.actual_value == Decimal("550") and b3.corrected
    assert b3.status == ReportItem.Status.SECOND_REVIEW
    event = b3.events.get(action=ReportEvent.Action.FIRST_CORRECT)
    assert (
        event.before["actual_value"] == "600.0000" or Decimal(event.before["actual_value"]) == 600
    )
    assert event.note == "以财务报表为准"
    hr.post(url("item_second_review", b3.pk), {**CONFIRM, "decision": "accept"})
    assert Target.objects.get(pk=ratio.target.pk).actual_value == Decimal("550")


def test_evidence_is_checked_by_content(world, year, ratio, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    contact = client_for("contact_a")
    _start(contact, year)
    report = Report.objects.get(institution=world.a)
    b3 = item(report, "B3")
    fake = SimpleUploadedFile("报表.pdf", b"<html>not a pdf</html>")
    response = contact.post(url("item_detail", b3.pk), {"note": "x", "evidence": fake})
    assert response.status_code == 400
    assert not b3.evidence.exists()
    b3.refresh_from_db()
    assert b3.note == ""  # the note and the file together or neither


def test_the_list_shows_status_and_deadlines(world, year, ratio, client_for):
    import datetime

    year.scheme.h1_report_deadline = datetime.date(2026, 7, 10)
    year.scheme.save()
    contact = client_for("contact_a")
    _start(contact, year)
    page = client_for("hr").get(url("report_list"), {"year": 2026, "period": "h1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "A01" in html and "2026-07-10" in html
    assert client_for("norole").get(url("report_list")).status_code == 403
    assert client_for("acceptance").get(url("report_list")).status_code == 403


def test_a_deadline_indicator_takes_a_completion_date(world, year, ratio, client_for):
    import datetime

    from appraisal.models import Indicator

    Indicator.objects.filter(pk=ratio.indicator.pk).update(max_points=Decimal("5"))
    deadline = Indicator.objects.create(
        scheme=year.scheme, code="B4", part="business", name="网点改造", method="ratio",
        direction="deadline", max_points=Decimal("5"), department=world.dept,
        applies_to_all=False,
    )  # fmt: skip
    deadline.institutions.set([world.a])
    target = Target.objects.create(
        indicator=deadline,
        institution=world.a,
        period="h1",
        kind="deadline",
        deadline=datetime.date(2026, 6, 30),
    )
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    contact, scorer, hr = client_for("contact_a"), client_for("scorer"), client_for("hr")
    _start(contact, year)
    report = Report.objects.get(institution=world.a)
    b4 = item(report, "B4")
    page = contact.get(url("report_detail", report.pk)).content.decode()
    assert 'data-testid="completed_on-B4"' in page and 'data-testid="actual_value-B4"' not in page
    contact.post(url("item_detail", b4.pk), {"completed_on": "2026-06-20"})
    contact.post(url("report_submit", report.pk), CONFIRM)
    scorer.post(url("item_first_review", b4.pk), {**CONFIRM, "decision": "accept"})
    hr.post(url("item_second_review", b4.pk), {**CONFIRM, "decision": "accept"})
    target.refresh_from_db()
    assert target.completed_on == datetime.date(2026, 6, 20)
