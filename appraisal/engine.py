"""The scoring engine (DESIGN.md §2): pure functions over plain dataclasses and Decimal, no ORM.

Selectors load a year into `InstitutionInput`s with set-based queries; `year_compute` applies
every rule and returns one `InstitutionOutcome` per institution; services save them. Every rule
is stated with a worked example in docs/SCORING.md, and the invariants are property-tested.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

ZERO = Decimal("0")
CENT = Decimal("0.01")


class Part(StrEnum):
    COMMON = "common"  # 公共目标, scored each half-year
    BUSINESS = "business"  # 业务目标, differentiated per institution, each half-year
    EXECUTION = "execution"  # 执行力建设, scored any time, totalled at year end


HALF_YEAR_PARTS = (Part.COMMON, Part.BUSINESS)


class Period(StrEnum):
    H1 = "h1"  # 上半年
    H2 = "h2"  # 下半年
    YEAR = "year"  # 全年


def periods_of(part: Part) -> tuple[Period, ...]:
    """The periods a part is scored in: half-years, or the whole year for execution capacity."""
    return (Period.YEAR,) if part == Part.EXECUTION else (Period.H1, Period.H2)


class Method(StrEnum):
    DEDUCT = "deduct"  # 扣分制: start at the maximum and deduct
    ADD = "add"  # 计分制: add up to the maximum
    RATIO = "ratio"  # 完成率: against the institution's target


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better: score = max × actual / target
    LOWER = "lower"  # lower is better (error rates): score = max × target / actual
    DEADLINE = "deadline"  # deadline met: full points or none


class Aggregation(StrEnum):
    """How several scorers' parts make an indicator's score (docs/SCORING.md, "Several scorers")."""

    SUM = "sum"  # every scorer's points are added to one tally, scored once
    AVERAGE = "average"  # each scorer's own score, then their arithmetic mean
    WEIGHTED = "weighted"  # each scorer's own score, then Σ weight × score (weights add up to 1)


def scorer_key(*, department_id: int | None = None, leader_id: int | None = None) -> str:
    """Whose part an entry is: "d<id>" a scoring department, "l<id>" a leader (领导)."""
    if leader_id is not None:
        return f"l{leader_id}"
    return f"d{department_id}" if department_id is not None else "d"


@dataclass(frozen=True)
class Scorer:
    key: str  # scorer_key()
    weight: Decimal | None = None  # for Aggregation.WEIGHTED


class Grade(StrEnum):
    QUALIFIED = "qualified"  # 合格
    UNQUALIFIED = "unqualified"  # 不合格


def round_points(value: Decimal) -> Decimal:
    """Half-up to two decimals: the one rounding rule for points (DESIGN.md §2)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


@dataclass(frozen=True)
class Rules:
    """The scheme's settings that scoring depends on."""

    part_max: Mapping[Part, Decimal]
    qualify_line: Decimal = Decimal("800")
    veto_line: Decimal = Decimal("30")
    bonus_cap: Decimal = Decimal("20")
    self_gap_threshold: Decimal = Decimal("50")


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    part: Part
    method: Method
    max_points: Decimal
    direction: Direction | None = None  # for Method.RATIO
    aggregation: Aggregation = Aggregation.SUM
    # The scorers of an AVERAGE or WEIGHTED indicator (every one counts, scored or not).
    scorers: tuple[Scorer, ...] = ()

    @property
    def per_scorer(self) -> bool:
        """Whether each scorer's part is scored on its own (average, weighted average)."""
        return (
            self.method != Method.RATIO
            and self.aggregation != Aggregation.SUM
            and len(self.scorers) > 0
        )


@dataclass(frozen=True)
class Target:
    """An institution's target on a 完成率 indicator and what it reported."""

    target_value: Decimal | None = None
    actual_value: Decimal | None = None
    deadline: date | None = None
    completed_on: date | None = None


@dataclass(frozen=True)
class PrizeTier:
    level: int  # 1 = 一等奖, 2 = 二等奖, 3 = 三等奖
    winners: int
    amount: Decimal


@dataclass
class InstitutionInput:
    code: str
    group: str | None
    indicators: list[IndicatorRule]  # the indicators that apply to this institution
    tallies: Mapping[tuple[str, Period], Decimal] = field(default_factory=dict)  # signed sums
    # The same sums per scorer (scorer_key), for indicators scored by several (average, weighted).
    scorer_tallies: Mapping[tuple[str, Period], Mapping[str, Decimal]] = field(default_factory=dict)
    # A completion-ratio indicator's target and figures per half-year: (code, H1) by 30 June,
    # (code, H2) the whole year, cumulative.
    targets: Mapping[tuple[str, Period], Target] = field(default_factory=dict)
    bonus: Decimal = ZERO  # counted bonus points (加分), before the cap
    veto: Decimal = ZERO  # counted veto deductions (一票否决类扣分), positive
    previous_grade: Grade | None = None  # last year's grade, for 诫勉谈话


@dataclass
class InstitutionOutcome:
    code: str
    group: str | None
    indicator_scores: dict[tuple[str, Period], Decimal]
    halves: dict[tuple[Part, Period], Decimal]  # unrounded sums per part and period
    common: Decimal  # annual part scores, rounded half-up to 2 decimals
    business: Decimal
    execution: Decimal
    bonus: Decimal  # after the cap
    bonus_uncapped: Decimal
    veto: Decimal
    vetoed: bool
    total: Decimal
    grade: Grade
    rank: int | None = None
    prize_level: int | None = None
    prize_amount: Decimal = ZERO
    yellow_card: bool = False  # 黄牌: 不合格 this year
    admonition: bool = False  # 诫勉谈话: 不合格 two years running
    recommended: bool = False  # 评先树优: prize winners' leaders
    gap_to_qualify: Decimal | None = None
    gap_to_next_prize: Decimal | None = None
    gap_to_above: Decimal | None = None
    margin_below: Decimal | None = None
    # The mid-year standing: H1's common and business scores, what is scored so far of the rest.
    h1_total: Decimal = ZERO
    h1_grade: Grade = Grade.UNQUALIFIED
    h1_rank: int | None = None
    # Each scorer's own score of a several-scorer indicator (average, weighted): the drill-down.
    scorer_scores: dict[tuple[str, Period], dict[str, Decimal]] = field(default_factory=dict)

    @property
    def parts(self) -> dict[Part, Decimal]:
        return {
            Part.COMMON: self.common,
            Part.BUSINESS: self.business,
            Part.EXECUTION: self.execution,
        }


# --- One institution -----------------------------------------------------------------------------


def indicator_score(rule: IndicatorRule, tally: Decimal, target: Target | None = None) -> Decimal:
    """An indicator's score in one period, clamped to [0, max].

    扣分: max + tally (deductions are negative); 计分: the tally; 完成率: from the target alone.
    """
    if rule.method == Method.DEDUCT:
        raw = rule.max_points + tally
    elif rule.method == Method.ADD:
        raw = tally
    else:
        raw = _ratio_score(rule, target)
    return clamp(raw, ZERO, rule.max_points)


def scorer_parts(rule: IndicatorRule, tallies: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each listed scorer's own score of a per-scorer indicator, clamped to [0, max]: 扣分 max +
    their deductions (full marks for a scorer who deducted nothing), 计分 their points."""
    return {s.key: indicator_score(_single(rule), tallies.get(s.key, ZERO)) for s in rule.scorers}


def _single(rule: IndicatorRule) -> IndicatorRule:
    return IndicatorRule(rule.code, rule.part, rule.method, rule.max_points, rule.direction)


def combined_score(rule: IndicatorRule, parts: Mapping[str, Decimal]) -> Decimal:
    """An average or weighted indicator's score from its scorers' parts (scorer_parts), not
    rounded (points are rounded at the part totals, as every indicator score is)."""
    if rule.aggregation == Aggregation.WEIGHTED:
        if any(s.weight is None for s in rule.scorers):
            raise ValueError(f"{rule.code}: a weighted average needs every scorer's weight")
        return sum((s.weight * parts[s.key] for s in rule.scorers), ZERO)
    return sum((parts[s.key] for s in rule.scorers), ZERO) / len(rule.scorers)


def _ratio_score(rule: IndicatorRule, target: Target | None) -> Decimal:
    if target is None:
        return ZERO
    if rule.direction == Direction.DEADLINE:
        met = target.completed_on is not None and target.deadline is not None
        return rule.max_points if met and target.completed_on <= target.deadline else ZERO
    value, actual = target.target_value, target.actual_value
    if value is None or actual is None:
        return ZERO  # nothing reported yet: nothing achieved
    if rule.direction == Direction.LOWER:
        if actual <= 0:
            return rule.max_points  # no errors at all beats any positive target
        return rule.max_points * value / actual
    if value <= 0:
        return rule.max_points
    return rule.max_points * actual / value


def institution_compute(rules: Rules, data: InstitutionInput) -> InstitutionOutcome:
    scores: dict[tuple[str, Period], Decimal] = {}
    by_scorer: dict[tuple[str, Period], dict[str, Decimal]] = {}
    halves: dict[tuple[Part, Period], Decimal] = defaultdict(lambda: ZERO)
    for rule in data.indicators:
        for period in periods_of(rule.part):
            if rule.per_scorer:
                parts = scorer_parts(rule, data.scorer_tallies.get((rule.code, period), {}))
                by_scorer[(rule.code, period)] = parts
                score = combined_score(rule, parts)
            else:
                target = data.targets.get((rule.code, period))
                score = indicator_score(rule, data.tallies.get((rule.code, period), ZERO), target)
            scores[(rule.code, period)] = score
            halves[(rule.part, period)] += score
    annual = annual_parts(halves)
    bonus = round_points(min(max(data.bonus, ZERO), rules.bonus_cap))
    veto = round_points(max(data.veto, ZERO))
    vetoed = veto >= rules.veto_line
    total = sum(annual.values(), ZERO) + bonus - veto
    grade = _grade(rules, total, vetoed)
    h1_total = (
        round_points(halves[(Part.COMMON, Period.H1)])
        + round_points(halves[(Part.BUSINESS, Period.H1)])
        + annual[Part.EXECUTION]
        + bonus
        - veto
    )
    return InstitutionOutcome(
        code=data.code,
        group=data.group,
        indicator_scores=scores,
        halves=dict(halves),
        common=annual[Part.COMMON],
        business=annual[Part.BUSINESS],
        execution=annual[Part.EXECUTION],
        bonus=bonus,
        bonus_uncapped=round_points(max(data.bonus, ZERO)),
        veto=veto,
        vetoed=vetoed,
        total=total,
        grade=grade,
        yellow_card=grade == Grade.UNQUALIFIED,
        admonition=grade == Grade.UNQUALIFIED and data.previous_grade == Grade.UNQUALIFIED,
        gap_to_qualify=None if vetoed else max(ZERO, rules.qualify_line - total),
        h1_total=h1_total,
        h1_grade=_grade(rules, h1_total, vetoed),
        scorer_scores=by_scorer,
    )


def annual_parts(halves: Mapping[tuple[Part, Period], Decimal]) -> dict[Part, Decimal]:
    """Each part's annual score from its unrounded period sums: the mean of H1 and H2 for the
    half-year parts, the year's sum for execution capacity; each rounded half-up to 2 decimals."""
    annual = {}
    for part in Part:
        if part == Part.EXECUTION:
            annual[part] = round_points(halves.get((part, Period.YEAR), ZERO))
        else:
            h1, h2 = halves.get((part, Period.H1), ZERO), halves.get((part, Period.H2), ZERO)
            annual[part] = round_points((h1 + h2) / 2)
    return annual


def _grade(rules: Rules, total: Decimal, vetoed: bool) -> Grade:
    """Vetoed → 不合格; total ≥ the qualify line → 合格; otherwise 不合格."""
    return Grade.QUALIFIED if not vetoed and total >= rules.qualify_line else Grade.UNQUALIFIED


def self_assessment_total(
    official: InstitutionOutcome,
    self_scores: Mapping[tuple[str, Period], Decimal],
    covered: Iterable[tuple[str, Period]],
    parts: Mapping[str, Part],
) -> Decimal:
    """The total the institution gives itself, compared like with like: its official result with
    each indicator and period it self-assessed (自评) replaced by its own score, then the parts,
    bonus and veto deductions as in the official total. What it did not self-assess counts as
    officially scored, so a self-assessment of one indicator is compared on that indicator alone.
    `parts` maps each indicator code to its part; `covered` pairs not applying are ignored."""
    halves: dict[tuple[Part, Period], Decimal] = defaultdict(lambda: ZERO)
    replaced = {key for key in covered if key in official.indicator_scores and key in self_scores}
    for (code, period), score in official.indicator_scores.items():
        mine = self_scores[(code, period)] if (code, period) in replaced else score
        halves[(parts[code], period)] += mine
    annual = annual_parts(halves)
    return sum(annual.values(), ZERO) + official.bonus - official.veto


# --- A group -------------------------------------------------------------------------------------


def competition_ranks(totals: list[Decimal]) -> list[int]:
    """1 + the number of strictly higher totals: equal totals share a rank (1, 2, 2, 4)."""
    ordered = sorted(totals, reverse=True)
    first_index = {}
    for index, total in enumerate(ordered):
        first_index.setdefault(total, index)
    return [first_index[t] + 1 for t in totals]


def group_rank(outcomes: list[InstitutionOutcome], prizes: Iterable[PrizeTier]) -> None:
    """Rank one group in place, then award prizes and work out the gaps.

    Vetoed institutions rank after all others (among themselves by total); prizes go to 合格
    institutions by rank: r ≤ n1 → 一等奖, r ≤ n1 + n2 → 二等奖, r ≤ n1 + n2 + n3 → 三等奖, so
    institutions tied at a boundary all get the higher prize and the tie uses up places below.
    """
    standing = [o for o in outcomes if not o.vetoed]
    vetoed = [o for o in outcomes if o.vetoed]
    for o, r in zip(standing, competition_ranks([o.total for o in standing]), strict=True):
        o.rank = r
    for o, r in zip(vetoed, competition_ranks([o.total for o in vetoed]), strict=True):
        o.rank = len(standing) + r
    # The mid-year ranking: the same rule on the H1 totals (prizes are annual only).
    for o, r in zip(standing, competition_ranks([o.h1_total for o in standing]), strict=True):
        o.h1_rank = r
    for o, r in zip(vetoed, competition_ranks([o.h1_total for o in vetoed]), strict=True):
        o.h1_rank = len(standing) + r

    bounds = []  # (level, last rank that wins it, amount)
    last = 0
    for tier in sorted(prizes, key=lambda p: p.level):
        last += tier.winners
        if tier.winners > 0:
            bounds.append((tier.level, last, tier.amount))
    for o in outcomes:
        o.prize_level, o.prize_amount, o.recommended = None, ZERO, False
        if o.grade != Grade.QUALIFIED:
            continue
        for level, last_rank, amount in bounds:
            if o.rank <= last_rank:
                o.prize_level, o.prize_amount, o.recommended = level, amount, True
                break
    _gaps(standing)


def _gaps(standing: list[InstitutionOutcome]) -> None:
    """Points to the next prize, to the unit above, and the margin over the unit below.
    Only for institutions that are not vetoed (a vetoed one cannot climb by points)."""
    totals = sorted({o.total for o in standing}, reverse=True)
    # The lowest total that still holds each prize level, among the current winners.
    lowest_of_level: dict[int, Decimal] = {}
    for o in standing:
        if o.prize_level is not None:
            current = lowest_of_level.get(o.prize_level)
            lowest_of_level[o.prize_level] = o.total if current is None else min(current, o.total)
    for o in standing:
        higher = [t for t in totals if t > o.total]
        lower = [t for t in totals if t < o.total]
        o.gap_to_above = (higher[-1] - o.total) if higher else None
        o.margin_below = (o.total - lower[0]) if lower else None
        better = [lv for lv in lowest_of_level if o.prize_level is None or lv < o.prize_level]
        if better:
            # The nearest better prize: the highest level number below ours (3 before 2 before 1).
            level = max(better)
            o.gap_to_next_prize = max(ZERO, lowest_of_level[level] - o.total)
        else:
            o.gap_to_next_prize = None


def year_compute(
    rules: Rules,
    institutions: Iterable[InstitutionInput],
    prizes: Mapping[str, list[PrizeTier]],
) -> list[InstitutionOutcome]:
    """Every institution's outcome; ranks and prizes within each assessment group. Institutions
    without a group are scored and graded but not ranked."""
    outcomes = [institution_compute(rules, data) for data in institutions]
    by_group: dict[str, list[InstitutionOutcome]] = defaultdict(list)
    for o in outcomes:
        if o.group is not None:
            by_group[o.group].append(o)
    for group, members in by_group.items():
        group_rank(members, prizes.get(group, []))
    return outcomes
