"""letters/todo.py: a holder's letters to sign (heads and role-less signers alike), HR's letters
not yet signed and those waiting for its countersignature; exact, scoped, linked.

The `letter` of tests/letters/conftest.py: A01's head letter of 2026, issued to `head_a`."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from letters import services
from letters.models import Letter
from letters.todo import todo_items

from ..factories import PASSWORD, UserFactory
from .conftest import by_key, counts


def sign(letter):
    return services.letter_sign(
        actor=letter.signer, letter=letter, password=PASSWORD, client_address=None
    )


def rows(response) -> set[int]:
    return {x.pk for x in response.context["page_obj"]}


def test_the_holder_signs_hr_chases_then_countersigns(client_for, world, letter):
    users = world.users
    mine = by_key(todo_items(users["head_a"]))["letters.to_sign"]
    assert (mine.count, mine.menu, mine.level) == (1, "letters", "info")
    assert mine.url == reverse("letters:letter_detail", args=[letter.pk])  # one letter: itself
    assert client_for("head_a").get(mine.url).status_code == 200
    assert counts(todo_items(users["head_b"])) == {}
    assert counts(todo_items(users["auditor"])) == {}
    assert counts(todo_items(users["hr"])) == {"letters.unsigned": 1}

    unsigned = by_key(todo_items(users["hr"]))["letters.unsigned"]
    page = client_for("hr").get(unsigned.url)
    assert page.status_code == 200 and rows(page) == {letter.pk}

    signed = sign(letter)
    assert counts(todo_items(users["head_a"])) == {}
    assert counts(todo_items(users["hr"])) == {"letters.countersign": 1}
    countersign = by_key(todo_items(users["hr"]))["letters.countersign"]
    page = client_for("hr").get(countersign.url)
    assert page.status_code == 200 and rows(page) == {signed.pk}

    services.letter_countersign(actor=users["hr"], letter=signed)
    assert counts(todo_items(users["hr"])) == {}


def test_a_letter_waiting_long_is_a_warning(world, letter):
    later = timezone.localdate() + datetime.timedelta(days=4)
    assert by_key(todo_items(world.users["head_a"], today=later))["letters.to_sign"].level == (
        "warning"
    )


def test_role_less_signers_have_their_letters_to_sign(client_for, world, year, letter):
    signed = sign(letter)
    revenue = signed.items.get(indicator__code="B3")
    d1 = UserFactory(username="deputy1", name="副总甲", role="", institution=world.a)
    d2 = UserFactory(username="deputy2", name="副总乙", role="", institution=world.a)
    first, _second = services.letter_cascade(
        actor=world.users["head_a"],
        parent=signed,
        children=[
            services.ChildLetter("分管副总 甲", d1, {revenue.pk: D("700")}),
            services.ChildLetter("分管副总 乙", d2, {revenue.pk: D("500")}),
        ],
    )
    assert counts(todo_items(d1)) == {"letters.to_sign": 1}
    sign(first)
    assert counts(todo_items(d1)) == {}
    assert counts(todo_items(d2)) == {"letters.to_sign": 1}
    # HR sees both stages: d2's letter unsigned, A01's and d1's signed, waiting for HR.
    hr = counts(todo_items(world.users["hr"]))
    assert hr == {"letters.unsigned": 1, "letters.countersign": 2}
    # The head sees the deputies' letters but signs none of them.
    assert counts(todo_items(world.users["head_a"])) == {}


def test_several_letters_link_to_the_filtered_list(client_for, world, year, letter):
    other = services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.b)
    assert other.signer == world.users["head_b"]
    hr = by_key(todo_items(world.users["hr"]))["letters.unsigned"]
    assert hr.count == 2
    page = client_for("hr").get(hr.url)
    assert rows(page) == {letter.pk, other.pk}
    # Two letters for one signer (a head who also holds B01's, say): the list of the two.
    Letter.objects.filter(pk=other.pk).update(signer=world.users["head_a"])
    mine = by_key(todo_items(world.users["head_a"]))["letters.to_sign"]
    assert mine.count == 2
    assert mine.url == reverse("letters:letter_list", args=[2026]) + "?status=issued&mine=1"
    page = client_for("head_a").get(mine.url)
    assert page.status_code == 200 and rows(page) == {letter.pk, other.pk}


@pytest.mark.parametrize("persona", ["hr", "head_a", "scorer", "auditor", "norole"])
def test_one_query(world, letter, django_assert_num_queries, persona):
    with django_assert_num_queries(1):
        todo_items(world.users[persona])


def test_the_home_says_when_a_letter_to_sign_was_issued(client_for, world, letter):
    """Issued today reads "issued today", not "issued 0 minutes ago"; earlier, how long ago."""
    home = client_for("head_a").get(reverse("home")).content.decode()
    card = home.split('data-testid="letters-to-sign"')[1].split("</ul>")[0]
    assert "please sign, issued today" in card and "0 minutes" not in card
    Letter.objects.filter(pk=letter.pk).update(
        issued_at=timezone.now() - datetime.timedelta(days=3, hours=1)
    )
    home = client_for("head_a").get(reverse("home")).content.decode()
    card = home.split('data-testid="letters-to-sign"')[1].split("</ul>")[0]
    assert "please sign, issued 3\xa0days, 1\xa0hour ago" in card
