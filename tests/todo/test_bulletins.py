"""bulletins/todo.py: a head's explanation requests to answer (overdue ones as dangers), HR's
submitted explanations to review and overdue requests to chase; exact, scoped, linked.

The `ranked` results of tests/bulletins/conftest.py; October's monthly bulletin published asks
A01, E01, F01 and G01 to explain (A01's head is `head_a`; B01 is not asked)."""

import datetime

import pytest
from django.utils import timezone

from bulletins import services
from bulletins.models import ExplanationRequest
from bulletins.todo import todo_items

from .conftest import by_key, counts

NOV_1 = datetime.date(2026, 11, 1)


@pytest.fixture
def pub(world, ranked):
    bulletin = services.bulletin_generate(scheme=ranked.scheme, kind="monthly", day=NOV_1)
    return services.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)


def listed(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return {x.institution.code for x in response.context["page_obj"]}


def test_requested_submitted_reviewed(client_for, world, pub):
    users = world.users
    today = timezone.localdate()
    item = by_key(todo_items(users["head_a"]))["bulletins.answer"]
    assert (item.count, item.menu, item.level) == (1, "explanations", "info")
    assert listed(client_for("head_a"), item.url) == {"A01"}
    assert counts(todo_items(users["head_b"])) == {}
    assert counts(todo_items(users["hr"])) == {}  # asked, not yet answered nor late

    request = ExplanationRequest.objects.get(bulletin=pub, institution=world.a)
    services.explanation_submit(actor=users["head_a"], request=request, text="正在整改")
    assert counts(todo_items(users["head_a"])) == {}
    review = by_key(todo_items(users["hr"]))["bulletins.review"]
    assert review.count == 1
    assert listed(client_for("hr"), review.url) == {"A01"}

    services.explanation_review(actor=users["hr"], request=request, note="已阅")
    assert counts(todo_items(users["hr"], today=today)) == {}


def test_overdue_requests(client_for, world, pub, monkeypatch):
    due = ExplanationRequest.objects.get(bulletin=pub, institution=world.a).due_on
    late = due + datetime.timedelta(days=1)
    head = by_key(todo_items(world.users["head_a"], today=late))
    assert "bulletins.answer" not in counts(list(head.values()))
    overdue = head["bulletins.overdue"]
    assert (overdue.count, overdue.level) == (1, "danger")
    hr = by_key(todo_items(world.users["hr"], today=late))["bulletins.overdue"]
    assert (hr.count, hr.level) == (4, "warning")
    # The list's `overdue` filter reads today from timezone.localdate().
    monkeypatch.setattr(timezone, "localdate", lambda *args: late)
    assert listed(client_for("head_a"), overdue.url) == {"A01"}
    assert listed(client_for("hr"), hr.url) == {"A01", "E01", "F01", "G01"}
    assert counts(todo_items(world.users["head_b"], today=late)) == {}


@pytest.mark.parametrize(
    "persona, queries", [("hr", 1), ("head_a", 1), ("auditor", 0), ("scorer", 0)]
)
def test_one_query(world, pub, django_assert_num_queries, persona, queries):
    with django_assert_num_queries(queries):
        todo_items(world.users[persona])
