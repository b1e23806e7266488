"""OpenID Connect sign-in against a local provider that signs real tokens (tests/signin/
provider.py): the Django test client goes to the provider, comes back with a code, and is signed
in with the role the provider's groups claim maps to; tampered tokens and replays are refused."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from orgs.models import AuditEvent, Role, User
from orgs.signin.models import ExternalAccount
from orgs.signin.rules import role_rules_parse
from tests.factories import ScoringDepartmentFactory, UserFactory

from .provider import CLIENT_ID, provider  # noqa: F401 — the fixture

BASE_BACKENDS = ["orgs.security.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
HR = {"sub": "f3b2-0001", "preferred_username": "sun.hr", "name": "孙人事",
      "email": "sun@example.com", "groups": ["staff", "/绩效办"]}  # fmt: skip


@pytest.fixture
def oidc(settings, provider, db):  # noqa: F811 — the fixture
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    settings.OIDC_ROLE_GROUPS = role_rules_parse("hr=/绩效办;scorer=/评分人;auditor=/审计", "test")
    settings.OIDC_DEPARTMENT_CLAIM = "department"
    settings.AUTHENTICATION_BACKENDS = [*BASE_BACKENDS, "orgs.signin.oidc.OIDCBackend"]
    provider.person = dict(HR)
    return provider


def go_to_provider(client: Client, next_url: str = "") -> str:
    """Login page → our login route → the provider's authorize page, which consents at once:
    the address it sends the browser back to."""
    login = client.get("/login/")
    assert 'data-testid="signin-oidc"' in login.content.decode()
    start = client.get("/signin/oidc/login/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    authorize = start.url
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0]
    browser = requests.Session()
    browser.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    answer = browser.get(authorize, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return answer.headers["Location"]


def come_back(client: Client, callback: str):
    parts = urlsplit(callback)
    assert parts.path == "/signin/oidc/callback/"
    return client.get(f"{parts.path}?{parts.query}")


def signed_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_sign_in_through_the_provider_gives_the_mapped_role(oidc):
    client = Client()
    response = come_back(client, go_to_provider(client, next_url="/orgs/institutions/"))
    assert response.status_code == 302 and response.url == "/orgs/institutions/"
    user = signed_in_user(client)
    assert (user.username, user.name, user.email, user.role) == (
        "sun.hr",
        "孙人事",
        "sun@example.com",
        Role.HR,
    )
    assert not user.has_usable_password()
    assert ExternalAccount.objects.get(user=user).subject == HR["sub"]
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action="signin.create")
    assert event.after["source"] == "oidc" and event.after["granted_by"] == "/绩效办"
    # PKCE: the verifier went to the token endpoint.
    assert oidc.token_requests[-1]["code_verifier"]


def test_scope_and_role_changes_follow_the_provider(oidc):
    ScoringDepartmentFactory(code="AQ")
    oidc.person = {**HR, "groups": ["/评分人"], "department": "AQ"}
    client = Client()
    come_back(client, go_to_provider(client))
    user = signed_in_user(client)
    assert user.role == Role.SCORER and user.scoring_department.code == "AQ"
    oidc.person = {**HR, "groups": []}
    client = Client()
    come_back(client, go_to_provider(client))
    user.refresh_from_db()
    assert signed_in_user(client) == user and user.role == "" and user.scoring_department is None
    assert client.get("/").status_code == 403  # the "no role" page


@pytest.mark.parametrize("tamper", ["other_key", "nonce", "audience", "issuer", "expired"])
def test_a_tampered_id_token_is_refused(oidc, tamper, caplog):
    oidc.tamper = tamper
    client = Client()
    with caplog.at_level(logging.WARNING, logger="orgs.signin"):
        response = come_back(client, go_to_provider(client))
    assert response.status_code == 302 and response.url == "/login/"
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="sun.hr").exists()
    assert any("refused" in r.getMessage() for r in caplog.records)
    page = client.get("/login/").content.decode()
    assert 'data-testid="signin-message"' in page


def test_a_wrong_or_replayed_state_is_refused(oidc):
    client = Client()
    callback = go_to_provider(client)
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    forged = client.get(f"{parts.path}?code={query['code'][0]}&state=forged-state")
    assert forged.status_code == 302 and forged.url == "/login/"
    assert signed_in_user(client) is None
    # Another browser (no state in its session) cannot use the code either.
    stranger = Client()
    assert come_back(stranger, callback).url == "/login/" and signed_in_user(stranger) is None
    # The real browser can; then the same answer again is refused (the state is spent).
    assert come_back(client, callback).status_code == 302 and signed_in_user(client) is not None
    replay = Client()
    replay.cookies = client.cookies
    assert come_back(replay, callback).url == "/login/"


def test_a_provider_error_answer_is_a_plain_refusal(oidc):
    client = Client()
    go_to_provider(client)
    response = client.get("/signin/oidc/callback/?error=access_denied&state=x")
    assert response.status_code == 302 and response.url == "/login/"
    assert signed_in_user(client) is None


def test_a_provider_account_does_not_take_over_a_local_account(oidc):
    local = UserFactory(username="sun.hr", role=Role.AUDITOR)
    client = Client()
    come_back(client, go_to_provider(client))
    assert signed_in_user(client) is None
    local.refresh_from_db()
    assert local.role == Role.AUDITOR and local.has_usable_password()


def test_the_person_is_found_by_subject_not_by_name_or_email(oidc):
    client = Client()
    come_back(client, go_to_provider(client))
    first = signed_in_user(client)
    # The provider renames them: still the same account (found by `sub`); its username stays,
    # its name follows.
    oidc.person = {**HR, "preferred_username": "sun.renamed", "name": "孙新名"}
    client = Client()
    come_back(client, go_to_provider(client))
    first.refresh_from_db()
    assert signed_in_user(client) == first and first.name == "孙新名"
    # Someone else with the same e-mail is another person.
    oidc.person = {**HR, "sub": "f3b2-0002", "preferred_username": "sun.other"}
    client = Client()
    come_back(client, go_to_provider(client))
    assert signed_in_user(client).username == "sun.other"


def test_logout_ends_the_provider_session_too(oidc):
    client = Client()
    come_back(client, go_to_provider(client))
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url.startswith(oidc.url("/logout?"))
    query = parse_qs(urlsplit(response.url).query)
    assert query["client_id"] == [CLIENT_ID] and query["id_token_hint"][0]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert signed_in_user(client) is None


def test_local_logout_is_unchanged(oidc):
    UserFactory(username="local")
    client = Client()
    client.login(username="local", password="pass-word-123")
    response = client.post("/logout/")
    assert response.status_code == 302 and response.url == "/login/"


def test_the_routes_are_not_found_while_oidc_is_off(db, settings):
    settings.OIDC_ENABLED = False
    client = Client()
    assert client.get("/signin/oidc/login/").status_code == 404
    assert client.get("/signin/oidc/callback/?code=x&state=y").status_code == 404
    assert 'data-testid="signin-oidc"' not in client.get("/login/").content.decode()
