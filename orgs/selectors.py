"""Reads of the organisation, always starting from what the user may see (orgs.access)."""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

from .access import employees_visible_to, institutions_visible_to
from .models import AssessmentGroup, AuditEvent, Employee, Institution, Stage


def institution_list(*, user) -> QuerySet[Institution]:
    """The user's institutions with what a list row shows, in one query."""
    return (
        institutions_visible_to(user)
        .select_related("group", "head")
        .annotate(employee_count=Count("employees", filter=Q(employees__is_active=True)))
        # Grouped institutions first, by group; those not yet in a group after them.
        .order_by(F("group__sort_order").asc(nulls_last=True), "code")
    )


def employee_list(*, user, institution: Institution) -> QuerySet[Employee]:
    return employees_visible_to(user).filter(institution=institution).order_by("staff_number")


def group_list() -> QuerySet[AssessmentGroup]:
    return (
        AssessmentGroup.objects.prefetch_related("prizes")
        .annotate(institution_count=Count("institutions"))
        .order_by("sort_order", "code")
    )


def institution_overview(*, user) -> dict:
    """Counts for a home page: by stage and by group, over the user's institutions."""
    qs = institutions_visible_to(user)
    by_stage = dict(qs.values_list("stage").annotate(n=Count("id")).order_by())
    by_group = list(
        qs.values("group__id", "group__name", "group__sort_order")
        .annotate(n=Count("id"))
        .order_by("group__sort_order", "group__name")
    )
    return {
        "total": sum(by_stage.values()),
        "pilot": qs.filter(is_pilot=True).count(),
        "stages": [(label, by_stage.get(value, 0), value) for value, label in Stage.choices],
        "groups": by_group,
        "employees": employees_visible_to(user).filter(is_active=True).count(),
    }


def audit_event_list() -> QuerySet[AuditEvent]:
    """The audit trail, newest first, with each event's actor: what the page, its export and the
    API list (callers check access.can_view_audit first)."""
    return AuditEvent.objects.select_related("actor").order_by("-at", "-id")


@dataclass(frozen=True)
class AuditChange:
    key: str
    before: object
    after: object
    changed: bool


def audit_event_changes(event: AuditEvent) -> list[AuditChange] | None:
    """Before and after side by side, key by key, changed keys marked; None when either side is
    not an object (a list or a single value: the page shows both whole)."""
    before, after = event.before, event.after
    if not all(side is None or isinstance(side, dict) for side in (before, after)):
        return None
    before, after = before or {}, after or {}
    missing = object()
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key, missing), after.get(key, missing)
        changes.append(
            AuditChange(
                key=key,
                before=None if old is missing else old,
                after=None if new is missing else new,
                changed=old != new,
            )
        )
    return changes
