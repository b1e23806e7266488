"""Payroll through Excel (DESIGN.md §5, docs/PAYROLL.md): the policies, coefficients, employees and
their grades in; the month's payroll out, for payment; the wages actually paid back in, for
reconciliation. The organisation's import (orgs.importing) lends its file guards, cell parsers,
RowError and ImportFailed; orgs.exporting its exact number cells.

Import (`manage.py import_payroll FILE --actor HR` and the HR page `payroll:import`):

1. `payroll_workbook_read` (reading.py): the file guards, then the sheets 工资政策, 奖励系数,
   个人等次系数 and 员工, headers matched by name; other columns are ignored, a sheet left out
   changes nothing.
2. `payroll_workbook_validate` (validation.py): every row parsed and checked against the database
   in a fixed number of set-based queries: 基础性比例 within 0.5–0.7, institutions known, money
   with at most two decimals and coefficients three, one policy per year and institution, one year
   settled per month, and the 优秀 cap of every institution touched, counted on its formal staff
   as they will be after the import, with the imported 比例上限 if there is one. Every problem is
   collected; if there is any, nothing is written.
3. `payroll_plan_apply` (importing.py): one transaction, through the services: coefficients_save,
   orgs.services.employee_save (created or updated by 工号), policy_save (after the employees, so
   that N counts them), grades_save per institution.

The 个人等次 of the 员工 sheet are recorded for the 考核年度 of the 工资政策 sheet; when that sheet
holds several years, for the latest of them (the year whose grades are being set now: earlier
years' incentives are usually settled already). A blank 个人等次 records 合格. Without a 工资政策
sheet no grade is recorded, and a 个人等次 cell must be left blank. Blank money cells of the 员工
sheet are 0 (a payroll sheet states every part of the wage); the optional column 岗位 sets the
post, which a new employee without it gets as "未填". The import never changes 在职: an employee
who has left stays left, and does not count as formal staff.

Export (`manage.py export_payroll YYYY-MM -o FILE`, `payroll:run_export`, `payroll:month_export`,
and the Celery job `payroll.export_month` with `payroll:export_status`): exporting.py, jobs.py.
Paid wages (`manage.py import_paid YYYY-MM FILE`, `payroll:paid_import`): paid.py.

The pages import in two steps (staging.py): the upload is checked (`payroll_workbook_check`,
`paid_workbook_check`: read and validated, nothing written) and kept while the page says what
importing it will write; the confirmed POST imports the kept file.
"""

from .columns import PAID_SHEETS, PAYROLL_SHEETS, parse_month_text
from .exporting import (
    EXPORT_HEADERS,
    export_filename,
    payroll_workbook_write,
    run_for_export,
    runs_for_export,
    runs_mark_exported,
)
from .importing import (
    PayrollPlanSummary,
    payroll_plan_apply,
    payroll_workbook_check,
    payroll_workbook_import,
)
from .jobs import export_job_get, export_job_start, export_month, export_path
from .paid import PaidSummary, paid_workbook_check, paid_workbook_import
from .reading import paid_workbook_read, payroll_workbook_read
from .results import PaidImportResult, PayrollImportFailed, PayrollImportResult
from .staging import upload_discard, upload_get, upload_stage
from .template import TEMPLATE_FILENAME, payroll_template_bytes
from .validation import PayrollPlan, payroll_workbook_validate

__all__ = [
    "EXPORT_HEADERS",
    "PAID_SHEETS",
    "PAYROLL_SHEETS",
    "TEMPLATE_FILENAME",
    "PaidImportResult",
    "PaidSummary",
    "PayrollImportFailed",
    "PayrollImportResult",
    "PayrollPlan",
    "PayrollPlanSummary",
    "export_filename",
    "export_job_get",
    "export_job_start",
    "export_month",
    "export_path",
    "paid_workbook_check",
    "paid_workbook_import",
    "paid_workbook_read",
    "parse_month_text",
    "payroll_plan_apply",
    "payroll_template_bytes",
    "payroll_workbook_check",
    "payroll_workbook_import",
    "payroll_workbook_read",
    "payroll_workbook_validate",
    "payroll_workbook_write",
    "run_for_export",
    "runs_for_export",
    "runs_mark_exported",
    "upload_discard",
    "upload_get",
    "upload_stage",
]
