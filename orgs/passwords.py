"""Password rules of 等保 2.0 level 3 (docs/SECURITY.md, "等保 2.0 三级 checklist"):

* ``CharacterClassesValidator``: at least ``PASSWORD_MIN_CLASSES`` (3) of the four classes —
  lower-case letters, upper-case letters, digits, other characters (punctuation, spaces, Chinese).
  The length (``PASSWORD_MIN_LENGTH``, 10) is Django's ``MinimumLengthValidator``.
* ``PasswordHistoryValidator``: not one of the account's last ``PASSWORD_HISTORY`` (5) passwords,
  checked against the hashes kept in ``PasswordHistory`` (the password itself is never kept).
  ``User.save()`` records every password set, whatever sets it (a form, the admin, a command),
  through ``PasswordHistory.record``.
* Expiry: a password older than ``PASSWORD_MAX_AGE_DAYS`` (90; 0 never expires) must be changed
  before anything else (``password_expired``, enforced by ``orgs.sessions``). Accounts without a
  usable password — those of the directory or single sign-on (orgs.signin) — are exempt.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def _classes(password: str) -> int:
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return sum((lower, upper, digit, other))


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, others."""

    def __init__(self, min_classes: int | None = None):
        self.min_classes = min_classes or settings.PASSWORD_MIN_CLASSES

    def validate(self, password, user=None):
        if _classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _(
            "Your password must mix at least %(n)d of: lower-case letters, upper-case letters, "
            "digits and other characters."
        ) % {"n": self.min_classes}


class PasswordHistoryValidator:
    """Not one of the account's last `count` passwords (the current one included)."""

    def __init__(self, count: int | None = None):
        self.count = settings.PASSWORD_HISTORY if count is None else count

    def validate(self, password, user=None):
        if user is None or user.pk is None or self.count <= 0:
            return
        for old in previous_hashes(user, self.count):
            if check_password(password, old):
                raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self):
        return _("Your password cannot be any of your last %(n)d passwords.") % {"n": self.count}


def previous_hashes(user, count: int) -> list[str]:
    from .models import PasswordHistory

    hashes = list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("password", flat=True)[:count]
    )
    # The account's current password counts too, even if it was set before the history existed.
    current = user.__class__.objects.filter(pk=user.pk).values_list("password", flat=True).first()
    if current and current not in hashes:
        hashes.insert(0, current)
    return hashes


def password_exempt(user) -> bool:
    """No local password to age: a directory or single sign-on account (orgs.signin), whose
    local password is unusable, or any other account without a usable one."""
    return not user.has_usable_password()


def password_expires_at(user):
    """When the user's password expires; None if it never does (no maximum age, or exempt)."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if password_exempt(user):
        return None
    if user.password_changed_at is None:
        return timezone.now()  # set by an administrator: change it at the next sign-in
    if days <= 0:
        return None
    return user.password_changed_at + timedelta(days=days)


def password_expired(user) -> bool:
    expires = password_expires_at(user)
    return expires is not None and expires <= timezone.now()
