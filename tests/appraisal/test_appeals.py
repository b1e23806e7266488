"""Appeals (申诉) during the review window: the services' rules and refusals, the database's
constraints, the pages and the API as every persona, and the query counts of the list.

The year of tests/appraisal/conftest.py, moved to review; the `scorer` persona (安全生产科, AQ)
scores C1, 党建办 (DJ) scores B1 and B2."""

import json
import re
import threading
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from appraisal import access, selectors, services
from appraisal.models import Appeal, LedgerEntry, Result, Scheme
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY
from orgs.models import AuditEvent, Role

from ..factories import UserFactory
from ..personas import PERSONAS, SIGNED_IN, statuses

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
API = "/api/v1/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf(name="evidence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def set_status(year, status):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
    year.scheme.refresh_from_db()


@pytest.fixture
def review(year):
    """The 2026 year in review (结果反馈): results shown, appeals taken."""
    set_status(year, Scheme.Status.REVIEW)
    return year


def record(world, year, *, by="scorer", institution=None, code="C1", points="-10", **kwargs):
    """A ledger entry through the service (the scorer's deduction on C1 unless told)."""
    fields = {
        "institution": institution or world.a,
        "kind": LedgerEntry.Kind.INDICATOR,
        "indicator": year.indicators[code] if code else None,
        "period": "h1",
        "points": D(points),
        "reason": "安全检查发现问题",
    }
    fields.update(kwargs)
    if fields["kind"] != LedgerEntry.Kind.INDICATOR:
        fields["indicator"], fields["period"] = None, "year"
    return services.ledger_entry_create(actor=world.users[by], scheme=year.scheme, **fields)


def appeal(world, entry, *, by="head_a", reasons="检查当日通道已清理，有照片为证", **kwargs):
    return services.appeal_submit(actor=world.users[by], entry=entry, reasons=reasons, **kwargs)


def answer(world, appeal_, *, by="scorer", accept=True, text="复核属实，撤销扣分"):
    return services.appeal_answer(actor=world.users[by], appeal=appeal_, accept=accept, answer=text)


def total(world):
    return Result.objects.get(institution=world.a).total


# --- Submitting ----------------------------------------------------------------------------------


def test_head_appeals_a_deduction_of_own_institution(world, review):
    entry = record(world, review)
    a = appeal(world, entry, evidence=pdf())
    assert a.status == Appeal.Status.PENDING
    assert (a.scheme, a.institution, a.entry, a.submitted_by) == (
        review.scheme,
        world.a,
        entry,
        world.users["head_a"],
    )
    assert a.reasons == "检查当日通道已清理，有照片为证"
    assert a.evidence.name.startswith(f"appeals/{review.scheme.pk}/{world.a.pk}/")
    assert a.answered_at is None and a.reversal is None
    event = AuditEvent.objects.get(action="appeal.submit")
    assert event.actor == world.users["head_a"]
    assert event.object_id == str(a.pk)
    assert event.before is None
    assert event.after["entry"] == entry.pk
    assert event.after["status"] == "pending"
    assert event.after["institution"] == "A01"
    assert event.after["evidence"] == a.evidence.name


def test_veto_deduction_and_approved_proposal_may_be_appealed(world, review):
    veto = record(world, review, by="hr", kind="veto", code=None, points="10")
    proposal = record(world, review, by="scorer", kind="veto", code=None, points="5")
    services.entry_decide(actor=world.users["hr"], entry=proposal, approved=True)
    assert appeal(world, veto).entry == veto
    assert appeal(world, proposal).entry == proposal


@pytest.mark.parametrize("status", [Scheme.Status.OPEN, Scheme.Status.PUBLISHED])
def test_appeals_only_while_in_review(world, year, status):
    entry = record(world, year)
    set_status(year, status)
    with pytest.raises(ValidationError, match="while the results are in review"):
        appeal(world, entry)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("persona", ["head_b", "hr", "scorer", "auditor", "acceptance", "payroll"])
def test_only_the_head_of_the_entrys_institution_appeals(world, review, persona):
    entry = record(world, review)
    with pytest.raises(PermissionDenied):
        appeal(world, entry, by=persona)
    assert not Appeal.objects.exists()
    assert not AuditEvent.objects.filter(action="appeal.submit").exists()


def _self_assessment(world, year):
    return record(world, year, by="head_a", is_official=False)


def _pending_proposal(world, year):
    return record(world, year, kind="veto", code=None, points="5")


def _rejected_proposal(world, year):
    entry = record(world, year, kind="veto", code=None, points="5")
    services.entry_decide(actor=world.users["hr"], entry=entry, approved=False)
    return entry


def _reversing_entry(world, year):
    entry = record(world, year)
    return services.ledger_entry_reverse(actor=world.users["scorer"], entry=entry, reason="误扣")


def _reversed_entry(world, year):
    entry = record(world, year)
    services.ledger_entry_reverse(actor=world.users["scorer"], entry=entry, reason="误扣")
    return entry


def _points_given(world, year):
    return record(world, year, by="hr", code="B1", points="250")


def _bonus(world, year):
    return record(world, year, by="hr", kind="bonus", code=None, points="5")


REFUSED = [
    (_self_assessment, "self-assessment entry is not appealed"),
    (_pending_proposal, "does not count towards the results"),
    (_rejected_proposal, "does not count towards the results"),
    (_reversing_entry, "is itself a correction"),
    (_reversed_entry, "is reversed already"),
    (_points_given, "Only deductions and veto deductions are appealed"),
    (_bonus, "Only deductions and veto deductions are appealed"),
]


@pytest.mark.parametrize(("make", "message"), REFUSED, ids=[m.__name__ for m, _ in REFUSED])
def test_entries_that_may_not_be_appealed(world, review, make, message):
    entry = make(world, review)
    with pytest.raises(ValidationError, match=message):
        appeal(world, entry)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("reasons", ["", "   \n "])
def test_reasons_are_required(world, review, reasons):
    entry = record(world, review)
    with pytest.raises(ValidationError) as e:
        appeal(world, entry, reasons=reasons)
    assert "reasons" in e.value.message_dict
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("script.html", b"<script>alert(1)</script>", "is not accepted here"),
        ("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "at most"),
    ],
)
def test_evidence_is_validated(world, review, media, name, content, message):
    entry = record(world, review)
    with pytest.raises(ValidationError) as e:
        appeal(world, entry, evidence=pdf(name, content))
    assert message in " ".join(e.value.message_dict["evidence"])
    assert not Appeal.objects.exists()
    assert not (media / "appeals").exists()


def test_a_second_appeal_on_the_same_entry_is_refused_cleanly(world, review, media):
    entry = record(world, review)
    first = appeal(world, entry, evidence=pdf())
    with pytest.raises(ValidationError, match="is appealed already"):
        appeal(world, entry, evidence=pdf("again.pdf"))
    # Rejected is final too: the entry is not appealed again.
    answer(world, first, accept=False, text="扣分有据")
    with pytest.raises(ValidationError, match="is appealed already"):
        appeal(world, entry)
    assert Appeal.objects.count() == 1
    assert AuditEvent.objects.filter(action="appeal.submit").count() == 1
    # The refused appeal's file is not left behind.
    stored = sorted(p.name for p in (media / "appeals").rglob("*") if p.is_file())
    assert stored == [first.evidence.name.rsplit("/", 1)[1]]


def test_an_accepted_appeal_leaves_the_entry_reversed_and_not_appealable(world, review):
    entry = record(world, review)
    answer(world, appeal(world, entry))
    with pytest.raises(ValidationError, match="is reversed already"):
        appeal(world, entry)


# --- Answering -----------------------------------------------------------------------------------


def test_scorer_accepts_entry_is_reversed_and_results_go_up(world, review):
    entry = record(world, review)  # C1 −10 in H1: common (290 + 300) / 2 = 295
    year_results_recompute(scheme_id=review.scheme.pk)
    assert total(world) == D("695.00")
    a = appeal(world, entry)
    a = answer(world, a, text="复核属实")
    assert a.status == Appeal.Status.ACCEPTED
    assert a.answer == "复核属实"
    assert a.answered_by == world.users["scorer"]
    assert a.answered_at is not None
    reversal = a.reversal
    assert reversal.reverses == entry
    assert reversal.points == D("10")
    assert reversal.reason == f"Appeal #{a.pk} accepted: 复核属实"
    assert reversal.created_by == world.users["scorer"]
    assert reversal.institution == world.a and reversal.indicator == review.indicators["C1"]
    assert LedgerEntry.objects.get(pk=entry.pk).reversed_by == reversal
    assert reversal.appeal == a
    year_results_recompute(scheme_id=review.scheme.pk)
    assert total(world) == D("700.00")

    event = AuditEvent.objects.get(action="appeal.accept")
    assert event.actor == world.users["scorer"]
    assert event.before["status"] == "pending" and event.before["reversal"] is None
    assert event.after == event.after | {
        "status": "accepted",
        "answer": "复核属实",
        "reversal": reversal.pk,
        "answered_by": world.users["scorer"].pk,
    }
    assert AuditEvent.objects.filter(action="ledger.reverse", object_id=str(reversal.pk)).exists()


def test_accepting_queues_the_recompute_on_commit(
    world, review, django_capture_on_commit_callbacks
):
    entry = record(world, review)
    year_results_recompute(scheme_id=review.scheme.pk)
    a = appeal(world, entry)
    cache.delete(PENDING_KEY.format(review.scheme.pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer(world, a)
    assert len(callbacks) == 1
    assert total(world) == D("700.00")  # the eager task ran on commit


def test_rejecting_keeps_the_entry(world, review, django_capture_on_commit_callbacks):
    entry = record(world, review)
    a = appeal(world, entry)
    with django_capture_on_commit_callbacks() as callbacks:
        a = answer(world, a, by="hr", accept=False, text="扣分依据充分")
    assert not callbacks  # the ledger did not move
    assert (a.status, a.answer, a.answered_by, a.reversal) == (
        Appeal.Status.REJECTED,
        "扣分依据充分",
        world.users["hr"],
        None,
    )
    assert LedgerEntry.objects.count() == 1
    event = AuditEvent.objects.get(action="appeal.reject")
    assert event.before["status"] == "pending"
    assert event.after["status"] == "rejected" and event.after["answer"] == "扣分依据充分"


def test_hr_answers_any_appeal_scorer_only_their_departments(world, review):
    dj_scorer = UserFactory(username="scorer_dj", role=Role.SCORER, scoring_department=review.dj)
    on_c1 = appeal(world, record(world, review))
    on_b1 = appeal(world, record(world, review, by="hr", code="B1", points="-20"))
    on_veto = appeal(world, record(world, review, by="hr", kind="veto", code=None, points="3"))
    with pytest.raises(PermissionDenied):
        services.appeal_answer(actor=dj_scorer, appeal=on_c1, accept=True, answer="x")
    with pytest.raises(PermissionDenied):
        answer(world, on_b1)  # the AQ scorer; B1 is DJ's
    with pytest.raises(PermissionDenied):
        answer(world, on_veto)  # HR's own veto entry has no department: HR answers it
    assert services.appeal_answer(actor=dj_scorer, appeal=on_b1, accept=False, answer="维持")
    assert answer(world, on_veto, by="hr").status == Appeal.Status.ACCEPTED
    assert answer(world, on_c1).status == Appeal.Status.ACCEPTED


@pytest.mark.parametrize("persona", ["head_a", "head_b", "auditor", "acceptance", "payroll"])
def test_other_roles_never_answer(world, review, persona):
    a = appeal(world, record(world, review))
    with pytest.raises(PermissionDenied):
        answer(world, a, by=persona)
    assert Appeal.objects.get().status == Appeal.Status.PENDING


@pytest.mark.parametrize("text", ["", "  "])
def test_answer_needs_text(world, review, text):
    a = appeal(world, record(world, review))
    for accept in (True, False):
        with pytest.raises(ValidationError) as e:
            answer(world, a, accept=accept, text=text)
        assert "answer" in e.value.message_dict
    assert Appeal.objects.get().status == Appeal.Status.PENDING
    assert LedgerEntry.objects.count() == 1


def test_an_appeal_is_answered_once(world, review):
    a = appeal(world, record(world, review))
    answer(world, a)
    for accept in (True, False):
        with pytest.raises(ValidationError, match="is answered already"):
            answer(world, a, by="hr", accept=accept)
    assert LedgerEntry.objects.count() == 2  # the entry and one reversal
    assert AuditEvent.objects.filter(action__startswith="appeal.").count() == 2


def test_a_year_with_unanswered_appeals_is_not_published(world, review):
    a = appeal(world, record(world, review))
    hr = world.users["hr"]
    with pytest.raises(ValidationError, match="not answered yet"):
        services.scheme_transition(actor=hr, scheme=review.scheme, action="publish")
    answer(world, a, accept=False)
    scheme = services.scheme_transition(actor=hr, scheme=review.scheme, action="publish")
    assert scheme.status == Scheme.Status.PUBLISHED


def test_answers_only_while_in_review(world, review):
    a = appeal(world, record(world, review))
    set_status(review, Scheme.Status.PUBLISHED)  # past the guard above, straight in the database
    for accept in (True, False):
        with pytest.raises(ValidationError, match="while the results are in review"):
            answer(world, a, accept=accept)
    assert Appeal.objects.get().status == Appeal.Status.PENDING


def test_accepting_an_entry_corrected_meanwhile_is_refused(world, review):
    entry = record(world, review)
    a = appeal(world, entry)
    services.ledger_entry_reverse(actor=world.users["scorer"], entry=entry, reason="主动更正")
    with pytest.raises(ValidationError, match="reversed already"):
        answer(world, a)
    assert Appeal.objects.get().status == Appeal.Status.PENDING  # rolled back; reject it instead
    assert answer(world, a, accept=False, text="已更正").status == Appeal.Status.REJECTED


@pytest.mark.django_db(transaction=True)
def test_a_double_click_answers_once(world, year):
    set_status(year, Scheme.Status.REVIEW)
    a = appeal(world, record(world, year))
    outcomes = []
    start = threading.Barrier(2)

    def click():
        try:
            start.wait()
            answer(world, a)
            outcomes.append("answered")
        except ValidationError as e:
            outcomes.append(" ".join(e.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2
    assert outcomes.count("answered") == 1
    assert any("is answered already" in outcome for outcome in outcomes)
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="appeal.accept").count() == 1


# --- The database's constraints ------------------------------------------------------------------


def _raw(world, review, **fields):
    entry = record(world, review)
    defaults = {
        "scheme": review.scheme,
        "institution": world.a,
        "entry": entry,
        "reasons": "理由",
        "submitted_by": world.users["head_a"],
    }
    return Appeal(**(defaults | fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"reasons": ""},
        {"answer": "已答复"},  # pending with an answer
        {"status": "rejected"},  # answered without answer, who or when
        {"status": "rejected", "answer": "", "answered_at": timezone.now()},
        {"status": "accepted", "answer": "是", "answered_at": timezone.now()},  # no reversal
    ],
)
def test_database_refuses_inconsistent_appeals(world, review, fields):
    if "answered_at" in fields:
        fields["answered_by"] = world.users["hr"]
    row = _raw(world, review, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_database_holds_one_appeal_per_entry(world, review):
    row = _raw(world, review)
    row.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            scheme=row.scheme,
            institution=row.institution,
            entry=row.entry,
            reasons="again",
            submitted_by=row.submitted_by,
        )


# --- Scope ---------------------------------------------------------------------------------------


@pytest.fixture
def appeals(world, review):
    """An appeal of A01 on C1 (the scorer's department), one of B01 on B2 (DJ's, entered by HR)
    and one of A01 on HR's veto deduction."""
    return {
        "a_c1": appeal(world, record(world, review)),
        "b_b2": appeal(
            world, record(world, review, by="hr", institution=world.b, code="B2"), by="head_b"
        ),
        "a_veto": appeal(world, record(world, review, by="hr", kind="veto", code=None, points="3")),
    }


VISIBLE_APPEALS = {
    "hr": {"a_c1", "b_b2", "a_veto"},
    "auditor": {"a_c1", "b_b2", "a_veto"},
    "scorer": {"a_c1"},
    "head_a": {"a_c1", "a_veto"},
    "head_b": {"b_b2"},
    "acceptance": set(),
    "payroll": set(),
    "norole": set(),
}


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_appeals_visible_to(world, appeals, persona):
    user = world.users[persona]
    names = {name for name, a in appeals.items() if access.appeals_visible_to(user).contains(a)}
    assert names == VISIBLE_APPEALS[persona]
    for name, a in appeals.items():
        if name in VISIBLE_APPEALS[persona]:
            assert access.appeal_get_for_user(user, pk=a.pk) == a
        else:
            with pytest.raises(Exception) as e:
                access.appeal_get_for_user(user, pk=a.pk)
            assert e.type.__name__ == "Http404"


def test_ledger_flags_the_entries_a_head_may_appeal(world, review):
    """The page's `appealable` flag (one query for the page) agrees with the service's rule."""
    entries = [make(world, review) for make, _ in REFUSED]
    entries += [
        record(world, review),
        record(world, review, by="hr", kind="veto", code=None, points="4"),
        record(world, review, by="hr", institution=world.b, code="B2"),  # B01: not head_a's
    ]
    appealed = record(world, review, points="-3")
    appeal(world, appealed)
    rows = {
        e.pk: e for e in selectors.ledger_list(user=world.users["head_a"], scheme=review.scheme)
    }
    for entry in entries:
        if entry.pk not in rows:
            assert entry.institution_id == world.b.pk
            continue
        expected = services.appeal_refusal(services._entry_for_appeal(entry)) is None
        assert rows[entry.pk].appealable is expected, entry
    assert rows[appealed.pk].appealable is False
    assert rows[appealed.pk].appeal_status == "pending"
    # Nobody else gets the flag; outside review nobody does.
    hr_rows = selectors.ledger_list(user=world.users["hr"], scheme=review.scheme)
    assert not any(e.appealable for e in hr_rows)
    set_status(review, Scheme.Status.OPEN)
    head_rows = selectors.ledger_list(user=world.users["head_a"], scheme=review.scheme)
    assert not any(e.appealable for e in head_rows)


# --- Pages ---------------------------------------------------------------------------------------


def check(client, persona, url, expected, method="get", data=None):
    response = getattr(client, method)(url, data or {})
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url)
    return response


# url name, appeal or entry, expected status for:
#                                    hr  head_a head_b scorer accept payroll auditor norole
PAGE_MATRIX = [
    ("appraisal:appeal_list", None, "200 200 200 200 403 403 200 403"),
    ("appraisal:appeal_detail", "a_c1", "200 200 404 200 403 403 200 403"),
    ("appraisal:appeal_detail", "b_b2", "200 404 200 404 403 403 200 403"),
    ("appraisal:appeal_detail", "a_veto", "200 200 404 404 403 403 200 403"),
    ("appraisal:appeal_create", "entry_a", "403 200 404 403 403 403 403 403"),
    ("appraisal:appeal_create", "entry_b", "403 404 200 403 403 403 403 403"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "target", "expected"), PAGE_MATRIX)
def test_page_access(client_for, world, review, appeals, persona, name, target, expected):
    targets = {
        "entry_a": record(world, review, points="-2"),
        "entry_b": record(world, review, institution=world.b, points="-2"),
    }
    targets |= appeals
    kwargs = {"pk": targets[target].pk} if target else {}
    check(client_for(persona), persona, reverse(name, kwargs=kwargs), expected)


# The answer as each persona: HR and the entry's department answer (302 to the appeal); the
# others are refused before anything changes.
ANSWER_MATRIX = [
    ("a_c1", "302 403 403 302 403 403 403 403"),
    ("b_b2", "302 403 403 404 403 403 403 403"),  # DJ's entry: the AQ scorer does not see it
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("target", "expected"), ANSWER_MATRIX)
def test_answer_access(client_for, world, appeals, persona, target, expected):
    a = appeals[target]
    url = reverse("appraisal:appeal_answer", kwargs={"pk": a.pk})
    data = {"decision": "accept", "confirm": "yes", "reason": "是"}
    response = check(client_for(persona), persona, url, expected, "post", data)
    a.refresh_from_db()
    if response.status_code == 302 and persona != "anonymous":
        assert response["Location"] == reverse("appraisal:appeal_detail", kwargs={"pk": a.pk})
        assert a.status == Appeal.Status.ACCEPTED
    else:
        assert a.status == Appeal.Status.PENDING


def test_scorer_of_the_entrys_department_sees_the_form_others_do_not(
    client, world, review, appeals
):
    dj_scorer = UserFactory(username="scorer_dj", role=Role.SCORER, scoring_department=review.dj)
    client.force_login(dj_scorer)
    a = appeals["b_b2"]
    detail = reverse("appraisal:appeal_detail", kwargs={"pk": a.pk})
    assert b'data-testid="answer-form"' in client.get(detail).content
    # The C1 appeal is not DJ's: not even visible to them.
    c1 = appeals["a_c1"]
    assert client.get(reverse("appraisal:appeal_detail", kwargs={"pk": c1.pk})).status_code == 404
    response = client.post(
        reverse("appraisal:appeal_answer", kwargs={"pk": c1.pk}),
        {"decision": "accept", "confirm": "yes", "reason": "是"},
    )
    assert response.status_code == 404
    assert Appeal.objects.get(pk=c1.pk).status == Appeal.Status.PENDING


@pytest.mark.parametrize("persona", ["head_a", "auditor", "hr"])
def test_readers_see_no_answer_form_unless_they_may_answer(client_for, appeals, persona):
    a = appeals["a_c1"]
    content = client_for(persona).get(reverse("appraisal:appeal_detail", kwargs={"pk": a.pk}))
    assert (b'data-testid="answer-form"' in content.content) is (persona == "hr")
    assert "检查当日通道已清理".encode() in content.content


def test_head_appeals_from_the_form(client_for, world, review):
    entry = record(world, review)
    client = client_for("head_a")
    url = reverse("appraisal:appeal_create", kwargs={"pk": entry.pk})
    page = client.get(url)
    assert b'data-testid="appeal-form"' in page.content
    assert "安全检查发现问题".encode() in page.content  # the entry is shown

    response = client.post(url, {"reasons": "  "})
    assert response.status_code == 200
    assert "reasons" in response.context["form"].errors
    response = client.post(url, {"reasons": "有照片", "evidence": pdf("x.exe", b"MZ")})
    assert "evidence" in response.context["form"].errors
    assert not Appeal.objects.exists()

    response = client.post(url, {"reasons": "通道已清理", "evidence": pdf()})
    a = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:appeal_detail", kwargs={"pk": a.pk})
    assert a.reasons == "通道已清理" and a.evidence
    # Once appealed, the form leads to the appeal.
    again = client.get(url)
    assert again.status_code == 302
    assert again["Location"] == reverse("appraisal:appeal_detail", kwargs={"pk": a.pk})
    response = client.post(url, {"reasons": "again"})
    assert response.status_code == 302
    assert Appeal.objects.count() == 1


def test_the_form_says_why_an_entry_may_not_be_appealed(client_for, world, year):
    entry = record(world, year)  # the year is open, not in review
    page = client_for("head_a").get(reverse("appraisal:appeal_create", kwargs={"pk": entry.pk}))
    assert page.status_code == 200
    assert b'data-testid="appeal-refused"' in page.content
    assert b'data-testid="appeal-form"' not in page.content
    response = client_for("head_a").post(
        reverse("appraisal:appeal_create", kwargs={"pk": entry.pk}), {"reasons": "理由"}
    )
    assert response.status_code == 200
    assert "in review" in " ".join(response.context["form"].non_field_errors())
    assert not Appeal.objects.exists()


def test_answer_page_accepts_once(client_for, world, appeals):
    a = appeals["a_c1"]
    client = client_for("scorer")
    url = reverse("appraisal:appeal_answer", kwargs={"pk": a.pk})
    # The answer is the dialog's reason: without it (or without the confirmation) nothing happens.
    for data in (
        {"decision": "accept", "confirm": "yes", "reason": ""},
        {"decision": "accept", "reason": "复核属实"},
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert 'data-testid="confirm-refused"' in response.content.decode()
    a.refresh_from_db()
    assert a.status == Appeal.Status.PENDING and not LedgerEntry.objects.filter(reverses=a.entry)
    response = client.post(
        url, {"decision": "accept", "confirm": "yes", "reason": "复核属实"}, follow=True
    )
    a.refresh_from_db()
    assert a.status == Appeal.Status.ACCEPTED
    page = response.content.decode()
    assert f"is reversed by #{a.reversal_id}" in page
    assert 'data-testid="appeal-reversal"' in page
    assert 'data-testid="answer-form"' not in page
    response = client.post(
        url, {"decision": "reject", "confirm": "yes", "reason": "再次"}, follow=True
    )
    assert "is answered already" in response.content.decode()
    a.refresh_from_db()
    assert a.status == Appeal.Status.ACCEPTED
    assert LedgerEntry.objects.filter(reverses=a.entry).count() == 1


def test_answer_page_rejects(client_for, appeals):
    a = appeals["b_b2"]
    response = client_for("hr").post(
        reverse("appraisal:appeal_answer", kwargs={"pk": a.pk}),
        {"decision": "reject", "confirm": "yes", "reason": "依据充分"},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.answer, a.reversal) == (Appeal.Status.REJECTED, "依据充分", None)


def test_ledger_and_my_results_offer_the_appeal_and_show_it(client_for, world, review):
    deduction = record(world, review)
    mine = record(world, review, by="head_a", is_official=False)
    appealed = record(world, review, points="-3")
    a = appeal(world, appealed)
    client = client_for("head_a")
    for url in (
        reverse("appraisal:ledger", kwargs={"year": 2026}),
        reverse("appraisal:my_results", kwargs={"year": 2026}),
    ):
        html = client.get(url).content.decode()
        create = reverse("appraisal:appeal_create", kwargs={"pk": deduction.pk})
        assert f'href="{create}"' in html
        assert reverse("appraisal:appeal_create", kwargs={"pk": mine.pk}) not in html
        assert reverse("appraisal:appeal_create", kwargs={"pk": appealed.pk}) not in html
        assert html.count('data-testid="appeal-link"') == 1
        assert f'href="{reverse("appraisal:appeal_detail", kwargs={"pk": a.pk})}"' in html
        assert "appealed: Pending" in html
    # HR sees the appealed state, and no appeal link.
    html = client_for("hr").get(reverse("appraisal:ledger", kwargs={"year": 2026})).content
    assert b'data-testid="appeal-link"' not in html
    assert b'data-testid="appeal-state"' in html


def test_appeal_list_filters_by_year_and_status(client_for, world, appeals):
    answer(world, appeals["a_c1"], accept=False, text="维持")
    client = client_for("hr")
    url = reverse("appraisal:appeal_list")

    def listed(**params):
        return [a.pk for a in client.get(url, params).context["page_obj"]]

    everything = listed()
    assert everything == sorted((a.pk for a in appeals.values()), reverse=True)  # newest first
    assert listed(status="rejected") == [appeals["a_c1"].pk]
    assert set(listed(status="pending")) == {appeals["b_b2"].pk, appeals["a_veto"].pk}
    assert listed(year=2026) == everything
    assert listed(year=2025) == []
    assert listed(year="x") == everything  # an unusable filter is ignored
    assert [a.pk for a in client_for("head_b").get(url).context["page_obj"]] == [appeals["b_b2"].pk]


@pytest.mark.parametrize("persona", ["hr", "head_a", "scorer"])
def test_appeal_list_query_count_is_fixed(
    client_for, world, review, persona, django_assert_num_queries
):
    client = client_for(persona)
    url = reverse("appraisal:appeal_list")
    appeal(world, record(world, review), evidence=pdf())
    client.get(url)  # warm the session
    # session, user, the years offered, the count, the page
    with django_assert_num_queries(5) as few:
        response = client.get(url, {"year": 2026})
    assert len(response.context["page_obj"]) == 1
    for i in range(30):
        a = appeal(world, record(world, review, points=f"-{i + 1}"))
        if i % 3 == 0:
            answer(world, a, accept=False, text="维持")
        elif i % 3 == 1:
            answer(world, a, by="hr", text="撤销")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url, {"year": 2026})
    assert len(response.context["page_obj"]) == 31


# Evidence of the A01 appeal: only those who see the appeal get it; nobody gets a missing file.
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("with_file", "expected"),
    [(True, "200 200 404 200 403 403 200 403"), (False, "404 404 404 404 403 403 404 403")],
)
def test_evidence_access(client_for, world, review, persona, with_file, expected):
    a = appeal(world, record(world, review), evidence=pdf() if with_file else None)
    response = check(
        client_for(persona),
        persona,
        reverse("appraisal:appeal_evidence", kwargs={"pk": a.pk}),
        expected,
    )
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


# --- API -----------------------------------------------------------------------------------------

ROLE_PERSONAS = [p for p in SIGNED_IN if p != "norole"]


def expect(default, **overrides):
    return dict.fromkeys(ROLE_PERSONAS, default) | overrides | {"norole": 403, "anonymous": 401}


def call(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


NOT_READERS = {"acceptance": 403, "payroll": 403}
API_TABLE = [
    ("get", "appeals/", None, expect(200, **NOT_READERS)),
    ("get", "appeals/{a_c1}/", None, expect(200, head_b=404, **NOT_READERS)),
    ("get", "appeals/{b_b2}/", None, expect(200, head_a=404, scorer=404, **NOT_READERS)),
    ("get", "appeals/999999/", None, expect(404, **NOT_READERS)),
    # head_b does not see A01's entry: it reads as unknown.
    (
        "post",
        "appeals/",
        {"entry": "{entry}", "reasons": "理由"},
        expect(403, head_a=201, head_b=400),
    ),
    *[
        (method, "appeals/{a_c1}/", {"reasons": "改"}, expect(403, head_a=405, head_b=405))
        for method in ("put", "patch", "delete")
    ],
    (
        "post",
        "appeals/{a_c1}/answer/",
        {"decision": "accept", "answer": "属实"},
        expect(403, hr=200, scorer=200),
    ),
    (
        "post",
        "appeals/{b_b2}/answer/",
        {"decision": "reject", "answer": "维持"},
        expect(403, hr=200, scorer=404),
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    API_TABLE,
    ids=[f"{m.upper()} {u}" for m, u, _, _ in API_TABLE],
)
def test_api_access_by_persona(client_for, world, review, appeals, method, url, body, expected):
    ids = {name: a.pk for name, a in appeals.items()} | {
        "entry": record(world, review, points="-2").pk
    }
    url = API + url.format(**ids)
    if body:
        body = {k: ids[v[1:-1]] if str(v).startswith("{") else v for k, v in body.items()}
    got = {}
    for persona in expected:
        with transaction.atomic():
            got[persona] = call(client_for(persona), method, url, body).status_code
            transaction.set_rollback(True)
    assert got == expected


def test_api_head_submits_with_evidence_and_scorer_accepts(client_for, world, review):
    entry = record(world, review)
    head = client_for("head_a")
    response = head.post(
        API + "appeals/", {"entry": entry.pk, "reasons": "通道已清理", "evidence": pdf()}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["entry"] == entry.pk
    assert data["year"] == 2026 and data["institution"] == "A01"
    assert data["entry_points"] == "-10.00"
    assert (data["status"], data["answer"], data["reversal"]) == ("pending", "", None)
    assert data["submitted_by"] == "head_a"
    assert data["evidence_url"] == f"/appraisal/appeals/{data['id']}/evidence/"
    assert b"".join(head.get(data["evidence_url"]).streaming_content) == PDF

    again = head.post(API + "appeals/", {"entry": entry.pk, "reasons": "再次"})
    assert again.status_code == 400
    assert "is appealed already" in json.dumps(again.json(), ensure_ascii=False)

    scorer = client_for("scorer")
    url = f"{API}appeals/{data['id']}/answer/"
    response = call(scorer, "post", url, {"decision": "accept", "answer": ""})
    assert response.status_code == 400 and "answer" in response.json()
    response = call(scorer, "post", url, {"decision": "accept", "answer": "复核属实"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["answer"], data["answered_by"]) == (
        "accepted",
        "复核属实",
        "scorer",
    )
    reversal = LedgerEntry.objects.get(pk=data["reversal"])
    assert reversal.reverses == entry and reversal.source == "api"
    response = call(scorer, "post", url, {"decision": "reject", "answer": "再次"})
    assert response.status_code == 400
    assert "is answered already" in json.dumps(response.json(), ensure_ascii=False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reasons": " "}, "reasons"),
        ({"entry": 999999}, "entry"),
        ({"entry": "abc"}, "entry"),
        ({"evidence": "x"}, "evidence"),
    ],
)
def test_api_invalid_appeal_names_the_field(client_for, world, review, body, field):
    entry = record(world, review)
    response = client_for("head_a").post(
        API + "appeals/", {"entry": entry.pk, "reasons": "理由"} | body
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Appeal.objects.exists()


def test_api_refuses_an_appeal_outside_review(client_for, world, year):
    entry = record(world, year)
    response = call(
        client_for("head_a"), "post", API + "appeals/", {"entry": entry.pk, "reasons": "理由"}
    )
    assert response.status_code == 400
    assert "in review" in json.dumps(response.json())


def test_api_lists_in_scope_and_filters(client_for, world, appeals):
    answer(world, appeals["a_c1"], accept=False, text="维持")

    def listed(persona, **params):
        response = client_for(persona).get(API + "appeals/", params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    pk = {name: a.pk for name, a in appeals.items()}
    assert listed("hr") == set(pk.values())
    assert listed("head_a") == {pk["a_c1"], pk["a_veto"]}
    assert listed("scorer") == {pk["a_c1"]}
    assert listed("hr", status="rejected") == {pk["a_c1"]}
    assert listed("hr", institution="B01") == {pk["b_b2"]}
    assert listed("hr", year=2025) == set()


# --- Sorting and the answer's confirm dialogs ----------------------------------------------------


def test_appeal_list_sorts_through_the_filter_set_page_and_api_alike(
    client_for, world, review, appeals
):
    big_veto = appeal(world, record(world, review, by="hr", kind="veto", code=None, points="30"))
    client = client_for("hr")
    url = reverse("appraisal:appeal_list")

    def listed(**params):
        return [a.pk for a in client.get(url, params).context["page_obj"]]

    a_c1, b_b2, a_veto = (appeals[k].pk for k in ("a_c1", "b_b2", "a_veto"))
    # Points as they count: the veto deduction of 30 first (−30), then −10, −10 (newest first
    # among equals), then the veto deduction of 3 (−3).
    assert listed(ordering="points") == [big_veto.pk, b_b2, a_c1, a_veto]
    assert listed(ordering="institution") == [big_veto.pk, a_veto, a_c1, b_b2]
    assert listed(ordering="institution", status="pending") == listed(ordering="institution")
    api = client.get(f"{API}appeals/", {"ordering": "points"})
    assert [a["id"] for a in api.json()["results"]] == listed(ordering="points")
    assert client.get(f"{API}appeals/", {"ordering": "reasons"}).status_code == 400
    body = client.get(url, {"ordering": "-points", "status": "pending"}).content.decode()
    assert 'aria-sort="descending"' in body
    assert 'name="ordering" value="-points"' in body  # the filters keep the order


def test_the_answer_dialogs_say_what_happens_and_post_the_answer_as_their_reason(
    client_for, appeals
):
    a = appeals["a_c1"]
    client = client_for("scorer")
    client.cookies["django_language"] = "en"
    body = client.get(reverse("appraisal:appeal_detail", kwargs={"pk": a.pk})).content.decode()
    accept = re.search(r'<dialog id="appeal-accept".*?</dialog>', body, re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", accept))
    assert (
        f"Entry #{a.entry_id} (\u221210.00 for A01 甲机构) is reversed by a new entry of +10.00"
        in (text)
    )
    assert 'name="confirm" value="yes"' in accept and 'name="decision" value="accept"' in accept
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required', accept)
    reject = re.search(r'<dialog id="appeal-reject".*?</dialog>', body, re.S).group(0)
    assert "stays as it is (\u221210.00)" in reject
    assert 'name="decision" value="reject"' in reject
