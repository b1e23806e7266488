"""The payroll REST API (/api/v1/pay-policies/, payroll-runs/, payroll-lines/) as every persona,
over `paid_year` (tests/payroll/conftest.py) with draft January runs of A01 and B01.

Access (payroll.access): a role that may never do something gets 403; an object outside the
caller's scope 404; anonymous callers 401. Heads read their institution's runs (totals) but never
lines. Nothing is deleted (405)."""

import datetime
import json
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payroll import services
from payroll.models import PayPolicy, PayrollRun

from ..factories import EmployeeFactory
from ..personas import PERSONAS, SIGNED_IN

API = "/api/v1/"
ROLE_PERSONAS = [p for p in SIGNED_IN if p != "norole"]
JAN = datetime.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked by their English text (the product's default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def runs(world, paid_year):
    return {
        inst.code: services.payroll_run_compute(actor=None, institution=inst, month=JAN)
        for inst in (world.a, world.b)
    }


@pytest.fixture
def ids(runs, paid_year):
    return {
        "run_a": runs["A01"].pk,
        "run_b": runs["B01"].pk,
        "policy_a": paid_year.policies["A01"].pk,
        "policy_b": paid_year.policies["B01"].pk,
    }


def expect(default, **overrides):
    """Expected status per persona: `default` for every persona with a role, overridden per
    persona; a user without a role always gets 403, anonymous always 401."""
    return dict.fromkeys(ROLE_PERSONAS, default) | overrides | {"norole": 403, "anonymous": 401}


def call(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def errors(response) -> str:
    assert response.status_code == 400, response.content
    return json.dumps(response.json(), ensure_ascii=False)


NEW_POLICY = {
    "year": 2028,
    "institution": "A01",
    "per_capita": "36000.00",
    "basic_ratio": "0.600",
    "settlement_month": "2029-03",
}

READERS_OF_RUNS = {"scorer": 403, "acceptance": 403}
READERS_OF_LINES = {"head_a": 403, "head_b": 403, "scorer": 403, "acceptance": 403}
READERS_OF_POLICIES = READERS_OF_LINES
RUNNERS = {"head_a": 403, "head_b": 403, "scorer": 403, "acceptance": 403, "auditor": 403}
HR_ONLY = dict.fromkeys(["head_a", "head_b", "scorer", "acceptance", "payroll", "auditor"], 403)

# method, url (ids filled in), body, expected statuses
MATRIX = [
    ("get", "pay-policies/", None, expect(200, **READERS_OF_POLICIES)),
    ("get", "pay-policies/{policy_a}/", None, expect(200, **READERS_OF_POLICIES)),
    ("get", "pay-policies/{policy_b}/", None, expect(200, **READERS_OF_POLICIES, payroll=404)),
    ("get", "pay-policies/999999/", None, expect(404, **READERS_OF_POLICIES)),
    ("post", "pay-policies/", NEW_POLICY, expect(201, **HR_ONLY)),
    ("patch", "pay-policies/{policy_a}/", {"basic_ratio": "0.65"}, expect(200, **HR_ONLY)),
    ("put", "pay-policies/{policy_a}/", NEW_POLICY, expect(405, **HR_ONLY)),
    ("delete", "pay-policies/{policy_a}/", None, expect(405, **HR_ONLY)),
    ("get", "payroll-runs/", None, expect(200, **READERS_OF_RUNS)),
    ("get", "payroll-runs/{run_a}/", None, expect(200, **READERS_OF_RUNS, head_b=404)),
    (
        "get",
        "payroll-runs/{run_b}/",
        None,
        expect(200, **READERS_OF_RUNS, head_a=404, payroll=404),
    ),
    ("get", "payroll-runs/999999/", None, expect(404, **READERS_OF_RUNS)),
    ("post", "payroll-runs/{run_a}/confirm/", None, expect(200, **RUNNERS)),
    ("post", "payroll-runs/{run_b}/confirm/", None, expect(200, **RUNNERS, payroll=404)),
    (
        "post",
        "payroll-runs/compute/",
        {"institution": "A01", "month": "2026-02"},
        expect(200, **RUNNERS),
    ),
    (
        "post",
        "payroll-runs/compute/",
        {"institution": "B01", "month": "2026-02"},
        expect(200, **RUNNERS, payroll=404),
    ),
    ("post", "payroll-runs/", {}, expect(405, **READERS_OF_RUNS)),
    ("delete", "payroll-runs/{run_a}/", None, expect(405, **READERS_OF_RUNS, head_b=405)),
    ("get", "payroll-lines/", None, expect(200, **READERS_OF_LINES)),
    ("post", "payroll-lines/", {}, expect(405, **READERS_OF_LINES)),
    ("delete", "payroll-lines/", None, expect(405, **READERS_OF_LINES)),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("method", "url", "body", "expected"), MATRIX, ids=[f"{m[0]} {m[1]}" for m in MATRIX]
)
def test_endpoint_access(client_for, ids, persona, method, url, body, expected):
    response = call(client_for(persona), method, API + url.format(**ids), body)
    assert response.status_code == expected[persona], (persona, response.content)


# --- Scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("hr", ["A01", "B01"]),
        ("auditor", ["A01", "B01"]),
        ("payroll", ["A01"]),
        ("head_a", ["A01"]),
        ("head_b", ["B01"]),
    ],
)
def test_runs_are_scoped(client_for, runs, persona, codes):
    listed = rows(client_for(persona).get(API + "payroll-runs/"))
    assert [r["institution"] for r in listed] == codes


def test_head_reads_totals_and_never_lines(client_for, world, runs):
    client = client_for("head_a")
    run = client.get(f"{API}payroll-runs/{runs['A01'].pk}/").json()
    assert run["total_gross"] == "17401.50" and run["basic_pool"] == "5400.00"
    assert run["month"] == "2026-01" and run["status"] == "draft"
    assert not {"lines", "staff_number", "name"} & set(run)
    assert client.get(API + "payroll-lines/").status_code == 403
    assert client.get(f"{API}payroll-lines/?run={runs['A01'].pk}").status_code == 403


@pytest.mark.parametrize(
    ("persona", "count"), [("hr", 6), ("auditor", 6), ("payroll", 3)], ids=lambda v: str(v)
)
def test_lines_are_scoped(client_for, runs, persona, count):
    listed = rows(client_for(persona).get(API + "payroll-lines/"))
    assert len(listed) == count
    if persona == "payroll":
        assert {line["institution"] for line in listed} == {"A01"}


def test_lines_filter_by_run_institution_and_month(client_for, world, runs):
    services.payroll_run_compute(actor=None, institution=world.a, month=datetime.date(2026, 2, 1))
    client = client_for("hr")

    def keys(query):
        return sorted(
            (line["institution"], line["month"], line["staff_number"])
            for line in rows(client.get(f"{API}payroll-lines/?{query}"))
        )

    assert keys(f"run={runs['B01'].pk}") == [
        ("B01", "2026-01", "B0000"), ("B01", "2026-01", "B0001"), ("B01", "2026-01", "B0002")
    ]  # fmt: skip
    assert len(keys("institution=A01")) == 6
    assert len(keys("month=2026-01")) == 6
    assert keys("institution=A01&month=2026-02") == [
        ("A01", "2026-02", "A0000"), ("A01", "2026-02", "A0001"), ("A01", "2026-02", "A0002")
    ]  # fmt: skip
    assert client.get(f"{API}payroll-lines/?month=2026/01").status_code == 400
    line = rows(client.get(f"{API}payroll-lines/?run={runs['A01'].pk}"))[0]
    assert line["gross"] == "5800.50" and line["basic"] == "1800.00"  # decimal strings
    assert line["run"] == runs["A01"].pk


def test_payroll_officer_lines_of_another_institution_are_empty(client_for, runs):
    assert rows(client_for("payroll").get(f"{API}payroll-lines/?run={runs['B01'].pk}")) == []


def test_runs_filter_by_month_institution_and_status(client_for, world, runs):
    services.payroll_run_compute(actor=None, institution=world.a, month=datetime.date(2026, 2, 1))
    client = client_for("auditor")

    def keys(query):
        return [
            (r["institution"], r["month"]) for r in rows(client.get(f"{API}payroll-runs/?{query}"))
        ]

    assert keys("") == [("A01", "2026-02"), ("A01", "2026-01"), ("B01", "2026-01")]
    assert keys("month=2026-01&institution=B01") == [("B01", "2026-01")]
    assert keys("status=confirmed") == []


# --- Compute and confirm -------------------------------------------------------------------------


def test_payroll_officer_computes_and_confirms_their_month(client_for, world, paid_year):
    client = client_for("payroll")
    response = call(
        client, "post", API + "payroll-runs/compute/", {"institution": "A01", "month": "2026-01"}
    )
    assert response.status_code == 200, response.content
    run = response.json()
    assert (run["institution"], run["month"], run["status"]) == ("A01", "2026-01", "draft")
    assert run["total_gross"] == "17401.50"

    response = client.post(f"{API}payroll-runs/{run['id']}/confirm/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["confirmed_by"] == "payroll"

    # Confirming twice is refused.
    assert "confirmed already" in errors(client.post(f"{API}payroll-runs/{run['id']}/confirm/"))

    # Computing a confirmed run answers it unchanged.
    employee = world.a.employees.order_by("staff_number").first()
    employee.post_wage += D("100")
    employee.save()
    response = call(
        client, "post", API + "payroll-runs/compute/", {"institution": "A01", "month": "2026-01"}
    )
    assert response.json()["status"] == "confirmed"
    assert response.json()["total_gross"] == "17401.50"

    # B01 is not theirs.
    response = call(
        client, "post", API + "payroll-runs/compute/", {"institution": "B01", "month": "2026-01"}
    )
    assert response.status_code == 404
    assert not PayrollRun.objects.filter(institution=world.b).exists()


def test_compute_errors_are_400_with_the_service_message(client_for, world, paid_year):
    client = client_for("hr")
    url = API + "payroll-runs/compute/"
    assert "has no pay policy for 2026" in errors(
        call(client, "post", url, {"institution": "C01", "month": "2026-01"})
    )
    response = call(client, "post", url, {"institution": "A01", "month": "2026-13"})
    assert set(response.json()) == {"month"}
    assert call(client, "post", url, {"institution": "ZZZ", "month": "2026-01"}).status_code == 404


def test_stale_draft_is_not_confirmed(client_for, world, runs):
    employee = world.a.employees.order_by("staff_number").first()
    employee.grade_wage += D("1")
    employee.save()
    response = client_for("hr").post(f"{API}payroll-runs/{runs['A01'].pk}/confirm/")
    assert "review it again" in errors(response)
    runs["A01"].refresh_from_db()
    assert runs["A01"].status == PayrollRun.Status.DRAFT


# --- Policies ------------------------------------------------------------------------------------


def test_policies_are_scoped(client_for, paid_year):
    listed = rows(client_for("payroll").get(API + "pay-policies/"))
    assert sorted((p["year"], p["institution"]) for p in listed) == [(2026, "A01"), (2027, "A01")]
    listed = rows(client_for("auditor").get(API + "pay-policies/?year=2026"))
    assert [(p["institution"], p["settlement_month"]) for p in listed] == [
        ("A01", "2027-03"), ("B01", "2027-03")
    ]  # fmt: skip


def test_hr_creates_a_policy_through_the_service(client_for, world, paid_year):
    client = client_for("hr")
    refused = call(client, "post", API + "pay-policies/", NEW_POLICY | {"basic_ratio": "0.8"})
    assert set(refused.json()) == {"basic_ratio"}
    assert "between 0.5 and 0.7" in errors(refused)
    assert not PayPolicy.objects.filter(year=2028).exists()

    response = call(client, "post", API + "pay-policies/", NEW_POLICY)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["formal_staff"] == 3  # counted now
    assert created["settlement_month"] == "2029-03"
    assert PayPolicy.objects.get(year=2028, institution=world.a).basic_ratio == D("0.6")

    duplicate = call(client, "post", API + "pay-policies/", NEW_POLICY)
    assert "A01 has a pay policy for 2028 already" in errors(duplicate)


def test_hr_patches_a_policy(client_for, world, paid_year):
    client = client_for("hr")
    policy = paid_year.policies["A01"]
    url = f"{API}pay-policies/{policy.pk}/"
    PayPolicy.objects.filter(pk=policy.pk).update(formal_staff=7)

    response = call(client, "patch", url, {"basic_ratio": "0.65"})
    assert response.status_code == 200, response.content
    assert response.json()["basic_ratio"] == "0.650"
    assert response.json()["formal_staff"] == 7  # left out: kept
    assert response.json()["settlement_month"] == "2027-03"

    assert "between 0.5 and 0.7" in errors(call(client, "patch", url, {"basic_ratio": "0.45"}))
    assert "stays on its year" in errors(call(client, "patch", url, {"year": 2030}))
    assert "stays on its year" in errors(call(client, "patch", url, {"institution": "B01"}))

    response = call(client, "patch", url, {"formal_staff": None})
    assert response.json()["formal_staff"] == 3  # null: counted again


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["hr", "payroll", "auditor"])
def test_line_list_query_count_is_fixed(client_for, world, runs, persona):
    client = client_for(persona)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(API + "payroll-lines/").status_code == 200
        return len(queries)

    few = count()
    for i in range(27):
        EmployeeFactory(staff_number=f"A{i + 100:04d}", institution=world.a)
    services.payroll_run_compute(actor=None, institution=world.a, month=JAN)
    assert count() == few


@pytest.mark.parametrize("persona", ["hr", "payroll", "head_a"])
def test_run_list_query_count_is_fixed(client_for, world, runs, persona):
    client = client_for(persona)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(API + "payroll-runs/").status_code == 200
        return len(queries)

    few = count()
    for month in range(2, 13):
        services.payroll_run_compute(
            actor=None, institution=world.a, month=datetime.date(2026, month, 1)
        )
    assert count() == few
