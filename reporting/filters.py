"""The report list's filters and sortable columns, shared by its page and the API."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import HalfYear
from orgs.filters import IntegerFilter, SortFilter

from . import selectors
from .models import Report


class ReportFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    period = django_filters.ChoiceFilter(
        choices=HalfYear.choices, label=_("Half-year"), empty_label=_("Both halves")
    )
    status = django_filters.ChoiceFilter(
        choices=Report.Status.choices, label=_("Status"), empty_label=_("All statuses")
    )
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("Only overdue"), widget=forms.CheckboxInput
    )
    ordering = SortFilter(
        fields=(
            ("scheme__year", "year"),
            ("period", "period"),
            ("institution__code", "institution"),
            ("status", "status"),
            ("submitted_at", "submitted"),
            ("item_count", "items"),
        ),
        then=("-scheme__year", "period", "institution__code", "pk"),
    )

    class Meta:
        model = Report
        fields = ["year", "period", "status", "institution", "overdue", "ordering"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        overdue = selectors.reports_overdue(today=timezone.localdate())
        return queryset.filter(pk__in=overdue.values("pk"))
