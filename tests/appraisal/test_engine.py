"""The pure scoring engine (DESIGN.md §2; docs/SCORING.md): worked examples, then properties."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.engine import (
    Direction,
    Grade,
    IndicatorRule,
    InstitutionInput,
    Method,
    Part,
    Period,
    PrizeTier,
    Rules,
    Target,
    competition_ranks,
    indicator_score,
    institution_compute,
    round_points,
    year_compute,
)

RULES = Rules(part_max={Part.COMMON: D(300), Part.BUSINESS: D(300), Part.EXECUTION: D(400)})
C1 = IndicatorRule("C1", Part.COMMON, Method.DEDUCT, D(300))
B1 = IndicatorRule("B1", Part.BUSINESS, Method.ADD, D(300))
E1 = IndicatorRule("E1", Part.EXECUTION, Method.DEDUCT, D(400))
PRIZES = [PrizeTier(1, 1, D(50000)), PrizeTier(2, 2, D(30000)), PrizeTier(3, 3, D(10000))]


def inst(code, *, group="G1", c=(0, 0), b=(300, 300), e=0, bonus=0, veto=0, previous=None):
    """An institution with C1 deductions per half, B1 points per half, E1 deductions."""
    tallies = {
        ("C1", Period.H1): D(str(c[0])),
        ("C1", Period.H2): D(str(c[1])),
        ("B1", Period.H1): D(str(b[0])),
        ("B1", Period.H2): D(str(b[1])),
        ("E1", Period.YEAR): D(str(e)),
    }
    return InstitutionInput(
        code=code,
        group=group,
        indicators=[C1, B1, E1],
        tallies=tallies,
        bonus=D(str(bonus)),
        veto=D(str(veto)),
        previous_grade=previous,
    )


# --- Worked examples (the same as docs/SCORING.md) ---------------------------------------------


def test_worked_example_of_one_institution():
    # C1: −10 in H1, −5.5 in H2 → 290 and 294.5 → mean 292.25
    # B1: 250 in H1, 275.25 in H2 → mean 262.625 → 262.63 (half up)
    # E1: −36 → 364; bonus 25 capped at 20; veto 10 (below the line of 30)
    o = institution_compute(
        RULES, inst("A", c=(-10, "-5.5"), b=(250, "275.25"), e=-36, bonus=25, veto=10)
    )
    assert (o.common, o.business, o.execution) == (D("292.25"), D("262.63"), D("364.00"))
    assert (o.bonus, o.bonus_uncapped, o.veto, o.vetoed) == (
        D("20.00"),
        D("25.00"),
        D("10.00"),
        False,
    )
    assert o.total == D("928.88")  # 292.25 + 262.63 + 364 + 20 − 10
    assert o.grade == Grade.QUALIFIED and o.gap_to_qualify == 0


def test_clamps_to_zero_and_max():
    assert indicator_score(C1, D(-500)) == 0  # deductions beyond the max stop at 0
    assert indicator_score(C1, D(20)) == 300  # a positive adjustment cannot exceed the max
    assert indicator_score(B1, D(400)) == 300
    assert indicator_score(B1, D(-5)) == 0


def test_completion_ratio_indicators():
    higher = IndicatorRule("R", Part.BUSINESS, Method.RATIO, D(100), Direction.HIGHER)
    lower = IndicatorRule("L", Part.BUSINESS, Method.RATIO, D(50), Direction.LOWER)
    deadline = IndicatorRule("T", Part.BUSINESS, Method.RATIO, D(30), Direction.DEADLINE)
    assert indicator_score(higher, D(0), Target(D(200), D(150))) == D(75)
    assert indicator_score(higher, D(0), Target(D(200), D(260))) == D(100)  # capped at max
    assert indicator_score(higher, D(0), Target(D(200), None)) == 0  # nothing reported
    assert indicator_score(lower, D(0), Target(D("0.02"), D("0.04"))) == D(25)  # twice the errors
    assert indicator_score(lower, D(0), Target(D("0.02"), D(0))) == D(50)
    on_time = Target(deadline=date(2026, 6, 30), completed_on=date(2026, 6, 30))
    late = Target(deadline=date(2026, 6, 30), completed_on=date(2026, 7, 1))
    assert indicator_score(deadline, D(0), on_time) == D(30)
    assert indicator_score(deadline, D(0), late) == 0
    assert indicator_score(deadline, D(0), None) == 0


def test_veto_line_and_grade():
    at_line = institution_compute(RULES, inst("A", veto=30))
    assert at_line.vetoed and at_line.grade == Grade.UNQUALIFIED and at_line.total == D(970)
    assert at_line.gap_to_qualify is None  # points cannot lift a vetoed unit
    below = institution_compute(RULES, inst("B", veto="29.99"))
    assert not below.vetoed and below.grade == Grade.QUALIFIED
    exactly_800 = institution_compute(RULES, inst("C", b=(100, 100)))  # 300 + 100 + 400
    assert exactly_800.total == 800 and exactly_800.grade == Grade.QUALIFIED
    just_below = institution_compute(RULES, inst("D", b=(100, "99.98")))
    assert just_below.total == D("799.99") and just_below.grade == Grade.UNQUALIFIED
    assert just_below.gap_to_qualify == D("0.01")


def test_yellow_card_and_admonition():
    first = institution_compute(RULES, inst("A", b=(0, 0)))
    assert first.yellow_card and not first.admonition
    second = institution_compute(RULES, inst("A", b=(0, 0), previous=Grade.UNQUALIFIED))
    assert second.yellow_card and second.admonition
    fine = institution_compute(RULES, inst("A", previous=Grade.UNQUALIFIED))
    assert not fine.yellow_card and not fine.admonition


def test_competition_ranks_share_and_skip():
    assert competition_ranks([D(900), D(880), D(880), D(870)]) == [1, 2, 2, 4]
    assert competition_ranks([D(1), D(1), D(1)]) == [1, 1, 1]


def test_group_ranking_prizes_ties_and_vetoed_last():
    # totals: P 1000, Q 990 and R 990 (tied), S 980, T 970, U 960, V 790 (unqualified),
    # W 1000 but vetoed
    group = [
        inst("P"),
        inst("Q", c=(-10, -10)),
        inst("R", e=-10),
        inst("S", e=-20),
        inst("T", e=-30),
        inst("U", e=-40),
        inst("V", e=-210),
        inst("W", veto=30),
    ]
    out = {o.code: o for o in year_compute(RULES, group, {"G1": PRIZES})}
    assert [out[c].rank for c in "PQRSTUVW"] == [1, 2, 2, 4, 5, 6, 7, 8]
    # n1 = 1, n2 = 2, n3 = 3: rank ≤ 1 first, ≤ 3 second, ≤ 6 third.
    assert [out[c].prize_level for c in "PQRSTUVW"] == [1, 2, 2, 3, 3, 3, None, None]
    assert out["Q"].prize_amount == D(30000) and out["W"].prize_amount == 0
    assert out["W"].vetoed and out["W"].total == D(970)  # 1000 − 30, still ranked last
    assert out["P"].recommended and not out["V"].recommended
    # Gaps: Q and R tie; the unit above them is P.
    assert out["Q"].gap_to_above == 10 and out["Q"].margin_below == 10
    assert out["P"].gap_to_above is None and out["P"].gap_to_next_prize is None
    assert out["S"].gap_to_next_prize == 10  # to the lowest second prize (990)
    assert out["V"].gap_to_next_prize == D(170)  # to the lowest third prize (960)
    assert out["V"].margin_below is None  # lowest of the units standing
    assert out["W"].gap_to_above is None and out["W"].margin_below is None


def test_tie_at_a_boundary_gives_all_the_higher_prize_and_uses_up_places():
    # Two tied for first with n1 = 1: both first; the next is rank 3, which is second (≤ 1 + 2).
    group = [inst("A"), inst("B"), inst("C", e=-1), inst("D", e=-2), inst("E", e=-3)]
    out = {o.code: o for o in year_compute(RULES, group, {"G1": PRIZES})}
    assert [out[c].rank for c in "ABCDE"] == [1, 1, 3, 4, 5]
    assert [out[c].prize_level for c in "ABCDE"] == [1, 1, 2, 3, 3]


def test_institutions_without_a_group_are_not_ranked():
    out = year_compute(RULES, [inst("X", group=None)], {})
    assert out[0].rank is None and out[0].prize_level is None and out[0].grade == Grade.QUALIFIED


# --- Properties ---------------------------------------------------------------------------------

points = st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=0, max_value=60, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def institutions(draw, code):
    return InstitutionInput(
        code=code,
        group=draw(st.sampled_from(["G1", "G2"])),
        indicators=[C1, B1, E1],
        tallies={
            ("C1", Period.H1): draw(points),
            ("C1", Period.H2): draw(points),
            ("B1", Period.H1): draw(points),
            ("B1", Period.H2): draw(points),
            ("E1", Period.YEAR): draw(points),
        },
        bonus=draw(positive),
        veto=draw(positive),
        previous_grade=draw(st.sampled_from([None, Grade.QUALIFIED, Grade.UNQUALIFIED])),
    )


@st.composite
def groups(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    return [draw(institutions(f"I{i:02d}")) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(groups(), st.lists(st.integers(min_value=0, max_value=4), min_size=3, max_size=3))
def test_invariants(members, winners):
    prizes = [
        PrizeTier(level, n, D(1000 * (4 - level)))
        for level, n in zip((1, 2, 3), winners, strict=True)
    ]
    outcomes = year_compute(RULES, members, {"G1": prizes, "G2": prizes})
    for o in outcomes:
        # Each part stays within [0, max] and is rounded to the cent.
        for part, value in o.parts.items():
            assert 0 <= value <= RULES.part_max[part]
            assert value == round_points(value)
        assert 0 <= o.bonus <= RULES.bonus_cap
        assert o.total == o.common + o.business + o.execution + o.bonus - o.veto
        assert o.vetoed == (o.veto >= RULES.veto_line)
        assert (o.grade == Grade.QUALIFIED) == (not o.vetoed and o.total >= RULES.qualify_line)
        assert o.yellow_card == (o.grade == Grade.UNQUALIFIED)
        if o.prize_level is not None:
            assert o.grade == Grade.QUALIFIED
            assert o.rank <= sum(winners[: o.prize_level])
    for group in ("G1", "G2"):
        members_ = [o for o in outcomes if o.group == group]
        standing = [o for o in members_ if not o.vetoed]
        vetoed = [o for o in members_ if o.vetoed]
        # Vetoed institutions rank after every other one.
        if standing and vetoed:
            assert max(o.rank for o in standing) < min(o.rank for o in vetoed)
        # A higher total never ranks lower, equal totals share a rank.
        for a in standing:
            for b in standing:
                if a.total > b.total:
                    assert a.rank < b.rank
                if a.total == b.total:
                    assert a.rank == b.rank and a.prize_level == b.prize_level
        # No prize level holds more institutions than its places, unless a tie at its boundary.
        for o in standing:
            if o.prize_level is None and o.grade == Grade.QUALIFIED:
                assert o.rank > sum(winners)


@settings(max_examples=100, deadline=None)
@given(points, points)
def test_annual_part_is_the_rounded_mean_of_the_halves(h1, h2):
    data = InstitutionInput("A", "G1", [C1, B1, E1], {("C1", Period.H1): h1, ("C1", Period.H2): h2})
    o = institution_compute(RULES, data)
    s1, s2 = indicator_score(C1, h1), indicator_score(C1, h2)
    assert o.common == round_points((s1 + s2) / 2)
