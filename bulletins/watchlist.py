"""The early-warning list of a year read from the database in a fixed number of queries, whatever
the number of institutions: the results, then one query each for missing weekly reports, unsigned
letters and overdue explanations, and one per half-year whose reporting deadline has passed for
overdue 数据填报. The rules are in bulletins.warnings."""

import datetime

from django.db.models import QuerySet

from acceptance.models import WeeklyReport, week_start
from appraisal.models import Result, Scheme
from letters.models import Letter, Level
from orgs.models import Institution
from reporting.models import Report
from reporting.selectors import NOT_SUBMITTED

from . import warnings
from .models import ExplanationRequest, policy_for


def _below(other: Result, result: Result) -> bool:
    return not other.vetoed and other.total < result.total


def standings(results: list[Result]) -> list[warnings.Standing]:
    """Standings from a year's results, each knowing the prize of the unit ranked directly below
    it in its group (results of a group ordered by rank, as the rankings are)."""
    by_group: dict[int | None, list[Result]] = {}
    for r in sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.institution_id)):
        by_group.setdefault(r.group_id, []).append(r)
    out = []
    for rows in by_group.values():
        for i, r in enumerate(rows):
            # The unit ranked directly below is the one margin_below is measured against: the next
            # lower total among those not vetoed. A unit tied with it shares its rank, so it is
            # not "below" (otherwise of two tied prize winners only the second would be warned).
            below = next((rows[j] for j in range(i + 1, len(rows)) if _below(rows[j], r)), None)
            out.append(
                warnings.Standing(
                    institution_id=r.institution_id,
                    total=r.total,
                    veto=r.veto,
                    vetoed=r.vetoed,
                    prize_level=r.prize_level,
                    margin_below=r.margin_below,
                    prize_level_below=below.prize_level if below is not None else None,
                )
            )
    return out


def last_closed_week(day: datetime.date) -> datetime.date:
    """The Monday of the week before the one containing `day`: a report is due by week's end."""
    return week_start(day) - datetime.timedelta(weeks=1)


def no_report_ids(institutions: QuerySet[Institution], day: datetime.date) -> set[int]:
    reported = WeeklyReport.objects.filter(week=last_closed_week(day)).values("institution_id")
    return set(
        institutions.filter(is_pilot=True).exclude(pk__in=reported).values_list("pk", flat=True)
    )


def letter_unsigned_ids(scheme: Scheme, institutions: QuerySet[Institution]) -> set[int]:
    return set(
        Letter.objects.filter(
            scheme=scheme,
            level=Level.HEAD,
            status=Letter.Status.ISSUED,
            institution__in=institutions,
        ).values_list("institution_id", flat=True)
    )


def explanation_overdue_ids(
    scheme: Scheme, institutions: QuerySet[Institution], day: datetime.date
) -> set[int]:
    return set(
        ExplanationRequest.objects.filter(
            scheme=scheme,
            status=ExplanationRequest.Status.REQUESTED,
            due_on__lt=day,
            institution__in=institutions,
        ).values_list("institution_id", flat=True)
    )


def report_overdue_ids(
    scheme: Scheme, institutions: QuerySet[Institution], day: datetime.date
) -> set[int]:
    """The appraised institutions without a submitted 数据填报 for a half-year of `scheme` whose
    reporting deadline is before `day` (no report at all counts too): the rule of the reporting
    待办 (reporting.todo). No query while no deadline has passed."""
    overdue: set[int] = set()
    for period in ("h1", "h2"):
        deadline = scheme.deadlines(period)[0]
        if deadline is None or deadline >= day:
            continue
        submitted = (
            Report.objects.filter(scheme=scheme, period=period)
            .exclude(status__in=NOT_SUBMITTED)
            .values("institution_id")
        )
        overdue |= set(
            institutions.filter(group__isnull=False)
            .exclude(pk__in=submitted)
            .values_list("pk", flat=True)
        )
    return overdue


def year_warnings(
    scheme: Scheme,
    *,
    institutions: QuerySet[Institution],
    results: list[Result],
    day: datetime.date,
) -> list[warnings.Warning]:
    """The warnings of the year over `institutions` (already scoped to what the reader may see)
    and their `results` (loaded by the caller, who usually shows them too)."""
    limits = policy_for(scheme).thresholds()
    return warnings.year_warnings(
        standings(results),
        limits,
        no_report=no_report_ids(institutions, day),
        letter_unsigned=letter_unsigned_ids(scheme, institutions),
        explanation_overdue=explanation_overdue_ids(scheme, institutions, day),
        report_overdue=report_overdue_ids(scheme, institutions, day),
    )
