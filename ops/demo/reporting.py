"""The demo's 数据填报 (docs/REPORTING.md), part of the 2026 story (ops/demo/appraisal.py): from
下半年 the institutions report their own figures, and they count only once checked.

* **JG001 东城分公司**, its contact person 何晓琳 (`contact`): the 下半年 report with the
  year-to-date 生产任务完成 and 营业收入, the 智慧网点建设 completion date and a note on
  集团重点项目推进, with evidence; approved by the head (`head`); 财务部 returns 营业收入 at
  初审 (the evidence is the monthly statement, not the audited one), 何晓琳 attaches the
  audited figure and submits again; the head approves, 初审 passes everything, HR's 复核
  accepts: the report is checked and its figures count.
* **JG002 西城分公司**, its contact person 马骏 (`contact2`): the 下半年 report submitted,
  waiting for the head's (`head2`) approval: its figures do not count yet (a 待办 of head2's).
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from appraisal.models import Scheme
from orgs.models import Institution, User
from reporting import services
from reporting.models import ReportItem

# A one-page PDF: what the content check (orgs.uploads) takes as a document.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
NOTE_ZX01 = "下半年完成集团重点项目3项，东城物流园二期已竣工验收，其余按计划推进。"


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _items(report) -> dict[str, ReportItem]:
    return {i.indicator.code: i for i in report.items.select_related("indicator")}


def _fill(report, actor: User, figures: dict[str, dict], *, note: bool) -> dict[str, ReportItem]:
    items = _items(report)
    for code, values in figures.items():
        services.item_save(actor=actor, item=items[code], **values)
        services.evidence_add(actor=actor, item=items[code], file=_pdf(f"{code}-佐证材料.pdf"))
    if note and "ZX01" in items:
        services.item_save(actor=actor, item=items["ZX01"], note=NOTE_ZX01)
        services.evidence_add(actor=actor, item=items["ZX01"], file=_pdf("重点项目进展.pdf"))
    return _items(report)


def seed_reports(scheme: Scheme, *, hr: User, scorers: dict[str, User], figures: dict) -> None:
    """`figures`: {(institution code, indicator code): {field: value}} of the 下半年, from
    ops.demo.appraisal._figures_report."""
    contact, head = User.objects.get(username="contact"), User.objects.get(username="head")
    jg001 = Institution.objects.get(code="JG001")
    mine = {code: values for (inst, code), values in figures.items() if inst == "JG001"}
    report = services.report_open(actor=contact, scheme=scheme, institution=jg001, period="h2")
    items = _fill(report, contact, mine, note=True)
    services.report_submit(actor=contact, report=report)
    services.report_head_approve(actor=head, report=report)

    def first(code, decision="accept", reason=""):
        item = ReportItem.objects.select_related("indicator__department").get(pk=items[code].pk)
        reviewer = scorers[item.indicator.department.code]
        services.item_first_review(actor=reviewer, item=item, decision=decision, reason=reason)

    first("YW12", "return", "佐证为月度快报数，请上传经审计的财务报表")
    services.evidence_add(
        actor=contact, item=_items(report)["YW12"], file=_pdf("YW12-经审计财务报表.pdf")
    )
    services.report_submit(actor=contact, report=report)
    services.report_head_approve(actor=head, report=report)
    for code in ("YW11", "YW12", "YW14", "ZX01"):
        if code in items:
            first(code)
    for item in report.items.filter(status=ReportItem.Status.SECOND_REVIEW):
        services.item_second_review(actor=hr, item=item, decision="accept")

    contact2 = User.objects.get(username="contact2")
    jg002 = Institution.objects.get(code="JG002")
    theirs = {code: values for (inst, code), values in figures.items() if inst == "JG002"}
    report2 = services.report_open(actor=contact2, scheme=scheme, institution=jg002, period="h2")
    _fill(report2, contact2, theirs, note=False)
    services.report_submit(actor=contact2, report=report2)
