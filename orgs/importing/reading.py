"""Reading an uploaded workbook: the file guards (size, a real xlsx, the zip guards of orgs.uploads)
and the cells of both sheets, headers matched by name. No database."""

import io
import os
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from ..uploads import validate_workbook
from .columns import (
    EMPLOYEE_COLUMNS,
    EMPLOYEE_SHEET,
    INSTITUTION_COLUMNS,
    INSTITUTION_SHEET,
    Column,
    is_blank,
)
from .results import ImportFailed, RowError, file_error

MAX_ROWS_PER_SHEET = 50_000


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
    workbook = workbook_open(file)
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
        raise file_error(
            _(
                "The workbook has neither a sheet named %(institutions)s "
                "nor one named %(employees)s."
            )
            % {"institutions": INSTITUTION_SHEET, "employees": EMPLOYEE_SHEET}
        )
    return data


def _not_xlsx() -> ImportFailed:
    return file_error(_("The file is not an Excel workbook (.xlsx). Start from the template."))


def _read_limited(file) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    too_large = file_error(
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
    return all(is_blank(v) for row in ws.iter_rows(values_only=True) for v in row)


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
        if all(is_blank(v) for v in values):
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


# --- Fixed formats (the year and payroll workbooks) -----------------------------------------------


@dataclass
class FormatData:
    """The sheets of a fixed-format workbook that are present, and the header problems."""

    sheets: dict[str, SheetData] = field(default_factory=dict)  # title -> the sheet, if present
    errors: list[RowError] = field(default_factory=list)

    def sheet(self, title: str) -> SheetData | None:
        return self.sheets.get(title)


def workbook_open(file):
    """The file guards every import shares — size, a real xlsx by content, the zip guards of
    orgs.uploads (no decompression bomb, no DTD) — then the workbook, read-only. Raises
    ImportFailed with a clear message otherwise; nothing is parsed before the guards pass."""
    content = _read_limited(file)
    name = os.path.basename(str(getattr(file, "name", "") or "")) or "workbook.xlsx"
    try:
        validate_workbook(io.BytesIO(content), name=name)
    except ValidationError as refusal:
        raise file_error(" ".join(refusal.messages)) from None
    try:
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on malformed input; all mean "not xlsx"
        raise _not_xlsx() from e


def format_read(file, specs: dict, optional: dict | None = None) -> FormatData:
    """The sheets of a fixed format ({title: column spec}): headers matched by name, columns of
    other names ignored (HR keeps notes beside the data), every column of the format required
    except the `optional` fields of a sheet ({title: {field, …}}). A sheet left out or left
    empty is absent."""
    workbook = workbook_open(file)
    data = FormatData()
    try:
        worksheets = {ws.title.strip(): ws for ws in workbook.worksheets}
        for title, spec in specs.items():
            if title in worksheets:
                sheet = _format_sheet_read(
                    worksheets[title],
                    title,
                    spec,
                    (optional or {}).get(title, frozenset()),
                    data.errors,
                )
                if sheet is not None:
                    data.sheets[title] = sheet
    except Exception as e:  # sheets are parsed lazily, so a broken sheet fails here
        raise _not_xlsx() from e
    finally:
        workbook.close()
    return data


def _format_sheet_read(ws, title: str, spec, optional, errors: list[RowError]) -> SheetData | None:
    by_header = {c.header: c for c in spec}
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    columns: dict[str, ColumnRef] = {}
    for index, cell in enumerate(header):
        column = by_header.get(_header_text(cell))
        if column is None:
            continue
        letter = get_column_letter(index + 1)
        if column.field in columns:
            message = _("This column appears twice; the other one is column %(letter)s.") % {
                "letter": columns[column.field].letter
            }
            errors.append(RowError(title, 1, column.header, letter, None, message))
        else:
            columns[column.field] = ColumnRef(column.header, letter, index)
    if not columns and _sheet_is_empty(ws):
        return None
    for column in spec:
        if column.field not in columns and column.field not in optional:
            errors.append(RowError(title, 1, column.header, "", None, _("This column is missing.")))
    sheet = SheetData(title=title, spec=spec, columns=columns, rows=[])
    if not columns:
        return sheet
    width = max(ref.index for ref in columns.values()) + 1
    rows = ws.iter_rows(min_row=2, max_col=width, values_only=True)
    # Read-only openpyxl yields gap rows as empty tuples, so counting gives Excel's row number.
    for number, values in enumerate(rows, start=2):
        cells = {
            f: values[ref.index] if ref.index < len(values) else None for f, ref in columns.items()
        }
        if all(is_blank(v) for v in cells.values()):
            continue
        if number > MAX_ROWS_PER_SHEET + 1:
            message = _(
                "The sheet has more than %(max)s rows of data; split it into several workbooks."
            ) % {"max": f"{MAX_ROWS_PER_SHEET:,}"}
            errors.append(RowError(title, number, message=message))
            break
        sheet.rows.append((number, cells))
    return sheet
