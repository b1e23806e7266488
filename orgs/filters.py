"""Filter sets shared by the HTML lists and the API (one definition of what can be filtered)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AssessmentGroup, Employee, Institution, Stage


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
