"""Acceptance: batches, ticks, decisions, the automatic payroll criterion, weekly reports
(DESIGN.md §4, docs/ACCEPTANCE.md). Each write checks the actor and audits in its transaction."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

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
    ("PAY", "工资按系统发放（自10月起按本系统核算结果发放）", StandardItem.Method.PAYROLL),
]


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def standard_current() -> Standard | None:
    return Standard.objects.order_by("-version").first()


@transaction.atomic
def standard_create(
    *, actor: User, name: str, items=DEFAULT_ITEMS, payroll_since_month: int = 10
) -> Standard:
    """A new version of the standard (the newest is used for new batches)."""
    _require_hr(actor)
    version = (standard_current().version + 1) if standard_current() else 1
    standard = Standard.objects.create(
        version=version, name=name, payroll_since_month=payroll_since_month
    )
    for order, (code, text, method) in enumerate(items):
        StandardItem.objects.create(
            standard=standard, code=code, text=text, method=method, sort_order=order
        )
    audit_record(
        actor=actor, action="acceptance.standard", obj=standard, after={"version": version}
    )
    return standard


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
    for inst in institutions:
        Inspection.objects.create(batch=batch, institution=inst, round=rounds.get(inst.pk, 0) + 1)
    audit_record(
        actor=actor,
        action="acceptance.batch",
        obj=batch,
        after={"institutions": [i.code for i in institutions], "date": date.isoformat()},
    )
    return batch


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
    reason: str


def payroll_months(inspection: Inspection) -> list[datetime.date]:
    """From the standard's go-live month of the batch's year to the last month before the
    batch's date (the month of the inspection itself is not paid yet)."""
    batch = inspection.batch
    first = datetime.date(batch.date.year, batch.standard.payroll_since_month, 1)
    months, month = [], first
    while month < batch.date.replace(day=1):
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def payroll_criterion(inspection: Inspection) -> tuple[bool, list[MonthCheck]]:
    """Met when, for every month from go-live up to the inspection, the institution has a
    confirmed run computed by this system and, where actual pay was imported, it reconciles."""
    institution = inspection.institution
    months = payroll_months(inspection)
    if not months:
        return False, [
            MonthCheck(inspection.batch.date.replace(day=1), False, _("No month is due yet."))
        ]
    runs = {
        r.month: r
        for r in PayrollRun.objects.filter(institution=institution, month__in=months).only(
            "month", "status"
        )
    }
    paid_months = set(
        PaidWage.objects.filter(employee__institution=institution, month__in=months).values_list(
            "month", flat=True
        )
    )
    checks = []
    for month in months:
        run = runs.get(month)
        if run is None:
            checks.append(MonthCheck(month, False, _("No payroll run computed by the system.")))
        elif run.status == PayrollRun.Status.DRAFT:
            checks.append(
                MonthCheck(month, False, _("The payroll run is still a draft, not confirmed."))
            )
        elif (
            month in paid_months
            and not (report := reconcile(institution=institution, month=month)).reconciled
        ):
            checks.append(
                MonthCheck(
                    month,
                    False,
                    _(
                        "Paid wages differ from the computed ones: %(d)s differences, "
                        "%(m)s not paid, %(u)s paid but not computed."
                    )
                    % {
                        "d": len(report.differences),
                        "m": len(report.missing),
                        "u": len(report.unexpected),
                    },
                )
            )
        else:
            checks.append(MonthCheck(month, True, _("Paid as computed.")))
    return all(c.ok for c in checks), checks


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
        unmet = [
            i.text
            for i in inspection.batch.standard.items.filter(mandatory=True)
            if not item_met(inspection, i, ticks)
        ]
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
