"""What the bulletins have waiting for a user (待办, orgs.todo; the rules per role: docs/TODO.md).

Registered in BulletinsConfig.ready(). One query, through bulletins.access, on explanation
requests (情况说明): HR reviews the submitted ones and chases the overdue ones; an institution head
answers their institution's requests, overdue ones first. "Overdue" is services.is_overdue's rule
(still requested, past its due day), which the list's `overdue` filter applies too.
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

from .access import explanations_visible_to
from .models import ExplanationRequest

REQUESTED, SUBMITTED = ExplanationRequest.Status.REQUESTED, ExplanationRequest.Status.SUBMITTED


def _list_url(**query) -> str:
    return f"{reverse('bulletins:explanation_list')}?{urlencode(query)}"


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    role = user_role(user)
    if role not in (Role.HR, Role.HEAD):
        return []
    today = today or timezone.localdate()
    overdue = Q(status=REQUESTED, due_on__lt=today)
    counts = explanations_visible_to(user).aggregate(
        overdue=Count("pk", filter=overdue),
        requested=Count("pk", filter=Q(status=REQUESTED) & ~overdue),
        submitted=Count("pk", filter=Q(status=SUBMITTED)),
    )
    if role == Role.HR:
        return [
            TodoItem(
                key="bulletins.review",
                label=_("Explanations submitted, waiting for your review"),
                count=counts["submitted"],
                url=_list_url(status=SUBMITTED),
                menu="explanations",
            ),
            TodoItem(
                key="bulletins.overdue",
                label=_("Explanation requests overdue"),
                count=counts["overdue"],
                url=_list_url(overdue="true"),
                menu="explanations",
                level="warning",
            ),
        ]
    return [
        TodoItem(
            key="bulletins.overdue",
            label=_("Explanation requests overdue"),
            count=counts["overdue"],
            url=_list_url(overdue="true"),
            menu="explanations",
            level="danger",
        ),
        TodoItem(
            key="bulletins.answer",
            label=_("Explanation requests to answer"),
            count=counts["requested"],
            url=_list_url(status=REQUESTED, overdue="false"),
            menu="explanations",
        ),
    ]
