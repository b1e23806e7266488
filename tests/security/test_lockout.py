"""Lockout by account across addresses and by address across accounts, and wrong passwords at
letter signing counted toward the same lockout, audited and told to HR (issue 16, items 2 and 5;
orgs.lockout, docs/SECURITY.md "Login protection")."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from letters.models import Letter
from orgs.models import AuditEvent, Notification

from ..appraisal.conftest import year  # noqa: F401 — fixtures
from ..factories import PASSWORD, UserFactory
from ..letters.conftest import letter  # noqa: F401 — the fixture

LOGIN = "/login/"
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def attempt(username, password, address="10.0.0.1"):
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, client


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def accounts(db):
    hr = UserFactory(username="hr1", role="hr")
    others = [UserFactory(username=f"user{i}", role="auditor") for i in range(6)]
    return hr, others


# --- Item 5: spraying and rotation ---------------------------------------------------------------


def test_password_spraying_from_one_address_locks_the_address(accounts):
    """The attack of the issue: a few guesses on each of six accounts from one address (never five
    on one account), then the right password of HR from that address: refused."""
    _hr, others = accounts
    statuses = []
    for user in others:
        statuses += [attempt(user.username, WRONG, "10.9.9.9")[0].status_code for _ in range(4)]
    assert statuses[:9] == [200] * 9  # nine failures: nothing locked yet
    assert 429 in statuses  # the tenth locked the address
    response, client = attempt("hr1", PASSWORD, "10.9.9.9")
    assert response.status_code == 429 and not logged_in(client)
    assert "Too many failed logins" in response.context["lockout_message"]
    # The same account from another address is not locked: its own count is low.
    response, client = attempt("hr1", PASSWORD, "10.1.1.1")
    assert response.status_code == 302 and logged_in(client)


def test_guessing_one_account_from_many_addresses_locks_the_account(accounts):
    statuses = [attempt("hr1", WRONG, f"10.0.0.{i}")[0].status_code for i in range(1, 6)]
    assert statuses == [200, 200, 200, 200, 429]
    # Its right password from a fresh address: refused while locked.
    response, client = attempt("hr1", PASSWORD, "10.200.0.1")
    assert response.status_code == 429 and not logged_in(client)
    # Another account from one of those addresses still signs in (that address has 1 failure).
    response, client = attempt("user0", PASSWORD, "10.0.0.3")
    assert response.status_code == 302 and logged_in(client)


def test_usernames_are_counted_without_regard_to_case(accounts):
    for name in ("HR1", "Hr1", " hr1", "hR1"):
        attempt(name, WRONG, "10.0.0.8")
    assert attempt("hr1", WRONG, "10.0.0.9")[0].status_code == 429


def test_both_limits_come_from_settings(accounts, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    assert [attempt(f"user{i}", WRONG, "10.3.3.3")[0].status_code for i in range(3)] == [
        200,
        200,
        429,
    ]
    settings.AXES_FAILURE_LIMIT = 2  # what LOGIN_FAILURE_LIMIT sets
    assert [attempt("user5", WRONG, f"10.4.4.{i}")[0].status_code for i in range(2)] == [200, 429]


def test_a_login_clears_its_own_failures_not_the_addresses_other_ones(accounts, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for i in range(4):
        attempt(f"user{i}", WRONG, "10.5.5.5")
    # The attacker's own account signs in from the address: its failures go, the others' stay.
    attempt("user5", WRONG, "10.5.5.5")
    assert attempt("user5", PASSWORD, "10.5.5.5")[0].status_code == 302
    assert AccessAttempt.objects.filter(ip_address="10.5.5.5").count() == 4
    attempt("user4", WRONG, "10.5.5.5")
    assert attempt("user4", WRONG, "10.5.5.5")[0].status_code == 429


def test_a_lock_is_audited_once_and_hr_told(accounts):
    _hr, others = accounts
    for _ in range(7):
        attempt("user1", WRONG, "10.6.6.6")
    events = AuditEvent.objects.filter(action="auth.lockout")
    assert events.count() == 1
    event = events.get()
    assert event.object_repr == "user1" and event.object_id == str(others[1].pk)
    assert event.after["address"] == "10.6.6.6" and event.after["failures_of_account"] == 5
    assert event.after["reason"] == "account"
    assert event.client_address == "10.6.6.6"
    assert "password" not in str(event.after).lower()
    secadmin = UserFactory(username="sec1", role="secadmin")
    told = Notification.objects.filter(kind="auth.lockout")
    assert list(told.values_list("recipient__username", flat=True)) == ["hr1"]
    assert "user1" in told.get().text and "10.6.6.6" in told.get().text
    # A security administrator is told too, with the page that unlocks.
    for _ in range(5):
        attempt("user3", WRONG, "10.6.6.9")
    to_secadmin = Notification.objects.get(kind="auth.lockout", recipient=secadmin)
    assert to_secadmin.link == reverse("orgs:security_lockouts") and "user3" in to_secadmin.text
    # Another account's lock is its own event.
    for _ in range(5):
        attempt("user2", WRONG, "10.6.6.7")
    assert AuditEvent.objects.filter(action="auth.lockout").count() == 3


def test_an_unknown_username_is_locked_and_audited_like_a_real_one(accounts):
    for _ in range(5):
        response, _client = attempt("nobody-here", WRONG, "10.7.7.7")
    assert response.status_code == 429
    event = AuditEvent.objects.get(action="auth.lockout")
    assert event.object_repr == "nobody-here" and event.object_id == ""


def test_an_address_lock_is_one_event_whatever_the_usernames(accounts):
    for i in range(14):
        attempt(f"someone{i}", WRONG, "10.7.7.8")
    event = AuditEvent.objects.get(action="auth.lockout")
    assert event.after["reason"] == "address" and event.after["failures_from_address"] == 10


# --- Item 2: signing ---------------------------------------------------------------------------


def _sign_url(letter_):
    return reverse("letters:letter_sign", args=[letter_.pk])


def _head_client(world, address):
    client = Client(REMOTE_ADDR=address)
    assert client.login(username=world.users["head_a"].username, password=PASSWORD)
    return client


def test_wrong_signing_passwords_lock_like_the_login(world, letter):  # noqa: F811
    client = _head_client(world, "10.8.8.8")
    head = world.users["head_a"]
    statuses = [
        client.post(_sign_url(letter), {"reviewed": "on", "password": WRONG}).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    # Now even the right password does not sign, and the login is locked too.
    response = client.post(_sign_url(letter), {"reviewed": "on", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and letter.content_sha256 == ""
    assert attempt(head.username, PASSWORD, "10.8.8.9")[0].status_code == 429
    # Each wrong password is in the letter's trail; the lock once, with HR told.
    assert (
        AuditEvent.objects.filter(
            action="letter.sign_password_failed", object_id=str(letter.pk)
        ).count()
        == 5
    )
    assert AuditEvent.objects.filter(action="auth.lockout", object_repr=head.username).count() == 1
    assert Notification.objects.filter(kind="auth.lockout", recipient=world.users["hr"]).exists()


def test_failed_logins_and_signing_share_one_count(world, letter):  # noqa: F811
    head = world.users["head_a"]
    client = _head_client(world, "10.8.1.2")  # signed in first: a login clears the count
    for _ in range(3):
        attempt(head.username, WRONG, "10.8.1.1")
    assert client.post(_sign_url(letter), {"reviewed": "on", "password": WRONG}).status_code == 400
    assert client.post(_sign_url(letter), {"reviewed": "on", "password": WRONG}).status_code == 429


def test_the_api_counts_signing_passwords_too(world, letter):  # noqa: F811
    client = _head_client(world, "10.8.2.2")
    url = f"/api/v1/letters/{letter.pk}/sign/"
    statuses = [
        client.post(url, {"password": WRONG}, content_type="application/json").status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    response = client.post(url, {"password": PASSWORD}, content_type="application/json")
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED


def test_a_right_signing_password_signs(world, letter):  # noqa: F811
    client = _head_client(world, "10.8.3.3")
    assert client.post(_sign_url(letter), {"reviewed": "on", "password": WRONG}).status_code == 400
    response = client.post(_sign_url(letter), {"reviewed": "on", "password": PASSWORD})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SIGNED and letter.signed_from == "10.8.3.3"
