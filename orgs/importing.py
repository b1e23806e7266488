"""Excel import of institutions and employees (DESIGN.md §1). HR fills in the template workbook
(sheets 机构 and 员工) and uploads it; the import is all or nothing.

1. `workbook_read`: the file is checked (size, a real xlsx, not a decompression bomb) and the
   cells of both sheets are read, headers matched by name. No database access.
2. `workbook_validate`: every row of every sheet is parsed and checked against the database,
   loaded in a few set-based queries; every error is collected, and if there is any the import
   stops with `ImportFailed` listing them all.
3. `import_plan_apply`: one transaction writes every row through orgs.services, so each change
   is validated again and audited exactly like a change made in a form.

Rules, also written for HR in the template's 说明 sheet:

* A row is keyed on 机构代码 / 工号: an existing one is updated, a new one created.
* Column order is free. A column left out of a sheet leaves that field of existing rows as it
  is (new rows take the default); so does a blank cell, except 考核组别 and 一把手账号, where
  blank means "none" (it is the only way to say none there).
* Numbers are read exactly as written (Decimal from the cell's text, never float arithmetic); a
  value with more decimals than allowed is refused, not rounded.
"""

import copy
import io
import re
import zipfile
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, reduce
from operator import or_

import openpyxl
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import services
from .access import require_manage_orgs
from .models import AssessmentGroup, Employee, Institution, Role, Stage, User

TEMPLATE_FILENAME = "机构与员工导入模板.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INSTITUTION_SHEET = "机构"
EMPLOYEE_SHEET = "员工"
HELP_SHEET = "说明"
MAX_ROWS_PER_SHEET = 50_000
# Refused before parsing: 50,000 rows of ten columns unpack to about 30 MB of XML, so anything
# far beyond that is a decompression bomb, not a workbook.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
CENT = Decimal("0.01")

STAGE_LABELS_ZH = {
    Stage.SETUP: "环境搭建",
    Stage.DATA: "数据采集",
    Stage.TRAINING: "集中培训",
    Stage.ACCEPTANCE: "验收",
    Stage.TRIAL: "试运行",
    Stage.FORMAL: "正式运行",
}
TRUE_WORDS = frozenset({"是", "true", "1"})
FALSE_WORDS = frozenset({"否", "false", "0"})
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


# --- Results and errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem, placed where HR finds it in Excel. `row` is the Excel row number (1 = header;
    0 = the file as a whole); `column` is the header text, `column_letter` its letter."""

    sheet: str
    row: int
    column: str = ""
    column_letter: str = ""
    value: object = None
    message: str = ""

    @property
    def cell(self) -> str:
        """Where to look: 员工!C7 for a cell, 员工!7:7 for a whole row, "" for the file."""
        if not self.sheet:
            return ""
        if self.row and self.column_letter:
            return f"{self.sheet}!{self.column_letter}{self.row}"
        if self.row:
            return f"{self.sheet}!{self.row}:{self.row}"
        return self.sheet

    def __str__(self) -> str:
        place = " ".join(p for p in (self.cell, self.column) if p)
        if self.value is not None and self.value != "":
            place = f'{place} = "{self.value}"'
        return f"{place}: {self.message}" if place else str(self.message)


class ImportFailed(Exception):
    """Nothing was imported; `errors` says why, every problem found, in sheet and row order."""

    def __init__(self, errors: Iterable[RowError]):
        self.errors = sorted(errors, key=_error_sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))


def _error_sort_key(error: RowError):
    sheet_order = {"": 0, INSTITUTION_SHEET: 1, EMPLOYEE_SHEET: 2}.get(error.sheet, 3)
    column = column_index_from_string(error.column_letter) if error.column_letter else 0
    return (sheet_order, error.row, column)


def _file_error(message: str) -> ImportFailed:
    return ImportFailed([RowError(sheet="", row=0, message=message)])


@dataclass
class ImportResult:
    institutions_created: int = 0
    institutions_updated: int = 0
    institutions_unchanged: int = 0  # in the workbook, but identical to the database
    employees_created: int = 0
    employees_updated: int = 0
    employees_unchanged: int = 0


# --- Cell parsing (no database) -----------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_text(value) -> str:
    if isinstance(value, bool):
        raise _Invalid(_("Expected text, not a true/false value."))
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        # A staff number typed as a number arrives as 1001 or 1001.0; both mean "1001".
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value.strip()
    raise _Invalid(_("Expected text."))


def _to_decimal(value) -> Decimal:
    """The number exactly as written in the cell. A float from openpyxl is turned into text first:
    str() gives the shortest text that reads back as the same float, i.e. what Excel shows."""
    if isinstance(value, bool):
        raise _Invalid(_("Not a valid number."))
    if isinstance(value, int | float | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
    else:
        raise _Invalid(_("Not a valid number."))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Invalid(_("Not a valid number.")) from None
    if not number.is_finite():
        raise _Invalid(_("Not a valid number."))
    return number


def _two_decimals(number: Decimal) -> Decimal:
    try:
        exact = number.quantize(CENT)
    except InvalidOperation:
        raise _Invalid(_("The number is too large.")) from None
    if exact != number:
        raise _Invalid(_("Use at most two decimals; the value is not rounded for you."))
    return exact


def _parse_money(value) -> Decimal:
    number = _two_decimals(_to_decimal(value))
    if number < 0:
        raise _Invalid(_("Cannot be negative."))
    return number


def _parse_coefficient(value) -> Decimal:
    number = _two_decimals(_to_decimal(value))
    if number <= 0:
        raise _Invalid(_("Must be greater than zero."))
    return number


def _parse_count(value) -> int:
    number = _to_decimal(value)
    if number != number.to_integral_value():
        raise _Invalid(_("Must be a whole number."))
    if number < 0:
        raise _Invalid(_("Cannot be negative."))
    return int(number)


def _parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    word = _parse_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Invalid(_("Use 是 or 否 (true/false and 1/0 are accepted too)."))


@cache
def _stage_aliases(language: str | None) -> dict[str, str]:
    aliases = {}
    for value, label in Stage.choices:
        aliases[value] = value
        aliases[STAGE_LABELS_ZH[value]] = value
        aliases[str(label).lower()] = value  # the label in the active language
        with translation.override("en"):
            aliases[str(label).lower()] = value
    return aliases


def _parse_stage(value) -> str:
    text = _parse_text(value)
    stage = _stage_aliases(translation.get_language()).get(text.lower())
    if stage is None:
        raise _Invalid(
            _("Unknown rollout stage; use one of %(stages)s.")
            % {"stages": "、".join(STAGE_LABELS_ZH.values())}
        )
    return stage


# --- Sheet layouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header, which is what the parser matches on
    field: str
    parse: Callable[[object], object]
    required: bool = False
    blank_is_none: bool = False  # blank cell = "none" rather than "leave as it is"
    help: str = ""  # for the 说明 sheet
    example: object = None
    width: int = 14
    number_format: str = "@"
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template


# fmt: off
YES_NO = ("是", "否")
MONEY_HELP = (
    "单位：元。不小于0，最多两位小数，按单元格中的数字原样读取、不做四舍五入（如 1.005 会被拒绝）。"
    "留空：新员工为0，已有员工不变。"
)
INSTITUTION_COLUMNS = (
    Column(
        "机构代码", "code", _parse_text, required=True, example="A001",
        help="必填。1–32位字母、数字、“-”或“_”，以字母或数字开头。"
        "系统中已有的代码更新该机构，新代码新建机构。",
    ),
    Column(
        "机构名称", "name", _parse_text, required=True, example="示例机构", width=24,
        help="必填。最多100字，不得与其他机构重名。",
    ),
    Column(
        "考核组别", "group", _parse_text, blank_is_none=True, example="第一组",
        help="考核组别的代码或名称（如 G1 或 第一组），须已在系统中建好。留空表示不分组。",
    ),
    Column(
        "一把手账号", "head", _parse_text, blank_is_none=True, example=None, width=16,
        help="一把手的登录账号（用户名）：须为角色“机构一把手”的有效账号，且未担任其他机构的"
        "一把手（同一工作簿中把他从原机构换下的除外）。留空表示不设一把手。",
    ),
    Column(
        "试点", "is_pilot", _parse_bool, example="是", width=8, choices=YES_NO,
        help="是 / 否。留空：新机构为“否”，已有机构不变。",
    ),
    Column(
        "推进阶段", "stage", _parse_stage, example="数据采集",
        choices=tuple(STAGE_LABELS_ZH.values()),
        help="环境搭建、数据采集、集中培训、验收、试运行、正式运行 之一（也可填英文值 setup、data、"
        "training、acceptance、trial、formal）。留空：新机构为“环境搭建”，已有机构不变。",
    ),
    Column(
        "编制人数", "formal_headcount", _parse_count, example=25, width=10, number_format="0",
        help="不小于0的整数。留空：新机构为0，已有机构不变。",
    ),
)
EMPLOYEE_COLUMNS = (
    Column(
        "工号", "staff_number", _parse_text, required=True, example="000123",
        help="必填。1–32位字母、数字、“-”或“_”，以字母或数字开头。系统中已有的工号更新该员工，"
        "新工号新建员工。请保持文本格式，以免 Excel 去掉开头的 0。",
    ),
    Column("姓名", "name", _parse_text, required=True, example="张三", help="必填。最多64字。"),
    Column(
        "机构代码", "institution", _parse_text, required=True, example="A001",
        help="必填。员工所在机构的代码：系统中已有的机构，或本工作簿“机构”表中的机构。",
    ),
    Column("岗位", "post", _parse_text, required=True, example="科员", help="必填。最多64字。"),
    Column(
        "岗位系数", "post_coefficient", _parse_coefficient, required=True,
        example=Decimal("1.20"), width=10, number_format="0.00",
        help="必填。大于0，最多两位小数（如 1.20），不超过 999.99。",
    ),
    Column(
        "是否正式", "is_formal", _parse_bool, example="是", width=10, choices=YES_NO,
        help="是否正式在编：是 / 否。留空：新员工为“是”，已有员工不变。",
    ),
    Column(
        "岗位工资", "post_wage", _parse_money, example=Decimal("2800.00"),
        number_format="#,##0.00", help=MONEY_HELP,
    ),
    Column(
        "薪级工资", "grade_wage", _parse_money, example=Decimal("1200.50"),
        number_format="#,##0.00", help=MONEY_HELP,
    ),
    Column(
        "特殊岗位津贴", "special_allowance", _parse_money, example=Decimal("0.00"),
        number_format="#,##0.00", help=MONEY_HELP,
    ),
    Column(
        "在职", "is_active", _parse_bool, example="是", width=8, choices=YES_NO,
        help="是 / 否。留空：新员工为“是”，已有员工不变。",
    ),
)
# fmt: on
SHEET_COLUMNS = {INSTITUTION_SHEET: INSTITUTION_COLUMNS, EMPLOYEE_SHEET: EMPLOYEE_COLUMNS}


# --- Reading the file (no database) -------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRef:
    header: str
    letter: str
    index: int  # 0-based position in the sheet


@dataclass
class SheetData:
    title: str
    spec: tuple[Column, ...]
    columns: dict[str, ColumnRef]  # field -> where its column is
    rows: list[tuple[int, dict[str, object]]]  # (Excel row number, {field: cell value as read})

    def error(self, row: int, field: str | None, value, message: str) -> RowError:
        ref = self.columns.get(field) if field else None
        if ref is not None:
            return RowError(self.title, row, ref.header, ref.letter, value, message)
        header = next((c.header for c in self.spec if c.field == field), "")
        return RowError(self.title, row, header, "", value, message)


@dataclass
class WorkbookData:
    institutions: SheetData | None = None
    employees: SheetData | None = None
    errors: list[RowError] = field(default_factory=list)  # header problems found while reading


def workbook_read(file) -> WorkbookData:
    """The cells of the 机构 and 员工 sheets of an uploaded xlsx. Raises ImportFailed for a file
    that is too large, not an xlsx, or has neither sheet; header problems are kept in `errors`
    so they are reported together with the row problems."""
    content = _read_limited(file)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _not_xlsx() from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _file_error(_("The workbook unpacks to too much data to be a real import file."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on malformed input; all mean "not xlsx"
        raise _not_xlsx() from e
    data = WorkbookData()
    try:
        sheets = {ws.title.strip(): ws for ws in workbook.worksheets}
        if INSTITUTION_SHEET in sheets:
            data.institutions = _sheet_read(
                sheets[INSTITUTION_SHEET], INSTITUTION_SHEET, INSTITUTION_COLUMNS, data.errors
            )
        if EMPLOYEE_SHEET in sheets:
            data.employees = _sheet_read(
                sheets[EMPLOYEE_SHEET], EMPLOYEE_SHEET, EMPLOYEE_COLUMNS, data.errors
            )
    except Exception as e:  # sheets are parsed lazily, so a broken sheet fails here
        raise _not_xlsx() from e
    finally:
        workbook.close()
    if data.institutions is None and data.employees is None:
        raise _file_error(
            _(
                "The workbook has neither a sheet named %(institutions)s "
                "nor one named %(employees)s."
            )
            % {"institutions": INSTITUTION_SHEET, "employees": EMPLOYEE_SHEET}
        )
    return data


def _not_xlsx() -> ImportFailed:
    return _file_error(_("The file is not an Excel workbook (.xlsx). Start from the template."))


def _read_limited(file) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    too_large = _file_error(
        _("The file is larger than %(limit)s; split it into several workbooks.")
        % {"limit": filesizeformat(limit)}
    )
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise too_large
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(limit + 1)
    if len(content) > limit:
        raise too_large
    return content


def _header_text(value) -> str:
    # A trailing * is how people mark required columns by hand; it is not part of the name.
    return "" if value is None else str(value).strip().rstrip("*＊").strip()


def _sheet_is_empty(ws) -> bool:
    return all(_is_blank(v) for row in ws.iter_rows(values_only=True) for v in row)


def _sheet_read(ws, title: str, spec, errors: list[RowError]) -> SheetData | None:
    by_header = {c.header: c for c in spec}
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    columns: dict[str, ColumnRef] = {}
    unknown = []
    for index, cell in enumerate(header):
        name = _header_text(cell)
        if not name:
            continue
        letter = get_column_letter(index + 1)
        column = by_header.get(name)
        if column is None:
            unknown.append((name, letter))
        elif column.field in columns:
            message = _("This column appears twice; the other one is column %(letter)s.") % {
                "letter": columns[column.field].letter
            }
            errors.append(RowError(title, 1, name, letter, None, message))
        else:
            columns[column.field] = ColumnRef(name, letter, index)
    # A sheet left empty counts as absent: either sheet may be left out.
    if not columns and not unknown and _sheet_is_empty(ws):
        return None
    allowed = "、".join(c.header for c in spec)
    message = _("Unknown column; the columns of this sheet are: %(columns)s.") % {
        "columns": allowed
    }
    errors.extend(RowError(title, 1, name, letter, None, message) for name, letter in unknown)
    for column in spec:
        if column.required and column.field not in columns:
            errors.append(
                RowError(title, 1, column.header, "", None, _("This required column is missing."))
            )
    sheet = SheetData(title=title, spec=spec, columns=columns, rows=[])
    if not columns:
        return sheet
    width = max(ref.index for ref in columns.values()) + 1
    rows = ws.iter_rows(min_row=2, max_col=width, values_only=True)
    # Read-only openpyxl yields gap rows as empty tuples, so counting gives Excel's row number.
    for number, values in enumerate(rows, start=2):
        if all(_is_blank(v) for v in values):
            continue
        if number > MAX_ROWS_PER_SHEET + 1:
            message = _(
                "The sheet has more than %(max)s rows of data; split it into several workbooks."
            ) % {"max": f"{MAX_ROWS_PER_SHEET:,}"}
            errors.append(RowError(title, number, message=message))
            break
        cells = {
            f: values[ref.index] if ref.index < len(values) else None for f, ref in columns.items()
        }
        sheet.rows.append((number, cells))
    return sheet


# --- Validation (set-based reads) ---------------------------------------------------------------


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
            if _is_blank(raw):
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
            except _Invalid as e:
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
        raise _file_error(_("The workbook has no rows to import."))

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


# --- Writing ------------------------------------------------------------------------------------


def _differs(obj, fields: dict) -> bool:
    for name, value in fields.items():
        if name in ("group", "head", "institution"):
            if getattr(obj, f"{name}_id") != (value.pk if value is not None else None):
                return True
        elif getattr(obj, name) != value:
            return True
    return False


@contextmanager
def _reported_at(sheet: SheetData, number: int) -> Iterator[None]:
    """A row the services refuse although it passed validation (someone changed the data in
    between) ends the import; raising out of the transaction rolls everything back."""
    try:
        yield
    except ValidationError as e:
        errors = []
        if hasattr(e, "error_dict"):
            for name, messages in e.message_dict.items():
                target = None if name == NON_FIELD_ERRORS else name
                errors.extend(sheet.error(number, target, None, m) for m in messages)
        else:
            errors.extend(sheet.error(number, None, None, m) for m in e.messages)
        raise ImportFailed(errors) from e
    except (IntegrityError, ObjectDoesNotExist) as e:
        message = _(
            "This row clashes with a change someone else made during the import; nothing was "
            "imported, please try again."
        )
        raise ImportFailed([sheet.error(number, None, None, message)]) from e


def import_plan_apply(*, actor: User, plan: ImportPlan) -> ImportResult:
    """Write a validated plan in one transaction through the services (each audits its change)."""
    require_manage_orgs(actor)
    result = ImportResult()
    with transaction.atomic():
        institutions = dict(plan.existing_institutions)
        for row in plan.institutions:
            with _reported_at(plan.institution_sheet, row.number):
                if row.existing is None:
                    institution = services.institution_create(actor=actor, **row.fields)
                    result.institutions_created += 1
                elif _differs(row.existing, row.fields):
                    fields = {k: v for k, v in row.fields.items() if k != "code"}
                    institution = services.institution_update(
                        actor=actor, institution=row.existing, **fields
                    )
                    result.institutions_updated += 1
                else:
                    institution = row.existing
                    result.institutions_unchanged += 1
            institutions[institution.code] = institution
        for row in plan.employees:
            fields = row.fields | {"institution": institutions[row.institution_code]}
            with _reported_at(plan.employee_sheet, row.number):
                if row.existing is None:
                    services.employee_save(actor=actor, **fields)
                    result.employees_created += 1
                elif _differs(row.existing, fields):
                    services.employee_save(actor=actor, employee=row.existing, **fields)
                    result.employees_updated += 1
                else:
                    result.employees_unchanged += 1
    return result


def orgs_workbook_import(*, actor: User, file) -> ImportResult:
    """Import institutions and employees from an uploaded workbook, all or nothing. HR only.
    Raises ImportFailed listing every problem when anything is wrong; nothing is written then."""
    require_manage_orgs(actor)
    plan = workbook_validate(workbook_read(file))
    return import_plan_apply(actor=actor, plan=plan)


# --- The template -------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
EXAMPLE_FONT = Font(italic=True, color="808080")


def template_workbook_bytes() -> io.BytesIO:
    """The workbook HR fills in: 机构 and 员工 with headers and an example row each, and 说明."""
    workbook = openpyxl.Workbook()
    _template_sheet(workbook.active, INSTITUTION_SHEET, INSTITUTION_COLUMNS)
    _template_sheet(workbook.create_sheet(), EMPLOYEE_SHEET, EMPLOYEE_COLUMNS)
    _help_sheet(workbook.create_sheet(HELP_SHEET))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _template_sheet(ws, title: str, spec) -> None:
    ws.title = title
    last_row = MAX_ROWS_PER_SHEET + 1
    for index, column in enumerate(spec, start=1):
        letter = get_column_letter(index)
        head = ws.cell(row=1, column=index, value=column.header)
        head.font = HEADER_FONT
        head.fill = REQUIRED_FILL if column.required else OPTIONAL_FILL
        head.alignment = Alignment(horizontal="center", vertical="center")
        example = ws.cell(row=2, column=index, value=column.example)
        example.font = EXAMPLE_FONT
        example.number_format = column.number_format
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        # The column's format applies to rows HR adds: text keeps a staff number's leading 0.
        dimension.number_format = column.number_format
        if column.choices:
            validation = DataValidation(
                type="list", formula1='"{}"'.format(",".join(column.choices)), allow_blank=True
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"


def _help_sheet(ws) -> None:
    notes = [
        "第1行是表头：列的顺序不限，列名须与模板一致，不认识的列会报错；必填列（橙色表头）不能删。",
        "第2行是示例（灰色斜体），导入前请删除或改成真实数据。",
        "“机构”和“员工”两张表可以只保留一张；空行会被跳过。员工所属机构可以在同一工作簿的“机构”表中新建。",
        "机构按机构代码、员工按工号对应：系统中已有的更新，没有的新建。整列删除的可选列，对已有记录不做修改。",
        "是/否 列可填：是、否（也接受 true、false、1、0）。",
        "推进阶段可填：" + "、".join(STAGE_LABELS_ZH.values()) + "。",
        "数字按单元格中写的数原样读取，不做四舍五入：金额不小于0、最多两位小数；"
        "岗位系数大于0、最多两位小数；编制人数为不小于0的整数。",
        "导入是“全部或全不”：先检查所有行，只要有一处错误，任何数据都不写入，"
        "并列出全部错误（工作表、行号、列名、填写的值）。",
        f"每张表最多 {MAX_ROWS_PER_SHEET:,} 行数据；"
        f"文件不超过 {filesizeformat(settings.IMPORT_MAX_BYTES)}。",
        "每一处新增和修改都记入审计日志（操作人、时间、修改前后）。",
    ]
    ws.append(["注意事项"])
    ws["A1"].font = HEADER_FONT
    for note in notes:
        ws.append([note])  # one line each, overflowing into the empty cells on its right
    ws.append([])
    ws.append(["工作表", "列名", "必填", "说明"])
    table_start = ws.max_row
    for cell in ws[table_start]:
        cell.font = HEADER_FONT
        cell.fill = OPTIONAL_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, spec in SHEET_COLUMNS.items():
        for column in spec:
            ws.append([title, column.header, "是" if column.required else "否", column.help])
            for cell in ws[ws.max_row]:
                cell.alignment = wrap
    for letter, width in (("A", 10), ("B", 14), ("C", 6), ("D", 90)):
        ws.column_dimensions[letter].width = width
