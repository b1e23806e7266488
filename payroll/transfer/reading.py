"""Reading a payroll workbook: orgs.importing's file guards (size, a real xlsx, not a decompression
bomb), then the cells of the sheets of a format, headers matched by name. No database."""

import io
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from orgs.importing.columns import is_blank
from orgs.importing.reading import (
    MAX_ROWS_PER_SHEET,
    MAX_UNPACKED_BYTES,
    ColumnRef,
    SheetData,
    _header_text,
    _not_xlsx,
    _read_limited,
)
from orgs.importing.results import RowError, file_error

from .columns import OPTIONAL_FIELDS, PAID_SHEETS, PAYROLL_SHEETS


@dataclass
class PayrollWorkbookData:
    sheets: dict[str, SheetData] = field(default_factory=dict)  # title -> the sheet, if present
    errors: list[RowError] = field(default_factory=list)  # header problems found while reading

    def sheet(self, title: str) -> SheetData | None:
        return self.sheets.get(title)


def payroll_workbook_read(file) -> PayrollWorkbookData:
    """The cells of the sheets 工资政策, 奖励系数, 个人等次系数 and 员工. Raises ImportFailed for a
    file that is too large, not an xlsx, or with none of them."""
    data = _workbook_read(file, PAYROLL_SHEETS)
    if not data.sheets:
        raise file_error(
            _("The workbook has none of the sheets %(sheets)s.")
            % {"sheets": "、".join(PAYROLL_SHEETS)}
        )
    return data


def paid_workbook_read(file) -> PayrollWorkbookData:
    """The cells of the 实发工资 sheet (工号, 应发合计; other columns are ignored)."""
    data = _workbook_read(file, PAID_SHEETS)
    if not data.sheets:
        raise file_error(
            _("The workbook has no sheet named %(sheet)s.") % {"sheet": "、".join(PAID_SHEETS)}
        )
    return data


def _workbook_read(file, specs: dict) -> PayrollWorkbookData:
    content = _read_limited(file)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _not_xlsx() from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise file_error(_("The workbook unpacks to too much data to be a real import file."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on malformed input; all mean "not xlsx"
        raise _not_xlsx() from e
    data = PayrollWorkbookData()
    try:
        worksheets = {ws.title.strip(): ws for ws in workbook.worksheets}
        for title, spec in specs.items():
            if title in worksheets:
                sheet = _sheet_read(worksheets[title], title, spec, data.errors)
                if sheet is not None:
                    data.sheets[title] = sheet
    except Exception as e:  # sheets are parsed lazily, so a broken sheet fails here
        raise _not_xlsx() from e
    finally:
        workbook.close()
    return data


def _sheet_is_empty(ws) -> bool:
    return all(is_blank(v) for row in ws.iter_rows(values_only=True) for v in row)


def _sheet_read(ws, title: str, spec, errors: list[RowError]) -> SheetData | None:
    """Like the year workbook's reader: columns of other names are ignored (payroll keeps notes
    beside the data) and every column of the format must be there, but for a few optional ones."""
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
    optional = OPTIONAL_FIELDS.get(title, frozenset())
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
