"""The organisation REST API (/api/v1/), checked as every persona.

Access rules (orgs.access): a role that may never do something gets 403; an object outside the
caller's scope gets 404; anonymous callers get 401 or 403 (session auth answers 403).
"""

import json
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orgs.models import AuditEvent, Employee, GroupPrize, Institution, Role, Stage

from ..factories import EmployeeFactory, InstitutionFactory, UserFactory

API = "/api/v1/"
PERSONAS = ["hr", "head_a", "head_b", "scorer", "acceptance", "payroll", "auditor", "norole"]
ROLE_PERSONAS = [p for p in PERSONAS if p != "norole"]
# Anonymous is refused with 401 or 403 (which one depends on the first authentication class).
DENIED = "401/403"


def expect(default, **overrides):
    """Expected status per persona: `default` for every persona with a role, overridden per
    persona; a user without a role always gets 403, anonymous always DENIED."""
    table = dict.fromkeys(ROLE_PERSONAS, default) | overrides
    return table | {"norole": 403, "anonymous": DENIED}


def call(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def status_of(persona, response):
    if persona == "anonymous" and response.status_code in (401, 403):
        return DENIED
    return response.status_code


def codes(response):
    return {row["code"] for row in response.json()["results"]}


@pytest.fixture
def url_for(world):
    ids = {
        "g1": world.g1.pk,
        "emp_a": Employee.objects.get(staff_number="A0000").pk,
        "emp_b": Employee.objects.get(staff_number="B0000").pk,
    }

    def url_for(template):
        """A table URL with ids filled in; relative ones are under /api/v1/."""
        url = template.format(**ids)
        return url if url.startswith("/") else API + url

    return url_for


NEW_GROUP = {"code": "G9", "name": "新组", "prizes": []}
NEW_INSTITUTION = {"code": "N01", "name": "新机构"}

# (method, url, body, expected status per persona)
ACCESS_TABLE = [
    ("get", "", None, expect(200)),
    ("get", "me/", None, expect(200)),
    ("get", "groups/", None, expect(200)),
    ("get", "groups/{g1}/", None, expect(200)),
    ("post", "groups/", NEW_GROUP, expect(403, hr=201)),
    ("patch", "groups/{g1}/", {"description": "大单位"}, expect(403, hr=200)),
    ("delete", "groups/{g1}/", None, expect(403, hr=405)),
    ("get", "institutions/", None, expect(200)),
    ("get", "institutions/A01/", None, expect(200, head_b=404)),
    ("get", "institutions/B01/", None, expect(200, head_a=404, payroll=404)),
    (
        "get",
        "institutions/C01/",
        None,
        expect(200, head_a=404, head_b=404, payroll=404, acceptance=404),
    ),
    ("get", "institutions/ZZZ/", None, expect(404)),
    ("post", "institutions/", NEW_INSTITUTION, expect(403, hr=201)),
    ("patch", "institutions/A01/", {"formal_headcount": 12}, expect(403, hr=200)),
    ("patch", "institutions/B01/", {"formal_headcount": 12}, expect(403, hr=200)),
    ("put", "institutions/A01/", {"code": "A01", "name": "甲机构"}, expect(403, hr=200)),
    ("delete", "institutions/A01/", None, expect(403, hr=405)),
    ("get", "employees/", None, expect(200, scorer=403, acceptance=403)),
    ("get", "employees/{emp_a}/", None, expect(200, head_b=404, scorer=403, acceptance=403)),
    (
        "get",
        "employees/{emp_b}/",
        None,
        expect(200, head_a=404, payroll=404, scorer=403, acceptance=403),
    ),
    ("get", "employees/999999/", None, expect(404, scorer=403, acceptance=403)),
    ("post", "employees/", {"staff_number": "X1"}, expect(405, scorer=403, acceptance=403)),
    ("patch", "employees/{emp_a}/", {"name": "改名"}, expect(405, scorer=403, acceptance=403)),
    (
        "get",
        "institutions/A01/employees/",
        None,
        expect(200, head_b=404, scorer=403, acceptance=403),
    ),
    (
        "get",
        "institutions/B01/employees/",
        None,
        expect(200, head_a=404, payroll=404, scorer=403, acceptance=403),
    ),
    (
        "get",
        "institutions/C01/employees/",
        None,
        expect(200, head_a=404, head_b=404, payroll=404, scorer=403, acceptance=403),
    ),
    ("get", "/api/schema/", None, expect(200)),
    ("get", "/api/docs/", None, expect(200)),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    ACCESS_TABLE,
    ids=[f"{m.upper()} {u or '/'}" for m, u, _, _ in ACCESS_TABLE],
)
def test_access_by_persona(client_for, url_for, method, url, body, expected):
    got = {
        persona: status_of(persona, call(client_for(persona), method, url_for(url), body))
        for persona in expected
    }
    assert got == expected


# --- Scope of the institution list ---------------------------------------------------------------

VISIBLE_INSTITUTIONS = {
    "hr": {"A01", "B01", "C01"},
    "auditor": {"A01", "B01", "C01"},
    "scorer": {"A01", "B01", "C01"},
    "acceptance": {"A01", "B01"},  # the pilot institutions
    "head_a": {"A01"},
    "head_b": {"B01"},
    "payroll": {"A01"},
}


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_institution_list_scope(client_for, persona):
    response = client_for(persona).get(API + "institutions/")
    if persona in VISIBLE_INSTITUTIONS:
        assert response.status_code == 200
        assert codes(response) == VISIBLE_INSTITUTIONS[persona]
    else:
        assert status_of(persona, response) == (403 if persona == "norole" else DENIED)


VISIBLE_EMPLOYEE_PREFIXES = {
    "hr": {"A", "B", "C"},
    "auditor": {"A", "B", "C"},
    "head_a": {"A"},
    "head_b": {"B"},
    "payroll": {"A"},
}


@pytest.mark.parametrize("persona", list(VISIBLE_EMPLOYEE_PREFIXES))
def test_employee_list_scope(client_for, persona):
    rows = client_for(persona).get(API + "employees/").json()["results"]
    assert {row["staff_number"][0] for row in rows} == VISIBLE_EMPLOYEE_PREFIXES[persona]
    assert len(rows) == 3 * len(VISIBLE_EMPLOYEE_PREFIXES[persona])


def test_employee_wages_are_decimal_strings(client_for):
    row = client_for("head_a").get(API + "institutions/A01/employees/").json()["results"][0]
    assert row["institution"] == "A01"
    assert row["post_coefficient"] == "1.00"
    assert row["post_wage"] == "2800.00"
    assert row["grade_wage"] == "1200.50"
    assert row["special_allowance"] == "0.00"
    assert row["fixed_monthly_wage"] == "4000.50"


# --- me/ -----------------------------------------------------------------------------------------


def test_me_for_head(client_for):
    me = client_for("head_a").get(API + "me/").json()
    assert me["username"] == "head_a"
    assert me["name"] == "甲一把手"
    assert me["role"] == Role.HEAD
    assert me["role_label"]
    assert me["institutions"] == ["A01"]
    assert me["scoring_department"] is None
    assert me["can_view_employees"] is True
    assert me["can_manage_orgs"] is False


def test_me_for_payroll_hr_and_scorer(client_for):
    assert client_for("payroll").get(API + "me/").json()["institutions"] == ["A01"]
    hr = client_for("hr").get(API + "me/").json()
    assert hr["institutions"] is None
    assert hr["can_manage_orgs"] is True
    scorer = client_for("scorer").get(API + "me/").json()
    assert scorer["scoring_department"] == {"code": "AQ", "name": "安全生产科"}
    assert scorer["can_view_employees"] is False


# --- Token authentication ------------------------------------------------------------------------


def token_client(user, **kwargs):
    client = APIClient(**kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_token_auth_reads_in_scope(world):
    response = token_client(world.users["head_a"]).get(API + "institutions/")
    assert response.status_code == 200
    assert codes(response) == {"A01"}
    assert token_client(world.users["hr"]).get(API + "employees/").json()["count"] == 9


def test_token_auth_writes_without_csrf(world):
    # A token client is not a browser: no CSRF token needed, unlike a session.
    client = token_client(world.users["hr"], enforce_csrf_checks=True)
    response = client.patch(API + "institutions/A01/", {"stage": Stage.TRIAL}, format="json")
    assert response.status_code == 200
    world.a.refresh_from_db()
    assert world.a.stage == Stage.TRIAL


def test_session_write_needs_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["hr"])
    response = client.patch(API + "institutions/A01/", {"stage": Stage.TRIAL}, format="json")
    assert response.status_code == 403


def test_bad_token_and_roleless_token_are_refused(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get(API + "institutions/").status_code in (401, 403)
    assert token_client(world.users["norole"]).get(API + "institutions/").status_code == 403


def test_inactive_user_token_is_refused(world):
    user = world.users["hr"]
    client = token_client(user)
    user.is_active = False
    user.save()
    assert client.get(API + "institutions/").status_code in (401, 403)


# --- Institution writes --------------------------------------------------------------------------


def test_hr_creates_institution_through_service(client_for, world):
    new_head = UserFactory(username="head_n", name="新一把手", role=Role.HEAD)
    body = {
        "code": "N01",
        "name": "新机构",
        "group": world.g2.pk,
        "head": "head_n",
        "is_pilot": True,
        "stage": Stage.DATA,
        "formal_headcount": 25,
    }
    response = call(client_for("hr"), "post", API + "institutions/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["code"] == "N01"
    assert data["group_code"] == "G2"
    assert data["head"] == "head_n"
    institution = Institution.objects.get(code="N01")
    assert institution.head == new_head
    event = AuditEvent.objects.get(action="institution.create", object_id=str(institution.pk))
    assert event.actor == world.users["hr"]
    assert event.after["formal_headcount"] == 25


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "bad code!", "name": "坏代码"}, "code"),
        ({"code": "A01", "name": "重复代码"}, "code"),
        ({"code": "N01", "name": "甲机构"}, "name"),
        ({"code": "N01", "name": "新机构", "head": "head_a"}, "head"),  # already heads A01
        ({"code": "N01", "name": "新机构", "head": "hr"}, "head"),  # not a head account
        ({"code": "N01", "name": "新机构", "stage": "bogus"}, "stage"),
        ({"code": "N01", "name": "新机构", "group": 999999}, "group"),
        ({"name": "无代码"}, "code"),
    ],
)
def test_institution_create_invalid_names_the_field(client_for, body, field):
    response = call(client_for("hr"), "post", API + "institutions/", body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Institution.objects.filter(code=body.get("code", "")).exclude(code="A01").exists()
    assert not AuditEvent.objects.filter(action="institution.create").exists()


def test_hr_patch_institution_writes_audit_event(client_for, world):
    response = call(
        client_for("hr"), "patch", API + "institutions/A01/", {"stage": Stage.TRIAL, "head": None}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == Stage.TRIAL
    assert response.json()["head"] is None
    event = AuditEvent.objects.get(action="institution.update", object_id=str(world.a.pk))
    assert event.actor == world.users["hr"]
    assert event.before["stage"] == Stage.FORMAL
    assert event.after["stage"] == Stage.TRIAL
    assert event.before["head"] == world.users["head_a"].pk
    assert event.after["head"] is None


def test_patch_institution_head_conflict_is_400(client_for, world):
    response = call(client_for("hr"), "patch", API + "institutions/C01/", {"head": "head_b"})
    assert response.status_code == 400
    assert list(response.json()) == ["head"]
    world.c.refresh_from_db()
    assert world.c.head is None


def test_head_cannot_write_own_institution(client_for, world):
    client = client_for("head_a")
    assert call(client, "patch", API + "institutions/A01/", {"name": "改名"}).status_code == 403
    assert call(client, "post", API + "institutions/", NEW_INSTITUTION).status_code == 403
    world.a.refresh_from_db()
    assert world.a.name == "甲机构"
    assert not AuditEvent.objects.exists()


# --- Group writes --------------------------------------------------------------------------------

PRIZES_G3 = [
    {"level": 1, "winners": 1, "amount": "15000.00"},
    {"level": 2, "winners": 1, "amount": "10000.00"},
    {"level": 3, "winners": 2, "amount": "5000.00"},
]


def test_hr_creates_group_with_prizes(client_for, world):
    body = {"code": "G3", "name": "第三组", "sort_order": 3, "prizes": PRIZES_G3}
    response = call(client_for("hr"), "post", API + "groups/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["prizes"] == PRIZES_G3
    assert data["institution_count"] == 0
    rows = GroupPrize.objects.filter(group__code="G3").order_by("level")
    assert [(p.level, p.winners, p.amount) for p in rows] == [
        (1, 1, Decimal("15000.00")),
        (2, 1, Decimal("10000.00")),
        (3, 2, Decimal("5000.00")),
    ]
    event = AuditEvent.objects.get(action="group.create")
    assert event.actor == world.users["hr"]
    assert event.after["prizes"] == PRIZES_G3


def test_group_patch_keeps_prizes_unless_given(client_for, world):
    client = client_for("hr")
    url = f"{API}groups/{world.g1.pk}/"
    before = client.get(url).json()["prizes"]
    response = call(client, "patch", url, {"description": "生产任务重的大单位"})
    assert response.status_code == 200
    assert response.json()["prizes"] == before
    assert response.json()["institution_count"] == 2

    response = call(client, "patch", url, {"prizes": PRIZES_G3[:1]})
    assert response.status_code == 200
    assert response.json()["prizes"] == PRIZES_G3[:1]
    assert list(world.g1.prizes.values_list("level", flat=True)) == [1]
    assert AuditEvent.objects.filter(action="group.update").count() == 2


def test_group_put_requires_prizes(client_for, world):
    response = call(
        client_for("hr"), "put", f"{API}groups/{world.g1.pk}/", {"code": "G1", "name": "第一组"}
    )
    assert response.status_code == 400
    assert "prizes" in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "G1", "name": "重复", "prizes": []}, "code"),
        ({"code": "bad code", "name": "坏", "prizes": []}, "code"),
        ({"code": "G3", "name": "第三组", "prizes": [PRIZES_G3[0], PRIZES_G3[0]]}, "prizes"),
        (
            {
                "code": "G3",
                "name": "第三组",
                "prizes": [{"level": 1, "winners": 1, "amount": "-1"}],
            },
            "prizes",
        ),
        (
            {
                "code": "G3",
                "name": "第三组",
                "prizes": [{"level": 1, "winners": 1, "amount": "1.005"}],
            },
            "prizes",
        ),
        (
            {"code": "G3", "name": "第三组", "prizes": [{"level": 4, "winners": 1, "amount": "1"}]},
            "prizes",
        ),
    ],
)
def test_group_create_invalid_names_the_field(client_for, body, field):
    response = call(client_for("hr"), "post", API + "groups/", body)
    assert response.status_code == 400
    assert field in response.json()
    assert not AuditEvent.objects.exists()


# --- Filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=trial", {"B01"}),
        ("stage=formal", {"A01", "C01"}),
        ("group={g1}", {"A01", "C01"}),
        ("group={g2}", {"B01"}),
        ("q=乙", {"B01"}),
        ("q=c01", {"C01"}),
        ("is_pilot=false", {"C01"}),
        ("is_pilot=true&group={g1}", {"A01"}),
    ],
)
def test_institution_filters(client_for, world, query, expected):
    Institution.objects.filter(pk=world.b.pk).update(stage=Stage.TRIAL)
    url = API + "institutions/?" + query.format(g1=world.g1.pk, g2=world.g2.pk)
    response = client_for("hr").get(url)
    assert response.status_code == 200
    assert codes(response) == expected


def test_institution_filters_do_not_widen_scope(client_for, world):
    assert codes(client_for("head_a").get(f"{API}institutions/?group={world.g2.pk}")) == set()


def test_institution_bad_filter_value_is_400(client_for):
    assert client_for("hr").get(API + "institutions/?stage=bogus").status_code == 400


def test_institution_list_is_ordered_by_code(client_for):
    rows = client_for("hr").get(API + "institutions/").json()["results"]
    assert [row["code"] for row in rows] == ["A01", "B01", "C01"]


@pytest.mark.parametrize(
    ("persona", "query", "expected"),
    [
        ("hr", "institution=B01", {"B0000", "B0001", "B0002"}),
        ("head_a", "institution=B01", set()),  # a filter never widens the scope
        ("hr", "q=A0001", {"A0001"}),
        ("hr", "institution=C01&is_active=false", {"C0002"}),
        ("hr", "is_formal=false", {"A0001"}),
        ("payroll", "is_formal=true&institution=A01", {"A0000", "A0002"}),
    ],
)
def test_employee_filters(client_for, world, persona, query, expected):
    Employee.objects.filter(staff_number="C0002").update(is_active=False)
    Employee.objects.filter(staff_number="A0001").update(is_formal=False)
    response = client_for(persona).get(API + "employees/?" + query)
    assert response.status_code == 200
    assert {row["staff_number"] for row in response.json()["results"]} == expected


def test_institution_employees_filters(client_for):
    response = client_for("head_a").get(API + "institutions/A01/employees/?q=A0002")
    assert [row["staff_number"] for row in response.json()["results"]] == ["A0002"]


# --- Query counts do not grow with rows -----------------------------------------------------------

# session, user, page count, page rows (group and head joined in)
INSTITUTION_LIST_QUERIES = 4
# session, user, page count, page rows (institution joined in)
EMPLOYEE_LIST_QUERIES = 4
# session, user, institution (scope check), page count, page rows
INSTITUTION_EMPLOYEES_QUERIES = 5
# session, user, page count, groups with institution counts, prizes
GROUP_LIST_QUERIES = 5


def test_institution_list_query_count_is_flat(client_for, django_assert_num_queries):
    client = client_for("hr")
    with django_assert_num_queries(INSTITUTION_LIST_QUERIES):
        assert client.get(API + "institutions/").json()["count"] == 3
    for i in range(30):
        InstitutionFactory(
            code=f"X{i:02d}", head=UserFactory(username=f"head_x{i}", role=Role.HEAD)
        )
    with django_assert_num_queries(INSTITUTION_LIST_QUERIES):
        data = client.get(API + "institutions/").json()
    assert data["count"] == 33
    assert all(row["head"] and row["group_code"] for row in data["results"][3:])


def test_institution_list_query_count_for_bound_role(client_for, world, django_assert_num_queries):
    client = client_for("payroll")
    with django_assert_num_queries(INSTITUTION_LIST_QUERIES):
        client.get(API + "institutions/")
    world.users["payroll"].payroll_institutions.add(
        *[InstitutionFactory(code=f"X{i:02d}") for i in range(30)]
    )
    with django_assert_num_queries(INSTITUTION_LIST_QUERIES):
        assert client.get(API + "institutions/").json()["count"] == 31


def test_employee_list_query_count_is_flat(client_for, world, django_assert_num_queries):
    client = client_for("hr")
    with django_assert_num_queries(EMPLOYEE_LIST_QUERIES):
        assert client.get(API + "employees/").json()["count"] == 9
    for i in range(30):
        EmployeeFactory(staff_number=f"X{i:04d}", institution=InstitutionFactory(code=f"X{i:02d}"))
    with django_assert_num_queries(EMPLOYEE_LIST_QUERIES):
        data = client.get(API + "employees/").json()
    assert data["count"] == 39
    assert len({row["institution"] for row in data["results"]}) == 33


def test_institution_employees_query_count_is_flat(client_for, world, django_assert_num_queries):
    client = client_for("head_a")
    with django_assert_num_queries(INSTITUTION_EMPLOYEES_QUERIES):
        client.get(API + "institutions/A01/employees/")
    for i in range(30):
        EmployeeFactory(staff_number=f"AX{i:04d}", institution=world.a)
    with django_assert_num_queries(INSTITUTION_EMPLOYEES_QUERIES):
        assert client.get(API + "institutions/A01/employees/").json()["count"] == 33


def test_group_list_query_count(client_for, django_assert_num_queries):
    client = client_for("auditor")
    with django_assert_num_queries(GROUP_LIST_QUERIES):
        assert client.get(API + "groups/").json()["count"] == 2
