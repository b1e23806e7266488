"""Acceptance of pilot institutions (DESIGN.md §4, docs/ACCEPTANCE.md): a versioned standard,
teams, batches of 5 to 8 institutions, on-site inspections in rounds with their ticks, and the
weekly rollout reports."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models import Institution, Stage
from orgs.uploads import stored_name

BATCH_MIN, BATCH_MAX = 5, 8


class Standard(models.Model):
    """验收标准: a versioned checklist. The newest version is used for new batches; a batch keeps
    the version it was made with."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    # 上线月份: the rollout's go-live month, its first day (2026-10-01). Wages are checked from
    # it up to the month before an inspection, whatever year the inspection falls in.
    go_live_month = models.DateField(_("go-live month"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance standard")
        verbose_name_plural = _("acceptance standards")
        ordering = ["-version"]
        constraints = [
            # As bulletins.MonthlySnapshot's month: Django writes it for each database.
            models.CheckConstraint(
                condition=Q(go_live_month__day=1), name="standard_go_live_first_day"
            )
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class StandardItem(models.Model):
    class Method(models.TextChoices):
        TICK = "tick", _("Ticked on site")  # 现场勾选, with note and evidence
        PAYROLL = "payroll", _("Checked by the system from payroll")  # 工资按系统发放

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=32)
    text = models.CharField(_("item"), max_length=200)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    method = models.CharField(
        _("verified by"), max_length=16, choices=Method.choices, default=Method.TICK
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")
        ordering = ["standard", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="standarditem_code_unique")
        ]

    def __str__(self):
        return self.text


class Team(models.Model):
    """验收组: members from HR and the IT centre (users with the HR or acceptance role)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="acceptance_teams"
    )

    class Meta:
        verbose_name = _("acceptance team")
        verbose_name_plural = _("acceptance teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Batch(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100, unique=True)
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="batches")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="batches")
    date = models.DateField(_("date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance batch")
        verbose_name_plural = _("acceptance batches")
        ordering = ["-date", "name"]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class Inspection(models.Model):
    """One institution in one batch, in its round (1, 2, 3 …)."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="inspections")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="inspections"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    result = models.CharField(
        _("result"), max_length=16, choices=Result.choices, default=Result.PENDING
    )
    # True while the batch is open: the database keeps an institution in one open batch at most.
    open = models.BooleanField(default=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["batch", "institution__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "institution"], name="inspection_once_per_batch"
            ),
            models.UniqueConstraint(
                fields=["institution"], condition=Q(open=True), name="inspection_one_open_batch"
            ),
            models.UniqueConstraint(
                fields=["institution", "round"], name="inspection_round_unique"
            ),
        ]

    def __str__(self):
        return f"{self.batch} {self.institution} #{self.round}"


def evidence_path(tick, filename):
    # A generated name (orgs.uploads.stored_name): the uploader's name is never a path.
    return stored_name(f"acceptance/{tick.inspection_id}", filename)


class Tick(models.Model):
    """A team member's check of one item of one inspection, with note and evidence."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="ticks")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="ticks")
    met = models.BooleanField(_("met"))
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), auto_now=True)

    class Meta:
        verbose_name = _("tick")
        verbose_name_plural = _("ticks")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="tick_once_per_item")
        ]

    def __str__(self):
        return f"{self.inspection} {self.item.code} {'✓' if self.met else '✗'}"


def week_start(day: datetime.date) -> datetime.date:
    """Monday of the week the day falls in (reports are weekly)."""
    return day - datetime.timedelta(days=day.weekday())


class WeeklyReport(models.Model):
    """周报 of an institution's rollout, submitted by the institution."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="weekly_reports"
    )
    week = models.DateField(_("week"))  # its Monday
    stage = models.CharField(_("rollout stage"), max_length=16, choices=Stage.choices)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now=True)

    class Meta:
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")
        ordering = ["-week", "institution__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "week"], name="weeklyreport_one_per_week"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="weeklyreport_progress_le_100"
            ),
        ]

    def __str__(self):
        return f"{self.institution} {self.week}"
