"""Lockout after failed passwords: at the login and wherever a password is asked again (signing a
letter), counted the same way (issue 16, items 2 and 5; docs/SECURITY.md "Login protection").

django-axes records each failure as (username, address). Two counts, over the last
``LOGIN_LOCKOUT_MINUTES``, lock a sign-in:

* **by account**: ``LOGIN_FAILURE_LIMIT`` (``AXES_FAILURE_LIMIT``) failures for one username,
  from any address (guessing one account's password from many addresses);
* **by address**: ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever usernames
  were tried (password spraying: a few guesses on each of many accounts).

Usernames are counted case-folded (``ZHANG`` and ``zhang`` are one count). A locked sign-in is
refused before its password is checked, the right password included. A successful login clears
that account's own failures (from every address), not those of other accounts from the same
address. The first refusal of a lock is audited (``auth.lockout``) and HR is notified; the
security administrator unlocks.
"""

from __future__ import annotations

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def lockout_username(request, credentials) -> str | None:
    """The username failures are counted for: stripped and case-folded."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = getattr(request, "POST", {}).get("username")
    return username.strip().casefold() if isinstance(username, str) else username


def _window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _failures(**where) -> int:
    recent = AccessAttempt.objects.filter(attempt_time__gte=_window_start(), **where)
    return recent.aggregate(n=Sum("failures_since_start"))["n"] or 0


def failure_counts(username: str | None, address: str | None) -> tuple[int, int]:
    """(failures of this username from any address, failures from this address on any username)
    within the lockout window."""
    by_account = _failures(username=username) if username else 0
    by_address = _failures(ip_address=address) if address else 0
    return by_account, by_address


def is_locked(username: str | None, address: str | None) -> bool:
    by_account, by_address = failure_counts(username, address)
    return (
        by_account >= settings.AXES_FAILURE_LIMIT
        or by_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    )


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with the two counts above. Axes compares ``get_failures``
    with ``AXES_FAILURE_LIMIT`` (= LOGIN_FAILURE_LIMIT); the address's count is put on that scale,
    so the comparison holds exactly when either count reaches its own limit."""

    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        by_account, by_address = failure_counts(username, request.axes_ip_address)
        account_limit = settings.AXES_FAILURE_LIMIT  # LOGIN_FAILURE_LIMIT
        scaled = by_address * account_limit // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_account, scaled)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login: that account's failures only, from every address."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return ngettext(
        "Too many failed logins for this account or from your address. Try again in "
        "%(minutes)d minute, or ask the security administrator to unlock it.",
        "Too many failed logins for this account or from your address. Try again in "
        "%(minutes)d minutes, or ask the security administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


class PasswordLocked(ValidationError):
    """The password may not be tried now: the account or the address is locked out.
    ``wrong_password`` says whether this attempt's own wrong password made the lock."""

    wrong_password = False


def password_reconfirm(
    request, *, user, password: str | None, field: str = "password", wrong=None
) -> None:
    """The signed-in `user` enters their password again (signing a letter). A wrong one counts
    toward the same lockout as the login — the failure is recorded outside any transaction the
    caller may roll back — and may lock the account. Raises ``PasswordLocked`` while locked (the
    right password included) and ``ValidationError`` on `field` for a wrong password (with the
    message `wrong`, if given)."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    AxesProxyHandler.update_request(request)
    credentials = {"username": user.get_username()}
    username = lockout_username(request, credentials)
    if settings.AXES_ENABLED and is_locked(username, request.axes_ip_address):
        raise PasswordLocked({field: lockout_message()}, code="locked")
    if user.check_password(password or ""):
        return
    if settings.AXES_ENABLED:
        AxesProxyHandler.user_login_failed(
            sender=password_reconfirm, credentials=credentials, request=request
        )
        if getattr(request, "axes_locked_out", False):
            locked = PasswordLocked({field: lockout_message()}, code="locked")
            locked.wrong_password = True
            raise locked
    message = wrong or _("The password is not right.")
    raise ValidationError({field: message}, code="wrong_password")


def lockout_recorded(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """django-axes' ``user_locked_out``: the first refusal of a lock is audited and HR told; the
    refusals that follow within the lock's window are not recorded again."""
    from orgs import notifications
    from orgs.models import AuditEvent, Role, User

    since = _window_start()
    by_account, by_address = failure_counts(username, ip_address)
    # One event per lock: the account's (from whichever address) or the address's.
    reason = "account" if by_account >= settings.AXES_FAILURE_LIMIT else "address"
    same_lock = {"object_repr": username or ""} if reason == "account" else {}
    same_lock |= {"after__address": ip_address} if reason == "address" else {}
    already = AuditEvent.objects.filter(
        action="auth.lockout", at__gte=since, after__reason=reason, **same_lock
    )
    if already.exists():
        return
    account = User.objects.filter(username__iexact=username).first() if username else None
    event = AuditEvent.objects.create(
        actor=None,
        action="auth.lockout",
        object_type="orgs.user",
        object_id=str(account.pk) if account else "",
        object_repr=(username or "")[:200],
        after={
            "reason": reason,
            "address": ip_address,
            "failures_of_account": by_account,
            "failures_from_address": by_address,
            "minutes": settings.LOGIN_LOCKOUT_MINUTES,
            "path": getattr(request, "path", ""),
        },
        client_address=ip_address,
    )
    message = {
        "kind": "auth.lockout",
        "title": _("A sign-in was locked out"),
        "text": _(
            "After repeated wrong passwords, sign-in as %(username)s from %(address)s is locked "
            "for %(minutes)s minutes (%(by_account)s failures for the account, %(by_address)s from "
            "the address). If this was not the account's owner, tell the security administrator."
        ),
        "params": {
            "username": username or "—",
            "address": ip_address or "—",
            "minutes": settings.LOGIN_LOCKOUT_MINUTES,
            "by_account": by_account,
            "by_address": by_address,
        },
        "about": event,
    }
    # HR is told (the rule); the security administrators too, with the page that unlocks.
    notifications.notify(recipients=notifications.hr_users(), link=reverse("home"), **message)
    notifications.notify(
        recipients=notifications.active_users().filter(role=Role.SECADMIN),
        link=reverse("orgs:security_lockouts"),
        **message,
    )
