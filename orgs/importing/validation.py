"""Checking every row of a read workbook against the database, loaded in a few set-based
queries; the result is the plan of what to write, or ImportFailed listing every problem."""

import copy
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ..models import AssessmentGroup, Employee, Institution, Role, User
from .columns import INSTITUTION_SHEET, InvalidCell, is_blank
from .reading import SheetData, WorkbookData
from .results import ImportFailed, RowError, file_error


@dataclass
class _ParsedRow:
    number: int
    cells: dict[str, object]  # as read
    values: dict[str, object]  # parsed; a blank cell that means "unchanged" is absent
    failed: set[str] = field(default_factory=set)

    def get(self, name: str):
        return None if name in self.failed else self.values.get(name)


@dataclass
class InstitutionPlanRow:
    number: int
    code: str
    existing: Institution | None
    fields: dict[str, object]


@dataclass
class EmployeePlanRow:
    number: int
    existing: Employee | None
    institution_code: str
    fields: dict[str, object]  # without "institution", resolved when written


@dataclass
class ImportPlan:
    """What a valid workbook will write. Institutions come in an order in which no row takes a
    name or head that another row still has to give up."""

    institution_sheet: SheetData | None
    employee_sheet: SheetData | None
    institutions: list[InstitutionPlanRow]
    employees: list[EmployeePlanRow]
    existing_institutions: dict[str, Institution]  # code -> those the employees refer to


def _chunk_size(lookups: int = 1) -> int:
    limit = connection.features.max_query_params or 10_000
    return max(1, min(10_000, limit - 10) // lookups)


def _fetch(queryset: QuerySet, lookups: tuple[str, ...], values: Iterable[str]) -> list:
    """Rows whose `lookups` match any of `values`: one query per few thousand values."""
    values = sorted({v for v in values if v})
    found = []
    step = _chunk_size(len(lookups))
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        found.extend(queryset.filter(reduce(or_, (Q(**{f"{lk}__in": chunk}) for lk in lookups))))
    return found


def _rows_parse(sheet: SheetData | None, errors: list[RowError]) -> list[_ParsedRow]:
    if sheet is None:
        return []
    parsed = []
    present = [c for c in sheet.spec if c.field in sheet.columns]
    for number, cells in sheet.rows:
        row = _ParsedRow(number=number, cells=cells, values={})
        for column in present:
            raw = cells.get(column.field)
            if is_blank(raw):
                if column.required:
                    errors.append(
                        sheet.error(number, column.field, None, _("This cell is required."))
                    )
                    row.failed.add(column.field)
                elif column.blank_is_none:
                    row.values[column.field] = None
                continue
            try:
                row.values[column.field] = column.parse(raw)
            except InvalidCell as e:
                errors.append(sheet.error(number, column.field, raw, e.message))
                row.failed.add(column.field)
        parsed.append(row)
    return parsed


def _duplicates(sheet: SheetData, rows: list[_ParsedRow], name: str, message: str, errors) -> None:
    """Every row after the first that repeats a value of `name`, naming all the rows."""
    by_value = defaultdict(list)
    for row in rows:
        value = row.get(name)
        if value is not None and value != "":
            key = value.pk if hasattr(value, "pk") else value
            by_value[key].append(row)
    for same in by_value.values():
        if len(same) > 1:
            numbers = ", ".join(str(r.number) for r in same)
            for row in same[1:]:
                cell = row.cells.get(name)
                errors.append(sheet.error(row.number, name, cell, message % {"rows": numbers}))
                row.failed.add(name)


def _model_check(sheet, row: _ParsedRow, instance, skip: set[str], errors) -> None:
    """The model's own field rules (code format, lengths, digits, choices) on an unsaved copy.
    Foreign keys, uniqueness and check constraints are checked set-based elsewhere, because
    full_clean would spend a query per row on each."""
    for name, value in row.values.items():
        if name not in skip and name not in row.failed:
            setattr(instance, name, value)
    exclude = skip | row.failed | {c.field for c in sheet.spec if c.field not in sheet.columns}
    try:
        instance.full_clean(
            exclude=sorted(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as e:
        for name, messages in e.message_dict.items():
            target = None if name == NON_FIELD_ERRORS else name
            for message in messages:
                errors.append(sheet.error(row.number, target, row.cells.get(name), message))
            row.failed.add(name)


def workbook_validate(data: WorkbookData) -> ImportPlan:
    """Check every row of the workbook; raise ImportFailed with every problem, or return the
    plan of what to write. Reads the database in a fixed number of queries (per few thousand
    rows), whatever the number of rows."""
    errors = list(data.errors)
    inst_sheet, emp_sheet = data.institutions, data.employees
    inst_rows = _rows_parse(inst_sheet, errors)
    emp_rows = _rows_parse(emp_sheet, errors)
    if not inst_rows and not emp_rows and not errors:
        raise file_error(_("The workbook has no rows to import."))

    if inst_sheet is not None:
        message = _("This code is given more than once in this sheet, in rows %(rows)s.")
        _duplicates(inst_sheet, inst_rows, "code", message, errors)
        message = _("This name is given more than once in this sheet, in rows %(rows)s.")
        _duplicates(inst_sheet, inst_rows, "name", message, errors)
    if emp_sheet is not None:
        message = _("This staff number is given more than once in this sheet, in rows %(rows)s.")
        _duplicates(emp_sheet, emp_rows, "staff_number", message, errors)

    sheet_codes = {r.get("code") for r in inst_rows} - {None}
    referred_codes = sheet_codes | ({r.get("institution") for r in emp_rows} - {None})
    institutions = {i.code: i for i in _fetch(Institution.objects.all(), ("code",), referred_codes)}
    name_holders = {
        i.name: i
        for i in _fetch(Institution.objects.all(), ("name",), (r.get("name") for r in inst_rows))
    }
    group_refs = {r.get("group") for r in inst_rows}
    groups = _fetch(AssessmentGroup.objects.all(), ("code", "name"), group_refs)
    groups_by_code = {g.code: g for g in groups}
    groups_by_name = {g.name: g for g in groups}
    users = {
        u.username: u
        for u in _fetch(
            User.objects.select_related("headed_institution"),
            ("username",),
            (r.get("head") for r in inst_rows),
        )
    }
    employees = {
        e.staff_number: e
        for e in _fetch(
            Employee.objects.all(), ("staff_number",), (r.get("staff_number") for r in emp_rows)
        )
    }

    plan_institutions = []
    for row in inst_rows:
        code = row.get("code")
        existing = institutions.get(code) if code else None
        _group_resolve(inst_sheet, row, groups_by_code, groups_by_name, errors)
        _head_resolve(inst_sheet, row, users, errors)
        instance = copy.copy(existing) if existing else Institution()
        _model_check(inst_sheet, row, instance, {"group", "head"}, errors)
        if code and "code" not in row.failed:
            fields = {k: v for k, v in row.values.items() if k not in row.failed}
            plan_institutions.append(InstitutionPlanRow(row.number, code, existing, fields))
    if inst_sheet is not None:
        message = _(
            "This user is made head of more than one institution in this sheet, in rows %(rows)s."
        )
        _duplicates(inst_sheet, inst_rows, "head", message, errors)
        plan_institutions = _institutions_order(inst_sheet, plan_institutions, name_holders, errors)

    plan_employees = []
    known_codes = sheet_codes | institutions.keys()
    unknown_code = _(
        "No institution has this code, neither in the system nor in the %(sheet)s sheet."
    ) % {"sheet": INSTITUTION_SHEET}
    for row in emp_rows:
        institution_code = row.get("institution")
        if institution_code and institution_code not in known_codes:
            cell = row.cells.get("institution")
            errors.append(emp_sheet.error(row.number, "institution", cell, unknown_code))
            row.failed.add("institution")
        staff_number = row.get("staff_number")
        existing = employees.get(staff_number) if staff_number else None
        instance = copy.copy(existing) if existing else Employee()
        _model_check(emp_sheet, row, instance, {"institution"}, errors)
        if staff_number and institution_code:
            fields = {k: v for k, v in row.values.items() if k not in row.failed}
            fields.pop("institution", None)
            plan_employees.append(EmployeePlanRow(row.number, existing, institution_code, fields))

    if errors:
        raise ImportFailed(errors)
    return ImportPlan(
        institution_sheet=inst_sheet,
        employee_sheet=emp_sheet,
        institutions=plan_institutions,
        employees=plan_employees,
        existing_institutions=institutions,
    )


def _group_resolve(sheet, row: _ParsedRow, by_code, by_name, errors) -> None:
    ref = row.get("group")
    if ref is None:
        return
    group = by_code.get(ref) or by_name.get(ref)
    if group is None:
        message = _("No assessment group has this code or name.")
        errors.append(sheet.error(row.number, "group", row.cells.get("group"), message))
        row.failed.add("group")
    else:
        row.values["group"] = group


def _head_resolve(sheet, row: _ParsedRow, users: dict[str, User], errors) -> None:
    username = row.get("head")
    if username is None:
        return
    user = users.get(username)
    if user is None:
        message = _("No user account has this username.")
    elif user.role != Role.HEAD:
        message = _("This user account does not have the role 'Institution head'.")
    elif not user.is_active:
        message = _("This user account is inactive.")
    else:
        row.values["head"] = user
        return
    errors.append(sheet.error(row.number, "head", row.cells.get("head"), message))
    row.failed.add("head")


def _institutions_order(sheet, rows: list[InstitutionPlanRow], name_holders, errors):
    """Check names and heads against other institutions, and order the rows so that an
    institution giving up a name or head is written before the one taking it over (names and
    heads are unique, and each row is saved on its own). A swap between rows cannot be ordered
    and is refused."""
    by_code = {}
    for row in rows:
        by_code.setdefault(row.code, row)

    def new_name(row):
        return row.fields.get("name", row.existing.name if row.existing else "")

    def new_head_id(row):
        if "head" in row.fields:
            return row.fields["head"].pk if row.fields["head"] is not None else None
        return row.existing.head_id if row.existing else None

    waits_for: dict[int, set[int]] = {r.number: set() for r in rows}  # by Excel row
    for row in rows:
        name = row.fields.get("name")
        holder = name_holders.get(name)
        if holder is not None and holder.code != row.code:
            other = by_code.get(holder.code)
            if other is not None and new_name(other) != name:
                waits_for[row.number].add(other.number)
            else:
                message = _("Another institution, %(code)s, already has this name.") % {
                    "code": holder.code
                }
                errors.append(sheet.error(row.number, "name", name, message))
        head = row.fields.get("head")
        holder = getattr(head, "headed_institution", None) if head is not None else None
        if holder is not None and holder.code != row.code:
            other = by_code.get(holder.code)
            if other is not None and new_head_id(other) != head.pk:
                waits_for[row.number].add(other.number)
            else:
                message = _("This user already heads %(institution)s (%(code)s).") % {
                    "institution": holder.name,
                    "code": holder.code,
                }
                errors.append(sheet.error(row.number, "head", head.username, message))

    # Kahn's algorithm: a row is written once every row it waits for has been.
    by_number = {r.number: r for r in rows}
    blocking = defaultdict(list)
    for number, needs in waits_for.items():
        for need in needs:
            blocking[need].append(number)
    remaining = {number: len(needs) for number, needs in waits_for.items()}
    ready = deque(r.number for r in rows if not waits_for[r.number])
    ordered = []
    while ready:
        number = ready.popleft()
        ordered.append(by_number[number])
        for waiting in blocking[number]:
            remaining[waiting] -= 1
            if remaining[waiting] == 0:
                ready.append(waiting)
    if len(ordered) < len(rows):
        stuck = [r for r in rows if remaining[r.number] > 0]
        numbers = ", ".join(str(r.number) for r in stuck)
        for row in stuck:
            message = _(
                "Rows %(rows)s swap names or heads among themselves; make the change in two "
                "imports, through a temporary value."
            ) % {"rows": numbers}
            errors.append(sheet.error(row.number, None, None, message))
    return ordered
