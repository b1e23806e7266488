"""考核联络员 (issue 17, item 1): HR or the head names an institution's contact persons, who then
see that institution only; ending a naming, or moving the account, takes it away."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orgs import contacts
from orgs.accounts import account_update
from orgs.models import AuditEvent, ContactPerson, Notification, Role

from ..factories import UserFactory


@pytest.fixture
def candidate(world):
    """A contact-person account of A01 made by the system administrator, not yet named."""
    return UserFactory(username="clerk_a", name="甲文员", role=Role.CONTACT, institution=world.a)


def test_the_head_names_a_contact_person_of_their_institution(world, candidate, client_for):
    employee = world.a.employees.order_by("staff_number").first()
    page = reverse("orgs:institution_contacts", kwargs={"code": "A01"})
    c = client_for("head_a")
    form = c.get(page)
    assert form.status_code == 200
    assert "clerk_a" in form.content.decode()  # offered
    response = c.post(page, {"user": candidate.pk, "employee": employee.pk, "phone": "0571-1"})
    assert response.status_code == 302
    contact = ContactPerson.objects.get(user=candidate, ended_at__isnull=True)
    assert (contact.institution, contact.employee, contact.named_by) == (
        world.a,
        employee,
        world.users["head_a"],
    )
    assert AuditEvent.objects.filter(action="contact.name", object_id=str(contact.pk)).exists()
    assert Notification.objects.filter(recipient=candidate, kind="contact.named").exists()
    # The account now sees A01, and only A01.
    clerk = client_for("contact_a")
    assert clerk.get(reverse("orgs:institution_detail", kwargs={"code": "A01"})).status_code == 200
    assert clerk.get(reverse("orgs:institution_detail", kwargs={"code": "B01"})).status_code == 404


def test_the_head_of_b_names_nobody_for_a_and_reads_nothing_of_a(world, candidate, client_for):
    page = reverse("orgs:institution_contacts", kwargs={"code": "A01"})
    c = client_for("head_b")
    assert c.get(page).status_code == 404
    assert c.post(page, {"user": candidate.pk}).status_code == 404
    api = client_for("head_b")
    url = reverse("institution-contact-list", kwargs={"institution_code": "A01"})
    assert api.get(url).status_code == 404
    assert api.post(url, {"username": "clerk_a"}).status_code == 404
    assert not ContactPerson.objects.filter(user=candidate).exists()


@pytest.mark.parametrize("persona", ["scorer", "auditor", "leader", "contact_a"])
def test_readers_read_the_contact_persons_but_name_nobody(world, candidate, client_for, persona):
    page = reverse("orgs:institution_contacts", kwargs={"code": "A01"})
    c = client_for(persona)
    response = c.get(page)
    assert response.status_code == 200
    assert "甲联络员" in response.content.decode()
    assert 'data-testid="contact-name-form"' not in response.content.decode()
    assert c.post(page, {"user": candidate.pk}).status_code == 403
    assert not ContactPerson.objects.filter(user=candidate).exists()


def test_only_a_contact_account_of_the_institution_can_be_named(world, candidate):
    hr = world.users["hr"]
    with pytest.raises(ValidationError) as refused:
        contacts.contact_person_name(actor=hr, institution=world.b, user=candidate)
    assert "乙机构" in refused.value.message_dict["user"][0]
    with pytest.raises(ValidationError):
        contacts.contact_person_name(actor=hr, institution=world.a, user=world.users["scorer"])
    with pytest.raises(ValidationError) as twice:
        contacts.contact_person_name(actor=hr, institution=world.a, user=world.users["contact_a"])
    assert "已是考核联络员" in twice.value.message_dict["user"][0]  # the UI speaks Chinese
    other = world.b.employees.first()
    with pytest.raises(ValidationError) as employee:
        contacts.contact_person_name(actor=hr, institution=world.a, user=candidate, employee=other)
    assert "employee" in employee.value.message_dict


def test_ending_a_naming_needs_a_confirmation_and_takes_the_institution_away(world, client_for):
    contact = ContactPerson.objects.get(user=world.users["contact_a"])
    url = reverse("orgs:contact_end", kwargs={"pk": contact.pk})
    hr = client_for("hr")
    assert hr.post(url).status_code == 400  # no confirmation: nothing happens
    assert ContactPerson.objects.get(pk=contact.pk).ended_at is None
    assert client_for("head_b").post(url, {"confirm": "yes"}).status_code == 404
    assert hr.post(url, {"confirm": "yes"}).status_code == 302
    contact.refresh_from_db()
    assert contact.ended_at is not None and contact.ended_by == world.users["hr"]
    clerk = client_for("contact_a")
    assert clerk.get(reverse("orgs:institution_detail", kwargs={"code": "A01"})).status_code == 404
    assert AuditEvent.objects.filter(action="contact.end", object_id=str(contact.pk)).exists()


def test_moving_the_account_to_another_institution_ends_its_naming(world):
    sysadmin, user = world.users["sysadmin"], world.users["contact_a"]
    account_update(actor=sysadmin, user=user, institution=world.b)
    assert not ContactPerson.objects.filter(user=user, ended_at__isnull=True).exists()
    ended = ContactPerson.objects.get(user=user)
    assert ended.ended_by == sysadmin


def test_a_contact_account_needs_its_institution(world):
    with pytest.raises(ValidationError) as refused:
        account_update(
            actor=world.users["sysadmin"], user=world.users["contact_a"], institution=None
        )
    assert "institution" in refused.value.message_dict


def test_the_api_names_lists_and_ends(world, candidate, client_for):
    c = client_for("hr")
    url = reverse("institution-contact-list", kwargs={"institution_code": "A01"})
    employee = world.a.employees.order_by("staff_number").first()
    created = c.post(
        url,
        {"username": "clerk_a", "staff_number": employee.staff_number, "phone": "123"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["username"], body["staff_number"], body["current"]) == (
        "clerk_a",
        employee.staff_number,
        True,
    )
    listed = c.get(url).json()
    assert {row["username"] for row in listed} == {"contact_a", "clerk_a"}
    bad = c.post(url, {"username": "contact_b"}, content_type="application/json")
    # B01's account is looked up among A01's accounts only: not found, whoever it is.
    assert bad.status_code == 400 and "username" in bad.json(), bad.content
    end = reverse("institution-contact-end", kwargs={"institution_code": "A01", "pk": body["id"]})
    assert client_for("scorer").post(end).status_code == 403
    ended = c.post(end)
    assert ended.status_code == 200 and ended.json()["current"] is False
    # contact B reads nothing of A through the API
    assert client_for("contact_b").get(url).status_code == 404
    mine = client_for("contact_b").get(
        reverse("institution-contact-list", kwargs={"institution_code": "B01"})
    )
    assert [row["username"] for row in mine.json()] == ["contact_b"]


def test_the_contact_persons_home_and_the_leaders_home(world, client_for):
    home = client_for("contact_a").get("/")
    assert home.status_code == 200
    assert home.templates[0].name == "orgs/home_contact.html"
    assert "甲机构" in home.content.decode()
    leader = client_for("leader").get("/")
    assert leader.templates[0].name == "orgs/home_leader.html"
    assert 'data-testid="leader-institutions"' in leader.content.decode()
    assert "甲机构" in leader.content.decode() and "乙机构" not in leader.content.decode()
