"""Excel import of institutions and employees (DESIGN.md §1). HR fills in the template workbook
(sheets 机构 and 员工) and uploads it; the import is all or nothing.

1. `workbook_read` (reading.py): the file is checked (size, a real xlsx, not a decompression
   bomb) and the cells of both sheets are read, headers matched by name. No database access.
2. `workbook_validate` (validation.py): every row of every sheet is parsed (the parsers and the
   sheet layouts are in columns.py) and checked against the database, loaded in a few set-based
   queries; every error is collected, and if there is any the import stops with `ImportFailed`
   listing them all.
3. `import_plan_apply` (writing.py): one transaction writes every row through orgs.services, so
   each change is validated again and audited exactly like a change made in a form.

The template HR starts from is built in template.py, from the same column specs.

Rules, also written for HR in the template's 说明 sheet:

* A row is keyed on 机构代码 / 工号: an existing one is updated, a new one created.
* Column order is free. A column left out of a sheet leaves that field of existing rows as it
  is (new rows take the default); so does a blank cell, except 考核组别 and 一把手账号, where
  blank means "none" (it is the only way to say none there).
* Numbers are read exactly as written (Decimal from the cell's text, never float arithmetic); a
  value with more decimals than allowed is refused, not rounded.
"""

from .columns import (
    EMPLOYEE_COLUMNS,
    EMPLOYEE_SHEET,
    INSTITUTION_COLUMNS,
    INSTITUTION_SHEET,
    STAGE_LABELS_ZH,
    Column,
)
from .reading import WorkbookData, workbook_read
from .results import ImportFailed, ImportResult, RowError
from .template import TEMPLATE_FILENAME, XLSX_CONTENT_TYPE, template_workbook_bytes
from .validation import ImportPlan, workbook_validate
from .writing import import_plan_apply, orgs_workbook_import

__all__ = [
    "EMPLOYEE_COLUMNS",
    "EMPLOYEE_SHEET",
    "INSTITUTION_COLUMNS",
    "INSTITUTION_SHEET",
    "STAGE_LABELS_ZH",
    "TEMPLATE_FILENAME",
    "XLSX_CONTENT_TYPE",
    "Column",
    "ImportFailed",
    "ImportPlan",
    "ImportResult",
    "RowError",
    "WorkbookData",
    "import_plan_apply",
    "orgs_workbook_import",
    "template_workbook_bytes",
    "workbook_read",
    "workbook_validate",
]
