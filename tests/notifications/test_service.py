"""orgs.notifications: who gets a notification, in what words, in how many queries, and that a
rolled-back change notifies nobody."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext_lazy

from orgs import notifications
from orgs.models import Notification, Role
from orgs.services import system_user

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

TITLE = gettext_lazy("A payroll run to export")


def _notify(recipients, **kwargs):
    values = {
        "recipients": recipients,
        "kind": "test.kind",
        "title": "标题",
        "text": "正文",
        "link": "/letters/1/",
    }
    return notifications.notify(**(values | kwargs))


def _inserts(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "orgs_notification"')]


def test_one_notification_per_recipient_without_the_actor_or_inactive_users(world):
    users = world.users
    gone = UserFactory(username="gone", role=Role.HR, is_active=False)
    made = _notify(
        [users["hr"], users["head_a"], users["head_a"], users["scorer"], gone],
        actor=users["scorer"],
    )
    assert sorted(n.recipient.username for n in made) == ["head_a", "hr"]
    assert Notification.objects.count() == 2
    n = Notification.objects.get(recipient=users["head_a"])
    assert (n.kind, n.title, n.text, n.link, n.read_at) == (
        "test.kind", "标题", "正文", "/letters/1/", None
    )  # fmt: skip


def test_the_system_account_is_never_notified(world):
    system = system_user()  # an HR role that commands act as; nobody logs in as it
    assert system not in notifications.hr_users()
    assert _notify([system, world.users["hr"]])[0].recipient == world.users["hr"]
    assert not Notification.objects.filter(recipient=system).exists()


def test_many_recipients_are_one_insert(world, django_assert_num_queries):
    people = [UserFactory(username=f"p{i}", role=Role.HEAD) for i in range(60)]
    with django_assert_num_queries(1):  # the INSERT, nothing per person
        made = _notify(people)
    assert len(made) == 60 and all(n.pk for n in made)
    assert Notification.objects.filter(recipient__in=people).count() == 60


def test_notify_each_inserts_different_messages_together(world, django_assert_num_queries):
    people = [UserFactory(username=f"p{i}", role=Role.HEAD) for i in range(10)]
    messages = [
        notifications.Message(
            recipient=person, kind="k", title="t", text=f"第{i}条", link=f"/x/{i}/"
        )
        for i, person in enumerate(people)
    ]
    with CaptureQueriesContext(connection) as queries:
        notifications.notify_each(messages)
    assert len(_inserts(queries.captured_queries)) == 1
    assert list(Notification.objects.filter(recipient=people[3]).values_list("text", "link")) == [
        ("第3条", "/x/3/")
    ]


def test_words_are_chinese_whatever_language_the_actor_reads(world):
    with translation.override("en"):
        _notify(
            [world.users["payroll"]],
            title=TITLE,
            text=gettext_lazy(
                "The %(month)s payroll run of %(institution)s is confirmed "
                "(%(lines)s lines, gross %(gross)s yuan); export it for payment."
            ),
            params={"month": "2026-10", "institution": "甲机构", "lines": 3, "gross": "100.00"},
        )
    n = Notification.objects.get()
    assert n.title == "待导出的工资表"
    assert n.text == "甲机构 2026-10 的工资表已确认（3 行，应发合计 100.00 元），请导出发放。"


def test_a_rolled_back_change_notifies_nobody(world, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_WECOM_URL = "http://127.0.0.1:9/hook"  # a channel: delivery would be queued
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify([world.users["hr"], world.users["head_a"]])
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0
    assert callbacks == []


def test_a_committed_change_queues_one_delivery_when_a_channel_is_set(
    world, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify([world.users["hr"]])
    assert callbacks == []  # no channel: nothing to deliver outside the app
    settings.NOTIFY_WECOM_URL = "http://127.0.0.1:9/hook"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify([world.users["hr"], world.users["head_a"]])
    assert len(callbacks) == 1


def test_a_keyed_message_is_made_once_per_recipient(world, django_assert_num_queries):
    head = world.users["head_a"]
    _notify([head], key="week:1")
    with django_assert_num_queries(1):  # the check; nothing left to insert
        assert _notify([head], key="week:1") == []
    _notify([head, world.users["head_b"]], key="week:1")
    assert Notification.objects.filter(key="week:1").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it too
        Notification.objects.create(
            recipient=head, kind="k", title="t", text="t", link="/", key="week:1"
        )


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "letters/1/"])
def test_a_link_is_a_path_of_this_site(world, link):
    with pytest.raises(ValueError):
        _notify([world.users["hr"]], link=link)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=world.users["hr"], kind="k", title="t", text="t", link=link
        )


def test_what_it_is_about_is_recorded(world):
    _notify([world.users["hr"]], about=world.a)
    n = Notification.objects.get()
    assert (n.about_type, n.about_id) == ("orgs.institution", str(world.a.pk))


def test_marking_read_is_ones_own(world):
    hr, head = world.users["hr"], world.users["head_a"]
    _notify([hr, head])
    mine = Notification.objects.get(recipient=hr)
    notifications.notification_mark_read(user=hr, notification=mine)
    first = Notification.objects.get(pk=mine.pk).read_at
    assert first is not None
    notifications.notification_mark_read(user=hr, notification=mine)
    assert Notification.objects.get(pk=mine.pk).read_at == first  # the first time stays
    theirs = Notification.objects.get(recipient=head)
    with pytest.raises(Http404):
        notifications.notification_mark_read(user=hr, notification=theirs)
    with pytest.raises(Http404):
        notifications.notification_get_for_user(hr, pk=theirs.pk)
    assert notifications.unread_count(head) == 1
    _notify([head], text="第二条")
    assert notifications.notifications_mark_all_read(user=head) == 2
    assert notifications.unread_count(head) == 0
    assert notifications.unread_count(hr) == 0
