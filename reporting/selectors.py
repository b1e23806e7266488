"""Reads of 数据填报, scoped through reporting.access; set-based (the list pages' query counts are
pinned in tests/reporting)."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from appraisal.models import Scheme
from orgs.access import user_role
from orgs.models import Role

from . import access
from .models import Report, ReportItem

OPEN_STATUSES = (Scheme.Status.OPEN, Scheme.Status.REVIEW)
NOT_SUBMITTED = (Report.Status.DRAFT, Report.Status.RETURNED)
Status = ReportItem.Status


def report_list(*, user) -> QuerySet[Report]:
    """The reports the user sees, with their items counted by status (only the items the user
    sees: a scorer's count is of their department's)."""
    visible = access.items_visible_to(user).values("pk")
    mine = Q(items__pk__in=visible)
    return (
        access.reports_visible_to(user)
        .select_related("scheme", "institution")
        .annotate(
            item_count=Count("items", filter=mine, distinct=True),
            first_review_count=Count(
                "items", filter=mine & Q(items__status=Status.FIRST_REVIEW), distinct=True
            ),
            second_review_count=Count(
                "items", filter=mine & Q(items__status=Status.SECOND_REVIEW), distinct=True
            ),
            returned_count=Count(
                "items", filter=mine & Q(items__status=Status.RETURNED), distinct=True
            ),
            checked_count=Count(
                "items", filter=mine & Q(items__status=Status.CHECKED), distinct=True
            ),
        )
        .order_by("-scheme__year", "period", "institution__code")
    )


def _report_deadline_passed(today: datetime.date) -> Q:
    return Q(period="h1", scheme__h1_report_deadline__lt=today) | Q(
        period="h2", scheme__h2_report_deadline__lt=today
    )


def _review_deadline_passed(today: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}period": "h1", f"{prefix}scheme__h1_review_deadline__lt": today}) | Q(
        **{f"{prefix}period": "h2", f"{prefix}scheme__h2_review_deadline__lt": today}
    )


def reports_overdue(*, today: datetime.date | None = None, user=None) -> QuerySet[Report]:
    """Reports of an open year not submitted (being prepared or returned) after their reporting
    deadline; of the user's scope when given."""
    today = today or timezone.localdate()
    qs = access.reports_visible_to(user) if user is not None else Report.objects.all()
    return (
        qs.filter(scheme__status__in=OPEN_STATUSES, status__in=NOT_SUBMITTED)
        .filter(_report_deadline_passed(today))
        .select_related("scheme", "institution__head")
    )


def items_awaiting(*, user, stage: str) -> QuerySet[ReportItem]:
    """The items waiting for the user's review: 初审 (a scorer: their department's) or 复核 (HR)."""
    if stage == Status.FIRST_REVIEW:
        if user_role(user) != Role.SCORER:
            return ReportItem.objects.none()
    elif stage == Status.SECOND_REVIEW:
        if not access.can_second_review(user):
            return ReportItem.objects.none()
    else:
        return ReportItem.objects.none()
    return (
        access.items_visible_to(user)
        .filter(status=stage, report__scheme__status__in=OPEN_STATUSES)
        .select_related("report__scheme", "report__institution", "indicator", "target")
        .order_by("sent_up_at", "pk")
    )


def items_overdue(qs: QuerySet[ReportItem], today: datetime.date) -> QuerySet[ReportItem]:
    return qs.filter(_review_deadline_passed(today, "report__"))


def is_overdue(report: Report, today: datetime.date) -> bool:
    deadline = report.scheme.deadlines(report.period)[0]
    return bool(deadline and deadline < today and report.status in NOT_SUBMITTED)
