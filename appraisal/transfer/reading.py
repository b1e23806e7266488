"""Reading a year workbook: the shared fixed-format reader of orgs.importing (file guards, headers
matched by name, other columns ignored, every column of the format required but the optional
ones). No database."""

from django.utils.translation import gettext as _

from orgs.importing.reading import FormatData, format_read
from orgs.importing.results import file_error

from .columns import INDICATOR_SHEET, SCHEME_SHEET, SHEET_COLUMNS

# Columns a workbook may leave out: 评分规则 and 评分人 came later (issue 17); a workbook made
# before them leaves every indicator's scorers as they are.
OPTIONAL_COLUMNS = {INDICATOR_SHEET: frozenset({"aggregation", "scorers"})}

YearWorkbookData = FormatData


def year_workbook_read(file) -> YearWorkbookData:
    """The cells of the year workbook's sheets. Raises ImportFailed for a file that is too large,
    not an xlsx, or without a 方案 sheet; header problems are kept in `errors` so that they are
    reported together with the row problems. A sheet that is left out (or left empty) is absent."""
    data = format_read(file, SHEET_COLUMNS, OPTIONAL_COLUMNS)
    if SCHEME_SHEET not in data.sheets:
        raise file_error(
            _("The workbook has no sheet named %(sheet)s: it says which year is imported.")
            % {"sheet": SCHEME_SHEET}
        )
    return data
