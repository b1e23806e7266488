"""The year workbook's sheets: their names, their columns (orgs.importing's Column specs) and the
parsers of the appraisal's own cell values. The generic parsers (text, exact decimals, counts,
money) are orgs.importing's. No database."""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _

from orgs.importing import Column
from orgs.importing.columns import (
    InvalidCell,
    _parse_count,
    _parse_money,
    _parse_text,
    _to_decimal,
    _two_decimals,
)

from ..models import Aggregation, Direction, LedgerEntry, Method, Part, Period

SCHEME_SHEET = "方案"
GROUP_SHEET = "考核组别"
INSTITUTION_SHEET = "机构"
INDICATOR_SHEET = "指标"
TARGET_SHEET = "目标"
SCORE_SHEET = "评分"
SHEET_ORDER = (
    SCHEME_SHEET,
    GROUP_SHEET,
    INSTITUTION_SHEET,
    INDICATOR_SHEET,
    TARGET_SHEET,
    SCORE_SHEET,
)

# The Chinese words of the workbook, as the appraisal rules write them.
PART_LABELS = {"公共目标": Part.COMMON, "业务目标": Part.BUSINESS, "执行力建设": Part.EXECUTION}
# 计分方式: (method, direction). The three completion-ratio words score from the 目标 sheet.
METHOD_LABELS = {
    "扣分": (Method.DEDUCT, ""),
    "计分": (Method.ADD, ""),
    "完成率": (Method.RATIO, Direction.HIGHER),
    "逆向完成率": (Method.RATIO, Direction.LOWER),
    "按期": (Method.RATIO, Direction.DEADLINE),
}
METHOD_ALIASES = {
    "扣分制": (Method.DEDUCT, ""),
    "计分制": (Method.ADD, ""),
    "按期完成": (Method.RATIO, Direction.DEADLINE),
}
METHOD_WORDS = {pair: word for word, pair in METHOD_LABELS.items()}
PERIOD_LABELS = {"上半年": Period.H1, "下半年": Period.H2, "全年": Period.YEAR}
HALF_YEAR_LABELS = {"上半年": Period.H1, "下半年": Period.H2}
KIND_LABELS = {
    "指标": LedgerEntry.Kind.INDICATOR,
    "加分": LedgerEntry.Kind.BONUS,
    "否决": LedgerEntry.Kind.VETO,
}
KIND_ALIASES = {"一票否决": LedgerEntry.Kind.VETO}
PRIZE_LABELS = {1: "一等奖", 2: "二等奖", 3: "三等奖"}
CODE_SEPARATORS = (",", "，", "、")  # 适用机构: half- and full-width commas, and 、

POINTS_LIMIT = Decimal("1000000")  # points are max_digits=8, decimal_places=2
MAX_WINNERS = 999  # as on the group form


def _choice(labels: dict, aliases: dict | None = None) -> Callable[[object], str]:
    words = {**labels, **(aliases or {})}

    def parse(value) -> str:
        text = _parse_text(value)
        if text in words:
            return words[text]
        raise InvalidCell(_("Use one of %(words)s.") % {"words": " / ".join(labels)})

    return parse


def _points(value) -> Decimal:
    """Points as written, signed, at most two decimals (never rounded for HR)."""
    number = _two_decimals(_to_decimal(value))
    if abs(number) >= POINTS_LIMIT:
        raise InvalidCell(_("The number is too large."))
    return number


def _parse_points(value) -> Decimal:
    return _points(value)


def _parse_points_not_negative(value) -> Decimal:
    number = _points(value)
    if number < 0:
        raise InvalidCell(_("Cannot be negative."))
    return number


def _parse_points_positive(value) -> Decimal:
    number = _points(value)
    if number <= 0:
        raise InvalidCell(_("Must be greater than zero."))
    return number


FIGURE_LIMIT = Decimal("1000000000000")  # Target's figures: max_digits=16, decimal_places=4
FIGURE_PLACES = Decimal("0.0001")
DATE_TEXT = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def _parse_figure(value) -> Decimal:
    """A target or actual value as written: at most four decimals, never rounded."""
    number = _to_decimal(value)
    if abs(number) >= FIGURE_LIMIT:
        raise InvalidCell(_("The number is too large."))
    if number != number.quantize(FIGURE_PLACES):
        raise InvalidCell(_("Use at most four decimals; the value is not rounded for you."))
    return number


def _parse_date(value) -> datetime.date:
    """An Excel date, or text written YYYY-MM-DD (also YYYY/MM/DD)."""
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0, 0):
            raise InvalidCell(_("A date without a time of day."))
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        match = DATE_TEXT.fullmatch(value.strip())
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
            raise InvalidCell(_("Not a date of the calendar."))
    raise InvalidCell(_("Write a date as YYYY-MM-DD, or as an Excel date."))


def _parse_year(value) -> int:
    year = _parse_count(value)
    if not 1900 <= year <= 9999:
        raise InvalidCell(_("Not a year."))
    return year


def _parse_winners(value) -> int:
    count = _parse_count(value)
    if count > MAX_WINNERS:
        raise InvalidCell(_("At most %(max)s winners.") % {"max": MAX_WINNERS})
    return count


def _parse_codes(value) -> tuple[str, ...]:
    """适用机构: codes separated by commas; each once, in the order written."""
    text = _parse_text(value)
    for separator in CODE_SEPARATORS[1:]:
        text = text.replace(separator, CODE_SEPARATORS[0])
    codes = [code.strip() for code in text.split(CODE_SEPARATORS[0])]
    return tuple(dict.fromkeys(code for code in codes if code))


# 评分规则 of an indicator with several scorers (docs/SCORING.md, "Several scorers").
AGGREGATION_LABELS = {
    "累加": Aggregation.SUM,
    "平均": Aggregation.AVERAGE,
    "加权": Aggregation.WEIGHTED,
}
AGGREGATION_ALIASES = {"算术平均": Aggregation.AVERAGE, "加权平均": Aggregation.WEIGHTED}
SCORER_SEPARATORS = (",", "，", "、", ";", "；")
WEIGHT_PLACES = Decimal("0.0001")


def _parse_scorers(value) -> tuple[tuple[str, Decimal | None], ...]:
    """评分人: departments (code or name) and leaders (account) separated by commas, each with
    ":weight" for a weighted average, e.g. "督查室:0.5, AQ:0.3, leader:0.2". Names are resolved
    by the validation."""
    text = _parse_text(value)
    for separator in SCORER_SEPARATORS[1:]:
        text = text.replace(separator, SCORER_SEPARATORS[0])
    scorers = []
    for item in text.split(SCORER_SEPARATORS[0]):
        name, _colon, weight = item.replace("：", ":").partition(":")
        name, weight = name.strip(), weight.strip()
        if not name:
            if weight:
                raise InvalidCell(_("Write each scorer's name before its weight."))
            continue
        number = None
        if weight:
            number = _to_decimal(weight)
            if number != number.quantize(WEIGHT_PLACES):
                raise InvalidCell(_("A weight has at most four decimals."))
        scorers.append((name, number))
    return tuple(scorers)


# fmt: off
POINTS_FORMAT = "0.00"
MONEY_FORMAT = "#,##0.00"
SCHEME_COLUMNS = (
    Column("年度", "year", _parse_year, required=True, example=2026, width=8, number_format="0",
           help="必填。考核年度，如 2026。系统中已有该年度方案的：草稿状态下按本表更新设置；"
           "已开始评分的，本表须与系统中的设置完全一致；已发布的年度拒绝导入。"),
    Column("公共目标分值", "common_max", _parse_points_not_negative, required=True,
           example=Decimal("300.00"), number_format=POINTS_FORMAT,
           help="必填。公共目标满分（默认300），不小于0，最多两位小数。"),
    Column("业务目标分值", "business_max", _parse_points_not_negative, required=True,
           example=Decimal("300.00"), number_format=POINTS_FORMAT,
           help="必填。业务目标满分（默认300）。"),
    Column("执行力建设分值", "execution_max", _parse_points_not_negative, required=True,
           example=Decimal("400.00"), width=16, number_format=POINTS_FORMAT,
           help="必填。执行力建设满分（默认400）。"),
    Column("合格线", "qualify_line", _parse_points_not_negative, required=True,
           example=Decimal("800.00"), number_format=POINTS_FORMAT,
           help="必填。总分达到此分为合格（默认800）。"),
    Column("否决线", "veto_line", _parse_points_positive, required=True,
           example=Decimal("30.00"), number_format=POINTS_FORMAT,
           help="必填。全年一票否决类扣分累计达到此分即一票否决（默认30），大于0。"),
    Column("加分上限", "bonus_cap", _parse_points_not_negative, required=True,
           example=Decimal("20.00"), number_format=POINTS_FORMAT,
           help="必填。全年加分计入总分的上限（默认20）。"),
)
GROUP_COLUMNS = (
    Column("组别编码", "code", _parse_text, required=True, example="G1",
           help="必填。系统中已有的编码更新该组别，新编码新建组别。"),
    Column("组别名称", "name", _parse_text, required=True, example="第一组",
           help="必填。不得与其他组别重名。"),
    *(
        column
        for level, prize in PRIZE_LABELS.items()
        for column in (
            Column(f"{prize}名额", f"winners_{level}", _parse_winners, example=1, width=12,
                   number_format="0", help=f"{prize}获奖机构数，不小于0的整数；留空为0。"),
            Column(f"{prize}金额", f"amount_{level}", _parse_money,
                   example=Decimal(("50000.00", "30000.00", "10000.00")[level - 1]), width=14,
                   number_format=MONEY_FORMAT,
                   help=f"{prize}奖金（元），不小于0，最多两位小数；留空为0。"),
        )
    ),
)
INSTITUTION_COLUMNS = (
    Column("机构编码", "code", _parse_text, required=True, example="A001",
           help="必填。系统中已有的编码更新该机构的名称和组别，新编码新建机构。"),
    Column("机构名称", "name", _parse_text, required=True, example="示例机构", width=24,
           help="必填。最多100字，不得与其他机构重名。"),
    Column("组别编码", "group", _parse_text, blank_is_none=True, example="G1",
           help="本表“考核组别”或系统中已有组别的编码。留空表示不分组（不参加排名）。"),
)
INDICATOR_COLUMNS = (
    Column("指标编码", "code", _parse_text, required=True, example="C01",
           help="必填。同一年度内唯一。"),
    Column("考核部分", "part", _choice(PART_LABELS), required=True, example="公共目标",
           choices=tuple(PART_LABELS),
           help="必填。公共目标 / 业务目标 / 执行力建设。"
           "每个机构适用的指标分值之和须等于该部分满分。"),
    Column("指标名称", "name", _parse_text, required=True, example="安全生产", width=24,
           help="必填。最多200字。"),
    Column("分值", "max_points", _parse_points_positive, required=True,
           example=Decimal("300.00"), width=10, number_format=POINTS_FORMAT,
           help="必填。指标满分，大于0，最多两位小数。"),
    Column("计分方式", "method", _choice(METHOD_LABELS, METHOD_ALIASES), required=True,
           example="扣分", width=12, choices=tuple(METHOD_LABELS),
           help="必填。扣分（从满分中扣减）/ 计分（从0累加，不超过满分）/ "
           "完成率（分值×实际值÷目标值）/ "
           "逆向完成率（分值×目标值÷实际值，差错率、位次等越低越好）/ "
           "按期（完成日期不晚于截止日期得满分，否则0分）。后三种按“目标”表的数据每半年计分，"
           "只用于公共目标、业务目标。"),
    Column("评分科室", "department", _parse_text, required=True, example="安全生产科", width=16,
           help="必填。系统中已有评分科室的名称或编码。"),
    Column("适用机构", "institutions", _parse_codes, blank_is_none=True, example=None, width=30,
           help="适用的机构编码，用逗号（, 或 ，）分隔；留空表示适用于全部机构。"),
    Column("评分规则", "aggregation", _choice(AGGREGATION_LABELS, AGGREGATION_ALIASES),
           blank_is_none=True, example=None, width=10, choices=tuple(AGGREGATION_LABELS),
           help="选填（几人评分）。累加：各评分人的分值合计后计分一次；平均：各评分人分别计分后"
           "取算术平均；加权：各评分人分别计分后按权重加权（权重合计为1）。"
           "评分规则和评分人都留空：不改变该指标现有的评分人。"),
    Column("评分人", "scorers", _parse_scorers, blank_is_none=True, example=None, width=30,
           help="选填（几人评分）。同时评分的科室（编码或名称）和领导（账号），用逗号分隔；"
           "加权时在后面写“:权重”，如 督查室:0.5, 安全生产科:0.3, leader:0.2。"
           "平均、加权须包括本指标的评分科室。评分规则填“累加”且本列留空：仅由评分科室评分。"),
)
TARGET_COLUMNS = (
    Column("机构编码", "institution", _parse_text, required=True, example="A001",
           help="必填。系统中或本工作簿“机构”表中的机构，须适用该指标。"),
    Column("指标编码", "indicator", _parse_text, required=True, example="B01",
           help="必填。本年度计分方式为 完成率 / 逆向完成率 / 按期 的指标。"),
    Column("期间", "period", _choice(HALF_YEAR_LABELS), required=True, example="上半年",
           width=8, choices=tuple(HALF_YEAR_LABELS),
           help="必填。上半年（截至6月30日）/ 下半年（全年累计）。上半年按上半年的数据计分，"
           "下半年按全年的数据计分。"),
    Column("目标值", "target_value", _parse_figure, blank_is_none=True,
           example=Decimal("1000"), number_format="General",
           help="完成率、逆向完成率：该期间的目标值，最多四位小数。按期留空。"),
    Column("实际值", "actual_value", _parse_figure, blank_is_none=True,
           example=Decimal("850"), number_format="General",
           help="完成率、逆向完成率：该期间的实际完成值；尚未报送留空（计0分）。按期留空。"),
    Column("截止日期", "deadline", _parse_date, blank_is_none=True, example=None,
           number_format="yyyy-mm-dd",
           help="按期：该期间的截止日期（Excel日期或 YYYY-MM-DD）。其他计分方式留空。"),
    Column("完成日期", "completed_on", _parse_date, blank_is_none=True, example=None,
           number_format="yyyy-mm-dd",
           help="按期：实际完成日期；尚未完成留空（计0分）。其他计分方式留空。"),
)
SCORE_COLUMNS = (
    Column("机构编码", "institution", _parse_text, required=True, example="A001",
           help="必填。系统中或本工作簿“机构”表中的机构。"),
    Column("类别", "kind", _choice(KIND_LABELS, KIND_ALIASES), required=True, example="指标",
           width=8, choices=tuple(KIND_LABELS),
           help="必填。指标 / 加分 / 否决（一票否决类扣分）。"),
    Column("指标编码", "indicator", _parse_text, example="C01",
           help="类别为“指标”时必填，为本年度的指标；加分、否决留空。"),
    Column("期间", "period", _choice(PERIOD_LABELS), example="上半年", width=8,
           choices=tuple(PERIOD_LABELS),
           help="类别为“指标”时必填：公共目标、业务目标为 上半年 / 下半年，执行力建设为 全年。"
           "加分、否决为全年，可留空。"),
    Column("分值", "points", _parse_points, required=True, example=Decimal("-2.50"), width=10,
           number_format=POINTS_FORMAT,
           help="必填。最多两位小数。指标：带符号，计入该指标该期间的得分（扣分填负数）；"
           "加分、否决：填正数。0 不记录。"),
    Column("事由", "reason", _parse_text, required=True, example="示例：安全检查发现隐患一处",
           width=40, help="必填。计分事由。"),
)
# fmt: on
SHEET_COLUMNS = {
    SCHEME_SHEET: SCHEME_COLUMNS,
    GROUP_SHEET: GROUP_COLUMNS,
    INSTITUTION_SHEET: INSTITUTION_COLUMNS,
    INDICATOR_SHEET: INDICATOR_COLUMNS,
    TARGET_SHEET: TARGET_COLUMNS,
    SCORE_SHEET: SCORE_COLUMNS,
}
