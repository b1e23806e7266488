"""A batch's acceptance report as an Excel workbook: one row per institution, one column per item
of the standard (是/否), then the conclusion. The headers are Chinese whatever the UI language:
the workbook is filed with the acceptance records, like the printed report."""

import io
import re

import openpyxl
from django.utils import timezone
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .models import Batch, Inspection, StandardItem
from .selectors import InspectionRow

SHEET = "验收报告"
LEADING_HEADERS = ["机构编码", "机构名称", "轮次"]
CONCLUSION_HEADER = "结论"
RESULT_ZH = {
    Inspection.Result.PASSED: "通过",
    Inspection.Result.FAILED: "未通过",
    Inspection.Result.PENDING: "待定",
}


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def batch_report_headers(items: list[StandardItem]) -> list[str]:
    return [*LEADING_HEADERS, *(item.text for item in items), CONCLUSION_HEADER]


def batch_report_workbook(items: list[StandardItem], rows: list[InspectionRow]) -> io.BytesIO:
    """The matrix of selectors.batch_rows: header in row 1 (bold, frozen), one row per
    institution by code."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = SHEET
    ws.append(batch_report_headers(items))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        inspection = row.inspection
        ws.append(
            [
                inspection.institution.code,
                inspection.institution.name,
                inspection.round,
                *(_yes_no(mark) for mark in row.marks),
                RESULT_ZH[inspection.result],
            ]
        )
    ws.freeze_panes = "A2"
    widths = [12, 24, 8, *([16] * len(items)), 10]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def batch_report_filename(batch: Batch, today=None) -> str:
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", batch.name)
    return f"{SHEET}_{name}_{today or timezone.localdate():%Y%m%d}.xlsx"
