"""Excel export of institutions and employees, in the import's own layout (orgs.importing): the
same sheet names, the same headers in the same order, and every value in the form the import
reads (是/否, the stage's Chinese label, the group's code, the head's username). A real HR
department exports, edits and re-imports, so an exported workbook re-imports unchanged; that is
also why there is no totals row.

Scope comes from orgs.access like every read: a user exports only what they may see.
Workbooks are written in openpyxl's write-only mode, row by row, to keep memory flat; every value
through orgs.streaming.cell_write, so a text (an institution's name, an audit event's object) is a
text cell, never a formula.
"""

import io
import json
import tempfile
from collections.abc import Callable, Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import access, selectors
from .importing import (
    EMPLOYEE_COLUMNS,
    EMPLOYEE_SHEET,
    INSTITUTION_COLUMNS,
    INSTITUTION_SHEET,
    STAGE_LABELS_ZH,
    Column,
)
from .importing.template import column_layout
from .models import AuditEvent, Employee, Institution
from .streaming import ReusedCell, cell_write, streaming_workbook

HEADER_FONT = Font(bold=True)
CHUNK_SIZE = 2000


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


# What each import column holds, by field, written as the import's parser reads it back.
INSTITUTION_VALUES: dict[str, Callable[[Institution], object]] = {
    "code": lambda i: i.code,
    "name": lambda i: i.name,
    "group": lambda i: i.group.code if i.group else None,
    "head": lambda i: i.head.username if i.head else None,
    "is_pilot": lambda i: _yes_no(i.is_pilot),
    "stage": lambda i: STAGE_LABELS_ZH[i.stage],
    "formal_headcount": lambda i: i.formal_headcount,
}
EMPLOYEE_VALUES: dict[str, Callable[[Employee], object]] = {
    "staff_number": lambda e: e.staff_number,
    "name": lambda e: e.name,
    "institution": lambda e: e.institution.code,
    "post": lambda e: e.post,
    "post_coefficient": lambda e: e.post_coefficient,
    "is_formal": lambda e: _yes_no(e.is_formal),
    "post_wage": lambda e: e.post_wage,
    "grade_wage": lambda e: e.grade_wage,
    "special_allowance": lambda e: e.special_allowance,
    "is_active": lambda e: _yes_no(e.is_active),
}


def institutions_workbook(*, user, queryset: QuerySet[Institution]) -> io.BytesIO:
    """The institutions of `queryset` (the list page's, with its filters) that `user` may see,
    as the import's 机构 sheet. One query, whatever the number of institutions."""
    institutions = queryset.filter(
        pk__in=access.institutions_visible_to(user).values("pk")
    ).select_related("group", "head")
    return _workbook(
        INSTITUTION_SHEET,
        INSTITUTION_COLUMNS,
        INSTITUTION_VALUES,
        institutions.iterator(CHUNK_SIZE),
    )


def employees_workbook(*, user, institution: Institution) -> io.BytesIO:
    """Every employee of `institution` the user may see (those who left too, 在职 = 否), as the
    import's 员工 sheet. Raises PermissionDenied for a role that never sees employee data."""
    if not access.can_view_employees(user):
        raise PermissionDenied
    employees = selectors.employee_list(user=user, institution=institution)
    # Every row is of this one institution: its code needs no join.
    values = EMPLOYEE_VALUES | {"institution": lambda e: institution.code}
    return _workbook(EMPLOYEE_SHEET, EMPLOYEE_COLUMNS, values, employees.iterator(CHUNK_SIZE))


def institutions_filename(today: date | None = None) -> str:
    return f"{INSTITUTION_SHEET}_{today or timezone.localdate():%Y%m%d}.xlsx"


def employees_filename(institution: Institution, today: date | None = None) -> str:
    return f"{EMPLOYEE_SHEET}_{institution.code}_{today or timezone.localdate():%Y%m%d}.xlsx"


def _workbook(title: str, spec: tuple[Column, ...], values: dict, objects: Iterable) -> io.BytesIO:
    workbook, ws = streaming_workbook(title)
    # Column and sheet settings must come before the first row in write-only mode.
    for index, column in enumerate(spec, start=1):
        column_layout(ws, get_column_letter(index), column)
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, column) for column in spec])
    for obj in objects:
        ws.append([_cell(ws, column, values[column.field](obj)) for column in spec])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _header_cell(ws, column: Column) -> WriteOnlyCell:
    cell = cell_write(WriteOnlyCell(ws), column.header)
    cell.font = HEADER_FONT
    return cell


def _cell(ws, column: Column, value) -> ReusedCell:
    # Through orgs.streaming.cell_write: a Decimal as its exact digits in a numeric cell (openpyxl
    # would write it through a float: 0.07 becomes 0.07000000000000001), a text never a formula.
    return ReusedCell(ws, number_format=column.number_format).put(value)


# --- The audit trail ----------------------------------------------------------------------------

AUDIT_SHEET = "审计日志"
AUDIT_HEADERS = (
    "时间",
    "操作人账号",
    "操作人",
    "操作",
    "对象类型",
    "对象编号",
    "对象",
    "客户端地址",
    "变更前",
    "变更后",
)
AUDIT_WIDTHS = (20, 14, 12, 22, 22, 10, 30, 16, 60, 60)
EXCEL_CELL_MAX = 32767  # characters in one cell


def _json_cell(value) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= EXCEL_CELL_MAX else text[: EXCEL_CELL_MAX - 1] + "…"


def audit_events_workbook(queryset: QuerySet[AuditEvent]):
    """The events of `queryset` (the page's, with its filters), one row each, newest first,
    written row by row in write-only mode into a temporary file (rewound, for a FileResponse).
    Callers check access and the row limit first."""
    workbook, ws = streaming_workbook(AUDIT_SHEET)
    for index, width in enumerate(AUDIT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header = [cell_write(WriteOnlyCell(ws), text) for text in AUDIT_HEADERS]
    for cell in header:
        cell.font = HEADER_FONT
    ws.append(header)
    at = ReusedCell(ws, number_format="yyyy-mm-dd hh:mm:ss")
    rows = queryset.select_related(None).values_list(
        "at",
        "actor__username",
        "actor__name",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "client_address",
        "before",
        "after",
    )
    for when, username, name, *middle, before, after in rows.iterator(CHUNK_SIZE):
        # Excel has no time zones: the local time, as the page shows it.
        local = timezone.localtime(when).replace(tzinfo=None)
        ws.append([at.put(local), username, name, *middle, _json_cell(before), _json_cell(after)])
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the FileResponse closes it)
    workbook.save(file)
    file.seek(0)
    return file


def audit_events_filename(today: date | None = None) -> str:
    return f"{AUDIT_SHEET}_{today or timezone.localdate():%Y%m%d}.xlsx"
