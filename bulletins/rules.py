"""The pure rules of a bulletin (docs/BULLETINS.md): which period a bulletin generated on a day
reports, how a rank moved since the previous bulletin, and which units of a group are lagging.
Plain values, no database."""

import datetime
from collections.abc import Iterable

ONE_DAY = datetime.timedelta(days=1)
WEEKLY = "weekly"
MONTHLY = "monthly"


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def week_start(day: datetime.date) -> datetime.date:
    """Monday of the week the day falls in (acceptance.models.week_start, the same rule)."""
    return day - datetime.timedelta(days=day.weekday())


def period(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period a bulletin generated on `day` reports: the period that ended last, so that beat
    on a Monday (weekly) or on the 1st (monthly) reports the one just closed.

    * weekly: the Monday to Sunday of the week before the one containing `day`;
    * monthly: the calendar month before the one containing `day`.
    """
    if kind == WEEKLY:
        start = week_start(day) - datetime.timedelta(weeks=1)
        return start, start + datetime.timedelta(days=6)
    if kind == MONTHLY:
        end = month_start(day) - ONE_DAY
        return end.replace(day=1), end
    raise ValueError(f"unknown bulletin kind {kind!r}")


def day_after(period_end: datetime.date) -> datetime.date:
    """A day whose bulletin reports the period ending on `period_end` (for regenerating it)."""
    return period_end + ONE_DAY


def movement(previous_rank: int | None, rank: int | None) -> str:
    """↑ / ↓ / → against the previous bulletin's rank (a smaller rank is better); "new" when the
    unit was not ranked there (first bulletin of the year, a new unit, or another group)."""
    if previous_rank is None or rank is None:
        return "new"
    if rank < previous_rank:
        return "up"
    if rank > previous_rank:
        return "down"
    return "same"


def lagging(ranks: Iterable[tuple[int, int | None]], bottom_n: int) -> set[int]:
    """The ids of the bottom `bottom_n` units of one group, from (id, rank) pairs.

    Vetoed units rank after all others (appraisal.engine.group_rank), so they are among the bottom
    ones first. A tie at the boundary takes in every unit of the tied rank: with ranks 1, 2, 3, 3, 5
    and bottom_n = 2, the units ranked 5, 3 and 3 are lagging (three units). A unit without a rank
    counts as the last. bottom_n = 0 marks none; a group no bigger than bottom_n is all lagging.
    """
    pairs = list(ranks)
    if bottom_n <= 0 or not pairs:
        return set()

    def badness(rank: int | None) -> tuple[bool, int]:
        return (rank is None, rank or 0)  # larger is worse; no rank is worst of all

    ordered = sorted(pairs, key=lambda pair: badness(pair[1]), reverse=True)
    if bottom_n >= len(ordered):
        return {pk for pk, _rank in ordered}
    boundary = badness(ordered[bottom_n - 1][1])
    return {pk for pk, rank in ordered if badness(rank) >= boundary}
