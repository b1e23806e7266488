"""Issue 15, parts 4 and 5, on the bulletin pages.

Confirmations: publishing and regenerating a bulletin, reviewing an explanation and changing the
year's early-warning policy each need the dialog's `confirm=yes` (a POST without it is a 400 that
changes nothing); the dialogs say what happens to whom, with counts. The review's note and the
policy's reason travel as the dialog's reason, and the audit trail keeps them.

Sorting: the bulletin list, a bulletin's lines within each group and the explanation requests sort
on the server through their filter sets, and the API lists take the same `ordering`. A veto
deduction reads as a deduction (−30.00)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bulletins import services
from bulletins.models import Bulletin, ExplanationRequest, WarningPolicy
from orgs.models import AuditEvent

from .test_pages import MONDAY, NOV_1, asked, draft, media, pub  # noqa: F401 — fixtures

CONFIRM = {"confirm": "yes"}


def url(name, **kwargs):
    return reverse(f"bulletins:{name}", kwargs=kwargs)


def _dialog(body: str, testid: str) -> str:
    return body.split(f'data-testid="{testid}"')[1].split("</dialog>")[0]


@pytest.fixture
def monthly(ranked):
    """October's monthly bulletin, a draft."""
    return services.bulletin_generate(scheme=ranked.scheme, kind="monthly", day=NOV_1)


# --- Confirmations -------------------------------------------------------------------------------


def test_publishing_says_who_is_asked_by_when_and_needs_the_confirmation(
    client_for, world, monthly
):
    hr = client_for("hr")
    body = hr.get(url("bulletin_detail", pk=monthly.pk)).content.decode()
    dialog = _dialog(body, "bulletin-publish")
    assert "every role sees it — 7 institutions in 2 groups." in dialog
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    assert (
        f"The bottom 2 of each group — 4 units — are asked for an explanation, due {due}:" in dialog
    )
    assert all(f"{code} {code}机构" in dialog for code in ("E01", "F01", "G01"))
    assert "A01 甲机构" in dialog
    assert "A published bulletin never changes, and cannot be withdrawn." in dialog

    response = hr.post(url("bulletin_publish", pk=monthly.pk))
    assert response.status_code == 400
    monthly.refresh_from_db()
    assert monthly.status == Bulletin.Status.DRAFT and not ExplanationRequest.objects.exists()
    assert hr.post(url("bulletin_publish", pk=monthly.pk), CONFIRM).status_code == 302
    monthly.refresh_from_db()
    assert monthly.status == Bulletin.Status.PUBLISHED
    assert ExplanationRequest.objects.filter(bulletin=monthly).count() == 4


def test_a_weekly_bulletin_asks_nobody_and_regenerating_needs_the_confirmation(
    client_for,
    draft,  # noqa: F811
):
    hr = client_for("hr")
    body = hr.get(url("bulletin_detail", pk=draft.pk)).content.decode()
    assert "A weekly bulletin asks nobody for an explanation." in _dialog(body, "bulletin-publish")
    assert "are rebuilt from the current results" in _dialog(body, "bulletin-regenerate")
    events = AuditEvent.objects.count()
    assert hr.post(url("bulletin_regenerate", pk=draft.pk)).status_code == 400
    assert AuditEvent.objects.count() == events
    assert hr.post(url("bulletin_regenerate", pk=draft.pk), CONFIRM).status_code == 302
    assert AuditEvent.objects.filter(action="bulletin.regenerate").count() == 1


def test_reviewing_needs_the_confirmation_and_keeps_the_note(
    client_for,
    world,
    asked,  # noqa: F811
):
    hr = client_for("hr")
    body = hr.get(url("explanation_detail", pk=asked.pk)).content.decode()
    dialog = _dialog(body, "review")
    assert "is marked as reviewed: it no longer changes" in dialog and 'name="reason"' in dialog
    response = hr.post(url("explanation_review", pk=asked.pk), {"reason": "已阅"})
    assert response.status_code == 400
    asked.refresh_from_db()
    assert asked.status == ExplanationRequest.Status.SUBMITTED
    response = hr.post(url("explanation_review", pk=asked.pk), {"reason": "已阅，同意", **CONFIRM})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.review_note) == ("reviewed", "已阅，同意")
    event = AuditEvent.objects.get(action="explanation.review")
    assert event.after["review_note"] == "已阅，同意"


POLICY = {
    "veto_margin": "10",
    "prize_margin": "5",
    "explanation_bottom_n": "1",
    "explanation_days": "10",
}


def test_the_policy_is_reviewed_then_confirmed_with_a_reason(client_for, world, ranked):
    hr = client_for("hr")
    page = url("policy", year=2026)
    # The review says what changes and whom the next monthly bulletin asks, saving nothing.
    body = hr.get(page, {**POLICY, "review": "1"}).content.decode()
    changes = body.split('data-testid="policy-changes"')[1].split("</table>")[0]
    assert "Explanations from the bottom units" in changes and "Days for an explanation" in changes
    assert "Veto line margin" not in changes  # unchanged
    dialog = _dialog(body, "policy-save")
    # E01 (vetoed, last of G1) and G01 (last of G2).
    assert (
        "asks the bottom 1 of each of the 2 groups for an explanation, due 10 days after it is "
        "published: 2 units on today's results." in dialog
    )
    assert 'name="reason"' in dialog and "required" in dialog.split('name="reason"')[1][:40]
    assert not WarningPolicy.objects.exists()
    # The same settings as in force: nothing to confirm.
    same = {**POLICY, "explanation_bottom_n": "2", "explanation_days": "7", "review": "1"}
    assert 'data-testid="policy-unchanged"' in hr.get(page, same).content.decode()

    assert hr.post(page, POLICY).status_code == 400  # no confirmation
    assert hr.post(page, {**POLICY, **CONFIRM}).status_code == 400  # no reason
    assert not WarningPolicy.objects.exists()
    response = hr.post(page, {**POLICY, "reason": "加强末位督导", **CONFIRM})
    assert response.status_code == 302
    policy = WarningPolicy.objects.get()
    assert (policy.explanation_bottom_n, policy.explanation_days) == (1, 10)
    event = AuditEvent.objects.get(action="bulletins.policy")
    assert event.after["reason"] == "加强末位督导"


# --- Sorting -------------------------------------------------------------------------------------


def _lines(body: str) -> dict[str, list[str]]:
    groups = {}
    for chunk in body.split('data-testid="bulletin-group"')[1:]:
        group = re.search(r'data-group="([^"]*)"', chunk).group(1)
        groups[group] = re.findall(r'<tr data-code="(\w+)" data-lagging', chunk)
    return groups


def test_a_bulletin_sorts_its_lines_within_each_group(client_for, world, pub):  # noqa: F811
    hr = client_for("hr")
    page = url("bulletin_detail", pk=pub.pk)
    by_rank = _lines(hr.get(page).content.decode())
    assert list(by_rank.values()) == [["D01", "C01", "A01", "E01"], ["B01", "F01", "G01"]]
    body = hr.get(page, {"ordering": "-total"}).content.decode()
    # By total within each group, the groups in their order; E01's veto is a deduction.
    assert list(_lines(body).values()) == [["D01", "C01", "E01", "A01"], ["B01", "F01", "G01"]]
    e01 = body.split('<tr data-code="E01"')[1].split("</tr>")[0]
    assert 'data-col="veto">\u221230.00<' in e01
    assert 'aria-sort="descending"' in body
    body = hr.get(page, {"ordering": "name"}).content.decode()
    assert next(iter(_lines(body).values())) == ["D01", "E01", "C01", "A01"]  # 丙机构, 甲机构


def test_the_bulletin_list_and_the_explanations_sort_like_their_api(
    client_for,
    world,
    pub,  # noqa: F811
    draft,  # noqa: F811
    asked,  # noqa: F811
):
    hr = client_for("hr")
    body = hr.get(url("bulletin_list"), {"ordering": "period"}).content.decode()
    assert re.findall(r'data-bulletin="(\d+)"', body) == [str(pub.pk), str(draft.pk)]
    body = hr.get(url("bulletin_list"), {"ordering": "-period"}).content.decode()
    assert re.findall(r'data-bulletin="(\d+)"', body) == [str(draft.pk), str(pub.pk)]
    api = hr.get("/api/v1/bulletins/", {"ordering": "period"}).json()["results"]
    assert [b["id"] for b in api] == [pub.pk, draft.pk]

    def explanations(ordering):
        body = hr.get(url("explanation_list"), {"ordering": ordering}).content.decode()
        return re.findall(r'data-explanation="\d+" data-code="(\w+)"', body)

    assert explanations("institution") == ["A01", "E01", "F01", "G01"]
    assert explanations("-institution") == ["G01", "F01", "E01", "A01"]
    # By status in the requests' own order: requested before submitted (A01).
    assert explanations("status")[-1] == "A01" and explanations("-status")[0] == "A01"
    api = hr.get("/api/v1/explanations/", {"ordering": "-institution"}).json()["results"]
    assert [e["institution"] for e in api] == ["G01", "F01", "E01", "A01"]
    assert hr.get("/api/v1/explanations/", {"ordering": "nonsense"}).status_code == 400
