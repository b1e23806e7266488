"""Reads of the acceptance pages and exports, in set-based queries: a page costs the same number of
queries for a batch of 5 as for one of 8, with or without ticks. Scope always comes from
acceptance.access; what "met" means always from acceptance.services."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from orgs.access import user_role
from orgs.models import Institution
from payroll.models import PaidWage, PayrollRun

from . import services
from .access import READERS, batches_visible_to, inspections_visible_to
from .models import Batch, Inspection, Standard, StandardItem, Tick


def choice_order(field: str, values) -> Case:
    """A column's choices in their own order (planned → in progress → closed; the rollout's
    stages from 环境搭建 to 正式运行) as a number to sort by, not alphabetically by stored value."""
    return Case(
        *(When(**{field: value}, then=Value(i)) for i, value in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


def batch_list(*, user) -> QuerySet[Batch]:
    """The batches the user may see, with their counts. The counts cover only the inspections the
    user may see: a head learns nothing of the other institutions in their batch."""
    # Readers see every inspection: no need to filter their counts.
    visible = Q() if user_role(user) in READERS else Q(inspections__in=inspections_visible_to(user))

    def count(**result):
        condition = visible & Q(**{f"inspections__{k}": v for k, v in result.items()})
        return Count("inspections", filter=condition, distinct=True)

    return (
        batches_visible_to(user)
        .select_related("team")
        .annotate(
            institution_count=count(),
            passed_count=count(result=Inspection.Result.PASSED),
            failed_count=count(result=Inspection.Result.FAILED),
            pending_count=count(result=Inspection.Result.PENDING),
            status_order=choice_order("status", Batch.Status.values),
        )
        .order_by("-date", "name")
    )


def institutions_for_batch() -> QuerySet[Institution]:
    """Pilot institutions a new batch may take: in no open batch and not passed yet, each with
    the round it would take (`next_round`), counted as services.batch_create counts it."""
    return (
        Institution.objects.filter(is_pilot=True)
        .exclude(inspections__open=True)
        .exclude(inspections__result=Inspection.Result.PASSED)
        .annotate(next_round=Count("inspections") + 1)
        .order_by("code")
    )


def payroll_criteria_many(
    inspections: list[Inspection],
) -> dict[int, tuple[bool, list[services.MonthCheck]]]:
    """services.payroll_criterion's verdict and month checks for many inspections (their batch and
    standard loaded) in two queries. An institution whose due months all have a confirmed run and
    also imported actual pay is handed to the service itself, which reconciles month by month:
    that stays the one place deciding what reconciles (and imported pay is the rare case)."""
    months = {i.pk: services.payroll_months(i) for i in inspections}
    institution_ids = {i.institution_id for i in inspections}
    all_months = {m for due in months.values() for m in due}
    runs, paid = {}, set()
    if all_months:
        runs = {
            (institution_id, month): status
            for institution_id, month, status in PayrollRun.objects.filter(
                institution_id__in=institution_ids, month__in=all_months
            ).values_list("institution_id", "month", "status")
        }
        paid = set(
            PaidWage.objects.filter(
                employee__institution_id__in=institution_ids, month__in=all_months
            )
            .values_list("employee__institution_id", "month")
            .distinct()
        )
    criteria = {}
    for inspection in inspections:
        due, key = months[inspection.pk], inspection.institution_id
        if not due:
            criteria[inspection.pk] = (False, [services.no_month_due(inspection)])
            continue
        checks = [services.month_check(m, runs.get((key, m))) for m in due]
        if all(c.ok for c in checks) and any((key, m) in paid for m in due):
            criteria[inspection.pk] = services.payroll_criterion(inspection)
        else:
            criteria[inspection.pk] = (all(c.ok for c in checks), checks)
    return criteria


@dataclass
class InspectionRow:
    """One institution of a batch: whether each item of the standard is met, in its order."""

    inspection: Inspection
    marks: list[bool]
    # The payroll criterion's month checks (empty when the standard has no payroll item).
    payroll_checks: list[services.MonthCheck] = field(default_factory=list)

    @property
    def met_count(self) -> int:
        return sum(self.marks)

    @property
    def payroll_failures(self) -> list[services.MonthCheck]:
        """The months that keep 工资按系统发放 from being met, each with its reason."""
        return [c for c in self.payroll_checks if not c.ok]


def batch_inspections(*, user, batch: Batch) -> QuerySet[Inspection]:
    """The batch's inspections the user may see, by institution code, with their institution."""
    return (
        inspections_visible_to(user)
        .filter(batch=batch)
        .select_related("institution")
        .order_by("institution__code")
    )


def batch_rows(
    *, user, batch: Batch, inspections: QuerySet[Inspection] | None = None
) -> tuple[list[StandardItem], list[InspectionRow]]:
    """The standard's items and, per inspection of the batch the user may see, which are met.
    `batch` comes from access.batch_get_for_user (standard loaded); `inspections`, when given, is
    batch_inspections(...) sorted by the page (acceptance.filters). Five queries in all."""
    items = list(batch.standard.items.all())
    if inspections is None:
        inspections = batch_inspections(user=user, batch=batch)
    inspections = list(inspections)
    for inspection in inspections:
        inspection.batch = batch  # the same batch: no join, no query per row
    ticked = set(
        Tick.objects.filter(inspection__in=[i.pk for i in inspections], met=True).values_list(
            "inspection_id", "item_id"
        )
    )
    has_payroll = any(item.method == StandardItem.Method.PAYROLL for item in items)
    payroll = payroll_criteria_many(inspections) if inspections and has_payroll else {}
    rows = []
    for inspection in inspections:
        met, checks = payroll.get(inspection.pk, (False, []))
        marks = [
            met
            if item.method == StandardItem.Method.PAYROLL
            else (inspection.pk, item.pk) in ticked
            for item in items
        ]
        rows.append(InspectionRow(inspection, marks, checks))
    return items, rows


@dataclass
class ChecklistLine:
    """One item on an inspection's page: its tick (on-site items) or the month checks (the
    automatic payroll item), and whether it is met."""

    item: StandardItem
    met: bool
    tick: Tick | None = None
    months: list[services.MonthCheck] | None = None

    @property
    def is_payroll(self) -> bool:
        return self.item.method == StandardItem.Method.PAYROLL


def inspection_checklist(inspection: Inspection) -> list[ChecklistLine]:
    """Every item of the inspection's standard with its state. `inspection` comes from
    access.inspection_get_for_user (batch and standard loaded)."""
    ticks = {t.item_id: t for t in inspection.ticks.select_related("by")}
    lines = []
    for item in inspection.batch.standard.items.all():
        if item.method == StandardItem.Method.PAYROLL:
            met, months = services.payroll_criterion(inspection)
            lines.append(ChecklistLine(item, met, months=months))
        else:
            tick = ticks.get(item.pk)
            lines.append(ChecklistLine(item, bool(tick and tick.met), tick=tick))
    return lines


def standard_versions() -> QuerySet[Standard]:
    """Every version of the standard, newest first, with how many batches use each."""
    return Standard.objects.annotate(batch_count=Count("batches")).order_by("-version")


def institution_history(*, user, institution: Institution) -> QuerySet[Inspection]:
    """Every round of the institution, across batches, as far as the user may see them."""
    return (
        inspections_visible_to(user)
        .filter(institution=institution)
        .select_related("batch", "decided_by")
        .order_by("round")
    )


def due_for_reacceptance() -> list[Inspection]:
    """Failed institutions waiting for a later batch, by code."""
    return sorted(services.due_for_reacceptance(), key=lambda i: i.institution.code)
