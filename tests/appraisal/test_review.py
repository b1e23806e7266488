"""评分需复核 (issue 17): where the scheme says a part's scoring needs review, the indicator points
a scorer or a leader enters are pending until HR approves them (services.entry_decide); a rejected
entry never counts; HR's own count at once. Also the scheme's new options and deadlines.

Over the `year` fixture: C1 安全生产 (common, deduct, max 300, AQ, all institutions); the `scorer`
persona is AQ's. A01's common part is the mean of C1's two halves: 300 untouched, 295.00 with −10
counted in H1.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from appraisal import services, todo
from appraisal.models import (
    Aggregation,
    EntryDecision,
    LedgerEntry,
    Result,
    Scheme,
)
from appraisal.recompute import year_results_recompute
from appraisal.services import ScorerSpec

D = Decimal
API = "/api/v1/"


def _api(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(API + url)
    return getattr(client, method)(API + url, json.dumps(body), content_type="application/json")


@pytest.fixture
def review(year):
    Scheme.objects.filter(pk=year.scheme.pk).update(review_common=True, review_execution=True)
    year.scheme.refresh_from_db()
    return year


def _c1(client, points="-10"):
    return _api(
        client,
        "post",
        "entries/",
        {"year": 2026, "institution": "A01", "kind": "indicator", "indicator": "C1",
         "period": "h1", "points": points, "reason": "安全检查扣分"},
    )  # fmt: skip


def _common(world, year):
    year_results_recompute(scheme_id=year.scheme.pk)
    return Result.objects.get(institution=world.a).common


def test_a_scorers_entry_counts_only_once_hr_approves_it_api(client_for, world, review):
    response = _c1(client_for("scorer"))
    assert response.status_code == 201
    entry = response.json()
    assert (entry["needs_approval"], entry["status"]) == (True, "pending")
    assert _common(world, review) == D("300.00")

    decided = _api(client_for("hr"), "post", f"entries/{entry['id']}/decide/", {"approved": True})
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "counted"
    assert _common(world, review) == D("295.00")


def test_a_rejected_entry_never_counts_and_rejecting_says_why(client_for, world, review):
    entry = _c1(client_for("scorer")).json()
    url = f"entries/{entry['id']}/decide/"
    refused = _api(client_for("hr"), "post", url, {"approved": False})
    assert refused.status_code == 400 and "note" in refused.json()
    assert not EntryDecision.objects.exists()
    rejected = _api(client_for("hr"), "post", url, {"approved": False, "note": "证据不足"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert _common(world, review) == D("300.00")
    again = _api(client_for("hr"), "post", url, {"approved": True})
    assert again.status_code == 400  # decided once, finally


def test_hrs_own_entry_counts_at_once(client_for, world, review):
    entry = _c1(client_for("hr")).json()
    assert (entry["needs_approval"], entry["status"]) == (False, "counted")
    assert _common(world, review) == D("295.00")


def test_without_review_a_scorers_entry_counts_at_once(client_for, world, year):
    entry = _c1(client_for("scorer")).json()
    assert (entry["needs_approval"], entry["status"]) == (False, "counted")
    assert _common(world, year) == D("295.00")


def test_review_is_per_part(client_for, world, review):
    Scheme.objects.filter(pk=review.scheme.pk).update(review_common=False)
    assert _c1(client_for("scorer")).json()["status"] == "counted"


def test_pages_show_pending_and_hr_reviews_on_the_approvals_page(client_for, world, review):
    form = client_for("scorer").get(reverse("appraisal:entry_create", kwargs={"year": 2026}))
    assert form.context["review_parts"] == ["Common goals", "Execution capacity"]
    assert 'data-testid="review-notice"' in form.content.decode()
    hr_form = client_for("hr").get(reverse("appraisal:entry_create", kwargs={"year": 2026}))
    assert hr_form.context["review_parts"] == []
    entry_id = _c1(client_for("scorer")).json()["id"]
    ledger = client_for("scorer").get(reverse("appraisal:ledger", kwargs={"year": 2026}))
    row = next(e for e in ledger.context["page_obj"] if e.pk == entry_id)
    assert row.states[0] == ("pending", "pending review")
    assert 'data-state="pending"' in ledger.content.decode()

    hr = client_for("hr")
    url = reverse("appraisal:approvals")
    proposals = hr.get(url)
    assert [e.pk for e in proposals.context["page_obj"]] == []  # bonus and veto only
    assert proposals.context["reviews_count"] == 1
    reviews = hr.get(url, {"show": "reviews"})
    assert [e.pk for e in reviews.context["page_obj"]] == [entry_id]
    body = reviews.content.decode()
    assert "Scores awaiting review" in body and "安全检查扣分" in body

    data = {"entry": entry_id, "decision": "reject", "confirm": "yes"}
    assert hr.post(url, data).status_code == 400  # a rejection says why
    response = hr.post(url, {**data, "decision": "approve"})
    assert response.status_code == 302 and response["Location"].endswith("?show=reviews")
    assert EntryDecision.objects.get(entry_id=entry_id).approved
    assert [e.pk for e in hr.get(url, {"show": "reviews"}).context["page_obj"]] == []
    assert _common(world, review) == D("295.00")


def test_rejected_on_the_page_never_counts(client_for, world, review):
    entry_id = _c1(client_for("scorer")).json()["id"]
    response = client_for("hr").post(
        reverse("appraisal:approvals"),
        {"entry": entry_id, "decision": "reject", "confirm": "yes", "reason": "不属实"},
    )
    assert response.status_code == 302
    assert EntryDecision.objects.get(entry_id=entry_id).note == "不属实"
    assert _common(world, review) == D("300.00")
    ledger = client_for("hr").get(reverse("appraisal:ledger", kwargs={"year": 2026}))
    row = next(e for e in ledger.context["page_obj"] if e.pk == entry_id)
    assert row.states[0][0] == "rejected"


def test_hr_todo_counts_scores_awaiting_review(client_for, world, review):
    _c1(client_for("scorer"))
    _c1(client_for("scorer"), points="-5")
    items = {i.key: i for i in todo.todo_items(world.users["hr"])}
    assert items["appraisal.reviews"].count == 2
    assert items["appraisal.reviews"].url.endswith("?show=reviews")
    assert items["appraisal.proposals"].count == 0


def test_a_leaders_points_under_review_count_once_approved(client_for, world, review):
    services.indicator_scorers_set(
        actor=world.users["hr"],
        indicator=review.indicators["E1"],
        aggregation=Aggregation.AVERAGE,
        scorers=[ScorerSpec(department=review.dc), ScorerSpec(leader=world.users["leader"])],
    )
    response = _api(
        client_for("leader"),
        "post",
        "entries/",
        {"year": 2026, "institution": "A01", "kind": "indicator", "indicator": "E1",
         "period": "year", "points": "-20", "reason": "督办事项未完成"},
    )  # fmt: skip
    assert response.json()["status"] == "pending"
    year_results_recompute(scheme_id=review.scheme.pk)
    assert Result.objects.get(institution=world.a).execution == D("400.00")
    page = client_for("leader").get(reverse("appraisal:my_results", kwargs={"year": 2026}))
    line = next(ln for ln in page.context["breakdown"] if ln.indicator.code == "E1")
    assert [p.score for p in line.parts] == [D("400.00"), D("400.00")]  # pending: not counted

    entry = LedgerEntry.objects.get(pk=response.json()["id"])
    services.entry_decide(actor=world.users["hr"], entry=entry, approved=True)
    year_results_recompute(scheme_id=review.scheme.pk)
    assert Result.objects.get(institution=world.a).execution == D("390.00")  # (400 + 380) / 2


# --- The scheme's options ------------------------------------------------------------------------


def test_options_and_deadlines_change_while_open_the_points_settings_do_not(client_for, year):
    hr = client_for("hr")
    body = {
        "review_business": True,
        "reports_need_head_approval": False,
        "h1_report_deadline": "2026-07-10",
        "h1_review_deadline": "2026-07-20",
        "h2_report_deadline": "2027-01-10",
        "h2_review_deadline": "2027-01-20",
    }
    response = _api(hr, "patch", "schemes/2026/", body)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["review_business"], data["review_common"]) == (True, False)
    assert data["h2_review_deadline"] == "2027-01-20"
    scheme = Scheme.objects.get(year=2026)
    assert scheme.review_required("business") and not scheme.reports_need_head_approval
    assert scheme.deadlines("h1") == (datetime.date(2026, 7, 10), datetime.date(2026, 7, 20))
    locked = _api(hr, "patch", "schemes/2026/", {"bonus_cap": "30"})
    assert locked.status_code == 400


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"h1_report_deadline": "2026-07-20", "h1_review_deadline": "2026-07-10"},
            "h1_review_deadline",
            "not before the reporting deadline (2026-07-20)",
        ),
        ({"h1_report_deadline": "2027-01-05"}, "h1_report_deadline", "2026-01-01 to 2026-12-31"),
        ({"h2_review_deadline": "2026-06-30"}, "h2_review_deadline", "2026-07-01 to 2027-06-30"),
    ],
)
def test_deadlines_are_checked(client_for, year, body, field, message):
    response = _api(client_for("hr"), "patch", "schemes/2026/", body)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])


def test_the_settings_page_saves_the_options_of_an_open_year(client_for, year):
    scheme = year.scheme
    url = reverse("appraisal:scheme_settings", kwargs={"year": 2026})
    data = {
        name: getattr(scheme, name)
        for name in ("common_max", "business_max", "execution_max", "qualify_line", "veto_line",
                     "bonus_cap", "self_gap_threshold")
    } | {"review_execution": "on", "reports_need_head_approval": "on",
         "h1_report_deadline": "2026-07-05"}  # fmt: skip
    response = client_for("hr").post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    scheme.refresh_from_db()
    assert scheme.review_execution and scheme.h1_report_deadline == datetime.date(2026, 7, 5)
    detail = client_for("scorer").get(reverse("appraisal:scheme_detail", kwargs={"year": 2026}))
    assert 'data-testid="review-parts"' in detail.content.decode()
