"""The pure parts of the dashboard's figures: the mean, the months, the score bands."""

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dashboard.selectors import distribution, mean, months_of

LINE = Decimal("800")


def test_mean_rounds_half_up_to_the_cent():
    assert mean([Decimal("1"), Decimal("2"), Decimal("2")]) == Decimal("1.67")
    assert mean([Decimal("0.005"), Decimal("0.005")]) == Decimal("0.01")
    assert mean([]) is None


def test_months_run_to_the_current_month_and_cover_a_past_year():
    today = datetime.date(2026, 11, 21)
    assert months_of(2026, today)[-1] == datetime.date(2026, 11, 1)
    assert len(months_of(2026, today)) == 11
    assert len(months_of(2025, today)) == 12
    assert months_of(2027, today) == []


def test_bands_around_the_qualify_line():
    bands = distribution(
        [Decimal(v) for v in ("699.99", "700", "799.99", "800", "949.99", "950", "1020")], LINE
    )
    assert [b.label for b in bands] == [
        "< 700", "700–750", "750–800", "800–850", "850–900", "900–950", "≥ 950",
    ]  # fmt: skip
    assert [b.count for b in bands] == [1, 1, 1, 1, 0, 1, 2]


@given(st.lists(st.decimals(min_value=-100, max_value=1100, places=2), max_size=60))
def test_every_total_falls_in_exactly_one_band(totals):
    bands = distribution(totals, LINE)
    assert sum(b.count for b in bands) == len(totals)
