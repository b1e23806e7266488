"""The permission matrix's world: the `world` of tests/conftest.py and the open 2026 `year` of
tests/appraisal/conftest.py, with data behind every route, built through the services:

- ledger entries on A01 (the scorer's deduction on C1 with evidence, HR's addition on B1, the head's
  self-assessment), an appeal of A01's head with evidence on the scorer's entry (taken while the
  year was in review; the year is open again afterwards);
- a target and the head's letter of A01;
- pay policies for A01 and B01 and A01's confirmed October payroll run with lines; an export job
  of HR's with its file;
- a team with the acceptance member, the standard, a batch of A01, B01 and three more pilots,
  A01's ENV ticked with evidence, a weekly report of A01;
- October's monthly bulletin, published, with A01's explanation request answered with an
  attachment, and a draft weekly bulletin.

Objects belong to institution A01 wherever a route takes one, so head_b must get 404 for them.
"""

import datetime
from decimal import Decimal as D
from pathlib import Path
from types import SimpleNamespace

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from acceptance import services as acceptance
from acceptance.models import Team
from appraisal import services as appraisal
from appraisal.models import Indicator, LedgerEntry, Scheme, Target
from appraisal.recompute import year_results_recompute
from bulletins import services as bulletins
from bulletins.models import ExplanationRequest
from letters import services as letters
from orgs import notifications
from orgs.models import AuditEvent, ContactPerson
from payroll import services as payroll
from payroll.transfer.jobs import JOB_KEY, export_path
from reporting import services as reporting

from ..appraisal.conftest import build_year
from ..conftest import build_world
from ..factories import EmployeeFactory, InstitutionFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OCTOBER = datetime.date(2026, 10, 1)
NOV_1 = datetime.date(2026, 11, 1)
MONDAY = datetime.date(2026, 11, 16)
EXPORT_JOB = "e" * 32


def _pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _status(scheme, status):
    Scheme.objects.filter(pk=scheme.pk).update(status=status)
    scheme.refresh_from_db()


def build_matrix_world():
    w = build_world()
    users = w.users
    hr, head_a, scorer = users["hr"], users["head_a"], users["scorer"]
    year = build_year(w)
    scheme = year.scheme

    # --- Appraisal: entries, an appeal, a target, a letter.
    entry = appraisal.ledger_entry_create(
        actor=scorer, scheme=scheme, institution=w.a, kind=LedgerEntry.Kind.INDICATOR,
        indicator=year.indicators["C1"], period="h1", points=D("-10"), reason="安全检查发现问题",
        evidence=_pdf(),
    )  # fmt: skip
    appraisal.ledger_entry_create(
        actor=hr, scheme=scheme, institution=w.a, kind=LedgerEntry.Kind.INDICATOR,
        indicator=year.indicators["B1"], period="h1", points=D("250"), reason="完成任务",
    )  # fmt: skip
    ratio = Indicator.objects.create(
        scheme=scheme, code="B3", part="business", name="营业收入", method="ratio",
        direction="higher", max_points=D("0.01"), department=year.dj, applies_to_all=False,
    )  # fmt: skip
    ratio.institutions.set([w.a])
    Indicator.objects.filter(pk=year.indicators["B1"].pk).update(max_points=D("299.99"))
    target = Target.objects.create(
        indicator=ratio,
        institution=w.a,
        period="h2",
        kind="absolute",
        unit="万元",
        target_value=D("1200"),
    )
    letter = letters.letter_issue(actor=hr, scheme=scheme, institution=w.a)

    # --- 数据填报: A01's 下半年 report by its contact person, approved by the head, up at HQ:
    # the figure of B3 (党建办's) and a note on C1 (the scorer's 安全生产科) with evidence.
    contact_a = users["contact_a"]
    data_report = reporting.report_open(
        actor=contact_a, scheme=scheme, institution=w.a, period="h2"
    )
    items = {i.indicator.code: i for i in data_report.items.select_related("indicator")}
    reporting.item_save(actor=contact_a, item=items["B3"], actual_value=D("1100"))
    reporting.item_save(actor=contact_a, item=items["C1"], note="安全检查问题已整改")
    data_evidence = reporting.evidence_add(actor=contact_a, item=items["C1"], file=_pdf())
    reporting.report_submit(actor=contact_a, report=data_report)
    reporting.report_head_approve(actor=head_a, report=data_report)
    data_item = items["C1"]
    year_results_recompute(scheme_id=scheme.pk)
    _status(scheme, Scheme.Status.REVIEW)
    appeal = appraisal.appeal_submit(
        actor=head_a, entry=entry, reasons="检查当日通道已清理", evidence=_pdf("appeal.pdf")
    )
    _status(scheme, Scheme.Status.OPEN)

    # --- Payroll: policies, A01's confirmed October run, HR's finished export job.
    policies = {
        inst.code: payroll.policy_save(
            actor=hr,
            year=2026,
            institution=inst,
            per_capita=D("36000"),
            basic_ratio=D("0.6"),
            settlement_month=datetime.date(2027, 3, 1),
        )
        for inst in (w.a, w.b)
    }
    run = payroll.payroll_run_compute(actor=None, institution=w.a, month=OCTOBER)
    run = payroll.payroll_run_confirm(actor=hr, run=run)
    path = export_path(EXPORT_JOB)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(b"PK")
    cache.set(
        JOB_KEY.format(EXPORT_JOB),
        {
            "state": "done",
            "done": 1,
            "total": 1,
            "filename": "export.xlsx",
            "month": "2026-10",
            "user_id": hr.pk,
            "error": "",
        },
        3600,
    )

    # --- Acceptance: a batch of A01, B01 and three more pilots; A01's ENV ticked with evidence.
    pilots = [w.a, w.b]
    for n in range(1, 4):
        inst = InstitutionFactory(
            code=f"P{n:02d}", name=f"试点{n:02d}", group=None, is_pilot=True, stage="acceptance"
        )
        EmployeeFactory(staff_number=f"P{n:02d}01", institution=inst)
        pilots.append(inst)
    team = Team.objects.create(name="第一验收组")
    team.members.set([users["acceptance"], hr])
    standard = acceptance.standard_create(actor=hr, name="试点机构验收标准")
    items = {i.code: i for i in standard.items.all()}
    batch = acceptance.batch_create(
        actor=hr, name="第一批", team=team, date=datetime.date(2026, 11, 20), institutions=pilots
    )
    inspection = batch.inspections.get(institution=w.a)
    acceptance.tick_save(
        actor=users["acceptance"], inspection=inspection, item=items["ENV"], met=True,
        note="机房已就绪", evidence=_pdf("env.pdf"),
    )  # fmt: skip
    report = acceptance.weekly_report_submit(
        actor=head_a, institution=w.a, day=MONDAY, stage="acceptance", progress=50
    )

    # --- Bulletins: October's published, A01's explanation with an attachment; a draft.
    published = bulletins.bulletin_generate(scheme=scheme, kind="monthly", day=NOV_1)
    published = bulletins.bulletin_publish(actor=hr, bulletin=published)
    request = ExplanationRequest.objects.get(bulletin=published, institution=w.a)
    request = bulletins.explanation_submit(
        actor=head_a, request=request, text="正在整改。", attachment=_pdf("说明.pdf")
    )
    draft = bulletins.bulletin_generate(scheme=scheme, kind="weekly", day=MONDAY)

    employee = w.a.employees.order_by("staff_number").first()
    audit_event = AuditEvent.objects.order_by("pk").first()
    # Head A's, leading to their letter (orgs.notifications).
    (notification,) = notifications.notify(
        recipients=[head_a], kind="letter.issued", title="待签署的目标责任书",
        text="甲机构2026年度目标责任书已下达，等待您签署。", link=f"/letters/{letter.pk}/",
        about=letter,
    )  # fmt: skip
    # `account`: the account the system and security administrators' pages open.
    return SimpleNamespace(
        **{k: v for k, v in vars(w).items() if not k.startswith("_")},
        account=head_a,
        year=year, scheme=scheme, entry=entry, appeal=appeal, target=target, indicator=ratio,
        letter=letter, policy=policies["A01"], run=run, job=EXPORT_JOB, team=team,
        standard=standard, item=items["ENV"], batch=batch, inspection=inspection, report=report,
        bulletin=published, draft=draft, explanation=request, employee=employee,
        audit_event=audit_event, notification=notification, page="scoring", month="2026-10",
        data_report=data_report, data_item=data_item, data_evidence=data_evidence,
        contact_a=ContactPerson.objects.get(user=w.users["contact_a"], ended_at__isnull=True),
    )  # fmt: skip
