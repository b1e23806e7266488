"""The pure pay arithmetic: worked example of docs/PAYROLL.md, then properties."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payroll.distribution import (
    CENT,
    DEFAULT_TIER_COEFFICIENTS,
    Person,
    PersonalGrade,
    Tier,
    annual_pools,
    excellent_cap,
    incentive_pool,
    month_lines,
    monthly_basic,
    split,
    tier_of,
)


def test_worked_example():
    # L = 36,000 yuan, N = 7 formal staff, r = 0.6; the institution won 二等奖 (coefficient 1.15)
    pools = annual_pools(per_capita=D(36000), formal_staff=7, basic_ratio=D("0.6"))
    assert (pools.total, pools.basic, pools.incentive_base) == (
        D(252000),
        D("151200.00"),
        D("100800.00"),
    )
    assert monthly_basic(pools.basic, 1) == D("12600.00")
    assert incentive_pool(pools, DEFAULT_TIER_COEFFICIENTS[Tier.SECOND]) == D("115920.00")


def test_december_takes_the_remainder():
    basic = D("100000.01")
    months = [monthly_basic(basic, m) for m in range(1, 13)]
    assert months[0] == D("8333.33") and months[11] == D("8333.38")
    assert sum(months) == basic


def test_basic_ratio_outside_the_range_is_refused():
    for r in ("0.49", "0.71"):
        with pytest.raises(ValueError, match=r"between 0\.5 and 0\.7"):
            annual_pools(per_capita=D(1000), formal_staff=3, basic_ratio=D(r))


def test_tiers():
    assert tier_of(prize_level=1, qualified=True, vetoed=False) == Tier.FIRST
    assert tier_of(prize_level=None, qualified=True, vetoed=False) == Tier.QUALIFIED
    assert tier_of(prize_level=None, qualified=False, vetoed=True) == Tier.VETOED
    assert tier_of(prize_level=None, qualified=False, vetoed=False) == Tier.UNQUALIFIED


def test_excellent_cap():
    assert [excellent_cap(n) for n in (1, 4, 5, 9, 10, 23)] == [1, 1, 1, 1, 2, 4]


def test_split_largest_remainder_and_tie_break():
    # 100.00 in three equal parts: 33.33 each and one cent left; ties broken by staff number.
    shares = split(D("100.00"), {"b": D(1), "a": D(1), "c": D(1)})
    assert shares == {"a": D("33.34"), "b": D("33.33"), "c": D("33.33")}
    # Larger weight wins a tie of remainders before the staff number does.
    shares = split(D("0.05"), {"a": D(1), "b": D(2), "c": D(2)}, {"a": "1", "b": "3", "c": "2"})
    assert sum(shares.values()) == D("0.05")
    assert split(D("10.00"), {"a": D(0), "b": D(0)}) == {"a": D(0), "b": D(0)}


def test_month_lines_pay_formal_staff_only_and_add_up():
    people = [
        Person("e1", "E1", True, D("2.0"), D(4200), D(1000), D(0), PersonalGrade.EXCELLENT),
        Person("e2", "E2", True, D("1.0"), D(2600), D("800.50"), D(150)),
        Person("e3", "E3", True, D("1.0"), D(2600), D(900), D(0), PersonalGrade.UNQUALIFIED),
        Person("e4", "E4", False, D("1.0"), D(2000), D(0), D(0)),
    ]
    out = month_lines(
        people, basic_pool=D("12600.00"), incentive_pool=D("1000.00"), prize_pool=D("30000.00")
    )
    by = {line.key: line for line in out.lines}
    assert by["e1"].basic == D("6300.00") and by["e2"].basic == by["e3"].basic == D("3150.00")
    # incentive weights: 2.0 × 1.2 = 2.4, 1.0 × 1.0 = 1.0, 1.0 × 0 = 0
    # exact 705.882… and 294.117…: floors 705.88 + 294.11; the cent left goes to the
    # larger remainder
    assert by["e1"].incentive == D("705.88") and by["e2"].incentive == D("294.12")
    assert by["e3"].incentive == 0 and by["e3"].prize == 0
    assert (by["e4"].basic, by["e4"].incentive, by["e4"].prize) == (0, 0, 0)
    assert by["e4"].gross == D(2000)
    assert by["e2"].gross == D(2600) + D("800.50") + D(150) + D(3150) + D("294.12") + by["e2"].prize
    assert out.undistributed == 0


money = st.decimals(
    min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)
weight = st.decimals(min_value=0, max_value=5, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(money, st.lists(weight, min_size=1, max_size=40))
def test_split_is_exact_and_fair(pool, weights):
    keyed = {f"E{i:03d}": w for i, w in enumerate(weights)}
    shares = split(pool, keyed)
    total = sum(weights, D(0))
    if total == 0:
        assert all(s == 0 for s in shares.values())
        return
    assert sum(shares.values()) == pool  # adds up exactly
    for key, w in keyed.items():
        exact = pool * w / total
        assert abs(shares[key] - exact) < CENT  # within a cent of the exact share
        assert shares[key] == shares[key].quantize(CENT)
    for a, wa in keyed.items():
        for b, wb in keyed.items():
            if wa > wb:
                assert shares[a] >= shares[b]  # a higher coefficient never gets less


@settings(max_examples=100, deadline=None)
@given(
    st.decimals(min_value=0, max_value=100_000_000, places=2, allow_nan=False, allow_infinity=False)
)
def test_twelve_months_add_up(basic):
    assert sum(monthly_basic(basic, m) for m in range(1, 13)) == basic
