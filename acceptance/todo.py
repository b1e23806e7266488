"""What the acceptance has waiting for a user (待办, orgs.todo; the rules per role: docs/TODO.md).

Registered in AcceptanceConfig.ready(). Reads only the acceptance's tables, through
acceptance.access, in one query per role: HR decides the inspections of the batches under way;
a team member inspects those of their teams' planned and started batches; an institution head
submits the pilot's weekly report (周报) of the current week.
"""

import datetime

from django.db.models import Count, Exists, Min, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.access import institutions_visible_to, user_role
from orgs.models import Role
from orgs.todo import TodoItem

from .access import inspections_visible_to, reports_visible_to
from .models import Batch, Inspection, week_start

# From Friday on, the week's report is due within the weekend.
REPORT_DUE_WEEKDAY = 4


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    role = user_role(user)
    today = today or timezone.localdate()
    if role == Role.HR:
        pending = inspections_visible_to(user).filter(
            batch__status=Batch.Status.IN_PROGRESS, result=Inspection.Result.PENDING
        )
        return [
            _inspections(
                pending, key="acceptance.decide", label=_("Inspections waiting for a decision")
            )
        ]
    if role == Role.ACCEPTANCE:
        pending = inspections_visible_to(user).filter(
            batch__team__members=user,
            batch__status__in=[Batch.Status.PLANNED, Batch.Status.IN_PROGRESS],
            result=Inspection.Result.PENDING,
        )
        return [_inspections(pending, key="acceptance.inspect", label=_("Inspections to do"))]
    if role == Role.HEAD:
        return [_weekly_report(user, today)]
    return []


def _inspections(pending, *, key: str, label) -> TodoItem:
    counts = pending.aggregate(
        n=Count("pk"), batches=Count("batch", distinct=True), batch=Min("batch")
    )
    one_batch = counts["batches"] == 1
    return TodoItem(
        key=key,
        label=label,
        count=counts["n"],
        # One batch: its page lists them; several: the batch list, each with its pending count.
        url=reverse("acceptance:batch_detail", args=[counts["batch"]])
        if one_batch
        else reverse("acceptance:batch_list"),
        menu="acceptance",
    )


def _weekly_report(user, today: datetime.date) -> TodoItem:
    """The pilot institutions the head reports for with no report for this week yet (the rule of
    acceptance.services.missing_reports, over the head's own institutions)."""
    week = week_start(today)
    reported = reports_visible_to(user).filter(institution=OuterRef("pk"), week=week)
    due = institutions_visible_to(user).filter(is_pilot=True).exclude(Exists(reported))
    return TodoItem(
        key="acceptance.weekly_report",
        label=_("This week's report not yet submitted"),
        count=due.count(),
        url=reverse("acceptance:report_submit"),
        menu="weekly_reports",
        level="warning" if today.weekday() >= REPORT_DUE_WEEKDAY else "info",
        detail=_("week of %(monday)s") % {"monday": week.isoformat()},
    )
