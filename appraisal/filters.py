"""Filter sets shared by the appraisal's HTML lists and its API (one definition of what a list can
be filtered by)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from orgs.filters import IntegerFilter

from .models import Appeal


class AppealFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    status = django_filters.ChoiceFilter(
        choices=Appeal.Status.choices, label=_("Status"), empty_label=_("All statuses")
    )
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    # 待办's link for a head (appraisal/todo.py): the appeals answered lately.
    answered_since = django_filters.DateFilter(
        field_name="answered_at", lookup_expr="date__gte", label=_("Answered since")
    )

    class Meta:
        model = Appeal
        fields = ["year", "status", "institution", "answered_since"]
