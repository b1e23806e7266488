"""研判预警: the early warnings of a year, as pure functions over plain data (no database).

An institution is warned when (docs/BULLETINS.md):
- ``vetoed``: its approved veto deductions reached the veto line (it is 不合格 whatever its total);
- ``veto_near``: not vetoed, has veto deductions, and they are within ``veto_margin`` of the line;
- ``below_line``: not vetoed and its total is below the qualify line (800);
- ``prize_at_risk``: it holds a prize, the unit ranked directly below it in its group holds a lower
  prize or none, and it leads that unit by at most ``prize_margin`` points;
- ``no_report``: a pilot that filed no weekly rollout report for the last closed week;
- ``letter_unsigned``: its head's target responsibility letter is issued but not signed;
- ``explanation_overdue``: an explanation (情况说明) asked of it is past its due day and not in;
- ``report_overdue``: its 数据填报 of a half-year whose reporting deadline has passed is not
  submitted (docs/REPORTING.md, "Deadlines and overdue").
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0")


class Code(StrEnum):
    VETOED = "vetoed"
    VETO_NEAR = "veto_near"
    BELOW_LINE = "below_line"
    PRIZE_AT_RISK = "prize_at_risk"
    NO_REPORT = "no_report"
    LETTER_UNSIGNED = "letter_unsigned"
    EXPLANATION_OVERDUE = "explanation_overdue"
    REPORT_OVERDUE = "report_overdue"


# Most serious first: the order of the dashboard's list.
SEVERITY = {
    Code.VETOED: 0,
    Code.VETO_NEAR: 1,
    Code.BELOW_LINE: 2,
    Code.PRIZE_AT_RISK: 3,
    Code.EXPLANATION_OVERDUE: 4,
    Code.REPORT_OVERDUE: 5,
    Code.LETTER_UNSIGNED: 6,
    Code.NO_REPORT: 7,
}


@dataclass(frozen=True)
class Thresholds:
    qualify_line: Decimal
    veto_line: Decimal
    veto_margin: Decimal
    prize_margin: Decimal


@dataclass(frozen=True)
class Standing:
    """An institution's result, as the warnings need it."""

    institution_id: int
    total: Decimal
    veto: Decimal
    vetoed: bool
    prize_level: int | None = None
    margin_below: Decimal | None = None  # lead over the unit ranked directly below
    prize_level_below: int | None = None  # that unit's prize (None: none, or no unit below)


@dataclass(frozen=True)
class Warning:
    institution_id: int
    code: Code
    # The figures that explain it, as strings (Decimal-exact, JSON-safe): e.g. {"veto": "24.00"}.
    detail: dict = field(default_factory=dict)

    @property
    def severity(self) -> int:
        return SEVERITY[self.code]

    def as_dict(self) -> dict:
        return {"institution_id": self.institution_id, "code": str(self.code), **self.detail}


def _holds_better_prize(level: int | None, below: int | None) -> bool:
    """Prize 1 is best. Does `level` beat `below` (None = no prize)?"""
    return level is not None and (below is None or level < below)


def standing_warnings(standing: Standing, limits: Thresholds) -> list[Warning]:
    """The warnings a result raises (not those from reports, letters or explanations)."""
    found = []
    iid = standing.institution_id
    if standing.vetoed:
        found.append(Warning(iid, Code.VETOED, {"veto": str(standing.veto)}))
    else:
        if standing.veto > ZERO and standing.veto >= limits.veto_line - limits.veto_margin:
            to_line = limits.veto_line - standing.veto
            found.append(
                Warning(iid, Code.VETO_NEAR, {"veto": str(standing.veto), "to_line": str(to_line)})
            )
        if standing.total < limits.qualify_line:
            gap = limits.qualify_line - standing.total
            found.append(
                Warning(iid, Code.BELOW_LINE, {"total": str(standing.total), "gap": str(gap)})
            )
    if (
        standing.margin_below is not None
        and _holds_better_prize(standing.prize_level, standing.prize_level_below)
        and standing.margin_below <= limits.prize_margin
    ):
        found.append(
            Warning(
                iid,
                Code.PRIZE_AT_RISK,
                {"prize": standing.prize_level, "margin": str(standing.margin_below)},
            )
        )
    return found


def year_warnings(
    standings: list[Standing],
    limits: Thresholds,
    *,
    no_report: set[int] = frozenset(),
    letter_unsigned: set[int] = frozenset(),
    explanation_overdue: set[int] = frozenset(),
    report_overdue: set[int] = frozenset(),
) -> list[Warning]:
    """Every warning of a year, most serious first, then by institution id (stable)."""
    found = [w for s in standings for w in standing_warnings(s, limits)]
    found += [Warning(i, Code.EXPLANATION_OVERDUE) for i in explanation_overdue]
    found += [Warning(i, Code.REPORT_OVERDUE) for i in report_overdue]
    found += [Warning(i, Code.LETTER_UNSIGNED) for i in letter_unsigned]
    found += [Warning(i, Code.NO_REPORT) for i in no_report]
    return sorted(found, key=lambda w: (w.severity, w.institution_id))
