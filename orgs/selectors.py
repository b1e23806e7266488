"""Reads of the organisation, always starting from what the user may see (orgs.access)."""

from django.db.models import Count, F, Q, QuerySet

from .access import employees_visible_to, institutions_visible_to
from .models import AssessmentGroup, Employee, Institution, Stage


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
