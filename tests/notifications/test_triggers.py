"""Whatever makes a 待办 for someone notifies them: each domain service's trigger, the right
people getting one notification each, everybody else none, and bulk notifications in one insert
(docs/NOTIFICATIONS.md, "What notifies whom")."""

import datetime
from collections import Counter
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from acceptance import services as acceptance
from acceptance.tasks import flag_missing_reports
from appraisal import services as appraisal
from appraisal.models import Scheme
from bulletins import services as bulletins
from bulletins.models import ExplanationRequest
from letters import services as letters
from letters.models import Letter
from orgs.models import Institution, Notification, Role
from payroll import services as payroll

from ..factories import PASSWORD, InstitutionFactory, UserFactory

pytestmark = pytest.mark.django_db


def received(kind: str) -> Counter:
    """{username: how many notifications of this kind}."""
    return Counter(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def notification_inserts(queries) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith('INSERT INTO "orgs_notification"')
    )


# --- Letters -------------------------------------------------------------------------------------


def test_a_letter_issued_notifies_its_holder_once(world, year, letter):
    assert received("letter.issued") == {"head_a": 1}
    n = Notification.objects.get(kind="letter.issued")
    assert n.link == reverse("letters:letter_detail", args=[letter.pk])
    assert (n.about_type, n.about_id) == ("letters.letter", str(letter.pk))
    assert n.title == "待签署的目标责任书"
    assert n.text == "甲机构 2026年度目标责任书（责任人：甲一把手，第 1 版）已下达，等待您签署。"
    # Issuing again what is already issued changes nothing and tells nobody.
    letters.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.a)
    assert received("letter.issued") == {"head_a": 1}


def test_issuing_to_every_institution_notifies_the_heads_in_one_insert(world, year, client_for):
    heads = []
    for n in range(4):
        head = UserFactory(username=f"head_x{n}", role=Role.HEAD)
        InstitutionFactory(code=f"X{n:02d}", name=f"新机构{n}", group=world.g1, head=head)
        heads.append(head.username)
    with CaptureQueriesContext(connection) as queries:
        response = client_for("hr").post(
            reverse("letters:status_issue", args=[2026]), {"confirm": "yes"}
        )
    assert response.status_code == 302
    assert received("letter.issued") == Counter(dict.fromkeys(["head_a", "head_b", *heads], 1))
    assert notification_inserts(queries) == 1
    assert "hr" not in received("letter.issued")


def test_a_signed_letter_notifies_hr_for_the_countersignature(world, year, letter):
    hr2 = UserFactory(username="hr2", role=Role.HR)
    letters.letter_sign(
        actor=world.users["head_a"], letter=letter, password=PASSWORD, client_address=None
    )
    assert received("letter.signed") == {"hr": 1, hr2.username: 1}
    n = Notification.objects.filter(kind="letter.signed").first()
    assert n.link == reverse("letters:letter_detail", args=[letter.pk])
    assert "甲一把手 已签署 甲机构 2026年度目标责任书" in n.text


def test_a_cascade_notifies_each_new_holder_in_one_insert(world, year, letter):
    letters.letter_sign(
        actor=world.users["head_a"], letter=letter, password=PASSWORD, client_address=None
    )
    revenue = letter.items.get(indicator__code="B3")
    deputies = [UserFactory(username=f"deputy{i}", role="", institution=world.a) for i in range(3)]
    children = [
        letters.ChildLetter(f"分管副总{i}", d, {revenue.pk: D("400")})
        for i, d in enumerate(deputies)
    ]
    with CaptureQueriesContext(connection) as queries:
        made = letters.letter_cascade(actor=world.users["head_a"], parent=letter, children=children)
    assert notification_inserts(queries) == 1
    assert received("letter.issued") == {"head_a": 1, "deputy0": 1, "deputy1": 1, "deputy2": 1}
    links = set(Notification.objects.filter(recipient__in=deputies).values_list("link", flat=True))
    assert links == {reverse("letters:letter_detail", args=[x.pk]) for x in made}


def test_a_target_change_reissue_notifies_the_holder_again(
    world, year, letter, django_capture_on_commit_callbacks
):
    from appraisal.models import Target
    from appraisal.services import target_save

    revenue = Target.objects.get(institution=world.a, unit="万元")
    with django_capture_on_commit_callbacks(execute=True):
        target_save(
            actor=world.users["hr"],
            indicator=revenue.indicator,
            institution=world.a,
            period="h2",
            target_value=D("1300"),
        )
    assert Letter.objects.filter(institution=world.a, level="head").count() == 2
    assert received("letter.issued") == {"head_a": 2}


# --- Bulletins -----------------------------------------------------------------------------------


def test_a_monthly_bulletin_asks_the_lagging_heads_in_one_insert(world, ranked):
    # A01 (head A), E01, F01, G01 lag; give three of them heads too.
    for code in ("E01", "F01", "G01"):
        Institution.objects.filter(code=code).update(
            head=UserFactory(username=f"head_{code.lower()}", role=Role.HEAD)
        )
    bulletin = bulletins.bulletin_generate(
        scheme=ranked.scheme, kind="monthly", day=datetime.date(2026, 11, 1)
    )
    with CaptureQueriesContext(connection) as queries:
        bulletins.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)
    assert notification_inserts(queries) == 1
    assert received("explanation.requested") == {
        "head_a": 1, "head_e01": 1, "head_f01": 1, "head_g01": 1
    }  # fmt: skip
    request = ExplanationRequest.objects.get(institution=world.a)
    n = Notification.objects.get(kind="explanation.requested", recipient=world.users["head_a"])
    assert n.link == reverse("bulletins:explanation_detail", args=[request.pk])
    assert n.text == (
        f"2026年月度通报第{bulletin.number}期将甲机构列为落后单位，"
        f"请于 {request.due_on.isoformat()} 前提交情况说明。"
    )
    # Publishing again asks nobody twice.
    bulletins.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)
    assert Notification.objects.filter(kind="explanation.requested").count() == 4


def test_a_weekly_bulletin_asks_nobody(world, ranked):
    bulletin = bulletins.bulletin_generate(
        scheme=ranked.scheme, kind="weekly", day=datetime.date(2026, 11, 16)
    )
    bulletins.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)
    assert not Notification.objects.filter(kind="explanation.requested").exists()


# --- Appeals -------------------------------------------------------------------------------------


def _appealed(world, year):
    entry = appraisal.ledger_entry_create(
        actor=world.users["scorer"], scheme=year.scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=D("-10"), reason="安全检查发现问题",
    )  # fmt: skip
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.REVIEW)
    return appraisal.appeal_submit(actor=world.users["head_a"], entry=entry, reasons="已整改")


def test_an_appeal_notifies_hr_and_the_scorers_of_the_entrys_department(world, year):
    other = UserFactory(username="dj_scorer", role=Role.SCORER, scoring_department=year.dj)
    same = UserFactory(username="aq_scorer2", role=Role.SCORER, scoring_department=world.dept)
    appeal = _appealed(world, year)
    assert received("appeal.submitted") == {"hr": 1, "scorer": 1, same.username: 1}
    assert other.username not in received("appeal.submitted")
    n = Notification.objects.filter(kind="appeal.submitted").first()
    assert n.link == reverse("appraisal:appeal_detail", args=[appeal.pk])
    assert n.text == f"甲机构 对 2026年度第 {appeal.entry_id} 号记分（-10.00 分）提出申诉：已整改"


@pytest.mark.parametrize("accept", [True, False])
def test_an_answer_notifies_the_head_who_appealed(world, year, accept):
    appeal = _appealed(world, year)
    appraisal.appeal_answer(
        actor=world.users["scorer"], appeal=appeal, accept=accept, answer="核实"
    )
    assert received("appeal.answered") == {"head_a": 1}
    n = Notification.objects.get(kind="appeal.answered")
    verdict = "已采纳" if accept else "未予采纳"
    assert n.text == f"第 {appeal.pk} 号申诉（第 {appeal.entry_id} 号记分）{verdict}：核实"


# --- Payroll -------------------------------------------------------------------------------------


def test_a_confirmed_run_notifies_the_institutions_payroll_officers(world, paid_year):
    officer_b = UserFactory(username="payroll_b", role=Role.PAYROLL)
    officer_b.payroll_institutions.add(world.b)
    officer_a2 = UserFactory(username="payroll_a2", role=Role.PAYROLL)
    officer_a2.payroll_institutions.add(world.a)
    run = payroll.payroll_run_compute(
        actor=None, institution=world.a, month=datetime.date(2027, 1, 1)
    )
    payroll.payroll_run_confirm(actor=world.users["payroll"], run=run)
    # The officer who confirmed it is not told of their own act.
    assert received("payroll.confirmed") == {"payroll_a2": 1}
    n = Notification.objects.get(kind="payroll.confirmed")
    assert n.link == reverse("payroll:run_detail", args=[run.pk])
    assert n.text.startswith("甲机构 2027-01 的工资表已确认（3 行，应发合计 ")


# --- Acceptance ----------------------------------------------------------------------------------


def test_a_scheduled_batch_notifies_the_team_and_the_heads(world, pilots):
    inspector = UserFactory(username="inspector2", role=Role.ACCEPTANCE)
    pilots.team.members.add(inspector)
    with CaptureQueriesContext(connection) as queries:
        batch = acceptance.batch_create(
            actor=world.users["hr"], name="第一批", team=pilots.team,
            date=datetime.date(2026, 11, 20), institutions=pilots.institutions[:5],
        )  # fmt: skip
    assert notification_inserts(queries) == 1
    # HR is on the team but scheduled it; P03…P05 have no head.
    assert received("acceptance.scheduled") == {
        "acceptance": 1, "inspector2": 1, "head_p01": 1, "head_p02": 1
    }  # fmt: skip
    member = Notification.objects.get(recipient=world.users["acceptance"])
    assert member.link == reverse("acceptance:batch_detail", args=[batch.pk])
    head = Notification.objects.get(recipient__username="head_p01")
    inspection = batch.inspections.get(institution=pilots.institutions[0])
    assert head.link == reverse("acceptance:inspection_detail", args=[inspection.pk])
    assert head.text == "试点01 已列入验收批次“第一批”（第 1 轮），定于 2026-11-20 进行。"


def test_a_missing_weekly_report_notifies_the_head_once(world, pilots):
    monday = datetime.date(2026, 11, 16)
    acceptance.weekly_report_submit(
        actor=world.users["head_a"], institution=world.a, day=monday, stage="data", progress=40
    )
    flag_missing_reports(week=monday.isoformat())
    flag_missing_reports(week=monday.isoformat())  # again: nobody twice
    # A01 reported; B01, P01 and P02 did not (the other pilots have no head).
    assert received("acceptance.report_overdue") == {"head_b": 1, "head_p01": 1, "head_p02": 1}
    n = Notification.objects.get(recipient=world.users["head_b"])
    assert n.link == reverse("acceptance:report_submit")
    assert n.text == "未收到 乙机构 2026-11-16 当周的周报，请提交本周周报。"
    flag_missing_reports(week="2026-11-23")  # the next week: told again
    assert received("acceptance.report_overdue")["head_b"] == 2


# --- From a change to the receiver ---------------------------------------------------------------


def test_an_answered_appeal_reaches_the_robot_when_the_change_commits(
    world, year, settings, receiver, django_capture_on_commit_callbacks
):
    settings.NOTIFY_FEISHU_URL = receiver.url("/open-apis/bot/v2/hook/x")
    receiver.answer((200, {"code": 0, "msg": "success"}))
    entry = appraisal.ledger_entry_create(
        actor=world.users["scorer"], scheme=year.scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=D("-10"), reason="检查",
    )  # fmt: skip
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.REVIEW)
    appeal = appraisal.appeal_submit(actor=world.users["head_a"], entry=entry, reasons="已整改")
    assert receiver.requests == []  # not committed: nothing sent
    with django_capture_on_commit_callbacks(execute=True):
        appraisal.appeal_answer(
            actor=world.users["scorer"], appeal=appeal, accept=False, answer="维持"
        )
    (request,) = receiver.requests
    assert "您的申诉已答复｜甲一把手" in request.body["content"]["text"]
