"""The sign-in settings from the environment: off by default, on when set, refused at start when
wrong or insecure. Each case starts a fresh `manage.py` process (tests/test_settings.py)."""

import pytest

from tests.test_settings import STRONG_KEY, manage, show

LDAP = {
    "LDAP_SERVER_URI": "ldap://127.0.0.1:3389",
    "LDAP_BIND_DN": "cn=jixiao,ou=services,dc=example,dc=com",
    "LDAP_BIND_PASSWORD": "secret",
    "LDAP_USER_SEARCH_BASE": "ou=people,dc=example,dc=com",
}
OIDC = {
    "OIDC_RP_CLIENT_ID": "jixiao",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_ISSUER": "https://sso.example.com/realms/group",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.com/auth",
    "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.com/token",
    "OIDC_OP_JWKS_ENDPOINT": "https://sso.example.com/certs",
}
PRODUCTION = {"DJANGO_ENV": "production", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "jx.example"}


def test_both_are_off_by_default(tmp_path):
    expr = "(s.AUTHENTICATION_BACKENDS, s.LDAP_SERVER_URI, s.OIDC_ENABLED)"
    assert show(tmp_path, expr) == repr(
        (
            ["orgs.security.LockoutBackend", "django.contrib.auth.backends.ModelBackend"],
            [],
            False,
        )
    )


def test_ldap_and_oidc_add_their_backends_after_the_lockout(tmp_path):
    expr = "(s.AUTHENTICATION_BACKENDS, s.AXES_USERNAME_CALLABLE, s.LDAP_ROLE_GROUPS[0].role)"
    backends, username, role = eval(  # noqa: S307 — our own repr
        show(tmp_path, expr, **LDAP, **OIDC, LDAP_ROLE_GROUPS="hr=CN=HR,DC=x")
    )
    assert backends == [
        "orgs.security.LockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
        "orgs.signin.ldap.LDAPBackend",
        "orgs.signin.oidc.OIDCBackend",
    ]
    assert username == "orgs.lockout.lockout_username" and role == "hr"


def test_ldap_only_keeps_local_passwords_for_superusers_only(tmp_path):
    backends = show(tmp_path, "s.AUTHENTICATION_BACKENDS", **LDAP, LDAP_ONLY="true")
    assert "LocalSuperuserBackend" in backends and "auth.backends.ModelBackend" not in backends


def test_a_provider_logout_endpoint_is_allowed_as_a_form_action(tmp_path):
    csp = show(
        tmp_path,
        "s.CONTENT_SECURITY_POLICY",
        **OIDC,
        OIDC_OP_LOGOUT_ENDPOINT="https://sso.example.com/logout",
    )
    assert "form-action 'self' https://sso.example.com;" in csp


@pytest.mark.parametrize(
    ("env_vars", "message"),
    [
        ({"LDAP_ONLY": "true"}, "LDAP_ONLY=true needs LDAP_SERVER_URI"),
        ({**LDAP, "LDAP_SERVER_URI": "http://dc.example.com"}, "is not ldap:// or ldaps://"),
        ({**LDAP, "LDAP_USER_SEARCH_BASE": ""}, "needs LDAP_USER_SEARCH_BASE"),
        ({**LDAP, "LDAP_USER_FILTER": "(uid=*)"}, "LDAP_USER_FILTER must contain %(user)s"),
        ({**LDAP, "LDAP_BIND_PASSWORD": ""}, "LDAP_BIND_PASSWORD is not"),
        ({**LDAP, "LDAP_ROLE_GROUPS": "boss=cn=x"}, "LDAP_ROLE_GROUPS: unknown role"),
        ({**LDAP, "LDAP_TIMEOUT": "0"}, "LDAP_TIMEOUT must be a number of seconds"),
        ({**LDAP, "LDAP_TLS_CA_FILE": "/nonexistent/ca.pem"}, "LDAP_TLS_CA_FILE: no file"),
        ({**OIDC, "OIDC_OP_TOKEN_ENDPOINT": ""}, "OIDC_OP_TOKEN_ENDPOINT not"),
        ({**OIDC, "OIDC_RP_SIGN_ALGO": "HS256"}, "not an asymmetric algorithm"),
        ({**OIDC, "OIDC_OP_JWKS_ENDPOINT": "http://sso.example.com/certs"}, "https://"),
        (
            {**PRODUCTION, **LDAP, "LDAP_SERVER_URI": "ldap://dc.example.com"},
            "sends passwords in clear",
        ),
        ({**PRODUCTION, **LDAP, "LDAP_TLS_VERIFY": "false"}, "LDAP_TLS_VERIFY=false is refused"),
        ({**PRODUCTION, **OIDC, "OIDC_OP_ISSUER": ""}, "Production needs OIDC_OP_ISSUER"),
    ],
)
def test_wrong_or_insecure_sign_in_settings_are_refused_at_start(tmp_path, env_vars, message):
    result = manage("check", tmp_path=tmp_path, **env_vars)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_accepts_starttls_to_the_directory(tmp_path):
    env_vars = {**PRODUCTION, **LDAP, "LDAP_SERVER_URI": "ldap://dc.example.com"}
    assert show(tmp_path, "s.LDAP_START_TLS", **env_vars, LDAP_START_TLS="true") == "True"
