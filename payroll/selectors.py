"""Reads of payroll, always starting from what the user may see (payroll.access). Each is a fixed
number of queries, whatever the number of runs or employees."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from orgs.access import institutions_visible_to
from orgs.models import Employee, Institution

from . import access, services
from .models import IndividualGrade, PayPolicy, PayrollLine, PayrollRun, PersonalGrade, Tier

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
    return access.policies_visible_to(user).select_related("institution")


def institutions_for_payroll(*, user) -> QuerySet[Institution]:
    """The institutions whose payroll the user may compute (HR all, an officer theirs)."""
    if not access.can_run_payroll_at_all(user):
        return Institution.objects.none()
    return institutions_visible_to(user).order_by("code")


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
