"""API fuzzing: schemathesis generates requests for every operation of the OpenAPI schema (as the
app itself serves it at /api/schema/) and sends them in-process, through the WSGI application, as an
authenticated HR user and as the head of institution A01 (a narrower scope: many answers are 403 or
404). Every response must:

- not be a server error (5xx): bad input is a 400 with a message;
- have a status code the schema documents for that operation;
- have a content type, headers and a body that match the schema.

The world has real objects for every endpoint (an open 2026 year with indicators, ledger entries,
results, an appeal and targets; a head's letter; pilots with an acceptance batch, inspections and
weekly reports; payroll policies and runs; a published bulletin with explanation requests and a
draft one). Half of the generated requests of an operation with path parameters use the ids of
those objects, so the fuzzer reaches the objects and not only 404s.

Each example runs in a savepoint that is rolled back, so every example starts from the same world
and the order of operations does not matter. Generation is seeded (FUZZ_SEED) and bounded
(FUZZ_MAX_EXAMPLES per operation and persona), so CI is reproducible; see docs/DEVELOPMENT.md for
running it with more examples and reproducing a failure.
"""

import datetime
import os
from decimal import Decimal as D

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from acceptance import services as acceptance
from acceptance.models import Inspection, WeeklyReport
from appraisal import services as appraisal
from appraisal.models import LedgerEntry, Result, Scheme, Target
from bulletins import services as bulletins
from bulletins.models import ExplanationRequest
from config.wsgi import application
from orgs.models import AuditEvent, Employee, Notification
from payroll import services as payroll
from payroll.models import PayPolicy, PayrollLine

from ..acceptance.conftest import pilots  # noqa: F401 — fixture
from ..appraisal.conftest import year  # noqa: F401 — fixture
from ..bulletins.conftest import ranked  # noqa: F401 — fixture
from ..letters.conftest import letter  # noqa: F401 — fixture

SEED = int(os.environ.get("FUZZ_SEED", "9"))
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
# FUZZ_OPERATIONS="POST /api/v1/entries/" (comma-separated labels) narrows a run to some operations.
NEGATIVE = os.environ.get("FUZZ_NEGATIVE", "1") != "0"
ONLY = {
    label.strip() for label in os.environ.get("FUZZ_OPERATIONS", "").split(",") if label.strip()
}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def _keep_connection():
    """The WSGI handler closes the database connection at the end of each request, which would
    close the test's transaction; Django's test client disconnects that handler in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world, year, letter, pilots, ranked, settings, tmp_path):  # noqa: F811
    """Every kind of object the API serves, and the ids to put into path parameters."""
    settings.MEDIA_ROOT = tmp_path / "media"
    hr = world.users["hr"]
    scheme = year.scheme

    # An appeal of a deduction on A01, submitted while the year was in review; the year is open
    # again so that entries, reversals and decisions are accepted.
    entry = appraisal.ledger_entry_create(
        actor=world.users["scorer"], scheme=scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=D("-10"), reason="安全检查发现问题",
    )  # fmt: skip
    Scheme.objects.filter(pk=scheme.pk).update(status=Scheme.Status.REVIEW)
    appeal = appraisal.appeal_submit(actor=world.users["head_a"], entry=entry, reasons="已整改")
    Scheme.objects.filter(pk=scheme.pk).update(status=Scheme.Status.OPEN)
    scheme.refresh_from_db()

    # Payroll: policies for A01 and B01, January runs (A01's confirmed) with their lines.
    for inst in (world.a, world.b):
        payroll.policy_save(
            actor=hr, year=2026, institution=inst, per_capita=D("36000"), basic_ratio=D("0.6"),
            settlement_month=datetime.date(2027, 3, 1),
        )  # fmt: skip
    runs = {
        inst.code: payroll.payroll_run_compute(
            actor=None, institution=inst, month=datetime.date(2026, 1, 1)
        )
        for inst in (world.a, world.b)
    }
    payroll.payroll_run_confirm(actor=hr, run=runs["A01"])

    # Acceptance: a batch of five pilots and this week's reports of P01 and P02.
    batch = acceptance.batch_create(
        actor=hr, name="第一批", team=pilots.team, date=datetime.date(2026, 11, 20),
        institutions=pilots.institutions[:5],
    )  # fmt: skip
    for inst in pilots.institutions[:2]:
        acceptance.weekly_report_submit(
            actor=inst.head, institution=inst, day=datetime.date(2026, 11, 20), stage="data",
            progress=40,
        )  # fmt: skip

    # Bulletins: a published monthly one (with explanation requests) and a draft weekly one.
    published = bulletins.bulletin_generate(
        scheme=ranked.scheme, kind="monthly", day=datetime.date(2026, 11, 1)
    )
    published = bulletins.bulletin_publish(actor=hr, bulletin=published)
    bulletins.bulletin_generate(
        scheme=ranked.scheme, kind="weekly", day=datetime.date(2026, 11, 16)
    )

    inspection = Inspection.objects.filter(institution=pilots.institutions[0]).first()
    notification = Notification.objects.filter(recipient=world.users["head_a"]).first()
    ids = {
        "/api/v1/groups/{id}/": {"id": world.g1.pk},
        "/api/v1/institutions/{code}/": {"code": world.a.code},
        "/api/v1/institutions/{institution_code}/employees/": {"institution_code": world.a.code},
        "/api/v1/employees/{id}/": {"id": Employee.objects.filter(institution=world.a)[0].pk},
        "/api/v1/audit/{id}/": {"id": AuditEvent.objects.order_by("pk")[0].pk},
        "/api/v1/notifications/{id}/": {"id": notification.pk},
        "/api/v1/notifications/{id}/read/": {"id": notification.pk},
        "/api/v1/schemes/{year}/": {"year": scheme.year},
        "/api/v1/schemes/{year}/transition/": {"year": scheme.year},
        "/api/v1/schemes/{year}/check/": {"year": scheme.year},
        "/api/v1/schemes/{year}/recompute/": {"year": scheme.year},
        "/api/v1/indicators/{id}/": {"id": year.indicators["C1"].pk},
        "/api/v1/targets/{id}/": {"id": Target.objects.filter(institution=world.a)[0].pk},
        "/api/v1/entries/{id}/": {"id": entry.pk},
        "/api/v1/entries/{id}/reverse/": {"id": entry.pk},
        "/api/v1/entries/{id}/decide/": {
            "id": LedgerEntry.objects.filter(institution=world.a).order_by("-pk")[0].pk
        },
        "/api/v1/appeals/{id}/": {"id": appeal.pk},
        "/api/v1/appeals/{id}/answer/": {"id": appeal.pk},
        "/api/v1/pay-policies/{id}/": {"id": PayPolicy.objects.filter(institution=world.a)[0].pk},
        "/api/v1/payroll-runs/{id}/": {"id": runs["A01"].pk},
        "/api/v1/payroll-runs/{id}/confirm/": {"id": runs["B01"].pk},
        "/api/v1/letters/{id}/": {"id": letter.pk},
        "/api/v1/letters/{id}/verify/": {"id": letter.pk},
        "/api/v1/letters/{id}/sign/": {"id": letter.pk},
        "/api/v1/letters/{id}/countersign/": {"id": letter.pk},
        "/api/v1/batches/{id}/": {"id": batch.pk},
        "/api/v1/inspections/{id}/": {"id": inspection.pk},
        "/api/v1/inspections/{id}/ticks/": {"id": inspection.pk},
        "/api/v1/inspections/{id}/decide/": {"id": inspection.pk},
        "/api/v1/reports/{id}/": {"id": WeeklyReport.objects.first().pk},
        "/api/v1/bulletins/{id}/": {"id": published.pk},
        "/api/v1/bulletins/{id}/publish/": {"id": published.pk},
        "/api/v1/explanations/{id}/": {
            "id": ExplanationRequest.objects.filter(institution=world.a).first().pk
        },
        "/api/v1/explanations/{id}/submit/": {
            "id": ExplanationRequest.objects.filter(institution=world.a).first().pk
        },
        "/api/v1/explanations/{id}/review/": {
            "id": ExplanationRequest.objects.filter(institution=world.a).first().pk
        },
        "/api/v1/dashboard/{year}/": {"year": scheme.year},
        "/api/v1/dashboard/{year}/institutions/{code}/": {"year": scheme.year, "code": "A01"},
    }
    assert Result.objects.exists() and PayrollLine.objects.exists()
    assert ExplanationRequest.objects.filter(institution=world.a).exists()
    assert notification is not None  # head A's letter, explanation request, appeal answer …
    return type("FuzzWorld", (), {"world": world, "ids": ids})


def _strategy(operation, ids):
    """Cases that fit the schema, with the ids of real objects or generated ones, and cases that
    do not fit it (a wrong type, a missing field, a value out of range), which must be refused
    with a 4xx, not a 5xx."""
    strategies = [operation.as_strategy()]
    real = ids.get(operation.path)
    if real is not None:
        strategies.insert(0, operation.as_strategy(path_parameters=real))
    if NEGATIVE:
        negative = {"generation_mode": GenerationMode.NEGATIVE}
        if real is not None:
            negative["path_parameters"] = real
        strategies.append(operation.as_strategy(**negative))
    return st.one_of(*strategies)


def _fuzz_operation(operation, ids, headers):
    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @hypothesis.given(case=_strategy(operation, ids))
    def fuzz(case):
        # A savepoint per example: whatever the request wrote is rolled back afterwards.
        with transaction.atomic():
            try:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
            finally:
                transaction.set_rollback(True)

    fuzz()


@pytest.mark.parametrize("persona", ["hr", "head_a"])
def test_api_fuzz(fuzz_world, persona, _keep_connection):
    user = fuzz_world.world.users[persona]
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers=headers
    )
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if ONLY and operation.label not in ONLY:
            continue
        operations += 1
        try:
            _fuzz_operation(operation, fuzz_world.ids, headers)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # collect every operation's failures, then report them all
            failures.append(f"{operation.label} as {persona}:\n{error}")
    assert operations, "no operation was fuzzed"
    assert not failures, "\n\n".join(failures)


# --- What the fuzzer found, pinned ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/inspections/?batch=1.108185430216504e%2B49",  # a 500 on SQLite before
        "/api/v1/inspections/?batch=1.5",
        "/api/v1/payroll-lines/?run=99999999999999999999999",
        "/api/v1/entries/?year=2026.5",
        "/api/v1/explanations/?bulletin=1e30",
    ],
)
def test_integer_filters_refuse_fractions_and_huge_numbers(client_for, url):
    response = client_for("hr").get(url)
    assert response.status_code == 400, response.content
    name = url.split("?")[1].split("=")[0]
    assert name in response.json()


def test_an_unknown_api_path_is_a_json_404_and_a_page_elsewhere(client_for):
    client = client_for("hr")
    response = client.get("/api/v1/institutions/F./")  # no route: a code has no dot
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_error_answers(client_for):
    response = client_for("hr").get("/api/schema/?format=json")
    paths = response.json()["paths"]
    assert set(paths["/api/v1/groups/{id}/"]["get"]["responses"]) >= {"200", "401", "403", "404"}
    assert "400" not in paths["/api/v1/groups/{id}/"]["get"]["responses"]
    assert set(paths["/api/v1/groups/"]["get"]["responses"]) >= {"400", "404"}  # filters, pages
    assert set(paths["/api/v1/groups/"]["post"]["responses"]) >= {"201", "400", "403", "415"}
