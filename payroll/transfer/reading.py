"""Reading a payroll workbook: the shared fixed-format reader of orgs.importing (file guards,
headers matched by name, other columns ignored), with a few optional columns. No database."""

from django.utils.translation import gettext as _

from orgs.importing.reading import FormatData, format_read
from orgs.importing.results import file_error

from .columns import OPTIONAL_FIELDS, PAID_SHEETS, PAYROLL_SHEETS

PayrollWorkbookData = FormatData


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
    return format_read(file, specs, OPTIONAL_FIELDS)
