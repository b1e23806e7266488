"""acceptance/todo.py: HR's inspections waiting for a decision in the batches under way, a team
member's inspections to do in their teams' batches, a head's weekly report of the week; exact,
scoped, linked.

The `pilots` of tests/acceptance/conftest.py: P01…P09 (heads for P01 and P02), a team of the
`acceptance` persona and HR. A01 and B01 of the `world` are pilots too."""

import datetime

import pytest
from django.urls import reverse

from acceptance import services
from acceptance.models import Team
from acceptance.todo import todo_items
from orgs.models import Role, User

from ..factories import UserFactory
from .conftest import by_key, counts

MONDAY = datetime.date(2026, 11, 16)


def batch(world, pilots, name, institutions, team=None):
    return services.batch_create(
        actor=world.users["hr"], name=name, team=team or pilots.team,
        date=datetime.date(2026, 11, 20), institutions=institutions,
    )  # fmt: skip


def test_inspections_to_do_and_to_decide(client_for, world, pilots):
    first = batch(world, pilots, "第一批", pilots.institutions[:5])
    hr, member = world.users["hr"], world.users["acceptance"]
    # Planned: the team prepares its inspections; nothing is for HR to decide yet.
    item = by_key(todo_items(member))["acceptance.inspect"]
    assert (item.count, item.menu) == (5, "acceptance")
    assert item.url == reverse("acceptance:batch_detail", args=[first.pk])
    assert client_for("acceptance").get(item.url).status_code == 200
    assert counts(todo_items(hr)) == {}

    services.batch_start(actor=hr, batch=first)
    assert counts(todo_items(hr)) == {"acceptance.decide": 5}
    assert counts(todo_items(member)) == {"acceptance.inspect": 5}
    inspection = first.inspections.order_by("institution__code").first()
    services.inspection_decide(actor=hr, inspection=inspection, passed=False, note="未按期发放")
    assert counts(todo_items(hr)) == {"acceptance.decide": 4}
    assert counts(todo_items(member)) == {"acceptance.inspect": 4}
    assert client_for("hr").get(by_key(todo_items(hr))["acceptance.decide"].url).status_code == 200


def test_a_member_counts_only_the_batches_of_their_teams(client_for, world, pilots):
    other_member = UserFactory(username="acc2", role=Role.ACCEPTANCE)
    other_team = Team.objects.create(name="第二验收组")
    other_team.members.set([other_member])
    batch(world, pilots, "第一批", pilots.institutions[:5])
    second = batch(world, pilots, "第二批", [*pilots.institutions[5:9], world.a], team=other_team)
    assert counts(todo_items(world.users["acceptance"])) == {"acceptance.inspect": 5}
    assert counts(todo_items(other_member)) == {"acceptance.inspect": 5}
    # Two batches for HR: the batch list, each with its pending count.
    for b in (second, *pilots.team.batches.all()):
        services.batch_start(actor=world.users["hr"], batch=b)
    item = by_key(todo_items(world.users["hr"]))["acceptance.decide"]
    assert item.count == 10 and item.url == reverse("acceptance:batch_list")
    assert client_for("hr").get(item.url).status_code == 200


def test_weekly_report_of_the_week(client_for, world, pilots):
    head = User.objects.get(username="head_p01")
    item = by_key(todo_items(head, today=MONDAY))["acceptance.weekly_report"]
    assert (item.count, item.menu, item.level) == (1, "weekly_reports", "info")
    assert item.detail == "week of 2026-11-16"
    assert (
        by_key(todo_items(head, today=MONDAY + datetime.timedelta(days=4)))
        .get("acceptance.weekly_report")
        .level
        == "warning"
    )  # Friday
    due = {"acceptance.weekly_report": 1}
    assert counts(todo_items(world.users["head_a"], today=MONDAY)) == due
    services.weekly_report_submit(
        actor=head, institution=pilots.institutions[0], day=MONDAY, stage="acceptance", progress=60
    )
    assert counts(todo_items(head, today=MONDAY)) == {}
    assert counts(todo_items(head, today=MONDAY + datetime.timedelta(days=7))) == {
        "acceptance.weekly_report": 1
    }
    # B01's head is not told of P01's report, nor A01's.
    assert counts(todo_items(world.users["head_b"], today=MONDAY)) == due
    assert client_for("head_a").get(item.url).status_code == 200


def test_a_head_of_an_institution_not_in_rollout_reports_nothing(world, pilots):
    head_c = UserFactory(username="head_c", role=Role.HEAD)
    world.c.head = head_c
    world.c.save(update_fields=["head"])
    assert counts(todo_items(head_c, today=MONDAY)) == {}


@pytest.mark.parametrize(
    "persona, queries", [("hr", 1), ("acceptance", 1), ("head_a", 1), ("payroll", 0)]
)
def test_one_query(world, pilots, django_assert_num_queries, persona, queries):
    batch(world, pilots, "第一批", pilots.institutions[:5])
    with django_assert_num_queries(queries):
        todo_items(world.users[persona], today=MONDAY)
