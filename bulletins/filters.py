"""Filter sets of the bulletin lists, shared by the pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.filters import IntegerFilter

from .models import Bulletin, ExplanationRequest


def _yes_no_select():
    return forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))])


class BulletinFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    kind = django_filters.ChoiceFilter(
        choices=Bulletin.Kind.choices, label=_("Kind"), empty_label=_("All kinds")
    )
    status = django_filters.ChoiceFilter(
        choices=Bulletin.Status.choices, label=_("Status"), empty_label=_("All")
    )

    class Meta:
        model = Bulletin
        fields = ["year", "kind", "status"]


class ExplanationFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    bulletin = IntegerFilter(field_name="bulletin_id", label=_("Bulletin id"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    status = django_filters.ChoiceFilter(
        choices=ExplanationRequest.Status.choices, label=_("Status"), empty_label=_("All")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("Overdue"), widget=_yes_no_select()
    )

    class Meta:
        model = ExplanationRequest
        fields = ["year", "bulletin", "institution", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        # services.is_overdue, as a query: still requested and past its due day.
        late = Q(status=ExplanationRequest.Status.REQUESTED, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
