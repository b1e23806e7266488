"""The payroll workbooks' sheets: their names, their columns (orgs.importing's Column specs) and the
parsers of payroll's own cell values (ratios, shares, months, tiers, grades). The generic parsers
(text, exact decimals, money, yes/no) are orgs.importing's. No database."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from orgs.importing import Column
from orgs.importing.columns import (
    InvalidCell,
    _parse_bool,
    _parse_coefficient,
    _parse_count,
    _parse_money,
    _parse_text,
    _to_decimal,
)

from ..models import PersonalGrade, Tier

POLICY_SHEET = "工资政策"
TIER_SHEET = "奖励系数"
GRADE_SHEET = "个人等次系数"
EMPLOYEE_SHEET = "员工"
PAID_SHEET = "实发工资"
SHEET_ORDER = (POLICY_SHEET, TIER_SHEET, GRADE_SHEET, EMPLOYEE_SHEET, PAID_SHEET)

# The Chinese words of the workbook, as the pay rules write them.
TIER_LABELS = {
    "一等奖": Tier.FIRST,
    "二等奖": Tier.SECOND,
    "三等奖": Tier.THIRD,
    "合格": Tier.QUALIFIED,
    "一票否决": Tier.VETOED,
    "不合格": Tier.UNQUALIFIED,
}
TIER_ALIASES = {"否决": Tier.VETOED}
GRADE_LABELS = {
    "优秀": PersonalGrade.EXCELLENT,
    "合格": PersonalGrade.QUALIFIED,
    "基本合格": PersonalGrade.BASIC,
    "不合格": PersonalGrade.UNQUALIFIED,
}
GRADE_WORDS = {grade: word for word, grade in GRADE_LABELS.items()}

THOUSANDTH = Decimal("0.001")
COEFFICIENT_LIMIT = Decimal("1000")  # coefficients are max_digits=6, decimal_places=3
MONTH_TEXT = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?")


def _choice(labels: dict, aliases: dict | None = None):
    words = {**labels, **(aliases or {})}

    def parse(value) -> str:
        text = _parse_text(value)
        if text in words:
            return str(words[text])
        raise InvalidCell(_("Use one of %(words)s.") % {"words": " / ".join(labels)})

    return parse


def _three_decimals(number: Decimal) -> Decimal:
    try:
        exact = number.quantize(THOUSANDTH)
    except InvalidOperation:
        raise InvalidCell(_("The number is too large.")) from None
    if exact != number:
        raise InvalidCell(_("Use at most three decimals; the value is not rounded for you."))
    return exact


def _share(value) -> Decimal:
    """A share written as 0.6 or as 60% (text, or a percent-formatted cell, which reads 0.6)."""
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        number = _to_decimal(value.strip()[:-1]) / 100
    else:
        number = _to_decimal(value)
    return _three_decimals(number)


def _parse_year(value) -> int:
    year = _parse_count(value)
    if not 1900 <= year <= 9999:
        raise InvalidCell(_("Not a year."))
    return year


def _parse_basic_ratio(value) -> Decimal:
    ratio = _share(value)
    # The pay rules: the basic part is 50%–70% of the total.
    if not Decimal("0.5") <= ratio <= Decimal("0.7"):
        raise InvalidCell(_("The basic ratio must be between 0.5 and 0.7 (50%–70%)."))
    return ratio


def _parse_cap_share(value) -> Decimal:
    share = _share(value)
    if not Decimal("0") < share <= 1:
        raise InvalidCell(_("The share must be above 0 and at most 1."))
    return share


def _parse_coefficient3(value) -> Decimal:
    """A tier or grade coefficient: not negative, at most three decimals."""
    number = _three_decimals(_to_decimal(value))
    if number < 0:
        raise InvalidCell(_("Cannot be negative."))
    if number >= COEFFICIENT_LIMIT:
        raise InvalidCell(_("The number is too large."))
    return number


def _parse_month(value) -> datetime.date:
    """兑现月份: YYYY-MM as text (2027-03, 2027/3, 2027年3月) or a date cell; its first day."""
    if isinstance(value, datetime.datetime | datetime.date):
        return datetime.date(value.year, value.month, 1)
    if isinstance(value, str):
        match = MONTH_TEXT.fullmatch(value.strip())
        if match and 1 <= int(match[2]) <= 12:
            return datetime.date(int(match[1]), int(match[2]), 1)
    raise InvalidCell(_("Write the month as YYYY-MM, e.g. 2027-03."))


def parse_month_text(text: str) -> datetime.date | None:
    """A month given on a command line or in a URL (YYYY-MM), or None if it is not one."""
    try:
        return _parse_month(text)
    except InvalidCell:
        return None


_parse_tier = _choice(TIER_LABELS, TIER_ALIASES)
_parse_grade = _choice(GRADE_LABELS)

MONEY_FORMAT = "#,##0.00"
MONEY_HELP = (
    "单位：元。不小于0，最多两位小数，"
    "按单元格中的数字原样读取、不做四舍五入（如 12.345 会被拒绝）。"
)
COEFFICIENT_HELP = "不小于0，最多三位小数。"

# fmt: off
POLICY_COLUMNS = (
    Column(
        "考核年度", "year", _parse_year, required=True, example=2026, width=10, number_format="0",
        help="必填。该政策所属的考核年度。工作簿中有多个年度时，“员工”表的个人等次记入最晚的年度。",
    ),
    Column(
        "机构编码", "institution", _parse_text, required=True, example="JG001",
        help="必填。系统中已有机构的编码。",
    ),
    Column(
        "人均水平", "per_capita", _parse_money, required=True, example=Decimal("36000.00"),
        number_format=MONEY_FORMAT, help="必填。每名正式在编人员每年的绩效工资，" + MONEY_HELP,
    ),
    Column(
        "基础性比例", "basic_ratio", _parse_basic_ratio, required=True, example="60%", width=12,
        help="必填。0.5–0.7（或 50%–70%），最多三位小数；超出范围的拒绝导入。",
    ),
    Column(
        "兑现月份", "settlement_month", _parse_month, required=True, example="2027-03", width=12,
        help="必填。发放该年度奖励性绩效和考核奖金的月份，"
        "写作 YYYY-MM（如 2027-03），也可以是日期。"
        "同一机构不同年度的兑现月份不得相同。",
    ),
)
TIER_COLUMNS = (
    Column(
        "档次", "tier", _parse_tier, required=True, example="一等奖", width=12,
        choices=tuple(TIER_LABELS),
        help="必填。" + "、".join(TIER_LABELS) + " 之一，每个档次一行。",
    ),
    Column(
        "系数", "coefficient", _parse_coefficient3, required=True, example=Decimal("1.20"),
        width=10, number_format="0.000", help="必填。奖励性绩效总额乘以的系数，" + COEFFICIENT_HELP,
    ),
)
GRADE_COLUMNS = (
    Column(
        "等次", "grade", _parse_grade, required=True, example="优秀", width=12,
        choices=tuple(GRADE_LABELS),
        help="必填。" + "、".join(GRADE_LABELS) + " 之一，每个等次一行。",
    ),
    Column(
        "系数", "coefficient", _parse_coefficient3, required=True, example=Decimal("1.2"),
        width=10, number_format="0.000",
        help="必填。分配奖励性绩效和考核奖金时的个人系数，" + COEFFICIENT_HELP,
    ),
    Column(
        "比例上限", "cap_share", _parse_cap_share, example="20%", width=10,
        help="只用于“优秀”：一个机构的正式在编人员中可评为优秀的最大比例（如 20% 或 0.2），"
        "人数上限为 max(1, ⌊人数×比例⌋)。其他等次留空；“优秀”留空则上限不变。",
    ),
)
EMPLOYEE_COLUMNS = (
    Column(
        "工号", "staff_number", _parse_text, required=True, example="000123",
        help="必填。系统中已有的工号更新该员工，新工号新建员工。"
        "请保持文本格式，以免 Excel 去掉开头的 0。",
    ),
    Column("姓名", "name", _parse_text, required=True, example="张三", help="必填。最多64字。"),
    Column(
        "机构编码", "institution", _parse_text, required=True, example="JG001",
        help="必填。系统中已有机构的编码。",
    ),
    Column(
        "是否正式", "is_formal", _parse_bool, required=True, example="是", width=10,
        choices=("是", "否"), help="必填。是否正式在编：是 / 否。只有正式在编人员分配绩效工资。",
    ),
    Column(
        "岗位系数", "post_coefficient", _parse_coefficient, required=True,
        example=Decimal("1.20"), width=10, number_format="0.00",
        help="必填。大于0，最多两位小数（如 1.20）。",
    ),
    Column(
        "岗位工资", "post_wage", _parse_money, example=Decimal("2800.00"),
        number_format=MONEY_FORMAT, help=MONEY_HELP + "留空为0。",
    ),
    Column(
        "薪级工资", "grade_wage", _parse_money, example=Decimal("1200.50"),
        number_format=MONEY_FORMAT, help=MONEY_HELP + "留空为0。",
    ),
    Column(
        "特殊岗位津贴", "special_allowance", _parse_money, example=Decimal("0.00"),
        number_format=MONEY_FORMAT, help=MONEY_HELP + "留空为0。",
    ),
    Column(
        "个人等次", "grade", _parse_grade, example="合格", width=10, choices=tuple(GRADE_LABELS),
        help="优秀、合格、基本合格、不合格 之一，留空为合格；记入“工资政策”表中最晚的考核年度"
        "（工作簿没有“工资政策”表时只能留空）。每个机构的优秀人数不得超过上限（导入后的正式在编人数计）。",
    ),
    Column(
        "岗位", "post", _parse_text, example="科员",
        help="可选列。最多64字。新员工没有这一列时记为“未填”，已有员工不变。",
    ),
)
PAID_COLUMNS = (
    Column(
        "工号", "staff_number", _parse_text, required=True, example="000123",
        help="必填。系统中已有员工的工号。",
    ),
    Column(
        "应发合计", "gross", _parse_money, required=True, example=Decimal("9876.54"),
        number_format=MONEY_FORMAT, help="必填。该月实际发放的应发合计，" + MONEY_HELP,
    ),
)
# fmt: on

# Columns a sheet may leave out (every other column of its format must be there).
OPTIONAL_FIELDS = {EMPLOYEE_SHEET: frozenset({"post"})}
# Blank money cells of the 员工 sheet mean 0 (a payroll sheet states every part of the wage).
ZERO_IF_BLANK = ("post_wage", "grade_wage", "special_allowance")
DEFAULT_POST = "未填"

PAYROLL_SHEETS = {
    POLICY_SHEET: POLICY_COLUMNS,
    TIER_SHEET: TIER_COLUMNS,
    GRADE_SHEET: GRADE_COLUMNS,
    EMPLOYEE_SHEET: EMPLOYEE_COLUMNS,
}
PAID_SHEETS = {PAID_SHEET: PAID_COLUMNS}
