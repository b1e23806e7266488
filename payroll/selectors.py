"""Reads of payroll, always starting from what the user may see (payroll.access). Each is a fixed
number of queries, whatever the number of runs or employees."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from orgs.access import institutions_visible_to
from orgs.models import Employee, Institution

from . import access, services
from .models import (
    IndividualGrade,
    PaidWage,
    PayPolicy,
    PayrollLine,
    PayrollRun,
    PersonalGrade,
    Tier,
)
from .transfer.exporting import lines_count, runs_for_export

ZERO = Decimal("0")
LINE_AMOUNTS = (
    "post_wage",
    "grade_wage",
    "special_allowance",
    "basic",
    "incentive",
    "prize",
    "gross",
)


def run_list(*, user) -> QuerySet[PayrollRun]:
    """The user's runs with what a list row shows, newest month first."""
    return (
        access.runs_visible_to(user)
        .select_related("institution")
        .order_by("-month", "institution__code")
    )


def run_totals(run: PayrollRun) -> dict:
    """The column totals of a run and its number of lines, in one query. Totals only: this is
    what a head may see of their institution's run."""
    sums = run.lines.aggregate(count=Count("id"), **{name: Sum(name) for name in LINE_AMOUNTS})
    return {name: (value if value is not None else ZERO) for name, value in sums.items()}


def run_lines(*, user, run: PayrollRun) -> QuerySet[PayrollLine]:
    """The run's lines if the user may see individual lines (never a head's), else none."""
    return access.lines_visible_to(user).filter(run=run).order_by("staff_number")


def line_list(*, user) -> QuerySet[PayrollLine]:
    return (
        access.lines_visible_to(user)
        .select_related("run__institution")
        .order_by("-run__month", "run__institution__code", "staff_number")
    )


def policy_list(*, user) -> QuerySet[PayPolicy]:
    return (
        access.policies_visible_to(user)
        .select_related("institution")
        .order_by("-year", "institution__code")
    )


def institutions_for_payroll(*, user) -> QuerySet[Institution]:
    """The institutions whose payroll the user may compute (HR all, an officer theirs)."""
    if not access.can_run_payroll_at_all(user):
        return Institution.objects.none()
    return institutions_visible_to(user).order_by("code")


@dataclass(frozen=True)
class MonthExport:
    """A month's runs as its export for payment takes them (every institution whose payroll the
    user runs), for the run list's export button and its dialog: which are drafts (the export
    is refused), which are confirmed and would be marked exported, which are exported already."""

    month: datetime.date
    runs: list[PayrollRun]
    lines: int

    @property
    def drafts(self) -> list[PayrollRun]:
        return [r for r in self.runs if r.status == PayrollRun.Status.DRAFT]

    @property
    def draft_codes(self) -> str:
        return "、".join(r.institution.code for r in self.drafts)

    @property
    def to_mark(self) -> list[PayrollRun]:
        return [r for r in self.runs if r.status == PayrollRun.Status.CONFIRMED]

    @property
    def gross(self) -> Decimal:
        return sum((r.total_gross for r in self.runs), ZERO)


def month_export(*, user, month: datetime.date) -> MonthExport | None:
    """The month's runs in the user's export scope, with their number of lines (two queries);
    None when there is none."""
    try:
        runs = runs_for_export(user=user, month=month, include_drafts=True)
    except ValidationError:  # nothing to export this month
        return None
    return MonthExport(month=services.month_start(month), runs=runs, lines=lines_count(runs))


@dataclass(frozen=True)
class CoefficientTable:
    tiers: list[tuple[str, str, Decimal]]  # (tier, label, coefficient)
    grades: list[tuple[str, str, Decimal]]  # (grade, label, coefficient)
    excellent_share: Decimal


def coefficient_table() -> CoefficientTable:
    """The coefficients in force (the configured ones over the defaults), in display order."""
    tiers = services.tier_coefficients()
    grades, share = services.grade_coefficients()
    return CoefficientTable(
        tiers=[(value, label, tiers[value]) for value, label in Tier.choices],
        grades=[(value, label, grades[value]) for value, label in PersonalGrade.choices],
        excellent_share=share,
    )


def grade_sheet(*, year: int, institution: Institution) -> list[tuple[Employee, str | None]]:
    """The institution's formal, active staff with their recorded grade of the year (None: none
    recorded, which counts as 合格)."""
    recorded = dict(
        IndividualGrade.objects.filter(year=year, employee__institution=institution).values_list(
            "employee_id", "grade"
        )
    )
    employees = Employee.objects.filter(
        institution=institution, is_formal=True, is_active=True
    ).order_by("staff_number")
    return [(employee, recorded.get(employee.pk)) for employee in employees]


# --- What waits (待办, payroll/todo.py; docs/TODO.md) ---------------------------------------------

WAITING_CHOICES = ("confirm", "export", "reconcile")


def institutions_to_compute(*, user, today: datetime.date) -> QuerySet[Institution]:
    """The institutions whose payroll the user runs that have a pay policy for this month (the
    policy of its year, or one settled in it: services.run_compute's inputs) and no run for it."""
    month = services.month_start(today)
    policy = access.policies_visible_to(user).filter(
        Q(year=month.year) | Q(settlement_month=month), institution=OuterRef("pk")
    )
    run = PayrollRun.objects.filter(institution=OuterRef("pk"), month=month)
    return institutions_for_payroll(user=user).filter(Exists(policy)).exclude(Exists(run))


def run_waiting(what: str, today: datetime.date) -> Q:
    """Which runs wait for `what`, as a condition on runs (the run list's `waiting` filter and
    the 待办 counts say the same):

    * confirm: drafts of a month that has begun, not provisional (a provisional run waits for
      its year's results to be published, services.payroll_run_confirm);
    * export: confirmed, not yet exported;
    * reconcile: confirmed or exported, wages actually paid imported for its month, and they do
      not reconcile (services.reconcile): a line paid differently or not at all, or a payment to
      one of the institution's employees without a line."""
    if what == "confirm":
        return Q(
            status=PayrollRun.Status.DRAFT,
            provisional=False,
            month__lte=services.month_start(today),
        )
    if what == "export":
        return Q(status=PayrollRun.Status.CONFIRMED)
    if what == "reconcile":
        month_paid = PaidWage.objects.filter(month=OuterRef("month"))
        line_of_run = PayrollLine.objects.filter(run=OuterRef(OuterRef("pk")))
        imported = month_paid.filter(
            Q(employee__institution=OuterRef("institution"))
            | Q(staff_number__in=line_of_run.values("staff_number"))
        )
        paid_equal = PaidWage.objects.filter(
            month=OuterRef(OuterRef("month")),
            staff_number=OuterRef("staff_number"),
            gross=OuterRef("gross"),
        )
        line_not_matched = PayrollLine.objects.filter(run=OuterRef("pk")).exclude(
            Exists(paid_equal)
        )
        paid_without_line = month_paid.filter(
            employee__institution=OuterRef("institution")
        ).exclude(staff_number__in=line_of_run.values("staff_number"))
        return Q(
            Exists(imported),
            Exists(line_not_matched) | Exists(paid_without_line),
            status__in=[PayrollRun.Status.CONFIRMED, PayrollRun.Status.EXPORTED],
        )
    raise ValueError(what)
