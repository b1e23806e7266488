"""The letters REST API (/api/v1/letters/), checked as every persona and as a deputy who signs their
own letter with an account that has no role.

Access rules (letters.access, letters.services, docs/LETTERS.md): any signed-in user reaches the
endpoints, and sees only the letters letters_visible_to gives them (out of scope → 404); only a
letter's signer signs it (anyone else who can read it → 403); HR alone countersigns and issues
(403 for everyone else); anonymous callers get 401. Letters are never updated or deleted (405).
"""

import json
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.test import Client

from appraisal.models import Target
from letters import services
from letters.models import Letter
from orgs.models import AuditEvent

from ..factories import PASSWORD, InstitutionFactory, UserFactory
from ..personas import SIGNED_IN

API = "/api/v1/letters/"
# The personas of tests/conftest.py, the deputy holding a letter of A01 (no role), anonymous.
PERSONAS = [*SIGNED_IN, "deputy", "anonymous"]


def expect(default, **overrides):
    """Expected status per persona: `default` for every signed-in persona unless overridden;
    anonymous always 401."""
    return dict.fromkeys(PERSONAS, default) | overrides | {"anonymous": 401}


def call(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def deputy(world):
    return UserFactory(username="deputy", name="分管副总", role="", institution=world.a)


@pytest.fixture
def client_as(client_for, deputy):
    """client_as('deputy') → logged in as the deputy; any other persona as client_for."""

    def make(persona: str) -> Client:
        if persona != "deputy":
            return client_for(persona)
        client = Client()
        assert client.login(username="deputy", password=PASSWORD)
        return client

    return make


@pytest.fixture
def letters(world, year, letter, deputy):
    """* `a_head`: A01's head letter (revenue 1200 万元), signed by head_a, not countersigned;
    * `a_deputy`: from it, the deputy's letter taking on the whole revenue target, issued;
    * `b_head`: B01's head letter, issued."""
    a_head = services.letter_sign(
        actor=world.users["head_a"], letter=letter, password=PASSWORD, client_address="10.0.0.1"
    )
    revenue = letter.items.get(indicator__code="B3")
    (a_deputy,) = services.letter_cascade(
        actor=world.users["head_a"],
        parent=a_head,
        children=[services.ChildLetter("分管副总", deputy, {revenue.pk: D("1200")})],
    )
    b_head = services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.b)
    return {"a_head": a_head, "a_deputy": a_deputy, "b_head": b_head}


# Who reads each letter; everyone else signed in gets 404.
READERS = {
    "a_head": {"hr", "auditor", "head_a"},
    "a_deputy": {"hr", "auditor", "head_a", "deputy"},
    "b_head": {"hr", "auditor", "head_b"},
}
SIGNERS = {"a_head": "head_a", "a_deputy": "deputy", "b_head": "head_b"}


def read(name, ok=200):
    return expect(404, **dict.fromkeys(READERS[name], ok))


def sign(name):
    # A reader who is not the signer is refused (403); the signer signs (again, harmlessly).
    return read(name, 403) | {SIGNERS[name]: 200}


HR_ONLY = expect(403, hr=200)
ISSUE_B01 = {"year": 2026, "institution": "B01"}

# (method, url, body, expected status per persona). Each persona's call is rolled back, so every
# persona meets the same state.
ACCESS_TABLE = [
    ("get", "", None, expect(200)),
    ("get", "{a_head}/", None, read("a_head")),
    ("get", "{a_deputy}/", None, read("a_deputy")),
    ("get", "{b_head}/", None, read("b_head")),
    ("get", "999999/", None, expect(404)),
    ("get", "{a_head}/verify/", None, read("a_head")),
    ("get", "{a_deputy}/verify/", None, read("a_deputy")),
    ("post", "{a_head}/sign/", {"password": PASSWORD}, sign("a_head")),
    ("post", "{a_deputy}/sign/", {"password": PASSWORD}, sign("a_deputy")),
    ("post", "{b_head}/sign/", {"password": PASSWORD}, sign("b_head")),
    ("post", "{a_head}/countersign/", None, HR_ONLY),
    ("post", "{b_head}/countersign/", None, expect(403, hr=400)),  # not signed yet
    ("post", "issue/", ISSUE_B01, HR_ONLY),  # nothing changed: the current version, 200
    ("post", "", {}, expect(405)),
    *[(method, "{a_head}/", {"status": "effective"}, expect(405)) for method in ("put", "patch")],
    ("delete", "{a_head}/", None, expect(405)),
    ("get", "issue/", None, expect(403, hr=405)),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    ACCESS_TABLE,
    ids=[f"{m.upper()} {u or '/'}" for m, u, _, _ in ACCESS_TABLE],
)
def test_access_by_persona(client_as, letters, method, url, body, expected):
    url = API + url.format(**{name: letter.pk for name, letter in letters.items()})
    got = {}
    for persona in expected:
        with transaction.atomic():
            got[persona] = call(client_as(persona), method, url, body).status_code
            transaction.set_rollback(True)
    assert got == expected


# --- Reading -------------------------------------------------------------------------------------

VISIBLE = {
    "hr": {"a_head", "a_deputy", "b_head"},
    "auditor": {"a_head", "a_deputy", "b_head"},
    "head_a": {"a_head", "a_deputy"},
    "head_b": {"b_head"},
    "deputy": {"a_deputy"},
}


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_list_scope(client_as, letters, persona):
    names = {letter.pk: name for name, letter in letters.items()}
    got = {names[row["id"]] for row in rows(client_as(persona).get(API))}
    assert got == VISIBLE.get(persona, set())


def test_head_b_gets_404_on_a01s_letter(client_as, letters):
    client = client_as("head_b")
    assert client.get(API + f"{letters['a_head'].pk}/").status_code == 404
    assert client.get(API + f"{letters['a_head'].pk}/verify/").status_code == 404
    # A filter never widens the scope.
    assert rows(client.get(API + "?institution=A01")) == []


def test_letter_fields(client_as, world, letters):
    data = client_as("head_a").get(API + f"{letters['a_head'].pk}/").json()
    assert (data["year"], data["institution"], data["level"]) == (2026, "A01", "head")
    assert (data["signer"], data["version"], data["status"]) == ("head_a", 1, "signed")
    assert data["parent"] is None and data["holder_name"] == "甲一把手"
    assert data["sha256"] == letters["a_head"].content_sha256 and len(data["sha256"]) == 64
    assert data["verified"] is True
    assert data["signed_from"] == "10.0.0.1" and data["signed_at"] is not None
    assert data["countersigned_at"] is None and data["countersigned_by"] is None
    assert data["content"] == letters["a_head"].content
    revenue = next(item for item in data["items"] if item["indicator"] == "B3")
    assert (revenue["target_value"], revenue["unit"], revenue["additive"]) == (
        "1200.0000",
        "万元",
        True,
    )
    deputy = client_as("deputy").get(API + f"{letters['a_deputy'].pk}/").json()
    assert (deputy["level"], deputy["parent"], deputy["signer"]) == (
        "deputy",
        letters["a_head"].pk,
        "deputy",
    )
    assert deputy["verified"] is None and deputy["sha256"] == ""  # not signed yet
    part = next(item for item in deputy["items"] if item["indicator"] == "B3")
    assert part["decomposes"] == revenue["id"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year=2026", {"a_head", "a_deputy", "b_head"}),
        ("year=2025", set()),
        ("institution=B01", {"b_head"}),
        ("level=deputy", {"a_deputy"}),
        ("level=head&institution=A01", {"a_head"}),
        ("status=issued", {"a_deputy", "b_head"}),
        ("status=signed", {"a_head"}),
        ("status=effective", set()),
    ],
)
def test_filters(client_as, letters, query, expected):
    names = {letter.pk: name for name, letter in letters.items()}
    got = {names[row["id"]] for row in rows(client_as("hr").get(API + "?" + query))}
    assert got == expected


def test_bad_filter_value_is_400(client_as, letters):
    assert client_as("hr").get(API + "?level=boss").status_code == 400


def test_head_letters_come_first(client_as, letters):
    got = [(row["institution"], row["level"]) for row in rows(client_as("hr").get(API))]
    assert got == [("A01", "head"), ("A01", "deputy"), ("B01", "head")]


# --- Signing -------------------------------------------------------------------------------------


def _sign(client, letter, password=PASSWORD):
    return call(client, "post", API + f"{letter.pk}/sign/", {"password": password})


def test_wrong_password_is_refused_and_changes_nothing(client_as, letter):
    response = _sign(client_as("head_a"), letter, "wrong")
    assert response.status_code == 400
    assert "password" in response.json()
    assert call(client_as("head_a"), "post", API + f"{letter.pk}/sign/", {}).status_code == 400
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and letter.content_sha256 == ""
    assert letter.signed_at is None and letter.signed_by is None
    assert not AuditEvent.objects.filter(action="letter.sign").exists()


def test_head_signs_with_the_password_and_signing_again_is_harmless(client_as, world, letter):
    client = client_as("head_a")
    response = _sign(client, letter)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["verified"], data["signed_from"]) == ("signed", True, "127.0.0.1")
    letter.refresh_from_db()
    assert letter.signed_by == world.users["head_a"] and data["sha256"] == letter.content_sha256
    again = _sign(client, letter, "anything")
    assert again.status_code == 200 and again.json()["signed_at"] == data["signed_at"]
    assert AuditEvent.objects.filter(action="letter.sign").count() == 1


@pytest.mark.parametrize("persona", ["hr", "auditor"])
def test_nobody_signs_for_the_head(client_as, letter, persona):
    assert _sign(client_as(persona), letter).status_code == 403
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and letter.content_sha256 == ""


def test_a_deputy_without_a_role_signs_their_own_letter(client_as, letters, deputy):
    a_deputy = letters["a_deputy"]
    # The head of the institution reads it, but only its holder signs it.
    assert _sign(client_as("head_a"), a_deputy).status_code == 403
    response = _sign(client_as("deputy"), a_deputy)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["verified"]) == ("signed", True)
    a_deputy.refresh_from_db()
    assert a_deputy.signed_by == deputy
    # They still reach nothing else in the API.
    assert client_as("deputy").get("/api/v1/institutions/").status_code == 403


# --- Countersigning, verifying -------------------------------------------------------------------


def test_countersign_is_hr_only_and_makes_the_letter_effective(client_as, world, letters):
    url = API + f"{letters['a_head'].pk}/countersign/"
    for persona in ("head_a", "auditor", "deputy"):
        assert call(client_as(persona), "post", url).status_code == 403
    response = call(client_as("hr"), "post", url)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["countersigned_by"]) == ("effective", "hr")
    assert data["countersigned_at"] is not None and data["verified"] is True
    # Again: harmless.
    assert call(client_as("hr"), "post", url).json()["countersigned_at"] == data["countersigned_at"]
    assert AuditEvent.objects.filter(action="letter.countersign").count() == 1


def test_verify_reports_tampering_in_the_database(client_as, letters):
    letter = letters["a_head"]
    url = API + f"{letter.pk}/verify/"
    before = client_as("head_a").get(url).json()
    assert before == {
        "verified": True,
        "sha256": letter.content_sha256,
        "computed_sha256": letter.content_sha256,
    }
    content = dict(letter.content)
    content["items"] = [dict(item) for item in content["items"]]
    content["items"][0]["target_value"] = "1"
    Letter.objects.filter(pk=letter.pk).update(content=content)  # straight into the database
    for persona in ("head_a", "hr", "auditor"):
        after = client_as(persona).get(url).json()
        assert after["verified"] is False and after["sha256"] == letter.content_sha256
        assert after["computed_sha256"] != after["sha256"]
        assert client_as(persona).get(API + f"{letter.pk}/").json()["verified"] is False
    response = call(client_as("hr"), "post", API + f"{letter.pk}/countersign/")
    assert response.status_code == 400
    assert "no longer matches" in " ".join(response.json()["non_field_errors"])
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SIGNED


def test_verify_an_unsigned_letter(client_as, letters):
    data = client_as("hr").get(API + f"{letters['b_head'].pk}/verify/").json()
    assert data["verified"] is None and data["sha256"] == ""
    assert data["computed_sha256"] == services.content_hash(letters["b_head"].content)


# --- Issuing -------------------------------------------------------------------------------------


def test_hr_issues_and_reissues_when_targets_change(client_as, world, year, letter):
    client = client_as("hr")
    for persona in ("head_b", "auditor", "deputy"):
        assert call(client_as(persona), "post", API + "issue/", ISSUE_B01).status_code == 403
    assert not Letter.objects.filter(institution=world.b).exists()
    response = call(client, "post", API + "issue/", ISSUE_B01)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["institution"], data["signer"], data["status"]) == ("B01", "head_b", "issued")
    # Nothing changed: the same letter, 200.
    again = call(client, "post", API + "issue/", ISSUE_B01)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    # A01's revenue target changes after signing: a new version to sign again.
    _sign(client_as("head_a"), letter)
    Target.objects.filter(institution=world.a, unit="万元").update(target_value=D("1500"))
    response = call(client, "post", API + "issue/", {"year": 2026, "institution": "A01"})
    assert response.status_code == 201, response.json()
    assert (response.json()["version"], response.json()["status"]) == (2, "issued")
    assert AuditEvent.objects.filter(action="letter.issue").count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"year": 1999, "institution": "A01"}, "year"),
        ({"year": 2026, "institution": "ZZZ"}, "institution"),
        ({"year": 2026}, "institution"),
        ({"year": 2026, "institution": "C01"}, "non_field_errors"),  # C01 has no head
    ],
)
def test_issue_names_what_is_wrong(client_as, year, body, field):
    response = call(client_as("hr"), "post", API + "issue/", body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Letter.objects.exists()


# --- Query count does not grow with rows ---------------------------------------------------------

# session, user, page count, page rows (scheme, institution, signer and countersigner joined in),
# the page's items (with their indicators)
LETTER_LIST_QUERIES = 5


@pytest.mark.parametrize("persona", ["hr", "head_a", "deputy"])
def test_list_query_count_is_flat(
    client_as, world, year, letters, persona, django_assert_num_queries
):
    client = client_as(persona)
    with django_assert_num_queries(LETTER_LIST_QUERIES):
        first = client.get(API).json()["count"]
    hr = world.users["hr"]
    for i in range(27):
        head = UserFactory(username=f"head_x{i}", role="head")
        institution = InstitutionFactory(code=f"X{i:02d}", group=world.g1, head=head)
        services.letter_issue(actor=hr, scheme=year.scheme, institution=institution)
    assert Letter.objects.count() == 30
    # Some signed, and more of A01's for its head and the deputy.
    services.letter_countersign(actor=hr, letter=letters["a_head"])
    revenue = letters["a_head"].items.get(indicator__code="B3")
    services.letter_cascade(
        actor=hr,
        parent=letters["a_head"],
        children=[
            services.ChildLetter(f"分管副总 {i}", letters["a_deputy"].signer, {revenue.pk: D("1")})
            for i in range(5)
        ],
    )
    with django_assert_num_queries(LETTER_LIST_QUERIES):
        data = client.get(API).json()
    assert data["count"] == first + {"hr": 32, "head_a": 5, "deputy": 5}[persona]
