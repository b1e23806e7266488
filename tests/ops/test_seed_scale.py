"""seed_scale at a small size on SQLite: exact counts, a year whose maxima add up, results for
every grouped institution, a confirmed payroll month whose lines add up exactly to its pools,
refusal of a database that has institutions, and the same data for the same --seed."""

import hashlib
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum

from appraisal.models import EntryDecision, LedgerEntry, Result, ResultSet, Scheme
from appraisal.services import scheme_check
from ops.scale import PASSWORD
from ops.scale.org import DEPARTMENTS
from orgs.models import AssessmentGroup, Employee, GroupPrize, Institution, Role, User
from payroll import distribution
from payroll.models import IndividualGrade, PayPolicy, PayrollLine, PayrollRun

INSTITUTIONS, EMPLOYEES, ENTRIES = 12, 300, 2000
ARGS = ["--institutions", INSTITUTIONS, "--employees", EMPLOYEES, "--entries", ENTRIES]


def _seed(*extra):
    with open("/dev/null", "w") as out:
        call_command("seed_scale", *map(str, ARGS), *map(str, extra), stdout=out)


@pytest.fixture
def seeded(db):
    _seed()


def test_counts_are_exact(seeded):
    assert Institution.objects.count() == INSTITUTIONS
    assert Employee.objects.count() == EMPLOYEES
    assert LedgerEntry.objects.count() == ENTRIES
    assert 2 <= AssessmentGroup.objects.count() <= 40
    # Every group has its prize table, one row per level.
    assert GroupPrize.objects.count() == 3 * AssessmentGroup.objects.count()
    # Sizes vary: Zipf-like weights, at least two employees each.
    sizes = Counter(Employee.objects.values_list("institution_id", flat=True))
    assert min(sizes.values()) >= 2 and max(sizes.values()) > min(sizes.values())
    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles[Role.HEAD] == INSTITUTIONS
    assert roles[Role.HR] == 1 and roles[Role.AUDITOR] == 1
    assert roles[Role.SCORER] == len(DEPARTMENTS)
    assert roles[Role.PAYROLL] >= 1
    assert not Institution.objects.filter(head__isnull=True).exists()
    # One password hash, computed once, for every account.
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert User.objects.get(username="hr").check_password(PASSWORD)
    # Employees are complete: post, coefficient, wages in Decimal, most of them formal.
    employee = Employee.objects.order_by("staff_number").first()
    assert employee.post and employee.post_coefficient > 0
    assert isinstance(employee.post_wage, Decimal) and employee.post_wage > 0
    formal = Employee.objects.filter(is_formal=True).count()
    assert EMPLOYEES * 0.7 < formal < EMPLOYEES
    for inst in Institution.objects.all():
        assert inst.formal_headcount >= inst.employees.filter(is_formal=True).count()


def test_the_year_is_open_and_its_maxima_add_up(seeded):
    scheme = Scheme.objects.get(year=2026)
    assert scheme.status == Scheme.Status.OPEN
    assert scheme_check(scheme) == []
    methods = set(scheme.indicators.values_list("method", flat=True))
    assert methods == {"deduct", "add", "ratio"}
    # Business goals are differentiated: some indicators apply to listed institutions only.
    assert scheme.indicators.filter(applies_to_all=False, part="business").exists()
    ratio = scheme.indicators.filter(method="ratio")
    # A target per half-year (上半年, 下半年) for every institution the indicator applies to.
    assert all(
        ind.targets.filter(period=period).count() == ind.institutions.count()
        for ind in ratio
        for period in ("h1", "h2")
    )
    assert all(ind.targets.count() == 2 * ind.institutions.count() for ind in ratio)


def test_the_ledger_is_realistic(seeded):
    entries = LedgerEntry.objects.all()
    indicator = entries.filter(kind="indicator", is_official=True)
    assert indicator.filter(points__lt=0).count() > indicator.filter(points__gt=0).count()
    assert entries.filter(kind="bonus").exists()
    assert entries.filter(is_official=False).exists()  # self-assessment
    # Every proposal that was decided has one decision; vetoes that count exist.
    assert EntryDecision.objects.filter(approved=True, entry__kind="veto").exists()
    assert not entries.filter(needs_approval=False, decision__isnull=False).exists()
    # Entries are spread over the year they are for.
    h1 = entries.filter(period="h1").values_list("created_at", flat=True)
    assert all(at.year == 2026 and at.month <= 7 for at in h1)


def test_results_exist_for_every_grouped_institution(seeded):
    scheme = Scheme.objects.get(year=2026)
    grouped = set(Institution.objects.filter(group__isnull=False).values_list("pk", flat=True))
    assert set(Result.objects.filter(scheme=scheme).values_list("institution_id", flat=True)) == (
        grouped
    )
    assert ResultSet.objects.get(scheme=scheme).ledger_entries == ENTRIES
    assert Result.objects.filter(vetoed=True).exists()
    assert Result.objects.filter(prize_level=1).exists()


def test_the_payroll_month_adds_up_exactly(seeded):
    runs = PayrollRun.objects.filter(month="2026-10-01")
    assert runs.count() == INSTITUTIONS
    assert not runs.exclude(status=PayrollRun.Status.CONFIRMED).exists()
    assert PayrollLine.objects.filter(run__in=runs).count() == EMPLOYEES  # every one is active
    for run in runs.select_related("institution"):
        policy = PayPolicy.objects.get(year=2026, institution=run.institution)
        assert run.basic_pool == distribution.monthly_basic(policy.pools().basic, 10)
        sums = run.lines.aggregate(
            basic=Sum("basic"), gross=Sum("gross"), incentive=Sum("incentive")
        )
        assert sums["basic"] + run.undistributed == run.basic_pool
        assert sums["gross"] == run.total_gross
        assert sums["incentive"] == 0 and run.incentive_pool == 0
        for line in run.lines.all():
            parts = (
                line.post_wage + line.grade_wage + line.special_allowance + line.basic
                + line.incentive + line.prize
            )  # fmt: skip
            assert isinstance(line.gross, Decimal) and line.gross == parts


def test_grades_stay_within_the_excellent_cap(seeded):
    excellent = defaultdict(int)
    for institution_id in IndividualGrade.objects.filter(grade="excellent").values_list(
        "employee__institution_id", flat=True
    ):
        excellent[institution_id] += 1
    assert excellent
    for policy in PayPolicy.objects.filter(year=2026):
        assert excellent[policy.institution_id] <= distribution.excellent_cap(policy.formal_staff)
        formal = Employee.objects.filter(institution=policy.institution, is_formal=True).count()
        assert policy.formal_staff == formal


def test_a_database_with_institutions_is_refused(seeded):
    with pytest.raises(CommandError, match="institutions already"):
        _seed()
    assert Institution.objects.count() == INSTITUTIONS


LEDGER_FIELDS = (
    "institution__code",
    "kind",
    "indicator__code",
    "period",
    "points",
    "reason",
    "is_official",
    "needs_approval",
    "created_at",
)


def _fingerprint() -> str:
    state = (
        sorted(Institution.objects.values_list("code", "name", "group__code", "formal_headcount")),
        sorted(
            Employee.objects.values_list(
                "staff_number", "name", "post", "post_coefficient", "is_formal", "grade_wage"
            )
        ),
        sorted(LedgerEntry.objects.values_list(*LEDGER_FIELDS)),
        sorted(Result.objects.values_list("institution__code", "total", "rank", "prize_level")),
        sorted(PayrollLine.objects.values_list("staff_number", "gross")),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()


def _wipe():
    if connection.vendor == "postgresql":
        # TRUNCATE refuses tables with foreign-key checks still deferred in this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)


def test_the_same_seed_gives_the_same_data(seeded):
    first = _fingerprint()
    _wipe()
    _seed()
    assert _fingerprint() == first
    _wipe()
    _seed("--seed", 2)
    assert _fingerprint() != first
