"""LDAP sign-in against a real OpenLDAP server (tests/signin/slapd.py): through the login page,
with django-axes in front, the way a person signs in."""

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

from orgs.models import AuditEvent, Institution, Role, User
from orgs.signin.models import ExternalAccount
from orgs.signin.rules import dn_normalise, role_rules_parse
from tests.factories import InstitutionFactory, ScoringDepartmentFactory, UserFactory

from .slapd import (  # noqa: F401 — slapd, slapd_tls: the fixtures
    GROUPS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    USERS,
    certificates,
    group_dn,
    slapd,
    slapd_tls,
)

LOGIN = "/login/"
BASE_BACKENDS = ["orgs.security.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
ROLE_GROUPS = ";".join(
    [
        f"hr={group_dn('绩效办')}",
        f"scorer:AQ={group_dn('安全生产科评分')}",
        f"head={group_dn('一把手')}",
        f"acceptance={group_dn('验收组')}",
        f"auditor={group_dn('审计')}",
    ]
)


def configure(settings, server):
    settings.LDAP_SERVER_URI = [server.uri]
    settings.LDAP_BIND_DN = SERVICE_DN
    settings.LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.LDAP_USER_DN_TEMPLATE = ""
    settings.LDAP_USER_SEARCH_BASE = PEOPLE
    settings.LDAP_GROUP_SEARCH_BASE = GROUPS
    settings.LDAP_ROLE_GROUPS = role_rules_parse(ROLE_GROUPS, "test", normalise=dn_normalise)
    settings.LDAP_INSTITUTION_ATTR = "ou"
    settings.AUTHENTICATION_BACKENDS = [*BASE_BACKENDS, "orgs.signin.ldap.LDAPBackend"]
    return server


@pytest.fixture
def ldap(settings, slapd):  # noqa: F811 — the fixture
    return configure(settings, slapd)


@pytest.fixture
def scope(db):
    """What the directory's groups and attributes point at: department AQ, institution A01."""
    return ScoringDepartmentFactory(code="AQ", name="安全生产科"), InstitutionFactory(code="A01")


def sign_in(username, password, address="10.1.0.1"):
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, client


def signed_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def password(uid: str) -> str:
    return USERS[uid][2]


def test_an_hr_group_member_signs_in_through_the_login_page_and_is_hr(ldap, scope):
    response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert response.status_code == 302 and response.url == "/"
    user = signed_in_user(client)
    assert (user.username, user.name, user.email, user.role) == (
        "zhang.hr",
        "张人事",
        "zhang.hr@example.com",
        Role.HR,
    )
    assert not user.has_usable_password()  # the directory's password is never kept
    assert client.get("/").status_code == 200  # HR's home
    link = ExternalAccount.objects.get(user=user)
    assert (link.source, link.subject) == ("ldap", "zhang.hr")
    event = AuditEvent.objects.get(action="signin.create", object_id=str(user.pk))
    assert event.after["role"] == "hr" and event.after["source"] == "ldap"
    assert event.after["granted_by"] == dn_normalise(group_dn("绩效办"))
    assert event.client_address == "10.1.0.1"


def test_the_scope_comes_with_the_role(ldap, scope):
    department, institution = scope
    _response, client = sign_in("li.scorer", password("li.scorer"))
    scorer = signed_in_user(client)
    assert (scorer.role, scorer.scoring_department) == (Role.SCORER, department)
    _response, client = sign_in("wang.head", password("wang.head"))  # ou: A01
    head = signed_in_user(client)
    institution.refresh_from_db()
    assert head.role == Role.HEAD and institution.head == head
    assert AuditEvent.objects.filter(action="institution.update", object_id=str(institution.pk))


def test_a_wrong_password_is_refused_and_counted_by_axes(ldap, scope):
    response, client = sign_in("zhang.hr", "not-the-password")
    assert response.status_code == 200 and signed_in_user(client) is None
    assert "didn&#x27;t match" in response.content.decode() or response.context["form"].errors
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 1
    # The count is the account's whatever the case typed: the directory ignores case.
    for _ in range(4):
        sign_in("ZHANG.HR", "not-the-password")
    response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert response.status_code == 429 and signed_in_user(client) is None
    assert not User.objects.filter(username="zhang.hr").exists()


def test_an_empty_password_never_reaches_the_directory(ldap, scope):
    # An LDAP bind without a password is an anonymous bind, which succeeds.
    from orgs.signin.ldap import LDAPBackend

    assert LDAPBackend().authenticate(None, username="zhang.hr", password="") is None


def test_a_user_in_no_mapped_group_has_no_role_and_lands_on_the_no_role_page(ldap, scope):
    response, client = sign_in("zhao.nobody", password("zhao.nobody"))
    assert response.status_code == 302
    user = signed_in_user(client)
    assert user.role == "" and user.name == "赵无组"
    home = client.get("/")
    assert home.status_code == 403
    assert "orgs/home_norole.html" in [t.name for t in home.templates]


def test_a_change_of_group_in_the_directory_changes_the_role_at_the_next_sign_in(ldap, scope):
    _response, client = sign_in("qian.mover", password("qian.mover"))
    user = signed_in_user(client)
    assert user.role == Role.ACCEPTANCE
    ldap.move("qian.mover", out_of="验收组", into="审计")
    _response, client = sign_in("qian.mover", password("qian.mover"))
    user.refresh_from_db()
    assert signed_in_user(client) == user and user.role == Role.AUDITOR
    event = AuditEvent.objects.get(action="signin.update", object_id=str(user.pk))
    assert (event.before["role"], event.after["role"]) == ("acceptance", "auditor")
    # Signing in again with nothing changed writes no event.
    sign_in("qian.mover", password("qian.mover"))
    assert AuditEvent.objects.filter(action="signin.update").count() == 1


def test_a_head_who_leaves_the_group_no_longer_heads_the_institution(ldap, scope):
    _department, institution = scope
    sign_in("wang.head", password("wang.head"))
    ldap.move("wang.head", out_of="一把手", into="其他")
    _response, client = sign_in("wang.head", password("wang.head"))
    institution.refresh_from_db()
    assert signed_in_user(client).role == "" and institution.head is None


def test_a_refused_service_bind_is_a_clear_error_in_the_log_and_a_plain_refusal(
    ldap, scope, settings, caplog
):
    settings.LDAP_BIND_PASSWORD = "not-the-service-password"
    with caplog.at_level(logging.ERROR, logger="orgs.signin"):
        response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert response.status_code == 200 and signed_in_user(client) is None
    page = response.content.decode()
    assert "LDAP" not in page and "service" not in page  # nothing about the directory shown
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert (
        "service account" in message and SERVICE_DN in message and "LDAP_BIND_PASSWORD" in message
    )


def test_an_unreachable_directory_is_logged_and_local_accounts_still_sign_in(
    ldap, scope, settings, caplog
):
    ldap.stop()
    UserFactory(username="local.hr", role=Role.HR)
    with caplog.at_level(logging.ERROR, logger="orgs.signin"):
        response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert response.status_code == 200 and signed_in_user(client) is None
    assert any("could not be checked" in r.getMessage() for r in caplog.records)
    from tests.factories import PASSWORD

    response, client = sign_in("local.hr", PASSWORD)
    assert response.status_code == 302 and signed_in_user(client).username == "local.hr"


def test_a_directory_user_does_not_take_over_a_local_account_of_the_same_name(ldap, scope, caplog):
    local = UserFactory(username="zhang.hr", role=Role.AUDITOR)
    with caplog.at_level(logging.WARNING, logger="orgs.signin"):
        _response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert signed_in_user(client) is None
    local.refresh_from_db()
    assert local.role == Role.AUDITOR and local.has_usable_password()
    assert any("not linked" in r.getMessage() for r in caplog.records)


def test_adopting_local_accounts_links_them_once_and_retires_their_password(ldap, scope, settings):
    settings.SIGNIN_ADOPT_LOCAL_ACCOUNTS = True
    local = UserFactory(username="zhang.hr", role=Role.AUDITOR)
    _response, client = sign_in("zhang.hr", password("zhang.hr"))
    local.refresh_from_db()
    assert signed_in_user(client) == local and local.role == Role.HR
    assert not local.has_usable_password()
    assert AuditEvent.objects.filter(action="signin.adopt", object_id=str(local.pk)).exists()
    # A superuser is never adopted.
    UserFactory(username="li.scorer", is_superuser=True, is_staff=True)
    _response, client = sign_in("li.scorer", password("li.scorer"))
    assert signed_in_user(client) is None


def test_direct_bind_by_a_dn_template(ldap, scope, settings):
    settings.LDAP_BIND_DN = settings.LDAP_BIND_PASSWORD = ""
    settings.LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{PEOPLE}"
    settings.LDAP_USER_SEARCH_BASE = ""
    _response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert signed_in_user(client).role == Role.HR
    response, client = sign_in("zhang.hr", "wrong-password-here")
    assert response.status_code == 200 and signed_in_user(client) is None


def test_a_filter_injection_finds_nobody(ldap, scope):
    _response, client = sign_in("*", password("zhang.hr"))
    assert signed_in_user(client) is None
    _response, client = sign_in("zhang.hr)(uid=*", password("zhang.hr"))
    assert signed_in_user(client) is None


def test_without_a_role_mapping_roles_stay_as_set_in_the_app(ldap, scope, settings):
    settings.LDAP_ROLE_GROUPS = ()
    _response, client = sign_in("zhang.hr", password("zhang.hr"))
    user = signed_in_user(client)
    assert user.role == ""
    User.objects.filter(pk=user.pk).update(role=Role.PAYROLL)
    _response, client = sign_in("zhang.hr", password("zhang.hr"))
    user.refresh_from_db()
    assert user.role == Role.PAYROLL


def test_ldap_only_refuses_local_passwords_except_a_superuser(ldap, scope, settings):
    from tests.factories import PASSWORD

    settings.AUTHENTICATION_BACKENDS = [
        "orgs.security.LockoutBackend",
        "orgs.signin.ldap.LocalSuperuserBackend",
        "orgs.signin.ldap.LDAPBackend",
    ]
    UserFactory(username="local.hr", role=Role.HR)
    UserFactory(username="root", is_superuser=True, is_staff=True)
    assert signed_in_user(sign_in("local.hr", PASSWORD)[1]) is None
    assert signed_in_user(sign_in("root", PASSWORD)[1]).username == "root"
    assert signed_in_user(sign_in("zhang.hr", password("zhang.hr"))[1]).role == Role.HR
    assert Institution.objects.count() == 1


def test_starttls_with_the_directorys_ca_and_refused_with_another(
    settings,
    slapd_tls,  # noqa: F811 — the fixture
    scope,
    tmp_path,
    caplog,
):
    configure(settings, slapd_tls)
    settings.LDAP_START_TLS = True
    settings.LDAP_TLS_CA_FILE = str(slapd_tls.tls[0])
    _response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert signed_in_user(client).role == Role.HR
    # A certificate no trusted CA signed: nothing is sent, the log says why.
    settings.LDAP_TLS_CA_FILE = str(certificates(tmp_path / "other", "other")[0])
    with caplog.at_level(logging.ERROR, logger="orgs.signin"):
        response, client = sign_in("zhang.hr", password("zhang.hr"))
    assert response.status_code == 200 and signed_in_user(client) is None
    assert any("could not be checked" in r.getMessage() for r in caplog.records)
