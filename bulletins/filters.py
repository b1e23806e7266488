"""Filter sets of the bulletin lists, shared by the pages and the API. Sorting is `?ordering=`
over whitelisted columns, then a fixed tie-breaker (acceptance.filters.SortFilter: orgs.filters'
with a place for empty values)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acceptance.filters import SortFilter
from orgs.filters import IntegerFilter

from .models import Bulletin, BulletinLine, ExplanationRequest


def _yes_no_select():
    return forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))])


class BulletinFilterSet(django_filters.FilterSet):
    """The bulletin list (page and API); the counts are selectors.bulletin_list's annotations."""

    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    kind = django_filters.ChoiceFilter(
        choices=Bulletin.Kind.choices, label=_("Kind"), empty_label=_("All kinds")
    )
    status = django_filters.ChoiceFilter(
        choices=Bulletin.Status.choices, label=_("Status"), empty_label=_("All")
    )
    ordering = SortFilter(
        fields=(
            ("period_start", "period"),
            ("kind", "kind"),
            ("number", "number"),
            ("status", "status"),
            ("line_count", "units"),
            ("lagging_count", "lagging"),
            ("published_at", "published"),
        ),
        nulls={"published_at": "low"},
        then=("-period_start", "kind", "-scheme__year", "pk"),
    )

    class Meta:
        model = Bulletin
        fields = ["year", "kind", "status"]


class BulletinLineFilterSet(django_filters.FilterSet):
    """How a bulletin's page sorts the lines within each group (selectors.bulletin_lines keeps the
    groups in their order): by rank (an unranked line last), by total or a part, by institution."""

    ordering = SortFilter(
        fields=(
            ("rank", "rank"),
            ("total", "total"),
            ("common", "common"),
            ("business", "business"),
            ("execution", "execution"),
            ("bonus", "bonus"),
            ("veto", "veto"),
            ("institution_code", "institution"),
            ("institution_name", "name"),
        ),
        nulls={"rank": "high"},
        then=("rank", "institution_code", "pk"),
    )

    class Meta:
        model = BulletinLine
        fields: list[str] = []


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
    # `status` sorts in the requests' own order (requested, submitted, reviewed) and `overdue`
    # puts the overdue ones first when descending: annotations of selectors.explanation_list.
    ordering = SortFilter(
        fields=(
            ("institution__code", "institution"),
            ("institution__name", "name"),
            ("bulletin__period_start", "bulletin"),
            ("open_order", "status"),
            ("due_on", "due"),
            ("submitted_at", "submitted"),
            ("overdue", "overdue"),
        ),
        nulls={"submitted_at": "low"},
        then=("open_order", "due_on", "institution__code", "-id"),
    )

    class Meta:
        model = ExplanationRequest
        fields = ["year", "bulletin", "institution", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        # services.is_overdue, as a query: still requested and past its due day.
        late = Q(status=ExplanationRequest.Status.REQUESTED, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
