"""Bulletins (周报、月度通报) and what feeds them: monthly snapshots of the results, the
early-warning settings of a year, and the explanation requests (情况说明) a monthly bulletin
sends to the bottom units of each group. docs/BULLETINS.md has the rules."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisal.models import POINTS, Grade, Scheme
from orgs.models import AssessmentGroup, Institution
from orgs.uploads import stored_name

from . import warnings


class WarningPolicy(models.Model):
    """研判预警 settings of a year. A year without a row uses the defaults (policy_for)."""

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="warning_policy")
    veto_margin = models.DecimalField(
        _("warn when veto deductions are this close to the veto line"),
        **POINTS,
        default=Decimal("10"),
    )
    prize_margin = models.DecimalField(
        _("warn when a prize winner leads the unit below by at most"),
        **POINTS,
        default=Decimal("5"),
    )
    explanation_bottom_n = models.PositiveSmallIntegerField(
        _("explanations asked from the bottom units of each group"), default=2
    )
    explanation_days = models.PositiveSmallIntegerField(
        _("days given for an explanation"), default=7
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("early-warning policy")
        verbose_name_plural = _("early-warning policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(veto_margin__gte=0) & Q(prize_margin__gte=0),
                name="warningpolicy_margins_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.scheme} warnings"

    def thresholds(self) -> warnings.Thresholds:
        return warnings.Thresholds(
            qualify_line=self.scheme.qualify_line,
            veto_line=self.scheme.veto_line,
            veto_margin=self.veto_margin,
            prize_margin=self.prize_margin,
        )


def policy_for(scheme: Scheme) -> WarningPolicy:
    """The year's policy, or the defaults (unsaved) when HR has not set one."""
    policy = WarningPolicy.objects.filter(scheme=scheme).first()
    if policy is None:
        policy = WarningPolicy(scheme=scheme)
    policy.scheme = scheme
    return policy


class Snapshot(models.Model):
    """An institution's result as it stood in a month: the trend of the year is drawn from these.
    Celery beat takes them daily; each month keeps the latest (a month that has ended is frozen)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="snapshots")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        AssessmentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    month = models.DateField(_("month"))  # its first day
    common = models.DecimalField(_("common goals"), **POINTS)
    business = models.DecimalField(_("business goals"), **POINTS)
    execution = models.DecimalField(_("execution capacity"), **POINTS)
    bonus = models.DecimalField(_("bonus"), **POINTS)
    veto = models.DecimalField(_("veto deductions"), **POINTS)
    total = models.DecimalField(_("total"), **POINTS)
    vetoed = models.BooleanField(_("vetoed"))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices)
    taken_at = models.DateTimeField(_("taken"))

    class Meta:
        verbose_name = _("monthly snapshot")
        verbose_name_plural = _("monthly snapshots")
        ordering = ["scheme", "month", "institution__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "institution", "month"], name="snapshot_one_per_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="snapshot_month_first_day"),
        ]

    def __str__(self):
        return f"{self.institution} {self.month:%Y-%m} {self.total}"


class Bulletin(models.Model):
    """A weekly or monthly bulletin: frozen when generated (its lines never change), reviewed and
    published by HR; institutions see published ones."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly bulletin")  # 周报
        MONTHLY = "monthly", _("Monthly bulletin")  # 月度通报

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="bulletins")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period_start = models.DateField(_("from"))  # a Monday, or the first of a month
    period_end = models.DateField(_("to"))
    number = models.PositiveIntegerField(_("number"))  # 第 n 期 of its kind in the year
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    results_computed_at = models.DateTimeField(_("results as of"), null=True, blank=True)
    warnings = models.JSONField(_("warnings"), default=list)  # frozen list of warning dicts
    generated_at = models.DateTimeField(_("generated"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "kind", "period_start"], name="bulletin_one_per_period"
            ),
            models.UniqueConstraint(
                fields=["scheme", "kind", "number"], name="bulletin_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="bulletin_period_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(published_at__isnull=True))
                | (Q(status="published") & Q(published_at__isnull=False)),
                name="bulletin_published_iff_time",
            ),
        ]

    def __str__(self):
        return f"{self.scheme.year} {self.get_kind_display()} #{self.number}"

    def title(self) -> str:
        """2026年月度通报第3期 / "2026 Monthly bulletin no. 3": how pages and messages name it."""
        return gettext("%(year)s %(kind)s no. %(number)s") % {
            "year": self.scheme.year,
            "kind": self.get_kind_display(),
            "number": self.number,
        }


class BulletinLine(models.Model):
    """One institution's line in a bulletin, frozen: names and figures as they were."""

    class Movement(models.TextChoices):
        UP = "up", "↑"
        DOWN = "down", "↓"
        SAME = "same", "→"
        NEW = "new", _("new")

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="lines")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    institution_code = models.CharField(_("code"), max_length=32)
    institution_name = models.CharField(_("institution"), max_length=200)
    group = models.ForeignKey(
        AssessmentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group_name = models.CharField(_("assessment group"), max_length=100, blank=True)
    group_order = models.IntegerField(default=0)
    common = models.DecimalField(_("common goals"), **POINTS)
    business = models.DecimalField(_("business goals"), **POINTS)
    execution = models.DecimalField(_("execution capacity"), **POINTS)
    bonus = models.DecimalField(_("bonus"), **POINTS)
    veto = models.DecimalField(_("veto deductions"), **POINTS)
    total = models.DecimalField(_("total"), **POINTS)
    vetoed = models.BooleanField(_("vetoed"))
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True, blank=True)
    previous_total = models.DecimalField(**POINTS, null=True, blank=True)
    movement = models.CharField(_("movement"), max_length=8, choices=Movement.choices)
    prize_level = models.PositiveSmallIntegerField(_("prize"), null=True, blank=True)
    lagging = models.BooleanField(_("lagging"), default=False)  # bottom N of its group
    warnings = models.JSONField(_("warnings"), default=list)  # warning codes of this line

    class Meta:
        verbose_name = _("bulletin line")
        verbose_name_plural = _("bulletin lines")
        ordering = ["bulletin", "group_order", "group_name", "rank", "institution_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "institution"], name="bulletinline_one_per_institution"
            ),
        ]

    def __str__(self):
        return f"{self.bulletin} {self.institution_code} {self.total}"


def explanation_path(request, filename):
    # A generated name (orgs.uploads.stored_name): the uploader's name is never a path.
    return stored_name(f"explanations/{request.bulletin_id}/{request.institution_id}", filename)


class ExplanationRequest(models.Model):
    """情况说明: asked of a unit at the bottom of its group when a monthly bulletin is published."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed")

    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="explanations")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="explanation_requests"
    )
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    due_on = models.DateField(_("due"))
    text = models.TextField(_("explanation"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to=explanation_path, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)

    class Meta:
        verbose_name = _("explanation request")
        verbose_name_plural = _("explanation requests")
        ordering = ["-requested_at", "institution__code"]
        indexes = [models.Index(fields=["scheme", "status", "due_on"], name="explanation_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "institution"], name="explanation_one_per_bulletin"
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(submitted_at__isnull=False),
                name="explanation_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="reviewed") | Q(reviewed_at__isnull=False),
                name="explanation_reviewed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.bulletin} {self.institution}"
