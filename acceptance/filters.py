"""Filter sets of the acceptance lists, shared by the pages and the API (one definition of what can
be filtered and sorted). They narrow the user's scope, never widen it: the querysets come from
acceptance.access through the selectors.

Sorting is `?ordering=<column>` (`-<column>` descending), one whitelisted column at a time,
through `SortFilter` (orgs.filters' own): the chosen column, then a fixed tie-breaker, so equal
values keep one order from page to page. Without `ordering` the selector's own order stands."""

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from orgs import filters as orgs_filters
from orgs.filters import IntegerFilter
from orgs.models import Institution

from .models import Batch, Inspection, WeeklyReport, week_start


class SortFilter(orgs_filters.SortFilter):
    """orgs.filters.SortFilter (whitelisted columns, then a tie-breaker), and where a nullable
    column's empty values go, the same on every database: `nulls={"field": "low"}` sorts them as
    the lowest value (first ascending, last descending: "never reported" is the latest of all),
    "high" as the highest (an unranked unit is the last)."""

    def __init__(self, *args, nulls=None, **kwargs):
        self.nulls = dict(nulls or {})
        super().__init__(*args, **kwargs)

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        descending = value.startswith("-")
        name = value.lstrip("-")
        where = self.nulls.get(name)
        if where is None:
            return value
        first = (where == "low") != descending
        expression = F(name).desc if descending else F(name).asc
        return expression(nulls_first=True) if first else expression(nulls_last=True)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(p) for p in value if p not in EMPTY_VALUES]
        chosen = {o.lstrip("-") if isinstance(o, str) else o.expression.name for o in ordering}
        return qs.order_by(*ordering, *(f for f in self.then if f.lstrip("-") not in chosen))


class BatchFilterSet(django_filters.FilterSet):
    """The batch list (page and API). The counts are the selector's annotations
    (selectors.batch_list)."""

    status = django_filters.ChoiceFilter(
        choices=Batch.Status.choices, label=_("Status"), empty_label=_("All")
    )
    ordering = SortFilter(
        fields=(
            ("name", "name"),
            ("date", "date"),
            ("status_order", "status"),
            ("team__name", "team"),
            ("institution_count", "institutions"),
            ("passed_count", "passed"),
            ("failed_count", "failed"),
            ("pending_count", "pending"),
        ),
        then=("-date", "name", "pk"),
    )

    class Meta:
        model = Batch
        fields = ["status"]


class InspectionFilterSet(django_filters.FilterSet):
    """Inspections (the API's list; a batch's page sorts its institutions with `ordering`)."""

    batch = IntegerFilter(field_name="batch_id", label=_("Batch id"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    result = django_filters.ChoiceFilter(choices=Inspection.Result.choices, label=_("Result"))
    ordering = SortFilter(
        fields=(
            ("institution__code", "institution"),
            ("institution__name", "name"),
            ("round", "round"),
            ("result", "result"),
            ("batch__date", "date"),
        ),
        then=("-batch__date", "institution__code", "pk"),
    )

    class Meta:
        model = Inspection
        fields = ["batch", "institution", "result", "round"]


class ReportFilterSet(django_filters.FilterSet):
    """Filters of the weekly report list, shared by the page and the API."""

    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    week = django_filters.DateFilter(
        method="filter_week",
        label=_("Week"),
        help_text=_("Any day of the week (YYYY-MM-DD)."),
    )
    ordering = SortFilter(
        fields=(
            ("week", "week"),
            ("institution__code", "institution"),
            ("institution__name", "name"),
            ("stage_order", "stage"),
            ("progress", "progress"),
            ("submitted_at", "submitted"),
        ),
        then=("-week", "institution__code", "pk"),
    )

    class Meta:
        model = WeeklyReport
        fields = ["institution", "week"]

    def filter_week(self, queryset, name, value):
        return queryset.filter(week=week_start(value))


class RolloutFilterSet(django_filters.FilterSet):
    """The rollout board's rows (pilot institutions with their latest report, rollout.
    pilots_with_latest): by stage (in the rollout's order, not alphabetically), by lateness (the
    week of the latest report; never reported is the latest of all), by progress. Sorting only:
    the board's summaries (who has not reported, who lags, the median) are over every pilot."""

    ordering = SortFilter(
        fields=(
            ("code", "institution"),
            ("name", "name"),
            ("stage_order", "stage"),
            ("report_week", "reported"),
            ("report_progress", "progress"),
            ("inspection_round", "acceptance"),
        ),
        nulls={"report_week": "low", "report_progress": "low", "inspection_round": "low"},
        then=("code", "pk"),
    )

    class Meta:
        model = Institution
        fields: list[str] = []
