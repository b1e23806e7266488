"""等保 2.0 level 3 controls (issue 16, item 9; docs/SECURITY.md "等保 2.0 三级 checklist"): every
control of the checklist has its test here — passwords, sessions, the second factor, the three
administrators (三员), the audit of sign-ins and its retention and archive."""

import datetime as dt
import gzip
import hashlib
import io
import json
import time
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from orgs import checks, mfa
from orgs.models import AuditEvent, PasswordHistory, Role, User
from orgs.services import audit_record
from orgs.signin.models import ExternalAccount

from ..factories import PASSWORD
from ..test_settings import STRONG_KEY, manage, show

NEW = "Fresh-pass-2026"  # 15 characters, four classes


def _login(username: str, password: str = PASSWORD, **extra) -> Client:
    """A sign-in at the door: the login page, over HTTP (so it is audited)."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password}, **extra)
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _events(action: str):
    return AuditEvent.objects.filter(action=action).order_by("pk")


# --- Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short-1A", False),  # 8 characters
        ("abcdefghijk", False),  # one class
        ("abcdefgh123", False),  # two classes
        ("abcdefg-123", True),  # lower, digit, other
        ("Abcdefgh123", True),  # lower, upper, digit
        ("考核系统abcdef12", True),  # other (Chinese), lower, digit
    ],
)
def test_a_password_needs_ten_characters_of_three_classes(db, password, ok):
    user = User(username="someone")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)


def test_none_of_the_last_five_passwords_again(world):
    user = world.users["scorer"]
    chosen = [f"Pass-word-{n:02d}" for n in range(6)]
    for password in chosen[:5]:
        validate_password(password, user)
        user.set_password(password)
        user.save()
    for password in chosen[:5]:  # the current one and the four before it
        with pytest.raises(ValidationError, match="5"):
            validate_password(password, user)
    user.set_password(chosen[5])
    user.save()
    validate_password(chosen[0], user)  # six back: allowed again
    with pytest.raises(ValidationError):
        validate_password(chosen[1], user)
    # Hashes are kept, never the passwords, and no more than five.
    kept = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True))
    assert len(kept) == 5 and all(h.startswith("md5$") for h in kept)
    assert not any(p in h for h in kept for p in chosen)


def test_the_password_history_is_kept_whoever_sets_it(world):
    user = world.users["auditor"]
    before = user.password_changed_at
    user.set_password(NEW)
    user.save(update_fields=["password"])  # as a command or the demo would
    user.refresh_from_db()
    assert user.password_changed_at > before
    assert PasswordHistory.objects.filter(user=user).first().password == user.password


def test_an_expired_password_must_be_changed_before_anything_else(world, settings):
    user = world.users["hr"]
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    )
    client = _login("hr")
    page = client.get("/orgs/institutions/")
    change = reverse("orgs:password_change")
    assert (
        page.status_code == 302 and page["Location"] == f"{change}?next=%2Forgs%2Finstitutions%2F"
    )
    assert client.get("/api/v1/institutions/").status_code == 403  # the API too
    form = client.get(change)
    assert form.status_code == 200 and 'data-testid="password-expired"' in form.content.decode()
    # The rules hold on the page: reusing the current password is refused.
    same = {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    assert client.post(change, same).status_code == 400
    changed = client.post(
        change,
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW, "next": "/"},
    )
    assert changed.status_code == 302 and changed["Location"] == "/"
    assert client.get("/orgs/institutions/").status_code == 200  # the session stays signed in
    (event,) = _events("auth.password_change")
    assert event.actor == user and NEW not in json.dumps([event.before, event.after])


def test_a_new_account_is_not_expired_and_zero_never_expires(world, settings):
    client = Client()
    client.force_login(world.users["scorer"])
    assert client.get("/orgs/institutions/").status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 0
    User.objects.filter(pk=world.users["scorer"].pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=3650)
    )
    assert client.get("/orgs/institutions/").status_code == 200


def test_a_directory_account_has_no_password_to_age(world):
    user = world.users["scorer"]
    ExternalAccount.objects.create(user=user, source="ldap", subject="scorer")
    user.set_unusable_password()
    user.save()
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - dt.timedelta(999))
    client = Client()
    client.force_login(user)
    assert client.get("/orgs/institutions/").status_code == 200
    assert client.get(reverse("orgs:password_change")).status_code == 302  # nothing to change


# --- Sessions -----------------------------------------------------------------------------------


def _at(seconds_from_now: float):
    return mock.patch("time.time", return_value=time.time() + seconds_from_now)


def test_an_idle_session_ends_after_thirty_minutes(world):
    client = _login("scorer")
    assert client.get("/orgs/institutions/").status_code == 200
    with _at(20 * 60):
        assert client.get("/orgs/institutions/").status_code == 200  # activity
    with _at(45 * 60):  # 25 minutes after the last activity
        assert client.get("/orgs/institutions/").status_code == 200
    with _at(76 * 60):  # 31 minutes after it
        response = client.get("/orgs/institutions/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    (event,) = _events("auth.session_end")
    assert event.actor == world.users["scorer"] and event.after == {"reason": "idle"}
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="messages"' in page and "30" in page  # the login page says why


def test_the_menu_counts_and_the_bell_do_not_keep_a_session_alive(world):
    client = _login("scorer")
    for minutes in (10, 20, 29):
        with _at(minutes * 60):
            assert client.get(reverse("orgs:nav_counts"), HTTP_HX_REQUEST="true").status_code == 200
    with _at(31 * 60):
        assert client.get(reverse("orgs:nav_counts")).status_code == 302  # ended, to the login


def test_a_session_ends_eight_hours_after_sign_in_whatever_the_activity(world):
    client = _login("scorer")
    for minutes in range(25, 8 * 60, 25):  # active every 25 minutes, never idle
        with _at(minutes * 60):
            assert client.get("/orgs/institutions/").status_code == 200, minutes
    with _at(8 * 3600 + 60):
        assert client.get("/orgs/institutions/").status_code == 302
    assert _events("auth.session_end").get().after == {"reason": "absolute"}


def test_one_session_per_account_when_set(world, settings):
    first = _login("scorer")
    second = _login("scorer")
    assert first.get("/orgs/institutions/").status_code == 200  # off by default
    settings.SESSION_SINGLE = True
    assert second.get("/orgs/institutions/").status_code == 200
    assert first.get("/orgs/institutions/").status_code == 302
    assert _events("auth.session_end").get().after == {"reason": "replaced"}


# --- Second factor ------------------------------------------------------------------------------


def _code(key_hex: str, seconds_from_now: float = 0) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time() + seconds_from_now
    return f"{totp.token():06d}"


def test_a_required_role_enrols_then_passes_a_code_at_every_sign_in(world, settings):
    settings.MFA_REQUIRED_ROLES = frozenset({"hr", "payroll"})
    client = _login("hr")
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith(reverse("orgs:mfa_verify"))
    assert client.get(home["Location"])["Location"].startswith(reverse("orgs:mfa_enrol"))
    page = client.get(reverse("orgs:mfa_enrol"))
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "otpauth://totp/" in html
    assert not TOTPDevice.objects.exists()  # opening the page writes no device
    key = client.session[mfa.PENDING_KEY]
    assert client.post(reverse("orgs:mfa_enrol"), {"token": "000000"}).status_code in (200, 400)
    done = client.post(reverse("orgs:mfa_enrol"), {"token": _code(key), "next": "/"})
    assert done.status_code == 302 and client.get("/").status_code == 200
    device = TOTPDevice.objects.get(user=world.users["hr"])
    assert device.confirmed and _events("mfa.enrol").count() == 1

    # The next sign-in: the code step, and nothing else until it is passed.
    client.post(reverse("logout"))
    client = _login("hr")
    assert client.get("/orgs/institutions/")["Location"].startswith(reverse("orgs:mfa_verify"))
    assert client.get("/api/v1/institutions/").status_code == 403  # a page session's API too
    later = _code(key, 60)  # the code of a minute later (the one just used cannot be replayed)
    wrong = client.post(reverse("orgs:mfa_verify"), {"token": "123456"})
    assert wrong.status_code == 400 and _events("mfa.failed").count() >= 1
    time.sleep(1.1)  # django-otp makes a wrong code wait a second before the next try
    with _at(60):
        passed = client.post(reverse("orgs:mfa_verify"), {"token": later, "next": "/"})
        assert passed.status_code == 302
        assert client.get("/orgs/institutions/").status_code == 200
        assert client.get("/api/v1/institutions/").status_code == 200
    assert _events("mfa.verify").count() == 1


def test_an_api_token_is_no_way_around_the_second_factor(world, settings):
    settings.MFA_REQUIRED_ROLES = frozenset({"hr"})
    hr_token = Token.objects.create(user=world.users["hr"])
    scorer_token = Token.objects.create(user=world.users["scorer"])
    client = Client()
    refused = client.get("/api/v1/institutions/", HTTP_AUTHORIZATION=f"Token {hr_token.key}")
    assert refused.status_code == 401
    ok = client.get("/api/v1/institutions/", HTTP_AUTHORIZATION=f"Token {scorer_token.key}")
    assert ok.status_code == 200
    settings.MFA_ALLOW_API_TOKENS = True
    allowed = client.get("/api/v1/institutions/", HTTP_AUTHORIZATION=f"Token {hr_token.key}")
    assert allowed.status_code == 200


def test_others_may_enrol_from_their_account_page_and_then_pass_it(world):
    client = _login("scorer")
    account = client.get(reverse("orgs:account")).content.decode()
    assert 'data-testid="open-mfa-enrol"' in account
    client.get(reverse("orgs:mfa_enrol"))
    key = client.session[mfa.PENDING_KEY]
    assert client.post(reverse("orgs:mfa_enrol"), {"token": _code(key)}).status_code == 302
    client = _login("scorer")
    assert client.get("/")["Location"].startswith(reverse("orgs:mfa_verify"))
    # A role that does not require it may remove it (confirmed, audited).
    later = _code(key, 60)
    with _at(60):
        assert client.post(reverse("orgs:mfa_verify"), {"token": later}).status_code == 302
        assert client.post(reverse("orgs:mfa_remove")).status_code == 400  # not confirmed
        assert client.post(reverse("orgs:mfa_remove"), {"confirm": "yes"}).status_code == 302
    assert not TOTPDevice.objects.exists() and _events("mfa.remove").count() == 1


def test_the_security_administrator_resets_a_lost_device(world, settings):
    settings.MFA_REQUIRED_ROLES = frozenset({"payroll"})
    payroll = world.users["payroll"]
    TOTPDevice.objects.create(user=payroll, name="TOTP", confirmed=True)
    url = reverse("orgs:security_mfa_reset", kwargs={"pk": payroll.pk})
    assert _login("hr").post(url, {"confirm": "yes"}).status_code == 403
    secadmin = _login("secadmin")
    assert 'data-username="payroll"' in secadmin.get(reverse("orgs:security_mfa")).content.decode()
    assert secadmin.post(url).status_code == 400  # the dialog's confirmation is required
    assert secadmin.post(url, {"confirm": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=payroll).exists()
    (event,) = _events("mfa.reset")
    assert event.actor == world.users["secadmin"] and event.object_id == str(payroll.pk)
    # At the next sign-in the role's enrolment comes again.
    client = _login("payroll")
    verify = client.get("/")["Location"]
    assert client.get(verify)["Location"].startswith(reverse("orgs:mfa_enrol"))


def test_no_second_factor_in_development_by_default(world, settings):
    assert frozenset() == settings.MFA_REQUIRED_ROLES  # the demo and the tests sign in as before
    assert _login("hr").get("/").status_code == 200


def test_production_requires_it_of_hr_payroll_and_the_administrators(tmp_path):
    production = {"DJANGO_ENV": "production", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "jx.cn"}
    roles = show(tmp_path, "sorted(s.MFA_REQUIRED_ROLES)", **production)
    assert roles == repr(["auditadmin", "hr", "payroll", "secadmin", "sysadmin"])


def test_the_deploy_check_warns_when_hr_or_payroll_signs_in_without_it(settings):
    settings.PRODUCTION = True
    settings.MFA_REQUIRED_ROLES = frozenset({"hr", "sysadmin"})
    (warning,) = checks.mfa_roles_check()
    assert warning.id == "orgs.W001" and "payroll" in warning.msg
    settings.MFA_REQUIRED_ROLES = frozenset({"hr", "payroll"})
    assert checks.mfa_roles_check() == []
    settings.PRODUCTION = False
    settings.MFA_REQUIRED_ROLES = frozenset()
    assert checks.mfa_roles_check() == []


# --- 三员: the three administrators --------------------------------------------------------------


def _account_form(**fields):
    data = {"username": "", "name": "", "email": "", "role": "", "is_active": "on"}
    data.update(fields)
    return data


def test_the_system_administrator_creates_an_account_with_a_temporary_password(world):
    client = _login("sysadmin")
    assert client.get(reverse("orgs:account_list")).status_code == 200
    data = _account_form(username="newhr", name="新人事", role="hr", password1=NEW, password2=NEW)
    assert client.post(reverse("orgs:account_create"), data).status_code == 302
    user = User.objects.get(username="newhr")
    assert user.role == Role.HR and user.password_changed_at is None
    assert _events("user.create").get().actor == world.users["sysadmin"]
    assert _events("user.role").get().after == {"role": "hr"}
    # The new account's first sign-in: its own password first.
    first = _login("newhr", NEW)
    assert first.get("/")["Location"].startswith(reverse("orgs:password_change"))


def test_the_account_list_shows_each_accounts_scope(world):
    """The scope column: a scorer's department, a head's institution, a payroll officer's
    number of institutions, another account's 所属机构 — in a fixed number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import UserFactory

    UserFactory(username="staffer", role="", institution=world.a)
    client = _login("sysadmin")
    client.get(reverse("orgs:account_list"))  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("orgs:account_list") + "?page=1").content.decode()
    UserFactory.create_batch(5, role="", institution=world.b)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("orgs:account_list") + "?page=1")
    assert len(more) == len(few)

    def scope(username):
        row = page.split(f'data-username="{username}"')[1].split("</tr>")[0]
        return " ".join(row.split('data-col="scope">')[1].split("</td>")[0].split())

    assert world.a.name in scope(world.users["head_a"].username)
    assert world.dept.name in scope(world.users["scorer"].username)
    assert "所属" in scope("staffer") and world.a.code in scope("staffer")


def test_a_weak_temporary_password_is_refused(world):
    data = _account_form(username="weak", name="弱", password1="password12", password2="password12")
    response = _login("sysadmin").post(reverse("orgs:account_create"), data)
    assert response.status_code == 400 and not User.objects.filter(username="weak").exists()


def test_giving_a_three_admin_role_is_audited_and_ones_own_role_never_changes(world):
    client = _login("sysadmin")
    target = world.users["scorer"]
    url = reverse("orgs:account_edit", kwargs={"pk": target.pk})
    data = _account_form(username="scorer", name="评分人", role="secadmin")
    assert client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.role == Role.SECADMIN and target.scoring_department is None
    event = _events("user.admin_role").get()
    assert (event.before, event.after) == ({"role": "scorer"}, {"role": "secadmin"})
    mine = reverse("orgs:account_edit", kwargs={"pk": world.users["sysadmin"].pk})
    response = client.post(mine, _account_form(username="sysadmin", name="我", role="hr"))
    assert response.status_code == 400
    assert User.objects.get(username="sysadmin").role == Role.SYSADMIN


def test_the_system_administrator_sets_a_temporary_password(world):
    client = _login("sysadmin")
    url = reverse("orgs:account_password", kwargs={"pk": world.users["head_a"].pk})
    assert client.post(url, {"password1": NEW, "password2": NEW}).status_code == 302
    event = _events("user.password_reset").get()
    assert event.actor == world.users["sysadmin"] and NEW not in json.dumps(event.after)
    assert _login("head_a", NEW).get("/")["Location"].startswith(reverse("orgs:password_change"))


def test_the_security_policies_page_shows_the_settings_in_force(world, settings):
    settings.SESSION_IDLE_MINUTES = 25
    html = _login("secadmin").get(reverse("orgs:security_policies")).content.decode()
    assert 'data-testid="policy-SESSION_IDLE_MINUTES">25<' in html
    assert 'data-testid="policy-AUDIT_RETENTION_DAYS">180<' in html


def test_the_security_administrator_unlocks_a_locked_account(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "hr", "password": "wrong-pass-1"})
    assert (
        Client().post(reverse("login"), {"username": "hr", "password": PASSWORD}).status_code == 429
    )
    client = _login("secadmin")
    page = client.get(reverse("orgs:security_lockouts")).content.decode()
    assert 'data-username="hr"' in page
    home = client.get("/").content.decode()
    assert 'data-testid="todo-orgs.lockouts"' in home
    unlock = reverse("orgs:security_unlock")
    assert client.post(unlock, {"username": "hr"}).status_code == 400  # not confirmed
    assert client.post(unlock, {"username": "hr", "confirm": "yes"}).status_code == 302
    assert not AccessAttempt.objects.filter(username="hr").exists()
    event = _events("security.unlock").get()
    assert event.actor == world.users["secadmin"] and event.before["failures"] >= 5
    assert _login("hr").get("/").status_code == 200


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditadmin"])
def test_the_administrators_see_no_business_data(world, persona):
    """The permission matrix checks every route; here the main doors, page and API."""
    client = _login(persona)
    for url in ("/orgs/institutions/", "/appraisal/schemes/", "/payroll/runs/",
                "/api/v1/institutions/", "/api/v1/entries/", "/dashboard/"):  # fmt: skip
        assert client.get(url).status_code == 403, (persona, url)
    readable = client.get(reverse("orgs:audit_list")).status_code
    assert readable == (200 if persona == "auditadmin" else 403)


# --- Audit of sign-ins; retention and archive ----------------------------------------------------


def test_logins_logouts_and_failures_are_audited_without_the_password(world):
    Client().post(
        reverse("login"), {"username": "hr", "password": "Secret-guess-9"}, REMOTE_ADDR="192.0.2.4"
    )
    Client().post(reverse("login"), {"username": "nobody", "password": "Secret-guess-9"})
    client = _login("hr", REMOTE_ADDR="192.0.2.5")
    client.post(reverse("logout"), REMOTE_ADDR="192.0.2.5")
    failed = list(_events("auth.login_failed"))
    assert [(e.object_repr, e.object_id, e.client_address) for e in failed] == [
        (str(world.users["hr"]), str(world.users["hr"].pk), "192.0.2.4"),
        ("nobody", "", "127.0.0.1"),
    ]
    login, logout = _events("auth.login").get(), _events("auth.logout").get()
    assert login.actor == logout.actor == world.users["hr"]
    assert login.client_address == "192.0.2.5"
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "Secret-guess-9" not in everything and PASSWORD not in everything


def test_a_retention_under_180_days_is_refused(tmp_path):
    result = manage("check", tmp_path=tmp_path, AUDIT_RETENTION_DAYS="179")
    assert result.returncode != 0 and "AUDIT_RETENTION_DAYS must be 180 or more" in result.stderr


def _event_on(day: dt.date, actor, world, action="institution.update"):
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit_record(actor=actor, action=action, obj=world.a, after={"day": str(day)})


def test_audit_archive_writes_old_events_to_a_file_and_deletes_nothing(world, tmp_path):
    today = timezone.localdate()
    old = [_event_on(today - dt.timedelta(days=d), world.users["hr"], world) for d in (400, 200)]
    _event_on(today - dt.timedelta(days=100), world.users["hr"], world)  # inside the retention
    total = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="inside the retention"):
        call_command("audit_archive", "--before", str(today - dt.timedelta(days=100)),
                     "--output", str(tmp_path))  # fmt: skip
    call_command("audit_archive", "--output", str(tmp_path), stdout=io.StringIO())
    (archive,) = tmp_path.glob("*.jsonl.gz")
    (manifest_path,) = tmp_path.glob("*.manifest.json")
    manifest = json.loads(manifest_path.read_text())
    with gzip.open(archive, "rt", encoding="utf-8") as text:
        lines = [json.loads(line) for line in text]
    assert [row["id"] for row in lines] == [e.pk for e in old]
    assert lines[0]["actor"] == "hr" and lines[0]["after"] == old[0].after
    assert (
        manifest["count"] == 2
        and manifest["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    )
    assert manifest["before"] == str(today - dt.timedelta(days=180))
    # Nothing deleted; the archive itself is an event with the range, count and hash.
    assert AuditEvent.objects.count() == total + 1
    event = _events("audit.archive").get()
    assert event.after["sha256"] == manifest["sha256"] and event.after["count"] == 2
    # The next run goes on from where this one ended: nothing new yet.
    with pytest.raises(CommandError, match="Nothing to archive"):
        call_command("audit_archive", "--output", str(tmp_path))
