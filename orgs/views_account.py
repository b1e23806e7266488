"""The signed-in user's own account: the account page, the password change (also the forced one
of an expired password), and the second factor's steps at sign-in (verify, enrol) and on the
account page (enrol, remove). Every user reaches these, with a role or without."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import accounts, mfa, passwords, sessions
from .confirm import confirmation_required


def _next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def account(request):
    user = request.user
    device = mfa.confirmed_device(user)
    context = {
        "device": device,
        "mfa_required": mfa.role_requires_mfa(user),
        "password_exempt": passwords.password_exempt(user),
        "password_expires_at": passwords.password_expires_at(user),
        "max_age_days": passwords.settings.PASSWORD_MAX_AGE_DAYS,
    }
    return render(request, "orgs/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.user
    if passwords.password_exempt(user):
        messages.info(request, _("Your account signs in through the directory or single sign-on."))
        return redirect("orgs:account")
    form = PasswordChangeForm(user, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-control"
    if request.method == "POST" and form.is_valid():
        accounts.password_change(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed."))
        return redirect(_next(request))
    expired = passwords.password_expired(user)
    context = {
        "form": form,
        "expired": expired,
        # An expired password is a step of the sign-in: the page stands alone, without the menu.
        "layout": "base_centered.html" if expired else "base.html",
        "max_age_days": passwords.settings.PASSWORD_MAX_AGE_DAYS,
        "help_texts": password_validators_help_texts(),
        "next": _next(request, ""),
    }
    return render(request, "orgs/password_change.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """The sign-in's second step: a code of the authenticator app. Without a device, the role's
    required enrolment; nothing to do for a session that needs no second factor."""
    user = request.user
    if user.is_verified() or not request.session.get(sessions.MFA_NEEDED):
        return redirect(_next(request))
    if mfa.confirmed_device(user) is None:
        if mfa.role_requires_mfa(user):
            query = urlencode({"next": request.GET["next"]}) if request.GET.get("next") else ""
            return redirect(reverse("orgs:mfa_enrol") + (f"?{query}" if query else ""))
        request.session[sessions.MFA_NEEDED] = False  # a device reset: nothing to pass
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        if mfa.verify(request, token=request.POST.get("token", "")):
            return redirect(_next(request))
        error = _("The code is not right, or was used already. Wait for the next one.")
    context = {"error": error, "next": _next(request, "")}
    return render(request, "orgs/mfa_verify.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    """Enrolment: the secret as a QR code, a URI and base32 text; a code from the app confirms
    it. At sign-in (a role that requires it) or from the account page (anyone)."""
    user = request.user
    if mfa.confirmed_device(user) is not None:
        if not user.is_verified():
            return redirect("orgs:mfa_verify")
        messages.info(request, _("You already use an authenticator app."))
        return redirect("orgs:account")
    device = mfa.enrolment_device(request)
    signing_in = bool(request.session.get(sessions.MFA_NEEDED)) and not user.is_verified()
    error = ""
    if request.method == "POST":
        if mfa.enrol_confirm(request, device=device, token=request.POST.get("token", "")):
            request.session[sessions.MFA_NEEDED] = True
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(_next(request, "orgs:account"))
        error = _("The code is not right. Check the phone's time and enter the current code.")
    context = {
        "device": device,
        "secret": mfa.secret_base32(device),
        "uri": device.config_url,
        "qr": mfa.qr_svg(device),
        "error": error,
        "required": mfa.role_requires_mfa(user),
        "signing_in": signing_in,
        # At sign-in (a role that requires it) the page stands alone; from the account page it
        # is a page of the console.
        "layout": "base_centered.html" if signing_in else "base.html",
        "next": _next(request, ""),
    }
    return render(request, "orgs/mfa_enrol.html", context, status=400 if error else 200)


@login_required
@require_POST
@confirmation_required
def mfa_remove(request):
    if mfa.role_requires_mfa(request.user):
        raise PermissionDenied
    mfa.device_remove(actor=request.user)
    request.session[sessions.MFA_NEEDED] = False
    messages.success(request, _("Your authenticator app is removed."))
    return redirect("orgs:account")
