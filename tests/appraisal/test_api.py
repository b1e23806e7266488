"""The appraisal REST API (/api/v1/), checked as every persona over the open 2026 year of
tests/appraisal/conftest.py.

Access rules (appraisal.access, appraisal.services): a role that may never do something gets 403;
an object outside the caller's scope gets 404; anonymous callers get 401 (token authentication
comes first). The ledger is append-only: entries are created, reversed and decided, never
updated or deleted (405).
"""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from appraisal import services
from appraisal.models import EntryDecision, Indicator, LedgerEntry, Result, Scheme, Target
from appraisal.recompute import year_results_recompute
from orgs.models import AuditEvent

from ..factories import InstitutionFactory
from ..personas import PERSONAS, SIGNED_IN

API = "/api/v1/"
ROLE_PERSONAS = [p for p in SIGNED_IN if p != "norole"]


def expect(default, **overrides):
    """Expected status per persona: `default` for every persona with a role, overridden per
    persona; a user without a role always gets 403, anonymous always 401."""
    return dict.fromkeys(ROLE_PERSONAS, default) | overrides | {"norole": 403, "anonymous": 401}


def call(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def post(client, url, body):
    return call(client, "post", API + url, body)


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def ledger(year, world):
    """Four entries of 2026, recorded through the service as the pages would:

    * `a_c1`: the scorer (AQ) deducts 5 from A01 on C1, first half;
    * `b_b2`: HR deducts 3 from B01 on B2 (a DJ indicator), first half;
    * `a_self`: head_a's self-assessment of A01 on B1;
    * `a_bonus`: the scorer proposes 5 bonus points for A01 (pending HR's approval).
    """
    users, ind = world.users, year.indicators

    def entry(actor, institution, **kwargs):
        return services.ledger_entry_create(
            actor=users[actor], scheme=year.scheme, institution=institution, **kwargs
        )

    return {
        "a_c1": entry("scorer", world.a, kind="indicator", indicator=ind["C1"], period="h1",
                      points=Decimal("-5"), reason="安全检查扣分"),
        "b_b2": entry("hr", world.b, kind="indicator", indicator=ind["B2"], period="h1",
                      points=Decimal("-3"), reason="服务投诉"),
        "a_self": entry("head_a", world.a, kind="indicator", indicator=ind["B1"], period="h1",
                        points=Decimal("280"), reason="自评", is_official=False),
        "a_bonus": entry("scorer", world.a, kind="bonus", points=Decimal("5"), reason="重点项目"),
    }  # fmt: skip


@pytest.fixture
def ratio(year, world):
    """Three completion-ratio indicators: R1 (逆向完成率, the scorer's department, A01's), R2
    (完成率, DJ's, B01's) and R3 (按期, DC's, everyone's)."""

    def indicator(code, direction, department, applies=None):
        ind = Indicator.objects.create(
            scheme=year.scheme, code=code, part="business", name=code, method="ratio",
            direction=direction, max_points=Decimal("10"), department=department,
            applies_to_all=applies is None,
        )  # fmt: skip
        if applies:
            ind.institutions.set(applies)
        return ind

    return {
        "R1": indicator("R1", "lower", world.dept, [world.a]),
        "R2": indicator("R2", "higher", year.dj, [world.b]),
        "R3": indicator("R3", "deadline", year.dc),
    }


@pytest.fixture
def targets(ratio, world):
    """A01's whole-year target on R1 (the scorer's department) and B01's on R2 (DJ's)."""
    return {
        "a_c1": Target.objects.create(
            indicator=ratio["R1"], institution=world.a, period="h2", kind="error_rate",
            target_value=Decimal("0.01"),
        ),
        "b_b2": Target.objects.create(
            indicator=ratio["R2"], institution=world.b, period="h2", kind="absolute",
            target_value=Decimal("100"),
        ),
    }  # fmt: skip


@pytest.fixture
def ids(year, ledger, targets, ratio):
    """The ids a table URL or body may name: {c1}, {e1}, {entry_a_c1}, {target_b_b2}, …"""
    return {
        "c1": year.indicators["C1"].pk,
        "e1": year.indicators["E1"].pk,
        "r2": ratio["R2"].pk,
        **{f"entry_{name}": entry.pk for name, entry in ledger.items()},
        **{f"target_{name}": target.pk for name, target in targets.items()},
    }


def fill_url(template, ids):
    """A table URL with its ids filled in; relative ones are under /api/v1/."""
    url = template.format(**ids)
    return url if url.startswith("/") else API + url


def fill_body(body, ids):
    """A table body whose values may name an id: "{e1}" → the id of E1."""
    if body is None:
        return None
    named = {key: value[1:-1] for key, value in body.items() if str(value).startswith("{")}
    return body | {key: ids[name] for key, name in named.items()}


ENTRY_C1_A = {
    "year": 2026,
    "institution": "A01",
    "kind": "indicator",
    "indicator": "C1",
    "period": "h2",
    "points": "-2.50",
    "reason": "隐患整改不及时",
}
NEW_INDICATOR = {
    "year": 2026,
    "code": "C2",
    "part": "common",
    "name": "信访稳定",
    "max_points": "10",
    "method": "deduct",
    "department": "AQ",
}
NEW_TARGET = {"indicator": "{r2}", "institution": "B01", "period": "h1", "target_value": "40"}
# Roles that never see the ledger or targets (403 rather than an empty list).
NO_LEDGER = {"acceptance": 403, "payroll": 403}
HR_ONLY = expect(403, hr=200)
# The ledger is append-only: who may write to it is told 405 on an update or delete.
LEDGER_WRITERS_405 = expect(403, hr=405, scorer=405, head_a=405, head_b=405)

# (method, url, body, expected status per persona). Each persona's call is rolled back, so every
# persona meets the same state.
ACCESS_TABLE = [
    ("get", "schemes/", None, expect(200)),
    ("get", "schemes/2026/", None, expect(200)),
    ("get", "schemes/1999/", None, expect(404)),
    ("post", "schemes/", {"year": 2027}, expect(403, hr=201)),
    ("patch", "schemes/2026/", {"bonus_cap": "25"}, expect(403, hr=400)),  # open: settings fixed
    ("put", "schemes/2026/", {"bonus_cap": "25"}, expect(403, hr=405)),
    ("delete", "schemes/2026/", None, expect(403, hr=405)),
    ("post", "schemes/2026/transition/", {"action": "review"}, HR_ONLY),
    ("get", "schemes/2026/check/", None, HR_ONLY),
    ("get", "schemes/1999/check/", None, expect(403, hr=404)),
    ("post", "schemes/2026/recompute/", None, expect(403, hr=202)),
    ("get", "indicators/", None, expect(200)),
    ("get", "indicators/{c1}/", None, expect(200)),
    ("get", "indicators/999999/", None, expect(404)),
    ("post", "indicators/", NEW_INDICATOR, expect(403, hr=400)),  # open: indicators fixed
    ("patch", "indicators/{c1}/", {"name": "改名"}, expect(403, hr=400)),
    ("delete", "indicators/{c1}/", None, expect(403, hr=405)),
    ("get", "targets/", None, expect(200, **NO_LEDGER)),
    ("get", "targets/{target_a_c1}/", None, expect(200, head_b=404, **NO_LEDGER)),
    ("get", "targets/{target_b_b2}/", None, expect(200, head_a=404, scorer=404, **NO_LEDGER)),
    ("post", "targets/", NEW_TARGET, expect(403, hr=201)),  # R2 is not the scorer's
    ("patch", "targets/{target_a_c1}/", {"actual_value": "0.02"}, expect(403, hr=200, scorer=200)),
    ("patch", "targets/{target_b_b2}/", {"actual_value": "90"}, expect(403, hr=200, scorer=404)),
    ("put", "targets/{target_a_c1}/", {"actual_value": "0.02"}, expect(403, hr=405, scorer=405)),
    ("delete", "targets/{target_a_c1}/", None, expect(403, hr=405, scorer=405)),
    ("get", "entries/", None, expect(200, **NO_LEDGER)),
    ("get", "entries/{entry_a_c1}/", None, expect(200, head_b=404, **NO_LEDGER)),
    ("get", "entries/{entry_b_b2}/", None, expect(200, head_a=404, scorer=404, **NO_LEDGER)),
    ("get", "entries/{entry_a_self}/", None, expect(200, head_b=404, scorer=404, **NO_LEDGER)),
    ("get", "entries/999999/", None, expect(404, **NO_LEDGER)),
    # head B: A01 is out of its scope, answered as an unknown institution (400), not 403.
    ("post", "entries/", ENTRY_C1_A, expect(403, hr=201, scorer=201, head_b=400)),
    (
        "post",
        "entries/",
        ENTRY_C1_A | {"is_official": False},
        # Self-assessment is the institution's own: only its head records it; to head B, A01 is
        # an unknown institution (400).
        expect(403, head_a=201, head_b=400),
    ),
    *[
        (method, "entries/{entry_a_c1}/", {"points": "1"}, LEDGER_WRITERS_405)
        for method in ("put", "patch", "delete")
    ],
    (
        "post",
        "entries/{entry_a_c1}/reverse/",
        {"reason": "误扣"},
        expect(403, hr=201, scorer=201, head_b=404),
    ),
    (
        "post",
        "entries/{entry_a_self}/reverse/",
        {"reason": "自评有误"},
        expect(403, head_a=201, scorer=404, head_b=404),
    ),
    ("post", "entries/{entry_a_bonus}/decide/", {"approved": True}, HR_ONLY),
    ("get", "results/", None, expect(200, acceptance=403)),
    ("post", "results/", {}, expect(405, acceptance=403)),
    ("get", "/api/schema/", None, expect(200)),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    ACCESS_TABLE,
    ids=[f"{m.upper()} {u}" for m, u, _, _ in ACCESS_TABLE],
)
def test_access_by_persona(client_for, ids, method, url, body, expected):
    url, body = fill_url(url, ids), fill_body(body, ids)
    got = {}
    for persona in expected:
        # Roll each call back, so that every persona meets the same state.
        with transaction.atomic():
            got[persona] = call(client_for(persona), method, url, body).status_code
            transaction.set_rollback(True)
    assert got == expected


# --- Recording points ----------------------------------------------------------------------------


def test_scorer_records_on_own_indicator_only(client_for, world, year):
    client = client_for("scorer")
    response = post(client, "entries/", ENTRY_C1_A)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["institution"] == "A01"
    assert data["indicator"] == "C1"
    assert data["period"] == "h2"
    assert data["points"] == "-2.50"
    assert data["is_official"] is True
    assert data["status"] == "counted"
    assert data["department"] == "AQ"
    assert data["created_by"] == "scorer"
    assert data["source"] == "api"
    assert data["reverses"] is None
    assert data["reversed_by"] is None
    assert data["evidence_url"] is None
    entry = LedgerEntry.objects.get(pk=data["id"])
    assert entry.source == "api"
    assert entry.points == Decimal("-2.50")
    assert AuditEvent.objects.filter(action="ledger.create", object_id=str(entry.pk)).exists()

    # B1 belongs to 党建办 (DJ), not to the scorer's department.
    response = post(client, "entries/", ENTRY_C1_A | {"indicator": "B1"})
    assert response.status_code == 403
    assert LedgerEntry.objects.count() == 1


def test_head_records_self_assessment_of_own_institution_only(client_for, world, year):
    client = client_for("head_a")
    body = ENTRY_C1_A | {"is_official": False}
    response = post(client, "entries/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["is_official"] is False
    assert response.json()["created_by"] == "head_a"

    # Another institution is answered as one that does not exist (issue 16, item 8).
    other = post(client, "entries/", body | {"institution": "B01"})
    unknown = post(client, "entries/", body | {"institution": "ZZ9"})
    assert other.status_code == unknown.status_code == 400
    assert other.json() == {"institution": ["Unknown institution B01."]}
    assert unknown.json() == {"institution": ["Unknown institution ZZ9."]}
    assert post(client, "entries/", ENTRY_C1_A).status_code == 403  # official
    assert post(client, "entries/", ENTRY_C1_A | {"is_official": True}).status_code == 403
    # Bonus and veto points are official: the page never offers them to a head, nor does the API.
    for kind in ("bonus", "veto"):
        extra = {"year": 2026, "institution": "A01", "kind": kind, "points": "5",
                 "reason": "自评加分", "is_official": False}  # fmt: skip
        refused = post(client, "entries/", extra)
        assert refused.status_code == 400, refused.json()
        assert refused.json() == {
            "kind": [
                "A self-assessment scores indicators only; bonus and veto points are official."
            ]
        }
    assert LedgerEntry.objects.count() == 1


def test_bonus_proposal_is_pending_until_hr_decides(client_for, world, year):
    body = {"year": 2026, "institution": "A01", "kind": "bonus", "points": "3", "reason": "宣传"}
    response = post(client_for("scorer"), "entries/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["needs_approval"], data["decision"]) == ("pending", True, None)
    assert data["period"] == "year"
    assert data["indicator"] is None

    hr_bonus = post(client_for("hr"), "entries/", body).json()
    assert (hr_bonus["status"], hr_bonus["needs_approval"]) == ("counted", False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"points": "1.005"}, "points"),
        ({"points": "0"}, "points"),
        ({"points": "abc"}, "points"),
        ({"reason": "  "}, "reason"),
        ({"indicator": "ZZ"}, "indicator"),
        ({"indicator": "B2"}, "indicator"),  # B2 does not apply to A01
        ({"indicator": "E1", "period": "h1"}, "period"),  # execution capacity: whole year
        ({"institution": "ZZZ"}, "institution"),
        ({"year": 1999}, "year"),
        ({"kind": "gift"}, "kind"),
        ({"period": "q3"}, "period"),
    ],
)
def test_invalid_entry_names_the_field(client_for, year, change, field):
    response = post(client_for("hr"), "entries/", ENTRY_C1_A | change)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not LedgerEntry.objects.exists()
    assert not AuditEvent.objects.exists()


def test_locked_year_refuses_entries_with_a_clear_message(client_for, year, ledger):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    before = LedgerEntry.objects.count(), AuditEvent.objects.count()
    response = post(client_for("hr"), "entries/", ENTRY_C1_A)
    assert response.status_code == 400
    message = " ".join(response.json()["non_field_errors"])
    assert "2026" in message and "accepts no entries" in message
    entry = ledger["a_c1"].pk
    response = post(client_for("scorer"), f"entries/{entry}/reverse/", {"reason": "更正"})
    assert response.status_code == 400
    assert "accepts no entries" in " ".join(response.json()["non_field_errors"])
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == before


def test_withdrawn_proposal(client_for, ledger):
    client = client_for("scorer")
    proposal = ledger["a_bonus"].pk
    reversal = post(client, f"entries/{proposal}/reverse/", {"reason": "撤回"}).json()
    assert reversal["status"] == "withdrawn"
    assert client.get(API + f"entries/{proposal}/").json()["status"] == "withdrawn"
    response = post(client_for("hr"), f"entries/{proposal}/decide/", {"approved": True})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("name", "size", "allowed"),
    [("照片.jpg", 10, True), ("脚本.html", 10, False), ("大文件.pdf", 10 * 1024 * 1024 + 1, False)],
)
def test_evidence_follows_the_entry_forms_rule(client_for, settings, tmp_path, year, name, size,
                                               allowed):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    # A JPEG's first bytes: evidence is checked by content too (orgs.uploads).
    content = (b"\xff\xd8\xff" if name.endswith(".jpg") else b"%PDF-") + b"x" * size
    body = ENTRY_C1_A | {"evidence": SimpleUploadedFile(name, content[:size])}
    response = client_for("hr").post(API + "entries/", body)
    assert response.status_code == (201 if allowed else 400)
    assert allowed or "evidence" in response.json()
    assert LedgerEntry.objects.exists() is allowed


def test_evidence_upload_as_multipart(client_for, settings, tmp_path, year):
    settings.MEDIA_ROOT = tmp_path
    body = ENTRY_C1_A | {"evidence": SimpleUploadedFile("检查记录.pdf", b"%PDF-1.4 evidence")}
    # A multipart form that leaves out is_official records an official entry.
    response = client_for("scorer").post(API + "entries/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["is_official"] is True
    assert data["evidence_url"] == f"/appraisal/entries/{data['id']}/evidence/"
    entry = LedgerEntry.objects.get(pk=data["id"])
    assert entry.evidence.read() == b"%PDF-1.4 evidence"
    assert (
        client_for("scorer").get(API + f"entries/{entry.pk}/").json()["evidence_url"]
        == (data["evidence_url"])
    )


# --- Reading the ledger --------------------------------------------------------------------------

VISIBLE_ENTRIES = {
    "hr": {"a_c1", "b_b2", "a_self", "a_bonus"},
    "auditor": {"a_c1", "b_b2", "a_self", "a_bonus"},
    "scorer": {"a_c1", "a_bonus"},  # AQ's indicator, and AQ's proposal
    "head_a": {"a_c1", "a_self", "a_bonus"},
    "head_b": {"b_b2"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_entry_list_scope(client_for, ledger, persona):
    response = client_for(persona).get(API + "entries/")
    if persona not in VISIBLE_ENTRIES:
        assert response.status_code == {"anonymous": 401}.get(persona, 403)
        return
    names = {entry.pk: name for name, entry in ledger.items()}
    assert {names[row["id"]] for row in rows(response)} == VISIBLE_ENTRIES[persona]


def test_head_gets_404_on_another_institutions_entry(client_for, ledger):
    client = client_for("head_a")
    assert client.get(API + f"entries/{ledger['b_b2'].pk}/").status_code == 404
    assert {row["institution"] for row in rows(client.get(API + "entries/"))} == {"A01"}
    # A filter never widens the scope.
    assert rows(client.get(API + "entries/?institution=B01")) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year=2026", {"a_c1", "b_b2", "a_self", "a_bonus"}),
        ("year=2025", set()),
        ("institution=B01", {"b_b2"}),
        ("kind=bonus", {"a_bonus"}),
        ("indicator=C1", {"a_c1"}),
        ("period=h1", {"a_c1", "b_b2", "a_self"}),
        ("period=year", {"a_bonus"}),
        ("is_official=false", {"a_self"}),
        ("is_official=true&institution=A01", {"a_c1", "a_bonus"}),
        ("status=pending", {"a_bonus"}),
        ("status=rejected", set()),
        ("status=counted", {"a_c1", "b_b2", "a_self"}),
    ],
)
def test_entry_filters(client_for, ledger, query, expected):
    names = {entry.pk: name for name, entry in ledger.items()}
    got = {names[row["id"]] for row in rows(client_for("hr").get(API + "entries/?" + query))}
    assert got == expected


def test_entry_bad_filter_value_is_400(client_for, ledger):
    assert client_for("hr").get(API + "entries/?kind=gift").status_code == 400


def test_entries_are_newest_first(client_for, ledger):
    got = [row["id"] for row in rows(client_for("hr").get(API + "entries/"))]
    assert got == sorted(got, reverse=True)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_entries_are_never_updated_or_deleted(client_for, ledger, method):
    entry = ledger["a_c1"]
    for persona in ("hr", "scorer", "head_a"):
        response = call(client_for(persona), method, API + f"entries/{entry.pk}/", {"points": "9"})
        assert response.status_code == 405
    entry.refresh_from_db()
    assert entry.points == Decimal("-5")


# --- Reversing and deciding ----------------------------------------------------------------------


def test_reverse_records_the_opposite_entry(client_for, world, ledger):
    client = client_for("scorer")
    original = ledger["a_c1"]
    response = post(client, f"entries/{original.pk}/reverse/", {"reason": "误扣，更正"})
    assert response.status_code == 201, response.json()
    reversal = response.json()
    assert reversal["points"] == "5.00"
    assert reversal["reverses"] == original.pk
    assert reversal["reason"] == "误扣，更正"
    assert (reversal["institution"], reversal["indicator"], reversal["period"]) == (
        "A01",
        "C1",
        "h1",
    )
    assert reversal["source"] == "api"
    assert client.get(API + f"entries/{original.pk}/").json()["reversed_by"] == reversal["id"]
    assert AuditEvent.objects.filter(action="ledger.reverse").count() == 1

    # Once is enough; a reversal is not reversed again.
    again = post(client, f"entries/{original.pk}/reverse/", {"reason": "再次"})
    assert again.status_code == 400
    assert post(client, f"entries/{reversal['id']}/reverse/", {"reason": "x"}).status_code == 400
    assert post(client, f"entries/{original.pk}/reverse/", {}).json().keys() == {"reason"}
    assert LedgerEntry.objects.count() == len(ledger) + 1


def test_head_reverses_own_self_assessment_not_official_points(client_for, ledger):
    client = client_for("head_a")
    own = post(client, f"entries/{ledger['a_self'].pk}/reverse/", {"reason": "自评有误"})
    assert own.status_code == 201
    assert own.json()["is_official"] is False
    assert post(client, f"entries/{ledger['a_c1'].pk}/reverse/", {"reason": "x"}).status_code == (
        403
    )


@pytest.mark.parametrize(("approved", "status"), [(True, "counted"), (False, "rejected")])
def test_hr_decides_a_proposal_once(client_for, world, ledger, approved, status):
    url = f"entries/{ledger['a_bonus'].pk}/decide/"
    for persona in ("scorer", "head_a", "auditor"):
        assert post(client_for(persona), url, {"approved": True}).status_code == 403
    client = client_for("hr")
    response = post(client, url, {"approved": approved, "note": " 经研究 "})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == status
    assert data["decision"]["approved"] is approved
    assert data["decision"]["note"] == "经研究"
    assert data["decision"]["decided_by"] == "hr"
    assert post(client, url, {"approved": True}).status_code == 400  # decided already
    assert EntryDecision.objects.count() == 1


def test_decide_needs_an_explicit_answer(client_for, ledger):
    url = API + f"entries/{ledger['a_bonus'].pk}/decide/"
    response = client_for("hr").post(url, {"note": "无"})  # a form without `approved`
    assert response.status_code == 400
    assert "approved" in response.json()
    assert not EntryDecision.objects.exists()


def test_decide_refuses_entries_that_need_no_approval(client_for, ledger):
    response = post(client_for("hr"), f"entries/{ledger['a_c1'].pk}/decide/", {"approved": True})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# --- Schemes -------------------------------------------------------------------------------------


def test_scheme_detail_shows_results_state(client_for, year, ledger):
    client = client_for("head_a")
    data = client.get(API + "schemes/2026/").json()
    assert data["status"] == "open"
    assert data["bonus_cap"] == "20.00"
    assert data["results_stale"] is True
    assert data["results_computed_at"] is None
    assert data["recompute_pending"] is False
    year_results_recompute(scheme_id=year.scheme.pk)
    data = client.get(API + "schemes/2026/").json()
    assert data["results_stale"] is False
    assert data["results_computed_at"]
    listed = rows(client.get(API + "schemes/"))
    assert [(row["year"], row["results_stale"]) for row in listed] == [(2026, False)]


def test_hr_creates_a_year_copied_from_the_last_and_edits_the_draft(client_for, year):
    client = client_for("hr")
    response = post(client, "schemes/", {"year": 2027, "veto_line": "40"})
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft"
    assert response.json()["veto_line"] == "40.00"
    assert Indicator.objects.filter(scheme__year=2027).count() == 4

    response = call(client, "patch", API + "schemes/2027/", {"bonus_cap": "30"})
    assert response.status_code == 200, response.json()
    assert response.json()["bonus_cap"] == "30.00"
    assert AuditEvent.objects.get(action="scheme.update").after["bonus_cap"] == "30.00"

    assert post(client, "schemes/", {"year": 2027}).json().keys() == {"year"}
    bad = call(client, "patch", API + "schemes/2027/", {"veto_line": "-1"})
    assert bad.status_code == 400
    assert "veto_line" in bad.json()


def test_open_year_settings_do_not_change(client_for, year):
    response = call(client_for("hr"), "patch", API + "schemes/2026/", {"bonus_cap": "30"})
    assert response.status_code == 400
    assert "no longer change" in " ".join(response.json()["non_field_errors"])
    year.scheme.refresh_from_db()
    assert year.scheme.bonus_cap == Decimal("20")


def test_transitions(client_for, year):
    client = client_for("hr")
    url = "schemes/2026/transition/"
    assert post(client, url, {"action": "publish"}).status_code == 400  # open, not in review
    assert post(client, url, {"action": "fly"}).json().keys() == {"action"}
    assert post(client, url, {"action": "review"}).json()["status"] == "review"
    assert post(client, url, {"action": "publish"}).json()["status"] == "published"
    assert post(client, url, {"action": "reopen"}).json().keys() == {"reason"}
    response = post(client, url, {"action": "reopen", "reason": "申诉成立"})
    assert response.json()["status"] == "review"
    assert AuditEvent.objects.get(action="scheme.reopen").after["reason"] == "申诉成立"


def test_check_lists_what_does_not_add_up(client_for, year):
    client = client_for("hr")
    assert client.get(API + "schemes/2026/check/").json() == {"problems": []}
    post(client, "schemes/", {"year": 2027, "common_max": "250"})
    problems = client.get(API + "schemes/2027/check/").json()["problems"]
    assert len(problems) == 3  # the common part of A01, B01 and C01
    assert all("250" in problem for problem in problems)
    assert post(client, "schemes/2027/transition/", {"action": "open"}).status_code == 400


# --- Indicators ----------------------------------------------------------------------------------


def test_hr_writes_indicators_of_a_draft_year(client_for, world, year):
    client = client_for("hr")
    post(client, "schemes/", {"year": 2027})
    body = NEW_INDICATOR | {
        "year": 2027,
        "part": "business",
        "department": "DJ",
        "applies_to_all": False,
        "institutions": ["A01", "C01"],
        "method": "ratio",
        "direction": "higher",
    }
    response = post(client, "indicators/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["year"], data["code"], data["department"]) == (2027, "C2", "DJ")
    assert data["institutions"] == ["A01", "C01"]
    indicator = Indicator.objects.get(scheme__year=2027, code="C2")
    assert AuditEvent.objects.get(action="indicator.create").after["institutions"] == [
        "A01",
        "C01",
    ]

    url = API + f"indicators/{indicator.pk}/"
    response = call(client, "patch", url, {"method": "add", "institutions": ["B01"]})
    assert response.status_code == 200, response.json()
    assert (response.json()["direction"], response.json()["institutions"]) == ("", ["B01"])
    assert call(client, "patch", url, {"year": 2026}).json().keys() == {"year"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "C1"}, "non_field_errors"),  # taken in 2027 (copied from 2026)
        ({"code": "bad code"}, "code"),
        ({"department": "ZZ"}, "department"),
        ({"institutions": ["ZZZ"]}, "institutions"),
        ({"method": "ratio"}, "direction"),
        ({"max_points": "0"}, "max_points"),
        ({"year": 1999}, "year"),
    ],
)
def test_invalid_indicator_names_the_field(client_for, year, change, field):
    client = client_for("hr")
    post(client, "schemes/", {"year": 2027})
    response = post(client, "indicators/", NEW_INDICATOR | {"year": 2027} | change)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not AuditEvent.objects.filter(action="indicator.create").exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year=2026", {"C1", "B1", "B2", "E1"}),
        ("part=business", {"B1", "B2"}),
        ("department=DJ", {"B1", "B2"}),
        ("department=AQ&part=common", {"C1"}),
        ("year=2025", set()),
    ],
)
def test_indicator_filters(client_for, year, query, expected):
    got = {row["code"] for row in rows(client_for("acceptance").get(API + "indicators/?" + query))}
    assert got == expected


# --- Targets -------------------------------------------------------------------------------------

VISIBLE_TARGETS = {
    "hr": {"a_c1", "b_b2"},
    "auditor": {"a_c1", "b_b2"},
    "scorer": {"a_c1"},
    "head_a": {"a_c1"},
    "head_b": {"b_b2"},
}


@pytest.mark.parametrize("persona", list(VISIBLE_TARGETS))
def test_target_list_scope(client_for, targets, persona):
    names = {target.pk: name for name, target in targets.items()}
    got = {names[row["id"]] for row in rows(client_for(persona).get(API + "targets/"))}
    assert got == VISIBLE_TARGETS[persona]


def test_scorer_reports_actual_values_only(client_for, targets):
    client = client_for("scorer")
    url = API + f"targets/{targets['a_c1'].pk}/"
    response = call(client, "patch", url, {"actual_value": "0.02"})
    assert response.status_code == 200, response.json()
    assert response.json()["actual_value"] == "0.0200"
    # R1 is scored 逆向完成率: a completion date is never counted, so it is refused.
    response = call(client, "patch", url, {"completed_on": "2026-06-30"})
    assert response.status_code == 400
    assert "does not use this figure" in response.json()["completed_on"][0]
    assert call(client, "patch", url, {"target_value": "1"}).status_code == 403
    targets["a_c1"].refresh_from_db()
    assert targets["a_c1"].target_value == Decimal("0.01")
    assert AuditEvent.objects.filter(action="target.update").count() == 1


def test_hr_creates_and_edits_targets(client_for, year, targets, ratio):
    client = client_for("hr")
    body = {"indicator": ratio["R3"].pk, "institution": "B01", "period": "h2",
            "deadline": "2026-09-30"}  # fmt: skip
    response = post(client, "targets/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"] == "2026-09-30"
    assert response.json()["kind"] == "deadline"  # a 按期 target's kind, when none is given
    assert AuditEvent.objects.get(action="target.create").after["deadline"] == "2026-09-30"
    assert (response.json()["year"], response.json()["indicator_code"]) == (2026, "R3")
    assert post(client, "targets/", body).status_code == 400  # one per institution and half
    assert post(client, "targets/", body | {"period": "h1"}).status_code == 201
    url = API + f"targets/{targets['b_b2'].pk}/"
    assert call(client, "patch", url, {"institution": "A01"}).json().keys() == {"institution"}
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    response = call(client, "patch", url, {"actual_value": "90"})
    assert response.status_code == 400
    assert "locked" in " ".join(response.json()["non_field_errors"])


# --- Results and the recompute -------------------------------------------------------------------

VISIBLE_RESULTS = {
    "hr": {"A01", "B01", "C01"},
    "auditor": {"A01", "B01", "C01"},
    "scorer": {"A01", "B01", "C01"},
    "head_a": {"A01"},
    "head_b": {"B01"},
    "payroll": {"A01"},
}


def test_recompute_is_hr_only_and_results_appear(
    client_for, year, ledger, django_capture_on_commit_callbacks
):
    assert post(client_for("scorer"), "schemes/2026/recompute/", None).status_code == 403
    assert rows(client_for("hr").get(API + "results/")) == []
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for("hr"), "schemes/2026/recompute/", None)
    assert response.status_code == 202
    assert response.json()["year"] == 2026
    results = rows(client_for("hr").get(API + "results/?year=2026"))
    assert {row["institution"] for row in results} == {"A01", "B01", "C01"}
    a01 = next(row for row in results if row["institution"] == "A01")
    # C1 300 − 5 on the first half only: (295 + 300) / 2; B1 (add) has no points yet.
    assert a01["common"] == "297.50"
    assert a01["bonus"] == "0.00"  # the proposal is still pending
    assert a01["self_total"] is not None
    detail = client_for("hr").get(API + "schemes/2026/").json()
    assert (detail["results_stale"], detail["recompute_pending"]) == (False, False)


@pytest.fixture
def results(year, ledger):
    year_results_recompute(scheme_id=year.scheme.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_result_list_scope(client_for, results, persona):
    response = client_for(persona).get(API + "results/")
    if persona not in VISIBLE_RESULTS:
        assert response.status_code == {"anonymous": 401}.get(persona, 403)
        return
    assert {row["institution"] for row in rows(response)} == VISIBLE_RESULTS[persona]


def test_results_ordered_by_group_then_rank_with_every_field(client_for, results):
    got = rows(client_for("auditor").get(API + "results/"))
    assert [(row["group"], row["rank"]) for row in got] == [("G1", 1), ("G1", 2), ("G2", 1)]
    row = got[0]
    for field in (
        "common_h1", "common_h2", "business_h1", "business_h2", "bonus_uncapped", "vetoed",
        "grade", "grade_label", "prize_level", "prize_amount", "yellow_card", "admonition",
        "recommended", "gap_to_qualify", "gap_to_next_prize", "gap_to_above", "margin_below",
        "self_total", "self_gap_flag", "group_name", "institution_name",
    ):  # fmt: skip
        assert field in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year=2026", {"A01", "B01", "C01"}),
        ("year=2025", set()),
        ("group=G1", {"A01", "C01"}),
        ("institution=B01", {"B01"}),
        ("group=G2&institution=A01", set()),
    ],
)
def test_result_filters(client_for, results, query, expected):
    got = {row["institution"] for row in rows(client_for("hr").get(API + "results/?" + query))}
    assert got == expected


def test_result_filters_do_not_widen_scope(client_for, results):
    assert rows(client_for("head_a").get(API + "results/?institution=B01")) == []


def test_results_are_never_written(client_for, results):
    for method in ("post", "put", "patch", "delete"):
        assert call(client_for("hr"), method, API + "results/", {}).status_code == 405


# --- Query counts do not grow with rows -----------------------------------------------------------

# session, user, page count, page rows (scheme, institution, indicator, department, author and
# decision joined in; status and reversed_by annotated)
ENTRY_LIST_QUERIES = 4
# session, user, page count, page rows (scheme, institution and group joined in)
RESULT_LIST_QUERIES = 4


@pytest.mark.parametrize("persona", ["hr", "scorer", "head_a"])
def test_entry_list_query_count_is_flat(
    client_for, world, year, ledger, persona, django_assert_num_queries
):
    client = client_for(persona)
    with django_assert_num_queries(ENTRY_LIST_QUERIES):
        first = client.get(API + "entries/").json()["count"]
    for i in range(27):
        entry = services.ledger_entry_create(
            actor=world.users["scorer"], scheme=year.scheme, institution=world.a,
            kind="indicator", indicator=year.indicators["C1"], period="h2",
            points=Decimal("-1"), reason=f"扣分{i}",
        )  # fmt: skip
        if i % 3 == 0:
            services.ledger_entry_reverse(actor=world.users["hr"], entry=entry, reason="更正")
    bonus = ledger["a_bonus"]
    services.entry_decide(actor=world.users["hr"], entry=bonus, approved=True)
    with django_assert_num_queries(ENTRY_LIST_QUERIES):
        data = client.get(API + "entries/").json()
    assert data["count"] == first + 27 + 9


@pytest.mark.parametrize("persona", ["hr", "head_a", "payroll"])
def test_result_list_query_count_is_flat(
    client_for, world, year, persona, django_assert_num_queries
):
    year_results_recompute(scheme_id=year.scheme.pk)
    client = client_for(persona)
    with django_assert_num_queries(RESULT_LIST_QUERIES):
        first = client.get(API + "results/").json()["count"]
    for i in range(27):
        InstitutionFactory(code=f"X{i:02d}", group=world.g1)
    year_results_recompute(scheme_id=year.scheme.pk)
    assert Result.objects.count() == 30
    world.users["payroll"].payroll_institutions.add(*world.g1.institutions.all())
    with django_assert_num_queries(RESULT_LIST_QUERIES):
        data = client.get(API + "results/").json()
    assert data["count"] == {"hr": 30, "head_a": 1, "payroll": 29}[persona]
    assert first == {"hr": 3, "head_a": 1, "payroll": 1}[persona]


# --- Sorting, as the pages sort (appraisal/filters.py) --------------------------------------------


def test_entries_sort_by_the_ledgers_columns(client_for, ledger, django_assert_num_queries):
    client = client_for("hr")

    def ids(ordering):
        with django_assert_num_queries(ENTRY_LIST_QUERIES):
            return [e["id"] for e in rows(client.get(API + "entries/", {"ordering": ordering}))]

    e = {k: v.pk for k, v in ledger.items()}
    assert ids("points") == [e["a_c1"], e["b_b2"], e["a_bonus"], e["a_self"]]  # as recorded
    assert ids("-points") == [e["a_self"], e["a_bonus"], e["b_b2"], e["a_c1"]]
    # Equal institutions: newest first, the ledger's own order.
    assert ids("institution") == [e["a_bonus"], e["a_self"], e["a_c1"], e["b_b2"]]
    assert client.get(API + "entries/", {"ordering": "reason"}).status_code == 400


def test_results_sort_by_the_rankings_columns(client_for, world, year):
    year_results_recompute(scheme_id=year.scheme.pk)  # A01 700, B01 and C01 1000
    client = client_for("hr")

    def codes(ordering):
        data = rows(client.get(API + "results/", {"ordering": ordering}))
        return [r["institution"] for r in data]

    assert codes("total") == ["A01", "B01", "C01"]  # equal totals by institution code
    assert codes("-total") == ["B01", "C01", "A01"]
    assert codes("institution") == ["A01", "B01", "C01"]
    assert client.get(API + "results/", {"ordering": "vetoed"}).status_code == 400
