"""A whole appraisal year in one Excel workbook (DESIGN.md §2): how HR loads a year in one go, and
the rankings sheet the product owner checks it with. The organisation's own import
(orgs.importing) lends its file guards, cell parsers, RowError and ImportFailed.

Import (`manage.py import_year FILE --actor HR` and the HR page `appraisal:year_import`):

1. `year_workbook_read` (reading.py): the file guards, then the cells of the sheets 方案,
   考核组别, 机构, 指标, 评分, headers matched by name; columns of other names are ignored.
2. `year_workbook_validate` (validation.py): every row is parsed and checked against the
   database, read in a fixed number of set-based queries; the maxima of the indicators are
   checked as `scheme_check` would on the year as it will be after the import (for every
   institution in a group, per part). Every problem is collected; if there is any, nothing is
   written and YearImportFailed lists them all with sheet, row, column and value.
3. `year_plan_apply` (importing.py): one transaction, every change through the services —
   groups and their prize tables, institutions (orgs.services), the scheme (created, or updated
   while a draft), the indicators (while a draft), opening the year if it was a draft, then the
   ledger — and after the commit one synchronous `year_results_recompute`.

A year that is open or in review takes a workbook whose 方案 settings and 指标 sheet equal the
scheme's (they no longer change); a published year refuses the import entirely.

Re-import rule (the ledger): the 评分 sheet *replaces what earlier imports wrote*. Every official
entry with `source="import"` that is not a reversal and not yet reversed is reversed (a new entry
pointing at it, so history stays), then every row of the sheet is recorded as a new entry with
`source="import"`. Entries made on the pages or through the API are left alone; a workbook
without a 评分 sheet leaves the ledger alone; a row of 0 points records nothing. Imported
entries are made by the HR actor, so bonus and veto entries count at once (HR approves them).
This costs two entries per row on each re-import, but each import is visible as one block of
the ledger, which is easier to audit than a diff of sums.

Export (`manage.py export_rankings YEAR -o FILE` and `appraisal:rankings_export`): exporting.py.
The template HR starts from: template.py.
"""

from .columns import SHEET_COLUMNS
from .exporting import (
    RANKING_COLUMNS,
    rankings_filename,
    rankings_workbook,
    rankings_workbook_all,
)
from .importing import year_plan_apply, year_workbook_import
from .reading import year_workbook_read
from .results import YearImportFailed, YearImportResult
from .template import TEMPLATE_FILENAME, year_template_bytes
from .validation import YearPlan, year_workbook_validate

__all__ = [
    "RANKING_COLUMNS",
    "SHEET_COLUMNS",
    "TEMPLATE_FILENAME",
    "YearImportFailed",
    "YearImportResult",
    "YearPlan",
    "rankings_filename",
    "rankings_workbook",
    "rankings_workbook_all",
    "year_plan_apply",
    "year_template_bytes",
    "year_workbook_import",
    "year_workbook_read",
    "year_workbook_validate",
]
