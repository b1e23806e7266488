"""The acceptance REST API (/api/v1/batches/, inspections/, reports/), checked as every persona and
as the heads of the pilots P01 and P02.

Access rules (acceptance.access, acceptance.services, docs/ACCEPTANCE.md): HR, auditors and
acceptance members read everything, a head only their institution's inspections and reports (out of
scope → 404); other roles get 403 and anonymous callers 401. HR creates batches; members of the
batch's team tick and decide (403 for anyone else); a head submits their own weekly report, HR any
pilot's. Nothing is updated or deleted (405)."""

import datetime
import json

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from acceptance import services
from acceptance.models import Batch, Tick, WeeklyReport, week_start
from orgs.models import AuditEvent, Role

from ..factories import PASSWORD, InstitutionFactory, UserFactory
from ..personas import SIGNED_IN
from .conftest import confirm_month

API = "/api/v1/"
PERSONAS = [*SIGNED_IN, "head_p01", "head_p02", "anonymous"]
DAY = datetime.date(2026, 11, 20)
READERS = {"hr", "auditor", "acceptance"}
HEADS = {"head_a", "head_b", "head_p01", "head_p02"}
MEMBERS = {"hr", "acceptance"}  # the team of the `pilots` fixture


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked by their English text (the product's default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def expect(default, **overrides):
    """`default` for every signed-in persona unless overridden; anonymous always 401."""
    return dict.fromkeys(PERSONAS, default) | overrides | {"anonymous": 401}


def only(personas, ok, otherwise=403, **overrides):
    return expect(otherwise, **dict.fromkeys(personas, ok)) | overrides


def call(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def client_as(client_for, pilots):
    def make(persona: str) -> Client:
        if not persona.startswith("head_p"):
            return client_for(persona)
        client = Client()
        assert client.login(username=persona, password=PASSWORD)
        return client

    return make


@pytest.fixture
def batch(world, pilots):
    """A batch of P01–P05 (round 1), and this week's reports of P01 and P02."""
    hr = world.users["hr"]
    made = services.batch_create(
        actor=hr, name="第一批", team=pilots.team, date=DAY, institutions=pilots.institutions[:5]
    )
    for inst in pilots.institutions[:2]:
        services.weekly_report_submit(
            actor=inst.head, institution=inst, day=timezone.localdate(), stage="data", progress=40
        )
    return made


@pytest.fixture
def ids(batch, pilots):
    inspections = {
        i.institution.code: i.pk for i in batch.inspections.select_related("institution")
    }
    reports = {r.institution.code: r.pk for r in WeeklyReport.objects.select_related("institution")}
    return {
        "b": batch.pk,
        "i1": inspections["P01"],
        "i2": inspections["P02"],
        "r1": reports["P01"],
        "r2": reports["P02"],
    }


CODES = ["P06", "P07", "P08", "P09"]
# Methods an endpoint does not have: a reader is told 405, a role that reads nothing 403.
NOT_ALLOWED = only(READERS | HEADS, 405)
TICK = {"item": "ENV", "met": True, "note": "机房已验"}
REPORT = {"stage": "training", "progress": 55}
NEW_BATCH = {"team": "{team}", "date": "2026-12-01", "institutions": CODES}  # 4: too few


def readable_by(*heads):
    """Readers and these heads read it; the other heads are told it does not exist."""
    return only(READERS | set(heads), 200) | dict.fromkeys(HEADS - set(heads), 404)


# (method, url, body, expected status per persona). Each persona's call is rolled back, so every
# persona meets the same state.
ACCESS_TABLE = [
    ("get", "batches/", None, only(READERS | HEADS, 200)),
    ("get", "batches/{b}/", None, readable_by("head_p01", "head_p02")),
    ("get", "batches/999999/", None, only(READERS | HEADS, 404)),
    ("post", "batches/", NEW_BATCH, only({"hr"}, 400)),
    *[(m, "batches/{b}/", {"name": "x"}, NOT_ALLOWED) for m in ("put", "patch", "post")],
    ("delete", "batches/{b}/", None, NOT_ALLOWED),
    ("get", "inspections/", None, only(READERS | HEADS, 200)),
    ("get", "inspections/{i1}/", None, readable_by("head_p01")),
    ("get", "inspections/{i2}/", None, readable_by("head_p02")),
    ("post", "inspections/{i1}/ticks/", TICK, only(MEMBERS, 200)),
    ("post", "inspections/{i1}/decide/", {"passed": False}, only(MEMBERS, 200)),
    ("post", "inspections/{i1}/decide/", {"passed": True}, only(MEMBERS, 400)),  # nothing met
    ("get", "inspections/{i1}/ticks/", None, NOT_ALLOWED),
    *[(m, "inspections/{i1}/", {"note": "x"}, NOT_ALLOWED) for m in ("put", "patch")],
    ("delete", "inspections/{i1}/", None, NOT_ALLOWED),
    ("post", "inspections/", {}, NOT_ALLOWED),
    ("get", "reports/", None, only(READERS | HEADS, 200)),
    ("get", "reports/{r1}/", None, readable_by("head_p01")),
    # A head's own report: P01's and P02's exist this week (replaced, 200); A01's and B01's not.
    ("post", "reports/", REPORT, only(HEADS, 201, hr=400, head_p01=200, head_p02=200)),
    # P01's, named: its head and HR submit it; to another head P01 is out of scope, answered as a
    # code that is no pilot institution (400, as for one that does not exist: issue 16, item 8).
    (
        "post",
        "reports/",
        REPORT | {"institution": "P01"},
        only({"hr", "head_p01"}, 200, head_a=400, head_b=400, head_p02=400),
    ),
    *[(m, "reports/{r1}/", REPORT, NOT_ALLOWED) for m in ("put", "patch")],
    ("delete", "reports/{r1}/", None, NOT_ALLOWED),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    ACCESS_TABLE,
    ids=[f"{m.upper()} {u}" for m, u, _, _ in ACCESS_TABLE],
)
def test_access_by_persona(client_as, pilots, ids, method, url, body, expected):
    url = API + url.format(**ids)
    if body and body.get("team") == "{team}":
        body = body | {"team": pilots.team.pk}
    got = {}
    for persona in expected:
        with transaction.atomic():
            got[persona] = call(client_as(persona), method, url, body).status_code
            transaction.set_rollback(True)
    assert got == expected


# --- Batches -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 9])
def test_batch_of_the_wrong_size_is_refused_naming_the_rule(client_as, world, pilots, size):
    extra = [InstitutionFactory(code=f"X{n}", group=None, is_pilot=True) for n in range(2)]
    codes = [i.code for i in [*pilots.institutions, *extra]][:size]
    body = {"team": pilots.team.pk, "date": "2026-11-20", "institutions": codes}
    response = call(client_as("hr"), "post", API + "batches/", body)
    assert response.status_code == 400
    assert response.json() == {"institutions": [f"A batch has 5 to 8 institutions, not {size}."]}
    assert not Batch.objects.exists()


def test_hr_creates_a_batch(client_as, pilots):
    codes = ["P01", "P02", "P03", "P04", "P05"]
    body = {"team": pilots.team.pk, "date": "2026-11-20", "institutions": codes}
    response = call(client_as("hr"), "post", API + "batches/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["name"], data["status"], data["team"]) == (
        "2026-11-20 验收批次",
        "planned",
        pilots.team.pk,
    )
    assert [(i["institution"], i["round"]) for i in data["inspections"]] == [(c, 1) for c in codes]
    assert AuditEvent.objects.filter(action="acceptance.batch").count() == 1
    # The same institutions again: they are in an open batch.
    again = call(client_as("hr"), "post", API + "batches/", body | {"name": "再来一批"})
    assert again.status_code == 400
    assert "already in an open batch" in again.json()["institutions"][0]


def test_unknown_institution_or_team_is_400(client_as, pilots):
    body = {"team": 999, "date": "2026-11-20", "institutions": ["P01", "NOPE"]}
    response = call(client_as("hr"), "post", API + "batches/", body)
    assert response.status_code == 400
    assert set(response.json()) == {"team", "institutions"}


def test_a_head_sees_only_their_institution_in_a_batch(client_as, ids):
    (listed,) = rows(client_as("head_p01").get(API + "batches/"))
    assert [i["institution"] for i in listed["inspections"]] == ["P01"]
    full = client_as("auditor").get(API + f"batches/{ids['b']}/").json()
    assert [i["institution"] for i in full["inspections"]] == ["P01", "P02", "P03", "P04", "P05"]
    assert rows(client_as("head_a").get(API + "batches/")) == []


# --- Inspections ---------------------------------------------------------------------------------


def test_inspection_scope_and_filters(client_as, ids):
    client = client_as("head_p01")
    assert [r["institution"] for r in rows(client.get(API + "inspections/"))] == ["P01"]
    assert client.get(API + f"inspections/{ids['i2']}/").status_code == 404
    assert rows(client.get(API + "inspections/?institution=P02")) == []  # never widens
    hr = client_as("hr")
    assert len(rows(hr.get(API + f"inspections/?batch={ids['b']}"))) == 5
    assert [r["institution"] for r in rows(hr.get(API + "inspections/?institution=P03"))] == ["P03"]
    assert rows(hr.get(API + "inspections/?batch=999999")) == []
    assert len(rows(hr.get(API + "inspections/?result=pending&round=1"))) == 5


def test_inspection_shows_ticks_and_the_payroll_criterion(client_as, world, pilots, ids):
    member = client_as("acceptance")
    response = call(member, "post", API + f"inspections/{ids['i1']}/ticks/", TICK)
    assert response.status_code == 200, response.json()
    (tick,) = response.json()["ticks"]
    assert (tick["item"], tick["met"], tick["note"], tick["by"]) == (
        "ENV",
        True,
        "机房已验",
        "acceptance",
    )
    assert tick["has_evidence"] is False
    payroll = response.json()["payroll"]
    assert payroll["met"] is False
    assert payroll["go_live_month"] == "2026-10-01"
    assert payroll["months"] == [
        {
            "month": "2026-10-01",
            "ok": False,
            "reason": "2026-10: no payroll run computed by the system.",
        }
    ]
    confirm_month(world, pilots.institutions[0])
    data = client_as("head_p01").get(API + f"inspections/{ids['i1']}/").json()
    assert data["payroll"] == {
        "met": True,
        "go_live_month": "2026-10-01",
        "months": [{"month": "2026-10-01", "ok": True, "reason": "2026-10: paid as computed."}],
    }
    # Ticking again replaces the tick.
    call(member, "post", API + f"inspections/{ids['i1']}/ticks/", TICK | {"met": False})
    assert Tick.objects.get().met is False


def test_ticks_by_a_member_of_another_team_are_refused(client_as, world, ids):
    UserFactory(username="acceptance2", role=Role.ACCEPTANCE)
    client = Client()
    assert client.login(username="acceptance2", password=PASSWORD)
    response = call(client, "post", API + f"inspections/{ids['i1']}/ticks/", TICK)
    assert response.status_code == 403
    assert (
        call(
            client, "post", API + f"inspections/{ids['i1']}/decide/", {"passed": False}
        ).status_code
        == 403
    )
    assert not Tick.objects.exists()


@pytest.mark.parametrize(
    ("item", "message"),
    [("NOPE", "The standard has no item NOPE."), ("PAY", "This item is not ticked on site.")],
)
def test_only_the_standards_site_items_are_ticked(client_as, ids, item, message):
    response = call(
        client_as("acceptance"),
        "post",
        API + f"inspections/{ids['i1']}/ticks/",
        TICK | {"item": item},
    )
    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False)


def test_pass_needs_every_mandatory_item_then_round_2_after_a_failure(
    client_as, world, pilots, ids
):
    member = client_as("acceptance")
    url = API + f"inspections/{ids['i1']}/"
    refused = call(member, "post", url + "decide/", {"passed": True})
    assert refused.status_code == 400 and "cannot pass" in refused.json()["non_field_errors"][0]
    for code in ("ENV", "DATA", "TRAIN", "TEST"):
        assert call(member, "post", url + "ticks/", {"item": code, "met": True}).status_code == 200
    confirm_month(world, pilots.institutions[0])
    passed = call(member, "post", url + "decide/", {"passed": True, "note": "合格"})
    assert passed.status_code == 200
    assert (passed.json()["result"], passed.json()["decided_by"], passed.json()["note"]) == (
        "passed",
        "acceptance",
        "合格",
    )
    # Decided: no more ticks, no second decision.
    assert call(member, "post", url + "ticks/", TICK).status_code == 400
    assert call(member, "post", url + "decide/", {"passed": False}).status_code == 400
    # The others fail; once the batch is closed they go into a later batch as round 2.
    batch = Batch.objects.get()
    for pk in batch.inspections.exclude(pk=ids["i1"]).values_list("pk", flat=True):
        response = call(member, "post", API + f"inspections/{pk}/decide/", {"passed": False})
        assert response.status_code == 200
    services.batch_close(actor=world.users["hr"], batch=batch)
    codes = ["P02", "P03", "P04", "P05", "P06"]
    body = {"team": pilots.team.pk, "date": "2026-12-03", "institutions": codes, "name": "第二批"}
    response = call(client_as("hr"), "post", API + "batches/", body)
    assert response.status_code == 201, response.json()
    assert [(i["institution"], i["round"]) for i in response.json()["inspections"]] == [
        ("P02", 2), ("P03", 2), ("P04", 2), ("P05", 2), ("P06", 1)
    ]  # fmt: skip


# --- Weekly reports ------------------------------------------------------------------------------


def test_head_submits_own_report_and_again_replaces_it(client_as, pilots):
    client = client_as("head_p01")
    first = call(client, "post", API + "reports/", REPORT | {"problems": "缺培训教室"})
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["institution"], data["week"], data["progress"], data["submitted_by"]) == (
        "P01",
        week_start(timezone.localdate()).isoformat(),
        55,
        "head_p01",
    )
    again = call(client, "post", API + "reports/", {"stage": "acceptance", "progress": 70})
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    report = WeeklyReport.objects.get()
    assert (report.stage, report.progress, report.problems) == ("acceptance", 70, "")


def test_report_refusals(client_as, world, pilots):
    head = client_as("head_p01")
    other = call(head, "post", API + "reports/", REPORT | {"institution": "P02"})
    unknown = call(head, "post", API + "reports/", REPORT | {"institution": "P99"})
    assert other.status_code == unknown.status_code == 400
    assert other.json() == {"institution": ["P02 is not a pilot institution."]}
    assert unknown.json() == {"institution": ["P99 is not a pilot institution."]}
    bad = call(head, "post", API + "reports/", REPORT | {"progress": 101})
    assert bad.status_code == 400 and "progress" in bad.json()
    assert call(head, "post", API + "reports/", REPORT | {"stage": "flying"}).status_code == 400
    hr = client_as("hr")
    not_pilot = call(hr, "post", API + "reports/", REPORT | {"institution": "C01"})
    assert not_pilot.json() == {"institution": ["C01 is not a pilot institution."]}
    assert call(hr, "post", API + "reports/", REPORT | {"institution": "P09"}).status_code == 201
    assert list(
        WeeklyReport.objects.values_list("institution__code", "submitted_by__username")
    ) == [("P09", "hr")]


def test_report_scope_and_filters(client_as, world, pilots, ids):
    last_week = timezone.localdate() - datetime.timedelta(weeks=1)
    services.weekly_report_submit(
        actor=world.users["hr"],
        institution=pilots.institutions[0],
        day=last_week,
        stage="setup",
        progress=10,
    )
    assert [r["institution"] for r in rows(client_as("head_p02").get(API + "reports/"))] == ["P02"]
    assert client_as("head_p02").get(API + f"reports/{ids['r1']}/").status_code == 404
    hr = client_as("hr")
    assert len(rows(hr.get(API + "reports/"))) == 3
    assert [r["week"] for r in rows(hr.get(API + "reports/?institution=P01"))] == [
        week_start(timezone.localdate()).isoformat(),
        week_start(last_week).isoformat(),
    ]
    assert [
        r["institution"] for r in rows(hr.get(API + f"reports/?week={last_week.isoformat()}"))
    ] == ["P01"]
    assert hr.get(API + "reports/?week=someday").status_code == 400


# --- Query counts --------------------------------------------------------------------------------


def _count(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(100) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_list_query_counts_are_pinned(client_as, world, pilots, ids, django_assert_max_num_queries):
    hr = client_as("hr")
    member = client_as("acceptance")
    for code in ("ENV", "DATA"):
        call(member, "post", API + f"inspections/{ids['i1']}/ticks/", {"item": code, "met": True})
    before = {
        url: _count(hr, API + url, django_assert_max_num_queries)
        for url in ("batches/", "inspections/", "reports/")
    }
    # Session and user, count, rows, one prefetch (and two per inspection: the payroll criterion).
    assert before == {"batches/": 5, "inspections/": 5 + 2 * 5, "reports/": 4}
    # A second batch, more ticks, more reports: batches and reports cost the same; inspections two
    # queries more for each one listed (services.payroll_criterion is the one place deciding it).
    extra = InstitutionFactory(code="P10", group=None, is_pilot=True)
    services.batch_create(
        actor=world.users["hr"],
        name="第二批",
        team=pilots.team,
        date=DAY,
        institutions=[*pilots.institutions[5:], extra],
    )
    for inst in pilots.institutions[2:]:
        services.weekly_report_submit(
            actor=world.users["hr"],
            institution=inst,
            day=timezone.localdate(),
            stage="data",
            progress=30,
        )
    for code in ("TRAIN", "TEST"):
        call(member, "post", API + f"inspections/{ids['i1']}/ticks/", {"item": code, "met": True})
    after = {
        url: _count(hr, API + url, django_assert_max_num_queries)
        for url in ("batches/", "inspections/", "reports/")
    }
    assert after == {"batches/": 5, "inspections/": 5 + 2 * 10, "reports/": 4}


def test_anonymous_is_asked_to_authenticate(pilots):
    response = Client().get(API + "inspections/")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Token")
