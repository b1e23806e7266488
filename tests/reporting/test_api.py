"""The API (/api/v1/reporting/…): the chain by named POST actions, scoped reads, query counts."""

from decimal import Decimal

from appraisal.models import Result, Target
from appraisal.recompute import year_results_recompute
from reporting.models import Report

from .helpers import api, pdf


def _open(client, year, code="A01"):
    response = client.post(
        api("report-list"), {"year": year.scheme.year, "period": "h1", "institution": code}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_the_chain_through_the_api(world, year, ratio, client_for):
    contact, head, scorer, hr = (client_for(p) for p in ("contact_a", "head_a", "scorer", "hr"))
    report = _open(contact, year)
    items = {i["indicator"]: i for i in report["items"]}
    b3 = items["B3"]
    assert b3["has_figure"] and b3["target_value"] == "1200.0000" and b3["unit"] == "万元"
    assert not items["C1"]["has_figure"]

    # A figure on a note item, a date on a value item: 400 on the field.
    response = contact.post(
        api("item-save", items["C1"]["id"]), {"actual_value": "3"}, content_type="application/json"
    )
    assert response.status_code == 400 and "actual_value" in response.json()
    response = contact.post(
        api("item-save", b3["id"]), {"completed_on": "2026-06-01"}, content_type="application/json"
    )
    assert response.status_code == 400 and "completed_on" in response.json()

    response = contact.post(
        api("item-save", b3["id"]),
        {"actual_value": "600", "note": "营业收入"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["actual_value"] == "600.0000"
    response = contact.post(api("item-evidence", b3["id"]), {"file": pdf()})
    assert response.status_code == 201 and len(response.json()["evidence"]) == 1
    evidence_url = response.json()["evidence"][0]["url"]
    assert contact.get(evidence_url).status_code == 200

    response = contact.post(api("report-submit", report["id"]))
    assert response.json()["status"] == Report.Status.AWAITING_HEAD
    # A replay is refused with a message.
    response = contact.post(api("report-submit", report["id"]))
    assert response.status_code == 400 and "not possible now" in str(response.json())

    # The head returns it, then approves the resubmission.
    response = head.post(api("report-return", report["id"]), {"reason": "请核实"})
    assert response.json()["status"] == Report.Status.RETURNED
    assert head.post(api("report-return", report["id"]), {"reason": ""}).status_code == 400
    contact.post(api("report-submit", report["id"]))
    response = head.post(api("report-approve", report["id"]))
    assert response.json()["status"] == Report.Status.IN_REVIEW

    # 初审 returns, the institution corrects and resubmits, 初审 corrects the figure, 复核 accepts.
    response = scorer.post(
        api("item-first-review", b3["id"]), {"decision": "return", "reason": "与报表不符"}
    )
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert response.json()["return_reason"] == "与报表不符"
    contact.post(
        api("item-save", b3["id"]), {"actual_value": "650"}, content_type="application/json"
    )
    contact.post(api("report-submit", report["id"]))
    head.post(api("report-approve", report["id"]))
    response = scorer.post(
        api("item-first-review", b3["id"]),
        {"decision": "correct", "actual_value": "640", "reason": "以财务系统为准"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["actual_value"] == "640.0000" and response.json()["corrected"]
    assert Target.objects.get(pk=ratio.target.pk).actual_value is None

    year_results_recompute(scheme_id=year.scheme.pk)
    before = Result.objects.get(scheme=year.scheme, institution=world.a).business
    response = hr.post(api("item-second-review", b3["id"]), {"decision": "accept"})
    assert response.status_code == 200 and response.json()["status"] == "checked"
    assert Target.objects.get(pk=ratio.target.pk).actual_value == Decimal("640")
    year_results_recompute(scheme_id=year.scheme.pk)
    assert Result.objects.get(scheme=year.scheme, institution=world.a).business > before
    detail = hr.get(api("report-detail", report["id"])).json()
    assert detail["status"] == Report.Status.CHECKED
    actions = [e["action"] for e in detail["events"]]
    assert "first_correct" in actions and actions[-1] == "checked"
    # Replays after the fact are refused.
    response = hr.post(api("item-second-review", b3["id"]), {"decision": "accept"})
    assert response.status_code == 400


def test_a_scorer_sees_only_their_departments_items(world, year, ratio, client_for):
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    contact = client_for("contact_a")
    report = _open(contact, year)
    items = {i["indicator"]: i for i in report["items"]}
    for code in ("B3", "B1", "E1"):
        contact.post(
            api("item-save", items[code]["id"]),
            {"note": f"{code} 完成"},
            content_type="application/json",
        )
    contact.post(api("report-submit", report["id"]))
    detail = client_for("scorer").get(api("report-detail", report["id"])).json()
    assert [i["indicator"] for i in detail["items"]] == ["B3"]
    assert client_for("scorer").get(api("item-detail", items["B1"]["id"])).status_code == 404


def test_list_query_counts_are_pinned(
    world, year, ratio, client_for, django_assert_max_num_queries
):
    from reporting import services

    from .helpers import report_of

    for period in ("h1", "h2"):
        report_of(world, year, period=period)
        report_of(world, year, institution=world.b, period=period)
        services.report_open(
            actor=world.users["head_a"], scheme=year.scheme, institution=world.a, period=period
        )
    hr = client_for("hr")
    with django_assert_max_num_queries(5):
        response = hr.get(api("report-list"))
    assert response.status_code == 200 and response.json()["count"] == 4
    with django_assert_max_num_queries(5):
        response = hr.get("/reporting/")
    assert response.status_code == 200
    # An institution's page also offers the half-years to open: two queries more.
    contact = client_for("contact_a")
    with django_assert_max_num_queries(7):
        response = contact.get("/reporting/")
    assert (
        response.status_code == 200 and 'data-testid="start-2026-h1"' in response.content.decode()
    )
