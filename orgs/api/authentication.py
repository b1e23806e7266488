"""The API's token authentication, which is no way around the second factor: a page session must
pass the TOTP step (orgs.sessions), so a token of an account whose role needs a second factor
(MFA_REQUIRED_ROLES) is refused, unless the deployment allows such tokens
(MFA_ALLOW_API_TOKENS, docs/SECURITY.md). Session-authenticated API calls are held by
orgs.sessions like pages."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from orgs import mfa


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not settings.MFA_ALLOW_API_TOKENS and mfa.role_requires_mfa(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "This account needs a second factor: use the API from a signed-in page "
                    "session, or ask for a token of an account that does not."
                )
            )
        return user, token
