"""Checking every row of a read payroll workbook against the database, loaded in a fixed number of
set-based queries whatever the number of rows; the result is the plan of what to write, or
PayrollImportFailed listing every problem."""

import copy
import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _

from orgs.importing import RowError
from orgs.importing.reading import SheetData
from orgs.importing.results import file_error
from orgs.importing.validation import _duplicates, _fetch, _model_check, _rows_parse
from orgs.models import Employee, Institution

from .. import distribution, services
from ..models import IndividualGrade, PayPolicy, PersonalGrade
from .columns import (
    DEFAULT_POST,
    EMPLOYEE_SHEET,
    GRADE_SHEET,
    POLICY_SHEET,
    TIER_SHEET,
    ZERO_IF_BLANK,
)
from .reading import PayrollWorkbookData
from .results import PayrollImportFailed

ZERO = Decimal("0")
# Above this many institutions a filter by id would exceed SQLite's parameter limit; the
# counts are then read for every institution, still in one query.
MAX_FILTERED_INSTITUTIONS = 500


@dataclass
class PolicyRow:
    number: int
    year: int
    institution_code: str
    per_capita: Decimal
    basic_ratio: Decimal
    settlement_month: datetime.date


@dataclass
class EmployeeRow:
    number: int
    staff_number: str
    existing: Employee | None
    institution_code: str
    fields: dict  # employee_save's fields, without the institution (resolved when written)
    grade: str | None  # recorded for the plan's grade_year; None: no grade is written


@dataclass
class PayrollPlan:
    """What a valid workbook writes: coefficients, then employees, then policies (so that N
    counts the employees as imported), then the 个人等次 of `grade_year`."""

    sheets: dict[str, SheetData]
    tiers: dict[str, Decimal]
    grades: dict[str, Decimal]
    excellent_share: Decimal | None
    policies: list[PolicyRow]
    employees: list[EmployeeRow]
    grade_year: int | None  # the latest 考核年度 of the 工资政策 sheet
    institutions: dict[str, Institution]  # by code, those the workbook refers to

    def sheet(self, title: str) -> SheetData | None:
        return self.sheets.get(title)


def payroll_workbook_validate(data: PayrollWorkbookData) -> PayrollPlan:
    """Check every row of the workbook; raise PayrollImportFailed with every problem, or return
    the plan. Reads the database in a fixed number of queries (per few thousand rows)."""
    errors = list(data.errors)
    policy_sheet, tier_sheet = data.sheet(POLICY_SHEET), data.sheet(TIER_SHEET)
    grade_sheet, emp_sheet = data.sheet(GRADE_SHEET), data.sheet(EMPLOYEE_SHEET)
    policy_rows = _rows_parse(policy_sheet, errors)
    tier_rows = _rows_parse(tier_sheet, errors)
    grade_rows = _rows_parse(grade_sheet, errors)
    emp_rows = _rows_parse(emp_sheet, errors)
    if not (policy_rows or tier_rows or grade_rows or emp_rows) and not errors:
        raise file_error(_("The workbook has no rows to import."))

    if tier_sheet is not None:
        message = _("This tier is given more than once in this sheet, in rows %(rows)s.")
        _duplicates(tier_sheet, tier_rows, "tier", message, errors)
    if grade_sheet is not None:
        message = _("This grade is given more than once in this sheet, in rows %(rows)s.")
        _duplicates(grade_sheet, grade_rows, "grade", message, errors)
    if emp_sheet is not None:
        message = _("This staff number is given more than once in this sheet, in rows %(rows)s.")
        _duplicates(emp_sheet, emp_rows, "staff_number", message, errors)

    tiers = {r.get("tier"): r.get("coefficient") for r in tier_rows if not r.failed}
    grades = {r.get("grade"): r.get("coefficient") for r in grade_rows if not r.failed}
    excellent_share = _excellent_share(grade_sheet, grade_rows, errors)

    codes = {r.get("institution") for r in (*policy_rows, *emp_rows)} - {None}
    institutions = {i.code: i for i in _fetch(Institution.objects.all(), ("code",), codes)}
    unknown = _("No institution has this code.")
    for sheet, rows in ((policy_sheet, policy_rows), (emp_sheet, emp_rows)):
        for row in rows:
            code = row.get("institution")
            if code is not None and code not in institutions:
                errors.append(
                    sheet.error(row.number, "institution", row.cells["institution"], unknown)
                )
                row.failed.add("institution")

    policies = _policies_check(policy_sheet, policy_rows, errors)
    years = {r.get("year") for r in policy_rows} - {None}
    grade_year = max(years) if years else None

    existing = {
        e.staff_number: e
        for e in _fetch(
            Employee.objects.select_related("institution"),
            ("staff_number",),
            (r.get("staff_number") for r in emp_rows),
        )
    }
    employees = []
    for row in emp_rows:
        number = row.get("staff_number")
        employee = existing.get(number) if number else None
        for name in ZERO_IF_BLANK:
            if name in emp_sheet.columns and name not in row.values and name not in row.failed:
                row.values[name] = ZERO
        instance = copy.copy(employee) if employee else Employee(post=DEFAULT_POST)
        _model_check(emp_sheet, row, instance, {"institution", "grade"}, errors)
        grade = _grade_of(emp_sheet, row, grade_year, bool(policy_rows), errors)
        code = row.get("institution")
        if number and code and "staff_number" not in row.failed:
            fields = {
                k: v
                for k, v in row.values.items()
                if k not in row.failed | {"institution", "grade"}
            }
            if employee is None and "post" not in fields:
                fields["post"] = DEFAULT_POST
            employees.append(EmployeeRow(row.number, number, employee, code, fields, grade))

    if grade_year is not None and emp_sheet is not None:
        share_from_db = excellent_share is None
        share = services.grade_coefficients()[1] if share_from_db else excellent_share
        _excellent_caps_check(
            data, employees, institutions, grade_year, share, not share_from_db, errors
        )

    if errors:
        raise PayrollImportFailed(errors)
    return PayrollPlan(
        sheets=data.sheets,
        tiers=tiers,
        grades=grades,
        excellent_share=excellent_share,
        policies=policies,
        employees=employees,
        grade_year=grade_year,
        institutions=institutions,
    )


def _excellent_share(sheet, rows, errors) -> Decimal | None:
    share = None
    for row in rows:
        value = row.get("cap_share")
        if value is None:
            continue
        if row.get("grade") == PersonalGrade.EXCELLENT:
            share = value
        elif "grade" not in row.failed:
            message = _("Only 优秀 has a share cap; leave this cell blank.")
            errors.append(sheet.error(row.number, "cap_share", row.cells["cap_share"], message))
    return share


def _policies_check(sheet, rows, errors) -> list[PolicyRow]:
    """One policy per year and institution in the sheet; and per institution, one year settled
    in a month (a settlement run pays exactly one year's incentive)."""
    if sheet is None:
        return []
    by_key = defaultdict(list)
    for row in rows:
        if not {"year", "institution"} & row.failed:
            by_key[(row.get("year"), row.get("institution"))].append(row)
    for same in by_key.values():
        if len(same) > 1:
            numbers = ", ".join(str(r.number) for r in same)
            message = _(
                "This institution has more than one policy for this year in this sheet, "
                "in rows %(rows)s."
            ) % {"rows": numbers}
            for row in same[1:]:
                errors.append(
                    sheet.error(row.number, "institution", row.cells["institution"], message)
                )
                row.failed.add("institution")
    valid = [
        PolicyRow(
            r.number,
            r.get("year"),
            r.get("institution"),
            r.get("per_capita"),
            r.get("basic_ratio"),
            r.get("settlement_month"),
        )
        for r in rows
        if not r.failed
    ]
    # Settlement months after the import: the database's, with the sheet's rows over them.
    months: dict[str, dict[int, datetime.date]] = defaultdict(dict)
    codes = {p.institution_code for p in valid}
    stored = _fetch(PayPolicy.objects.select_related("institution"), ("institution__code",), codes)
    for policy in stored:
        months[policy.institution.code][policy.year] = policy.settlement_month
    for p in valid:
        months[p.institution_code][p.year] = p.settlement_month
    cells = {r.number: r.cells for r in rows}
    for p in valid:
        other = [
            y
            for y, m in months[p.institution_code].items()
            if m == p.settlement_month and y != p.year
        ]
        if other:
            message = _(
                "%(code)s already settles %(year)s in this month; a month settles one year only."
            ) % {"code": p.institution_code, "year": min(other)}
            value = cells[p.number]["settlement_month"]
            errors.append(sheet.error(p.number, "settlement_month", value, message))
    return valid


def _grade_of(sheet, row, grade_year, has_policy_rows: bool, errors) -> str | None:
    if "grade" in row.failed:
        return None
    grade = row.get("grade")
    if grade_year is None:
        # With policy rows but no year, those rows are in error already.
        if grade is not None and not has_policy_rows:
            message = _(
                "A 个人等次 is recorded for the year of the 工资政策 sheet, and this workbook has "
                "none; add that sheet or leave this column blank."
            )
            errors.append(sheet.error(row.number, "grade", row.cells["grade"], message))
        return None
    return grade or PersonalGrade.QUALIFIED


def _excellent_caps_check(
    data, rows: list[EmployeeRow], institutions, year: int, share, share_changes: bool, errors
) -> None:
    """The 优秀 cap of every institution the import touches (every institution, when the import
    changes the cap), on its formal staff and grades as they will be after the import."""
    final = {r.staff_number: institutions.get(r.institution_code) for r in rows}
    involved = {i.pk for i in final.values() if i is not None}
    involved |= {r.existing.institution_id for r in rows if r.existing is not None}
    everywhere = share_changes or len(involved) > MAX_FILTERED_INSTITUTIONS
    by_id = {i.pk: i for i in institutions.values()}
    by_id |= {r.existing.institution_id: r.existing.institution for r in rows if r.existing}

    formal_now = Employee.objects.filter(is_active=True, is_formal=True)
    graded = IndividualGrade.objects.filter(
        year=year,
        grade=PersonalGrade.EXCELLENT,
        employee__is_active=True,
        employee__is_formal=True,
    )
    if not everywhere:
        formal_now = formal_now.filter(institution_id__in=involved)
        graded = graded.filter(employee__institution_id__in=involved)
    formal = Counter(
        dict(
            formal_now.values("institution_id")
            .annotate(n=Count("pk"))
            .values_list("institution_id", "n")
        )
    )
    excellent: dict[str, int] = {}
    for number, inst_id, code, name in graded.values_list(
        "employee__staff_number",
        "employee__institution_id",
        "employee__institution__code",
        "employee__institution__name",
    ):
        excellent[number] = inst_id
        by_id.setdefault(inst_id, Institution(pk=inst_id, code=code, name=name))

    last_excellent_row: dict[int, int] = {}
    for row in rows:
        old = row.existing
        if old is not None and old.is_active and old.is_formal:
            formal[old.institution_id] -= 1
        excellent.pop(row.staff_number, None)
        institution = final[row.staff_number]
        is_formal = row.fields.get("is_formal", old.is_formal if old else True)
        if institution is None or not (old.is_active if old else True) or not is_formal:
            continue
        formal[institution.pk] += 1
        if row.grade == PersonalGrade.EXCELLENT:
            excellent[row.staff_number] = institution.pk
            last_excellent_row[institution.pk] = row.number

    counts = Counter(excellent.values())
    for inst_id, count in sorted(counts.items(), key=lambda item: by_id[item[0]].code):
        cap = distribution.excellent_cap(formal[inst_id], share)
        if count <= cap:
            continue
        institution = by_id[inst_id]
        message = _(
            "%(institution)s (%(code)s): %(count)s formal staff graded 优秀, at most %(cap)s "
            "of %(n)s may be."
        ) % {
            "institution": institution.name,
            "code": institution.code,
            "count": count,
            "cap": cap,
            "n": formal[inst_id],
        }
        errors.append(_cap_error_place(data, inst_id, last_excellent_row, rows, message))


def _cap_error_place(data, inst_id, last_excellent_row, rows, message) -> RowError:
    """At the institution's last 优秀 row; else at the 优秀 share the import changes."""
    emp_sheet = data.sheet(EMPLOYEE_SHEET)
    if inst_id in last_excellent_row:
        return emp_sheet.error(last_excellent_row[inst_id], "grade", "优秀", message)
    grade_sheet = data.sheet(GRADE_SHEET)
    for number, cells in grade_sheet.rows if grade_sheet else ():
        if cells.get("cap_share") not in (None, ""):
            return grade_sheet.error(number, "cap_share", cells["cap_share"], message)
    number = rows[0].number if rows else 0
    return emp_sheet.error(number, None, None, message)
