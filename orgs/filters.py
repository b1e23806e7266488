"""Filter sets shared by the HTML lists and the API (one definition of what can be filtered)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from .audit_actions import action_label
from .models import AssessmentGroup, AuditEvent, Employee, Institution, Notification, Stage


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (an id, a year). NumberFilter reads a decimal, so `1.5` or `1e49` reached the
    query (a 500 on SQLite's 64-bit integers); here they are a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class SortFilter(django_filters.OrderingFilter):
    """A list's sortable columns (`?ordering=field`, `-field` for descending), shared by its page
    (c-th-sort writes the links) and its API. Only the `fields` named here sort, under the names
    given there; any other value is ignored on a page and a 400 in the API. The order is always
    total: the chosen column, then `then` (the list's own order, ending on a unique field), so
    rows with equal values keep their places from one page of the list to the next."""

    def __init__(self, *args, then=("pk",), **kwargs):
        self.then = tuple(then)
        kwargs.setdefault("label", _("Sort by"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(p) for p in value if p not in EMPTY_VALUES]
        chosen = {field.lstrip("-") for field in ordering}
        return qs.order_by(*ordering, *(f for f in self.then if f.lstrip("-") not in chosen))


def _yes_no_select():
    return forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))])


class InstitutionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    group = django_filters.ModelChoiceFilter(
        queryset=AssessmentGroup.objects.all(),
        label=_("Assessment group"),
        empty_label=_("All groups"),
    )
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, label=_("Rollout stage"), empty_label=_("All stages")
    )
    is_pilot = django_filters.BooleanFilter(label=_("Pilot"), widget=_yes_no_select())

    class Meta:
        model = Institution
        fields = ["q", "group", "stage", "is_pilot"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class EmployeeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    is_formal = django_filters.BooleanFilter(label=_("Formal staff"), widget=_yes_no_select())
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=_yes_no_select())

    class Meta:
        model = Employee
        fields = ["q", "is_formal", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(staff_number__icontains=value) | Q(name__icontains=value) | Q(post__icontains=value)
        )


def _in_use(field: str, label=str) -> list[tuple[str, str]]:
    """The values of an audit event field that occur, as choices (one query, on an index)."""
    values = AuditEvent.objects.order_by(field).values_list(field, flat=True).distinct()
    return [(value, label(value)) for value in values]


def _action_choice(code: str) -> str:
    """An action as the filter offers it: its name and its code (orgs/audit_actions.py)."""
    name = action_label(code)
    return code if name == code else f"{name} · {code}"


class AuditEventFilterSet(django_filters.FilterSet):
    """The audit trail's filters: the page, its Excel export and the API share them."""

    actor = django_filters.CharFilter(field_name="actor__username", label=_("Actor (username)"))
    # The choices are what is in the trail when the form is shown or checked.
    action = django_filters.ChoiceFilter(
        choices=lambda: _in_use("action", _action_choice),
        label=_("Action"),
        empty_label=_("All actions"),
    )
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", label=_("Action starts with")
    )
    object_type = django_filters.ChoiceFilter(
        choices=lambda: _in_use("object_type"),
        label=_("Object type"),
        empty_label=_("All types"),
    )
    object_id = django_filters.CharFilter(label=_("Object id"))
    date_from = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    client_address = django_filters.CharFilter(label=_("Client address"))

    class Meta:
        model = AuditEvent
        fields = [
            "actor",
            "action",
            "action_prefix",
            "object_type",
            "object_id",
            "date_from",
            "date_to",
            "client_address",
        ]


class NotificationFilterSet(django_filters.FilterSet):
    """The user's notifications (orgs.notifications.notifications_of): all, or the unread ones."""

    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Unread"), widget=_yes_no_select()
    )
    kind = django_filters.CharFilter(label=_("Kind"))
    ordering = SortFilter(fields=(("created_at", "created_at"),), then=("-id",))

    class Meta:
        model = Notification
        fields = ["unread", "kind", "ordering"]
