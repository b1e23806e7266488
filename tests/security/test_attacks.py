"""Issue 9's acceptance checks, as an attacker would try them through the real doors (pages and
API): read another institution's data, edit a locked year, a signed letter or a confirmed payroll.
Each attempt is refused, and the database is left exactly as it was: every row of every table of
the project, fingerprinted before and after. (Hostile workbooks: tests/security/test_uploads.py;
every route × persona: test_permission_matrix.py.)"""

import hashlib
import json

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from appraisal.models import Scheme
from letters import services as letters
from letters.models import Letter
from payroll.models import PayrollLine, PayrollRun

from ..factories import PASSWORD
from .world import build_matrix_world

PROJECT_APPS = ("orgs", "appraisal", "payroll", "letters", "acceptance", "bulletins", "dashboard")
API = "/api/v1/"


def fingerprint() -> dict[str, str]:
    """A digest of every row of every project table (the audit trail included)."""
    digests = {}
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            # Signing in stamps User.last_login and User.session_key (orgs.sessions): that is the
            # attempt's own trace, not a change.
            fields = [
                f.attname
                for f in model._meta.concrete_fields
                if f.name not in ("last_login", "session_key")
            ]
            rows = list(model.objects.order_by("pk").values_list(*fields))
            digests[model._meta.label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


@pytest.fixture
def mw(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    return build_matrix_world()


def as_(mw, persona: str) -> Client:
    client = Client()
    client.force_login(mw.users[persona])
    return client


def send(client: Client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def refused(response) -> bool:
    return response.status_code in (400, 403, 404, 405)


def test_head_of_b_reads_nothing_of_a(mw):
    """Every way to A01's data, by id, by code, by filter and by file, answers 404 or 403 to the
    head of B01 and shows nothing of A01; lists simply do not contain it."""
    client = as_(mw, "head_b")
    a = mw.a
    direct = [
        reverse("orgs:institution_detail", kwargs={"code": a.code}),
        reverse("orgs:institution_employees", kwargs={"code": a.code}),
        reverse("orgs:institution_employees_export", kwargs={"code": a.code}),
        reverse("appraisal:evidence", kwargs={"pk": mw.entry.pk}),
        reverse("appraisal:appeal_detail", kwargs={"pk": mw.appeal.pk}),
        reverse("appraisal:appeal_evidence", kwargs={"pk": mw.appeal.pk}),
        reverse("letters:letter_detail", kwargs={"pk": mw.letter.pk}),
        reverse("letters:letter_download", kwargs={"pk": mw.letter.pk}),
        reverse("payroll:run_detail", kwargs={"pk": mw.run.pk}),
        reverse("dashboard:portal", kwargs={"year": 2026, "code": a.code}),
        f"{API}institutions/{a.code}/",
        f"{API}employees/{mw.employee.pk}/",
        f"{API}entries/{mw.entry.pk}/",
        f"{API}appeals/{mw.appeal.pk}/",
        f"{API}letters/{mw.letter.pk}/",
        f"{API}payroll-runs/{mw.run.pk}/",
        f"{API}targets/{mw.target.pk}/",
        f"{API}dashboard/2026/institutions/{a.code}/",
    ]
    for url in direct:
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert a.name not in response.content.decode(errors="replace"), url
    staff = set(a.employees.values_list("staff_number", flat=True))
    for url in [
        f"{API}institutions/",
        f"{API}entries/?institution={a.code}",
        f"{API}employees/?institution={a.code}",
        f"{API}results/?year=2026",
        f"{API}letters/?institution={a.code}",
    ]:
        response = client.get(url)
        assert response.status_code in (200, 400, 403), (url, response.status_code)
        body = response.content.decode()
        assert a.code not in body and a.name not in body, url
        assert not any(number in body for number in staff), url


def test_head_of_b_writes_nothing_for_a(mw):
    before = fingerprint()
    client = as_(mw, "head_b")
    attempts = [
        send(
            client,
            "post",
            f"{API}entries/",
            {
                "year": 2026,
                "institution": mw.a.code,
                "kind": "indicator",
                "indicator": "C1",
                "period": "h2",
                "points": "5",
                "reason": "替别人自评",
                "is_official": False,
            },
        ),
        send(client, "post", f"{API}entries/{mw.entry.pk}/reverse/", {"reason": "删掉"}),
        send(client, "post", f"{API}letters/{mw.letter.pk}/sign/", {"password": PASSWORD}),
        send(client, "post", f"{API}appeals/{mw.appeal.pk}/answer/", {"accepted": True}),
        client.post(
            reverse("appraisal:appeal_create", kwargs={"pk": mw.entry.pk}), {"reasons": "x"}
        ),
        client.post(
            reverse("letters:letter_sign", kwargs={"pk": mw.letter.pk}), {"password": PASSWORD}
        ),
    ]
    assert all(refused(r) for r in attempts), [r.status_code for r in attempts]
    assert fingerprint() == before


def test_a_locked_year_takes_no_change_from_anyone(mw):
    Scheme.objects.filter(pk=mw.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    before = fingerprint()
    for persona in ("hr", "scorer", "head_a"):
        client = as_(mw, persona)
        attempts = [
            send(
                client,
                "post",
                f"{API}entries/",
                {
                    "year": 2026,
                    "institution": mw.a.code,
                    "kind": "indicator",
                    "indicator": "C1",
                    "period": "h2",
                    "points": "-1",
                    "reason": "锁定后补录",
                    "is_official": persona != "head_a",
                },
            ),
            send(client, "post", f"{API}entries/{mw.entry.pk}/reverse/", {"reason": "锁定后撤销"}),
            send(client, "patch", f"{API}targets/{mw.target.pk}/", {"target_value": "1"}),
            send(client, "patch", f"{API}schemes/2026/", {"qualify_line": "100"}),
            client.post(
                reverse("appraisal:entry_reverse", kwargs={"pk": mw.entry.pk}),
                {"reason": "锁定后撤销"},
            ),
            client.post(
                reverse("appraisal:scheme_settings", kwargs={"year": 2026}), {"qualify_line": "100"}
            ),
            client.post(
                reverse("appraisal:entry_create", kwargs={"year": 2026}),
                {
                    "institution": mw.a.pk,
                    "kind": "indicator",
                    "indicator": mw.entry.indicator_id,
                    "period": "h2",
                    "points": "-1",
                    "reason": "锁定后补录",
                },
            ),
        ]
        for response in attempts:
            # Pages answer a refused form with the form again (200) or a redirect with a message;
            # what matters is that nothing at all changed.
            assert response.status_code < 500, (persona, response.status_code)
        assert fingerprint() == before, persona


def test_a_signed_letter_stays_as_signed(mw):
    letter = letters.letter_sign(
        actor=mw.users["head_a"], letter=mw.letter, password=PASSWORD, client_address="10.0.0.1"
    )
    assert letters.letter_verify(letter)
    signed = Letter.objects.filter(pk=letter.pk).values().get()
    before = fingerprint()
    for persona in ("hr", "head_a", "head_b", "auditor"):
        client = as_(mw, persona)
        url = f"{API}letters/{letter.pk}/"
        for response in (
            send(client, "patch", url, {"content": {"targets": []}, "holder_name": "冒名"}),
            send(client, "put", url, {"content": {}}),
            send(client, "delete", url),
            send(client, "post", f"{url}sign/", {"password": PASSWORD}),
        ):
            assert response.status_code in (200, 400, 403, 404, 405), (persona, response)
    # Signing a signed letter again (its own head) answers with it and changes nothing.
    assert fingerprint() == before
    assert Letter.objects.filter(pk=letter.pk).values().get() == signed
    assert letters.letter_verify(Letter.objects.get(pk=letter.pk))


def test_a_confirmed_payroll_stays_as_confirmed(mw):
    run = PayrollRun.objects.get(pk=mw.run.pk)
    assert run.status == PayrollRun.Status.CONFIRMED
    lines = list(PayrollLine.objects.filter(run=run).order_by("pk").values())
    before = fingerprint()
    for persona in ("hr", "payroll", "head_a", "auditor"):
        client = as_(mw, persona)
        attempts = [
            client.post(reverse("payroll:run_recompute", kwargs={"pk": run.pk})),
            client.post(reverse("payroll:run_confirm", kwargs={"pk": run.pk})),
            send(client, "patch", f"{API}payroll-runs/{run.pk}/", {"status": "draft"}),
            send(client, "delete", f"{API}payroll-runs/{run.pk}/"),
            send(
                client,
                "post",
                f"{API}payroll-runs/compute/",
                {"institution": mw.a.code, "month": "2026-10"},
            ),
            send(client, "patch", f"{API}payroll-lines/{lines[0]['id']}/", {"gross": "999999"}),
        ]
        for response in attempts:
            assert response.status_code < 500, (persona, response.status_code)
    assert fingerprint() == before
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.CONFIRMED
    assert list(PayrollLine.objects.filter(run=run).order_by("pk").values()) == lines
