"""Reads of the rollout: HR's rollout board and the weekly report (周报) pages (DESIGN.md §4,
docs/ACCEPTANCE.md). Set-based: the board costs the same few queries for 5 pilots as for 50.

**Who lags behind.** A pilot institution lags when its latest reported progress is more than
LAG_POINTS (20) percentage points below the median of the pilots' latest reported progress.
Progress alone decides, not the stage: the batches are staggered on purpose (a pilot planned for
the third batch is rightly stages behind one accepted in the first), whereas progress is each
institution's own measure against its rollout plan, so it compares across pilots. A pilot that
has never reported is not ranked; it is listed among those that have not reported.

**Not reported.** "This week" is the week (Monday to Sunday) containing the day the board is shown
for; services.missing_reports decides. The weekly Celery task (acceptance.tasks) records, for each
closed week, who had not reported; the board shows those flags in its trend."""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from orgs.access import institutions_visible_to
from orgs.models import Institution, Stage

from .access import reports_visible_to
from .models import Batch, Inspection, WeeklyReport, week_start
from .selectors import choice_order
from .services import missing_reports
from .tasks import missing_flags

LAG_POINTS = 20
TREND_WEEKS = 8


def laggards(progress: dict[str, int | None], *, points: int = LAG_POINTS):
    """(median, codes lagging) over the latest progress of each pilot (None: never reported).
    Pure: no database."""
    known = [p for p in progress.values() if p is not None]
    if not known:
        return None, set()
    median = statistics.median(known)
    return median, {code for code, p in progress.items() if p is not None and p < median - points}


def trend_weeks(day: datetime.date, n: int = TREND_WEEKS) -> list[datetime.date]:
    """The Mondays of the last `n` weeks up to the week of `day`, oldest first."""
    this_week = week_start(day)
    return [this_week - datetime.timedelta(weeks=k) for k in range(n - 1, -1, -1)]


@dataclass(frozen=True)
class TrendCell:
    week: datetime.date
    progress: int | None
    flagged: bool  # the weekly task recorded that no report came in for this week


@dataclass(frozen=True)
class AcceptanceState:
    """The institution's latest inspection (its highest round)."""

    round: int
    result: str
    result_label: str
    batch_name: str
    batch_status: str
    batch_status_label: str
    batch_date: datetime.date


@dataclass(frozen=True)
class BoardRow:
    institution: Institution
    report_week: datetime.date | None
    report_stage: str | None
    report_stage_label: str | None
    report_progress: int | None
    reported_this_week: bool
    lagging: bool
    trend: list[TrendCell]
    acceptance: AcceptanceState | None


@dataclass(frozen=True)
class RolloutBoard:
    day: datetime.date
    week: datetime.date  # Monday of "this week"
    weeks: list[datetime.date]  # the trend's weeks, oldest first
    rows: list[BoardRow]
    missing: list[Institution]  # no report this week
    lagging: list[BoardRow]
    median: float | None
    lag_points: int
    stage_counts: list[tuple[str, str, int]]  # (stage, label, pilots in it)
    flags: dict[datetime.date, list[str]]  # closed weeks the task flagged, newest first


def pilots_with_latest() -> QuerySet[Institution]:
    """Every pilot with its latest report and latest inspection, in one query (the board's rows,
    sorted by acceptance.filters.RolloutFilterSet)."""
    report = WeeklyReport.objects.filter(institution=OuterRef("pk")).order_by("-week")
    inspection = Inspection.objects.filter(institution=OuterRef("pk")).order_by("-round")

    def latest(rows, field):
        return Subquery(rows.values(field)[:1])

    return (
        Institution.objects.filter(is_pilot=True)
        .annotate(
            report_week=latest(report, "week"),
            report_stage=latest(report, "stage"),
            report_progress=latest(report, "progress"),
            inspection_round=latest(inspection, "round"),
            inspection_result=latest(inspection, "result"),
            batch_name=latest(inspection, "batch__name"),
            batch_status=latest(inspection, "batch__status"),
            batch_date=latest(inspection, "batch__date"),
            stage_order=choice_order("stage", Stage.values),
        )
        .order_by("code")
    )


def _acceptance(inst) -> AcceptanceState | None:
    if inst.inspection_round is None:
        return None
    return AcceptanceState(
        round=inst.inspection_round,
        result=inst.inspection_result,
        result_label=Inspection.Result(inst.inspection_result).label,
        batch_name=inst.batch_name,
        batch_status=inst.batch_status,
        batch_status_label=Batch.Status(inst.batch_status).label,
        batch_date=inst.batch_date,
    )


def rollout_board(
    *, day: datetime.date, pilots: QuerySet[Institution] | None = None
) -> RolloutBoard:
    """Every pilot institution: its stage, its latest report, whether it reported this week,
    whether it lags, its progress over the last TREND_WEEKS weeks and where its acceptance stands.
    `pilots`: pilots_with_latest() in the page's order (by code when not given). Three queries
    whatever the number of pilots (and one cache read for the flags)."""
    weeks = trend_weeks(day)
    this_week = weeks[-1]
    pilots = list(pilots_with_latest() if pilots is None else pilots)
    progress = {
        (institution_id, week): value
        for institution_id, week, value in WeeklyReport.objects.filter(
            institution__is_pilot=True, week__gte=weeks[0], week__lte=this_week
        ).values_list("institution_id", "week", "progress")
    }
    missing = list(missing_reports(day))
    missing_ids = {i.pk for i in missing}
    # The current week is not closed yet: the task flags only weeks gone by.
    flags = missing_flags(weeks[:-1])
    median, lagging_codes = laggards({i.code: i.report_progress for i in pilots})
    rows = [
        BoardRow(
            institution=inst,
            report_week=inst.report_week,
            report_stage=inst.report_stage,
            report_stage_label=Stage(inst.report_stage).label if inst.report_stage else None,
            report_progress=inst.report_progress,
            reported_this_week=inst.pk not in missing_ids,
            lagging=inst.code in lagging_codes,
            trend=[
                TrendCell(
                    week=w,
                    progress=progress.get((inst.pk, w)),
                    flagged=inst.code in flags.get(w, ()),
                )
                for w in weeks
            ],
            acceptance=_acceptance(inst),
        )
        for inst in pilots
    ]
    stage_counts = [
        (stage, label, n)
        for stage, label in Stage.choices
        if (n := sum(1 for inst in pilots if inst.stage == stage))
    ]
    return RolloutBoard(
        day=day,
        week=this_week,
        weeks=weeks,
        rows=rows,
        missing=missing,
        lagging=[row for row in rows if row.lagging],
        median=median,
        lag_points=LAG_POINTS,
        stage_counts=stage_counts,
        flags={w: flags[w] for w in reversed(weeks) if flags.get(w)},
    )


# --- Weekly reports ------------------------------------------------------------------------------


def report_list(*, user) -> QuerySet[WeeklyReport]:
    """The reports the user may see, newest week first."""
    return (
        reports_visible_to(user)
        .select_related("institution", "submitted_by")
        .annotate(stage_order=choice_order("stage", Stage.values))
        .order_by("-week", "institution__code")
    )


def pilots_reporting_for(user) -> QuerySet[Institution]:
    """The pilot institutions whose reports the user may see (the list's filter choices)."""
    return institutions_visible_to(user).filter(is_pilot=True).order_by("code")


def missed_weeks(institution: Institution, *, day: datetime.date) -> list[datetime.date]:
    """The closed weeks among the last TREND_WEEKS for which the weekly task flagged the
    institution as not having reported, newest first."""
    flags = missing_flags(trend_weeks(day)[:-1])
    return sorted((w for w, codes in flags.items() if institution.code in codes), reverse=True)
