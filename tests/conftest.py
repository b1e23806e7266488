"""Shared fixtures: the personas every page and endpoint is checked with.

Personas: HR, head of institution A, head of institution B, a scorer of department X,
an acceptance team member, a payroll officer bound to A, an auditor, and anonymous.
"""

import sys

import pytest
from django.test import Client

from orgs.models import ContactPerson, Role

from .factories import (
    PASSWORD,
    AssessmentGroupFactory,
    EmployeeFactory,
    InstitutionFactory,
    ScoringDepartmentFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _test_flush_past_the_truncate_triggers():
    """On PostgreSQL, Django empties the tables after each transactional test with one TRUNCATE,
    which the ledger, appeals and audit trail refuse by trigger (appraisal 0008, orgs 0005,
    docs/SECURITY.md). The test database's superuser runs that statement, in its transaction only,
    with triggers off: session_replication_role = replica, which only a superuser may set (the
    application's role cannot, tests/security/test_database_roles.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [
            "SET LOCAL session_replication_role = replica",
            *statements,
            "SET LOCAL session_replication_role = origin",
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture
def world(db):
    """Two groups, institutions A and B (with heads), a non-pilot C, employees in each,
    and one user per role."""
    return build_world()


def build_world():
    """The `world` fixture's data (also built once per module by tests/security)."""
    g1 = AssessmentGroupFactory(code="G1", name="第一组")
    g2 = AssessmentGroupFactory(code="G2", name="第二组")
    dept = ScoringDepartmentFactory(code="AQ", name="安全生产科")
    head_a = UserFactory(username="head_a", name="甲一把手", role=Role.HEAD)
    head_b = UserFactory(username="head_b", name="乙一把手", role=Role.HEAD)
    inst_a = InstitutionFactory(code="A01", name="甲机构", group=g1, head=head_a, is_pilot=True)
    inst_b = InstitutionFactory(code="B01", name="乙机构", group=g2, head=head_b, is_pilot=True)
    inst_c = InstitutionFactory(code="C01", name="丙机构", group=g1, is_pilot=False)
    for inst, prefix in ((inst_a, "A"), (inst_b, "B"), (inst_c, "C")):
        for i in range(3):
            EmployeeFactory(staff_number=f"{prefix}{i:04d}", institution=inst)
    payroll = UserFactory(username="payroll", role=Role.PAYROLL)
    payroll.payroll_institutions.add(inst_a)
    users = {
        "hr": UserFactory(username="hr", role=Role.HR),
        "head_a": head_a,
        "head_b": head_b,
        "scorer": UserFactory(username="scorer", role=Role.SCORER, scoring_department=dept),
        "acceptance": UserFactory(username="acceptance", role=Role.ACCEPTANCE),
        "payroll": payroll,
        "auditor": UserFactory(username="auditor", role=Role.AUDITOR),
        "norole": UserFactory(username="norole", role=""),
        # 三员 (等保 2.0): accounts and roles, security, the audit trail; no business data.
        "sysadmin": UserFactory(username="sysadmin", role=Role.SYSADMIN),
        "secadmin": UserFactory(username="secadmin", role=Role.SECADMIN),
        "auditadmin": UserFactory(username="auditadmin", role=Role.AUDITADMIN),
        # Issue 17: a leader (领导) whose 联系单位 is A01; the contact persons (考核联络员) of A01
        # and of B01, named by HR.
        "leader": UserFactory(username="leader", name="王局长", role=Role.LEADER),
        "contact_a": UserFactory(
            username="contact_a", name="甲联络员", role=Role.CONTACT, institution=inst_a
        ),
        "contact_b": UserFactory(
            username="contact_b", name="乙联络员", role=Role.CONTACT, institution=inst_b
        ),
    }
    users["leader"].contact_institutions.add(inst_a)
    for key, inst in (("contact_a", inst_a), ("contact_b", inst_b)):
        ContactPerson.objects.create(institution=inst, user=users[key], named_by=users["hr"])
    return type(
        "World",
        (),
        {"g1": g1, "g2": g2, "dept": dept, "a": inst_a, "b": inst_b, "c": inst_c, "users": users},
    )


@pytest.fixture
def client_for(world):
    """client_for('hr') → a Django test client logged in as that persona; 'anonymous' → none."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            assert client.login(username=world.users[persona].username, password=PASSWORD)
        return client

    return make


def pytest_collection_finish(session):
    """No test module may resolve a URL while it is imported: that would import the URL conf with
    the DEBUG of collection time (the embedded default's True: the development server's static
    routes), and tests that check what is and is not served would then depend on the order.
    Use reverse_lazy or reverse inside the test."""
    if "config.urls" in sys.modules:
        raise pytest.UsageError(
            "The URL conf was imported while the tests were collected (a module-level reverse()?)"
        )
