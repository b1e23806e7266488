"""What 数据填报 has waiting for a user (待办, orgs.todo; docs/TODO.md and docs/REPORTING.md).

Registered in ReportingConfig.ready(). Reads through reporting.access and reporting.selectors.

* Contact persons and the head: reports being prepared, returned ones, and (danger) those past
  their reporting deadline — a half-year of an open year whose deadline passed with no report
  counts too; the head also the reports awaiting their approval.
* A scorer: items awaiting 初审 of their department; HR: items awaiting 复核; (danger) those past
  the review deadline.
"""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from appraisal.models import HalfYear, Scheme
from orgs.access import user_role
from orgs.models import Role
from orgs.todo import TodoItem

from . import access, selectors
from .models import Report, ReportItem

MENU = "reporting"
DEADLINES = (
    "status",
    "year",
    "h1_report_deadline",
    "h1_review_deadline",
    "h2_report_deadline",
    "h2_review_deadline",
)


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    """At most two queries for an institution's people (the open years, then one count of
    everything), one for a reviewer: the home page's query count stays pinned."""
    role = user_role(user)
    today = today or timezone.localdate()
    if role in access.PREPARERS:
        return _institution_items(user, role, today)
    if role == Role.SCORER:
        return _review_items(user, ReportItem.Status.FIRST_REVIEW, today)
    if role == Role.HR:
        return _review_items(user, ReportItem.Status.SECOND_REVIEW, today)
    return []


def _institution_items(user, role: str, today: datetime.date) -> list[TodoItem]:
    schemes = list(Scheme.objects.filter(status__in=selectors.OPEN_STATUSES).only("pk", *DEADLINES))
    if not schemes:
        return []
    # The half-years whose reporting deadline passed: each institution without a submitted
    # report for one is overdue (no report at all counts too).
    passed = [
        (scheme.pk, period)
        for scheme in schemes
        for period in HalfYear.values
        if (deadline := scheme.deadlines(period)[0]) and deadline < today
    ]
    in_passed = Q(reports__period="")  # matches no report: no deadline passed
    for scheme_id, period in passed:
        in_passed |= Q(reports__scheme_id=scheme_id, reports__period=period)
    open_year = Q(reports__scheme__in=schemes)
    counts = access.own_institutions(user).aggregate(
        institutions=Count("pk", distinct=True),
        submitted_passed=Count(
            "reports", filter=in_passed & ~Q(reports__status__in=selectors.NOT_SUBMITTED)
        ),
        returned=Count("reports", filter=open_year & Q(reports__status=Report.Status.RETURNED)),
        draft=Count("reports", filter=open_year & Q(reports__status=Report.Status.DRAFT)),
        awaiting_head=Count(
            "reports", filter=open_year & Q(reports__status=Report.Status.AWAITING_HEAD)
        ),
    )
    items = [
        TodoItem(
            key="reporting.overdue",
            label=_("Data reports past their reporting deadline"),
            count=counts["institutions"] * len(passed) - counts["submitted_passed"],
            url=_url("reporting:report_list", overdue="on"),
            menu=MENU,
            level="danger",
        ),
        TodoItem(
            key="reporting.returned",
            label=_("Data reports returned to correct"),
            count=counts["returned"],
            url=_url("reporting:report_list", status=Report.Status.RETURNED),
            menu=MENU,
            level="warning",
        ),
        TodoItem(
            key="reporting.draft",
            label=_("Data reports to prepare and submit"),
            count=counts["draft"],
            url=_url("reporting:report_list", status=Report.Status.DRAFT),
            menu=MENU,
        ),
    ]
    if role == Role.HEAD:
        items.append(
            TodoItem(
                key="reporting.awaiting_head",
                label=_("Data reports awaiting your approval"),
                count=counts["awaiting_head"],
                url=_url("reporting:report_list", status=Report.Status.AWAITING_HEAD),
                menu=MENU,
                level="warning",
            )
        )
    return items


def _review_items(user, stage: str, today: datetime.date) -> list[TodoItem]:
    waiting = selectors.items_awaiting(user=user, stage=stage)
    overdue = selectors.items_overdue(waiting, today).values("pk")
    counts = waiting.aggregate(waiting=Count("pk"), overdue=Count("pk", filter=Q(pk__in=overdue)))
    first = stage == ReportItem.Status.FIRST_REVIEW
    return [
        TodoItem(
            key="reporting.review_overdue",
            label=_("Reported items past their review deadline"),
            count=counts["overdue"],
            url=_url("reporting:queue"),
            menu=MENU,
            level="danger",
        ),
        TodoItem(
            key="reporting.first_review" if first else "reporting.second_review",
            label=_("Reported items awaiting first review")
            if first
            else _("Reported items awaiting second review"),
            count=counts["waiting"],
            url=_url("reporting:queue"),
            menu=MENU,
            level="warning",
        ),
    ]
