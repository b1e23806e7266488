"""Login protection and response headers (docs/CONFIGURATION.md, "Security").

* ``LockoutBackend``: django-axes' check in front of Django's ModelBackend. Too many wrong
  passwords for one account (from any address) or from one address (on any accounts) lock the
  sign-in for ``LOGIN_LOCKOUT_MINUTES``, even with the right password (orgs.lockout).
* ``login_locked_out``: what a locked-out login gets — the login page again, with a clear message,
  status 429.
* The address a lockout is counted for is the audit trail's (``orgs.middleware.client_address``:
  REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the outermost one saw).
* ``SecurityHeadersMiddleware``: Content-Security-Policy, Permissions-Policy and
  Cross-Origin-Resource-Policy on every response that has none yet (Django's SecurityMiddleware
  sends HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy; XFrameOptionsMiddleware
  X-Frame-Options).
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from orgs.lockout import lockout_message


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username + address before any password is checked. A call without a
    request (the test client's ``login()``, a shell) cannot be counted per address, so it is left
    to ModelBackend: every login over HTTP — the login page, the admin — passes its request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_locked_out(request, original_response=None, credentials=None):
    message = lockout_message()
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = {
            "Content-Security-Policy": settings.CONTENT_SECURITY_POLICY,
            "Permissions-Policy": settings.PERMISSIONS_POLICY,
            "Cross-Origin-Resource-Policy": "same-origin",
        }

    def __call__(self, request):
        response = self.get_response(request)
        for header, value in self.headers.items():
            if value and header not in response:
                response[header] = value
        return response
