"""OpenID Connect sign-in (docs/SIGN_IN.md) with mozilla-django-oidc: the authorization code flow
with state, nonce and PKCE as the library does them, and on top of the library:

* the ID token's issuer (``OIDC_OP_ISSUER``), audience (this client), authorized party and expiry
  are checked, not only its signature and nonce;
* the person is found by the provider's ``sub`` (``ExternalAccount``), never by e-mail, and their
  account is created or updated by ``orgs.signin.services.external_user_sync``, like LDAP's;
* a refused sign-in (bad signature, state or nonce, an unreachable provider) is logged and sends
  the person back to the login page with a plain message, never a 400 or 500 page;
* logging out of a session that came through the provider ends the provider's session too, where
  it has an end-session endpoint (``OIDC_OP_LOGOUT_ENDPOINT``).
"""

import logging
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .models import Source
from .rules import Profile
from .services import SignInRefused, external_user_sync

logger = logging.getLogger("orgs.signin")

CLOCK_LEEWAY = 60  # seconds of clock difference allowed between the provider and us
# Where mozilla-django-oidc keeps the ID token in the session (OIDC_STORE_ID_TOKEN).
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 — a session key's name, not a secret


def claim(claims: dict, path: str):
    """A claim by name, or by a dotted path into nested objects (Keycloak's
    ``realm_access.roles``); None when absent."""
    if not path:
        return None
    if path in claims:
        return claims[path]
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def claim_values(claims: dict, path: str) -> tuple[str, ...]:
    value = claim(claims, path)
    if value is None:
        return ()
    values = value if isinstance(value, list | tuple) else [value]
    return tuple(str(v).strip() for v in values if str(v).strip())


def _text(claims: dict, path: str) -> str:
    values = claim_values(claims, path)
    return values[0] if values else ""


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, finding people by ``sub`` and checking the ID token's
    claims. In AUTHENTICATION_BACKENDS only when OIDC_RP_CLIENT_ID is set."""

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (a userinfo answer as a JWT comes without one)
            self._id_token_claims_check(payload)
        return payload

    def _id_token_claims_check(self, payload: dict) -> None:
        issuer = settings.OIDC_OP_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation(
                f"ID token from issuer {payload.get('iss')!r}, not {issuer!r}"
            )
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation(f"ID token for {audiences!r}, not this client")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences without this client as azp")
        expires = payload.get("exp")
        if not isinstance(expires, int | float) or expires < time.time() - CLOCK_LEEWAY:
            raise SuspiciousOperation("ID token without a valid expiry, or expired")
        if not payload.get("sub"):
            raise SuspiciousOperation("ID token without a subject")

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's on top where there is one (whose
        subject must be the ID token's)."""
        claims = dict(payload)
        if settings.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo is about another subject than the ID token")
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        profile = Profile(
            username=_text(claims, settings.OIDC_USERNAME_CLAIM),
            name=_text(claims, settings.OIDC_NAME_CLAIM),
            email=_text(claims, settings.OIDC_EMAIL_CLAIM),
            groups=frozenset(claim_values(claims, settings.OIDC_ROLE_CLAIM)),
            department_codes=claim_values(claims, settings.OIDC_DEPARTMENT_CLAIM),
            institution_codes=claim_values(claims, settings.OIDC_INSTITUTION_CLAIM),
        )
        try:
            user = external_user_sync(
                source=Source.OIDC,
                subject=str(claims["sub"]),
                profile=profile,
                rules=settings.OIDC_ROLE_GROUPS or None,
            )
        except SignInRefused as e:
            logger.warning("OIDC sign-in of %r refused: %s", profile.username, e)
            return None
        return user if self.user_can_authenticate(user) else None


class _CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request):
        try:
            return super().get(request)
        except (SuspiciousOperation, jwt.InvalidTokenError, requests.RequestException) as e:
            logger.warning("OIDC sign-in refused: %s: %s", type(e).__name__, e)
            return self.login_failure()
        except (KeyError, ValueError, TypeError) as e:  # a malformed answer from the provider
            logger.warning("OIDC sign-in refused, malformed answer: %s: %s", type(e).__name__, e)
            return self.login_failure()

    def login_failure(self):
        messages.error(
            self.request,
            _("Single sign-on did not sign you in. Try again, or ask an administrator."),
        )
        return redirect("login")


def _enabled():
    if not settings.OIDC_ENABLED:
        raise Http404


def oidc_login(request):
    """To the provider's sign-in page, with a fresh state, nonce and PKCE challenge."""
    _enabled()
    return OIDCAuthenticationRequestView.as_view()(request)


def oidc_callback(request):
    """Back from the provider: the code exchanged for tokens, checked, and the person signed in."""
    _enabled()
    return _CallbackView.as_view()(request)


def provider_logout_url(request) -> str:
    """The provider's end-session address for this session (RP-initiated logout), or ''."""
    endpoint = settings.OIDC_OP_LOGOUT_ENDPOINT
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not (settings.OIDC_ENABLED and endpoint and id_token):
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only); a session signed in through the provider then goes on to the
    provider's end-session endpoint, so the next sign-in asks for the password again."""

    def post(self, request, *args, **kwargs):
        provider = provider_logout_url(request)  # read before the session is flushed
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider) if provider else response
