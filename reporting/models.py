"""数据填报 (issue 17): an institution's half-year report of its figures and work, and the review
chain each reported item goes through before its figure counts (docs/REPORTING.md).

填报 (contact persons, head) → 负责人审核 (head, when the scheme asks for it) → 初审 (the
indicator's department) → 复核 (HR) → the figure is written to the Target
(appraisal.services.target_save).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appraisal.models import HalfYear, Indicator, Scheme, Target
from orgs.models import Institution
from orgs.uploads import display_name, stored_name


class Report(models.Model):
    """One institution's report for one half-year of one appraisal year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")  # 填报中
        AWAITING_HEAD = "awaiting_head", _("Awaiting the head's approval")  # 待负责人审核
        IN_REVIEW = "in_review", _("In review at HQ")  # 审核中
        RETURNED = "returned", _("Returned")  # 已退回
        CHECKED = "checked", _("Checked")  # 已审定 (locked)

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="reports")
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.CharField(_("period"), max_length=8, choices=HalfYear.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("data report")
        verbose_name_plural = _("data reports")
        ordering = ["-scheme__year", "period", "institution__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "institution", "period"], name="report_one_per_half"
            ),
            models.CheckConstraint(condition=Q(period__in=["h1", "h2"]), name="report_half_year"),
        ]

    def __str__(self):
        return f"{self.scheme.year} {self.get_period_display()} · {self.institution}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class ReportItem(models.Model):
    """One indicator of a report: the figure (completion-ratio indicators with a Target for the
    half-year) and/or a note on the work done, with evidence."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Not submitted")  # 未提交
        AWAITING_HEAD = "awaiting_head", _("Awaiting the head's approval")  # 待负责人审核
        FIRST_REVIEW = "first_review", _("Awaiting first review")  # 待初审
        SECOND_REVIEW = "second_review", _("Awaiting second review")  # 待复核
        RETURNED = "returned", _("Returned")  # 已退回
        CHECKED = "checked", _("Checked")  # 已审定

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    # Set for a figure item: a completion-ratio indicator with a target for the half-year.
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actual_value = models.DecimalField(
        _("actual value"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    note = models.TextField(_("work done"), blank=True)  # 工作说明
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    return_reason = models.TextField(_("reason for return"), blank=True)
    corrected = models.BooleanField(_("corrected at first review"), default=False)
    sent_up_at = models.DateTimeField(_("sent to HQ"), null=True, blank=True)
    first_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    second_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("reported item")
        verbose_name_plural = _("reported items")
        ordering = ["indicator__part", "indicator__sort_order", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="report_item_unique"),
        ]

    def __str__(self):
        return f"{self.report} · {self.indicator.code}"

    @property
    def has_figure(self) -> bool:
        return self.target_id is not None

    @property
    def is_deadline(self) -> bool:
        return self.indicator.direction == "deadline"

    @property
    def figure(self):
        """What the item reports: the completion date (按期) or the actual value; None if blank."""
        return self.completed_on if self.is_deadline else self.actual_value

    @property
    def is_editable(self) -> bool:
        return self.report.is_editable and self.status in (self.Status.DRAFT, self.Status.RETURNED)

    def has_content(self, evidence_count: int = 0) -> bool:
        return self.figure is not None or bool(self.note.strip()) or evidence_count > 0


def evidence_path(evidence, filename):
    # A generated name (orgs.uploads.stored_name): the uploader's name is never a path.
    report = evidence.item.report
    return stored_name(f"reporting/{report.scheme_id}/{report.institution_id}", filename)


class ReportEvidence(models.Model):
    """佐证材料 of a reported item; kept while the item is editable, then fixed."""

    item = models.ForeignKey(ReportItem, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("evidence"), upload_to=evidence_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The uploaded file's sanitized name, without the stored name's token."""
        return display_name(self.file.name)


class ReportEvent(models.Model):
    """The timeline of a report and its items: every step, who, when, why, before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("Report opened")
        SAVE = "save", _("Item saved")
        EVIDENCE = "evidence", _("Evidence added")
        IMPORT = "import", _("Imported from Excel")
        SUBMIT = "submit", _("Report submitted")
        HEAD_APPROVE = "head_approve", _("Approved by the head")
        HEAD_RETURN = "head_return", _("Returned by the head")
        FIRST_ACCEPT = "first_accept", _("Accepted at first review")
        FIRST_CORRECT = "first_correct", _("Corrected at first review")
        FIRST_RETURN = "first_return", _("Returned at first review")
        SECOND_ACCEPT = "second_accept", _("Accepted at second review")
        SECOND_RETURN = "second_return", _("Returned at second review")
        CHECKED = "checked", _("Report checked")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(
        ReportItem, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    note = models.TextField(_("note"), blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.report} · {self.action}"
