"""Every persona's home opens with its 待办: the items of every app (orgs.todo.todo_for), each with
its count and a link that answers 200 for that user, or an empty state that says nothing waits; the
menu's badges (orgs:nav_counts) count the same per menu item. Query counts are pinned per persona.

The world: the open 2026 `year`, A01's head letter issued to `head_a`, a bonus proposal of the
scorer's on A01, a points indicator of the scorer's not yet scored, and a pay policy of this year
for A01 (so the payroll officer has this month's run to compute)."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal import services as appraisal
from appraisal.models import Indicator, LedgerEntry
from orgs.todo import todo_counts, todo_for
from payroll import services as payroll

from ..personas import SIGNED_IN

# Queries of each home page with its 待办: session and user, the page's own reads, and the
# providers' (HR 8: with 评分需复核 and 复核 of reported items; a head 6: with the open years and
# the institution's reports; a scorer 5: with 初审; the payroll officer 3, an acceptance member 2,
# an auditor 1: letters to sign, which anyone may hold). head_a's page lists A01's letter to sign
# (letters/_to_sign.html) as well.
MAX_QUERIES = {
    "hr": 16,
    "head_a": 16,
    "head_b": 14,
    "scorer": 11,
    "acceptance": 7,
    "payroll": 10,
    "auditor": 9,
    "norole": 3,
}


@pytest.fixture
def pending(world, year, letter):
    today = timezone.localdate()
    appraisal.ledger_entry_create(
        actor=world.users["scorer"], scheme=year.scheme, institution=world.a,
        kind=LedgerEntry.Kind.BONUS, period="year", points=D("5"), reason="重点项目表现突出",
    )  # fmt: skip
    Indicator.objects.create(
        scheme=year.scheme, code="C2", part="common", name="隐患排查", method="add",
        max_points=D("50"), department=world.dept,
    )  # fmt: skip
    payroll.policy_save(
        actor=world.users["hr"], year=today.year, institution=world.a, per_capita=D("36000"),
        basic_ratio=D("0.6"), settlement_month=datetime.date(today.year + 1, 3, 1),
    )  # fmt: skip


EXPECTED = {
    "hr": {"appraisal.proposals": 1, "letters.unsigned": 1},
    "head_a": {"letters.to_sign": 1, "acceptance.weekly_report": 1},
    "head_b": {"acceptance.weekly_report": 1},
    "scorer": {"appraisal.unscored": 1},
    "acceptance": {},
    "payroll": {"payroll.compute": 1},
    "auditor": {},
    "norole": {},
}


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_home_shows_the_todo_first(
    client_for, world, pending, persona, django_assert_max_num_queries
):
    user = world.users[persona]
    items = todo_for(user)
    assert {item.key: item.count for item in items} == EXPECTED[persona]
    client = client_for(persona)
    with django_assert_max_num_queries(MAX_QUERIES[persona]):
        response = client.get(reverse("home"))
    if persona == "norole":  # holds no letter: told to ask HR, no 待办
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.content.decode()
    todo = body[body.index('data-testid="todo"') :]
    # First on the page: the first card after the page's title.
    after_title = body[body.index('data-testid="home-title"') :]
    assert 'data-testid="todo"' in re.search(r'<div class="card[^>]*>', after_title).group(0)
    for item in items:
        assert f'data-testid="todo-{item.key}" data-count="{item.count}"' in todo
        assert client.get(item.url).status_code == 200, (persona, item.url)
    if not items:
        assert 'data-testid="todo-empty"' in body
    if persona == "auditor":
        assert "an auditor reads everything and changes nothing" in body


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_menu_badges_count_the_same(client_for, world, pending, persona):
    expected = todo_counts(todo_for(world.users[persona]))
    body = client_for(persona).get(reverse("orgs:nav_counts")).content.decode()
    shown = {
        key: int(count)
        for key, count in re.findall(r'id="nav-count-(\w+)"[^>]*data-count="(\d+)"', body)
    }
    assert {key: n for key, n in shown.items() if n} == expected


def test_a_role_less_signer_sees_the_letter_to_sign_first(client_for, world, year, letter):
    from letters.models import Letter

    Letter.objects.filter(pk=letter.pk).update(signer=world.users["norole"])
    body = client_for("norole").get(reverse("home")).content.decode()
    assert 'data-testid="todo-letters.to_sign" data-count="1"' in body
    assert body.index('data-testid="todo"') < body.index('data-testid="letters-to-sign"')
