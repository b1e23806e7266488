"""Every page of the organisation, as every persona. Out of scope answers 404, a role that may
never do something 403, anonymous users are sent to the login page."""

import pytest
from django.urls import reverse

from orgs.models import AuditEvent, Institution, Stage

from ..factories import EmployeeFactory, InstitutionFactory
from ..personas import PERSONAS, VISIBLE_INSTITUTIONS, statuses

# url name, kwargs, expected status for:  hr  head_a head_b scorer accept payroll auditor norole
# (anonymous is always sent to the login page)
MATRIX = [
    ("home", {}, "200 200 200 200 200 200 200 403"),
    ("orgs:institution_list", {}, "200 200 200 200 200 200 200 403"),
    ("orgs:institution_detail", {"code": "A01"}, "200 200 404 200 200 200 200 403"),
    ("orgs:institution_detail", {"code": "C01"}, "200 404 404 200 404 404 200 403"),
    ("orgs:institution_detail", {"code": "NOPE"}, "404 404 404 404 404 404 404 403"),
    ("orgs:institution_employees", {"code": "A01"}, "200 200 404 403 403 200 200 403"),
    ("orgs:institution_employees", {"code": "B01"}, "200 404 200 403 403 404 200 403"),
    ("orgs:institution_create", {}, "200 403 403 403 403 403 403 403"),
    ("orgs:institution_edit", {"code": "A01"}, "200 403 403 403 403 403 403 403"),
    ("orgs:group_list", {}, "200 200 200 200 200 200 200 403"),
    ("orgs:group_create", {}, "200 403 403 403 403 403 403 403"),
    ("orgs:import_upload", {}, "200 403 403 403 403 403 403 403"),
    ("orgs:import_template", {}, "200 403 403 403 403 403 403 403"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "expected"), MATRIX, ids=[f"{m[0]}{m[1]}" for m in MATRIX]
)
def test_page_access(client_for, persona, name, kwargs, expected):
    url = reverse(name, kwargs=kwargs)
    response = client_for(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url)


def test_group_edit_access(client_for, world):
    url = reverse("orgs:group_edit", kwargs={"pk": world.g1.pk})
    assert client_for("hr").get(url).status_code == 200
    for persona in ("head_a", "scorer", "auditor", "payroll", "acceptance"):
        assert client_for(persona).get(url).status_code == 403


def _codes(response):
    return {inst.code for inst in response.context["page_obj"]}


@pytest.mark.parametrize(
    ("persona", "codes"),
    VISIBLE_INSTITUTIONS.items(),
)
def test_institution_list_scope(client_for, persona, codes):
    response = client_for(persona).get(reverse("orgs:institution_list"))
    assert _codes(response) == codes
    # Names of institutions out of scope never reach the page.
    body = response.content.decode()
    for code, name in (("A01", "甲机构"), ("B01", "乙机构"), ("C01", "丙机构")):
        assert (name in body) == (code in codes)


def test_institution_list_filters(client_for, world):
    client = client_for("hr")
    assert _codes(client.get(reverse("orgs:institution_list"), {"group": world.g2.pk})) == {"B01"}
    assert _codes(client.get(reverse("orgs:institution_list"), {"q": "丙"})) == {"C01"}
    assert _codes(client.get(reverse("orgs:institution_list"), {"is_pilot": "true"})) == {
        "A01",
        "B01",
    }
    InstitutionFactory(code="S01", name="筹建机构", group=None, stage=Stage.SETUP)
    assert _codes(client.get(reverse("orgs:institution_list"), {"stage": "setup"})) == {"S01"}


def test_institution_list_htmx_returns_the_table_only(client_for):
    response = client_for("hr").get(
        reverse("orgs:institution_list"), {"q": "甲"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-code="A01"' in body and 'data-code="B01"' not in body


def test_head_of_b_group_filter_offers_only_own_group(client_for, world):
    response = client_for("head_b").get(reverse("orgs:institution_list"))
    assert list(response.context["filter"].form.fields["group"].queryset) == [world.g2]


def test_institution_list_paginates(client_for, world):
    for i in range(30):
        InstitutionFactory(code=f"X{i:03d}", group=world.g1)
    client = client_for("hr")
    page1 = client.get(reverse("orgs:institution_list"))
    page2 = client.get(reverse("orgs:institution_list"), {"page": 2})
    assert len(page1.context["page_obj"]) == 25
    assert len(page2.context["page_obj"]) == 8
    assert not _codes(page1) & _codes(page2)


def test_institution_list_query_count_is_fixed(client_for, world, django_assert_num_queries):
    client = client_for("hr")
    url = reverse("orgs:institution_list")
    client.get(url)  # warm the session
    with django_assert_num_queries(5):
        client.get(url)
    for i in range(40):
        inst = InstitutionFactory(code=f"Y{i:03d}", group=world.g2 if i % 2 else world.g1)
        EmployeeFactory(institution=inst)
    with django_assert_num_queries(5):
        client.get(url)


def test_employee_list_query_count_is_fixed(client_for, world, django_assert_num_queries):
    client = client_for("head_a")
    url = reverse("orgs:institution_employees", kwargs={"code": "A01"})
    client.get(url)
    with django_assert_num_queries(5):
        client.get(url)
    for _ in range(60):
        EmployeeFactory(institution=world.a)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["page_obj"]) == 50
    assert response.context["page_obj"].paginator.count == 63


def test_employee_page_shows_only_that_institution(client_for):
    response = client_for("payroll").get(
        reverse("orgs:institution_employees", kwargs={"code": "A01"})
    )
    numbers = {e.staff_number for e in response.context["page_obj"]}
    assert numbers == {"A0000", "A0001", "A0002"}
    assert "B0000" not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "title"),
    [
        ("hr", "HR home"),
        ("head_a", "My institution"),
        ("scorer", "Scorer home"),
        ("acceptance", "Acceptance team home"),
        ("payroll", "Payroll home"),
        ("auditor", "Auditor home"),
    ],
)
def test_each_role_lands_on_its_own_home(client_for, persona, title):
    client = client_for(persona)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert f'data-testid="home-title">{title}<' in response.content.decode()


def test_head_home_shows_own_institution_only(client_for):
    body = client_for("head_a").get(reverse("home")).content.decode()
    assert "甲机构" in body and "乙机构" not in body


def test_ui_is_chinese_by_default_and_switches_to_english(client_for):
    client = client_for("hr")
    assert "机构" in client.get(reverse("orgs:institution_list")).content.decode()
    assert '<html lang="zh-hans"' in client.get(reverse("home")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("orgs:institution_list")).content.decode()
    assert '<html lang="en"' in body and "Institutions" in body


# --- HR forms -----------------------------------------------------------------------------------


def _institution_post(world, **overrides):
    data = {
        "code": "N01",
        "name": "新机构",
        "group": world.g1.pk,
        "head": "",
        "is_pilot": "on",
        "stage": Stage.DATA,
        "formal_headcount": 12,
    }
    data.update(overrides)
    return data


def test_hr_creates_an_institution_through_the_service(client_for, world):
    response = client_for("hr").post(reverse("orgs:institution_create"), _institution_post(world))
    assert response.status_code == 302
    inst = Institution.objects.get(code="N01")
    assert (inst.name, inst.group, inst.is_pilot, inst.stage) == (
        "新机构",
        world.g1,
        True,
        Stage.DATA,
    )
    event = AuditEvent.objects.get(action="institution.create", object_id=str(inst.pk))
    assert event.actor == world.users["hr"] and event.after["code"] == "N01"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "A01"}, "code"),
        ({"code": "bad code!"}, "code"),
        ({"name": "甲机构"}, "name"),
        ({"formal_headcount": -1}, "formal_headcount"),
    ],
)
def test_institution_form_refuses_bad_input(client_for, world, overrides, field):
    response = client_for("hr").post(
        reverse("orgs:institution_create"), _institution_post(world, **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Institution.objects.filter(name="新机构").exists()
    assert not AuditEvent.objects.filter(action="institution.create").exists()


def test_head_cannot_head_two_institutions(client_for, world):
    response = client_for("hr").post(
        reverse("orgs:institution_edit", kwargs={"code": "C01"}),
        _institution_post(world, code="C01", name="丙机构", head=world.users["head_a"].pk),
    )
    assert response.status_code == 200
    assert "head" in response.context["form"].errors
    world.c.refresh_from_db()
    assert world.c.head is None


def test_hr_edit_records_before_and_after(client_for, world):
    client_for("hr").post(
        reverse("orgs:institution_edit", kwargs={"code": "A01"}),
        _institution_post(
            world,
            code="A01",
            name="甲机构（更名）",
            head=world.users["head_a"].pk,
            stage=Stage.TRIAL,
        ),
    )
    world.a.refresh_from_db()
    assert world.a.name == "甲机构（更名）" and world.a.stage == Stage.TRIAL
    event = AuditEvent.objects.get(action="institution.update")
    assert event.before["name"] == "甲机构" and event.after["name"] == "甲机构（更名）"


@pytest.mark.parametrize(
    "persona", ["head_a", "head_b", "scorer", "auditor", "payroll", "acceptance"]
)
def test_only_hr_may_post_institution_forms(client_for, world, persona):
    client = client_for(persona)
    edit = client.post(
        reverse("orgs:institution_edit", kwargs={"code": "A01"}),
        _institution_post(world, code="A01", name="篡改"),
    )
    create = client.post(reverse("orgs:institution_create"), _institution_post(world))
    assert edit.status_code == create.status_code == 403
    world.a.refresh_from_db()
    assert world.a.name == "甲机构"
    assert not Institution.objects.filter(code="N01").exists()


def test_hr_creates_and_edits_a_group_with_its_prize_table(client_for, world):
    client = client_for("hr")
    data = {
        "code": "G9", "name": "第九组", "description": "", "sort_order": 9,
        "winners_1": 1, "amount_1": "15000.00", "winners_2": 2, "amount_2": "10000.00",
        "winners_3": 3, "amount_3": "5000.50",
    }  # fmt: skip
    assert client.post(reverse("orgs:group_create"), data).status_code == 302
    from orgs.models import AssessmentGroup

    group = AssessmentGroup.objects.get(code="G9")
    table = [(p.level, p.winners, str(p.amount)) for p in group.prizes.order_by("level")]
    assert table == [(1, 1, "15000.00"), (2, 2, "10000.00"), (3, 3, "5000.50")]
    data.update(winners_3=0, amount_3="0")
    assert client.post(reverse("orgs:group_edit", kwargs={"pk": group.pk}), data).status_code == 302
    assert group.prizes.get(level=3).winners == 0
    assert AuditEvent.objects.filter(object_type="orgs.assessmentgroup").count() == 2


def test_group_form_refuses_negative_money(client_for):
    data = {"code": "G8", "name": "第八组", "sort_order": 1, "winners_1": 1, "amount_1": "-5",
            "winners_2": 0, "amount_2": "0", "winners_3": 0, "amount_3": "0"}  # fmt: skip
    response = client_for("hr").post(reverse("orgs:group_create"), data)
    assert response.status_code == 200
    assert "amount_1" in response.context["form"].errors


def test_group_edit_by_head_is_refused(client_for, world):
    response = client_for("head_a").post(
        reverse("orgs:group_edit", kwargs={"pk": world.g1.pk}), {"code": "G1", "name": "x"}
    )
    assert response.status_code == 403
    world.g1.refresh_from_db()
    assert world.g1.name == "第一组"


def test_user_without_role_sees_nothing(client_for):
    response = client_for("norole").get(reverse("home"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="no-role"' in body
    assert reverse("orgs:institution_list") not in body  # no navigation into the app
