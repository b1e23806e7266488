"""Notifications (通知): whatever makes a 待办 for someone also tells them, under the bell in the
top bar and, where the deployment sets channels, by e-mail and group robots (orgs.channels,
docs/NOTIFICATIONS.md).

A domain service calls `notify(...)` (one message to several people) or `notify_each(...)` (a
message per person) inside the transaction of its change: the rows are written in that
transaction, in one INSERT however many people there are, and their delivery is queued with
`transaction.on_commit`, so a rolled-back change notifies nobody. The words are rendered in
Chinese, the product's language, when the notification is made (as a letter's text is), whatever
language the person acting reads the UI in.

`orgs` knows no domain: the caller names the kind, the words, the link and the object. The
helpers below find people by what `orgs` itself holds (HR staff, the heads of institutions, their
payroll officers, a department's scorers). The person acting is never notified of their own act.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial

from django.db import models, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import Promise

from . import channels
from .models import Institution, Notification, Role, User
from .services import SYSTEM_USERNAME

# One delivery task per this many notifications (a year's letters to two thousand institutions).
DELIVERY_BATCH = 500


@dataclass(frozen=True)
class Message:
    """One notification to one person. `title` and `text` are msgids (gettext_lazy) or plain
    text, formatted with `params` in Chinese when the notification is made."""

    recipient: User
    kind: str
    title: str | Promise
    text: str | Promise
    link: str
    params: Mapping = field(default_factory=dict)
    about: models.Model | None = None
    key: str = ""  # made once per recipient, e.g. "acceptance.report_overdue:12:2026-11-16"


def _render(template: str | Promise, params: Mapping) -> str:
    # Inside the override, so that a lazy message and any lazy parameter are Chinese.
    with translation.override(channels.LANGUAGE):
        text = str(template)
        return text % dict(params) if params else text


def _check_link(link: str) -> str:
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"A notification links to a path of this site, not {link!r}.")
    return link


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str | Promise,
    text: str | Promise,
    link: str,
    params: Mapping | None = None,
    about: models.Model | None = None,
    key: str = "",
    actor: User | None = None,
) -> list[Notification]:
    """The same message to each of `recipients` (users; duplicates, inactive users, the system
    account and `actor` left out). Call it inside the change's transaction."""
    return notify_each(
        [
            Message(
                recipient=user,
                kind=kind,
                title=title,
                text=text,
                link=link,
                params=params or {},
                about=about,
                key=key,
            )
            for user in recipients
        ],
        actor=actor,
    )


def notify_each(messages: Iterable[Message], *, actor: User | None = None) -> list[Notification]:
    """A notification per message, inserted together (one query, whatever their number; one
    more when a message has a key), and their delivery queued for when the transaction commits.
    Messages to `actor`, to inactive users and to the system account, repeats of a message to the
    same person, and keyed messages the person has had already are left out."""
    chosen: dict[tuple, Message] = {}
    for message in messages:
        user = message.recipient
        if (
            user is None
            or not user.is_active
            or user.username == SYSTEM_USERNAME  # nobody logs in as it: nobody would read it
            or (actor is not None and user.pk == actor.pk)
        ):
            continue
        about = message.about
        about_id = str(about.pk) if about is not None else ""
        chosen.setdefault((user.pk, message.kind, about_id, message.link, message.key), message)
    keyed = [m for m in chosen.values() if m.key]
    if keyed:
        had = set(
            Notification.objects.filter(
                recipient_id__in={m.recipient.pk for m in keyed}, key__in={m.key for m in keyed}
            ).values_list("recipient_id", "key")
        )
        chosen = {k: m for k, m in chosen.items() if (m.recipient.pk, m.key) not in had}
    if not chosen:
        return []
    now = timezone.now()
    rows = [
        Notification(
            recipient=m.recipient,
            kind=m.kind,
            title=_render(m.title, m.params)[:200],
            text=_render(m.text, m.params),
            link=_check_link(m.link),
            about_type=m.about._meta.label_lower if m.about is not None else "",
            about_id=str(m.about.pk) if m.about is not None else "",
            key=m.key,
            created_at=now,
        )
        for m in chosen.values()
    ]
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    _deliver_on_commit([n.pk for n in created])
    return created


def _deliver_on_commit(ids: list[int]) -> None:
    """Queue the delivery once the change commits, if any channel is set. `robust`: a broker that
    is down loses the e-mails and robot messages, never the change or the notifications in the
    app (the failure is logged)."""
    if not ids or not channels.enabled():
        return
    from .tasks import deliver_notifications

    for start in range(0, len(ids), DELIVERY_BATCH):
        batch = ids[start : start + DELIVERY_BATCH]
        transaction.on_commit(partial(deliver_notifications.delay, batch), robust=True)


# --- Whom to tell: people by what orgs holds ------------------------------------------------


def active_users():
    return User.objects.filter(is_active=True)


def hr_users():
    """HR staff (人力资源部 / 绩效办), not the system account that commands act as."""
    return active_users().filter(role=Role.HR).exclude(username=SYSTEM_USERNAME).order_by("pk")


def institution_heads(institution_ids: Iterable[int]):
    """The heads (一把手) of these institutions, those that have one."""
    return (
        active_users()
        .filter(role=Role.HEAD, headed_institution__in=list(institution_ids))
        .order_by("pk")
    )


def institution_head(institution: Institution) -> list[User]:
    """The head of one institution, as a list (none when it has no head)."""
    head = institution.head
    return [head] if head is not None and head.role == Role.HEAD else []


def institution_contacts(institution_id: int):
    """The contact persons (考核联络员) currently named for an institution (ContactPerson)."""
    return (
        active_users()
        .filter(
            role=Role.CONTACT,
            contact_namings__institution_id=institution_id,
            contact_namings__ended_at__isnull=True,
        )
        .order_by("pk")
    )


def payroll_officers(institution_id: int):
    """The payroll officers bound to an institution."""
    return (
        active_users().filter(role=Role.PAYROLL, payroll_institutions=institution_id).order_by("pk")
    )


def department_scorers(department_id: int):
    """The scorers of a scoring department (职能科室)."""
    return (
        active_users().filter(role=Role.SCORER, scoring_department_id=department_id).order_by("pk")
    )


# --- Reading them: only ever one's own ------------------------------------------------------


def notifications_of(user):
    """The user's own notifications, newest first (the list page and the API start here)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def notification_get_for_user(user, *, pk) -> Notification:
    """One of the user's own notifications; another user's, like a missing one, is 404."""
    try:
        return notifications_of(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Mark one's own notification read (once: the first time stays)."""
    if notification.recipient_id != user.pk:
        raise Http404
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark all of one's unread notifications read; how many there were."""
    return notifications_of(user).filter(read_at__isnull=True).update(read_at=timezone.now())
