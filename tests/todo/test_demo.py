"""The demo's 待办: every demo account's items count exactly the demo's pending things, counted
here again straight from the models (not through the providers' selectors), and the menu's badges
(orgs:nav_counts) show the same numbers per menu item. Seeded once for the module
(tests/ops/demo.py)."""

import re

import pytest
from django.db.models import Exists, OuterRef, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acceptance.models import Inspection, WeeklyReport, week_start
from appraisal.models import Appeal, Indicator, LedgerEntry, Scheme
from bulletins.models import ExplanationRequest
from letters.models import Letter
from ops.demo.orgs import DEMO_PASSWORD
from orgs.models import Institution, User
from orgs.todo import todo_counts, todo_for
from payroll.models import PayPolicy, PayrollRun
from reporting.models import Report, ReportItem

from ..ops.demo import demo_seeded

MENU = {
    "appraisal.proposals": "approvals",
    "appraisal.reviews": "approvals",
    "reporting.draft": "reporting",
    "reporting.returned": "reporting",
    "reporting.awaiting_head": "reporting",
    "reporting.second_review": "reporting",
    "appraisal.appeals_pending": "appeals",
    "appraisal.appeals_answered": "appeals",
    "appraisal.unscored": "scoring",
    "appraisal.figures_missing": "scoring",
    "letters.to_sign": "letters",
    "letters.unsigned": "letters",
    "letters.countersign": "letters",
    "payroll.compute": "payroll",
    "payroll.confirm": "payroll",
    "payroll.export": "payroll",
    "payroll.reconcile": "payroll",
    "acceptance.decide": "acceptance",
    "acceptance.inspect": "acceptance",
    "acceptance.weekly_report": "weekly_reports",
    "bulletins.review": "explanations",
    "bulletins.overdue": "explanations",
    "bulletins.answer": "explanations",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_seeded(django_db_blocker):
        yield


@pytest.fixture
def seeded(demo, db):
    return None


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {key: n for key, n in counts.items() if n}


def _to_sign(user) -> int:
    return Letter.objects.filter(signer=user, status=Letter.Status.ISSUED).count()


def expected_hr(user, today) -> dict[str, int]:
    this_month = today.replace(day=1)
    return {
        "appraisal.proposals": LedgerEntry.objects.filter(
            needs_approval=True, decision__isnull=True, reverses__isnull=True,
            reversed_by__isnull=True, scheme__status__in=["open", "review"],
            kind__in=["bonus", "veto"],
        ).count(),
        # 评分需复核: scorers' and leaders' indicator points waiting for HR's review.
        "appraisal.reviews": LedgerEntry.objects.filter(
            needs_approval=True, decision__isnull=True, reverses__isnull=True,
            reversed_by__isnull=True, scheme__status__in=["open", "review"], kind="indicator",
        ).count(),
        "reporting.second_review": ReportItem.objects.filter(status="second_review").count(),
        "appraisal.appeals_pending": Appeal.objects.filter(status="pending").count(),
        "letters.to_sign": _to_sign(user),
        "letters.unsigned": Letter.objects.filter(status="issued").count(),
        "letters.countersign": Letter.objects.filter(status="signed").count(),
        "payroll.confirm": PayrollRun.objects.filter(
            status="draft", provisional=False, month__lte=this_month
        ).count(),
        "acceptance.decide": Inspection.objects.filter(
            batch__status="in_progress", result="pending"
        ).count(),
        "bulletins.review": ExplanationRequest.objects.filter(status="submitted").count(),
        "bulletins.overdue": ExplanationRequest.objects.filter(
            status="requested", due_on__lt=today
        ).count(),
    }  # fmt: skip


def expected_head(user, today) -> dict[str, int]:
    own = Institution.objects.filter(head=user)
    requested = ExplanationRequest.objects.filter(institution__in=own, status="requested")
    answered_since = today - timezone.timedelta(days=30)
    reported = WeeklyReport.objects.filter(institution=OuterRef("pk"), week=week_start(today))
    return {
        "letters.to_sign": _to_sign(user),
        "appraisal.appeals_answered": Appeal.objects.filter(
            institution__in=own, status__in=["accepted", "rejected"],
            answered_at__date__gte=answered_since,
        ).count(),
        "bulletins.overdue": requested.filter(due_on__lt=today).count(),
        "bulletins.answer": requested.filter(due_on__gte=today).count(),
        "acceptance.weekly_report": own.filter(is_pilot=True).exclude(Exists(reported)).count(),
        **_reports(own),
        "reporting.awaiting_head": Report.objects.filter(
            institution__in=own, status="awaiting_head", scheme__status__in=["open", "review"]
        ).count(),
    }  # fmt: skip


def _reports(own) -> dict[str, int]:
    """What an institution's people (head, contact persons) have to prepare or correct. No
    reporting deadline of the demo has passed (下半年's is 10 January)."""
    reports = Report.objects.filter(institution__in=own, scheme__status__in=["open", "review"])
    return {
        "reporting.draft": reports.filter(status="draft").count(),
        "reporting.returned": reports.filter(status="returned").count(),
    }


def expected_contact(user, today) -> dict[str, int]:
    own = Institution.objects.filter(contact_persons__user=user, contact_persons__ended_at=None)
    return {**_reports(own), "letters.to_sign": _to_sign(user)}


def expected_scorer(user, today) -> dict[str, int]:
    dept = user.scoring_department
    scheme = Scheme.objects.filter(status="open").order_by("-year").first()
    half = "h1" if (today.year, today.month) <= (scheme.year, 6) else "h2"
    appraised = set(Institution.objects.filter(group__isnull=False).values_list("pk", flat=True))
    unscored = 0
    for indicator in Indicator.objects.filter(
        scheme=scheme, department=dept, method="add", part__in=["common", "business"]
    ):
        applies = set(indicator.institutions.values_list("pk", flat=True))
        if indicator.applies_to_all:
            applies |= appraised
        scored = set(
            LedgerEntry.objects.filter(
                scheme=scheme, indicator=indicator, period=half, is_official=True,
                reverses__isnull=True, reversed_by__isnull=True,
            ).values_list("institution_id", flat=True)
        )  # fmt: skip
        unscored += bool(applies - scored)
    figures = (
        Indicator.objects.filter(
            scheme=scheme, department=dept, method="ratio", direction__in=["higher", "lower"],
            targets__period=half, targets__target_value__isnull=False,
            targets__actual_value__isnull=True,
        ).distinct().count()
    )  # fmt: skip
    return {
        "appraisal.unscored": unscored,
        "appraisal.figures_missing": figures,
        "appraisal.appeals_pending": Appeal.objects.filter(status="pending")
        .filter(Q(entry__indicator__department=dept) | Q(entry__department=dept))
        .count(),
        "letters.to_sign": _to_sign(user),
    }


def expected_acceptance(user, today) -> dict[str, int]:
    return {
        "acceptance.inspect": Inspection.objects.filter(
            batch__team__members=user, batch__status__in=["planned", "in_progress"],
            result="pending",
        ).count(),
        "letters.to_sign": _to_sign(user),
    }  # fmt: skip


def expected_payroll(user, today) -> dict[str, int]:
    month = today.replace(day=1)
    bound = Institution.objects.filter(payroll_officers=user)
    runs = PayrollRun.objects.filter(institution__in=bound)
    with_policy = PayPolicy.objects.filter(Q(year=month.year) | Q(settlement_month=month))
    computed = runs.filter(month=month).values("institution")
    return {
        "payroll.compute": bound.filter(pk__in=with_policy.values("institution"))
        .exclude(pk__in=computed)
        .count(),
        "payroll.confirm": runs.filter(status="draft", provisional=False, month__lte=month).count(),
        "payroll.export": runs.filter(status="confirmed").count(),
        # No paid wages are imported in the demo: nothing to reconcile.
        "payroll.reconcile": 0,
        "letters.to_sign": _to_sign(user),
    }


def expected_norole(user, today) -> dict[str, int]:
    return {"letters.to_sign": _to_sign(user)}


EXPECTED = {
    "hr": expected_hr,
    "scorer": expected_scorer,
    "head": expected_head,
    "head2": expected_head,
    "acceptance": expected_acceptance,
    "payroll": expected_payroll,
    "auditor": lambda user, today: {"letters.to_sign": _to_sign(user)},
    "leader": lambda user, today: {"letters.to_sign": _to_sign(user)},
    "contact": expected_contact,
    "contact2": expected_contact,
    "deputy1": expected_norole,
    "deputy2": expected_norole,
}


def test_the_demo_has_something_waiting(seeded):
    """The story of README's demo: HR decides a bonus and a veto proposal of 2026, JG002's letter
    waits for head2 and JG003's for HR's countersignature, deputy2 has a letter to sign, the
    November runs are drafts."""
    today = timezone.localdate()
    hr = _nonzero(expected_hr(User.objects.get(username="hr"), today))
    assert hr["appraisal.proposals"] == 2
    assert hr["appraisal.reviews"] == 1  # the leader's November deduction on JG003
    head2 = _nonzero(expected_head(User.objects.get(username="head2"), today))
    assert head2["reporting.awaiting_head"] == 1  # JG002's 下半年 report
    assert hr["letters.unsigned"] >= 2 and hr["letters.countersign"] >= 1
    assert _to_sign(User.objects.get(username="head2")) == 1
    assert _to_sign(User.objects.get(username="deputy2")) == 1
    assert _to_sign(User.objects.get(username="head")) == 0


@pytest.mark.parametrize("username", list(EXPECTED))
def test_each_demo_account_counts_what_waits_for_it(seeded, username):
    user = User.objects.get(username=username)
    today = timezone.localdate()
    expected = _nonzero(EXPECTED[username](user, today))
    items = todo_for(user)
    assert {item.key: item.count for item in items} == expected

    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    body = home.content.decode()
    for key, n in expected.items():
        assert f'data-testid="todo-{key}" data-count="{n}"' in body, key
    if not expected:
        assert 'data-testid="todo-empty"' in body
    for item in items:
        assert client.get(item.url).status_code == 200, (username, item.url)

    badges = client.get(reverse("orgs:nav_counts")).content.decode()
    shown = {
        key: int(n) for key, n in re.findall(r'id="nav-count-(\w+)"[^>]*data-count="(\d+)"', badges)
    }
    menus: dict[str, int] = {}
    for key, n in expected.items():
        menus[MENU[key]] = menus.get(MENU[key], 0) + n
    assert _nonzero(shown) == menus == todo_counts(items)
