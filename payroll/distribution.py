"""Performance pay arithmetic (DESIGN.md §5, docs/PAYROLL.md): pure functions over Decimal and
plain dataclasses, no ORM. Every split is exact to the cent by largest remainder."""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0")


def cents(value: Decimal) -> Decimal:
    """Half-up to the cent: the rounding rule for every pool."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Tier(StrEnum):
    """The institution's bonus tier (奖励档次), from its appraisal result."""

    FIRST = "first"  # 一等奖
    SECOND = "second"  # 二等奖
    THIRD = "third"  # 三等奖
    QUALIFIED = "qualified"  # 合格
    VETOED = "vetoed"  # 一票否决
    UNQUALIFIED = "unqualified"  # 不合格


DEFAULT_TIER_COEFFICIENTS = {
    Tier.FIRST: Decimal("1.20"),
    Tier.SECOND: Decimal("1.15"),
    Tier.THIRD: Decimal("1.10"),
    Tier.QUALIFIED: Decimal("1.00"),
    Tier.VETOED: Decimal("0.90"),
    Tier.UNQUALIFIED: Decimal("0.80"),
}


class PersonalGrade(StrEnum):
    """An employee's individual grade (个人等次) for the year."""

    EXCELLENT = "excellent"  # 优秀
    QUALIFIED = "qualified"  # 合格
    BASIC = "basic"  # 基本合格
    UNQUALIFIED = "unqualified"  # 不合格


DEFAULT_GRADE_COEFFICIENTS = {
    PersonalGrade.EXCELLENT: Decimal("1.2"),
    PersonalGrade.QUALIFIED: Decimal("1.0"),
    PersonalGrade.BASIC: Decimal("0.5"),
    PersonalGrade.UNQUALIFIED: Decimal("0"),
}
DEFAULT_EXCELLENT_SHARE = Decimal("0.20")


def tier_of(*, prize_level: int | None, qualified: bool, vetoed: bool) -> Tier:
    """Its prize if it has one, else 合格, else 一票否决 if vetoed, else 不合格."""
    if prize_level is not None:
        return (Tier.FIRST, Tier.SECOND, Tier.THIRD)[prize_level - 1]
    if qualified:
        return Tier.QUALIFIED
    return Tier.VETOED if vetoed else Tier.UNQUALIFIED


def excellent_cap(formal_staff: int, share: Decimal = DEFAULT_EXCELLENT_SHARE) -> int:
    """At most max(1, ⌊N × share⌋) formal staff may be 优秀."""
    return max(1, int((Decimal(formal_staff) * share).to_integral_value(rounding=ROUND_DOWN)))


# --- Pools ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualPools:
    total: Decimal  # 绩效工资总量 T = L × N
    basic: Decimal  # 基础性绩效 B = T × r, to the cent
    incentive_base: Decimal  # T − B, before the tier coefficient


def annual_pools(*, per_capita: Decimal, formal_staff: int, basic_ratio: Decimal) -> AnnualPools:
    if not Decimal("0.5") <= basic_ratio <= Decimal("0.7"):
        raise ValueError("The basic ratio must be between 0.5 and 0.7.")
    total = cents(per_capita * formal_staff)
    basic = cents(total * basic_ratio)
    return AnnualPools(total=total, basic=basic, incentive_base=total - basic)


def monthly_basic(basic: Decimal, month: int) -> Decimal:
    """B / 12 to the cent for January to November; December takes the remainder, so the twelve
    months add up to B exactly."""
    if not 1 <= month <= 12:
        raise ValueError("month is 1 to 12")
    regular = cents(basic / 12)
    return basic - regular * 11 if month == 12 else regular


def incentive_pool(pools: AnnualPools, coefficient: Decimal) -> Decimal:
    """(T − B) × the tier's coefficient, to the cent."""
    return cents(pools.incentive_base * coefficient)


# --- Exact split ---------------------------------------------------------------------------------


def split(
    pool: Decimal, weights: Mapping[Hashable, Decimal], order: Mapping[Hashable, str] | None = None
) -> dict:
    """Split `pool` (whole cents) in proportion to `weights`, exactly.

    Each share is first the exact share rounded down to the cent; the cents left over go one each
    to the largest remainders. Tie-break (documented in docs/PAYROLL.md): larger weight first,
    then the `order` key (the staff number) ascending. So the shares add up to the pool, and no
    share differs from its exact value by a cent or more. With no positive weight nothing can be
    paid: every share is zero (the caller reports the pool as undistributed).
    """
    if pool != pool.quantize(CENT):
        raise ValueError("The pool must be whole cents.")
    if pool < 0:
        raise ValueError("The pool cannot be negative.")
    if any(w < 0 for w in weights.values()):
        raise ValueError("Weights cannot be negative.")
    total_weight = sum(weights.values(), ZERO)
    if total_weight == 0:
        return dict.fromkeys(weights, ZERO)
    order = order or {k: str(k) for k in weights}
    shares, remainders = {}, []
    for key, weight in weights.items():
        exact = pool * weight / total_weight
        floor = exact.quantize(CENT, rounding=ROUND_DOWN)
        shares[key] = floor
        remainders.append((exact - floor, weight, order[key], key))
    left = int((pool - sum(shares.values(), ZERO)) / CENT)
    remainders.sort(key=lambda r: (-r[0], -r[1], r[2]))
    for _rest, _weight, _order, key in remainders[:left]:
        shares[key] += CENT
    return shares


# --- A month's lines -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    key: Hashable
    staff_number: str
    is_formal: bool
    post_coefficient: Decimal
    post_wage: Decimal
    grade_wage: Decimal
    special_allowance: Decimal
    grade: PersonalGrade = PersonalGrade.QUALIFIED


@dataclass(frozen=True)
class Line:
    key: Hashable
    post_wage: Decimal
    grade_wage: Decimal
    special_allowance: Decimal
    basic: Decimal  # 基础性绩效
    incentive: Decimal  # 奖励性绩效
    prize: Decimal  # 考核奖金

    @property
    def gross(self) -> Decimal:  # 应发合计
        return (
            self.post_wage
            + self.grade_wage
            + self.special_allowance
            + self.basic
            + self.incentive
            + self.prize
        )


@dataclass(frozen=True)
class MonthOutcome:
    lines: list[Line]
    undistributed: Decimal  # a pool nobody could receive (every weight zero)


def month_lines(
    people: list[Person],
    *,
    basic_pool: Decimal = ZERO,
    incentive_pool: Decimal = ZERO,
    prize_pool: Decimal = ZERO,
    grade_coefficients: Mapping[PersonalGrade, Decimal] = DEFAULT_GRADE_COEFFICIENTS,
) -> MonthOutcome:
    """Every person's line: fixed parts for all; the basic pool to formal staff by post
    coefficient; the incentive pool and the prize money to formal staff by post coefficient ×
    grade coefficient. Non-formal staff get their fixed parts only."""
    formal = [p for p in people if p.is_formal]
    order = {p.key: p.staff_number for p in formal}
    basic = split(basic_pool, {p.key: p.post_coefficient for p in formal}, order)
    merit = {p.key: p.post_coefficient * grade_coefficients[p.grade] for p in formal}
    incentive = split(incentive_pool, merit, order)
    prize = split(prize_pool, merit, order)
    undistributed = ZERO
    for pool, shares in ((basic_pool, basic), (incentive_pool, incentive), (prize_pool, prize)):
        undistributed += pool - sum(shares.values(), ZERO)
    lines = [
        Line(
            key=p.key,
            post_wage=p.post_wage,
            grade_wage=p.grade_wage,
            special_allowance=p.special_allowance,
            basic=basic.get(p.key, ZERO),
            incentive=incentive.get(p.key, ZERO),
            prize=prize.get(p.key, ZERO),
        )
        for p in people
    ]
    return MonthOutcome(lines=lines, undistributed=undistributed)
