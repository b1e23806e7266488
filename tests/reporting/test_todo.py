"""待办 and overdue rules (reporting.todo) and the overdue notification."""

import datetime

from orgs import todo
from orgs.models import Notification
from reporting import services
from reporting.todo import todo_items

from .helpers import item, report_of

TODAY = datetime.date(2026, 7, 20)


def _items(user):
    return {i.key: i for i in todo_items(user, today=TODAY) if i.count}


def test_overdue_report_is_a_danger_todo(world, year, ratio):
    year.scheme.h1_report_deadline = datetime.date(2026, 7, 15)
    year.scheme.save()
    contact = world.users["contact_a"]
    # No report yet, deadline passed: overdue for A's people (and B's), nobody else's.
    overdue = _items(contact)["reporting.overdue"]
    assert overdue.count == 1 and overdue.level == "danger" and overdue.menu == "reporting"
    assert "reporting.overdue" in _items(world.users["head_b"])
    assert "reporting.overdue" not in _items(world.users["hr"])
    report = report_of(world, year)
    assert _items(contact)["reporting.draft"].count == 1
    # The overdue notification, once per report and deadline.
    assert services.reports_overdue_notify(today=TODAY) >= 1
    assert Notification.objects.filter(recipient=contact, kind="reporting.overdue").count() == 1
    services.reports_overdue_notify(today=TODAY)
    assert Notification.objects.filter(recipient=contact, kind="reporting.overdue").count() == 1
    # Submitted (to the head): no longer overdue; the head has one to approve.
    services.item_save(actor=contact, item=item(report, "C1"), note="已完成")
    services.report_submit(actor=contact, report=report)
    assert "reporting.overdue" not in _items(contact)
    assert _items(world.users["head_a"])["reporting.awaiting_head"].count == 1


def test_review_todos_and_review_overdue(world, year, ratio):
    year.scheme.h1_review_deadline = datetime.date(2026, 7, 15)
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    contact = world.users["contact_a"]
    report = report_of(world, year)
    services.item_save(actor=contact, item=item(report, "B3"), actual_value=5)
    services.report_submit(actor=contact, report=report)
    scorer = _items(world.users["scorer"])
    assert scorer["reporting.first_review"].count == 1
    assert scorer["reporting.review_overdue"].level == "danger"
    services.item_first_review(
        actor=world.users["scorer"], item=item(report, "B3"), decision="accept"
    )
    assert "reporting.first_review" not in _items(world.users["scorer"])
    assert _items(world.users["hr"])["reporting.second_review"].count == 1
    # Registered: the home page's 待办 gathers it.
    assert "reporting" in todo.providers()
    keys = [i.key for i in todo.todo_for(world.users["hr"])]
    assert "reporting.second_review" in keys


def test_no_deadline_no_overdue_and_few_queries(world, year, ratio, django_assert_max_num_queries):
    report_of(world, year)
    report_of(world, year, period="h2")
    with django_assert_max_num_queries(2):
        items = _items(world.users["contact_a"])
    assert "reporting.overdue" not in items and items["reporting.draft"].count == 2
    with django_assert_max_num_queries(2):
        assert _items(world.users["head_a"])["reporting.draft"].count == 2
    for persona in ("hr", "scorer"):
        with django_assert_max_num_queries(1):
            todo_items(world.users[persona], today=TODAY)
    assert todo_items(world.users["auditor"]) == []


def test_the_overdue_task_tells_each_report_once(world, year, ratio):
    from reporting.tasks import notify_overdue_reports

    year.scheme.h1_report_deadline = datetime.date(2026, 7, 15)
    year.scheme.save()
    report_of(world, year)
    assert notify_overdue_reports(TODAY.isoformat()) == 2  # A's contact person and head
    assert notify_overdue_reports(TODAY.isoformat()) == 0
    assert notify_overdue_reports("2026-07-01") == 0  # before the deadline
