"""What the security administrator (安全管理员) reads and does: the policies in force, the
sign-ins locked out after wrong passwords and their unlocking (django-axes' failed attempts,
cleared with ``axes.utils.reset``, audited as ``security.unlock``). Second-factor resets are
orgs.mfa.device_reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import require_security_admin
from .middleware import current_client_address
from .models import AuditEvent, Role, User


@dataclass(frozen=True)
class Policy:
    group: str
    label: str
    value: str
    setting: str


def _yes(value: bool) -> str:
    return str(_("on") if value else _("off"))


def _roles(codes) -> str:
    labels = dict(Role.choices)
    return "、".join(str(labels.get(code, code)) for code in sorted(codes)) or str(_("none"))


def policies() -> list[Policy]:
    """The 等保 2.0 controls and login protection as this process runs them (read only: they are
    settings of the deployment, docs/CONFIGURATION.md)."""
    s = settings
    max_age = s.PASSWORD_MAX_AGE_DAYS
    address_limit = getattr(s, "LOGIN_ADDRESS_FAILURE_LIMIT", None)
    rows = [
        (_("Passwords"), _("Minimum length"), s.PASSWORD_MIN_LENGTH, "PASSWORD_MIN_LENGTH"),
        (_("Passwords"), _("Character classes required (of 4)"), s.PASSWORD_MIN_CLASSES,
         "PASSWORD_MIN_CLASSES"),
        (_("Passwords"), _("Previous passwords that may not be reused"), s.PASSWORD_HISTORY,
         "PASSWORD_HISTORY"),
        (_("Passwords"), _("Maximum age (days)"), max_age or _("never expires"),
         "PASSWORD_MAX_AGE_DAYS"),
        (_("Sessions"), _("Idle timeout (minutes)"), s.SESSION_IDLE_MINUTES,
         "SESSION_IDLE_MINUTES"),
        (_("Sessions"), _("Absolute lifetime (hours)"), s.SESSION_ABSOLUTE_HOURS,
         "SESSION_ABSOLUTE_HOURS"),
        (_("Sessions"), _("One session per account"), _yes(s.SESSION_SINGLE), "SESSION_SINGLE"),
        (_("Second factor"), _("Roles that must use an authenticator app"),
         _roles(s.MFA_REQUIRED_ROLES), "MFA_REQUIRED_ROLES"),
        (_("Second factor"), _("API tokens of those roles"), _yes(s.MFA_ALLOW_API_TOKENS),
         "MFA_ALLOW_API_TOKENS"),
        (_("Login protection"), _("Failed logins before an account is locked"),
         s.AXES_FAILURE_LIMIT, "LOGIN_FAILURE_LIMIT"),
    ]  # fmt: skip
    if address_limit is not None:
        rows.append(
            (_("Login protection"), _("Failed logins from one address before it is locked"),
             address_limit, "LOGIN_ADDRESS_FAILURE_LIMIT")
        )  # fmt: skip
    rows += [
        (_("Login protection"), _("Lockout (minutes)"), s.LOGIN_LOCKOUT_MINUTES,
         "LOGIN_LOCKOUT_MINUTES"),
        (_("Login protection"), _("Lockout"), _yes(s.AXES_ENABLED), "LOGIN_LOCKOUT_ENABLED"),
        (_("Audit"), _("Retention (days)"), s.AUDIT_RETENTION_DAYS, "AUDIT_RETENTION_DAYS"),
    ]  # fmt: skip
    return [Policy(str(g), str(label), str(value), name) for g, label, value, name in rows]


def _recent():
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return AccessAttempt.objects.filter(attempt_time__gte=since)


@dataclass(frozen=True)
class Failing:
    key: str  # the username, or the address
    failures: int
    spread: int  # addresses an account was tried from, or accounts tried from an address
    last: object
    locked: bool
    account: User | None = None


def locked_accounts() -> list[Failing]:
    """Usernames with failed logins within the lockout window, most failures first; `locked` once
    they reach LOGIN_FAILURE_LIMIT."""
    rows = (
        _recent()
        .exclude(username__isnull=True)
        .exclude(username="")
        .values("username")
        .annotate(
            failures=Sum("failures_since_start"),
            spread=Count("ip_address", distinct=True),
            last=Max("attempt_time"),
        )
        .order_by("-failures", "username")
    )
    users = {
        u.username.casefold(): u
        for u in User.objects.filter(username__in=[r["username"] for r in rows])
    }
    limit = settings.AXES_FAILURE_LIMIT
    return [
        Failing(r["username"], r["failures"], r["spread"], r["last"], r["failures"] >= limit,
                users.get(r["username"].casefold()))
        for r in rows
    ]  # fmt: skip


def locked_addresses() -> list[Failing]:
    """Addresses with failed logins within the window; `locked` once they reach
    LOGIN_ADDRESS_FAILURE_LIMIT (where the deployment counts by address)."""
    rows = (
        _recent()
        .exclude(ip_address__isnull=True)
        .values("ip_address")
        .annotate(
            failures=Sum("failures_since_start"),
            spread=Count("username", distinct=True),
            last=Max("attempt_time"),
        )
        .order_by("-failures", "ip_address")
    )
    limit = getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", None)
    return [
        Failing(r["ip_address"], r["failures"], r["spread"], r["last"],
                limit is not None and r["failures"] >= limit)
        for r in rows
    ]  # fmt: skip


@transaction.atomic
def unlock(*, actor: User, username: str = "", address: str = "") -> int:
    """Clear the failed logins of a username (from every address) or of an address (on every
    username); the sign-in is possible again at once. Audited with what was cleared."""
    require_security_admin(actor)
    if bool(username) == bool(address):
        raise ValueError("Give a username or an address.")
    rows = AccessAttempt.objects.filter(
        **({"username": username} if username else {"ip_address": address})
    )
    failures = rows.aggregate(n=Sum("failures_since_start"))["n"] or 0
    count = axes_reset(username=username) if username else axes_reset(ip=address)
    account = User.objects.filter(username__iexact=username).first() if username else None
    AuditEvent.objects.create(
        actor=actor,
        action="security.unlock",
        object_type="orgs.user" if username else "axes.address",
        object_id=str(account.pk) if account else (address or ""),
        object_repr=(username or address)[:200],
        before={"failures": failures, "attempt_rows": count},
        after={"username": username, "address": address, "failures": 0},
        client_address=current_client_address(),
    )
    return failures


def todo_items(user, today=None):
    """The security administrator's 待办: sign-ins locked out now (orgs.todo)."""
    from django.urls import reverse

    from .access import can_manage_security
    from .todo import TodoItem

    if not can_manage_security(user):
        return []
    locked = sum(1 for row in locked_accounts() if row.locked) + sum(
        1 for row in locked_addresses() if row.locked
    )
    return [
        TodoItem(
            key="orgs.lockouts",
            label=_("Sign-ins locked out after wrong passwords"),
            count=locked,
            url=reverse("orgs:security_lockouts"),
            menu="lockouts",
            level="warning",
        )
    ]
