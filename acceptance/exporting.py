"""A batch's acceptance report as an Excel workbook: one row per institution, one column per item
of the standard (是/否), then the conclusion and, where the standard checks wages from payroll, what
that check found month by month (工资核验说明). Chinese whatever the UI language (the view
computes the rows in LANGUAGE): the workbook is filed with the acceptance records, like the printed
report."""

import io
import re

import openpyxl
from django.utils import timezone
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from orgs.streaming import row_cells

from .models import Batch, Inspection, StandardItem
from .selectors import InspectionRow

LANGUAGE = "zh-hans"
SHEET = "验收报告"
LEADING_HEADERS = ["机构编码", "机构名称", "轮次"]
CONCLUSION_HEADER = "结论"
PAYROLL_HEADER = "工资核验说明"
RESULT_ZH = {
    Inspection.Result.PASSED: "通过",
    Inspection.Result.FAILED: "未通过",
    Inspection.Result.PENDING: "待定",
}


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _has_payroll(items: list[StandardItem]) -> bool:
    return any(item.method == StandardItem.Method.PAYROLL for item in items)


def payroll_note(row: InspectionRow) -> str:
    """Why 工资按系统发放 is not met (each failing month with its reason), or the months that were
    checked when it is."""
    if row.payroll_failures:
        return "；".join(check.reason for check in row.payroll_failures)
    return "已核验：" + "、".join(f"{check.month:%Y-%m}" for check in row.payroll_checks)


def batch_report_headers(items: list[StandardItem]) -> list[str]:
    payroll = [PAYROLL_HEADER] if _has_payroll(items) else []
    return [*LEADING_HEADERS, *(item.text for item in items), CONCLUSION_HEADER, *payroll]


def batch_report_workbook(items: list[StandardItem], rows: list[InspectionRow]) -> io.BytesIO:
    """The matrix of selectors.batch_rows: header in row 1 (bold, frozen), one row per
    institution by code."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = SHEET
    # Every value through orgs.streaming's writer: item texts and names are typed by users, and a
    # text is a text cell, never a formula.
    ws.append(row_cells(ws, batch_report_headers(items)))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    payroll = _has_payroll(items)
    for row in rows:
        inspection = row.inspection
        ws.append(
            row_cells(
                ws,
                [
                    inspection.institution.code,
                    inspection.institution.name,
                    inspection.round,
                    *(_yes_no(mark) for mark in row.marks),
                    RESULT_ZH[inspection.result],
                    *([payroll_note(row)] if payroll else []),
                ],
            )
        )
    ws.freeze_panes = "A2"
    widths = [12, 24, 8, *([16] * len(items)), 10, *([60] if payroll else [])]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def batch_report_filename(batch: Batch, today=None) -> str:
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", batch.name)
    return f"{SHEET}_{name}_{today or timezone.localdate():%Y%m%d}.xlsx"
