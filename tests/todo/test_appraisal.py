"""appraisal/todo.py: HR's proposals and appeals, the scorer's indicators not yet scored this
half-year and figures not yet reported, the head's answered appeals; exact, scoped, linked.

The open 2026 `year` of tests/appraisal/conftest.py: the `scorer` persona (安全生产科, AQ) scores C1
(deduct, all); 党建办 (DJ) scores B1 (add, A01) and B2 (deduct, B01 and C01)."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from appraisal import selectors, services
from appraisal.models import Indicator, LedgerEntry, Scheme, Target
from appraisal.todo import todo_items
from orgs.models import Role

from ..factories import UserFactory
from .conftest import by_key, counts

H1_DAY = datetime.date(2026, 3, 10)
H2_DAY = datetime.date(2026, 9, 1)


def entry(world, year, *, by="scorer", institution=None, code="C1", points="-10", period="h1",
          kind=LedgerEntry.Kind.INDICATOR):  # fmt: skip
    fields = {"indicator": year.indicators[code] if isinstance(code, str) else code}
    if kind != LedgerEntry.Kind.INDICATOR:
        fields, period = {"indicator": None}, "year"
    return services.ledger_entry_create(
        actor=world.users[by], scheme=year.scheme, institution=institution or world.a,
        kind=kind, period=period, points=D(points), reason="测试", **fields,
    )  # fmt: skip


def set_status(year, status):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
    year.scheme.refresh_from_db()


def indicator(year, code, *, department, method="add", part="common", applies=None, **kwargs):
    ind = Indicator.objects.create(
        scheme=year.scheme, code=code, part=part, name=code, method=method,
        max_points=D("50"), department=department, applies_to_all=applies is None, **kwargs,
    )  # fmt: skip
    if applies:
        ind.institutions.set(applies)
    return ind


# --- HR: proposals and appeals -------------------------------------------------------------------


def test_hr_counts_the_proposals_waiting_for_a_decision(client_for, world, year):
    bonus = entry(world, year, kind=LedgerEntry.Kind.BONUS, points="5")
    entry(world, year, kind=LedgerEntry.Kind.VETO, points="10", institution=world.b)
    entry(world, year, by="hr", kind=LedgerEntry.Kind.BONUS, points="5")  # HR's own: no approval
    hr = world.users["hr"]
    item = by_key(todo_items(hr))["appraisal.proposals"]
    assert (item.count, item.menu, item.url) == (2, "approvals", reverse("appraisal:approvals"))
    page = client_for("hr").get(item.url)
    assert page.status_code == 200 and page.context["page_obj"].paginator.count == 2

    services.entry_decide(actor=hr, entry=bonus, approved=True, note="")
    assert counts(todo_items(hr))["appraisal.proposals"] == 1
    for persona in ("scorer", "head_a", "auditor", "payroll", "acceptance"):
        assert "appraisal.proposals" not in counts(todo_items(world.users[persona])), persona


def test_appeals_pending_then_answered_per_persona(client_for, world, year):
    on_a = entry(world, year)  # the scorer's C1 deduction on A01
    on_b = entry(world, year, institution=world.b)
    set_status(year, Scheme.Status.REVIEW)
    appeal_a = services.appeal_submit(actor=world.users["head_a"], entry=on_a, reasons="有照片为证")
    services.appeal_submit(actor=world.users["head_b"], entry=on_b, reasons="已整改")
    users = world.users
    assert counts(todo_items(users["hr"]))["appraisal.appeals_pending"] == 2
    assert counts(todo_items(users["scorer"]))["appraisal.appeals_pending"] == 2  # AQ's entries
    assert "appraisal.appeals_pending" not in counts(todo_items(users["head_a"]))
    assert "appraisal.appeals_answered" not in counts(todo_items(users["head_a"]))

    item = by_key(todo_items(users["hr"]))["appraisal.appeals_pending"]
    assert item.level == "warning" and item.menu == "appeals"
    page = client_for("hr").get(item.url)
    assert page.status_code == 200 and page.context["page_obj"].paginator.count == 2

    services.appeal_answer(actor=users["scorer"], appeal=appeal_a, accept=False, answer="维持")
    assert counts(todo_items(users["hr"]))["appraisal.appeals_pending"] == 1
    answered = by_key(todo_items(users["head_a"]))["appraisal.appeals_answered"]
    assert answered.count == 1 and answered.menu == "appeals"
    assert "appraisal.appeals_answered" not in counts(todo_items(users["head_b"]))  # A's only
    page = client_for("head_a").get(answered.url)
    assert page.status_code == 200
    assert [a.pk for a in page.context["page_obj"]] == [appeal_a.pk]

    # Thirty days on, the answer is no longer news.
    later = timezone.localdate() + datetime.timedelta(days=31)
    assert "appraisal.appeals_answered" not in counts(todo_items(users["head_a"], today=later))


# --- Scorer: not scored this half-year -----------------------------------------------------------


def test_current_half():
    assert selectors.current_half(2026, datetime.date(2025, 12, 31)) == "h1"
    assert selectors.current_half(2026, datetime.date(2026, 6, 30)) == "h1"
    assert selectors.current_half(2026, datetime.date(2026, 7, 1)) == "h2"
    assert selectors.current_half(2026, datetime.date(2027, 1, 15)) == "h2"


def test_a_points_indicator_is_unscored_until_every_institution_it_applies_to_has_a_score(
    client_for, world, year
):
    scorer = world.users["scorer"]
    c2 = indicator(year, "C2", department=world.dept)  # add, applies to A01, B01 and C01
    # Deductions (C1) and execution capacity never fall due: only C2 waits.
    indicator(year, "E2", department=world.dept, part="execution")
    item = by_key(todo_items(scorer, today=H2_DAY))["appraisal.unscored"]
    assert (item.count, item.menu) == (1, "scoring")
    assert item.detail == "2026, Second half"

    entry(world, year, code=c2, points="10", period="h1")  # H1 does not score H2
    entry(world, year, code=c2, points="10", period="h2")
    entry(world, year, code=c2, points="10", period="h2", institution=world.b)
    assert counts(todo_items(scorer, today=H2_DAY))["appraisal.unscored"] == 1  # C01 still waits
    last = entry(world, year, code=c2, points="10", period="h2", institution=world.c)
    assert "appraisal.unscored" not in counts(todo_items(scorer, today=H2_DAY))
    # A reversed score is no score.
    services.ledger_entry_reverse(actor=scorer, entry=last, reason="录错")
    assert counts(todo_items(scorer, today=H2_DAY))["appraisal.unscored"] == 1
    # In the first half, C2 waits for B01 and C01 (A01 has its H1 points): one indicator still.
    assert counts(todo_items(scorer, today=H1_DAY))["appraisal.unscored"] == 1


def test_unscored_is_scoped_to_the_scorers_department_and_the_institutions_listed(
    client_for, world, year
):
    dj_scorer = UserFactory(username="dj", role=Role.SCORER, scoring_department=year.dj)
    # B1 (DJ, add) applies to A01 only; the AQ scorer never counts it.
    assert counts(todo_items(dj_scorer, today=H2_DAY))["appraisal.unscored"] == 1
    assert "appraisal.unscored" not in counts(todo_items(world.users["scorer"], today=H2_DAY))
    entry(world, year, by="hr", code="B1", points="100", period="h2")
    assert "appraisal.unscored" not in counts(todo_items(dj_scorer, today=H2_DAY))
    assert "appraisal.unscored" not in counts(todo_items(world.users["hr"], today=H2_DAY))


def test_the_grid_filtered_to_the_unscored_indicators(client_for, world, year):
    indicator(year, "C2", department=world.dept)
    c3 = indicator(year, "C3", department=world.dept, applies=[world.a])
    entry(world, year, code=c3, points="5", period=selectors.current_half(2026, _today()))
    item = by_key(todo_items(world.users["scorer"]))["appraisal.unscored"]
    assert item.count == 1
    page = client_for("scorer").get(item.url)
    assert page.status_code == 200
    assert [c.indicator.code for c in page.context["grid"].columns] == ["C2", "C2"]


def _today():
    return timezone.localdate()


def test_ratio_indicators_wait_for_their_figures(client_for, world, year):
    scorer = world.users["scorer"]
    ratio = indicator(year, "R1", department=world.dept, method="ratio", part="business",
                      direction="higher", applies=[world.a, world.b])  # fmt: skip
    deadline = indicator(year, "R2", department=world.dept, method="ratio", part="business",
                         direction="deadline", applies=[world.a])  # fmt: skip
    for inst in (world.a, world.b):
        Target.objects.create(indicator=ratio, institution=inst, period="h2", kind="absolute",
                              target_value=D("100"))  # fmt: skip
    # 按期: no completion date is "not met", a score, not a gap.
    Target.objects.create(indicator=deadline, institution=world.a, period="h2", kind="deadline",
                          deadline=datetime.date(2026, 8, 1))  # fmt: skip
    item = by_key(todo_items(scorer, today=H2_DAY))["appraisal.figures_missing"]
    assert (item.count, item.menu) == (1, "scoring")
    assert client_for("scorer").get(item.url).status_code == 200
    assert "appraisal.figures_missing" not in counts(todo_items(scorer, today=H1_DAY))
    Target.objects.filter(indicator=ratio).update(actual_value=D("90"))
    assert "appraisal.figures_missing" not in counts(todo_items(scorer, today=H2_DAY))


def test_no_open_year_nothing_to_score(world, year):
    set_status(year, Scheme.Status.REVIEW)
    indicator(year, "C2", department=world.dept)
    assert todo_items(world.users["scorer"], today=H2_DAY) == [
        by_key(todo_items(world.users["scorer"]))["appraisal.appeals_pending"]
    ]


# --- Fixed cost, labels --------------------------------------------------------------------------


# HR: proposals, scores awaiting review (评分需复核), appeals.
@pytest.mark.parametrize(
    "persona, queries",
    [("hr", 3), ("scorer", 3), ("head_a", 1), ("auditor", 0), ("payroll", 0), ("norole", 0)],
)
def test_queries_per_persona(world, year, django_assert_num_queries, persona, queries):
    indicator(year, "C2", department=world.dept)
    user = world.users[persona]
    with django_assert_num_queries(queries):
        todo_items(user)


def test_labels_are_chinese_first(world, year):
    entry(world, year, kind=LedgerEntry.Kind.BONUS, points="5")
    item = by_key(todo_items(world.users["hr"]))["appraisal.proposals"]
    with translation.override("zh-hans"):
        assert str(item.label) == "待审批的加分和一票否决提议"
