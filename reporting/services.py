"""Every change of 数据填报 (docs/REPORTING.md): pages, API and the Excel import call these.

Each service locks the report's row (select_for_update) before it reads any status, so two clicks
or two people never apply one step twice: the second finds the step done and is refused with a
message saying so. Every step writes a ReportEvent (the timeline) and an audit event in the same
transaction, and tells whoever must act next (orgs.notifications).

A figure counts only once HR accepts its item at 复核: then, and never before, it is written to the
Target through appraisal.services.target_save (which audits, marks the results stale and
recomputes them).
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal import services as appraisal_services
from appraisal.models import HalfYear, Indicator, Method, Scheme, Target
from orgs import notifications
from orgs.models import Institution, Role, User
from orgs.services import audit_record, snapshot
from orgs.uploads import validate_scoring_evidence

from . import access
from .models import Report, ReportEvent, ReportEvidence, ReportItem

NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 1000
ITEM_FIELDS = ("actual_value", "completed_on", "note", "status")
FIGURE_FIELDS = ("actual_value", "completed_on", "note")

Status = Report.Status
ItemStatus = ReportItem.Status


# --- Helpers -------------------------------------------------------------------------------------


def _item_snapshot(item: ReportItem) -> dict:
    return snapshot(item, ITEM_FIELDS)


def _event(
    *,
    report: Report,
    actor: User | None,
    action: str,
    item: ReportItem | None = None,
    note: str = "",
    before=None,
    after=None,
) -> ReportEvent:
    """The timeline's row and the audit trail's event, in the caller's transaction."""
    event = ReportEvent.objects.create(
        report=report, item=item, action=action, actor=actor, note=note, before=before, after=after
    )
    audit_record(
        actor=actor,
        action=f"reporting.{action}",
        obj=item or report,
        before=before,
        after={**(after or {}), **({"note": note} if note else {})} or None,
    )
    return event


def _report_locked(report: Report) -> Report:
    """The report's row, locked until the transaction ends: every step starts here."""
    # OF self: PostgreSQL locks no row of a nullable outer join (the institution's head).
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("scheme", "institution__head")
        .get(pk=report.pk)
    )


def _item_locked(item: ReportItem) -> tuple[Report, ReportItem]:
    report = _report_locked(item.report)
    item = (
        ReportItem.objects.select_for_update(of=("self",))
        .select_related("indicator__department", "target")
        .get(pk=item.pk)
    )
    item.report = report
    return report, item


def _reason_clean(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give the reason: the institution sees it.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("The reason is at most %(n)s characters.") % {"n": REASON_MAX_LENGTH}}
        )
    return reason


def _scheme_open(scheme: Scheme) -> None:
    if not scheme.accepts_entries:
        raise ValidationError(
            _("The %(year)s appraisal is %(status)s: it takes no reports.")
            % {"year": scheme.year, "status": scheme.get_status_display()}
        )


def _status_refused(what: str, status_label) -> ValidationError:
    return ValidationError(
        _("%(what)s is not possible now: this is %(status)s (someone may have done it already).")
        % {"what": what, "status": status_label}
    )


def report_status_derived(report: Report) -> str:
    """The report's status from its items': awaiting the head while any item is; returned while
    any item is back at the institution; in review while any is at HQ; checked once every item
    that went up is checked; a draft otherwise."""
    counts = report.items.aggregate(
        head=Count("pk", filter=Q(status=ItemStatus.AWAITING_HEAD)),
        returned=Count("pk", filter=Q(status=ItemStatus.RETURNED)),
        review=Count(
            "pk", filter=Q(status__in=[ItemStatus.FIRST_REVIEW, ItemStatus.SECOND_REVIEW])
        ),
        checked=Count("pk", filter=Q(status=ItemStatus.CHECKED)),
    )
    if counts["head"]:
        return Status.AWAITING_HEAD
    if counts["returned"]:
        return Status.RETURNED
    if counts["review"]:
        return Status.IN_REVIEW
    if counts["checked"]:
        return Status.CHECKED
    return Status.DRAFT


def _report_status_update(report: Report, actor: User | None) -> str:
    before = report.status
    report.status = report_status_derived(report)
    if report.status != before:
        report.save(update_fields=["status", "updated_at"])
        if report.status == Status.CHECKED:
            _event(
                report=report,
                actor=actor,
                action=ReportEvent.Action.CHECKED,
                before={"status": before},
                after={"status": report.status},
            )
    return report.status


def _link(report: Report) -> str:
    return reverse("reporting:report_detail", args=[report.pk])


def contact_persons(institution_id: int):
    return (
        User.objects.filter(
            is_active=True,
            role=Role.CONTACT,
            contact_namings__institution_id=institution_id,
            contact_namings__ended_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )


def _institution_people(report: Report) -> list[User]:
    return [
        *contact_persons(report.institution_id),
        *notifications.institution_head(report.institution),
    ]


def _params(report: Report, **more) -> dict:
    return {
        "institution": report.institution.name,
        "year": report.scheme.year,
        "half": str(HalfYear(report.period).label),
        **more,
    }


# --- Opening a report ----------------------------------------------------------------------------


def indicators_applying(scheme: Scheme, institution: Institution):
    return (
        Indicator.objects.filter(scheme=scheme)
        .filter(Q(applies_to_all=True) | Q(institutions=institution))
        .distinct()
        .order_by("part", "sort_order", "code")
    )


@transaction.atomic
def report_open(*, actor: User, scheme: Scheme, institution: Institution, period: str) -> Report:
    """The institution's report for the half-year, made (with one item per indicator that applies
    to it: a figure item where a completion-ratio indicator has a target for the half-year, a note
    item otherwise) the first time; while it is editable, items for indicators or targets added
    since are added. Only the institution's head and contact persons open it."""
    if not access.own_institutions(actor).filter(pk=institution.pk).exists():
        raise PermissionDenied
    if period not in HalfYear.values:
        raise ValidationError({"period": _("A report is for a half-year: 上半年 or 下半年.")})
    # One opener at a time per year: two first clicks make one report.
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    report = Report.objects.filter(scheme=scheme, institution=institution, period=period).first()
    if report is None:
        _scheme_open(scheme)
        report = Report.objects.create(scheme=scheme, institution=institution, period=period)
        _event(
            report=report,
            actor=actor,
            action=ReportEvent.Action.CREATE,
            after={"institution": institution.code, "year": scheme.year, "period": period},
        )
    if report.is_editable and scheme.accepts_entries:
        _items_sync(report)
    return report


def _items_sync(report: Report) -> None:
    targets = {
        t.indicator_id: t
        for t in Target.objects.filter(
            indicator__scheme_id=report.scheme_id,
            indicator__method=Method.RATIO,
            institution_id=report.institution_id,
            period=report.period,
        )
    }
    existing = dict(report.items.values_list("indicator_id", "target_id"))
    new = []
    for indicator in indicators_applying(report.scheme, report.institution):
        target = targets.get(indicator.pk)
        if indicator.pk not in existing:
            new.append(ReportItem(report=report, indicator=indicator, target=target))
        elif existing[indicator.pk] is None and target is not None:
            # A target set after the report was opened makes a note item a figure item.
            report.items.filter(indicator=indicator, status=ItemStatus.DRAFT).update(target=target)
    ReportItem.objects.bulk_create(new)


# --- Preparing -----------------------------------------------------------------------------------


def _require_preparer(actor: User, report: Report) -> None:
    if not access.can_prepare(actor, report):
        raise PermissionDenied


def _require_editable(report: Report, item: ReportItem | None = None) -> None:
    if not report.is_editable:
        raise _status_refused(_("Changing the report"), report.get_status_display())
    if item is not None and item.status not in (ItemStatus.DRAFT, ItemStatus.RETURNED):
        raise _status_refused(
            _("Changing item %(code)s") % {"code": item.indicator.code}, item.get_status_display()
        )


def item_values_check(item: ReportItem, values: dict) -> dict:
    """Field errors for the values of an item: a figure the indicator does not use, digits beyond
    what is kept, a note too long. `values` holds actual_value, completed_on, note."""
    errors = {}
    actual, completed = values.get("actual_value"), values.get("completed_on")
    code = item.indicator.code
    if not item.has_figure:
        for name, value in (("actual_value", actual), ("completed_on", completed)):
            if value is not None:
                errors[name] = _(
                    "%(code)s has no target for this half-year: report the work done in the note."
                ) % {"code": code}
    elif item.is_deadline and actual is not None:
        errors["actual_value"] = _(
            "%(code)s is scored on its deadline: report the completion date, not a value."
        ) % {"code": code}
    elif not item.is_deadline and completed is not None:
        errors["completed_on"] = _(
            "%(code)s is scored on its value: report the actual value, not a date."
        ) % {"code": code}
    if actual is not None and "actual_value" not in errors:
        try:
            ReportItem._meta.get_field("actual_value").clean(Decimal(actual), item)
        except ValidationError as e:
            errors["actual_value"] = e.messages
    if len(values.get("note") or "") > NOTE_MAX_LENGTH:
        errors["note"] = _("The note is at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}
    return errors


def _item_write(item: ReportItem, values: dict) -> bool:
    """Set the values (already checked); True if anything changed."""
    changed = False
    for name in FIGURE_FIELDS:
        if name in values:
            value = values[name]
            if name == "note":
                value = (value or "").strip()
            if getattr(item, name) != value:
                setattr(item, name, value)
                changed = True
    return changed


@transaction.atomic
def item_save(*, actor: User, item: ReportItem, source: str = "web", **values) -> ReportItem:
    """The institution enters an item's figure and/or note (the fields given; the others are
    kept). While the report is editable and the item not yet up at HQ (or returned)."""
    unknown = set(values) - set(FIGURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown item fields {sorted(unknown)}")
    report, item = _item_locked(item)
    _require_preparer(actor, report)
    _require_editable(report, item)
    merged = {n: values.get(n, getattr(item, n)) for n in FIGURE_FIELDS}
    errors = item_values_check(item, merged)
    if errors:
        raise ValidationError(errors)
    before = _item_snapshot(item)
    if _item_write(item, values):
        item.save(update_fields=list(FIGURE_FIELDS))
        _event(
            report=report,
            actor=actor,
            item=item,
            action=ReportEvent.Action.SAVE,
            note=source if source != "web" else "",
            before=before,
            after=_item_snapshot(item),
        )
    return item


@transaction.atomic
def evidence_add(*, actor: User, item: ReportItem, file) -> ReportEvidence:
    """佐证材料 on an editable item, checked by content as every evidence upload is
    (orgs.uploads: documents, pictures, workbooks, Word files)."""
    report, item = _item_locked(item)
    _require_preparer(actor, report)
    _require_editable(report, item)
    try:
        validate_scoring_evidence(file)
    except ValidationError as e:
        raise ValidationError({"file": e.messages}) from e
    evidence = ReportEvidence(item=item, uploaded_by=actor)
    evidence.file.save(file.name, file, save=False)
    evidence.save()
    _event(
        report=report,
        actor=actor,
        item=item,
        action=ReportEvent.Action.EVIDENCE,
        after={"file": evidence.file.name},
    )
    return evidence


# --- Submitting and the head's approval ----------------------------------------------------------


def head_approval_needed(actor: User, report: Report) -> bool:
    """A contact person's submission goes to the head first when the scheme asks for it (and the
    institution has a head); the head's own goes straight up."""
    if not report.scheme.reports_need_head_approval:
        return False
    if access.is_head_of(actor, report):
        return False
    return bool(notifications.institution_head(report.institution))


@transaction.atomic
def report_submit(*, actor: User, report: Report) -> Report:
    """The report goes up as a whole: every item not yet up (or returned) that holds something (a
    figure, a note or evidence). Items already accepted stay as they are."""
    report = _report_locked(report)
    _require_preparer(actor, report)
    _scheme_open(report.scheme)
    if not report.is_editable:
        raise _status_refused(_("Submitting the report"), report.get_status_display())
    # The report's lock serialises every change of its items: they need no lock of their own.
    candidates = list(
        report.items.filter(status__in=[ItemStatus.DRAFT, ItemStatus.RETURNED]).select_related(
            "indicator"
        )
    )
    files = dict(
        ReportEvidence.objects.filter(item__in=candidates)
        .values("item")
        .annotate(n=Count("pk"))
        .values_list("item", "n")
    )
    going = [i for i in candidates if i.has_content(files.get(i.pk, 0))]
    if not going:
        raise ValidationError(
            _("Nothing to submit: enter a figure, a note or evidence on at least one item.")
        )
    to_head = head_approval_needed(actor, report)
    now = timezone.now()
    new_status = ItemStatus.AWAITING_HEAD if to_head else ItemStatus.FIRST_REVIEW
    for item in going:
        item.status = new_status
        item.return_reason = ""
        if not to_head:
            item.sent_up_at = now
    ReportItem.objects.bulk_update(going, ["status", "return_reason", "sent_up_at"])
    before = {"status": report.status}
    report.submitted_at, report.submitted_by = now, actor
    report.save(update_fields=["submitted_at", "submitted_by", "updated_at"])
    _report_status_update(report, actor)
    _event(
        report=report,
        actor=actor,
        action=ReportEvent.Action.SUBMIT,
        before=before,
        after={"status": report.status, "items": len(going)},
    )
    if to_head:
        _notify_head(report, actor)
    else:
        _notify_first_review(report, going, actor)
    return report


@transaction.atomic
def report_head_approve(*, actor: User, report: Report) -> Report:
    """The head approves a contact person's submission: its items go up to HQ."""
    report = _report_locked(report)
    if not access.is_head_of(actor, report):
        raise PermissionDenied
    if report.status != Status.AWAITING_HEAD:
        raise _status_refused(_("Approving the report"), report.get_status_display())
    items = list(report.items.filter(status=ItemStatus.AWAITING_HEAD).select_related("indicator"))
    now = timezone.now()
    for item in items:
        item.status, item.sent_up_at = ItemStatus.FIRST_REVIEW, now
    ReportItem.objects.bulk_update(items, ["status", "sent_up_at"])
    before = {"status": report.status}
    _report_status_update(report, actor)
    _event(
        report=report,
        actor=actor,
        action=ReportEvent.Action.HEAD_APPROVE,
        before=before,
        after={"status": report.status, "items": len(items)},
    )
    _notify_first_review(report, items, actor)
    return report


@transaction.atomic
def report_head_return(*, actor: User, report: Report, reason: str) -> Report:
    """The head sends a contact person's submission back, with the reasons."""
    reason = _reason_clean(reason)
    report = _report_locked(report)
    if not access.is_head_of(actor, report):
        raise PermissionDenied
    if report.status != Status.AWAITING_HEAD:
        raise _status_refused(_("Returning the report"), report.get_status_display())
    items = list(report.items.filter(status=ItemStatus.AWAITING_HEAD))
    for item in items:
        item.status, item.return_reason = ItemStatus.RETURNED, reason
    ReportItem.objects.bulk_update(items, ["status", "return_reason"])
    before = {"status": report.status}
    _report_status_update(report, actor)
    _event(
        report=report,
        actor=actor,
        action=ReportEvent.Action.HEAD_RETURN,
        note=reason,
        before=before,
        after={"status": report.status},
    )
    _notify_returned(report, reason, actor)
    return report


# --- The review chain ----------------------------------------------------------------------------

FIRST_ACCEPT, FIRST_RETURN, FIRST_CORRECT = "accept", "return", "correct"
FIRST_DECISIONS = (FIRST_ACCEPT, FIRST_RETURN, FIRST_CORRECT)
SECOND_DECISIONS = (FIRST_ACCEPT, FIRST_RETURN)


def _return_item(report: Report, item: ReportItem, actor: User, reason: str, action: str) -> None:
    before = _item_snapshot(item)
    item.status, item.return_reason = ItemStatus.RETURNED, reason
    item.save(update_fields=["status", "return_reason"])
    _event(
        report=report,
        actor=actor,
        item=item,
        action=action,
        note=reason,
        before=before,
        after=_item_snapshot(item),
    )
    _report_status_update(report, actor)
    _notify_returned(report, f"{item.indicator.code}: {reason}", actor)


@transaction.atomic
def item_first_review(
    *,
    actor: User,
    item: ReportItem,
    decision: str,
    reason: str = "",
    actual_value=None,
    completed_on=None,
) -> ReportItem:
    """初审 by the indicator's department: accept (on to 复核), return with reasons (back to the
    institution), or correct the figure with a reason (the corrected figure goes on to 复核)."""
    if decision not in FIRST_DECISIONS:
        raise ValidationError({"decision": _("Accept, return or correct.")})
    report, item = _item_locked(item)
    if not access.can_first_review(actor, item):
        raise PermissionDenied
    if item.status != ItemStatus.FIRST_REVIEW:
        raise _status_refused(
            _("First review of %(code)s") % {"code": item.indicator.code},
            item.get_status_display(),
        )
    if decision == FIRST_RETURN:
        _return_item(report, item, actor, _reason_clean(reason), ReportEvent.Action.FIRST_RETURN)
        return item
    before = _item_snapshot(item)
    action = ReportEvent.Action.FIRST_ACCEPT
    note = _reason_clean(reason, required=False)
    if decision == FIRST_CORRECT:
        note = _reason_clean(reason)
        if not item.has_figure:
            raise ValidationError(_("A note item has no figure to correct: accept or return it."))
        values = {"actual_value": actual_value, "completed_on": completed_on, "note": item.note}
        if (completed_on if item.is_deadline else actual_value) is None:
            field = "completed_on" if item.is_deadline else "actual_value"
            raise ValidationError({field: _("Give the corrected figure.")})
        errors = item_values_check(item, values)
        if errors:
            raise ValidationError(errors)
        item.actual_value, item.completed_on = actual_value, completed_on
        item.corrected = True
        action = ReportEvent.Action.FIRST_CORRECT
    item.status, item.first_reviewed_by = ItemStatus.SECOND_REVIEW, actor
    item.save()
    _event(
        report=report,
        actor=actor,
        item=item,
        action=action,
        note=note,
        before=before,
        after=_item_snapshot(item),
    )
    _report_status_update(report, actor)
    _notify_second_review(report, item, actor)
    return item


@transaction.atomic
def item_second_review(
    *, actor: User, item: ReportItem, decision: str, reason: str = ""
) -> ReportItem:
    """复核 by HR: accept (the item is checked and its figure, if it has one, is written to the
    Target: from now on it counts) or return with reasons."""
    if decision not in SECOND_DECISIONS:
        raise ValidationError({"decision": _("Accept or return.")})
    report, item = _item_locked(item)
    if not access.can_second_review(actor):
        raise PermissionDenied
    if item.status != ItemStatus.SECOND_REVIEW:
        raise _status_refused(
            _("Second review of %(code)s") % {"code": item.indicator.code},
            item.get_status_display(),
        )
    if decision == FIRST_RETURN:
        _return_item(report, item, actor, _reason_clean(reason), ReportEvent.Action.SECOND_RETURN)
        return item
    before = _item_snapshot(item)
    item.status, item.second_reviewed_by, item.checked_at = (
        ItemStatus.CHECKED,
        actor,
        timezone.now(),
    )
    item.save(update_fields=["status", "second_reviewed_by", "checked_at"])
    if item.has_figure and item.figure is not None:
        figure = (
            {"completed_on": item.completed_on}
            if item.is_deadline
            else {"actual_value": item.actual_value}
        )
        appraisal_services.target_save(
            actor=actor,
            indicator=item.indicator,
            institution=report.institution,
            period=report.period,
            follow_letters=False,
            **figure,
        )
    _event(
        report=report,
        actor=actor,
        item=item,
        action=ReportEvent.Action.SECOND_ACCEPT,
        note=_reason_clean(reason, required=False),
        before=before,
        after=_item_snapshot(item),
    )
    _report_status_update(report, actor)
    return item


# --- Telling people ------------------------------------------------------------------------------


def _notify_head(report: Report, actor: User) -> None:
    notifications.notify(
        recipients=notifications.institution_head(report.institution),
        kind="reporting.awaiting_head",
        title=gettext_lazy("A data report awaits your approval"),
        text=gettext_lazy("%(institution)s's report for %(year)s %(half)s awaits your approval."),
        params=_params(report),
        link=_link(report),
        about=report,
        actor=actor,
    )


def _notify_first_review(report: Report, items, actor: User) -> None:
    departments = sorted({i.indicator.department_id for i in items})
    for department_id in departments:
        codes = sorted(
            i.indicator.code for i in items if i.indicator.department_id == department_id
        )
        notifications.notify(
            recipients=notifications.department_scorers(department_id),
            kind="reporting.first_review",
            title=gettext_lazy("Reported items await your first review"),
            text=gettext_lazy(
                "%(institution)s reported %(codes)s for %(year)s %(half)s: review them."
            ),
            params=_params(report, codes="、".join(codes)),
            link=reverse("reporting:queue"),
            about=report,
            actor=actor,
        )


def _notify_second_review(report: Report, item: ReportItem, actor: User) -> None:
    notifications.notify(
        recipients=notifications.hr_users(),
        kind="reporting.second_review",
        title=gettext_lazy("A reported item awaits second review"),
        text=gettext_lazy(
            "%(code)s of %(institution)s (%(year)s %(half)s) passed first review: review it."
        ),
        params=_params(report, code=item.indicator.code),
        link=reverse("reporting:item_detail", args=[item.pk]),
        about=item,
        actor=actor,
    )


def _notify_returned(report: Report, reason: str, actor: User) -> None:
    notifications.notify(
        recipients=_institution_people(report),
        kind="reporting.returned",
        title=gettext_lazy("Your data report was returned"),
        text=gettext_lazy(
            "%(institution)s's report for %(year)s %(half)s was returned: %(reason)s"
        ),
        params=_params(report, reason=Truncator(reason).chars(120)),
        link=_link(report),
        about=report,
        actor=actor,
    )


def reports_overdue_notify(*, today=None) -> int:
    """Tell the institutions whose report is past its reporting deadline and not submitted, once
    per report and deadline (the notification's key); returns how many were told."""
    from . import selectors

    today = today or timezone.localdate()
    told = 0
    for report in selectors.reports_overdue(today=today):
        deadline = report.scheme.deadlines(report.period)[0]
        made = notifications.notify(
            recipients=_institution_people(report),
            kind="reporting.overdue",
            title=gettext_lazy("A data report is overdue"),
            text=gettext_lazy(
                "%(institution)s's report for %(year)s %(half)s was due on %(deadline)s."
            ),
            params=_params(report, deadline=deadline.isoformat()),
            link=_link(report),
            about=report,
            key=f"reporting.overdue:{report.pk}:{deadline.isoformat()}",
        )
        told += len(made)
    return told
