"""Accounts: the system administrator's changes (三员), a user's own password change, and the
audit of sign-ins (等保 2.0 level 3: logins, logouts, failures, password and role changes).

Rules of the system administrator (docs/PERMISSIONS.md, "三员"):

* creates accounts and sets their name, e-mail, role, scope (a scorer's department, a payroll
  officer's institutions) and whether they are active; an institution's head is set on the
  institution, by HR;
* sets a temporary password, which its owner must change at their next sign-in;
* may give any role, the three administrators' included, but never changes their own role nor
  deactivates themselves; every role change is audited (``user.role``), and giving or taking a
  三员 role under its own action (``user.admin_role``), so the audit administrator finds it;
* does not touch superusers or staff accounts (the Django admin's) nor the built-in ``system``.

Signals: Django's ``user_logged_in``, ``user_logged_out`` and ``user_login_failed`` are recorded
here (``auth.login``, ``auth.logout`` or ``auth.session_end``, ``auth.login_failed`` with the
username tried and the address, never the password). django-axes' lockout is recorded by
orgs.lockout (``auth.lockout``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .access import ADMIN_ROLES, require_account_admin
from .middleware import current_client_address
from .models import AuditEvent, Institution, Role, User
from .services import SYSTEM_USERNAME, audit_record, snapshot

ACCOUNT_FIELDS = (
    "username", "name", "email", "role", "scoring_department", "institution", "is_active"
)  # fmt: skip


def _state(user: User) -> dict:
    return snapshot(user, ACCOUNT_FIELDS) | {
        "payroll_institutions": sorted(user.payroll_institutions.values_list("pk", flat=True)),
        "contact_institutions": sorted(user.contact_institutions.values_list("pk", flat=True)),
    }


def account_manageable(user: User) -> bool:
    """Accounts the system administrator may change: not the Django admin's, not `system`."""
    return not (user.is_superuser or user.is_staff or user.username == SYSTEM_USERNAME)


def _check(actor: User, user: User | None, fields: dict) -> None:
    require_account_admin(actor)
    if user is not None and not account_manageable(user):
        raise PermissionDenied
    errors = {}
    if user is not None and user.pk == actor.pk:
        if "role" in fields and fields["role"] != user.role:
            errors["role"] = _("You cannot change your own role.")
        if fields.get("is_active") is False:
            errors["is_active"] = _("You cannot deactivate your own account.")
    role = fields.get("role", user.role if user else "")
    department = fields.get("scoring_department", user.scoring_department if user else None)
    if role == Role.SCORER and department is None:
        errors["scoring_department"] = _("A scorer needs a scoring department.")
    institution = fields.get("institution", user.institution if user else None)
    if role == Role.CONTACT and institution is None:
        errors["institution"] = _(
            "A contact person is an account of an institution: choose its 所属机构."
        )
    if errors:
        raise ValidationError(errors)


def role_change_record(*, actor: User, user: User, before_role: str) -> None:
    """A role given or taken: ``user.role``, or ``user.admin_role`` when a 三员 role is given or
    taken (the system administrator's pages and the Django admin)."""
    if before_role == user.role:
        return
    action = "user.admin_role" if {before_role, user.role} & ADMIN_ROLES else "user.role"
    audit_record(
        actor=actor,
        action=action,
        obj=user,
        before={"role": before_role},
        after={"role": user.role},
    )


@transaction.atomic
def account_create(
    *,
    actor: User,
    password: str,
    payroll_institutions: Iterable[Institution] = (),
    contact_institutions: Iterable[Institution] = (),
    **fields,
) -> User:
    """A new account with a temporary password (changed at its first sign-in)."""
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown account fields {sorted(unknown)}")
    _check(actor, None, fields)
    if fields.get("role") != Role.SCORER:
        fields["scoring_department"] = None
    user = User(**fields)
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = None  # a temporary password: changed at the first sign-in
    user.save()
    if fields.get("role") == Role.PAYROLL:
        user.payroll_institutions.set(payroll_institutions)
    if fields.get("role") == Role.LEADER:
        user.contact_institutions.set(contact_institutions)
    audit_record(actor=actor, action="user.create", obj=user, after=_state(user))
    role_change_record(actor=actor, user=user, before_role="")
    return user


@transaction.atomic
def account_update(
    *,
    actor: User,
    user: User,
    payroll_institutions: Iterable[Institution] | None = None,
    contact_institutions: Iterable[Institution] | None = None,
    **fields,
) -> User:
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown account fields {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    _check(actor, user, fields)
    before = _state(user)
    before_role = user.role
    for key, value in fields.items():
        setattr(user, key, value)
    if user.role != Role.SCORER:
        user.scoring_department = None
    user.full_clean(exclude=["password"])
    user.save()
    if user.role != Role.PAYROLL:
        user.payroll_institutions.clear()
    elif payroll_institutions is not None:
        user.payroll_institutions.set(payroll_institutions)
    if user.role != Role.LEADER:
        user.contact_institutions.clear()
    elif contact_institutions is not None:
        user.contact_institutions.set(contact_institutions)
    # A contact person moved to another institution, or given another role, is no longer the
    # contact person of the old one (orgs.services.contact_person_end).
    from .contacts import contact_persons_end_for

    contact_persons_end_for(actor=actor, user=user)
    after = _state(user)
    if after != before:
        audit_record(actor=actor, action="user.update", obj=user, before=before, after=after)
    role_change_record(actor=actor, user=user, before_role=before_role)
    return user


@transaction.atomic
def account_password_set(*, actor: User, user: User, password: str) -> User:
    """A temporary password set by the system administrator (a forgotten one): its owner must
    change it at their next sign-in. Audited without the password."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _check(actor, user, {})
    if not user.has_usable_password() and user.external_accounts.exists():
        raise ValidationError(
            _("This account signs in through the directory or single sign-on: it has no password.")
        )
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = None
    user.save()
    audit_record(actor=actor, action="user.password_reset", obj=user)
    return user


@transaction.atomic
def password_change(*, user: User, password: str) -> User:
    """The user's own new password (validated by the caller's form, which asked for the old one)."""
    user.set_password(password)
    user.save()
    audit_record(actor=user, action="auth.password_change", obj=user)
    return user


# --- Sign-in audit (Django's auth signals) ------------------------------------------------------


def _event(*, actor, action: str, user: User | None, username: str, after: dict | None = None):
    AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type="orgs.user",
        object_id=str(user.pk) if user is not None else "",
        object_repr=(str(user) if user is not None else username)[:200],
        after=after,
        client_address=current_client_address(),
    )


def _over_http(request) -> bool:
    """A sign-in at the door: a request that came over HTTP. A programmatic login (a shell, a
    script, the test client's login()) builds a bare request with no client address; like
    django-axes, which cannot count such a call, the audit does not record it as a sign-in."""
    return request is not None and "REMOTE_ADDR" in getattr(request, "META", {})


def login_recorded(sender, request, user, **kwargs) -> None:
    if not _over_http(request):
        return
    backend = (getattr(request, "session", None) or {}).get("_auth_user_backend", "")
    _event(
        actor=user,
        action="auth.login",
        user=user,
        username=user.get_username(),
        after={"username": user.get_username(), "backend": backend.rsplit(".", 1)[-1]},
    )


def logout_recorded(sender, request, user, **kwargs) -> None:
    if user is None or not _over_http(request):
        return
    reason = getattr(request, "session_end_reason", "")
    _event(
        actor=user,
        action="auth.session_end" if reason else "auth.logout",
        user=user,
        username=user.get_username(),
        after={"reason": reason} if reason else None,
    )


def login_failed_recorded(sender, credentials, request=None, **kwargs) -> None:
    """The username tried (never the password: Django has already masked it, and only the
    username is read), the account if there is one, the address."""
    if not _over_http(request):
        return
    username = str((credentials or {}).get("username") or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    _event(
        actor=None,
        action="auth.login_failed",
        user=user,
        username=username,
        after={"username": username},
    )
