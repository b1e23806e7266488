"""The ledger's many-entries services (the Excel import's path): the same rules, fields and audit
as one entry at a time, all or nothing, and a number of queries that does not grow with the rows."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal import services
from appraisal.models import EntryDecision, LedgerEntry, Scheme
from appraisal.services import DraftRefused, EntryDraft
from orgs.models import AuditEvent

ENTRY_FIELDS = (
    "institution_id",
    "kind",
    "indicator_id",
    "period",
    "points",
    "reason",
    "is_official",
    "needs_approval",
    "department_id",
    "created_by_id",
    "source",
)


def drafts_of(world, year) -> list[EntryDraft]:
    c1, b1, e1 = (year.indicators[c] for c in ("C1", "B1", "E1"))
    return [
        EntryDraft(world.a, "indicator", D("-1.25"), "检查发现问题", "h1", c1),
        EntryDraft(world.a, "indicator", D("12.5"), " 营业收入增长 ", "h2", b1),
        EntryDraft(world.b, "indicator", D("-3"), "督查通报", "year", e1),
        EntryDraft(world.c, "bonus", D("2"), "获得表彰"),
        EntryDraft(world.b, "veto", D("30"), "安全事故"),
    ]


def one_by_one(actor, year, drafts, source) -> list[LedgerEntry]:
    return [
        services.ledger_entry_create(
            actor=actor,
            scheme=year.scheme,
            institution=d.institution,
            kind=d.kind,
            points=d.points,
            reason=d.reason,
            period=d.period,
            indicator=d.indicator,
            source=source,
        )
        for d in drafts
    ]


def fields(entry) -> tuple:
    return tuple(getattr(entry, name) for name in ENTRY_FIELDS)


def test_many_entries_are_recorded_exactly_as_one_by_one(world, year):
    hr = world.users["hr"]
    drafts = drafts_of(world, year)
    alone = one_by_one(hr, year, drafts, "web")
    many = services.ledger_entries_create(
        actor=hr, scheme=year.scheme, drafts=drafts, source="import"
    )
    assert [fields(e)[:-1] for e in many] == [fields(e)[:-1] for e in alone]
    stored = LedgerEntry.objects.filter(source="import").order_by("id")
    assert [e.pk for e in stored] == [e.pk for e in many]
    assert all(e.created_at is not None for e in stored)
    assert stored[1].reason == "营业收入增长"  # trimmed, as one entry at a time
    # One audit event per entry, the same snapshot as ledger_entry_create records.
    events = {int(e.object_id): e for e in AuditEvent.objects.filter(action="ledger.create")}
    for a, m in zip(alone, many, strict=True):
        assert events[m.pk].after == events[a.pk].after
        assert events[m.pk].actor == hr and events[m.pk].object_type == "appraisal.ledgerentry"


def test_a_scorers_proposals_need_approval_in_bulk_as_alone(world, year):
    scorer = world.users["scorer"]
    drafts = [
        EntryDraft(world.a, "indicator", D("-2"), "问题", "h1", year.indicators["C1"]),
        EntryDraft(world.b, "bonus", D("1"), "表彰"),
    ]
    entries = services.ledger_entries_create(actor=scorer, scheme=year.scheme, drafts=drafts)
    assert [(e.department, e.needs_approval) for e in entries] == [
        (world.dept, False),
        (world.dept, True),
    ]


@pytest.mark.parametrize(
    ("persona", "bad", "error"),
    [
        # B1 is not the scorer's department's indicator.
        ("scorer", EntryDraft(None, "indicator", D("1"), "x", "h1", "B1"), PermissionDenied),
        # A head self-assesses only their own institution.
        ("head_a", EntryDraft("b", "indicator", D("-1"), "x", "h1", "C1"), PermissionDenied),
        # B1 applies to A01 only.
        ("hr", EntryDraft("c", "indicator", D("1"), "x", "h1", "B1"), ValidationError),
        ("hr", EntryDraft(None, "indicator", D("0"), "x", "h1", "C1"), ValidationError),
        ("hr", EntryDraft(None, "indicator", D("-1.005"), "x", "h1", "C1"), ValidationError),
        ("hr", EntryDraft(None, "indicator", D("-1"), "  ", "h1", "C1"), ValidationError),
        ("hr", EntryDraft(None, "indicator", D("-1"), "x", "h1", "E1"), ValidationError),
        ("hr", EntryDraft(None, "bonus", D("-1"), "x"), ValidationError),
    ],
)
def test_one_refused_draft_refuses_all_and_names_its_index(world, year, persona, bad, error):
    actor = world.users[persona]
    institution = getattr(world, bad.institution) if bad.institution else world.a
    indicator = year.indicators[bad.indicator] if bad.indicator else None
    good = EntryDraft(world.a, "indicator", D("-1"), "问题", "h1", year.indicators["C1"])
    drafts = [good, good, EntryDraft(institution, bad.kind, bad.points, bad.reason,
                                     bad.period, indicator), good]  # fmt: skip
    entries, events = LedgerEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(DraftRefused) as refused:
        services.ledger_entries_create(
            actor=actor, scheme=year.scheme, drafts=drafts, is_official=persona != "head_a"
        )
    assert refused.value.index == 2
    assert isinstance(refused.value.error, error)
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == (entries, events)


@pytest.mark.parametrize("status", [Scheme.Status.DRAFT, Scheme.Status.PUBLISHED])
def test_a_year_not_open_takes_no_entries_at_all(world, year, status):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
    with pytest.raises(ValidationError, match="accepts no entries"):
        services.ledger_entries_create(
            actor=world.users["hr"], scheme=year.scheme, drafts=drafts_of(world, year)
        )
    assert not LedgerEntry.objects.exists()


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def test_the_queries_do_not_grow_with_the_entries(world, year):
    """Within one insert batch (SQLite's are ~80 rows, PostgreSQL's BATCH_SIZE) the count is
    fixed: savepoint, lock the year, the actor's reach, the indicators' institutions, insert the
    entries, insert their audit events, release."""
    hr = world.users["hr"]
    drafts = drafts_of(world, year)

    def create(n):
        return lambda: services.ledger_entries_create(
            actor=hr, scheme=year.scheme, drafts=drafts * n
        )

    assert _queries(create(1)) == _queries(create(10)) == 7

    def reverse(entries):
        return lambda: services.ledger_entries_reverse(
            actor=hr, scheme=year.scheme, entries=entries, reason="重做", source="import"
        )

    entries = list(LedgerEntry.objects.filter(reverses__isnull=True).order_by("id"))
    # savepoint, lock, the entries, reversed already?, decisions, insert, audit, release
    assert _queries(reverse(entries[:5])) == _queries(reverse(entries[5:])) == 8


def test_many_reversals_cancel_what_they_reverse_once(world, year):
    hr, scorer = world.users["hr"], world.users["scorer"]
    counted = services.ledger_entries_create(
        actor=hr, scheme=year.scheme, drafts=drafts_of(world, year)
    )
    pending = services.ledger_entry_create(
        actor=scorer, scheme=year.scheme, institution=world.a, kind="bonus", points=D("3"),
        reason="表彰",
    )  # fmt: skip
    approved = services.ledger_entry_create(
        actor=scorer, scheme=year.scheme, institution=world.b, kind="bonus", points=D("4"),
        reason="表彰",
    )  # fmt: skip
    services.entry_decide(actor=hr, entry=approved, approved=True)
    targets = [*counted, pending, approved]
    reversals = services.ledger_entries_reverse(
        actor=hr, scheme=year.scheme, entries=targets, reason=" 重新导入 ", source="import"
    )
    assert [r.reverses_id for r in reversals] == [t.pk for t in targets]
    assert [r.points for r in reversals] == [-t.points for t in targets]
    assert all(r.reason == "重新导入" and r.created_by == hr for r in reversals)
    # Reversing a pending proposal withdraws it; reversing an approved one counts at once.
    needs = {r.reverses_id: r.needs_approval for r in reversals}
    assert needs[pending.pk] is True and needs[approved.pk] is False
    assert AuditEvent.objects.filter(action="ledger.reverse").count() == len(targets)
    assert not EntryDecision.objects.filter(entry__in=reversals).exists()

    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError, match="reversed already"):
        services.ledger_entries_reverse(
            actor=hr, scheme=year.scheme, entries=counted[:2], reason="再来", source="import"
        )
    with pytest.raises(ValidationError, match="not reversed again"):
        services.ledger_entries_reverse(
            actor=hr, scheme=year.scheme, entries=reversals[:1], reason="再来", source="import"
        )
    assert LedgerEntry.objects.count() == before


def test_a_scorer_reverses_only_own_departments_entries_in_bulk(world, year):
    hr, scorer = world.users["hr"], world.users["scorer"]
    entries = services.ledger_entries_create(
        actor=hr, scheme=year.scheme, drafts=drafts_of(world, year)
    )
    before = LedgerEntry.objects.count()
    with pytest.raises(PermissionDenied):  # the second (B1) is 党建办's
        services.ledger_entries_reverse(
            actor=scorer, scheme=year.scheme, entries=entries[:2], reason="撤销", source="web"
        )
    assert LedgerEntry.objects.count() == before
