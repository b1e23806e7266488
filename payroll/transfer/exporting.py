"""The payroll of a month as one Excel sheet that payroll staff pay from as it is: a header row,
each institution's lines by staff number followed by its totals row, and a grand total when there is
more than one institution. Money is written as exact numbers (orgs.exporting's cell writer puts the
stored Decimal digits in the file, never a float's), formatted #,##0.00.

Only confirmed (or already exported) runs are exported for payment: a month with a draft in scope
is refused, naming the institutions. Writing streams: openpyxl's write-only mode and a database
iterator, so 200,000 lines never sit in memory at once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from orgs.access import has_role, institutions_visible_to
from orgs.exporting import HEADER_FONT, _header_cell
from orgs.importing import Column
from orgs.importing.template import column_layout
from orgs.models import Institution, Role, User
from orgs.streaming import ReusedCell, streaming_workbook

from .. import services
from ..models import PayrollLine, PayrollRun
from .columns import MONEY_FORMAT

SHEET_TITLE = "工资表"
PREVIEW_TITLE = "工资表（草稿预览）"  # drafts or provisional runs: not for payment
CHUNK_SIZE = 2000
TOTAL_LABEL = "合计"  # the totals row of an institution: "JG001 合计"
GRAND_TOTAL_LABEL = "总计"
EXPORTABLE = (PayrollRun.Status.CONFIRMED, PayrollRun.Status.EXPORTED)
ZERO = Decimal("0")


def _column(header: str, field: str, *, width: int, money: bool = False) -> Column:
    # An export column: orgs.importing's Column, whose parser is never called here.
    return Column(header, field, str, width=width, number_format=MONEY_FORMAT if money else "@")


EXPORT_COLUMNS = (
    _column("机构编码", "institution", width=14),
    _column("机构名称", "institution_name", width=20),
    _column("工号", "staff_number", width=12),
    _column("姓名", "name", width=12),
    _column("岗位工资", "post_wage", width=13, money=True),
    _column("薪级工资", "grade_wage", width=13, money=True),
    _column("特殊岗位津贴", "special_allowance", width=14, money=True),
    _column("基础性绩效", "basic", width=14, money=True),
    _column("奖励性绩效", "incentive", width=14, money=True),
    _column("考核奖金", "prize", width=14, money=True),
    _column("应发合计", "gross", width=16, money=True),
)
EXPORT_HEADERS = [c.header for c in EXPORT_COLUMNS]
MONEY_FIELDS = tuple(c.field for c in EXPORT_COLUMNS if c.number_format == MONEY_FORMAT)


def can_export(user) -> bool:
    return has_role(user, Role.HR, Role.PAYROLL)


def runs_for_export(
    *,
    user: User | None,
    month,
    institution: Institution | None = None,
    include_drafts: bool = False,
) -> list[PayrollRun]:
    """The month's runs to pay from: of every institution the user may run payroll for (HR all,
    a payroll officer theirs; `user=None` is the system), or of one. Refused (ValidationError)
    when a run in scope is still a draft, or when there is none. `include_drafts` (the
    export_payroll command) takes drafts too: the workbook is then marked as a preview."""
    if user is not None and not can_export(user):
        raise PermissionDenied
    runs = PayrollRun.objects.filter(month=services.month_start(month)).select_related(
        "institution"
    )
    if user is not None and not has_role(user, Role.HR):
        runs = runs.filter(institution__in=institutions_visible_to(user))
    if institution is not None:
        runs = runs.filter(institution=institution)
    runs = list(runs.order_by("institution__code"))
    drafts = [r.institution.code for r in runs if r.status not in EXPORTABLE]
    if drafts and not include_drafts:
        raise ValidationError(
            _(
                "Only confirmed payroll runs are exported for payment; the %(month)s runs of "
                "%(codes)s are still drafts. Confirm them first."
            )
            % {"month": f"{month:%Y-%m}", "codes": "、".join(drafts)},
            code="draft",
        )
    if not runs:
        raise ValidationError(
            _("There is no payroll run of %(month)s to export.") % {"month": f"{month:%Y-%m}"},
            code="empty",
        )
    return runs


def run_for_export(run: PayrollRun) -> list[PayrollRun]:
    """One run to pay from; a draft is refused."""
    if run.status not in EXPORTABLE:
        raise ValidationError(
            _(
                "Only confirmed payroll runs are exported for payment; the %(month)s run of "
                "%(codes)s is still a draft. Confirm it first."
            )
            % {"month": f"{run.month:%Y-%m}", "codes": run.institution.code},
            code="draft",
        )
    return [run]


def lines_count(runs: list[PayrollRun]) -> int:
    return PayrollLine.objects.filter(run__in=[r.pk for r in runs]).count()


@dataclass
class Totals:
    sums: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MONEY_FIELDS, ZERO))
    lines: int = 0

    def add(self, values: dict) -> None:
        for name in MONEY_FIELDS:
            self.sums[name] += values[name]
        self.lines += 1

    def add_money(self, amounts) -> None:
        """A line's money, in the order of MONEY_FIELDS."""
        for name, amount in zip(MONEY_FIELDS, amounts, strict=True):
            self.sums[name] += amount
        self.lines += 1


def payroll_workbook_write(
    runs: list[PayrollRun], target, *, progress: Callable[[int], None] | None = None
) -> int:
    """Write the runs' lines to `target` (a path or a binary file), by institution code and staff
    number, each institution followed by its totals row. Returns the number of lines written;
    `progress(done)` is called every CHUNK_SIZE lines. Two queries whatever the size."""
    runs = sorted(runs, key=lambda r: r.institution.code)
    workbook, ws = streaming_workbook(PREVIEW_TITLE if is_preview(runs) else SHEET_TITLE)
    # Column and sheet settings must come before the first row in write-only mode.
    for index, column in enumerate(EXPORT_COLUMNS, start=1):
        column_layout(ws, get_column_letter(index), column)
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, column) for column in EXPORT_COLUMNS])

    lines = (
        PayrollLine.objects.filter(run__in=[r.pk for r in runs])
        .order_by("run__institution__code", "staff_number")
        .values_list("run_id", "staff_number", "name", *MONEY_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    line_cells, total_cells = _RowCells(ws), _RowCells(ws, bold=True)
    pending = next(lines, None)
    grand, done = Totals(), 0
    for run in runs:
        code, name, totals = run.institution.code, run.institution.name, Totals()
        # Lines come in the runs' order (institution code, unique within a month).
        while pending is not None and pending[0] == run.pk:
            ws.append(line_cells.row((code, name, *pending[1:])))
            totals.add_money(pending[3:])
            done += 1
            if progress is not None and done % CHUNK_SIZE == 0:
                progress(done)
            pending = next(lines, None)
        totals_row = (f"{code} {TOTAL_LABEL}", name, None, None, *totals.sums.values())
        ws.append(total_cells.row(totals_row))
        grand.add(totals.sums)
    if len(runs) > 1:
        ws.append(total_cells.row((GRAND_TOTAL_LABEL, None, None, None, *grand.sums.values())))
    workbook.save(target)
    if progress is not None:
        progress(done)
    return done


class _RowCells:
    """The cells of a row, made and styled once and refilled for every row (orgs.streaming).
    Money is written as orgs.exporting writes it: the Decimal's own digits in a numeric cell,
    formatted #,##0.00. Lines leave their text cells (institution, its name, staff number, name)
    unstyled: a text value stays text without the "@" format, which the column keeps for cells HR
    adds; totals rows style every cell (bold)."""

    def __init__(self, ws, *, bold: bool = False):
        self.cells: list[ReusedCell | None] = [
            ReusedCell(ws, number_format=column.number_format, font=HEADER_FONT if bold else None)
            if bold or column.field in MONEY_FIELDS
            else None  # the value itself goes in the row
            for column in EXPORT_COLUMNS
        ]

    def row(self, values) -> list:
        """The row to append for `values`, in the order of EXPORT_COLUMNS."""
        return [
            value if cell is None else cell.put(value)
            for cell, value in zip(self.cells, values, strict=True)
        ]


def runs_mark_exported(*, actor: User | None, runs: list[PayrollRun]) -> None:
    """After the file is written: each confirmed run is exported for payment (and audited);
    drafts in a preview stay drafts."""
    for run in runs:
        if run.status in EXPORTABLE:
            services.payroll_run_mark_exported(actor=actor, run=run)


def is_preview(runs: list[PayrollRun]) -> bool:
    """A workbook with a draft or provisional run is a preview, not a payroll to pay from."""
    return any(r.status not in EXPORTABLE or r.provisional for r in runs)


def export_filename(month, institution: Institution | None = None) -> str:
    suffix = f"_{institution.code}" if institution is not None else ""
    return f"{SHEET_TITLE}_{month:%Y-%m}{suffix}.xlsx"
