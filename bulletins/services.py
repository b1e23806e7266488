"""Writes of the bulletins (docs/BULLETINS.md): monthly snapshots of the results, generating and
publishing weekly and monthly bulletins (周报、月度通报), the explanation requests (情况说明) a
monthly bulletin sends to the bottom units of each group, and the year's early-warning policy.
Each write checks the actor, validates, and audits in its own transaction."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.models import Result, ResultSet, Scheme
from orgs import notifications
from orgs.access import has_role, institutions_visible_to
from orgs.models import Institution, Role, User
from orgs.services import audit_record
from orgs.services import snapshot as audited

from . import rules, watchlist
from .attachments import validate_attachment
from .models import (
    Bulletin,
    BulletinLine,
    ExplanationRequest,
    Snapshot,
    WarningPolicy,
    policy_for,
)

POLICY_FIELDS = ("veto_margin", "prize_margin", "explanation_bottom_n", "explanation_days")
# The figures a snapshot and a bulletin line copy from a result.
FIGURES = ("common", "business", "execution", "bonus", "veto", "total", "vetoed", "grade", "rank")


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def _refuse_draft(scheme: Scheme) -> None:
    if scheme.status == Scheme.Status.DRAFT:
        raise ValidationError(
            _("The %(year)s appraisal is still a draft: it has no results to report.")
            % {"year": scheme.year}
        )


# --- Snapshots -----------------------------------------------------------------------------------


@transaction.atomic
def snapshots_take(*, scheme: Scheme, day: datetime.date | None = None) -> int:
    """Copy the year's current results into the snapshots of the month containing `day` (today by
    default), replacing that month's rows in one transaction: a reader sees the old set or the new
    one. Only that month is touched. A month that has ended is frozen: once it has snapshots, a
    later run leaves them as they are (0 is returned); a month that has none (beat did not run)
    may still be taken late, from the results as they are then. A month to come is refused.
    Returns the number of rows written."""
    today = timezone.localdate()
    day = day or today
    month = rules.month_start(day)
    if month > rules.month_start(today):
        raise ValidationError(_("A month that has not begun cannot be snapshotted."))
    # The year's row serialises this with a recompute, which replaces the results under it.
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    _refuse_draft(scheme)
    existing = Snapshot.objects.filter(scheme=scheme, month=month)
    if month < rules.month_start(today) and existing.exists():
        return 0
    taken_at = timezone.now()
    rows = [
        Snapshot(
            scheme=scheme,
            institution_id=result["institution_id"],
            group_id=result["group_id"],
            month=month,
            taken_at=taken_at,
            **{f: result[f] for f in FIGURES},
        )
        for result in Result.objects.filter(scheme=scheme).values(
            "institution_id", "group_id", *FIGURES
        )
    ]
    replaced = existing.count()
    existing.delete()
    Snapshot.objects.bulk_create(rows)
    # Taken by beat (no actor): one event for the month's set, not one per row.
    audit_record(
        actor=None,
        action="snapshot.take",
        obj=scheme,
        before={"month": month.isoformat(), "rows": replaced} if replaced else None,
        after={"month": month.isoformat(), "rows": len(rows)},
    )
    return len(rows)


# --- Bulletins -----------------------------------------------------------------------------------


def _warning_dicts(found, institutions: dict[int, Institution]) -> list[dict]:
    """The warnings as frozen in a bulletin: as_dict() plus the unit's code and name then."""
    out = []
    for warning in found:
        institution = institutions.get(warning.institution_id)
        out.append(
            {
                **warning.as_dict(),
                "institution_code": institution.code if institution else "",
                "institution_name": institution.name if institution else "",
            }
        )
    return out


def _lines(
    bulletin: Bulletin, results: list[Result], previous: Bulletin | None, bottom_n: int, found
) -> list[BulletinLine]:
    """One frozen line per result: names and figures copied, the rank's movement against the
    previous bulletin, the bottom units of each group marked lagging, the line's warning codes."""
    before = {}
    if previous is not None:
        before = {
            line.institution_id: line
            for line in previous.lines.only("institution_id", "group_id", "rank", "total")
        }
    codes: dict[int, list[str]] = {}
    for warning in found:  # most serious first
        codes.setdefault(warning.institution_id, []).append(str(warning.code))
    by_group: dict[int | None, list[Result]] = {}
    for result in results:
        by_group.setdefault(result.group_id, []).append(result)
    lagging = set()
    for rows in by_group.values():
        lagging |= rules.lagging([(r.institution_id, r.rank) for r in rows], bottom_n)
    lines = []
    for result in results:
        old = before.get(result.institution_id)
        # A rank is compared within the same group only; a unit that moved group starts afresh.
        if old is not None and old.group_id != result.group_id:
            old = None
        group = result.group
        lines.append(
            BulletinLine(
                bulletin=bulletin,
                institution_id=result.institution_id,
                institution_code=result.institution.code,
                institution_name=result.institution.name,
                group_id=result.group_id,
                group_name=group.name if group else "",
                group_order=group.sort_order if group else 0,
                previous_rank=old.rank if old else None,
                previous_total=old.total if old else None,
                movement=rules.movement(old.rank if old else None, result.rank),
                prize_level=result.prize_level,
                lagging=result.institution_id in lagging,
                warnings=codes.get(result.institution_id, []),
                **{f: getattr(result, f) for f in FIGURES},
            )
        )
    return lines


@transaction.atomic
def bulletin_generate(
    *, scheme: Scheme, kind: str, day: datetime.date, actor: User | None = None
) -> Bulletin:
    """Freeze the bulletin of the period that ended last before `day` (rules.period): every
    current result of the year as a line, the early warnings as of `day`, the lagging units of
    each group. Numbered next in the year for its kind. Generating again while it is a draft
    replaces it in place (same number, HR's "regenerate"); a published bulletin never changes.
    Called by beat (actor None) or by HR. Two calls at once serialise on the year's row, and the
    database allows one bulletin per period and number."""
    if actor is not None:
        _require_hr(actor)
    if kind not in Bulletin.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of bulletin.")})
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    _refuse_draft(scheme)
    start, end = rules.period(kind, day)
    if end.year < scheme.year:
        raise ValidationError(
            _("The %(year)s appraisal had not begun in the period %(start)s to %(end)s.")
            % {"year": scheme.year, "start": start.isoformat(), "end": end.isoformat()}
        )
    existing = Bulletin.objects.filter(scheme=scheme, kind=kind, period_start=start).first()
    if existing is not None and existing.status == Bulletin.Status.PUBLISHED:
        raise ValidationError(
            _("%(bulletin)s is published; a published bulletin is never changed.")
            % {"bulletin": existing.title()}
        )
    previous = (
        Bulletin.objects.filter(scheme=scheme, kind=kind, period_start__lt=start)
        .order_by("-period_start")
        .first()
    )
    results = list(
        Result.objects.filter(scheme=scheme)
        .select_related("institution", "group")
        .order_by("group__sort_order", "group__code", "rank", "institution__code")
    )
    institutions = Institution.objects.all()
    found = watchlist.year_warnings(scheme, institutions=institutions, results=results, day=day)
    named = {
        i.pk: i
        for i in institutions.filter(pk__in={w.institution_id for w in found}).only("code", "name")
    }
    result_set = ResultSet.objects.filter(scheme=scheme).only("computed_at").first()
    fields = {
        "period_end": end,
        "previous": previous,
        "results_computed_at": result_set.computed_at if result_set else None,
        "warnings": _warning_dicts(found, named),
        "generated_at": timezone.now(),
    }
    if existing is not None:
        bulletin = existing
        before = {
            "generated_at": bulletin.generated_at.isoformat(),
            "lines": bulletin.lines.count(),
        }
        bulletin.lines.all().delete()
        for name, value in fields.items():
            setattr(bulletin, name, value)
        bulletin.save()
        action = "bulletin.regenerate"
    else:
        last = Bulletin.objects.filter(scheme=scheme, kind=kind).aggregate(n=Max("number"))["n"]
        bulletin = Bulletin.objects.create(
            scheme=scheme, kind=kind, period_start=start, number=(last or 0) + 1, **fields
        )
        before = None
        action = "bulletin.generate"
    lines = _lines(bulletin, results, previous, policy_for(scheme).explanation_bottom_n, found)
    BulletinLine.objects.bulk_create(lines)
    audit_record(
        actor=actor,
        action=action,
        obj=bulletin,
        before=before,
        after={
            "kind": kind,
            "period": [start.isoformat(), end.isoformat()],
            "number": bulletin.number,
            "lines": len(lines),
            "lagging": [line.institution_code for line in lines if line.lagging],
            "warnings": len(fields["warnings"]),
        },
    )
    return bulletin


def _request_explanations(bulletin: Bulletin) -> list[ExplanationRequest]:
    """One request per lagging line of a published monthly bulletin, never two (the ones that
    exist are kept as they are)."""
    policy = policy_for(bulletin.scheme)
    due_on = timezone.localdate(bulletin.published_at) + datetime.timedelta(
        days=policy.explanation_days
    )
    asked = set(bulletin.explanations.values_list("institution_id", flat=True))
    new = [
        ExplanationRequest(
            bulletin=bulletin, institution_id=pk, scheme=bulletin.scheme, due_on=due_on
        )
        for pk in bulletin.lines.filter(lagging=True)
        .order_by("institution_code")
        .values_list("institution_id", flat=True)
        if pk not in asked
    ]
    return ExplanationRequest.objects.bulk_create(new)


def _notify_requested(bulletin: Bulletin, requested: list[ExplanationRequest], *, actor) -> None:
    """Tell the head of each institution asked for an explanation (one insert for them all)."""
    if not requested:
        return
    heads = {
        institution.pk: institution
        for institution in Institution.objects.filter(
            pk__in=[r.institution_id for r in requested]
        ).select_related("head")
    }
    notifications.notify_each(
        [
            notifications.Message(
                recipient=head,
                kind="explanation.requested",
                title=gettext_lazy("An explanation is requested"),
                text=gettext_lazy(
                    "%(bulletin)s lists %(institution)s among the lagging units: please submit "
                    "an explanation by %(due)s."
                ),
                params={
                    # Its title is rendered where the notification's words are (in Chinese).
                    "bulletin": lazy(bulletin.title, str)(),
                    "institution": heads[request.institution_id].name,
                    "due": request.due_on.isoformat(),
                },
                link=reverse("bulletins:explanation_detail", args=[request.pk]),
                about=request,
            )
            for request in requested
            for head in notifications.institution_head(heads[request.institution_id])
        ],
        actor=actor,
    )


@transaction.atomic
def bulletin_publish(*, actor: User, bulletin: Bulletin) -> Bulletin:
    """HR publishes a draft: institutions see it from now on. Publishing a monthly bulletin asks
    every lagging unit for an explanation, due `explanation_days` after the day of publication.
    Publishing again changes nothing and asks nobody twice."""
    _require_hr(actor)
    bulletin = Bulletin.objects.select_for_update().select_related("scheme").get(pk=bulletin.pk)
    published = bulletin.status == Bulletin.Status.DRAFT
    if published:
        bulletin.status = Bulletin.Status.PUBLISHED
        bulletin.published_at = timezone.now()
        bulletin.published_by = actor
        bulletin.save(update_fields=["status", "published_at", "published_by"])
    requested = _request_explanations(bulletin) if bulletin.kind == Bulletin.Kind.MONTHLY else []
    _notify_requested(bulletin, requested, actor=actor)
    if published or requested:
        audit_record(
            actor=actor,
            action="bulletin.publish",
            obj=bulletin,
            before={"status": Bulletin.Status.DRAFT} if published else None,
            after={
                "status": bulletin.status,
                "explanations": sorted(
                    Institution.objects.filter(
                        pk__in=[r.institution_id for r in requested]
                    ).values_list("code", flat=True)
                ),
            },
        )
    return bulletin


# --- Explanations --------------------------------------------------------------------------------


def is_overdue(request: ExplanationRequest, today: datetime.date | None = None) -> bool:
    """Still requested and past its due day (watchlist.explanation_overdue_ids, the same rule)."""
    today = today or timezone.localdate()
    return request.status == ExplanationRequest.Status.REQUESTED and request.due_on < today


def can_submit(actor, request: ExplanationRequest) -> bool:
    """The head of the institution asked, until HR has reviewed it."""
    return (
        has_role(actor, Role.HEAD)
        and request.status != ExplanationRequest.Status.REVIEWED
        and institutions_visible_to(actor).filter(pk=request.institution_id).exists()
    )


EXPLANATION_AUDIT = ("status", "text", "submitted_at", "reviewed_at", "review_note")


@transaction.atomic
def explanation_submit(
    *, actor: User, request: ExplanationRequest, text: str, attachment=None
) -> ExplanationRequest:
    """The head of the institution asked submits the explanation, with an optional attachment.
    Submitting again replaces the text (and the attachment, when a new one comes) until HR has
    reviewed it; a late submission is taken, and the request is no longer overdue."""
    request = ExplanationRequest.objects.select_for_update().get(pk=request.pk)
    if not (
        has_role(actor, Role.HEAD)
        and institutions_visible_to(actor).filter(pk=request.institution_id).exists()
    ):
        raise PermissionDenied
    if request.status == ExplanationRequest.Status.REVIEWED:
        raise ValidationError(_("This explanation has been reviewed; it no longer changes."))
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = _("Write the explanation.")
    if attachment:
        try:
            validate_attachment(attachment)
        except ValidationError as error:
            errors["attachment"] = error.messages
    if errors:
        raise ValidationError(errors)
    before = audited(request, EXPLANATION_AUDIT)
    request.text = text
    if attachment:
        request.attachment = attachment
    request.status = ExplanationRequest.Status.SUBMITTED
    request.submitted_by = actor
    request.submitted_at = timezone.now()
    request.save()
    audit_record(
        actor=actor,
        action="explanation.submit",
        obj=request,
        before=before,
        after=audited(request, EXPLANATION_AUDIT) | {"attachment": request.attachment.name},
    )
    return request


@transaction.atomic
def explanation_review(
    *, actor: User, request: ExplanationRequest, note: str
) -> ExplanationRequest:
    """HR reviews a submitted explanation, once, with a note; it no longer changes after."""
    _require_hr(actor)
    request = ExplanationRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == ExplanationRequest.Status.REQUESTED:
        raise ValidationError(_("Nothing has been submitted yet to review."))
    if request.status == ExplanationRequest.Status.REVIEWED:
        raise ValidationError(_("This explanation has been reviewed already."))
    before = audited(request, EXPLANATION_AUDIT)
    request.status = ExplanationRequest.Status.REVIEWED
    request.reviewed_by = actor
    request.reviewed_at = timezone.now()
    request.review_note = (note or "").strip()
    request.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action="explanation.review",
        obj=request,
        before=before,
        after=audited(request, EXPLANATION_AUDIT),
    )
    return request


# --- Warning policy ------------------------------------------------------------------------------


@transaction.atomic
def warning_policy_save(
    *, actor: User, scheme: Scheme, reason: str = "", **fields
) -> WarningPolicy:
    """HR sets the year's early-warning policy (the fields left out keep their value); the
    reason, when given (the page asks for one), is kept in the audit trail."""
    _require_hr(actor)
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown policy fields: {sorted(unknown)}")
    policy = WarningPolicy.objects.select_for_update().filter(scheme=scheme).first()
    created = policy is None
    if created:
        policy = WarningPolicy(scheme=scheme)
    before = None if created else audited(policy, POLICY_FIELDS)
    for name, value in fields.items():
        setattr(policy, name, value)
    errors = {}
    if policy.veto_margin is not None and policy.veto_margin < 0:
        errors["veto_margin"] = _("A margin cannot be negative.")
    if policy.prize_margin is not None and policy.prize_margin < 0:
        errors["prize_margin"] = _("A margin cannot be negative.")
    if policy.explanation_days is not None and policy.explanation_days < 1:
        errors["explanation_days"] = _("Give at least one day for an explanation.")
    if errors:
        raise ValidationError(errors)
    policy.full_clean(exclude=["scheme"])
    policy.save()
    audit_record(
        actor=actor,
        action="bulletins.policy",
        obj=policy,
        before=before,
        after=audited(policy, POLICY_FIELDS) | ({"reason": reason.strip()} if reason else {}),
    )
    return policy
