"""The bell, the list page and the API: the unread count arrives through orgs:nav_counts (an
out-of-band swap, so pages spend no query on it), and everyone sees only their own notifications
(another user's id answers 404)."""

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs import notifications
from orgs.models import Notification
from orgs.views_notifications import PER_PAGE

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications/"


def _notify(user, n=1, link="/letters/latest/"):
    made = []
    for i in range(n):
        made += notifications.notify(
            recipients=[user], kind="test.kind", title=f"标题{i}", text=f"正文{i}", link=link
        )
    return made


def _bell(html: str) -> str:
    found = re.search(r'<span id="bell-count"[^>]*>.*?</span></span>', html, re.S)
    assert found, html
    return found.group(0)


# --- The bell ------------------------------------------------------------------------------------


def test_the_bell_links_to_the_list_with_an_accessible_name(client_for, rf, world):
    request = rf.get("/")
    request.user = world.users["head_a"]
    html = render_to_string("orgs/_bell.html", {"user": request.user}, request=request)
    assert f'href="{reverse("orgs:notification_list")}"' in html
    assert 'data-testid="bell"' in html and "Notifications" in html  # visually hidden label
    assert 'aria-hidden="true"' in html  # the icon is decoration
    bell = _bell(html)
    assert "hidden" in bell and 'data-count="0"' in bell and "hx-swap-oob" not in bell


def test_nav_counts_swaps_the_unread_count_in(client_for, world):
    client = client_for("head_a")
    bell = _bell(client.get(reverse("orgs:nav_counts")).content.decode())
    assert 'hx-swap-oob="true"' in bell and 'data-count="0"' in bell and " hidden" in bell
    _notify(world.users["head_a"], 3)
    _notify(world.users["head_b"], 2)  # someone else's
    bell = _bell(client.get(reverse("orgs:nav_counts")).content.decode())
    assert 'data-count="3"' in bell and " hidden" not in bell
    assert ">3<" in bell and "unread" in bell


def test_the_unread_count_costs_nav_counts_one_query(client_for, world):
    client = client_for("norole")
    _notify(world.users["norole"], 2)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("orgs:nav_counts"))
    counts = [q["sql"] for q in captured.captured_queries if "orgs_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()


def test_a_page_spends_no_query_on_the_bell(client_for, world):
    _notify(world.users["hr"], 2)
    with CaptureQueriesContext(connection) as captured:
        client_for("hr").get(reverse("orgs:group_list"))
    assert not [q for q in captured.captured_queries if "orgs_notification" in q["sql"]]


# --- The list page -------------------------------------------------------------------------------


def test_the_list_shows_ones_own_newest_first_with_unread_marked(client_for, world):
    mine = _notify(world.users["head_a"], 3)
    _notify(world.users["head_b"], 1)
    notifications.notification_mark_read(user=world.users["head_a"], notification=mine[0])
    response = client_for("head_a").get(reverse("orgs:notification_list"))
    assert response.status_code == 200
    html = response.content.decode()
    pks = [int(pk) for pk in re.findall(r'data-pk="(\d+)" data-kind=', html)]
    assert pks == [mine[2].pk, mine[1].pk, mine[0].pk]
    assert re.findall(r'data-pk="(\d+)" data-kind="test.kind" data-read="(\d)"', html) == [
        (str(mine[2].pk), "0"), (str(mine[1].pk), "0"), (str(mine[0].pk), "1")
    ]  # fmt: skip
    assert reverse("orgs:notification_open", args=[mine[2].pk]) in html
    assert 'data-testid="unread-count">2<' in html
    unread = client_for("head_a").get(reverse("orgs:notification_list") + "?unread=true")
    assert unread.content.decode().count('data-read="0"') == 2
    assert 'data-read="1"' not in unread.content.decode()


def test_the_list_is_paginated(client_for, world, django_assert_max_num_queries):
    _notify(world.users["hr"], PER_PAGE + 3)
    client = client_for("hr")
    client.get(reverse("orgs:notification_list"))
    with django_assert_max_num_queries(8):  # session, user, count, page, unread count, …
        first = client.get(reverse("orgs:notification_list")).content.decode()
    assert first.count('data-kind="test.kind"') == PER_PAGE
    second = client.get(reverse("orgs:notification_list") + "?page=2").content.decode()
    assert second.count('data-kind="test.kind"') == 3


def test_opening_marks_read_and_leads_to_the_object(client_for, world):
    (n,) = _notify(world.users["head_a"], link="/letters/latest/")
    response = client_for("head_a").get(reverse("orgs:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/letters/latest/"
    assert Notification.objects.get(pk=n.pk).read_at is not None


@pytest.mark.parametrize("persona", ["head_b", "hr", "auditor", "norole"])
def test_another_users_notification_is_404(client_for, world, persona):
    (n,) = _notify(world.users["head_a"])
    response = client_for(persona).get(reverse("orgs:notification_open", args=[n.pk]))
    assert response.status_code == 404
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_anonymous_is_sent_to_log_in(client_for, world):
    (n,) = _notify(world.users["head_a"])
    for url in (
        reverse("orgs:notification_list"),
        reverse("orgs:notification_open", args=[n.pk]),
    ):
        response = client_for("anonymous").get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_mark_all_read_is_a_post_of_ones_own(client_for, world):
    _notify(world.users["head_a"], 3)
    _notify(world.users["head_b"], 2)
    client = client_for("head_a")
    assert client.get(reverse("orgs:notification_read_all")).status_code == 405
    response = client.post(reverse("orgs:notification_read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("orgs:notification_list")
    assert notifications.unread_count(world.users["head_a"]) == 0
    assert notifications.unread_count(world.users["head_b"]) == 2


def test_a_signer_without_a_role_has_notifications_too(client_for, world):
    _notify(world.users["norole"], 1)
    response = client_for("norole").get(reverse("orgs:notification_list"))
    assert response.status_code == 200 and 'data-read="0"' in response.content.decode()


# --- The API -------------------------------------------------------------------------------------


def test_the_api_lists_ones_own(client_for, world):
    mine = _notify(world.users["head_a"], 2)
    _notify(world.users["head_b"], 1)
    body = client_for("head_a").get(API).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [mine[1].pk, mine[0].pk]
    row = body["results"][0]
    assert set(row) == {
        "id", "kind", "title", "text", "link", "about_type", "about_id", "created_at",
        "read_at", "is_read",
    }  # fmt: skip
    assert row["is_read"] is False and row["title"] == "标题1"
    assert client_for("norole").get(API).json()["count"] == 0
    assert client_for("anonymous").get(API).status_code == 401


def test_the_api_marks_read_only_ones_own(client_for, world):
    (n,) = _notify(world.users["head_a"])
    other = client_for("head_b")
    assert other.get(f"{API}{n.pk}/").status_code == 404
    assert other.post(f"{API}{n.pk}/read/").status_code == 404
    client = client_for("head_a")
    assert client.get(f"{API}{n.pk}/").json()["is_read"] is False
    response = client.post(f"{API}{n.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert client.get(f"{API}?unread=true").json()["count"] == 0
    assert client.get(f"{API}?unread=false").json()["count"] == 1


def test_the_api_marks_all_read(client_for, world):
    _notify(world.users["head_a"], 3)
    _notify(world.users["head_b"], 1)
    response = client_for("head_a").post(f"{API}read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 3}
    assert client_for("head_a").post(f"{API}read-all/").json() == {"marked": 0}
    assert notifications.unread_count(world.users["head_b"]) == 1


def test_the_list_and_the_api_sort_by_date(client_for, world):
    """?ordering=created_at (oldest first) or -created_at, through the filter set both share;
    equal times keep a stable order (the newest id first), and another value is the API's 400."""
    mine = _notify(world.users["head_a"], 3)
    Notification.objects.filter(pk=mine[1].pk).update(created_at=mine[0].created_at)
    client = client_for("head_a")
    html = client.get(reverse("orgs:notification_list") + "?ordering=created_at").content.decode()
    pks = [int(pk) for pk in re.findall(r'data-pk="(\d+)" data-kind=', html)]
    assert pks == [mine[1].pk, mine[0].pk, mine[2].pk]
    assert 'aria-sort="ascending"' in html and "ordering=-created_at" in html
    body = client.get(f"{API}?ordering=-created_at").json()
    assert [row["id"] for row in body["results"]] == [mine[2].pk, mine[1].pk, mine[0].pk]
    body = client.get(f"{API}?ordering=created_at").json()
    assert [row["id"] for row in body["results"]] == [mine[1].pk, mine[0].pk, mine[2].pk]
    assert client.get(f"{API}?ordering=title").status_code == 400
    # On the page an unknown column is ignored: newest first, as always.
    html = client.get(reverse("orgs:notification_list") + "?ordering=title").content.decode()
    assert re.findall(r'data-pk="(\d+)" data-kind=', html)[0] == str(mine[2].pk)
