"""The workbook HR fills in: the two sheets with their headers and an example row, and 说明.
Every value goes through orgs.streaming's writer, as in the exports: ours, but written one way."""

import io

import openpyxl
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..streaming import cell_write, row_cells
from .columns import (
    EMPLOYEE_COLUMNS,
    EMPLOYEE_SHEET,
    INSTITUTION_COLUMNS,
    INSTITUTION_SHEET,
    SHEET_COLUMNS,
    STAGE_LABELS_ZH,
)
from .reading import MAX_ROWS_PER_SHEET

TEMPLATE_FILENAME = "机构与员工导入模板.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HELP_SHEET = "说明"

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
EXAMPLE_FONT = Font(italic=True, color="808080")


def template_workbook_bytes() -> io.BytesIO:
    """The workbook HR fills in: 机构 and 员工 with headers and an example row each, and 说明."""
    workbook = openpyxl.Workbook()
    _template_sheet(workbook.active, INSTITUTION_SHEET, INSTITUTION_COLUMNS)
    _template_sheet(workbook.create_sheet(), EMPLOYEE_SHEET, EMPLOYEE_COLUMNS)
    _help_sheet(workbook.create_sheet(HELP_SHEET))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _template_sheet(ws, title: str, spec) -> None:
    ws.title = title
    for index, column in enumerate(spec, start=1):
        letter = get_column_letter(index)
        head = cell_write(ws.cell(row=1, column=index), column.header)
        head.font = HEADER_FONT
        head.fill = REQUIRED_FILL if column.required else OPTIONAL_FILL
        head.alignment = Alignment(horizontal="center", vertical="center")
        example = cell_write(ws.cell(row=2, column=index), column.example)
        example.font = EXAMPLE_FONT
        example.number_format = column.number_format
        column_layout(ws, letter, column)
    ws.freeze_panes = "A2"


def column_layout(ws, letter: str, column) -> None:
    """Width, number format and the drop-down of allowed values of one column, for the template
    and for exports alike (in write-only mode, call it before the first row)."""
    dimension = ws.column_dimensions[letter]
    dimension.width = column.width
    # The column's format applies to rows HR adds: text keeps a staff number's leading 0.
    dimension.number_format = column.number_format
    if column.choices:
        validation = DataValidation(
            type="list", formula1='"{}"'.format(",".join(column.choices)), allow_blank=True
        )
        validation.add(f"{letter}2:{letter}{MAX_ROWS_PER_SHEET + 1}")
        ws.data_validations.append(validation)


def _help_sheet(ws) -> None:
    notes = [
        "第1行是表头：列的顺序不限，列名须与模板一致，不认识的列会报错；必填列（橙色表头）不能删。",
        "第2行是示例（灰色斜体），导入前请删除或改成真实数据。",
        "“机构”和“员工”两张表可以只保留一张；空行会被跳过。员工所属机构可以在同一工作簿的“机构”表中新建。",
        "机构按机构代码、员工按工号对应：系统中已有的更新，没有的新建。整列删除的可选列，对已有记录不做修改。",
        "是/否 列可填：是、否（也接受 true、false、1、0）。",
        "推进阶段可填：" + "、".join(STAGE_LABELS_ZH.values()) + "。",
        "数字按单元格中写的数原样读取，不做四舍五入：金额不小于0、最多两位小数；"
        "岗位系数大于0、最多两位小数；编制人数为不小于0的整数。",
        "导入是“全部或全不”：先检查所有行，只要有一处错误，任何数据都不写入，"
        "并列出全部错误（工作表、行号、列名、填写的值）。",
        f"每张表最多 {MAX_ROWS_PER_SHEET:,} 行数据；"
        f"文件不超过 {filesizeformat(settings.IMPORT_MAX_BYTES)}。",
        "每一处新增和修改都记入审计日志（操作人、时间、修改前后）。",
    ]
    ws.append(row_cells(ws, ["注意事项"]))
    ws["A1"].font = HEADER_FONT
    for note in notes:
        # one line each, overflowing into the empty cells on its right
        ws.append(row_cells(ws, [note]))
    ws.append([])
    ws.append(row_cells(ws, ["工作表", "列名", "必填", "说明"]))
    table_start = ws.max_row
    for cell in ws[table_start]:
        cell.font = HEADER_FONT
        cell.fill = OPTIONAL_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, spec in SHEET_COLUMNS.items():
        for column in spec:
            required = "是" if column.required else "否"
            ws.append(row_cells(ws, [title, column.header, required, column.help]))
            for cell in ws[ws.max_row]:
                cell.alignment = wrap
    for letter, width in (("A", 10), ("B", 14), ("C", 6), ("D", 90)):
        ws.column_dimensions[letter].width = width


def format_template_bytes(specs: dict, notes: list[str]) -> io.BytesIO:
    """The template of a fixed-format workbook: one sheet per {title: column spec} with its
    headers and example row, then a 说明 sheet with the notes and every column explained."""
    workbook = openpyxl.Workbook()
    for index, (title, spec) in enumerate(specs.items()):
        _template_sheet(workbook.active if index == 0 else workbook.create_sheet(), title, spec)
    ws = workbook.create_sheet(HELP_SHEET)
    ws.append(row_cells(ws, ["注意事项"]))
    ws["A1"].font = HEADER_FONT
    for note in notes:
        ws.append(row_cells(ws, [note]))
    ws.append([])
    ws.append(row_cells(ws, ["工作表", "列名", "必填", "说明"]))
    for cell in ws[ws.max_row]:
        cell.font = HEADER_FONT
        cell.fill = OPTIONAL_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, spec in specs.items():
        for column in spec:
            required = "是" if column.required else "否"
            ws.append(row_cells(ws, [title, column.header, required, column.help]))
            for cell in ws[ws.max_row]:
                cell.alignment = wrap
    for letter, width in (("A", 12), ("B", 16), ("C", 6), ("D", 90)):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer
