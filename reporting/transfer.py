"""An institution's report as Excel (docs/REPORTING.md, docs/IMPORT_EXPORT.md "数据填报"): the
template to download, prefilled with the report's items, and the import of the filled workbook —
all or nothing, like every import: one bad row and nothing is written, the answer naming every
problem by sheet, row and column.

Sheet 数据填报, header on row 1, one row per item from row 2:

指标代码 | 指标名称 | 单位 | 目标值 | 完成时限 | 实际完成值 | 完成日期 | 工作说明

指标代码 identifies the item; 指标名称, 单位, 目标值 and 完成时限 are for reading (ignored on
import);
实际完成值 (完成率 / 逆向完成率), 完成日期 (按期) and 工作说明 are imported. A blank cell clears the
value. Rows of items that are not editable (up at HQ, or checked) must be left as they are.
Every cell is written through orgs.streaming.cell_write.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import openpyxl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from orgs.importing.columns import is_blank
from orgs.importing.reading import format_read
from orgs.importing.results import ImportFailed, RowError, file_error
from orgs.streaming import cell_write, row_cells

from . import access, services
from .models import Report, ReportEvent, ReportItem

SHEET = "数据填报"
HELP_SHEET = "说明"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    imported: bool
    width: int
    help: str
    parse: object = None  # required by orgs.importing's reader (unused: this module parses)


COLUMNS = (
    Column("指标代码", "code", True, 12, "必填，不可修改：按指标代码对应填报项。"),
    Column("指标名称", "name", False, 30, "仅供阅读，导入时忽略。"),
    Column("单位", "unit", False, 8, "仅供阅读，导入时忽略。"),
    Column("目标值", "target_value", False, 14, "仅供阅读，导入时忽略。"),
    Column("完成时限", "deadline", False, 12, "仅供阅读，导入时忽略。"),
    Column(
        "实际完成值", "actual_value", True, 14,
        "完成率、逆向完成率类指标填写；数字，最多4位小数。留空即清除。",
    ),
    Column(
        "完成日期", "completed_on", True, 12,
        "按期类指标填写；日期（如 2026-06-20）。留空即清除。",
    ),
    Column("工作说明", "note", True, 60, "任一指标可填写工作完成情况，最多2000字。留空即清除。"),
)  # fmt: skip
OPTIONAL = frozenset({"name", "unit", "target_value", "deadline"})
HEADER_FONT = Font(bold=True)
READ_ONLY_FILL = PatternFill("solid", fgColor="EDEDED")
INPUT_FILL = PatternFill("solid", fgColor="DDEBF7")

NOTES = [
    "每行一个填报项，按“指标代码”对应；请勿修改指标代码，也不要增加行。",
    "指标名称、单位、目标值、完成时限仅供阅读，导入时忽略。",
    "实际完成值：完成率、逆向完成率类指标填写；完成日期：按期类指标填写；没有目标的指标只填工作说明。",
    "已提交审核或已审定的填报项不能修改，其行须保持原样。",
    "导入是“全部或全不”：只要有一处错误，任何数据都不写入，并列出全部错误（工作表、行号、列名、填写的值）。",
    "佐证材料请在系统页面上传。",
]


def template_filename(report: Report) -> str:
    return (
        f"数据填报_{report.institution.code}_{report.scheme.year}_"
        f"{'上半年' if report.period == 'h1' else '下半年'}.xlsx"
    )


def _items(report: Report, user) -> list[ReportItem]:
    return list(
        access.items_visible_to(user)
        .filter(report=report)
        .select_related("indicator", "target")
        .order_by("indicator__part", "indicator__sort_order", "indicator__code")
    )


def report_template_bytes(report: Report, user) -> io.BytesIO:
    """The report's workbook: its items with their targets and current values."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = SHEET
    for index, column in enumerate(COLUMNS, start=1):
        head = cell_write(ws.cell(row=1, column=index), column.header)
        head.font = HEADER_FONT
        head.fill = INPUT_FILL if column.imported and column.field != "code" else READ_ONLY_FILL
        head.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for row, item in enumerate(_items(report, user), start=2):
        target = item.target
        values = {
            "code": item.indicator.code,
            "name": item.indicator.name,
            "unit": target.unit if target else "",
            "target_value": target.target_value if target else None,
            "deadline": target.deadline if target else None,
            "actual_value": item.actual_value,
            "completed_on": item.completed_on,
            "note": item.note,
        }
        for index, column in enumerate(COLUMNS, start=1):
            value = values[column.field]
            if value is None:
                continue
            cell = cell_write(ws.cell(row=row, column=index), value)
            if isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    notes = workbook.create_sheet(HELP_SHEET)
    for note in NOTES:
        notes.append(row_cells(notes, [note]))
    notes.append([])
    notes.append(row_cells(notes, ["列名", "说明"]))
    for column in COLUMNS:
        notes.append(row_cells(notes, [column.header, column.help]))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


# --- Import --------------------------------------------------------------------------------------


def _decimal(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip().replace(",", ""))


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip().replace("/", "-"))


def _text(value) -> str:
    return "" if value is None else str(value).strip()


@dataclass
class ImportOutcome:
    changed: int = 0
    unchanged: int = 0


def _row_values(sheet, number: int, cells: dict, errors: list) -> dict | None:
    values: dict = {}
    ok = True
    raw = cells.get("actual_value")
    if is_blank(raw):
        values["actual_value"] = None
    else:
        try:
            values["actual_value"] = _decimal(raw)
        except (InvalidOperation, ValueError):
            errors.append(sheet.error(number, "actual_value", raw, _("This is not a number.")))
            ok = False
    raw = cells.get("completed_on")
    if is_blank(raw):
        values["completed_on"] = None
    else:
        try:
            values["completed_on"] = _date(raw)
        except (ValueError, TypeError):
            errors.append(
                sheet.error(number, "completed_on", raw, _("This is not a date (YYYY-MM-DD)."))
            )
            ok = False
    values["note"] = _text(cells.get("note"))
    return values if ok else None


def report_import(*, actor, report: Report, file) -> ImportOutcome:
    """Import the filled template into the report: every row checked first; one problem and
    nothing is written (ImportFailed lists them all)."""
    if not access.can_prepare(actor, report):
        raise PermissionDenied
    data = format_read(file, {SHEET: COLUMNS}, optional={SHEET: OPTIONAL})
    sheet = data.sheet(SHEET)
    errors = list(data.errors)
    if sheet is None:
        raise file_error(
            _("The workbook has no sheet named %(sheet)s: start from the report's template.")
            % {"sheet": SHEET}
        )
    items = {i.indicator.code: i for i in _items(report, actor)}
    planned: list[tuple[ReportItem, dict]] = []
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        code = _text(cells.get("code"))
        if not code:
            errors.append(sheet.error(number, "code", None, _("Give the indicator code.")))
            continue
        item = items.get(code)
        if item is None:
            errors.append(
                sheet.error(number, "code", code, _("This report has no item of this code."))
            )
            continue
        if code in seen:
            errors.append(
                sheet.error(
                    number,
                    "code",
                    code,
                    _("This code is on row %(row)s too.") % {"row": seen[code]},
                )
            )
            continue
        seen[code] = number
        values = _row_values(sheet, number, cells, errors)
        if values is None:
            continue
        same = all(getattr(item, n) == values[n] for n in services.FIGURE_FIELDS)
        if same:
            continue
        if not (report.is_editable and item.is_editable):
            errors.append(
                sheet.error(
                    number,
                    "code",
                    code,
                    _("This item is %(status)s and cannot be changed; leave its row as it is.")
                    % {"status": item.get_status_display()},
                )
            )
            continue
        for field, messages in services.item_values_check(item, values).items():
            for message in [messages] if isinstance(messages, str) else messages:
                errors.append(sheet.error(number, field, cells.get(field), str(message)))
        planned.append((item, values))
    if errors:
        raise ImportFailed(errors)
    outcome = ImportOutcome(unchanged=len(items) - len(planned))
    try:
        with transaction.atomic():
            for item, values in planned:
                services.item_save(
                    actor=actor, item=item, source=ReportEvent.Action.IMPORT, **values
                )
                outcome.changed += 1
    except ValidationError as e:
        # The report changed between the check and the write (someone submitted it).
        raise ImportFailed([RowError(SHEET, 0, message=" ".join(e.messages))]) from e
    return outcome
