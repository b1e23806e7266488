"""Writing a validated payroll plan: one transaction, every change through the services
(payroll.services for coefficients, policies and grades; orgs.services for employees), so each is
validated again and audited like a change made on a page."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from orgs.access import has_role
from orgs.importing.writing import _differs, _reported_at, database_errors_reported
from orgs.models import Institution, Role, User
from orgs.services import employee_save

from .. import services
from ..models import PayPolicy
from .columns import EMPLOYEE_SHEET, GRADE_SHEET, POLICY_SHEET, TIER_SHEET
from .reading import payroll_workbook_read
from .results import PayrollImportResult
from .validation import PayrollPlan, payroll_workbook_validate


@dataclass
class PayrollPlanSummary:
    """What importing a checked workbook will write, for the dialog that asks to confirm it."""

    tiers: int = 0  # rows of 奖励系数
    grade_coefficients: int = 0  # rows of 个人等次系数
    employees_created: int = 0
    employees_updated: int = 0
    employees_unchanged: int = 0
    policies_created: int = 0
    policies_replaced: int = 0  # an existing policy of the year and institution, saved again
    grade_year: int | None = None
    grades: int = 0  # 个人等次 given (a blank one records 合格)
    institutions: list[Institution] = field(default_factory=list)  # those the rows name

    @property
    def employees(self) -> int:
        return self.employees_created + self.employees_updated + self.employees_unchanged


def payroll_workbook_check(*, actor: User, file) -> PayrollPlanSummary:
    """Read and validate a payroll workbook as an HR user, writing nothing: what importing it
    would write. Raises ImportFailed as payroll_workbook_import does."""
    _require_hr(actor)
    return payroll_plan_summary(payroll_workbook_validate(payroll_workbook_read(file)))


def payroll_plan_summary(plan: PayrollPlan) -> PayrollPlanSummary:
    """Counts of what payroll_plan_apply would write (one query, for the policies that exist)."""
    summary = PayrollPlanSummary(
        tiers=len(plan.tiers), grade_coefficients=len(plan.grades), grade_year=plan.grade_year
    )
    for row in plan.employees:
        fields = row.fields | {"institution": plan.institutions[row.institution_code]}
        if row.existing is None:
            summary.employees_created += 1
        elif _differs(row.existing, fields):
            summary.employees_updated += 1
        else:
            summary.employees_unchanged += 1
        if plan.grade_year is not None and row.grade is not None:
            summary.grades += 1
    if plan.policies:
        pairs = Q()
        for row in plan.policies:
            pairs |= Q(year=row.year, institution=plan.institutions[row.institution_code])
        existing = set(PayPolicy.objects.filter(pairs).values_list("year", "institution__code"))
        for row in plan.policies:
            if (row.year, row.institution_code) in existing:
                summary.policies_replaced += 1
            else:
                summary.policies_created += 1
    summary.institutions = sorted(plan.institutions.values(), key=lambda i: i.code)
    return summary


def payroll_workbook_import(*, actor: User, file) -> PayrollImportResult:
    """Import a payroll workbook, all or nothing, as an HR user. Raises ImportFailed
    (PayrollImportFailed for row problems) listing every problem; nothing is written then."""
    _require_hr(actor)
    plan = payroll_workbook_validate(payroll_workbook_read(file))
    return payroll_plan_apply(actor=actor, plan=plan)


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def payroll_plan_apply(*, actor: User, plan: PayrollPlan) -> PayrollImportResult:
    """Coefficients first (the 优秀 cap of the grades below is the imported one), then employees,
    then policies (policy_save counts N, the formal staff, as imported), then the grades."""
    _require_hr(actor)
    result = PayrollImportResult(grade_year=plan.grade_year)
    with database_errors_reported(), transaction.atomic():
        _coefficients_write(actor, plan, result)
        employees = _employees_write(actor, plan, result)
        sheet = plan.sheet(POLICY_SHEET)
        for row in plan.policies:
            with _reported_at(sheet, row.number):
                services.policy_save(
                    actor=actor,
                    year=row.year,
                    institution=plan.institutions[row.institution_code],
                    per_capita=row.per_capita,
                    basic_ratio=row.basic_ratio,
                    settlement_month=row.settlement_month,
                )
            result.policies_saved += 1
        if plan.grade_year is not None:
            _grades_write(actor, plan, employees, result)
    return result


def _coefficients_write(actor, plan: PayrollPlan, result: PayrollImportResult) -> None:
    if not (plan.tiers or plan.grades or plan.excellent_share is not None):
        return
    sheet = plan.sheet(TIER_SHEET) if plan.tiers else plan.sheet(GRADE_SHEET)
    with _reported_at(sheet, sheet.rows[0][0] if sheet.rows else 1):
        services.coefficients_save(
            actor=actor,
            tiers=plan.tiers,
            grades=plan.grades,
            excellent_share=plan.excellent_share,
        )
    result.tiers_saved = len(plan.tiers)
    result.grade_coefficients_saved = len(plan.grades)


def _employees_write(actor, plan: PayrollPlan, result: PayrollImportResult) -> dict:
    """Every row's employee as saved, by row number."""
    sheet = plan.sheet(EMPLOYEE_SHEET)
    saved = {}
    for row in plan.employees:
        fields = row.fields | {"institution": plan.institutions[row.institution_code]}
        with _reported_at(sheet, row.number):
            if row.existing is None:
                saved[row.number] = employee_save(actor=actor, **fields)
                result.employees_created += 1
            elif _differs(row.existing, fields):
                saved[row.number] = employee_save(actor=actor, employee=row.existing, **fields)
                result.employees_updated += 1
            else:
                saved[row.number] = row.existing
                result.employees_unchanged += 1
    return saved


def _grades_write(actor, plan: PayrollPlan, employees: dict, result) -> None:
    """One grades_save per institution: it checks the 优秀 cap on the whole institution."""
    sheet = plan.sheet(EMPLOYEE_SHEET)
    by_institution = defaultdict(dict)
    first_row = {}
    for row in plan.employees:
        if row.grade is None:
            continue
        institution = plan.institutions[row.institution_code]
        by_institution[institution.code][employees[row.number]] = row.grade
        first_row.setdefault(institution.code, row.number)
    for code in sorted(by_institution):
        with _reported_at(sheet, first_row[code]):
            result.grades_changed += services.grades_save(
                actor=actor,
                year=plan.grade_year,
                institution=plan.institutions[code],
                grades=by_institution[code],
            )
