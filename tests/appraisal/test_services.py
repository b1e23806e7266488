"""The appraisal services: who may write what, the ledger's rules, approvals, the scheme's
lifecycle. Every refusal leaves nothing behind."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from appraisal import services
from appraisal.models import EntryDecision, Indicator, LedgerEntry, Scheme
from orgs.models import AuditEvent


def entry(
    actor, year, institution, *, kind="indicator", indicator="C1", period="h1", points="-5", **kw
):
    return services.ledger_entry_create(
        actor=actor,
        scheme=year.scheme,
        institution=institution,
        kind=kind,
        indicator=year.indicators[indicator] if kind == "indicator" else None,
        period=period,
        points=D(points),
        reason=kw.pop("reason", "事由"),
        **kw,
    )


# --- Who may write -------------------------------------------------------------------------------


def test_scorer_scores_only_own_department(world, year):
    scorer = world.users["scorer"]
    e = entry(scorer, year, world.a)
    assert e.department == world.dept and not e.needs_approval
    for code in ("B1", "E1"):
        with pytest.raises(PermissionDenied):
            entry(scorer, year, world.a, indicator=code, period="year" if code == "E1" else "h1")
    assert LedgerEntry.objects.count() == 1


def test_head_only_self_assesses_own_institution(world, year):
    head = world.users["head_a"]
    mine = entry(head, year, world.a, is_official=False)
    assert not mine.is_official
    with pytest.raises(PermissionDenied):
        entry(head, year, world.a)  # official points
    with pytest.raises(PermissionDenied):
        entry(head, year, world.b, is_official=False)
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize("persona", ["auditor", "acceptance", "payroll", "norole"])
def test_other_roles_write_nothing(world, year, persona):
    with pytest.raises(PermissionDenied):
        entry(world.users[persona], year, world.a)
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("status", [Scheme.Status.DRAFT, Scheme.Status.PUBLISHED])
def test_a_year_not_open_refuses_entries(world, year, status):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
    with pytest.raises(ValidationError, match="accepts no entries"):
        entry(world.users["hr"], year, world.a)
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"indicator": "E1", "period": "h1"}, "period"),  # execution capacity is whole-year
        ({"period": "year"}, "period"),  # common goals are half-yearly
        ({"points": "0"}, "points"),
        ({"points": "-1.005"}, "points"),
        ({"reason": "  "}, "reason"),
        ({"indicator": "B2"}, "indicator"),  # B2 does not apply to A01
        ({"kind": "bonus", "points": "-3"}, "points"),
    ],
)
def test_bad_entries_are_refused(world, year, kwargs, field):
    with pytest.raises(ValidationError) as error:
        entry(world.users["hr"], year, world.a, **kwargs)
    assert field in error.value.message_dict
    assert not LedgerEntry.objects.exists()


def test_ratio_indicators_take_no_entries(world, year):
    ratio = Indicator.objects.create(
        scheme=year.scheme, code="R1", part="business", name="R1", method="ratio",
        direction="higher", max_points=D(10), department=world.dept,
    )  # fmt: skip
    year.indicators["R1"] = ratio
    with pytest.raises(ValidationError) as error:
        entry(world.users["hr"], year, world.a, indicator="R1")
    assert "indicator" in error.value.message_dict


# --- The ledger is append-only -------------------------------------------------------------------


def test_ledger_refuses_update_and_delete(world, year):
    e = entry(world.users["hr"], year, world.a)
    e.points = D("-99")
    with pytest.raises(RuntimeError):
        e.save()
    with pytest.raises(RuntimeError):
        e.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=e.pk).update(points=D("-99"))
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            LedgerEntry.objects.filter(pk=e.pk).delete()
    assert LedgerEntry.objects.get(pk=e.pk).points == D("-5")


def test_reversal_points_back_and_cannot_repeat(world, year):
    hr = world.users["hr"]
    e = entry(hr, year, world.a)
    r = services.ledger_entry_reverse(actor=hr, entry=e, reason="录入错误")
    assert r.points == D("5") and r.reverses == e
    with pytest.raises(ValidationError, match="reversed already"):
        services.ledger_entry_reverse(actor=hr, entry=e, reason="again")
    with pytest.raises(ValidationError):
        services.ledger_entry_reverse(actor=hr, entry=r, reason="reverse the reversal")
    assert AuditEvent.objects.filter(action="ledger.reverse").count() == 1


def test_scorer_cannot_reverse_another_departments_entry(world, year):
    e = entry(world.users["hr"], year, world.b, indicator="B2")
    with pytest.raises(PermissionDenied):
        services.ledger_entry_reverse(actor=world.users["scorer"], entry=e, reason="x")


# --- Approvals -----------------------------------------------------------------------------------


def test_proposals_count_only_after_approval(world, year):
    scorer, hr = world.users["scorer"], world.users["hr"]
    proposal = entry(scorer, year, world.a, kind="veto", points="12")
    assert proposal.needs_approval
    with pytest.raises(PermissionDenied):
        services.entry_decide(actor=scorer, entry=proposal, approved=True)
    services.entry_decide(actor=hr, entry=proposal, approved=True, note="属实")
    with pytest.raises(ValidationError, match="decided already"):
        services.entry_decide(actor=hr, entry=proposal, approved=False)
    # Reversing an approved entry counts at once.
    reversal = services.ledger_entry_reverse(actor=hr, entry=proposal, reason="撤销")
    assert not reversal.needs_approval
    assert EntryDecision.objects.get(entry=proposal).approved


def test_withdrawn_proposal_cannot_be_approved(world, year):
    scorer = world.users["scorer"]
    proposal = entry(scorer, year, world.a, kind="bonus", points="5")
    withdrawal = services.ledger_entry_reverse(actor=scorer, entry=proposal, reason="撤回")
    assert withdrawal.needs_approval  # neither counts
    with pytest.raises(ValidationError, match="withdrawn"):
        services.entry_decide(actor=world.users["hr"], entry=proposal, approved=True)


def test_hr_bonus_counts_at_once(world, year):
    e = entry(world.users["hr"], year, world.a, kind="bonus", points="8")
    assert not e.needs_approval and e.period == "year"


# --- Scheme lifecycle ----------------------------------------------------------------------------


def test_new_year_copies_settings_and_indicators(world, year):
    hr = world.users["hr"]
    Scheme.objects.filter(pk=year.scheme.pk).update(bonus_cap=D(15))
    new = services.scheme_create(actor=hr, year=2027)
    assert new.status == Scheme.Status.DRAFT and new.bonus_cap == D(15)
    assert sorted(new.indicators.values_list("code", flat=True)) == ["B1", "B2", "C1", "E1"]
    assert list(
        new.indicators.get(code="B2").institutions.order_by("code").values_list("code", flat=True)
    ) == [
        "B01",
        "C01",
    ]
    with pytest.raises(ValidationError):
        services.scheme_create(actor=hr, year=2027)


def test_opening_checks_that_maxima_add_up(world, year):
    hr = world.users["hr"]
    draft = services.scheme_create(actor=hr, year=2027)
    b2 = draft.indicators.get(code="B2")
    services.indicator_save(actor=hr, scheme=draft, indicator=b2, max_points=D(250))
    with pytest.raises(ValidationError) as error:
        services.scheme_transition(actor=hr, scheme=draft, action="open")
    problems = error.value.messages
    assert any("B01" in p and "250" in p for p in problems)
    assert any("C01" in p for p in problems) and not any("A01" in p for p in problems)
    draft.refresh_from_db()
    assert draft.status == Scheme.Status.DRAFT
    services.indicator_save(actor=hr, scheme=draft, indicator=b2, max_points=D(300))
    services.scheme_transition(actor=hr, scheme=draft, action="open")
    draft.refresh_from_db()
    assert draft.status == Scheme.Status.OPEN
    with pytest.raises(ValidationError, match="no longer change"):
        services.scheme_update(actor=hr, scheme=draft, bonus_cap=D(1))


def test_publish_locks_and_reopen_is_audited(world, year):
    hr = world.users["hr"]
    services.scheme_transition(actor=hr, scheme=year.scheme, action="review")
    services.scheme_transition(actor=hr, scheme=year.scheme, action="publish")
    year.scheme.refresh_from_db()
    assert year.scheme.is_locked
    with pytest.raises(ValidationError):
        entry(hr, year, world.a)
    with pytest.raises(ValidationError):
        services.scheme_transition(actor=hr, scheme=year.scheme, action="reopen", reason=" ")
    services.scheme_transition(actor=hr, scheme=year.scheme, action="reopen", reason="申诉成立")
    event = AuditEvent.objects.get(action="scheme.reopen")
    assert event.after == {"status": "review", "reason": "申诉成立"} and event.actor == hr
    with pytest.raises(PermissionDenied):
        services.scheme_transition(
            actor=world.users["auditor"], scheme=year.scheme, action="publish"
        )


def test_a_withdrawal_is_not_decided(world, year):
    scorer, hr = world.users["scorer"], world.users["hr"]
    proposal = entry(scorer, year, world.a, kind="bonus", points="5")
    withdrawal = services.ledger_entry_reverse(actor=scorer, entry=proposal, reason="撤回")
    with pytest.raises(ValidationError, match="withdraws a proposal"):
        services.entry_decide(actor=hr, entry=withdrawal, approved=True)
    assert not EntryDecision.objects.exists()


def test_hr_does_not_self_assess_for_an_institution(world, year):
    with pytest.raises(PermissionDenied):
        entry(world.users["hr"], year, world.a, is_official=False)


def test_the_ledger_service_itself_refuses_a_disguised_file(world, year, settings, tmp_path):
    """Whatever door an entry comes through, its evidence is checked by content (orgs.uploads)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    events = AuditEvent.objects.count()
    page = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as refused:
        entry(world.users["hr"], year, world.a, evidence=page)
    assert "evidence" in refused.value.message_dict
    assert not LedgerEntry.objects.exists() and AuditEvent.objects.count() == events
    assert not any(tmp_path.rglob("*.pdf"))
    real = SimpleUploadedFile("report.pdf", b"%PDF-1.7\n" + b"0" * 64)
    assert entry(world.users["hr"], year, world.a, evidence=real).evidence.name.endswith(".pdf")
