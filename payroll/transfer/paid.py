"""The wages actually paid in a month, imported from a workbook (sheet 实发工资: 工号, 应发合计;
other columns ignored) for reconciliation (payroll.services.reconcile). All or nothing: every
row names an employee the importer may pay — HR any, a payroll officer those of their bound
institutions — or the whole workbook is refused, each problem placed at its row. A staff number
imported again for the same month replaces what was imported before."""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.access import has_role, institutions_visible_to
from orgs.importing.reading import SheetData
from orgs.importing.results import file_error
from orgs.importing.validation import _duplicates, _fetch, _rows_parse
from orgs.importing.writing import database_errors_reported
from orgs.models import Employee, Role, User
from orgs.services import audit_record

from ..models import PaidWage
from ..services import month_start
from .columns import PAID_SHEET
from .reading import paid_workbook_read
from .results import PaidImportResult, PayrollImportFailed


@dataclass
class PaidRow:
    number: int
    employee: Employee
    gross: object


def can_import_paid(user) -> bool:
    return has_role(user, Role.HR, Role.PAYROLL)


def paid_workbook_import(*, actor: User, month: datetime.date, file) -> PaidImportResult:
    """Import the wages paid in `month`. Raises ImportFailed listing every problem; nothing is
    written then."""
    if not can_import_paid(actor):
        raise PermissionDenied
    data = paid_workbook_read(file)
    rows = paid_workbook_validate(data, actor=actor)
    return paid_wages_save(actor=actor, month=month, rows=rows)


@dataclass
class PaidSummary:
    """What importing a checked paid-wages workbook will write, for the confirm dialog."""

    month: datetime.date
    rows: int = 0
    created: int = 0
    updated: int = 0  # a staff number imported before for the month, with another amount
    unchanged: int = 0
    gross: Decimal = Decimal("0")
    institutions: list = field(default_factory=list)  # of the rows' employees, by code


def paid_workbook_check(*, actor: User, month: datetime.date, file) -> PaidSummary:
    """Read and validate a paid-wages workbook, writing nothing: what importing it for `month`
    would write (one query besides the validation's). Raises ImportFailed as the import does."""
    if not can_import_paid(actor):
        raise PermissionDenied
    rows = paid_workbook_validate(paid_workbook_read(file), actor=actor)
    month = month_start(month)
    existing = dict(
        _fetch(
            PaidWage.objects.filter(month=month).values_list("staff_number", "gross"),
            ("staff_number",),
            (r.employee.staff_number for r in rows),
        )
    )
    summary = PaidSummary(month=month, rows=len(rows))
    for row in rows:
        before = existing.get(row.employee.staff_number)
        if before is None:
            summary.created += 1
        elif before != row.gross:
            summary.updated += 1
        else:
            summary.unchanged += 1
        summary.gross += row.gross
    institutions = {r.employee.institution_id: r.employee.institution for r in rows}
    summary.institutions = sorted(institutions.values(), key=lambda i: i.code)
    return summary


def paid_workbook_validate(data, *, actor: User) -> list[PaidRow]:
    """Every row checked in three queries whatever their number (per few thousand rows)."""
    errors = list(data.errors)
    sheet: SheetData = data.sheet(PAID_SHEET)
    rows = _rows_parse(sheet, errors)
    if not rows and not errors:
        raise file_error(_("The workbook has no rows to import."))
    message = _("This staff number is given more than once in this sheet, in rows %(rows)s.")
    _duplicates(sheet, rows, "staff_number", message, errors)
    employees = {
        e.staff_number: e
        for e in _fetch(
            Employee.objects.select_related("institution"),
            ("staff_number",),
            (r.get("staff_number") for r in rows),
        )
    }
    if has_role(actor, Role.HR):
        scope, unknown = None, _("No employee has this staff number.")
    else:
        # The same words for someone else's employee as for nobody's: scope is not revealed.
        scope = set(institutions_visible_to(actor).values_list("pk", flat=True))
        unknown = _("No employee of the institutions bound to you has this staff number.")
    valid = []
    for row in rows:
        number = row.get("staff_number")
        if number is None:
            continue
        employee = employees.get(number)
        if employee is None or (scope is not None and employee.institution_id not in scope):
            errors.append(
                sheet.error(row.number, "staff_number", row.cells["staff_number"], unknown)
            )
        elif not row.failed:
            valid.append(PaidRow(row.number, employee, row.get("gross")))
    if errors:
        raise PayrollImportFailed(errors)
    return valid


def paid_wages_save(*, actor: User, month: datetime.date, rows: list[PaidRow]) -> PaidImportResult:
    """Upsert the month's PaidWage rows in one transaction, audited per institution."""
    if not can_import_paid(actor):
        raise PermissionDenied
    month = month_start(month)
    result = PaidImportResult(month=month)
    now = timezone.now()
    with database_errors_reported(), transaction.atomic():
        existing = {
            p.staff_number: p
            for p in _fetch(
                PaidWage.objects.filter(month=month).select_for_update(),
                ("staff_number",),
                (r.employee.staff_number for r in rows),
            )
        }
        created, updated = [], []
        changed = Counter()
        for row in rows:
            employee = row.employee
            paid = existing.get(employee.staff_number)
            if paid is None:
                created.append(
                    PaidWage(
                        month=month,
                        staff_number=employee.staff_number,
                        employee=employee,
                        gross=row.gross,
                        imported_by=actor,
                    )
                )
            elif paid.gross != row.gross or paid.employee_id != employee.pk:
                paid.gross, paid.employee, paid.imported_by = row.gross, employee, actor
                paid.imported_at = now
                updated.append(paid)
            else:
                result.unchanged += 1
                continue
            changed[employee.institution_id] += 1
        PaidWage.objects.bulk_create(created, batch_size=2000)
        PaidWage.objects.bulk_update(
            updated, ["gross", "employee", "imported_by", "imported_at"], batch_size=2000
        )
        result.created, result.updated = len(created), len(updated)
        institutions = {r.employee.institution_id: r.employee.institution for r in rows}
        result.institutions = sorted(institutions.values(), key=lambda i: i.code)
        for institution in result.institutions:
            if changed[institution.pk]:
                audit_record(
                    actor=actor,
                    action="payroll.paid_import",
                    obj=institution,
                    after={"month": f"{month:%Y-%m}", "rows": changed[institution.pk]},
                )
    return result
