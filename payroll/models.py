"""Performance-linked pay (DESIGN.md §5, docs/PAYROLL.md): pay policies, tier and grade
coefficients, individual grades, monthly payroll runs and their lines, and the wages actually
paid, for reconciliation."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models import Employee, Institution

from . import distribution

MONEY = {"max_digits": 14, "decimal_places": 2}
COEFFICIENT = {"max_digits": 6, "decimal_places": 3}


class Tier(models.TextChoices):
    FIRST = distribution.Tier.FIRST, _("First prize")  # 一等奖
    SECOND = distribution.Tier.SECOND, _("Second prize")  # 二等奖
    THIRD = distribution.Tier.THIRD, _("Third prize")  # 三等奖
    QUALIFIED = distribution.Tier.QUALIFIED, _("Qualified")  # 合格
    VETOED = distribution.Tier.VETOED, _("Vetoed")  # 一票否决
    UNQUALIFIED = distribution.Tier.UNQUALIFIED, _("Unqualified")  # 不合格


class PersonalGrade(models.TextChoices):
    EXCELLENT = distribution.PersonalGrade.EXCELLENT, _("Excellent")  # 优秀
    QUALIFIED = distribution.PersonalGrade.QUALIFIED, _("Qualified")  # 合格
    BASIC = distribution.PersonalGrade.BASIC, _("Basically qualified")  # 基本合格
    UNQUALIFIED = distribution.PersonalGrade.UNQUALIFIED, _("Unqualified")  # 不合格


class TierCoefficient(models.Model):
    """奖励系数: the coefficient on the incentive pool of an institution in this tier."""

    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, unique=True)
    coefficient = models.DecimalField(_("coefficient"), **COEFFICIENT)

    class Meta:
        verbose_name = _("tier coefficient")
        verbose_name_plural = _("tier coefficients")
        constraints = [
            models.CheckConstraint(condition=Q(coefficient__gte=0), name="tier_coefficient_gte_0")
        ]

    def __str__(self):
        return f"{self.get_tier_display()} {self.coefficient}"


class GradeCoefficient(models.Model):
    """个人等次系数, and for 优秀 the largest share of an institution's formal staff."""

    grade = models.CharField(_("grade"), max_length=16, choices=PersonalGrade.choices, unique=True)
    coefficient = models.DecimalField(_("coefficient"), **COEFFICIENT)
    cap_share = models.DecimalField(
        _("largest share of formal staff"), max_digits=4, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("grade coefficient")
        verbose_name_plural = _("grade coefficients")
        constraints = [
            models.CheckConstraint(condition=Q(coefficient__gte=0), name="grade_coefficient_gte_0"),
            models.CheckConstraint(
                condition=Q(cap_share__isnull=True) | (Q(cap_share__gt=0) & Q(cap_share__lte=1)),
                name="grade_cap_share_range",
            ),
        ]

    def __str__(self):
        return f"{self.get_grade_display()} {self.coefficient}"


class PayPolicy(models.Model):
    """工资政策 of an institution for an appraisal year."""

    year = models.PositiveSmallIntegerField(_("appraisal year"))
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="pay_policies"
    )
    per_capita = models.DecimalField(_("per-capita level (yuan per year)"), **MONEY)  # 人均水平
    basic_ratio = models.DecimalField(
        _("basic ratio"), max_digits=4, decimal_places=3
    )  # 基础性比例
    settlement_month = models.DateField(_("settlement month"))  # 兑现月份, first day of the month
    # N: formal staff when the policy was set; fixed for the year so the twelve basic months add up.
    formal_staff = models.PositiveIntegerField(_("formal staff"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("pay policy")
        verbose_name_plural = _("pay policies")
        ordering = ["-year", "institution__code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "institution"], name="paypolicy_one_per_year"),
            models.CheckConstraint(
                condition=Q(basic_ratio__gte=Decimal("0.5")) & Q(basic_ratio__lte=Decimal("0.7")),
                name="paypolicy_basic_ratio_range",
            ),
            models.CheckConstraint(
                condition=Q(per_capita__gte=0), name="paypolicy_per_capita_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.institution}"

    def pools(self) -> distribution.AnnualPools:
        return distribution.annual_pools(
            per_capita=self.per_capita, formal_staff=self.formal_staff, basic_ratio=self.basic_ratio
        )


class IndividualGrade(models.Model):
    """个人等次 of an employee for an appraisal year (合格 when none is recorded)."""

    year = models.PositiveSmallIntegerField(_("appraisal year"))
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="grades")
    grade = models.CharField(_("grade"), max_length=16, choices=PersonalGrade.choices)

    class Meta:
        verbose_name = _("individual grade")
        verbose_name_plural = _("individual grades")
        constraints = [
            models.UniqueConstraint(fields=["year", "employee"], name="grade_one_per_year"),
        ]

    def __str__(self):
        return f"{self.year} {self.employee} {self.get_grade_display()}"


class PayrollRun(models.Model):
    """The payroll of one institution for one month: draft → confirmed → exported. A confirmed
    run never changes; a later difference is shown beside it, not applied."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        EXPORTED = "exported", _("Exported")

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="payroll_runs"
    )
    month = models.DateField(_("month"))  # first day of the month
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    basic_pool = models.DecimalField(_("basic performance pool"), **MONEY, default=Decimal("0"))
    incentive_pool = models.DecimalField(_("incentive pool"), **MONEY, default=Decimal("0"))
    prize_pool = models.DecimalField(_("prize money"), **MONEY, default=Decimal("0"))
    undistributed = models.DecimalField(_("undistributed"), **MONEY, default=Decimal("0"))
    total_gross = models.DecimalField(_("total gross pay"), **MONEY, default=Decimal("0"))
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, blank=True)
    settles_year = models.PositiveSmallIntegerField(_("settles year"), null=True, blank=True)
    # Settled from results that are not published yet: shown and exportable as a preview, but
    # not confirmed for payment until they are.
    provisional = models.BooleanField(_("provisional"), default=False)
    computed_at = models.DateTimeField(_("computed"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)

    class Meta:
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")
        ordering = ["-month", "institution__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "month"], name="payrollrun_one_per_month"
            ),
        ]

    def __str__(self):
        return f"{self.institution} {self.month:%Y-%m}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


PARTS_SUM = (
    models.F("post_wage")
    + models.F("grade_wage")
    + models.F("special_allowance")
    + models.F("basic")
    + models.F("incentive")
    + models.F("prize")
)


class PayrollLine(models.Model):
    """One employee's pay in a run: fixed parts, performance parts and the sum."""

    run = models.ForeignKey(PayrollRun, on_delete=models.CASCADE, related_name="lines")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="payroll_lines")
    staff_number = models.CharField(_("staff number"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    is_formal = models.BooleanField(_("formal staff"))
    post_coefficient = models.DecimalField(_("post coefficient"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=16, choices=PersonalGrade.choices, blank=True)
    post_wage = models.DecimalField(_("post wage"), **MONEY)  # 岗位工资
    grade_wage = models.DecimalField(_("grade wage"), **MONEY)  # 薪级工资
    special_allowance = models.DecimalField(_("special post allowance"), **MONEY)  # 特殊岗位津贴
    basic = models.DecimalField(_("basic performance pay"), **MONEY)  # 基础性绩效
    incentive = models.DecimalField(_("incentive performance pay"), **MONEY)  # 奖励性绩效
    prize = models.DecimalField(_("appraisal prize"), **MONEY)  # 考核奖金
    gross = models.DecimalField(_("gross pay"), **MONEY)  # 应发合计

    class Meta:
        verbose_name = _("payroll line")
        verbose_name_plural = _("payroll lines")
        ordering = ["run", "staff_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "employee"], name="payrollline_one_per_employee"
            ),
            # Equal to the cent; written as a half-cent band because SQLite compares decimals as
            # floating point (PostgreSQL's numeric sums are exact anyway).
            models.CheckConstraint(
                condition=Q(gross__gte=PARTS_SUM - Decimal("0.005"))
                & Q(gross__lte=PARTS_SUM + Decimal("0.005")),
                name="payrollline_gross_is_the_sum",
            ),
        ]

    def __str__(self):
        return f"{self.run} {self.staff_number} {self.gross}"


class PaidWage(models.Model):
    """What was actually paid to an employee in a month (imported), for reconciliation."""

    month = models.DateField(_("month"))
    staff_number = models.CharField(_("staff number"), max_length=32)
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="paid_wages"
    )
    gross = models.DecimalField(_("gross paid"), **MONEY)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("paid wage")
        verbose_name_plural = _("paid wages")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "staff_number"], name="paidwage_one_per_month"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.staff_number} {self.gross}"
