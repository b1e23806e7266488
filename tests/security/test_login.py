"""Login protection (orgs.security, django-axes), CSRF, session cookies, password rules and the
security headers of every page."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LOGIN = "/login/"
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def users(db):
    return UserFactory(username="alice", role="hr"), UserFactory(username="bob", role="hr")


def attempt(username, password, address="10.0.0.1", client=None):
    client = client or Client()
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, client


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(username, times, address="10.0.0.1"):
    return [attempt(username, WRONG, address)[0].status_code for _ in range(times)]


def test_a_right_password_logs_in(users):
    response, client = attempt("alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_after_five_failures_even_the_right_password_is_locked_out(users):
    assert fail("alice", 4) == [200, 200, 200, 200]
    assert fail("alice", 1) == [429]  # the fifth failure locks
    response, client = attempt("alice", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    message = response.context["lockout_message"]
    assert "Too many failed logins" in message and "15 minutes" in message
    assert 'data-testid="lockout"' in response.content.decode()


def test_the_lockout_expires(users):
    fail("alice", 5)
    assert attempt("alice", PASSWORD)[0].status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    response, client = attempt("alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_successful_login_resets_the_count(users):
    fail("alice", 4)
    assert attempt("alice", PASSWORD)[0].status_code == 302
    assert fail("alice", 4) == [200, 200, 200, 200]
    assert attempt("alice", PASSWORD)[0].status_code == 302


def test_the_lockout_holds_the_account_from_every_address(users):
    fail("alice", 5, address="10.0.0.1")
    assert attempt("alice", PASSWORD, address="10.0.0.1")[0].status_code == 429
    # The same account from another address is locked too (tests/security/test_lockout.py has
    # the address's own count); another account from the same address is not (5 < 10).
    response, client = attempt("alice", PASSWORD, address="10.0.0.2")
    assert response.status_code == 429 and not logged_in(client)
    response, client = attempt("bob", PASSWORD, address="10.0.0.1")
    assert response.status_code == 302 and logged_in(client)


def test_the_limit_and_the_time_come_from_settings(users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert fail("alice", 2) == [200, 429]


def test_an_unknown_username_is_counted_too(users):
    assert fail("nobody", 5)[-1] == 429


def test_token_api_access_is_not_affected(users):
    from rest_framework.authtoken.models import Token

    fail("alice", 5)
    token = Token.objects.create(user=users[0])
    response = Client().get("/api/v1/institutions/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


# --- CSRF ----------------------------------------------------------------------------------------


def csrf_token(client, url) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_login_form_needs_its_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403 and not logged_in(client)
    token = csrf_token(client, LOGIN)
    response = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and logged_in(client)


def test_a_post_page_needs_its_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[0])
    url = reverse("orgs:import_upload")
    assert client.post(url, {}).status_code == 403
    token = csrf_token(client, url)
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 200  # form errors
    # htmx sends the token as a header, read from the page (the cookie is HTTP-only).
    assert client.post(url, {}, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_the_session_api_needs_csrf_too(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[0])
    assert client.post("/api/v1/institutions/", {"code": "Q1"}).status_code == 403


# --- Cookies, passwords, headers -----------------------------------------------------------------


def test_session_and_csrf_cookies(users):
    client = Client()
    client.get(LOGIN)
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    attempt("alice", PASSWORD, client=client)
    session = client.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert session["max-age"] == ""  # ends with the browser (and after SESSION_COOKIE_AGE)


@pytest.mark.parametrize(
    ("password", "ok"),
    [("Short-9ch", False), ("1234567890", False), ("password12", False), ("塔楼-river-42", True)],
)
def test_password_rules(password, ok, users):
    if ok:
        validate_password(password, users[0])
    else:
        with pytest.raises(ValidationError):
            validate_password(password, users[0])


@pytest.mark.parametrize("path", [LOGIN, "/", "/orgs/institutions/", "/api/v1/institutions/"])
def test_security_headers_on_every_page(users, path):
    client = Client()
    if path != LOGIN:
        client.force_login(users[0])
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_handler():
    """What the Content-Security-Policy forbids would silently stop working in the browser."""
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for template in Path(settings.BASE_DIR).glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            offenders.append(f"{template}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{template}: {match.group(0)}")
    assert offenders == []
