"""The second factor: a TOTP authenticator app (django-otp's TOTPDevice), 等保 2.0 level 3.

* Accounts whose role is in ``MFA_REQUIRED_ROLES`` must pass it after their password at every
  sign-in: enrolment first (a secret shown as a QR code, an ``otpauth://`` URI and base32 text,
  confirmed with a code), then a code at each sign-in. Anyone else may enrol from their account
  page; once enrolled, they pass it too. ``orgs.sessions`` holds every other page (and the API in
  a page session) until the session is verified; ``orgs.api.authentication`` refuses API tokens of
  accounts that need it.
* The security administrator resets an account's device (a lost phone): the account enrols again
  at its next sign-in. Enrolment, reset, removal and wrong codes are audited.

django-otp throttles wrong codes (a growing delay after each failure) and refuses a code used
once already (replay).
"""

from __future__ import annotations

import base64
import time

import segno
from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .models import AuditEvent, User
from .services import audit_record

DEVICE_NAME = "TOTP"


def role_requires_mfa(user) -> bool:
    return bool(user and user.is_active and user.role and user.role in settings.MFA_REQUIRED_ROLES)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def mfa_needed(user) -> bool:
    """Whether a sign-in of this user must pass the second factor: their role requires it, or
    they enrolled a device themselves."""
    return role_requires_mfa(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


PENDING_KEY = "mfa_pending_key"  # the secret being enrolled, kept in the session until confirmed


def enrolment_device(request) -> TOTPDevice:
    """The device an enrolment shows, not saved: its secret waits in the session until a code
    confirms it (so opening the page writes nothing but the session)."""
    key = request.session.get(PENDING_KEY)
    if not key:
        key = request.session[PENDING_KEY] = default_key()
    return TOTPDevice(user=request.user, name=DEVICE_NAME, key=key, confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (segno, no image file, nothing remote)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


def _verify(device: TOTPDevice, token: str) -> bool:
    token = "".join((token or "").split())
    if not token.isdigit():
        return False
    with transaction.atomic():
        # Locked, so two requests with one code cannot both pass it (verify_token keeps the
        # last time step used, and the throttle, on the row).
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return device.verify_token(token)


def _failed(user, action: str) -> None:
    AuditEvent.objects.create(
        actor=user,
        action=action,
        object_type="orgs.user",
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        after={"username": user.username},
        client_address=_address(),
    )


def _address():
    from .middleware import current_client_address

    return current_client_address()


def enrol_confirm(request, *, device: TOTPDevice, token: str) -> bool:
    """Confirm the enrolment with a code from the app: the device becomes the account's only one
    and this session is verified. False for a wrong code (audited)."""
    user = request.user
    token = "".join((token or "").split())
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not token.isdigit() or not totp.verify(int(token), device.tolerance):
        _failed(user, "mfa.failed")
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device.confirmed = True
        device.last_t = totp.t()  # the code just used cannot be used again
        device.save()
        audit_record(actor=user, action="mfa.enrol", obj=user, after={"device": device.name})
    request.session.pop(PENDING_KEY, None)
    otp_login(request, device)
    return True


def verify(request, *, token: str) -> bool:
    """The sign-in's second step: a code of the account's device verifies this session."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        return False
    if not _verify(device, token):
        _failed(user, "mfa.failed")
        return False
    device.refresh_from_db()
    otp_login(request, device)
    AuditEvent.objects.create(
        actor=user,
        action="mfa.verify",
        object_type="orgs.user",
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        client_address=_address(),
    )
    return True


@transaction.atomic
def device_remove(*, actor: User) -> int:
    """A user whose role does not require a second factor removes their own device."""
    if role_requires_mfa(actor):
        raise PermissionError("The role requires a second factor.")
    count, _ = TOTPDevice.objects.filter(user=actor).delete()
    if count:
        audit_record(actor=actor, action="mfa.remove", obj=actor, before={"devices": count})
    return count


@transaction.atomic
def device_reset(*, actor: User, user: User) -> int:
    """The security administrator removes an account's devices (a lost phone): it enrols again at
    its next sign-in. Audited with the number of devices removed."""
    from .access import require_security_admin

    require_security_admin(actor)
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor, action="mfa.reset", obj=user, before={"devices": count}, after={"devices": 0}
    )
    return count
