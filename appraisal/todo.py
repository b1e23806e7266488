"""What the appraisal has waiting for a user (待办, orgs.todo; the rules per role: docs/TODO.md).

Registered in AppraisalConfig.ready(). Reads only the appraisal's tables, through appraisal.access
and appraisal.selectors (the same rules as the pages the items link to), in at most three queries.
"""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from orgs.access import user_role
from orgs.models import Role
from orgs.todo import TodoItem

from . import selectors
from .access import appeals_visible_to, indicators_scored_by, schemes_visible_to
from .models import Appeal, Period, Scheme

# A head hears of an answered appeal for this long after the answer.
ANSWERED_DAYS = 30


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    role = user_role(user)
    today = today or timezone.localdate()
    if role == Role.HR:
        return [_proposals(user), _reviews(user), _appeals_pending(user)]
    if role == Role.SCORER:
        return [*_unscored(user, today), _appeals_pending(user)]
    if role == Role.HEAD:
        return [_appeals_answered(user, today)]
    return []


def _proposals(user) -> TodoItem:
    return TodoItem(
        key="appraisal.proposals",
        label=_("Bonus and veto proposals to decide"),
        count=selectors.proposals_pending(user=user).count(),
        url=reverse("appraisal:approvals"),
        menu="approvals",
    )


def _reviews(user) -> TodoItem:
    # 评分需复核: a scorer's or leader's points count only once reviewed.
    return TodoItem(
        key="appraisal.reviews",
        label=_("Scores awaiting review"),
        count=selectors.reviews_pending(user=user).count(),
        url=_url("appraisal:approvals", show="reviews"),
        menu="approvals",
    )


def _appeals_pending(user) -> TodoItem:
    # The review window is short and a year with an unanswered appeal cannot be published.
    return TodoItem(
        key="appraisal.appeals_pending",
        label=_("Appeals waiting for an answer"),
        count=appeals_visible_to(user).filter(status=Appeal.Status.PENDING).count(),
        url=_url("appraisal:appeal_list", status=Appeal.Status.PENDING),
        menu="appeals",
        level="warning",
    )


def _appeals_answered(user, today: datetime.date) -> TodoItem:
    since = today - datetime.timedelta(days=ANSWERED_DAYS)
    answered = appeals_visible_to(user).filter(
        status__in=[Appeal.Status.ACCEPTED, Appeal.Status.REJECTED], answered_at__date__gte=since
    )
    return TodoItem(
        key="appraisal.appeals_answered",
        label=_("Appeals answered in the last 30 days"),
        count=answered.count(),
        url=_url("appraisal:appeal_list", answered_since=since.isoformat()),
        menu="appeals",
    )


def _unscored(user, today: datetime.date) -> list[TodoItem]:
    """The scorer's indicators of the open year with a gap in the current half-year."""
    scheme = schemes_visible_to(user).filter(status=Scheme.Status.OPEN).order_by("-year").first()
    if scheme is None:
        return []
    period = selectors.current_half(scheme.year, today)
    unscored = selectors.indicators_unscored(user=user, scheme=scheme, period=period)
    missing = selectors.indicators_missing_figures(user=user, scheme=scheme, period=period)
    counts = indicators_scored_by(user, scheme).aggregate(
        unscored=Count("pk", filter=Q(pk__in=unscored.values("pk"))),
        missing=Count("pk", filter=Q(pk__in=missing.values("pk"))),
    )
    when = _("%(year)s, %(half)s") % {"year": scheme.year, "half": Period(period).label}
    return [
        TodoItem(
            key="appraisal.unscored",
            label=_("Points indicators not yet scored this half-year"),
            count=counts["unscored"],
            url=_url("appraisal:scoring_grid", scheme.year, unscored="on"),
            menu="scoring",
            detail=when,
        ),
        TodoItem(
            key="appraisal.figures_missing",
            label=_("Completion-ratio indicators waiting for this half-year's figures"),
            count=counts["missing"],
            url=reverse("appraisal:scheme_targets", args=[scheme.year]),
            menu="scoring",
            detail=when,
        ),
    ]
