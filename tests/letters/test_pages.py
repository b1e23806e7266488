"""Letters pages: every URL for every persona, signing with the password, countersigning, the
verification and tamper evidence, versions, the cascade form, HR's status with its Excel export and
the issue button, and the daily reminders."""

import io
import re
from datetime import timedelta
from decimal import Decimal as D
from urllib.parse import unquote

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appraisal.models import Target
from letters import services, tasks
from letters.models import Letter
from orgs.models import AuditEvent, Institution, Role

from ..factories import PASSWORD, UserFactory

PERSONAS = ["hr", "head_a", "head_b", "scorer", "acceptance", "payroll", "auditor", "norole"]
ALL = [*PERSONAS, "anonymous"]
CONFIRM = {"confirm": "yes"}  # what the confirm dialogs post (orgs.confirm)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Reminders remember themselves in the cache; each test starts from none.
    cache.clear()
    yield
    cache.clear()


def _sign(letter, address="10.0.0.7"):
    return services.letter_sign(
        actor=letter.signer, letter=letter, password=PASSWORD, client_address=address
    )


def _url(name, letter=None, **kwargs):
    if letter is not None:
        kwargs["pk"] = letter.pk
    return reverse(f"letters:{name}", kwargs=kwargs)


def _login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.fixture
def signed(world, year, letter):
    return _sign(letter)


@pytest.fixture
def deputies(world, year, signed):
    """A01's head letter decomposed to two role-less deputies."""
    revenue = signed.items.get(indicator__code="B3")
    rank = signed.items.get(indicator__code="B1")
    d1 = UserFactory(username="deputy1", name="副总甲", role="", institution=world.a)
    d2 = UserFactory(username="deputy2", name="副总乙", role="", institution=world.a)
    first, second = services.letter_cascade(
        actor=world.users["head_a"],
        parent=signed,
        children=[
            services.ChildLetter("分管副总 甲", d1, {revenue.pk: D("700"), rank.pk: None}),
            services.ChildLetter("分管副总 乙", d2, {revenue.pk: D("500")}),
        ],
    )
    return type("Deputies", (), {"d1": d1, "d2": d2, "first": first, "second": second})


# --- Persona matrix ------------------------------------------------------------------------------

# What each persona gets on A01's signed head letter (302 = done and redirected).
READ = {"hr": 200, "auditor": 200, "head_a": 200}
MATRIX = {
    "letter_list": dict.fromkeys(PERSONAS, 200),
    "letter_detail": READ,
    "letter_download": READ,
    "letter_cascade": {"hr": 200, "head_a": 200, "auditor": 403},
    "status": {"hr": 200, "auditor": 200},
    "status_export": {"hr": 200, "auditor": 200},
}


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize("name", list(MATRIX))
def test_reading_pages_per_persona(client_for, world, year, signed, persona, name):
    expected = MATRIX[name]
    kwargs = {"year": 2026} if name in ("letter_list", "status", "status_export") else {}
    url = _url(name, None if kwargs else signed, **kwargs)
    response = client_for(persona).get(url)
    if persona == "anonymous":
        assert _login_redirect(response)
        return
    default = 403 if name.startswith("status") else 404
    assert response.status_code == expected.get(persona, default), (name, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_letter_list_shows_only_what_the_persona_may_read(client_for, world, year, signed, persona):
    body = client_for(persona).get(_url("letter_list", year=2026)).content.decode()
    sees = persona in READ
    assert (f'data-letter="{signed.pk}"' in body) is sees
    assert ('data-code="A01"' in body) is sees


@pytest.mark.parametrize("persona", ALL)
def test_signing_per_persona(client_for, world, year, letter, persona):
    response = client_for(persona).post(
        _url("letter_sign", letter), {"reviewed": "on", "password": PASSWORD}
    )
    expected = {"head_a": 302, "hr": 403, "auditor": 403}.get(persona, 404)
    if persona == "anonymous":
        assert _login_redirect(response)
    else:
        assert response.status_code == expected
    letter.refresh_from_db()
    assert letter.is_signed is (persona == "head_a")


@pytest.mark.parametrize("persona", ALL)
def test_countersigning_per_persona(client_for, world, year, signed, persona):
    response = client_for(persona).post(_url("letter_countersign", signed), CONFIRM)
    if persona == "anonymous":
        assert _login_redirect(response)
    else:
        assert response.status_code == (302 if persona == "hr" else 403)
    signed.refresh_from_db()
    assert (signed.status == Letter.Status.EFFECTIVE) is (persona == "hr")


@pytest.mark.parametrize("persona", ALL)
def test_hr_actions_per_persona(client_for, world, year, letter, persona):
    for url in (_url("status_issue", year=2026), _url("letter_reissue", letter)):
        response = client_for(persona).post(url, CONFIRM)
        if persona == "anonymous":
            assert _login_redirect(response)
        else:
            assert response.status_code == (302 if persona == "hr" else 403), (url, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_latest_goes_to_the_newest_year(client_for, world, year, letter, persona):
    response = client_for(persona).get(_url("latest"))
    assert response.status_code == 302
    assert response["Location"] == _url("letter_list", year=2026)


def test_another_head_gets_404_on_the_letter_and_its_download(client_for, world, year, signed):
    client = client_for("head_b")
    for name in ("letter_detail", "letter_download", "letter_cascade"):
        response = client.get(_url(name, signed))
        assert response.status_code == 404
        assert "甲机构" not in response.content.decode()


# --- Signing -------------------------------------------------------------------------------------


def test_the_head_sees_the_sign_form_and_hr_does_not(client_for, world, year, letter):
    body = client_for("head_a").get(_url("letter_detail", letter)).content.decode()
    assert 'data-testid="sign-form"' in body and 'name="password"' in body
    for persona in ("hr", "auditor"):
        body = client_for(persona).get(_url("letter_detail", letter)).content.decode()
        assert 'data-testid="sign-form"' not in body


def test_wrong_password_is_refused_and_nothing_is_signed(client_for, world, year, letter):
    client = client_for("head_a")
    response = client.post(_url("letter_sign", letter), {"reviewed": "on", "password": "wrong"})
    assert response.status_code == 400
    assert "The password is not right; the letter is not signed." in response.content.decode()
    assert 'data-testid="sign-form"' in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and letter.content_sha256 == ""
    assert not AuditEvent.objects.filter(action="letter.sign").exists()
    # Not ticking that the letter was read refuses too, even with the right password.
    response = client.post(_url("letter_sign", letter), {"password": PASSWORD})
    assert response.status_code == 400
    assert "Tick that you have read the letter" in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED


def test_the_head_signs_and_the_page_shows_the_verified_hash(client_for, world, year, letter):
    client = client_for("head_a")
    response = client.post(
        _url("letter_sign", letter),
        {"reviewed": "on", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SIGNED and letter.signed_from == "192.0.2.44"
    for persona in ("head_a", "hr", "auditor"):
        body = client_for(persona).get(_url("letter_detail", letter)).content.decode()
        assert 'data-verified="true"' in body and letter.content_sha256 in body
        assert "verified ✓" in body
        assert "192.0.2.44" in body and "甲一把手" in body  # the holder's signature block
        assert 'data-testid="sign-form"' not in body
    # Signing twice is harmless.
    response = client.post(_url("letter_sign", letter), {"reviewed": "on", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="letter.sign").count() == 1


def test_hr_cannot_sign_but_countersigns(client_for, world, year, letter):
    hr = client_for("hr")
    response = hr.post(_url("letter_sign", letter), {"reviewed": "on", "password": PASSWORD})
    assert response.status_code == 403
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED
    # Countersigning an unsigned letter is refused, with the reason.
    response = hr.post(_url("letter_countersign", letter), CONFIRM)
    assert "Only a letter its holder has signed is countersigned." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    _sign(letter)
    body = hr.get(_url("letter_detail", letter)).content.decode()
    assert 'data-testid="countersign-submit"' in body
    response = hr.post(_url("letter_countersign", letter), CONFIRM)
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == Letter.Status.EFFECTIVE
    body = hr.get(_url("letter_detail", letter)).content.decode()
    assert 'data-status="effective"' in body and "人力资源部会签" in body
    assert 'data-testid="countersign-submit"' not in body


def test_unsigned_letter_has_nothing_to_verify(client_for, world, year, letter):
    body = client_for("head_a").get(_url("letter_detail", letter)).content.decode()
    assert 'data-verified="unsigned"' in body


def test_tampered_content_is_shown_in_red(client_for, world, year, signed):
    content = dict(signed.content)
    content["items"] = [dict(i) for i in content["items"]]
    revenue = next(i for i in content["items"] if i["indicator"] == "B3")
    revenue["target_value"] = "1"
    Letter.objects.filter(pk=signed.pk).update(content=content)  # straight into the database
    for persona in ("hr", "head_a", "auditor"):
        client = client_for(persona)
        body = client.get(_url("letter_detail", signed)).content.decode()
        assert 'data-verified="false"' in body and "verified ✓" not in body
        assert "The content does not match its hash" in body
        download = client.get(_url("letter_download", signed)).content.decode()
        assert 'data-verified="false"' in download


# --- The document and its download ---------------------------------------------------------------


def test_detail_is_the_printable_letter(client_for, world, year, letter):
    body = client_for("hr").get(_url("letter_detail", letter)).content.decode()
    assert "集团公司" in body and "2026年度目标责任书" in body
    assert "甲方：" in body and "乙方：" in body and "甲机构" in body
    assert '<tr data-indicator="B3">' in body and "1200" in body and "万元" in body
    assert 'data-testid="letter-commitments"' in body
    assert all(text in body for text in services.VETO_ITEMS)
    assert "考核不合格的" in body  # consequences
    assert "css/letter.css" in body and 'data-testid="letter-version"' in body


def test_download_is_a_standalone_html_file(client_for, world, year, signed):
    response = client_for("head_a").get(_url("letter_download", signed))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    disposition = unquote(response["Content-Disposition"])
    assert disposition.startswith("attachment;")
    assert "目标责任书_A01_2026_v1.html" in disposition
    html = response.content.decode()
    assert "@page" in html and "size: A4" in html  # the stylesheet inlined
    assert "<link" not in html and "2026年度目标责任书" in html
    assert 'data-verified="true"' in html and signed.content_sha256 in html


def test_letter_css_prints_a4_without_navigation():
    from django.contrib.staticfiles import finders

    with open(finders.find("css/letter.css"), encoding="utf-8") as css:
        text = css.read()
    assert "@page { size: A4; margin: 20mm; }" in text
    assert ".topbar" in text and ".no-print" in text


# --- Versions ------------------------------------------------------------------------------------


def test_changed_targets_are_reissued_by_hr_and_old_versions_stay_readable(
    client_for, world, year, signed
):
    hr = client_for("hr")
    services.letter_countersign(actor=world.users["hr"], letter=signed)
    assert (
        'data-testid="letter-outdated"'
        not in hr.get(_url("letter_detail", signed)).content.decode()
    )
    Target.objects.filter(institution=world.a, unit="万元").update(target_value=D("1500"))
    body = hr.get(_url("letter_detail", signed)).content.decode()
    assert 'data-testid="letter-outdated"' in body and 'data-testid="letter-reissue"' in body
    head_body = client_for("head_a").get(_url("letter_detail", signed)).content.decode()
    assert 'data-testid="letter-outdated"' not in head_body  # a notice to HR
    response = hr.post(_url("letter_reissue", signed), CONFIRM)
    v2 = Letter.objects.get(institution=world.a, level="head", version=2)
    assert response["Location"] == _url("letter_detail", v2)
    body = hr.get(_url("letter_detail", v2)).content.decode()
    assert "1500" in body and f'data-letter="{signed.pk}"' in body  # v1 listed
    old = client_for("head_a").get(_url("letter_detail", signed)).content.decode()
    assert f'data-letter="{v2.pk}"' in old and 'data-verified="true"' in old
    assert "1200" in old  # the old version reads as it was signed


def test_a_replaced_unsigned_version_is_not_signed(client_for, world, year, letter):
    Target.objects.filter(institution=world.a, unit="万元").update(target_value=D("1500"))
    v2 = services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.a)
    client = client_for("head_a")
    assert (
        'data-testid="sign-form"' not in client.get(_url("letter_detail", letter)).content.decode()
    )
    response = client.post(_url("letter_sign", letter), {"reviewed": "on", "password": PASSWORD})
    assert response["Location"] == _url("letter_detail", letter)
    assert "This version has been replaced; sign the newer one." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SUPERSEDED and letter.signed_at is None
    assert v2.status == Letter.Status.ISSUED


# --- Role-less signers ---------------------------------------------------------------------------


def test_a_roleless_deputy_reaches_only_their_own_letter(world, year, deputies):
    client = Client()
    assert client.login(username="deputy1", password=PASSWORD)
    assert client.get(_url("letter_detail", deputies.first)).status_code == 200
    assert client.get(_url("letter_download", deputies.first)).status_code == 200
    assert client.get(_url("letter_detail", deputies.second)).status_code == 404
    assert client.get(_url("letter_detail", deputies.first.parent)).status_code == 404
    assert client.get(_url("status", year=2026)).status_code == 403
    body = client.get(_url("letter_list", year=2026)).content.decode()
    assert f'data-letter="{deputies.first.pk}"' in body
    assert f'data-letter="{deputies.second.pk}"' not in body
    assert f'data-letter="{deputies.first.parent_id}"' not in body
    # The role-less home page lists the letter to sign (200 for them; 403 for a user with nothing).
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert 'data-testid="letters-to-sign"' in home.content.decode()
    assert _url("letter_detail", deputies.first) in home.content.decode()
    # The deputy signs their own letter; the page then shows the parent's holder, without a link.
    response = client.post(
        _url("letter_sign", deputies.first), {"reviewed": "on", "password": PASSWORD}
    )
    assert response.status_code == 302
    deputies.first.refresh_from_db()
    assert deputies.first.status == Letter.Status.SIGNED
    body = client.get(_url("letter_detail", deputies.first)).content.decode()
    assert "甲方：甲一把手" in body
    assert _url("letter_detail", deputies.first.parent) not in body
    assert 'data-testid="letters-to-sign"' not in client.get(reverse("home")).content.decode()


def test_the_head_sees_every_level_of_the_institution(client_for, world, year, deputies):
    client = client_for("head_a")
    body = client.get(_url("letter_list", year=2026)).content.decode()
    assert f'data-letter="{deputies.first.pk}"' in body
    assert f'data-letter="{deputies.second.pk}"' in body
    assert client.get(_url("letter_detail", deputies.first)).status_code == 200
    # but signs only their own.
    response = client.post(
        _url("letter_sign", deputies.first), {"reviewed": "on", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert client_for("head_b").get(_url("letter_detail", deputies.first)).status_code == 404


def test_home_of_the_head_lists_the_letter_to_sign(client_for, world, year, letter):
    body = client_for("head_a").get(reverse("home")).content.decode()
    assert 'data-testid="letters-to-sign"' in body and _url("letter_detail", letter) in body
    _sign(letter)
    body = client_for("head_a").get(reverse("home")).content.decode()
    assert 'data-testid="letters-to-sign"' not in body


# --- Cascade -------------------------------------------------------------------------------------


def _cascade_data(rows):
    data = {
        "rows-TOTAL_FORMS": str(max(len(rows), 2)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows):
        data.update({f"rows-{index}-{key}": value for key, value in row.items()})
    return data


def test_cascade_form_refusal_names_the_missing_amount(client_for, world, year, signed):
    UserFactory(username="deputy1", role="", institution=world.a)
    UserFactory(username="deputy2", role="", institution=world.a)
    revenue = signed.items.get(indicator__code="B3")
    rank = signed.items.get(indicator__code="B1")
    client = client_for("head_a")
    form = client.get(_url("letter_cascade", signed)).content.decode()
    assert f'name="rows-0-amount_{revenue.pk}"' in form
    assert f'name="rows-0-take_{rank.pk}"' in form  # a rank is taken whole
    rows = [
        {"holder_name": "分管副总 甲", "signer": "deputy1", f"amount_{revenue.pk}": "700",
         f"take_{rank.pk}": "on"},
        {"holder_name": "分管副总 乙", "signer": "deputy2", f"amount_{revenue.pk}": "400"},
    ]  # fmt: skip
    response = client.post(_url("letter_cascade", signed), _cascade_data(rows))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="cascade-refusal"' in body
    assert "1100 of 1200 万元 is decomposed; 100 万元 is missing." in body
    assert not Letter.objects.filter(level="deputy").exists()
    # A signer who is not an account of A01 is refused before anything is tried, in the same
    # words whether the username exists (head_b, of B01) or not: the form tells nobody which
    # usernames exist (issue 16, item 4).
    answers = []
    for username in ("nobody", world.users["head_b"].username):
        rows[1].update({"signer": username, f"amount_{revenue.pk}": "500"})
        response = client.post(_url("letter_cascade", signed), _cascade_data(rows))
        assert response.status_code == 400
        assert f"{username} is not an active account of 甲机构." in response.content.decode()
        body = response.content.decode()
        answers.append(re.findall(r'<ul class="errorlist">(.*?)</ul>', body, re.S))
        assert "No active user" not in body and "does not exist" not in body
    assert answers[0] and len(answers[0]) == len(answers[1])
    assert [[a.replace("nobody", "?") for a in answers[0]]] == [
        [a.replace(world.users["head_b"].username, "?") for a in answers[1]]
    ]
    assert not Letter.objects.filter(level="deputy").exists()
    rows[1]["signer"] = "deputy2"
    # Covered: the check says what would be issued (nothing is yet), the dialog issues it.
    response = client.post(_url("letter_cascade", signed), _cascade_data(rows))
    assert response.status_code == 200
    body = response.content.decode()
    dialog = body.split('data-testid="cascade-issue"')[1].split("</dialog>")[0]
    assert "Issue 2 letters to 分管领导" in body and "分管副总 乙" in dialog and "deputy2" in dialog
    assert not Letter.objects.filter(level="deputy").exists()
    issue = _url("letter_cascade_issue", signed)
    assert f'action="{issue}"' in body
    assert client.post(issue, _cascade_data(rows)).status_code == 400  # not confirmed
    assert not Letter.objects.filter(level="deputy").exists()
    response = client.post(issue, _cascade_data(rows) | CONFIRM)
    assert response.status_code == 302
    first = Letter.objects.get(level="deputy", holder_name="分管副总 甲")
    assert first.signer.username == "deputy1" and first.parent == signed
    parts = {i.decomposes_id: i.target_value for i in first.items.all()}
    assert parts[revenue.pk] == D("700") and parts[rank.pk] == D("3")
    # The parent's page lists them; the form shows what is already decomposed.
    body = client.get(_url("letter_detail", signed)).content.decode()
    assert 'data-testid="letter-children"' in body and f'data-letter="{first.pk}"' in body


def test_cascade_needs_a_signed_letter_and_one_row(client_for, world, year, letter):
    client = client_for("head_a")
    response = client.get(_url("letter_cascade", letter))
    assert response.status_code == 302 and response["Location"] == _url("letter_detail", letter)
    _sign(letter)
    response = client.post(_url("letter_cascade", letter), _cascade_data([]))
    assert response.status_code == 400
    assert "Fill in at least one letter." in response.content.decode()


def test_hr_may_decompose_but_the_deputy_only_their_own(client_for, world, year, deputies):
    assert client_for("hr").get(_url("letter_cascade", deputies.first)).status_code == 302
    services.letter_sign(
        actor=deputies.d1, letter=deputies.first, password=PASSWORD, client_address=None
    )
    assert client_for("hr").get(_url("letter_cascade", deputies.first)).status_code == 200
    client = Client()
    client.login(username="deputy1", password=PASSWORD)
    assert client.get(_url("letter_cascade", deputies.first)).status_code == 200
    assert client.get(_url("letter_cascade", deputies.second)).status_code == 404


# --- HR's status ---------------------------------------------------------------------------------


@pytest.fixture
def two_letters(world, year, signed):
    """A01 signed, B01 issued and unsigned."""
    b = services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.b)
    return signed, b


def test_status_lists_unsigned_first_with_who_and_since_when(client_for, world, year, two_letters):
    _a, b = two_letters
    response = client_for("hr").get(_url("status", year=2026))
    rows = response.context["rows"]
    assert [(r.institution_code, r.level) for r in rows] == [("B01", "head"), ("A01", "head")]
    assert rows[0].unsigned == [b] and rows[0].issued == 1 and rows[1].signed == 1
    body = response.content.decode()
    assert body.index('data-code="B01"') < body.index('data-code="A01"')
    assert "head_b" in body  # who has not signed
    # C01 (in a group, no head) has no letter: shown, with the reason.
    assert 'data-testid="not-issued"' in body and 'data-reason="no-head"' in body
    assert 'data-testid="issue-all"' in body
    auditor = client_for("auditor").get(_url("status", year=2026)).content.decode()
    assert 'data-testid="issue-all"' not in auditor and 'data-code="B01"' in auditor


def test_status_export(client_for, world, year, two_letters):
    response = client_for("hr").get(_url("status_export", year=2026))
    assert response.status_code == 200
    assert "2026.xlsx" in unquote(response["Content-Disposition"])
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    headers = ["机构编码", "机构名称", "层级", "责任人", "版本", "状态"]
    assert rows[0] == (*headers, "下达时间", "签署时间", "会签时间")
    assert rows[1][:6] == ("B01", "乙机构", "主要领导", "乙一把手", 1, "已下达")
    assert rows[1][7] is None
    assert rows[2][:6] == ("A01", "甲机构", "主要领导", "甲一把手", 1, "已签署")
    assert rows[2][7] is not None and rows[2][8] is None
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"


def test_issue_to_every_institution_reports_the_skipped(client_for, world, year, letter):
    lone = Institution.objects.create(code="D01", name="丁机构", head=None)  # no group: skipped
    response = client_for("hr").post(_url("status_issue", year=2026), CONFIRM)
    assert response.status_code == 302
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 letters issued; 1 already up to date." in notes
    assert any("C01" in n and "no head" in n for n in notes)
    assert not any(lone.code in n for n in notes)
    assert Letter.objects.filter(institution=world.b, level="head").count() == 1
    assert Letter.objects.filter(institution=world.a).count() == 1  # unchanged
    # One institution alone.
    Institution.objects.filter(pk=world.c.pk).update(
        head=UserFactory(username="head_c", role=Role.HEAD)
    )
    client_for("hr").post(_url("status_issue", year=2026), {"institution": "C01", **CONFIRM})
    assert Letter.objects.filter(institution=world.c, level="head").count() == 1


def test_issuing_says_what_it_does_and_needs_the_confirmation(client_for, world, year, letter):
    """The status page's dialog counts what issuing would do — new letters, new versions, up to
    date, no head — for every group or the one chosen; without confirm=yes nothing is issued."""
    Target.objects.filter(institution=world.a, unit="万元").update(target_value=D("1500"))
    client = client_for("hr")
    response = client.get(_url("status", year=2026))
    preview = response.context["preview"]
    assert [i.code for i in preview.new] == ["B01"]
    assert [i.code for i in preview.new_versions] == ["A01"]
    assert (preview.unchanged, [i.code for i in preview.skipped]) == ([], ["C01"])
    body = response.content.decode()
    dialog = body.split('data-testid="issue-all"')[1].split("</dialog>")[0]
    assert "Issue the 2026 letters of 2 institutions" in body
    assert "1 new letter, 1 new version" in dialog and "heads are notified" in dialog
    assert "1 institution has no head and is skipped" in dialog
    before = Letter.objects.count()
    for data in ({}, {"confirm": "no"}, {"group": "G2"}):
        assert client.post(_url("status_issue", year=2026), data).status_code == 400
    assert Letter.objects.count() == before
    # One group: the dialog counts that group's institutions, and posts it.
    response = client.get(_url("status", year=2026), {"group": "G2"})
    assert [i.code for i in response.context["preview"].new] == ["B01"]
    assert response.context["preview"].new_versions == []
    assert 'name="group" value="G2"' in response.content.decode()
    assert [r.institution_code for r in response.context["rows"]] == []  # G2 has no letter yet
    response = client.post(_url("status_issue", year=2026), {"group": "G2", **CONFIRM})
    assert response["Location"] == _url("status", year=2026) + "?group=G2"
    assert Letter.objects.filter(institution=world.b).count() == 1
    assert Letter.objects.filter(institution=world.a).count() == 1  # G1 untouched


def test_countersign_and_reissue_dialogs_and_their_refusal(client_for, world, year, signed):
    hr = client_for("hr")
    body = hr.get(_url("letter_detail", signed)).content.decode()
    dialog = body.split('data-testid="countersign"')[1].split("</dialog>")[0]
    assert "Countersign the 2026 letter of A01 甲机构" in body and "takes effect" in dialog
    assert hr.post(_url("letter_countersign", signed)).status_code == 400
    signed.refresh_from_db()
    assert signed.status == Letter.Status.SIGNED
    assert hr.post(_url("letter_countersign", signed), CONFIRM).status_code == 302
    Target.objects.filter(institution=world.a, unit="万元").update(target_value=D("1500"))
    body = hr.get(_url("letter_detail", signed)).content.decode()
    dialog = body.split('data-testid="letter-reissue"')[1].split("</dialog>")[0]
    assert "Issue version 2 of the letter of A01 甲机构" in body
    assert "must sign it again" in dialog and "stays in force" in dialog
    assert hr.post(_url("letter_reissue", signed)).status_code == 400
    assert Letter.objects.filter(institution=world.a, level="head").count() == 1


def test_letters_sort_by_column_on_the_page_and_in_the_api(client_for, world, year, deputies):
    services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.b)
    client = client_for("hr")

    def shown(**params):
        response = client.get(_url("letter_list", year=2026), params)
        return [(x.institution.code, x.level) for x in response.context["page_obj"]]

    # By default: institution, then the levels in their order (head first), then holder.
    assert shown() == [("A01", "head"), ("A01", "deputy"), ("A01", "deputy"), ("B01", "head")]
    assert shown(ordering="-institution")[0] == ("B01", "head")
    assert shown(ordering="-level")[:2] == [("A01", "deputy"), ("A01", "deputy")]
    assert shown(level="deputy", ordering="-holder") == [("A01", "deputy"), ("A01", "deputy")]
    holders = [
        x.holder_name
        for x in client.get(
            _url("letter_list", year=2026), {"level": "deputy", "ordering": "-holder"}
        ).context["page_obj"]
    ]
    assert holders == sorted(holders, reverse=True)
    api = client.get("/api/v1/letters/", {"year": 2026, "ordering": "-institution"}).json()
    assert api["results"][0]["institution"] == "B01"
    assert client.get("/api/v1/letters/", {"ordering": "content"}).status_code == 400
    # HR's status table: unsigned first by default, any column on request.
    rows = client.get(_url("status", year=2026)).context["rows"]
    assert (rows[0].institution_code, rows[0].level) == ("A01", "deputy")
    rows = client.get(_url("status", year=2026), {"ordering": "-institution"}).context["rows"]
    assert [r.institution_code for r in rows] == ["B01", "A01", "A01"]


# --- Reminders -----------------------------------------------------------------------------------


def _age(letter, days):
    Letter.objects.filter(pk=letter.pk).update(issued_at=timezone.now() - timedelta(days=days))


def test_reminders_are_daily_and_shown_in_the_app(client_for, world, year, letter, settings):
    settings.EMAIL_HOST = ""
    assert tasks.remind_unsigned.delay().get() == {"reminded": [], "emailed": 0}  # 0 days old
    _age(letter, 5)
    assert tasks.remind_unsigned.delay().get() == {"reminded": [letter.pk], "emailed": 0}
    assert tasks.remind_unsigned.delay().get() == {"reminded": [], "emailed": 0}  # same day
    assert len(mail.outbox) == 0
    body = client_for("head_a").get(_url("letter_list", year=2026)).content.decode()
    assert 'data-testid="sign-reminders"' in body and 'data-overdue="true"' in body
    assert "please sign, issued 5 days ago" in body and "reminded" in body
    # Signed letters are not reminded.
    _sign(letter)
    cache.clear()
    assert tasks.remind_unsigned.delay().get()["reminded"] == []


def test_reminder_is_emailed_only_where_email_is_configured(
    world, year, letter, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.users["head_a"].email = "head_a@example.com"
    world.users["head_a"].save(update_fields=["email"])
    _age(letter, 4)
    settings.EMAIL_HOST = ""
    assert tasks.remind_unsigned() == {"reminded": [letter.pk], "emailed": 0}
    assert mail.outbox == []
    cache.clear()
    settings.EMAIL_HOST = "smtp.example.com"
    assert tasks.remind_unsigned() == {"reminded": [letter.pk], "emailed": 1}
    assert tasks.remind_unsigned() == {"reminded": [], "emailed": 0}  # once a day
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["head_a@example.com"]
    assert "4 days ago" in message.body and _url("letter_detail", letter) in message.body
    # The next day it is reminded again.
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert tasks.remind_unsigned() == {"reminded": [letter.pk], "emailed": 1}
    assert len(mail.outbox) == 2


def test_reminders_skip_years_not_open(world, year, letter, settings):
    _age(letter, 10)
    year.scheme.status = "published"
    year.scheme.save(update_fields=["status"])
    assert tasks.remind_unsigned()["reminded"] == []


def test_reminder_task_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["letters-remind-unsigned-daily"]
    assert entry["task"] == "letters.remind_unsigned"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {30}


# --- Query counts --------------------------------------------------------------------------------


def _more_letters(world, year, letter, count):
    """`count` more head letters of institutions of their own, half of them signed and
    countersigned, plus versions and decomposed letters of A01's."""
    hr = world.users["hr"]
    now = timezone.now()
    start = Letter.objects.count()
    for n in range(start, start + count):
        head = UserFactory(username=f"h{n}", name=f"一把手{n}", role=Role.HEAD)
        inst = Institution.objects.create(
            code=f"X{n:02d}", name=f"机构X{n:02d}", group=world.g1, head=head
        )
        signed = n % 2 == 0
        Letter.objects.create(
            scheme=year.scheme, institution=inst, level="head", holder_name=head.name,
            signer=head, content=letter.content, issued_by=hr,
            status="effective" if signed else "issued",
            content_sha256=services.content_hash(letter.content) if signed else "",
            signed_by=head if signed else None, signed_at=now if signed else None,
            countersigned_by=hr if signed else None, countersigned_at=now if signed else None,
        )  # fmt: skip


# session, user, year, count, page of letters, the user's own letters to sign (+ HR and
# auditors: the institutions to filter by)
LIST_QUERIES = {"hr": 7, "head_a": 6}
# session, user, year, rows per institution and level, their unsigned letters, institutions
# without a letter, the groups to filter by (+ HR: what issuing would do — the institutions it
# covers, the indicators and their institutions, the targets, the current letters — 5)
STATUS_QUERIES = {"hr": 12, "auditor": 7}
# session, user, letter, signature and countersignature accounts, versions, letters below
# (+ HR: whether the targets changed since it was issued, 4)
DETAIL_QUERIES = {"hr": 10, "head_a": 6}


@pytest.mark.parametrize(
    ("persona", "name", "queries"),
    [
        ("hr", "letter_list", LIST_QUERIES["hr"]),
        ("head_a", "letter_list", LIST_QUERIES["head_a"]),
        ("hr", "status", STATUS_QUERIES["hr"]),
        ("auditor", "status", STATUS_QUERIES["auditor"]),
    ],
)
def test_list_and_status_query_counts_are_fixed(
    client_for, world, year, signed, persona, name, queries, django_assert_num_queries
):
    client = client_for(persona)
    url = _url(name, year=2026)
    _more_letters(world, year, signed, 2)
    assert Letter.objects.count() == 3
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    _more_letters(world, year, signed, 27)
    assert Letter.objects.count() == 30
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("persona", ["hr", "head_a"])
def test_detail_query_count_is_fixed(
    client_for, world, year, deputies, persona, django_assert_num_queries
):
    client = client_for(persona)
    url = _url("letter_detail", deputies.first.parent)
    assert Letter.objects.count() == 3
    with django_assert_num_queries(DETAIL_QUERIES[persona]):
        assert client.get(url).status_code == 200
    revenue = deputies.first.parent.items.get(indicator__code="B3")
    for n in range(27):
        signer = UserFactory(username=f"staff{n}", role="", institution=world.a)
        services.letter_cascade(
            actor=world.users["hr"],
            parent=deputies.first.parent,
            children=[services.ChildLetter(f"副职{n}", signer, {revenue.pk: D("1")})],
        )
    assert Letter.objects.count() == 30
    with django_assert_num_queries(DETAIL_QUERIES[persona]):
        assert client.get(url).status_code == 200
