"""Who sees what (reporting.access): out of scope is 404 (pages, API, files), a role that may never
act 403. The contact person of B sees nothing of A."""

import pytest

from reporting import services

from .helpers import CONFIRM, api, item, pdf, report_of, url


@pytest.fixture
def a_report(world, year, ratio):
    """A's report with B3 reported (with evidence) and sent to first review; B's report opened."""
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    report = report_of(world, year)
    b3 = item(report, "B3")
    services.item_save(actor=world.users["contact_a"], item=b3, actual_value=600, note="甲")
    evidence = services.evidence_add(actor=world.users["contact_a"], item=b3, file=pdf())
    services.report_submit(actor=world.users["contact_a"], report=report)
    b_report = report_of(world, year, institution=world.b)
    return type("A", (), {"report": report, "b3": b3, "evidence": evidence, "b": b_report})


def test_contact_b_sees_nothing_of_a(world, a_report, client_for):
    client = client_for("contact_b")
    report, b3, evidence = a_report.report, a_report.b3, a_report.evidence
    for path in (
        url("report_detail", report.pk),
        url("item_detail", b3.pk),
        url("evidence", evidence.pk),
        url("report_template", report.pk),
        api("report-detail", report.pk),
        api("item-detail", b3.pk),
    ):
        assert client.get(path).status_code == 404, path
    for path, data in (
        (url("report_submit", report.pk), {}),  # 404 before the confirmation is looked at
        (url("report_submit", report.pk), CONFIRM),
        (url("item_detail", b3.pk), {"actual_value": "1"}),
        (url("report_import", report.pk), {}),
    ):
        assert client.post(path, data).status_code == 404, path
    for path, data in (
        (api("report-submit", report.pk), {}),
        (api("report-approve", report.pk), {}),
        (api("report-return", report.pk), {"reason": "x"}),
        (api("item-save", b3.pk), {"actual_value": "1"}),
        (api("item-evidence", b3.pk), {"file": pdf()}),
        (api("item-first-review", b3.pk), {"decision": "accept"}),
        (api("item-second-review", b3.pk), {"decision": "accept"}),
    ):
        assert client.post(path, data).status_code == 404, path
    # The review steps are not for a contact person's role at all: 403.
    assert client.post(url("item_first_review", b3.pk), CONFIRM).status_code == 403
    # A head of another institution: 404, before the confirmation is looked at.
    assert client_for("head_b").post(url("report_approve", report.pk)).status_code == 404
    # Opening A's report through the form or the API: A is not theirs.
    assert (
        client.post(url("report_start"), {"year": 2026, "period": "h1", "institution": "A01"})
    ).status_code == 404
    assert (
        client.post(
            api("report-list"), {"year": 2026, "period": "h1", "institution": "A01"}
        ).status_code
        == 404
    )
    # B's own only, on the list page and in the API.
    page = client.get(url("report_list")).content.decode()
    assert "B01" in page and 'data-code="A01"' not in page
    listed = client.get(api("report-list")).json()
    assert [r["institution"] for r in listed["results"]] == ["B01"]
    b3.refresh_from_db()
    assert b3.actual_value == 600


def test_who_reads_what(world, a_report, client_for):
    report = a_report.report
    # HR, the auditor, A's head and contact person, and the leader of A read it.
    for persona in ("hr", "auditor", "head_a", "contact_a", "leader"):
        assert client_for(persona).get(url("report_detail", report.pk)).status_code == 200, persona
        assert client_for(persona).get(url("evidence", a_report.evidence.pk)).status_code == 200
    # The scorer of AQ sees the report through B3 (sent up), but not B's report (nothing sent).
    scorer = client_for("scorer")
    assert scorer.get(url("report_detail", report.pk)).status_code == 200
    assert scorer.get(url("report_detail", a_report.b.pk)).status_code == 404
    # The leader of A does not see B; head_b does not see A.
    assert client_for("leader").get(url("report_detail", a_report.b.pk)).status_code == 404
    assert client_for("head_b").get(url("report_detail", report.pk)).status_code == 404
    # Roles with nothing here: 403.
    for persona in ("norole", "acceptance", "payroll", "sysadmin"):
        assert client_for(persona).get(url("report_list")).status_code == 403, persona
        assert client_for(persona).get(api("report-list")).status_code == 403, persona


def test_readers_cannot_act(world, a_report, client_for):
    report, b3 = a_report.report, a_report.b3
    accept = {**CONFIRM, "decision": "accept"}
    # The leader and the auditor read only.
    assert client_for("leader").post(url("item_first_review", b3.pk), accept).status_code == 403
    assert client_for("auditor").post(url("report_submit", report.pk), CONFIRM).status_code == 403
    assert client_for("leader").post(api("report-submit", report.pk)).status_code == 403
    assert client_for("auditor").post(api("item-second-review", b3.pk), accept).status_code == 403
    # HR does not do 初审; a scorer of another department does not see the item.
    assert client_for("hr").post(api("item-first-review", b3.pk), accept).status_code == 403
    # Only the head approves.
    assert client_for("contact_a").post(api("report-approve", report.pk)).status_code == 403


def test_a_contact_person_whose_naming_ended_sees_nothing(world, a_report, client_for):
    from django.utils import timezone

    from orgs.models import ContactPerson

    ContactPerson.objects.filter(user=world.users["contact_a"]).update(
        ended_at=timezone.now(), ended_by=world.users["hr"]
    )
    client = client_for("contact_a")
    assert client.get(url("report_detail", a_report.report.pk)).status_code == 404
    assert client.get(api("report-list")).json()["results"] == []
