"""The two sheets' layouts (Column specs) and the parsers of their cell values. No database."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _

from ..models import Stage

INSTITUTION_SHEET = "机构"
EMPLOYEE_SHEET = "员工"
CENT = Decimal("0.01")

STAGE_LABELS_ZH = {
    Stage.SETUP: "环境搭建",
    Stage.DATA: "数据采集",
    Stage.TRAINING: "集中培训",
    Stage.ACCEPTANCE: "验收",
    Stage.TRIAL: "试运行",
    Stage.FORMAL: "正式运行",
}
TRUE_WORDS = frozenset({"是", "true", "1"})
FALSE_WORDS = frozenset({"否", "false", "0"})
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


# --- Cell parsing -------------------------------------------------------------------------------


class InvalidCell(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_text(value) -> str:
    if isinstance(value, bool):
        raise InvalidCell(_("Expected text, not a true/false value."))
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        # A staff number typed as a number arrives as 1001 or 1001.0; both mean "1001".
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value.strip()
    raise InvalidCell(_("Expected text."))


def _to_decimal(value) -> Decimal:
    """The number exactly as written in the cell. A float from openpyxl is turned into text first:
    str() gives the shortest text that reads back as the same float, i.e. what Excel shows."""
    if isinstance(value, bool):
        raise InvalidCell(_("Not a valid number."))
    if isinstance(value, int | float | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
    else:
        raise InvalidCell(_("Not a valid number."))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidCell(_("Not a valid number.")) from None
    if not number.is_finite():
        raise InvalidCell(_("Not a valid number."))
    return number


def _two_decimals(number: Decimal) -> Decimal:
    try:
        exact = number.quantize(CENT)
    except InvalidOperation:
        raise InvalidCell(_("The number is too large.")) from None
    if exact != number:
        raise InvalidCell(_("Use at most two decimals; the value is not rounded for you."))
    return exact


def _parse_money(value) -> Decimal:
    number = _two_decimals(_to_decimal(value))
    if number < 0:
        raise InvalidCell(_("Cannot be negative."))
    return number


def _parse_coefficient(value) -> Decimal:
    number = _two_decimals(_to_decimal(value))
    if number <= 0:
        raise InvalidCell(_("Must be greater than zero."))
    return number


def _parse_count(value) -> int:
    number = _to_decimal(value)
    if number != number.to_integral_value():
        raise InvalidCell(_("Must be a whole number."))
    if number < 0:
        raise InvalidCell(_("Cannot be negative."))
    return int(number)


def _parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    word = _parse_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidCell(_("Use 是 or 否 (true/false and 1/0 are accepted too)."))


@cache
def _stage_aliases(language: str | None) -> dict[str, str]:
    aliases = {}
    for value, label in Stage.choices:
        aliases[value] = value
        aliases[STAGE_LABELS_ZH[value]] = value
        aliases[str(label).lower()] = value  # the label in the active language
        with translation.override("en"):
            aliases[str(label).lower()] = value
    return aliases


def _parse_stage(value) -> str:
    text = _parse_text(value)
    stage = _stage_aliases(translation.get_language()).get(text.lower())
    if stage is None:
        raise InvalidCell(
            _("Unknown rollout stage; use one of %(stages)s.")
            % {"stages": "、".join(STAGE_LABELS_ZH.values())}
        )
    return stage


# --- Sheet layouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header, which is what the parser matches on
    field: str
    parse: Callable[[object], object]
    required: bool = False
    blank_is_none: bool = False  # blank cell = "none" rather than "leave as it is"
    help: str = ""  # for the 说明 sheet
    example: object = None
    width: int = 14
    number_format: str = "@"
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template


# fmt: off
YES_NO = ("是", "否")
MONEY_HELP = (
    "单位：元。不小于0，最多两位小数，按单元格中的数字原样读取、不做四舍五入（如 1.005 会被拒绝）。"
    "留空：新员工为0，已有员工不变。"
)
INSTITUTION_COLUMNS = (
    Column(
        "机构代码", "code", _parse_text, required=True, example="A001",
        help="必填。1–32位字母、数字、“-”或“_”，以字母或数字开头。"
        "系统中已有的代码更新该机构，新代码新建机构。",
    ),
    Column(
        "机构名称", "name", _parse_text, required=True, example="示例机构", width=24,
        help="必填。最多100字，不得与其他机构重名。",
    ),
    Column(
        "考核组别", "group", _parse_text, blank_is_none=True, example="第一组",
        help="考核组别的代码或名称（如 G1 或 第一组），须已在系统中建好。留空表示不分组。",
    ),
    Column(
        "一把手账号", "head", _parse_text, blank_is_none=True, example=None, width=16,
        help="一把手的登录账号（用户名）：须为角色“机构一把手”的有效账号，且未担任其他机构的"
        "一把手（同一工作簿中把他从原机构换下的除外）。留空表示不设一把手。",
    ),
    Column(
        "试点", "is_pilot", _parse_bool, example="是", width=8, choices=YES_NO,
        help="是 / 否。留空：新机构为“否”，已有机构不变。",
    ),
    Column(
        "推进阶段", "stage", _parse_stage, example="数据采集",
        choices=tuple(STAGE_LABELS_ZH.values()),
        help="环境搭建、数据采集、集中培训、验收、试运行、正式运行 之一（也可填英文值 setup、data、"
        "training、acceptance、trial、formal）。留空：新机构为“环境搭建”，已有机构不变。",
    ),
    Column(
        "编制人数", "formal_headcount", _parse_count, example=25, width=10, number_format="0",
        help="不小于0的整数。留空：新机构为0，已有机构不变。",
    ),
)
EMPLOYEE_COLUMNS = (
    Column(
        "工号", "staff_number", _parse_text, required=True, example="000123",
        help="必填。1–32位字母、数字、“-”或“_”，以字母或数字开头。系统中已有的工号更新该员工，"
        "新工号新建员工。请保持文本格式，以免 Excel 去掉开头的 0。",
    ),
    Column("姓名", "name", _parse_text, required=True, example="张三", help="必填。最多64字。"),
    Column(
        "机构代码", "institution", _parse_text, required=True, example="A001",
        help="必填。员工所在机构的代码：系统中已有的机构，或本工作簿“机构”表中的机构。",
    ),
    Column("岗位", "post", _parse_text, required=True, example="科员", help="必填。最多64字。"),
    Column(
        "岗位系数", "post_coefficient", _parse_coefficient, required=True,
        example=Decimal("1.20"), width=10, number_format="0.00",
        help="必填。大于0，最多两位小数（如 1.20），不超过 999.99。",
    ),
    Column(
        "是否正式", "is_formal", _parse_bool, example="是", width=10, choices=YES_NO,
        help="是否正式在编：是 / 否。留空：新员工为“是”，已有员工不变。",
    ),
    Column(
        "岗位工资", "post_wage", _parse_money, example=Decimal("2800.00"),
        number_format="#,##0.00", help=MONEY_HELP,
    ),
    Column(
        "薪级工资", "grade_wage", _parse_money, example=Decimal("1200.50"),
        number_format="#,##0.00", help=MONEY_HELP,
    ),
    Column(
        "特殊岗位津贴", "special_allowance", _parse_money, example=Decimal("0.00"),
        number_format="#,##0.00", help=MONEY_HELP,
    ),
    Column(
        "在职", "is_active", _parse_bool, example="是", width=8, choices=YES_NO,
        help="是 / 否。留空：新员工为“是”，已有员工不变。",
    ),
)
# fmt: on
SHEET_COLUMNS = {INSTITUTION_SHEET: INSTITUTION_COLUMNS, EMPLOYEE_SHEET: EMPLOYEE_COLUMNS}
