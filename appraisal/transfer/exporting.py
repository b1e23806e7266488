"""The year's rankings as one Excel sheet, the way the product owner checks an imported year: one
row per ranked institution, by group code, rank and institution code; points and money as exact
numbers (orgs.exporting's writer puts the stored Decimal digits in the file, not a float's).

Scope comes from appraisal.access like every read: a user exports only the results they may see.
"""

import io
from collections.abc import Callable
from decimal import Decimal

from django.db.models import QuerySet

from orgs.exporting import _workbook
from orgs.importing import Column

from ..access import results_visible_to
from ..models import Grade, Result, Scheme
from .columns import MONEY_FORMAT, POINTS_FORMAT, PRIZE_LABELS

RANKINGS_SHEET = "排名"
GRADE_WORDS = {Grade.QUALIFIED: "合格", Grade.UNQUALIFIED: "不合格"}


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _column(header: str, field: str, *, width: int = 12, number_format: str = "@") -> Column:
    # An export column: orgs.importing's Column, whose parser is never called here.
    return Column(header, field, str, width=width, number_format=number_format)


# fmt: off
RANKING_COLUMNS = (
    _column("组别编码", "group"),
    _column("组别名称", "group_name", width=14),
    _column("排名", "rank", width=8, number_format="0"),
    _column("机构编码", "code"),
    _column("机构名称", "name", width=24),
    _column("公共目标", "common", number_format=POINTS_FORMAT),
    _column("业务目标", "business", number_format=POINTS_FORMAT),
    _column("执行力建设", "execution", number_format=POINTS_FORMAT),
    _column("加分", "bonus", width=10, number_format=POINTS_FORMAT),
    _column("否决扣分", "veto", width=10, number_format=POINTS_FORMAT),
    _column("总分", "total", number_format=POINTS_FORMAT),
    _column("等次", "grade", width=8),
    _column("一票否决", "vetoed", width=10),
    _column("奖项", "prize", width=10),
    _column("奖金", "prize_amount", width=14, number_format=MONEY_FORMAT),
    _column("黄牌", "yellow_card", width=8),
    _column("诫勉谈话", "admonition", width=10),
)
RANKING_VALUES: dict[str, Callable[[Result], object]] = {
    "group": lambda r: r.group.code if r.group else None,
    "group_name": lambda r: r.group.name if r.group else None,
    "rank": lambda r: r.rank,
    "code": lambda r: r.institution.code,
    "name": lambda r: r.institution.name,
    "common": lambda r: r.common,
    "business": lambda r: r.business,
    "execution": lambda r: r.execution,
    "bonus": lambda r: r.bonus,
    # Taken off the total, so written as the pages show it (−30.00): a negative number, and
    # 总分 is the sum of the five columns before it.
    "veto": lambda r: Decimal(0) - r.veto,
    "total": lambda r: r.total,
    "grade": lambda r: GRADE_WORDS[r.grade],
    "vetoed": lambda r: _yes_no(r.vetoed),
    "prize": lambda r: PRIZE_LABELS.get(r.prize_level),
    "prize_amount": lambda r: r.prize_amount,
    "yellow_card": lambda r: _yes_no(r.yellow_card),
    "admonition": lambda r: _yes_no(r.admonition),
}
# The mid-year ranking (上半年排名), in the same columns: 公共目标 and 业务目标 their first-half
# scores; 执行力建设, 加分 and 否决扣分 as scored so far; the first-half total, rank and grade.
# Prizes and their consequences (奖项, 奖金, 黄牌, 诫勉谈话) are annual: left empty.
H1_RANKING_VALUES: dict[str, Callable[[Result], object]] = RANKING_VALUES | {
    "rank": lambda r: r.h1_rank,
    "common": lambda r: r.common_h1,
    "business": lambda r: r.business_h1,
    "total": lambda r: r.h1_total,
    "grade": lambda r: GRADE_WORDS.get(r.h1_grade),
    "prize": lambda r: None,
    "prize_amount": lambda r: None,
    "yellow_card": lambda r: None,
    "admonition": lambda r: None,
}
# fmt: on
H1 = "h1"


def _ranked(results: QuerySet[Result], scheme: Scheme, period: str | None) -> QuerySet[Result]:
    rank = "h1_rank" if period == H1 else "rank"
    return (
        results.filter(scheme=scheme, group__isnull=False)
        .select_related("group", "institution")
        .order_by("group__code", rank, "institution__code")
    )


def _values(period: str | None):
    return H1_RANKING_VALUES if period == H1 else RANKING_VALUES


def rankings_workbook(*, user, scheme: Scheme, period: str | None = None) -> io.BytesIO:
    """The year's ranked results the user may see, as one sheet (`period="h1"`: the mid-year
    ranking). One query."""
    results = _ranked(results_visible_to(user), scheme, period)
    return _workbook(RANKINGS_SHEET, RANKING_COLUMNS, _values(period), results)


def rankings_workbook_all(*, scheme: Scheme, period: str | None = None) -> io.BytesIO:
    """Every ranked result of the year: for the command line, which runs with the server's
    rights and has no user to scope by."""
    results = _ranked(Result.objects.all(), scheme, period)
    return _workbook(RANKINGS_SHEET, RANKING_COLUMNS, _values(period), results)


def rankings_filename(scheme: Scheme, period: str | None = None) -> str:
    if period == H1:
        return f"{scheme.year}年上半年考核排名.xlsx"
    return f"{scheme.year}年度考核排名.xlsx"
