"""seed_demo: realistic, deterministic, and safe to run twice; every demo account lands on its
own home page and sees what its role allows. Seeded once for the module (tests/ops/demo.py); the
story across years, pay and letters is tests/ops/test_demo_story.py."""

import pytest
from django.apps import apps
from django.db.models import Count
from django.test import Client

from ops.demo.orgs import DEMO_ACCOUNTS, DEMO_PASSWORD
from orgs.models import AssessmentGroup, Employee, Institution, Role, ScoringDepartment, User

from ..ops.demo import demo_seeded, seed_demo


def _state():
    institutions = Institution.objects.order_by("code")
    employees = Employee.objects.order_by("staff_number")
    return (
        list(institutions.values_list("code", "name", "group__code", "head__username", "stage")),
        list(employees.values_list("staff_number", "name", "post_wage", "grade_wage")),
        list(User.objects.order_by("username").values_list("username", "name", "role")),
    )


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_seeded(django_db_blocker):
        yield


@pytest.fixture
def seeded(demo, db):
    return None


def test_seed_demo_is_realistic(seeded):
    sizes = dict(AssessmentGroup.objects.annotate(n=Count("institutions")).values_list("code", "n"))
    assert sizes == {"G1": 7, "G2": 4, "G3": 5}
    assert Institution.objects.filter(is_pilot=True).count() >= 15  # three batches of 5 to 8
    assert {"安全生产科", "党建办", "督查室", "人力资源部"} <= set(
        ScoringDepartment.objects.values_list("name", flat=True)
    )
    assert 300 <= Employee.objects.count() <= 800
    assert not Institution.objects.filter(head__isnull=True).exists()
    assert {role for _, _, role in DEMO_ACCOUNTS} == set(Role.values)
    # Prize money of group 3 is the smaller table of the rules.
    g3 = AssessmentGroup.objects.get(code="G3")
    assert [str(p.amount) for p in g3.prizes.order_by("level")] == [
        "15000.00",
        "10000.00",
        "5000.00",
    ]


def test_seed_demo_twice_changes_nothing(seeded):
    before, counts = _state(), _row_counts()
    seed_demo()
    assert _row_counts() == counts
    assert _state() == before


def test_every_demo_account_lands_on_its_own_home(seeded):
    for username, name, role in DEMO_ACCOUNTS:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/", username
        home = client.get("/")
        assert home.status_code == 200
        assert home.templates[0].name == f"orgs/home_{role}.html"
        assert name in home.content.decode()


def test_demo_head_sees_only_own_institution(seeded):
    client = Client()
    client.login(username="head", password=DEMO_PASSWORD)
    own = Institution.objects.get(head__username="head")
    other = Institution.objects.get(head__username="head2")
    assert client.get(f"/orgs/institutions/{own.code}/").status_code == 200
    assert client.get(f"/orgs/institutions/{other.code}/").status_code == 404
    listed = client.get("/api/v1/institutions/").json()
    assert [row["code"] for row in listed["results"]] == [own.code]


def test_demo_has_an_open_year_scored_by_every_department(seeded):
    from appraisal.models import LedgerEntry, Result, Scheme
    from appraisal.services import scheme_check

    scheme = Scheme.objects.get(year=2026)
    assert scheme.status == Scheme.Status.OPEN
    assert scheme_check(scheme) == []
    departments = set(
        LedgerEntry.objects.filter(scheme=scheme).values_list("department__code", flat=True)
    )
    # Every department with a points indicator scored (completion ratios come from targets).
    scoring = set(
        scheme.indicators.exclude(method="ratio").values_list("department__code", flat=True)
    )
    assert scoring == {"AQSC", "BGS", "DCS", "JJJC", "DJB", "RLZY"}
    assert departments >= scoring
    results = Result.objects.filter(scheme=scheme)
    assert results.count() == 16  # every grouped institution
    assert results.filter(vetoed=True).count() == 1
    assert results.filter(prize_level=1).count() >= 3  # a first prize in each group
    # A pending veto proposal waits for HR.
    assert LedgerEntry.objects.filter(
        scheme=scheme, kind="veto", needs_approval=True, decision__isnull=True
    ).exists()


def test_demo_pays_october_as_computed(seeded):
    from payroll.models import PayPolicy, PayrollRun

    assert PayPolicy.objects.filter(year=2026).count() == 34
    october = PayrollRun.objects.filter(month="2026-10-01")
    assert october.count() == 34
    assert october.filter(status="confirmed", institution__is_pilot=True).count() == 18
    for run in october.filter(institution__code__in=["JG001", "JG017"]):
        lines = list(run.lines.all())
        assert sum(line.basic for line in lines) == run.basic_pool
        assert sum(line.gross for line in lines) == run.total_gross


def test_demo_has_letters_in_every_state(seeded):
    from letters.models import Letter
    from letters.services import letter_verify

    letters = Letter.objects.filter(scheme__year=2026)
    assert set(letters.values_list("status", flat=True)) == set(Letter.Status.values)
    # Every grouped institution's head has a letter.
    heads = letters.filter(level="head")
    assert set(heads.values_list("institution__code", flat=True)) == set(
        Institution.objects.filter(group__isnull=False).values_list("code", flat=True)
    )
    # JG001: version 2 (the raised revenue target), signed by `head` and countersigned.
    own = heads.get(institution__head__username="head", status="effective")
    assert own.version == 2 and own.signed_by.username == "head"
    assert heads.filter(institution=own.institution, status="superseded").count() == 1
    # JG002 waits for `head2`; JG003's head has signed and waits for HR.
    assert heads.get(institution__head__username="head2").status == "issued"
    assert heads.get(institution__code="JG003").status == "signed"
    assert set(heads.filter(institution__code__gt="JG003").values_list("status", flat=True)) == {
        "issued"
    }
    # From the head's letter, two deputies without a role; one has signed.
    deputies = letters.filter(level="deputy", parent=own)
    assert {(d.signer.username, d.signer.role, d.status) for d in deputies} == {
        ("deputy1", "", "signed"),
        ("deputy2", "", "issued"),
    }
    signed = letters.exclude(content_sha256="")
    assert signed.count() == 4 and all(letter_verify(letter) for letter in signed)
    # The deputy signs in with the demo password and reaches only their own letter.
    client = Client()
    assert client.login(username="deputy1", password=DEMO_PASSWORD)
    listed = client.get("/api/v1/letters/").json()["results"]
    assert [(row["level"], row["status"], row["verified"]) for row in listed] == [
        ("deputy", "signed", True)
    ]


def test_demo_accepts_pilots_in_three_batches(seeded):
    import datetime

    from django.utils import timezone

    from acceptance.models import Batch, Inspection, Standard, WeeklyReport, week_start
    from acceptance.rollout import rollout_board
    from acceptance.services import payroll_criterion

    (standard,) = Standard.objects.all()
    items = list(standard.items.values_list("code", "method"))
    assert len(items) == 5 and ("PAY", "payroll") in items
    batches = {b.name: b for b in Batch.objects.all()}
    assert {name: b.status for name, b in batches.items()} == {
        "第一批": "closed",
        "第二批": "in_progress",
        "第三批": "planned",
    }
    assert all(b.inspections.count() == 6 for b in batches.values())
    first = batches["第一批"].inspections
    assert first.filter(result="passed").count() == 5
    failed = first.get(result="failed")
    again = Inspection.objects.get(institution=failed.institution, batch=batches["第二批"])
    assert again.round == 2 and again.ticks.count() == 4 and again.result == "pending"
    # October was paid as computed: the payroll criterion of the November batch is met.
    assert payroll_criterion(again)[0]
    assert set(first.filter(result="passed").values_list("institution__stage", flat=True)) == {
        "trial"
    }
    # Weekly reports for the four weeks up to this one; a few missing this week, one lagging.
    this_week = week_start(timezone.localdate())
    weeks = sorted(set(WeeklyReport.objects.values_list("week", flat=True)))
    assert weeks == [this_week - datetime.timedelta(weeks=k) for k in (3, 2, 1, 0)]
    board = rollout_board(day=timezone.localdate())
    assert len(board.rows) == 18
    assert [i.code for i in board.missing] == ["JG022", "JG028", "JG033"]
    assert [row.institution.code for row in board.lagging] == ["JG034"]


def test_the_demo_password_passes_the_password_rules():
    from django.contrib.auth.password_validation import validate_password

    validate_password(DEMO_PASSWORD)  # raises ValidationError if the rules refuse it
