"""The audit trail (issue 9): what is recorded (actor, action, object, before/after, client
address), that it is append-only down to the database, and the page, export and API of the
audit administrator and auditors (三员: HR, whose actions it records, no longer reads it)."""

import datetime
import io
import json
from unittest import mock

import openpyxl
import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from orgs import middleware, views
from orgs.middleware import client_address
from orgs.models import AuditEvent
from orgs.services import audit_record

from ..appraisal.conftest import year  # noqa: F401 — fixture: an open 2026 year
from ..payroll.conftest import paid_year  # noqa: F401 — fixture: policies over a published year
from ..personas import PERSONAS, statuses

API = "/api/v1/audit/"
# Who reads the trail:   hr  head_a head_b scorer accept payroll auditor norole
AUDIT_READERS = "403 403 403 403 403 403 200 403"
# The 三员: only the audit administrator reads it.
ADMIN_READERS = {"sysadmin": 403, "secadmin": 403, "auditadmin": 200}


def _record_at(day: str, address: str, **kwargs) -> AuditEvent:
    """audit_record as if called on `day` at 10:00 from a request of `address`."""
    at = timezone.make_aware(datetime.datetime.fromisoformat(f"{day}T10:00:00"))
    token = middleware._client_address.set(address)
    try:
        with mock.patch("django.utils.timezone.now", return_value=at):
            return audit_record(**kwargs)
    finally:
        middleware._client_address.reset(token)


@pytest.fixture
def events(world):
    """Three events by HR and the auditor, of two actions and two object types, at known times
    and addresses."""
    hr, auditor = world.users["hr"], world.users["auditor"]
    return [
        _record_at(
            "2026-03-01",
            "10.0.0.1",
            actor=hr,
            action="institution.update",
            obj=world.a,
            before={"name": "甲", "stage": "pilot"},
            after={"name": "甲机构", "stage": "pilot"},
        ),
        _record_at(
            "2026-03-15",
            "10.0.0.2",
            actor=hr,
            action="group.create",
            obj=world.g1,
            after={"code": "G1"},
        ),
        _record_at(
            "2026-04-02",
            "10.0.0.1",
            actor=auditor,
            action="institution.update",
            obj=world.b,
            after={"x": 1},
        ),
    ]


# --- Access --------------------------------------------------------------------------------------


PAGES = [
    ("orgs:audit_list", {}),
    ("orgs:audit_export", {}),
]


READERS = {**statuses(AUDIT_READERS), **ADMIN_READERS}


@pytest.mark.parametrize("persona", [*PERSONAS, *ADMIN_READERS])
@pytest.mark.parametrize(("name", "kwargs"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_audit_administrator_and_auditors_only(client_for, persona, name, kwargs):
    response = client_for(persona).get(reverse(name, kwargs=kwargs))
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == READERS[persona], persona


@pytest.mark.parametrize("persona", [*PERSONAS, *ADMIN_READERS])
def test_detail_audit_administrator_and_auditors_only(client_for, world, persona):
    event = audit_record(actor=world.users["hr"], action="group.create", obj=world.g1)
    response = client_for(persona).get(reverse("orgs:audit_detail", kwargs={"pk": event.pk}))
    if persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == READERS[persona], persona


def test_detail_of_a_missing_event_is_404(client_for, world):
    assert (
        client_for("auditor").get(reverse("orgs:audit_detail", kwargs={"pk": 999999})).status_code
        == 404
    )


@pytest.mark.parametrize("persona", [*PERSONAS, *ADMIN_READERS])
def test_api_audit_administrator_and_auditors_only(client_for, world, persona):
    event = audit_record(actor=world.users["hr"], action="group.create", obj=world.g1)
    client = client_for(persona)
    for url in (API, f"{API}{event.pk}/"):
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 401
        else:
            assert response.status_code == READERS[persona], (persona, url)


def test_api_is_read_only(client_for, world):
    event = audit_record(actor=world.users["hr"], action="group.create", obj=world.g1)
    client = client_for("auditadmin")
    assert client.post(API, {}).status_code == 405
    assert client.patch(f"{API}{event.pk}/", {}).status_code == 405
    assert client.delete(f"{API}{event.pk}/").status_code == 405
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    "persona",
    ["hr", "auditor", "head_a", "scorer", "payroll", "sysadmin", "secadmin", "auditadmin"],
)
def test_menu_link_for_the_audit_administrator_and_auditors(client_for, persona):
    html = client_for(persona).get(reverse("home")).content.decode()
    assert ('data-testid="nav-audit"' in html) == (persona in ("auditor", "auditadmin"))


# --- The list page -------------------------------------------------------------------------------


def test_list_newest_first_with_details(client_for, events):
    response = client_for("auditor").get(reverse("orgs:audit_list"))
    page = list(response.context["page_obj"])
    assert [e.at for e in page] == sorted((e.at for e in page), reverse=True)
    assert page[0].object_repr == "乙机构"
    html = response.content.decode()
    assert "institution.update" in html and "10.0.0.2" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "hr"}, {"甲机构", "第一组"}),
        ({"actor": "auditor"}, {"乙机构"}),
        ({"action": "group.create"}, {"第一组"}),
        ({"action_prefix": "institution."}, {"甲机构", "乙机构"}),
        ({"object_type": "orgs.assessmentgroup"}, {"第一组"}),
        ({"object_type": "orgs.institution", "object_id": "PLACEHOLDER_A"}, {"甲机构"}),
        ({"date_from": "2026-03-10"}, {"第一组", "乙机构"}),
        ({"date_to": "2026-03-15"}, {"甲机构", "第一组"}),
        ({"date_from": "2026-03-02", "date_to": "2026-04-01"}, {"第一组"}),
        ({"client_address": "10.0.0.1"}, {"甲机构", "乙机构"}),
        ({}, {"甲机构", "第一组", "乙机构"}),
    ],
)
def test_filters_page_and_api(client_for, world, events, query, expected):
    query = {k: (str(world.a.pk) if v == "PLACEHOLDER_A" else v) for k, v in query.items()}
    page = client_for("auditadmin").get(reverse("orgs:audit_list"), query)
    assert {e.object_repr for e in page.context["page_obj"]} == expected
    api = client_for("auditor").get(API, query)
    assert api.status_code == 200
    assert {row["object_repr"] for row in api.json()["results"]} == expected


def test_action_choices_are_the_actions_in_use(client_for, events):
    form = client_for("auditor").get(reverse("orgs:audit_list")).context["filter"].form
    actions = [value for value, _ in form.fields["action"].choices if value]
    assert actions == ["group.create", "institution.update"]
    bad = client_for("auditor").get(API, {"action": "nope.never"})
    assert bad.status_code == 400


def test_list_paginates_by_50(client_for, world):
    hr = world.users["hr"]
    for i in range(60):
        audit_record(actor=hr, action="group.update", obj=world.g1, after={"i": i})
    client = client_for("auditor")
    first = client.get(reverse("orgs:audit_list"))
    assert len(first.context["page_obj"]) == 50
    assert first.context["page_obj"].paginator.count == 60
    second = client.get(reverse("orgs:audit_list"), {"page": 2})
    assert len(second.context["page_obj"]) == 10


def test_list_query_count_is_fixed(client_for, world, django_assert_num_queries):
    hr = world.users["hr"]
    client = client_for("auditor")
    url = reverse("orgs:audit_list")
    for i in range(5):
        audit_record(actor=hr, action="group.update", obj=world.g1, after={"i": i})
    client.get(url)  # warm the session
    # session, user, actions in use, object types in use, count, page rows (with their actors)
    with django_assert_num_queries(6):
        client.get(url)
    for i in range(55):
        actor = world.users["auditor" if i % 2 else "hr"]
        audit_record(actor=actor, action=f"x{i % 7}.update", obj=world.a, after={"i": i})
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["page_obj"]) == 50


def test_detail_shows_before_and_after_side_by_side(client_for, events, world):
    event = AuditEvent.objects.get(action="institution.update", object_id=str(world.a.pk))
    response = client_for("auditor").get(reverse("orgs:audit_detail", kwargs={"pk": event.pk}))
    changes = {c.key: c for c in response.context["changes"]}
    assert changes["name"].changed and changes["name"].before == "甲"
    assert changes["name"].after == "甲机构"
    assert not changes["stage"].changed
    html = response.content.decode()
    assert 'data-key="name" class="changed"' in html
    assert "10.0.0.1" in html


def test_detail_of_an_event_with_a_list(client_for, world):
    event = audit_record(
        actor=world.users["hr"], action="x.y", obj=world.g1, before=[1, 2], after=[1, 2, 3]
    )
    response = client_for("auditor").get(reverse("orgs:audit_detail", kwargs={"pk": event.pk}))
    assert response.status_code == 200
    assert response.context["changes"] is None
    assert "[1, 2, 3]" in response.content.decode()


# --- The export ----------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_export_holds_the_filtered_events(client_for, world, events):
    rows = _sheet(client_for("auditor").get(reverse("orgs:audit_export"), {"actor": "hr"}))
    header, *body = rows
    assert header[:4] == ["时间", "操作人账号", "操作人", "操作"]
    assert [r[3] for r in body] == ["group.create", "institution.update"]  # newest first
    first = body[1]
    assert first[0] == datetime.datetime(2026, 3, 1, 10, 0)  # local time
    assert first[1] == "hr"
    assert first[4:8] == ["orgs.institution", str(world.a.pk), "甲机构", "10.0.0.1"]
    assert json.loads(first[8]) == {"name": "甲", "stage": "pilot"}
    assert json.loads(first[9]) == {"name": "甲机构", "stage": "pilot"}
    everything = _sheet(client_for("auditadmin").get(reverse("orgs:audit_export")))
    assert len(everything) == 4


def test_export_refuses_too_many_rows(client_for, events, monkeypatch):
    monkeypatch.setattr(views, "AUDIT_EXPORT_MAX_ROWS", 1)
    client = client_for("auditor")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the message is checked by its English text
    response = client.get(reverse("orgs:audit_export"), {"action_prefix": "institution."})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('orgs:audit_list')}?action_prefix=institution."
    page = client.get(response["Location"])
    message = str(next(iter(page.context["messages"])))
    assert message.startswith("2 events match: an export holds at most 1.")
    assert page.context["page_obj"].paginator.count == 2  # the list keeps the filters
    assert _sheet(client.get(reverse("orgs:audit_export"), {"action": "group.create"}))


# --- The client address --------------------------------------------------------------------------


def _create_institution(client, code="N01", **extra):
    return client.post(
        reverse("orgs:institution_create"),
        {"code": code, "name": "新机构", "stage": "setup", "formal_headcount": 3},
        **extra,
    )


def test_address_recorded_through_a_request(client_for, world):
    response = _create_institution(client_for("hr"), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302, response.content
    event = AuditEvent.objects.get(action="institution.create")
    assert event.client_address == "192.0.2.7"
    assert event.actor == world.users["hr"]


def test_forwarded_for_ignored_by_default(client_for, world):
    _create_institution(
        client_for("hr"), REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert AuditEvent.objects.get(action="institution.create").client_address == "10.1.1.1"


def test_forwarded_for_honoured_behind_a_trusted_proxy(client_for, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _create_institution(
        client_for("hr"), REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert AuditEvent.objects.get(action="institution.create").client_address == "198.51.100.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.9"),
        (1, "203.0.113.5", "203.0.113.5"),
        # The client wrote the left-most entry itself; the proxy appended what it saw.
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.3", "203.0.113.5"),
        (1, "", "10.0.0.9"),  # not through the proxy
        (2, "203.0.113.5", "10.0.0.9"),  # fewer entries than proxies
        (1, "not-an-address", "10.0.0.9"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_rules(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_no_address_outside_a_request(world):
    event = audit_record(actor=None, action="group.create", obj=world.g1)
    assert event.client_address is None


# --- Completeness: each door writes exactly one event, with its actor and address ----------------


def _api(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


CHANGES = {
    "institution page": (
        "hr",
        "institution.create",
        lambda c, w: _create_institution(c, REMOTE_ADDR="192.0.2.1"),
    ),
    "institution edit page": (
        "hr",
        "institution.update",
        lambda c, w: c.post(
            reverse("orgs:institution_edit", kwargs={"code": "A01"}),
            {
                "code": "A01",
                "name": "甲机构（新）",
                "group": w.g1.pk,
                "head": w.users["head_a"].pk,
                "is_pilot": "on",
                "stage": "trial",
                "formal_headcount": 5,
            },
            REMOTE_ADDR="192.0.2.1",
        ),
    ),
    "institution API": (
        "hr",
        "institution.create",
        lambda c, w: _api(c, "post", "/api/v1/institutions/", {"code": "N02", "name": "新二"}),
    ),
    "group API": (
        "hr",
        "group.update",
        lambda c, w: _api(c, "patch", f"/api/v1/groups/{w.g1.pk}/", {"name": "第一组（新）"}),
    ),
    "ledger API": (
        "scorer",
        "ledger.create",
        lambda c, w: _api(
            c,
            "post",
            "/api/v1/entries/",
            {
                "year": 2026,
                "institution": "A01",
                "kind": "indicator",
                "indicator": "C1",
                "period": "h2",
                "points": "-2.50",
                "reason": "隐患整改不及时",
            },
        ),
    ),
    "pay policy API": (
        "hr",
        "payroll.policy",
        lambda c, w: _api(
            c,
            "post",
            "/api/v1/pay-policies/",
            {
                "year": 2028,
                "institution": "A01",
                "per_capita": "36000.00",
                "basic_ratio": "0.600",
                "settlement_month": "2029-03",
            },
        ),
    ),
    "payroll compute API": (
        "payroll",
        "payroll.compute",
        lambda c, w: _api(
            c, "post", "/api/v1/payroll-runs/compute/", {"institution": "A01", "month": "2026-02"}
        ),
    ),
}


# Doors that need pay policies over a published year; the others an open year (the ledger).
NEEDS_PAID_YEAR = {"pay policy API", "payroll compute API"}


@pytest.mark.parametrize("door", CHANGES)
def test_every_change_is_audited_once(request, client_for, world, door):
    request.getfixturevalue("paid_year" if door in NEEDS_PAID_YEAR else "year")
    persona, action, change = CHANGES[door]
    client = client_for(persona)
    client.defaults["REMOTE_ADDR"] = "192.0.2.1"
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = change(client, world)
    # A page redirects after a change (200 would be the form again, with errors).
    expected = (200, 201) if door.endswith("API") else (302,)
    assert response.status_code in expected, response.content
    new = AuditEvent.objects.exclude(pk__in=before)
    assert [e.action for e in new] == [action]
    event = new.get()
    assert event.actor == world.users[persona]
    assert event.client_address == "192.0.2.1"
    assert event.after is not None


def test_payroll_compute_records_before_and_after(world, paid_year):  # noqa: F811
    from payroll.models import PayrollRun
    from payroll.services import payroll_run_compute

    month = datetime.date(2026, 2, 1)
    run = payroll_run_compute(actor=None, institution=world.a, month=month)
    payroll_run_compute(actor=world.users["hr"], institution=world.a, month=month)
    (first,) = AuditEvent.objects.filter(action="payroll.compute")  # the same again: no event
    assert first.before is None and first.actor is None
    assert first.after["lines"] == run.lines.count()
    PayrollRun.objects.filter(pk=run.pk).update(total_gross=0)  # as if its inputs had changed
    payroll_run_compute(actor=world.users["hr"], institution=world.a, month=month)
    second = AuditEvent.objects.filter(action="payroll.compute").latest("id")
    assert second.before["total_gross"] == "0.00"
    assert second.after["total_gross"] == first.after["total_gross"]
    assert second.actor == world.users["hr"]


# --- Append-only ---------------------------------------------------------------------------------


def test_model_and_queryset_refuse_changes(world):
    event = audit_record(actor=world.users["hr"], action="group.create", obj=world.g1)
    event.action = "group.delete"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(RuntimeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "group.create"


def test_database_refuses_update(world):
    event = audit_record(actor=world.users["hr"], action="group.create", obj=world.g1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE orgs_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "group.create"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite refuses DELETE in the model only (the test runner empties tables with DELETE)",
)
def test_database_refuses_delete(world):
    event = audit_record(actor=world.users["hr"], action="group.create", obj=world.g1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM orgs_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- Accounts and roles (Django admin, superusers) ------------------------------------------------


def test_admin_role_change_is_audited(client, world):
    from ..factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    user = world.users["norole"]
    url = reverse("admin:orgs_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in (
            (name, form[name].value()) for name in form.fields if name != "password"
        )
        if value is not None
    }
    for split in ("last_login", "date_joined"):
        when = data.pop(split, None)
        if when:
            local = timezone.localtime(when)
            data[f"{split}_0"], data[f"{split}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
    data |= {"role": "payroll", "payroll_institutions": [world.a.pk]}
    response = client.post(url, data, REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="user.update")
    assert event.actor == admin
    assert event.client_address == "192.0.2.9"
    assert (event.before["role"], event.after["role"]) == ("", "payroll")
    assert (event.before["payroll_institutions"], event.after["payroll_institutions"]) == (
        [],
        [world.a.pk],
    )
