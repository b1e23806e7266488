"""The yearly appraisal (DESIGN.md §2): scheme, indicators, targets, the append-only points
ledger, and the results a recompute derives from it."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models import CODE_VALIDATOR, AssessmentGroup, Institution, ScoringDepartment
from orgs.uploads import stored_name

from . import engine

POINTS = {"max_digits": 8, "decimal_places": 2}
MONEY = {"max_digits": 12, "decimal_places": 2}


class Part(models.TextChoices):
    COMMON = engine.Part.COMMON, _("Common goals")  # 公共目标
    BUSINESS = engine.Part.BUSINESS, _("Business goals")  # 业务目标
    EXECUTION = engine.Part.EXECUTION, _("Execution capacity")  # 执行力建设


class Period(models.TextChoices):
    H1 = engine.Period.H1, _("First half")  # 上半年
    H2 = engine.Period.H2, _("Second half")  # 下半年
    YEAR = engine.Period.YEAR, _("Whole year")  # 全年


class Method(models.TextChoices):
    DEDUCT = engine.Method.DEDUCT, _("Deduct from max")  # 扣分
    ADD = engine.Method.ADD, _("Add up to max")  # 计分
    RATIO = engine.Method.RATIO, _("Completion ratio")  # 完成率


class HalfYear(models.TextChoices):
    """The periods a completion-ratio target is set and scored for."""

    H1 = engine.Period.H1, _("First half")  # 上半年: by 30 June
    H2 = engine.Period.H2, _("Second half")  # 下半年: the whole year, cumulative


class Direction(models.TextChoices):
    HIGHER = engine.Direction.HIGHER, _("Higher is better")
    LOWER = engine.Direction.LOWER, _("Lower is better")
    DEADLINE = engine.Direction.DEADLINE, _("Deadline met")


class Aggregation(models.TextChoices):
    """How the parts of an indicator's several scorers make its score (docs/SCORING.md,
    "Several scorers")."""

    SUM = engine.Aggregation.SUM, _("Sum of all scorers' points")  # 扣分/计分累加
    AVERAGE = engine.Aggregation.AVERAGE, _("Average of the scorers' scores")  # 算术平均
    WEIGHTED = engine.Aggregation.WEIGHTED, _("Weighted average of the scorers' scores")  # 加权


class Grade(models.TextChoices):
    QUALIFIED = engine.Grade.QUALIFIED, _("Qualified")  # 合格
    UNQUALIFIED = engine.Grade.UNQUALIFIED, _("Unqualified")  # 不合格


class Scheme(models.Model):
    """考核方案: the appraisal of one year, with its settings and lifecycle."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # being configured
        OPEN = "open", _("Open for scoring")
        REVIEW = "review", _("Review")  # 结果反馈: results shown, appeals
        PUBLISHED = "published", _("Published")  # locked

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    common_max = models.DecimalField(_("common goals max"), **POINTS, default=Decimal("300"))
    business_max = models.DecimalField(_("business goals max"), **POINTS, default=Decimal("300"))
    execution_max = models.DecimalField(
        _("execution capacity max"), **POINTS, default=Decimal("400")
    )
    qualify_line = models.DecimalField(_("qualify line"), **POINTS, default=Decimal("800"))
    veto_line = models.DecimalField(_("veto line"), **POINTS, default=Decimal("30"))
    bonus_cap = models.DecimalField(_("bonus cap"), **POINTS, default=Decimal("20"))
    self_gap_threshold = models.DecimalField(
        _("self-assessment gap flagged from"), **POINTS, default=Decimal("50")
    )
    # 评分需复核, per part: a scorer's (or leader's) indicator points count only once HR has
    # reviewed them (EntryDecision); until then they are pending (docs/REPORTING.md).
    review_common = models.BooleanField(_("common goals: scoring needs review"), default=False)
    review_business = models.BooleanField(_("business goals: scoring needs review"), default=False)
    review_execution = models.BooleanField(
        _("execution capacity: scoring needs review"), default=False
    )
    # 数据填报: whether a contact person's report goes to the head before it goes up; off, it
    # goes straight to the HQ departments (reporting.services).
    reports_need_head_approval = models.BooleanField(
        _("reports need the head's approval"), default=True
    )
    # Deadlines per half-year: by the reporting deadline the institutions submit their reports,
    # by the review deadline the departments (初审) and HR (复核) have checked them.
    h1_report_deadline = models.DateField(
        _("first half: reporting deadline"), null=True, blank=True
    )
    h1_review_deadline = models.DateField(_("first half: review deadline"), null=True, blank=True)
    h2_report_deadline = models.DateField(
        _("second half: reporting deadline"), null=True, blank=True
    )
    h2_review_deadline = models.DateField(_("second half: review deadline"), null=True, blank=True)
    # Counts the changes to what the results are computed from outside the ledger (targets and
    # their figures): the results are stale while their result set saw an older count.
    inputs_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal scheme")
        verbose_name_plural = _("appraisal schemes")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(common_max__gte=0)
                & Q(business_max__gte=0)
                & Q(execution_max__gte=0)
                & Q(qualify_line__gte=0)
                & Q(veto_line__gt=0)
                & Q(bonus_cap__gte=0),
                name="scheme_settings_non_negative",
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def accepts_entries(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.REVIEW)

    def review_required(self, part: str) -> bool:
        """评分需复核 for this part."""
        return {
            engine.Part.COMMON: self.review_common,
            engine.Part.BUSINESS: self.review_business,
            engine.Part.EXECUTION: self.review_execution,
        }[engine.Part(part)]

    def deadlines(self, period: str) -> tuple:
        """(reporting deadline, review deadline) of a half-year; either may be None."""
        if period == engine.Period.H1:
            return self.h1_report_deadline, self.h1_review_deadline
        return self.h2_report_deadline, self.h2_review_deadline

    def part_max(self) -> dict[engine.Part, Decimal]:
        return {
            engine.Part.COMMON: self.common_max,
            engine.Part.BUSINESS: self.business_max,
            engine.Part.EXECUTION: self.execution_max,
        }

    def rules(self) -> engine.Rules:
        return engine.Rules(
            part_max=self.part_max(),
            qualify_line=self.qualify_line,
            veto_line=self.veto_line,
            bonus_cap=self.bonus_cap,
            self_gap_threshold=self.self_gap_threshold,
        )


class Indicator(models.Model):
    """考核指标 of a year, owned and scored by one HQ department."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    part = models.CharField(_("part"), max_length=16, choices=Part.choices)
    name = models.CharField(_("name"), max_length=200)
    max_points = models.DecimalField(
        _("max points"), **POINTS, validators=[MinValueValidator(Decimal("0.01"))]
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, blank=True
    )
    department = models.ForeignKey(
        ScoringDepartment,
        verbose_name=_("scoring department"),
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    # Business goals are differentiated: an indicator applies to all institutions or to a list.
    applies_to_all = models.BooleanField(_("applies to all institutions"), default=True)
    institutions = models.ManyToManyField(
        Institution, verbose_name=_("institutions"), blank=True, related_name="indicators"
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    # Several scorers (IndicatorScorer): how their parts make the score. With no scorer listed,
    # the indicator's department is its one scorer.
    aggregation = models.CharField(
        _("several scorers' rule"),
        max_length=16,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme", "part", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code"], name="indicator_code_unique_in_year"
            ),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="indicator_max_gt_0"),
            models.CheckConstraint(
                condition=(Q(method="ratio") & ~Q(direction=""))
                | (~Q(method="ratio") & Q(direction="")),
                name="indicator_direction_iff_ratio",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def rule(self, scorers=None) -> engine.IndicatorRule:
        """The engine's rule; `scorers` the indicator's IndicatorScorer rows, where several
        score it (their weights for a weighted average)."""
        return engine.IndicatorRule(
            code=self.code,
            part=engine.Part(self.part),
            method=engine.Method(self.method),
            max_points=self.max_points,
            direction=engine.Direction(self.direction) if self.direction else None,
            aggregation=engine.Aggregation(self.aggregation),
            scorers=tuple(s.as_engine() for s in scorers or ()),
        )


class IndicatorScorer(models.Model):
    """One of an indicator's several scorers: an HQ department or a named leader (领导), with
    a weight where the indicator's rule is a weighted average (the weights add up to 1). With
    rows here, they are the indicator's scorers (its own department among them when the rule is
    an average); without, its department alone scores it (docs/SCORING.md, "Several scorers")."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scorers")
    department = models.ForeignKey(
        ScoringDepartment,
        verbose_name=_("scoring department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scored_indicators",
    )
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("indicator scorer")
        verbose_name_plural = _("indicator scorers")
        ordering = ["indicator", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(department__isnull=False) & Q(leader__isnull=True))
                | (Q(department__isnull=True) & Q(leader__isnull=False)),
                name="indicatorscorer_department_xor_leader",
            ),
            models.UniqueConstraint(
                fields=["indicator", "department"],
                condition=Q(department__isnull=False),
                name="indicatorscorer_department_once",
            ),
            models.UniqueConstraint(
                fields=["indicator", "leader"],
                condition=Q(leader__isnull=False),
                name="indicatorscorer_leader_once",
            ),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | (Q(weight__gt=0) & Q(weight__lte=1)),
                name="indicatorscorer_weight_in_0_1",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} · {self.department or self.leader}"

    @property
    def key(self) -> str:
        return engine.scorer_key(department_id=self.department_id, leader_id=self.leader_id)

    def as_engine(self) -> engine.Scorer:
        return engine.Scorer(key=self.key, weight=self.weight)


class Target(models.Model):
    """An institution's target on a completion-ratio indicator for one half-year, and what it
    achieved: 上半年 by 30 June, 下半年 the whole year, cumulative (DESIGN.md §2). H1 is scored on
    H1's figures, H2 on the whole year's; the letter states the whole year's (H2) target."""

    class Kind(models.TextChoices):
        ABSOLUTE = "absolute", _("Absolute amount")  # 绝对量
        RANK = "rank", _("Rank")  # 位次
        DEADLINE = "deadline", _("Deadline")  # 时限
        ERROR_RATE = "error_rate", _("Error rate")  # 差错率

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="targets")
    period = models.CharField(_("period"), max_length=8, choices=HalfYear.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    actual_value = models.DecimalField(
        _("actual value"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "institution", "period"], name="target_unique_per_half"
            ),
            models.CheckConstraint(condition=Q(period__in=["h1", "h2"]), name="target_half_year"),
        ]

    def __str__(self):
        return f"{self.institution} · {self.indicator} · {self.get_period_display()}"

    def as_engine(self) -> engine.Target:
        return engine.Target(
            target_value=self.target_value,
            actual_value=self.actual_value,
            deadline=self.deadline,
            completed_on=self.completed_on,
        )


def evidence_path(entry, filename):
    # A generated name (orgs.uploads.stored_name): the uploader's name is never a path.
    return stored_name(f"evidence/{entry.scheme_id}/{entry.institution_id}", filename)


class LedgerEntry(models.Model):
    """One line of the points ledger. Append-only: nothing is edited or deleted (the database
    refuses it); a correction is a new entry that reverses an old one."""

    class Kind(models.TextChoices):
        INDICATOR = "indicator", _("Indicator")  # 指标
        BONUS = "bonus", _("Bonus")  # 加分
        VETO = "veto", _("Veto deduction")  # 一票否决类扣分

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="entries")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    points = models.DecimalField(_("points"), **POINTS)  # signed; bonus and veto positive
    reason = models.TextField(_("reason"))
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    is_official = models.BooleanField(_("official"), default=True)  # False: self-assessment 自评
    # Bonus and veto proposals count only once HR approves them (EntryDecision).
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    department = models.ForeignKey(
        ScoringDepartment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The leader (领导) whose part of a several-scorer indicator this entry is; then no department.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    source = models.CharField(_("source"), max_length=16, default="web")  # web, api, import
    # The client's key for "this one entry" (the form's hidden token, the API's Idempotency-Key
    # header): the same key from the same user records one entry however often it is posted
    # (docs/SCORING.md, "Idempotency"). Null for entries without one (imports, reversals).
    # Null, not "": the unique constraint below covers only the entries that have a key.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["scheme", "institution", "kind"], name="entry_year_inst_kind"),
            models.Index(fields=["scheme", "indicator", "period"], name="entry_year_ind_period"),
            # Self-assessments (自评) are a sliver of the ledger: the recompute reads them without
            # scanning the official entries (a million rows in a large group).
            models.Index(
                fields=["scheme", "institution"],
                condition=Q(is_official=False),
                name="entry_self_assessment",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="indicator") & Q(indicator__isnull=False))
                | (~Q(kind="indicator") & Q(indicator__isnull=True)),
                name="entry_indicator_iff_kind_indicator",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["bonus", "veto"]) | Q(period="year"),
                name="entry_bonus_veto_whole_year",
            ),
            models.CheckConstraint(condition=~Q(points=0), name="entry_points_not_zero"),
            models.CheckConstraint(
                condition=Q(leader__isnull=True) | Q(department__isnull=True),
                name="entry_leader_or_department",
            ),
            # Two requests with the same key at once: the second INSERT fails here, and
            # services.ledger_entry_create answers with the first one's entry.
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="entry_idempotency_key_per_user",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.institution} {self.points:+}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Ledger entries are append-only: record a reversing entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Ledger entries are append-only: record a reversing entry instead.")

    @property
    def scorer_key(self) -> str:
        """Whose part of the indicator's score the entry is (engine.scorer_key)."""
        return engine.scorer_key(department_id=self.department_id, leader_id=self.leader_id)


class EntryDecision(models.Model):
    """HR's decision on a bonus or veto proposal, or HR's review (复核) of a scorer's indicator
    points where the part's scoring needs review (Scheme.review_*). One per entry, never changed."""

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="decision")
    approved = models.BooleanField(_("approved"))
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return f"#{self.entry_id} {'approved' if self.approved else 'rejected'}"


class ResultSet(models.Model):
    """The state of a year's results: when they were computed and from which ledger state."""

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="result_set")
    computed_at = models.DateTimeField(_("computed"))
    ledger_last_id = models.BigIntegerField(_("last ledger entry seen"), default=0)
    ledger_entries = models.PositiveIntegerField(_("ledger entries seen"), default=0)
    decisions_last_id = models.BigIntegerField(default=0)
    inputs_version = models.PositiveIntegerField(default=0)  # Scheme.inputs_version seen
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("result set")

    def __str__(self):
        return f"{self.scheme} @ {self.computed_at:%Y-%m-%d %H:%M}"


class Result(models.Model):
    """One institution's result in one year. Replaced wholesale by each recompute."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="results")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="results")
    group = models.ForeignKey(
        AssessmentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    common = models.DecimalField(_("common goals"), **POINTS)
    business = models.DecimalField(_("business goals"), **POINTS)
    execution = models.DecimalField(_("execution capacity"), **POINTS)
    common_h1 = models.DecimalField(**POINTS, default=Decimal("0"))
    common_h2 = models.DecimalField(**POINTS, default=Decimal("0"))
    business_h1 = models.DecimalField(**POINTS, default=Decimal("0"))
    business_h2 = models.DecimalField(**POINTS, default=Decimal("0"))
    bonus = models.DecimalField(_("bonus"), **POINTS)
    bonus_uncapped = models.DecimalField(**POINTS, default=Decimal("0"))
    veto = models.DecimalField(_("veto deductions"), **POINTS)
    vetoed = models.BooleanField(_("vetoed"))
    total = models.DecimalField(_("total"), **POINTS)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    prize_level = models.PositiveSmallIntegerField(_("prize"), null=True, blank=True)
    prize_amount = models.DecimalField(_("prize money"), **MONEY, default=Decimal("0"))
    yellow_card = models.BooleanField(_("yellow card"), default=False)
    admonition = models.BooleanField(_("admonition talk"), default=False)
    recommended = models.BooleanField(_("recommended"), default=False)
    gap_to_qualify = models.DecimalField(**POINTS, null=True, blank=True)
    gap_to_next_prize = models.DecimalField(**POINTS, null=True, blank=True)
    gap_to_above = models.DecimalField(**POINTS, null=True, blank=True)
    margin_below = models.DecimalField(**POINTS, null=True, blank=True)
    self_total = models.DecimalField(**POINTS, null=True, blank=True)
    self_gap_flag = models.BooleanField(default=False)
    # The half-year standing (mid-year ranking, docs/SCORING.md): 公共目标 and 业务目标 their H1
    # scores, 执行力建设, 加分 and 否决扣分 as scored so far; ranked in the group, vetoed last.
    h1_total = models.DecimalField(_("first-half total"), **POINTS, default=Decimal("0"))
    h1_rank = models.PositiveIntegerField(_("first-half rank"), null=True, blank=True)
    h1_grade = models.CharField(
        _("first-half grade"), max_length=16, choices=Grade.choices, blank=True
    )

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["group__sort_order", "rank", "institution__code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "institution"], name="result_one_per_year"),
        ]

    def __str__(self):
        return f"{self.scheme} {self.institution} {self.total}"


def appeal_evidence_path(appeal, filename):
    return stored_name(f"appeals/{appeal.scheme_id}/{appeal.institution_id}", filename)


class Appeal(models.Model):
    """申诉: an institution head contests one ledger entry during the review window (结果反馈).
    The entry's scoring department or HR answers it once and finally: accepting it reverses the
    entry (a new ledger entry, linked as `reversal`), rejecting it keeps the entry. One appeal per
    entry, ever: a rejected appeal is not submitted again (docs/SCORING.md, "Appeals")."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="appeals")
    # The entry's institution, kept on the appeal so that scoping needs no join through the entry.
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="appeals")
    entry = models.ForeignKey(
        LedgerEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="appeals"
    )
    reasons = models.TextField(_("reasons"))
    evidence = models.FileField(_("evidence"), upload_to=appeal_evidence_path, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True, db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reversal = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("reversing entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeal",
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["scheme", "institution"], name="appeal_year_institution"),
        ]
        constraints = [
            # Answered once and finally: a second appeal on the same entry is refused.
            models.UniqueConstraint(fields=["entry"], name="appeal_one_per_entry"),
            models.CheckConstraint(condition=~Q(reasons=""), name="appeal_reasons_not_empty"),
            models.CheckConstraint(
                condition=(
                    Q(status="pending")
                    & Q(answered_at__isnull=True)
                    & Q(answered_by__isnull=True)
                    & Q(answer="")
                )
                | (
                    Q(status__in=["accepted", "rejected"])
                    & Q(answered_at__isnull=False)
                    & Q(answered_by__isnull=False)
                    & ~Q(answer="")
                ),
                name="appeal_answered_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=(Q(status="accepted") & Q(reversal__isnull=False))
                | (~Q(status="accepted") & Q(reversal__isnull=True)),
                name="appeal_reversal_iff_accepted",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} on entry #{self.entry_id} ({self.status})"
