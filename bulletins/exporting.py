"""A bulletin as an Excel workbook, from its frozen lines and warnings only (so the file of a
published bulletin is the same whenever it is downloaded):

* 排名: one row per institution, by group and rank, with a group column;
* 预警: one row per early warning, most serious first, with what it says;
* 通报信息: the year, kind, number, period, status and times.

Headers and words are Chinese whatever the UI language: the workbook is filed and circulated like
the printed bulletin. Points are numbers with two decimals."""

import io
from datetime import datetime

import openpyxl
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from orgs.streaming import cell_write, row_cells

from .models import Bulletin, BulletinLine
from .selectors import bulletin_lines
from .warnings import SEVERITY

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POINTS_FORMAT = "0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FONT = Font(bold=True)
RANKING_SHEET = "排名"
WARNING_SHEET = "预警"
INFO_SHEET = "通报信息"

KIND_ZH = {Bulletin.Kind.WEEKLY: "周报", Bulletin.Kind.MONTHLY: "月度通报"}
STATUS_ZH = {Bulletin.Status.DRAFT: "草稿", Bulletin.Status.PUBLISHED: "已发布"}
GRADE_ZH = {"qualified": "合格", "unqualified": "不合格"}
PRIZE_ZH = {1: "一等奖", 2: "二等奖", 3: "三等奖"}
WARNING_ZH = {
    "vetoed": "一票否决",
    "veto_near": "接近否决线",
    "below_line": "低于合格线",
    "prize_at_risk": "奖项不稳",
    "explanation_overdue": "情况说明逾期",
    "letter_unsigned": "责任书未签署",
    "report_overdue": "数据填报逾期",
    "no_report": "周报未报送",
}
WARNING_TEXT_ZH = {
    "vetoed": "一票否决类扣分{veto}分，已达否决线",
    "veto_near": "一票否决类扣分{veto}分，距否决线{to_line}分",
    "below_line": "总分{total}分，低于合格线{gap}分",
    "prize_at_risk": "现获{prize_zh}，仅领先下一名{margin}分",
    "explanation_overdue": "要求报送的情况说明已逾期",
    "letter_unsigned": "一把手目标责任书未签署",
    "report_overdue": "已过填报截止日，数据填报尚未报送",
    "no_report": "上一周未报送推进周报",
}


def movement_zh(line: BulletinLine) -> str:
    if line.movement == BulletinLine.Movement.NEW:
        return "新"
    if line.movement == BulletinLine.Movement.SAME:
        return "→"
    arrow = "↑" if line.movement == BulletinLine.Movement.UP else "↓"
    return f"{arrow}{abs(line.previous_rank - line.rank)}"


def warning_text_zh(warning: dict) -> str:
    template = WARNING_TEXT_ZH.get(warning.get("code"), "")
    figures = dict.fromkeys(("veto", "to_line", "total", "gap", "margin"), "—")
    figures.update({k: v for k, v in warning.items() if isinstance(v, str)})
    figures["prize_zh"] = PRIZE_ZH.get(warning.get("prize"), "奖项")
    return template.format(**figures)


# (header, width, value of a line, number format)
RANKING_COLUMNS = [
    ("组别", 12, lambda x: x.group_name, None),
    ("名次", 6, lambda x: x.rank, "0"),
    ("上期名次", 8, lambda x: x.previous_rank, "0"),
    ("升降", 6, movement_zh, None),
    ("机构编码", 10, lambda x: x.institution_code, None),
    ("机构名称", 22, lambda x: x.institution_name, None),
    ("公共目标", 10, lambda x: x.common, POINTS_FORMAT),
    ("业务目标", 10, lambda x: x.business, POINTS_FORMAT),
    ("执行力建设", 10, lambda x: x.execution, POINTS_FORMAT),
    ("加分", 8, lambda x: x.bonus, POINTS_FORMAT),
    ("一票否决类扣分", 10, lambda x: x.veto, POINTS_FORMAT),
    ("总分", 10, lambda x: x.total, POINTS_FORMAT),
    ("等次", 8, lambda x: GRADE_ZH.get(x.grade, x.grade), None),
    ("一票否决", 8, lambda x: "是" if x.vetoed else "", None),
    ("奖项", 8, lambda x: PRIZE_ZH.get(x.prize_level, ""), None),
    ("后进", 6, lambda x: "是" if x.lagging else "", None),
    ("预警", 30, lambda x: "、".join(WARNING_ZH.get(c, c) for c in x.warnings), None),
]
WARNING_COLUMNS = [("机构编码", 10), ("机构名称", 22), ("预警", 14), ("说明", 44)]


def _local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: the local (Asia/Shanghai) wall-clock time.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _sheet(workbook, title: str, columns: list[tuple[str, int]]):
    ws = workbook.create_sheet(title)
    # Column and sheet settings come before the first row in write-only mode.
    for index, (_header, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header = []
    for title_, _width in columns:
        cell = cell_write(WriteOnlyCell(ws), title_)
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    return ws


def _cell(ws, value, number_format=None) -> WriteOnlyCell:
    # Names are frozen from what users typed: text, never a formula (orgs.streaming).
    cell = cell_write(WriteOnlyCell(ws), value)
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif number_format and value is not None:
        cell.number_format = number_format
    return cell


def bulletin_workbook(bulletin: Bulletin) -> io.BytesIO:
    workbook = openpyxl.Workbook(write_only=True)
    ws = _sheet(workbook, RANKING_SHEET, [(h, w) for h, w, _v, _f in RANKING_COLUMNS])
    for _group, lines in bulletin_lines(bulletin):
        for line in lines:
            ws.append([_cell(ws, value(line), fmt) for _h, _w, value, fmt in RANKING_COLUMNS])

    ws = _sheet(workbook, WARNING_SHEET, WARNING_COLUMNS)
    for warning in sorted(
        bulletin.warnings,
        key=lambda w: (SEVERITY.get(w.get("code"), 99), w.get("institution_code", "")),
    ):
        ws.append(
            row_cells(
                ws,
                [
                    warning.get("institution_code", ""),
                    warning.get("institution_name", ""),
                    WARNING_ZH.get(warning.get("code"), warning.get("code")),
                    warning_text_zh(warning),
                ],
            )
        )

    ws = _sheet(workbook, INFO_SHEET, [("项目", 14), ("内容", 30)])
    for label, value in [
        ("年度", bulletin.scheme.year),
        ("类别", KIND_ZH.get(bulletin.kind, bulletin.kind)),
        ("期数", f"第{bulletin.number}期"),
        ("期间", f"{bulletin.period_start:%Y-%m-%d} 至 {bulletin.period_end:%Y-%m-%d}"),
        ("状态", STATUS_ZH.get(bulletin.status, bulletin.status)),
        ("考核结果计算时间", _local(bulletin.results_computed_at)),
        ("生成时间", _local(bulletin.generated_at)),
        ("发布时间", _local(bulletin.published_at)),
    ]:
        ws.append([_cell(ws, label), _cell(ws, value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def bulletin_filename(bulletin: Bulletin) -> str:
    """月度通报_2026_第3期_2026-10.xlsx / 周报_2026_第12期_2026-11-09.xlsx"""
    period = (
        f"{bulletin.period_start:%Y-%m}"
        if bulletin.kind == Bulletin.Kind.MONTHLY
        else f"{bulletin.period_start:%Y-%m-%d}"
    )
    kind = KIND_ZH.get(bulletin.kind, bulletin.kind)
    return f"{kind}_{bulletin.scheme.year}_第{bulletin.number}期_{period}.xlsx"
