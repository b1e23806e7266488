"""What payroll has waiting for a user (待办, orgs.todo; the rules per role: docs/TODO.md).

Registered in PayrollConfig.ready(). Reads only payroll's tables, through payroll.access and the
rules of payroll.selectors that the run list's filters use too: HR has one query (runs to
confirm), a payroll officer two (this month's runs to compute; runs to confirm, export and
reconcile).
"""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from orgs.access import user_role
from orgs.models import Role
from orgs.todo import TodoItem

from . import access, selectors, services


def _runs_url(**query) -> str:
    return f"{reverse('payroll:run_list')}?{urlencode(query)}"


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    role = user_role(user)
    if role not in (Role.HR, Role.PAYROLL):
        return []
    today = today or timezone.localdate()
    confirm = selectors.run_waiting("confirm", today)
    earlier = Q(month__lt=services.month_start(today))
    aggregates = {
        "confirm": Count("pk", filter=confirm),
        "confirm_late": Count("pk", filter=confirm & earlier),
    }
    if role == Role.PAYROLL:
        aggregates |= {
            what: Count("pk", filter=selectors.run_waiting(what, today))
            for what in ("export", "reconcile")
        }
    counts = access.runs_visible_to(user).aggregate(**aggregates)
    late = counts["confirm_late"]
    items = []
    if role == Role.PAYROLL:
        month = f"{today:%Y-%m}"
        items.append(
            TodoItem(
                key="payroll.compute",
                label=_("Payroll runs to compute this month"),
                count=selectors.institutions_to_compute(user=user, today=today).count(),
                url=_runs_url(compute="due"),
                menu="payroll",
                detail=month,
            )
        )
    items.append(
        TodoItem(
            key="payroll.confirm",
            label=_("Payroll runs to confirm"),
            count=counts["confirm"],
            url=_runs_url(waiting="confirm"),
            menu="payroll",
            # A draft of a month that is over: that month's pay waits for it.
            level="danger" if late else "info",
            detail=ngettext("%(n)s of an earlier month", "%(n)s of earlier months", late)
            % {"n": late}
            if late
            else "",
        )
    )
    if role == Role.PAYROLL:
        items += [
            TodoItem(
                key="payroll.export",
                label=_("Confirmed payroll runs not yet exported"),
                count=counts["export"],
                url=_runs_url(waiting="export"),
                menu="payroll",
            ),
            TodoItem(
                key="payroll.reconcile",
                label=_("Runs whose paid wages do not reconcile"),
                count=counts["reconcile"],
                url=_runs_url(waiting="reconcile"),
                menu="payroll",
                level="warning",
            ),
        ]
    return items
