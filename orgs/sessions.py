"""Session rules of 等保 2.0 level 3, and what every request must pass before its page
(docs/SECURITY.md, "等保 2.0 三级 checklist"; docs/CONFIGURATION.md).

``SessionPolicyMiddleware``, for a signed-in user, in this order:

1. **one session per account** (``SESSION_SINGLE``, off by default): a session that is not the
   account's latest sign-in ends at its next request;
2. **absolute lifetime** (``SESSION_ABSOLUTE_HOURS``, 8): counted from the sign-in, whatever the
   activity;
3. **idle timeout** (``SESSION_IDLE_MINUTES``, 30): the session keeps the time of its last
   activity (to the minute: a session is written at most once a minute for it). Background
   requests — the menu's 待办 counts and the bell (``orgs:nav_counts``) and htmx polls of an
   export's progress — are not activity: an open tab does not keep a session alive;
4. **second factor** (orgs.mfa): until the session has passed it, every page redirects to the
   code step (or to enrolment) and the API answers 403;
5. **expired password** (orgs.passwords): every page redirects to the password change, the API
   answers 403.

A session ended by 1–3 is logged out (audited as ``auth.session_end`` with the reason) and the
request goes on as anonymous, so a page sends the user to the login page, with a message saying
why, and the API answers 401/403. The sign-in itself (``session_started``, Django's
``user_logged_in``) stamps the session and records the account's current session.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

SIGNED_IN_AT = "signed_in_at"  # epoch seconds of the sign-in
SEEN_AT = "seen_at"  # epoch seconds of the last activity
MFA_NEEDED = "mfa_needed"  # this sign-in must pass the second factor (orgs.mfa)
SEEN_GRANULARITY = 60  # seconds: how stale the stored last activity may be before it is written

# Requests that are not the user's activity (URL names); the second only when htmx polls it.
PASSIVE_VIEWS = frozenset({"orgs:nav_counts"})
PASSIVE_HTMX_VIEWS = frozenset({"payroll:export_status"})
# What a session that must pass the second factor, or change its password, may still open.
OPEN_VIEWS = frozenset({"login", "logout", "set_language"})
MFA_VIEWS = frozenset({"orgs:mfa_verify", "orgs:mfa_enrol"})
PASSWORD_VIEWS = frozenset({"orgs:password_change"})
# Sign-ins through these have no local password to age (orgs.signin).
EXTERNAL_BACKENDS = frozenset({"orgs.signin.ldap.LDAPBackend", "orgs.signin.oidc.OIDCBackend"})


def session_started(sender, request, user, **kwargs) -> None:
    """Django's ``user_logged_in``: stamp the new session and make it the account's current one
    (with ``SESSION_SINGLE``, the middleware ends any other at its next request, telling why)."""
    from . import mfa
    from .models import User

    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    session[MFA_NEEDED] = mfa.mfa_needed(user)
    if session.session_key is None:
        session.save()
    if user.session_key != session.session_key:
        User.objects.filter(pk=user.pk).update(session_key=session.session_key)
        user.session_key = session.session_key


def _passive(request, name: str) -> bool:
    return name in PASSIVE_VIEWS or (
        name in PASSIVE_HTMX_VIEWS and bool(getattr(request, "htmx", False))
    )


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _end(request, reason: str) -> None:
    texts = {
        "idle": _("You were signed out after %(minutes)d minutes without activity. Sign in again.")
        % {"minutes": settings.SESSION_IDLE_MINUTES},
        "absolute": _("Your session reached its limit of %(hours)d hours. Sign in again.")
        % {"hours": settings.SESSION_ABSOLUTE_HOURS},
        "replaced": _("You signed in somewhere else, which ended this session."),
    }
    request.session_end_reason = reason
    logout(request)
    if not _is_api(request):
        messages.info(request, texts[reason])


def _next_query(request) -> str:
    target = request.get_full_path()
    if request.method != "GET" or not url_has_allowed_host_and_scheme(target, None):
        return ""
    return "?" + urlencode({"next": target})


def _refuse_api(message: str):
    return JsonResponse({"detail": message}, status=403)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name.startswith("django.contrib.staticfiles") or name == "django.views.static.serve":
            return None
        reason = self._ended(request, user, name)
        if reason:
            _end(request, reason)
            return None
        return self._gate(request, user, name)

    def _ended(self, request, user, name: str) -> str:
        session = request.session
        now = time.time()
        if settings.SESSION_SINGLE and user.session_key and session.session_key != user.session_key:
            return "replaced"
        signed_in = session.get(SIGNED_IN_AT)
        if signed_in is None:  # a session from before these rules: counted from now
            session[SIGNED_IN_AT] = signed_in = now
        if now - signed_in > settings.SESSION_ABSOLUTE_HOURS * 3600:
            return "absolute"
        seen = session.get(SEEN_AT)
        if seen is not None and now - seen > settings.SESSION_IDLE_MINUTES * 60:
            return "idle"
        if seen is None or (not _passive(request, name) and now - seen >= SEEN_GRANULARITY):
            session[SEEN_AT] = now
        return ""

    def _gate(self, request, user, name: str):
        from . import mfa
        from .passwords import password_exempt, password_expired

        if name in OPEN_VIEWS:
            return None
        session = request.session
        needed = session.get(MFA_NEEDED)
        if needed is None:  # a session from before the second factor existed
            session[MFA_NEEDED] = needed = mfa.mfa_needed(user)
        if needed and not user.is_verified():
            if name in MFA_VIEWS:
                return None
            if _is_api(request):
                return _refuse_api(_("Enter the code of your authenticator app first."))
            return redirect(reverse("orgs:mfa_verify") + _next_query(request))
        if name in MFA_VIEWS:
            return None
        external = session.get(BACKEND_SESSION_KEY) in EXTERNAL_BACKENDS
        if not external and not password_exempt(user) and password_expired(user):
            if name in PASSWORD_VIEWS:
                return None
            if _is_api(request):
                return _refuse_api(_("Your password has expired: change it first."))
            messages.warning(request, _("Your password has expired: choose a new one."))
            return redirect(reverse("orgs:password_change") + _next_query(request))
        return None
