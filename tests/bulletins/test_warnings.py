"""The pure early-warning rules (bulletins/warnings.py) and the pure bulletin rules
(bulletins/rules.py: periods, movement, lagging), at their boundaries; no database."""

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletins import rules
from bulletins.warnings import (
    SEVERITY,
    Code,
    Standing,
    Thresholds,
    Warning,
    standing_warnings,
    year_warnings,
)

LIMITS = Thresholds(
    qualify_line=D("800"), veto_line=D("30"), veto_margin=D("10"), prize_margin=D("5")
)


def codes(standing, limits=LIMITS):
    return [w.code for w in standing_warnings(standing, limits)]


def unit(**kwargs):
    defaults = {"institution_id": 1, "total": D("900"), "veto": D("0"), "vetoed": False}
    return Standing(**(defaults | kwargs))


# --- Veto ----------------------------------------------------------------------------------------


def test_vetoed_is_only_vetoed_whatever_the_total():
    standing = unit(total=D("650"), veto=D("30"), vetoed=True)
    (warning,) = standing_warnings(standing, LIMITS)
    assert warning.code == Code.VETOED and warning.detail == {"veto": "30"}
    assert codes(standing) == [Code.VETOED]  # not also below the line or near the veto line


@pytest.mark.parametrize(
    "veto,warned",
    [
        ("0", False),  # nothing deducted: never warned, even with a margin as wide as the line
        ("19.99", False),  # just outside line − margin
        ("20", True),  # exactly at line − margin: warned
        ("29.99", True),
    ],
)
def test_veto_near_from_exactly_line_minus_margin(veto, warned):
    assert (Code.VETO_NEAR in codes(unit(veto=D(veto)))) is warned


def test_veto_near_says_how_far_the_line_is():
    (warning,) = standing_warnings(unit(veto=D("24.50")), LIMITS)
    assert warning.detail == {"veto": "24.50", "to_line": "5.50"}


def test_a_margin_as_wide_as_the_line_does_not_warn_a_clean_unit():
    wide = Thresholds(D("800"), D("30"), veto_margin=D("30"), prize_margin=D("5"))
    assert codes(unit(veto=D("0")), wide) == []
    assert codes(unit(veto=D("0.5")), wide) == [Code.VETO_NEAR]


# --- The qualify line ----------------------------------------------------------------------------


@pytest.mark.parametrize("total,warned", [("799.99", True), ("800", False), ("800.01", False)])
def test_below_line_strictly_below_800(total, warned):
    assert (Code.BELOW_LINE in codes(unit(total=D(total)))) is warned


def test_below_line_gives_the_gap():
    (warning,) = standing_warnings(unit(total=D("781.25")), LIMITS)
    assert warning.detail == {"total": "781.25", "gap": "18.75"}


# --- Prizes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "margin,warned",
    [("4.99", True), ("5", True), ("5.00", True), ("5.01", False)],
)
def test_prize_at_risk_up_to_and_including_the_margin(margin, warned):
    standing = unit(prize_level=2, margin_below=D(margin), prize_level_below=3)
    assert (Code.PRIZE_AT_RISK in codes(standing)) is warned


def test_prize_at_risk_when_the_unit_below_has_no_prize():
    standing = unit(prize_level=3, margin_below=D("1"), prize_level_below=None)
    (warning,) = standing_warnings(standing, LIMITS)
    assert warning.code == Code.PRIZE_AT_RISK and warning.detail == {"prize": 3, "margin": "1"}


def test_no_warning_when_the_unit_below_holds_the_same_prize():
    # Tied at a prize boundary or simply the same prize: overtaking it loses nothing.
    assert codes(unit(prize_level=2, margin_below=D("0.5"), prize_level_below=2)) == []


def test_no_prize_no_prize_warning():
    assert codes(unit(prize_level=None, margin_below=D("0.1"), prize_level_below=None)) == []


def test_no_unit_below_no_prize_warning():
    assert codes(unit(prize_level=1, margin_below=None, prize_level_below=None)) == []


def test_a_vetoed_unit_never_holds_a_prize_warning():
    standing = unit(vetoed=True, veto=D("30"), prize_level=None, margin_below=D("1"))
    assert codes(standing) == [Code.VETOED]


# --- The year's list -----------------------------------------------------------------------------


def test_year_warnings_most_serious_first_then_by_institution():
    standings = [
        unit(institution_id=3, total=D("700")),
        unit(institution_id=2, total=D("650"), veto=D("30"), vetoed=True),
        unit(institution_id=1, veto=D("25"), total=D("790")),
    ]
    found = year_warnings(
        standings, LIMITS, no_report={4, 1}, letter_unsigned={2}, explanation_overdue={3}
    )
    assert [(w.code, w.institution_id) for w in found] == [
        (Code.VETOED, 2),
        (Code.VETO_NEAR, 1),
        (Code.BELOW_LINE, 1),
        (Code.BELOW_LINE, 3),
        (Code.EXPLANATION_OVERDUE, 3),
        (Code.LETTER_UNSIGNED, 2),
        (Code.NO_REPORT, 1),
        (Code.NO_REPORT, 4),
    ]


def test_as_dict_is_json_safe_and_carries_the_figures():
    warning = Warning(7, Code.BELOW_LINE, {"total": "781.25", "gap": "18.75"})
    assert warning.as_dict() == {
        "institution_id": 7,
        "code": "below_line",
        "total": "781.25",
        "gap": "18.75",
    }


points = st.decimals(min_value=0, max_value=1200, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(total=points, veto=st.decimals(min_value=0, max_value=60, places=2), margin=points)
def test_property_a_unit_is_warned_iff_a_rule_says_so(total, veto, margin):
    """Vetoed units get exactly one warning; others are warned below the line, near the veto line
    (only with deductions) and about a prize, each exactly when its rule holds; severity orders."""
    vetoed = veto >= LIMITS.veto_line
    standing = unit(total=total, veto=veto, vetoed=vetoed, prize_level=1, margin_below=margin)
    found = codes(standing)
    expected = []
    if vetoed:
        expected.append(Code.VETOED)
    else:
        if D("0") < veto and veto >= LIMITS.veto_line - LIMITS.veto_margin:
            expected.append(Code.VETO_NEAR)
        if total < LIMITS.qualify_line:
            expected.append(Code.BELOW_LINE)
    if margin <= LIMITS.prize_margin:
        expected.append(Code.PRIZE_AT_RISK)
    assert found == expected
    assert [SEVERITY[c] for c in found] == sorted(SEVERITY[c] for c in found)


# --- Periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,start,end",
    [
        ("2026-11-16", "2026-11-09", "2026-11-15"),  # a Monday: the week just ended
        ("2026-11-22", "2026-11-09", "2026-11-15"),  # a Sunday: still the week before its own
        ("2027-01-04", "2026-12-28", "2027-01-03"),  # across the new year
    ],
)
def test_weekly_period_is_the_last_closed_week(day, start, end):
    got = rules.period("weekly", datetime.date.fromisoformat(day))
    assert got == (datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))
    assert got[0].weekday() == 0 and got[1].weekday() == 6


@pytest.mark.parametrize(
    "day,start,end",
    [
        ("2026-11-01", "2026-10-01", "2026-10-31"),  # the 1st: the month just ended
        ("2026-11-30", "2026-10-01", "2026-10-31"),
        ("2026-03-01", "2026-02-01", "2026-02-28"),
        ("2027-01-01", "2026-12-01", "2026-12-31"),
    ],
)
def test_monthly_period_is_the_previous_month(day, start, end):
    got = rules.period("monthly", datetime.date.fromisoformat(day))
    assert got == (datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))


@given(day=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31)))
def test_property_regenerating_from_the_day_after_finds_the_same_period(day):
    for kind in ("weekly", "monthly"):
        start, end = rules.period(kind, day)
        assert end < day
        assert rules.period(kind, rules.day_after(end)) == (start, end)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        rules.period("daily", datetime.date(2026, 11, 1))


# --- Movement and lagging ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "previous,rank,move",
    [(3, 1, "up"), (1, 3, "down"), (2, 2, "same"), (None, 2, "new"), (2, None, "new")],
)
def test_movement(previous, rank, move):
    assert rules.movement(previous, rank) == move


@pytest.mark.parametrize(
    "ranks,n,expected",
    [
        ([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], 2, {4, 5}),
        ([(1, 1), (2, 2), (3, 3), (4, 3), (5, 5)], 2, {3, 4, 5}),  # a tie at the boundary: all
        ([(1, 1), (2, 2), (3, 2), (4, 2)], 1, {2, 3, 4}),  # every tied unit, even beyond n
        ([(1, 1), (2, 1)], 2, {1, 2}),  # a group no bigger than n
        ([(1, 1), (2, 2), (3, 3)], 0, set()),  # nobody asked
        ([], 2, set()),
        ([(1, 1), (2, None), (3, 2)], 1, {2}),  # no rank counts as the last
        ([(1, 1), (2, 2), (3, 3), (4, 4)], 2, {3, 4}),  # a vetoed unit ranked 4 is among them
    ],
)
def test_lagging_bottom_n_with_ties(ranks, n, expected):
    assert rules.lagging(ranks, n) == expected


@given(
    ranks=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=12),
    n=st.integers(min_value=0, max_value=6),
)
def test_property_lagging_is_a_bottom_slice_of_at_least_n(ranks, n):
    pairs = list(enumerate(ranks))
    chosen = rules.lagging(pairs, n)
    assert len(chosen) >= min(n, len(pairs))
    if chosen:
        # Nobody outside ranks at or below anybody inside it: it is the bottom of the group.
        worst_outside = max((r for pk, r in pairs if pk not in chosen), default=0)
        assert worst_outside < min(r for pk, r in pairs if pk in chosen)
        # And it takes no more than the tie at its boundary forces.
        boundary = min(r for pk, r in pairs if pk in chosen)
        assert len([pk for pk, r in pairs if r > boundary]) < n


# --- Standings from results (watchlist.standings) ------------------------------------------------


def _result(pk, total, rank, prize=None, margin=None, vetoed=False, group=1):
    from appraisal.models import Result

    return Result(
        institution_id=pk,
        group_id=group,
        total=D(total),
        veto=D("30") if vetoed else D("0"),
        vetoed=vetoed,
        rank=rank,
        prize_level=prize,
        margin_below=D(margin) if margin is not None else None,
    )


def test_two_prize_winners_tied_are_both_at_risk():
    """The unit "directly below" is the next lower total (the one margin_below measures against),
    not a unit tied with it: both tied winners lead the third by 3 points and are warned."""
    from bulletins.watchlist import standings

    results = [
        _result(1, "900", 1, prize=1, margin="3"),
        _result(2, "900", 1, prize=1, margin="3"),
        _result(3, "897", 3, prize=None, margin=None),
        _result(4, "950", 4, vetoed=True),  # vetoed: ranked last, never "below" anyone
        _result(5, "990", 1, prize=1, margin="50", group=2),
    ]
    found = year_warnings(standings(results), LIMITS)
    assert [(w.code, w.institution_id) for w in found] == [
        (Code.VETOED, 4),
        (Code.PRIZE_AT_RISK, 1),
        (Code.PRIZE_AT_RISK, 2),
    ]
    by_id = {s.institution_id: s for s in standings(results)}
    assert by_id[1].prize_level_below is None and by_id[3].prize_level_below is None
