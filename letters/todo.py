"""What the target responsibility letters have waiting for a user (待办, orgs.todo; the rules per
role: docs/TODO.md).

Registered in LettersConfig.ready(). One query, through letters.access: anyone who holds letters
(a head, a deputy or a department without a role) has those still to sign; HR has every letter
still waiting for its holder's signature and those waiting for HR's countersignature.
"""

import datetime

from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from orgs.access import has_role
from orgs.models import Role
from orgs.todo import TodoItem

from .access import letters_visible_to
from .models import Letter
from .selectors import REMINDER_AFTER_DAYS

ISSUED, SIGNED = Letter.Status.ISSUED, Letter.Status.SIGNED


def _list_url(year: int | None, **query) -> str:
    if year is None:
        return reverse("letters:latest")
    return f"{reverse('letters:letter_list', args=[year])}?{urlencode(query)}"


def todo_items(user, today: datetime.date | None = None) -> list[TodoItem]:
    if user is None or not user.is_authenticated:
        return []
    mine = Q(signer=user, status=ISSUED)
    counts = letters_visible_to(user).aggregate(
        to_sign=Count("pk", filter=mine),
        to_sign_first=Min("pk", filter=mine),
        to_sign_since=Min("issued_at", filter=mine),
        to_sign_year=Max("scheme__year", filter=mine),
        unsigned=Count("pk", filter=Q(status=ISSUED)),
        unsigned_year=Max("scheme__year", filter=Q(status=ISSUED)),
        countersign=Count("pk", filter=Q(status=SIGNED)),
        countersign_year=Max("scheme__year", filter=Q(status=SIGNED)),
    )
    items = [_to_sign(counts, today or timezone.localdate())]
    if has_role(user, Role.HR):
        items += [
            TodoItem(
                key="letters.unsigned",
                label=_("Letters not yet signed by their holders"),
                count=counts["unsigned"],
                url=_list_url(counts["unsigned_year"], status=ISSUED),
                menu="letters",
            ),
            TodoItem(
                key="letters.countersign",
                label=_("Signed letters waiting for HR's countersignature"),
                count=counts["countersign"],
                url=_list_url(counts["countersign_year"], status=SIGNED),
                menu="letters",
            ),
        ]
    return items


def _to_sign(counts: dict, today: datetime.date) -> TodoItem:
    n, since = counts["to_sign"], counts["to_sign_since"]
    if n == 1:
        url = reverse("letters:letter_detail", args=[counts["to_sign_first"]])
    else:
        url = _list_url(counts["to_sign_year"], status=ISSUED, mine=1)
    # Holders are reminded once a letter has waited more than this many days (letters.tasks).
    late = since is not None and (today - timezone.localdate(since)).days > REMINDER_AFTER_DAYS
    return TodoItem(
        key="letters.to_sign",
        label=_("Letters waiting for your signature"),
        count=n,
        url=url,
        menu="letters",
        level="warning" if late else "info",
        detail=_("issued %(date)s") % {"date": timezone.localdate(since).isoformat()}
        if since
        else "",
    )
