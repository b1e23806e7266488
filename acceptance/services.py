"""Acceptance: batches, ticks, decisions, the automatic payroll criterion, weekly reports
(DESIGN.md §4, docs/ACCEPTANCE.md). Each write checks the actor and audits in its transaction."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import notifications
from orgs.access import has_role, institutions_visible_to
from orgs.models import Institution, Role, Stage, User
from orgs.services import audit_record
from orgs.uploads import validate_acceptance_evidence
from payroll.models import PaidWage, PayrollRun
from payroll.services import reconcile

from .models import (
    BATCH_MAX,
    BATCH_MIN,
    Batch,
    Inspection,
    Standard,
    StandardItem,
    Team,
    Tick,
    WeeklyReport,
    week_start,
)

DEFAULT_ITEMS = [
    ("ENV", "环境搭建完成", StandardItem.Method.TICK),
    ("DATA", "基础数据采集完成", StandardItem.Method.TICK),
    ("TRAIN", "现场培训完成", StandardItem.Method.TICK),
    ("TEST", "系统测试通过", StandardItem.Method.TICK),
    # The month wages are checked from is the standard's go-live month, not the item's text.
    ("PAY", "工资按系统发放（自上线月份起按本系统核算结果发放）", StandardItem.Method.PAYROLL),
]

# The pilots' rollout went live in October 2026 (DESIGN.md §4: trial run from December, formal
# operation from January): the go-live month of a first standard made without one.
DEFAULT_GO_LIVE_MONTH = datetime.date(2026, 10, 1)


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def standard_current() -> Standard | None:
    return Standard.objects.order_by("-version").first()


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_label(month: datetime.date) -> str:
    """How messages name a month: 2026-10."""
    return f"{month:%Y-%m}"


def _standard_make(
    *, actor: User, name: str, go_live_month: datetime.date, items: list[dict], before=None
) -> Standard:
    current = Standard.objects.select_for_update().order_by("-version").first()
    version = current.version + 1 if current else 1
    standard = Standard.objects.create(version=version, name=name, go_live_month=go_live_month)
    StandardItem.objects.bulk_create(
        StandardItem(standard=standard, sort_order=order, **item)
        for order, item in enumerate(items)
    )
    audit_record(
        actor=actor,
        action="acceptance.standard",
        obj=standard,
        before=before,
        after={"version": version, "go_live_month": month_label(go_live_month)},
    )
    return standard


@transaction.atomic
def standard_create(
    *,
    actor: User,
    name: str,
    items=DEFAULT_ITEMS,
    go_live_month: datetime.date | None = None,
) -> Standard:
    """A new version of the standard (the newest is used for new batches) with these items, each
    (code, text, method). `go_live_month` is any day of the go-live month (its first day is
    kept); left out, the current version's go-live month, or DEFAULT_GO_LIVE_MONTH for the
    first standard (docs/ACCEPTANCE.md)."""
    _require_hr(actor)
    if go_live_month is None:
        current = standard_current()
        go_live_month = current.go_live_month if current else DEFAULT_GO_LIVE_MONTH
    return _standard_make(
        actor=actor,
        name=name,
        go_live_month=month_start(go_live_month),
        items=[{"code": code, "text": text, "method": method} for code, text, method in items],
    )


@transaction.atomic
def standard_go_live_change(*, actor: User, go_live_month: datetime.date) -> Standard:
    """HR sets the go-live month: a new version of the current standard, with its name and the
    same items, and the new go-live month. New batches use it; existing batches keep the version
    they were made with, and so their go-live month."""
    _require_hr(actor)
    current = Standard.objects.select_for_update().order_by("-version").first()
    if current is None:
        raise ValidationError(_("There is no acceptance standard yet."))
    go_live_month = month_start(go_live_month)
    if go_live_month == current.go_live_month:
        raise ValidationError(
            {
                "go_live_month": _("The go-live month is %(month)s already.")
                % {"month": month_label(go_live_month)}
            }
        )
    items = list(
        current.items.order_by("sort_order", "code").values("code", "text", "mandatory", "method")
    )
    return _standard_make(
        actor=actor,
        name=current.name,
        go_live_month=go_live_month,
        items=items,
        before={"version": current.version, "go_live_month": month_label(current.go_live_month)},
    )


# --- Batches -------------------------------------------------------------------------------------


def is_member(user, batch: Batch) -> bool:
    return (
        has_role(user, Role.ACCEPTANCE, Role.HR) and batch.team.members.filter(pk=user.pk).exists()
    )


@transaction.atomic
def batch_create(
    *,
    actor: User,
    name: str,
    team: Team,
    date: datetime.date,
    institutions: list[Institution],
    standard: Standard | None = None,
) -> Batch:
    """A batch of 5 to 8 pilot institutions. Each is in at most one open batch, is not accepted
    already, and takes its next round (1 for a first acceptance, 2 after one failure …)."""
    _require_hr(actor)
    standard = standard or standard_current()
    if standard is None:
        raise ValidationError(_("There is no acceptance standard yet."))
    institutions = list(dict.fromkeys(institutions))
    if not BATCH_MIN <= len(institutions) <= BATCH_MAX:
        raise ValidationError(
            {
                "institutions": _("A batch has %(min)s to %(max)s institutions, not %(n)s.")
                % {"min": BATCH_MIN, "max": BATCH_MAX, "n": len(institutions)}
            }
        )
    errors = []
    ids = [i.pk for i in institutions]
    rounds = dict(
        Inspection.objects.filter(institution_id__in=ids)
        .values("institution_id")
        .annotate(n=Count("id"))
        .values_list("institution_id", "n")
    )
    busy = set(
        Inspection.objects.filter(institution_id__in=ids, open=True).values_list(
            "institution__code", flat=True
        )
    )
    passed = set(
        Inspection.objects.filter(
            institution_id__in=ids, result=Inspection.Result.PASSED
        ).values_list("institution__code", flat=True)
    )
    for inst in institutions:
        if not inst.is_pilot:
            errors.append(_("%(code)s is not a pilot institution.") % {"code": inst.code})
        if inst.code in busy:
            errors.append(_("%(code)s is already in an open batch.") % {"code": inst.code})
        if inst.code in passed:
            errors.append(_("%(code)s has passed its acceptance already.") % {"code": inst.code})
    if errors:
        raise ValidationError({"institutions": errors})
    batch = Batch(name=name, team=team, date=date, standard=standard)
    batch.full_clean()
    batch.save()
    inspections = [
        Inspection.objects.create(batch=batch, institution=inst, round=rounds.get(inst.pk, 0) + 1)
        for inst in institutions
    ]
    audit_record(
        actor=actor,
        action="acceptance.batch",
        obj=batch,
        after={"institutions": [i.code for i in institutions], "date": date.isoformat()},
    )
    _notify_scheduled(batch, inspections, actor=actor)
    return batch


BATCH_TITLE = gettext_lazy("An acceptance batch is scheduled")


def _notify_scheduled(batch: Batch, inspections: list[Inspection], *, actor: User) -> None:
    """The team's members (to the batch) and the head of each institution in it (to their own
    inspection), all in one insert."""
    params = {"batch": batch.name, "date": batch.date.isoformat(), "n": len(inspections)}
    messages = [
        notifications.Message(
            recipient=member,
            kind="acceptance.scheduled",
            title=BATCH_TITLE,
            text=gettext_lazy(
                "Acceptance batch %(batch)s of %(n)s institutions is scheduled for %(date)s; "
                "your team inspects it."
            ),
            params=params,
            link=reverse("acceptance:batch_detail", args=[batch.pk]),
            about=batch,
        )
        for member in batch.team.members.filter(is_active=True).order_by("pk")
    ]
    heads = {
        head.headed_institution.pk: head
        for head in notifications.institution_heads(
            i.institution_id for i in inspections
        ).select_related("headed_institution")
    }
    for inspection in inspections:
        if inspection.institution_id not in heads:
            continue
        messages.append(
            notifications.Message(
                recipient=heads[inspection.institution_id],
                kind="acceptance.scheduled",
                title=BATCH_TITLE,
                text=gettext_lazy(
                    "%(institution)s is in acceptance batch %(batch)s (round %(round)s), "
                    "scheduled for %(date)s."
                ),
                params=params
                | {"institution": inspection.institution.name, "round": inspection.round},
                link=reverse("acceptance:inspection_detail", args=[inspection.pk]),
                about=inspection,
            )
        )
    notifications.notify_each(messages, actor=actor)


@transaction.atomic
def batch_start(*, actor: User, batch: Batch) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if not (has_role(actor, Role.HR) or is_member(actor, batch)):
        raise PermissionDenied
    if batch.status != Batch.Status.PLANNED:
        raise ValidationError(_("Only a planned batch is started."))
    batch.status = Batch.Status.IN_PROGRESS
    batch.save(update_fields=["status"])
    audit_record(actor=actor, action="acceptance.start", obj=batch, after={"status": batch.status})
    return batch


@transaction.atomic
def batch_close(*, actor: User, batch: Batch) -> Batch:
    """Close a batch once every institution in it has passed or failed."""
    _require_hr(actor)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == Batch.Status.CLOSED:
        return batch
    pending = list(
        batch.inspections.filter(result=Inspection.Result.PENDING).values_list(
            "institution__code", flat=True
        )
    )
    if pending:
        raise ValidationError(
            _("%(codes)s are not decided yet; the batch stays open.")
            % {"codes": "、".join(pending)}
        )
    batch.status = Batch.Status.CLOSED
    batch.save(update_fields=["status"])
    batch.inspections.update(open=False)
    audit_record(actor=actor, action="acceptance.close", obj=batch, after={"status": batch.status})
    return batch


# --- The payroll criterion -----------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCheck:
    month: datetime.date
    ok: bool
    reason: str  # names the month (2026-11: …), so it is understood wherever it is shown alone


def months_due(go_live_month: datetime.date, day: datetime.date) -> list[datetime.date]:
    """Every month from the go-live month to the month before `day`, across the turn of the year:
    (2026-10-01, 2027-01-11) → 2026-10, 2026-11, 2026-12. None when `day` is in or before the
    go-live month."""
    months, month = [], month_start(go_live_month)
    while month < month_start(day):
        months.append(month)
        month = month_start(month + datetime.timedelta(days=32))
    return months


def payroll_months(inspection: Inspection) -> list[datetime.date]:
    """The months the payroll criterion checks: from the go-live month of the batch's standard to
    the last month before the batch's date (the month of the inspection itself is not paid yet)."""
    batch = inspection.batch
    return months_due(batch.standard.go_live_month, batch.date)


def no_month_due(inspection: Inspection) -> MonthCheck:
    """The criterion of a batch dated in or before the go-live month: not met, saying why."""
    batch = inspection.batch
    return MonthCheck(
        month_start(batch.date),
        False,
        _(
            "No month is due yet: wages are checked from the go-live month %(go_live)s up to the "
            "month before the inspection (%(date)s)."
        )
        % {"go_live": month_label(batch.standard.go_live_month), "date": batch.date.isoformat()},
    )


def month_check(month: datetime.date, status: str | None, report=None) -> MonthCheck:
    """One month's verdict from its payroll run's status (None: no run) and, where actual pay of
    that month was imported, its reconciliation (payroll.services.reconcile)."""
    label = {"month": month_label(month)}
    if status is None:
        return MonthCheck(
            month, False, _("%(month)s: no payroll run computed by the system.") % label
        )
    if status == PayrollRun.Status.DRAFT:
        return MonthCheck(
            month, False, _("%(month)s: the payroll run is still a draft, not confirmed.") % label
        )
    if report is not None and not report.reconciled:
        return MonthCheck(
            month,
            False,
            _(
                "%(month)s: paid wages differ from the computed ones: %(d)s differences, "
                "%(m)s not paid, %(u)s paid but not computed."
            )
            % {
                **label,
                "d": len(report.differences),
                "m": len(report.missing),
                "u": len(report.unexpected),
            },
        )
    return MonthCheck(month, True, _("%(month)s: paid as computed.") % label)


def payroll_criterion(inspection: Inspection) -> tuple[bool, list[MonthCheck]]:
    """Met when, for every month from go-live up to the inspection, the institution has a
    confirmed run computed by this system and, where actual pay was imported, it reconciles."""
    institution = inspection.institution
    months = payroll_months(inspection)
    if not months:
        return False, [no_month_due(inspection)]
    runs = dict(
        PayrollRun.objects.filter(institution=institution, month__in=months).values_list(
            "month", "status"
        )
    )
    paid_months = set(
        PaidWage.objects.filter(employee__institution=institution, month__in=months).values_list(
            "month", flat=True
        )
    )
    checks = []
    for month in months:
        status = runs.get(month)
        report = None
        if status not in (None, PayrollRun.Status.DRAFT) and month in paid_months:
            report = reconcile(institution=institution, month=month)
        checks.append(month_check(month, status, report))
    return all(c.ok for c in checks), checks


def payroll_failures(checks: list[MonthCheck]) -> str:
    """The failing months' reasons in one line, as a refusal quotes them."""
    return "；".join(c.reason for c in checks if not c.ok)


# --- Ticks and decisions -------------------------------------------------------------------------


def item_met(
    inspection: Inspection, item: StandardItem, ticks: dict[int, Tick] | None = None
) -> bool:
    if item.method == StandardItem.Method.PAYROLL:
        return payroll_criterion(inspection)[0]
    ticks = ticks if ticks is not None else {t.item_id: t for t in inspection.ticks.all()}
    tick = ticks.get(item.pk)
    return bool(tick and tick.met)


@transaction.atomic
def tick_save(
    *,
    actor: User,
    inspection: Inspection,
    item: StandardItem,
    met: bool,
    note: str = "",
    evidence=None,
) -> Tick:
    """A team member records an item on site (who, when, note, evidence)."""
    inspection = (
        Inspection.objects.select_for_update().select_related("batch__team").get(pk=inspection.pk)
    )
    if not is_member(actor, inspection.batch):
        raise PermissionDenied
    if (
        inspection.batch.status == Batch.Status.CLOSED
        or inspection.result != Inspection.Result.PENDING
    ):
        raise ValidationError(_("This inspection is decided; its items no longer change."))
    if item.standard_id != inspection.batch.standard_id or item.method != StandardItem.Method.TICK:
        raise ValidationError(_("This item is not ticked on site."))
    tick = Tick.objects.filter(inspection=inspection, item=item).first()
    before = {"met": tick.met, "note": tick.note} if tick else None
    tick = tick or Tick(inspection=inspection, item=item)
    tick.met, tick.note, tick.by = met, note.strip(), actor
    if evidence:
        # The form checks the file first; the service checks again (orgs.uploads).
        try:
            validate_acceptance_evidence(evidence)
        except ValidationError as e:
            raise ValidationError({"evidence": e.messages}) from e
        tick.evidence = evidence
    tick.save()
    audit_record(
        actor=actor,
        action="acceptance.tick",
        obj=tick,
        before=before,
        after={"met": met, "note": tick.note, "evidence": tick.evidence.name or ""},
    )
    return tick


@transaction.atomic
def inspection_decide(
    *, actor: User, inspection: Inspection, passed: bool, note: str = ""
) -> Inspection:
    """Pass (only when every mandatory item is met) or fail an institution in a batch. A failed
    institution is due for a later batch, as its next round."""
    inspection = (
        Inspection.objects.select_for_update()
        .select_related("batch__team", "batch__standard")
        .get(pk=inspection.pk)
    )
    if not (is_member(actor, inspection.batch) or has_role(actor, Role.HR)):
        raise PermissionDenied
    if (
        inspection.batch.status == Batch.Status.CLOSED
        or inspection.result != Inspection.Result.PENDING
    ):
        raise ValidationError(_("This inspection is decided already."))
    if passed:
        ticks = {t.item_id: t for t in inspection.ticks.all()}
        unmet = []
        for item in inspection.batch.standard.items.filter(mandatory=True):
            if item.method == StandardItem.Method.PAYROLL:
                met, checks = payroll_criterion(inspection)
                if not met:
                    # Which month fails and why, as the page shows it.
                    unmet.append(f"{item.text}（{payroll_failures(checks)}）")
            elif not item_met(inspection, item, ticks):
                unmet.append(item.text)
        if unmet:
            raise ValidationError(
                _("%(code)s cannot pass: mandatory items not met: %(items)s.")
                % {"code": inspection.institution.code, "items": "；".join(unmet)}
            )
    inspection.result = Inspection.Result.PASSED if passed else Inspection.Result.FAILED
    inspection.decided_by, inspection.decided_at, inspection.note = (
        actor,
        timezone.now(),
        note.strip(),
    )
    inspection.save(update_fields=["result", "decided_by", "decided_at", "note"])
    if passed:
        institution = inspection.institution
        order = list(Stage.values)
        if order.index(institution.stage) < order.index(Stage.TRIAL):
            Institution.objects.filter(pk=institution.pk).update(stage=Stage.TRIAL)
    audit_record(
        actor=actor,
        action="acceptance.pass" if passed else "acceptance.fail",
        obj=inspection,
        after={"round": inspection.round, "note": inspection.note},
    )
    return inspection


def due_for_reacceptance():
    """Pilot institutions whose latest inspection failed and that are in no open batch."""
    latest = {}
    for insp in Inspection.objects.select_related("institution").order_by(
        "institution_id", "round"
    ):
        latest[insp.institution_id] = insp
    return [i for i in latest.values() if i.result == Inspection.Result.FAILED and not i.open]


# --- Weekly reports ------------------------------------------------------------------------------


@transaction.atomic
def weekly_report_submit(
    *,
    actor: User,
    institution: Institution,
    day: datetime.date,
    stage: str,
    progress: int,
    problems: str = "",
    next_steps: str = "",
) -> WeeklyReport:
    """The institution's report of the week containing `day`; submitting again that week
    replaces it. Its head (or HR) submits it."""
    if not (
        has_role(actor, Role.HR)
        or (
            has_role(actor, Role.HEAD)
            and institutions_visible_to(actor).filter(pk=institution.pk).exists()
        )
    ):
        raise PermissionDenied
    if not 0 <= progress <= 100:
        raise ValidationError({"progress": _("Progress is a percentage from 0 to 100.")})
    if stage not in Stage.values:
        raise ValidationError({"stage": _("Unknown rollout stage.")})
    report, _created = WeeklyReport.objects.update_or_create(
        institution=institution,
        week=week_start(day),
        defaults={
            "stage": stage,
            "progress": progress,
            "problems": problems.strip(),
            "next_steps": next_steps.strip(),
            "submitted_by": actor,
        },
    )
    audit_record(
        actor=actor,
        action="acceptance.report",
        obj=report,
        after={"week": report.week.isoformat(), "stage": stage, "progress": progress},
    )
    return report


def missing_reports(day: datetime.date):
    """Pilot institutions without a report for the week containing `day`."""
    reported = WeeklyReport.objects.filter(week=week_start(day)).values("institution_id")
    return Institution.objects.filter(is_pilot=True).exclude(pk__in=reported).order_by("code")
