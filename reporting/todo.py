"""What 数据填报 has waiting for a user (待办, orgs.todo; docs/TODO.md and docs/REPORTING.md).

Registered in ReportingConfig.ready(). Reads through reporting.access and reporting.selectors.

* Contact persons and the head: reports being prepared, returned ones, and (danger) those past
  their reporting deadline — a half-year of an open year whose deadline passed with no report
  counts too; the head also the reports awaiting their approval.
* A scorer: items awaiting 初审 of their department; HR: items awaiting 复核; (danger) those past
  the review deadline.
"""

import datetime

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


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    role = user_role(user)
    today = today or timezone.localdate()
    if role in access.PREPARERS:
        items = _institution_items(user, today)
        if role == Role.HEAD:
            items.append(_awaiting_head(user))
        return items
    if role == Role.SCORER:
        return _review_items(user, ReportItem.Status.FIRST_REVIEW, today)
    if role == Role.HR:
        return _review_items(user, ReportItem.Status.SECOND_REVIEW, today)
    return []


def overdue_halves(user, today: datetime.date) -> list[tuple[Scheme, str, object]]:
    """(scheme, period, institution) of the user's institutions whose reporting deadline passed
    in an open year without a submitted report."""
    institutions = list(access.own_institutions(user))
    if not institutions:
        return []
    schemes = list(Scheme.objects.filter(status__in=selectors.OPEN_STATUSES))
    reports = {
        (r.scheme_id, r.institution_id, r.period): r.status
        for r in Report.objects.filter(scheme__in=schemes, institution__in=institutions)
    }
    overdue = []
    for scheme in schemes:
        for period in HalfYear.values:
            deadline = scheme.deadlines(period)[0]
            if not deadline or deadline >= today:
                continue
            for institution in institutions:
                status = reports.get((scheme.pk, institution.pk, period))
                if status is None or status in selectors.NOT_SUBMITTED:
                    overdue.append((scheme, period, institution))
    return overdue


def _institution_items(user, today: datetime.date) -> list[TodoItem]:
    mine = access.reports_visible_to(user)
    open_years = mine.filter(scheme__status__in=selectors.OPEN_STATUSES)
    return [
        TodoItem(
            key="reporting.overdue",
            label=_("Data reports past their reporting deadline"),
            count=len(overdue_halves(user, today)),
            url=_url("reporting:report_list", overdue="on"),
            menu=MENU,
            level="danger",
        ),
        TodoItem(
            key="reporting.returned",
            label=_("Data reports returned to correct"),
            count=open_years.filter(status=Report.Status.RETURNED).count(),
            url=_url("reporting:report_list", status=Report.Status.RETURNED),
            menu=MENU,
            level="warning",
        ),
        TodoItem(
            key="reporting.draft",
            label=_("Data reports to prepare and submit"),
            count=open_years.filter(status=Report.Status.DRAFT).count(),
            url=_url("reporting:report_list", status=Report.Status.DRAFT),
            menu=MENU,
        ),
    ]


def _awaiting_head(user) -> TodoItem:
    return TodoItem(
        key="reporting.awaiting_head",
        label=_("Data reports awaiting your approval"),
        count=access.reports_visible_to(user).filter(status=Report.Status.AWAITING_HEAD).count(),
        url=_url("reporting:report_list", status=Report.Status.AWAITING_HEAD),
        menu=MENU,
        level="warning",
    )


def _review_items(user, stage: str, today: datetime.date) -> list[TodoItem]:
    waiting = selectors.items_awaiting(user=user, stage=stage)
    first = stage == ReportItem.Status.FIRST_REVIEW
    return [
        TodoItem(
            key="reporting.review_overdue",
            label=_("Reported items past their review deadline"),
            count=selectors.items_overdue(waiting, today).count(),
            url=_url("reporting:queue"),
            menu=MENU,
            level="danger",
        ),
        TodoItem(
            key="reporting.first_review" if first else "reporting.second_review",
            label=_("Reported items awaiting first review")
            if first
            else _("Reported items awaiting second review"),
            count=waiting.count(),
            url=_url("reporting:queue"),
            menu=MENU,
            level="warning",
        ),
    ]
