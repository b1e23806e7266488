"""The filter sets of the payroll lists, shared by the pages and the API (one definition of what
runs, lines and policies can be filtered and sorted by). Sorting is `?ordering=` over the columns
named in each set's SortFilter, in the same words on the page (c-th-sort) and in the API."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from orgs.filters import IntegerFilter, SortFilter

from .forms import MONTH_SCHEMA, MonthField
from .models import PayPolicy, PayrollLine, PayrollRun
from .selectors import run_waiting


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.DateFilter):
    field_class = MonthField


class RunFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="month", label=_("Month (YYYY-MM)"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    status = django_filters.ChoiceFilter(
        choices=PayrollRun.Status.choices, label=_("Status"), empty_label=_("All statuses")
    )
    # 待办's links (payroll/todo.py): the runs waiting for the user, by selectors.run_waiting.
    waiting = django_filters.ChoiceFilter(
        choices=[
            ("confirm", _("To confirm")),
            ("export", _("To export")),
            ("reconcile", _("Paid wages differ")),
        ],
        method="filter_waiting",
        label=_("Waiting"),
        empty_label=_("All"),
    )
    ordering = SortFilter(
        fields=(
            ("month", "month"),
            ("institution__code", "institution"),
            ("status", "status"),
            ("basic_pool", "basic_pool"),
            ("incentive_pool", "incentive_pool"),
            ("prize_pool", "prize_pool"),
            ("undistributed", "undistributed"),
            ("total_gross", "total_gross"),
        ),
        then=("-month", "institution__code", "pk"),
    )

    class Meta:
        model = PayrollRun
        fields = ["month", "institution", "status", "waiting", "ordering"]

    def filter_waiting(self, queryset, name, value):
        return queryset.filter(run_waiting(value, timezone.localdate()))


class LineFilterSet(django_filters.FilterSet):
    run = IntegerFilter(field_name="run", label=_("Payroll run id"))
    institution = django_filters.CharFilter(
        field_name="run__institution__code", label=_("Institution code")
    )
    month = MonthFilter(field_name="run__month", label=_("Month (YYYY-MM)"))
    # The run page sorts its lines with this too (one run: month and institution are the same).
    ordering = SortFilter(
        fields=(
            ("staff_number", "staff_number"),
            ("name", "name"),
            ("basic", "basic"),
            ("incentive", "incentive"),
            ("prize", "prize"),
            ("gross", "gross"),
        ),
        then=("-run__month", "run__institution__code", "staff_number", "pk"),
    )

    class Meta:
        model = PayrollLine
        fields = ["run", "institution", "month", "ordering"]


class PolicyFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="year", label=_("Appraisal year"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    ordering = SortFilter(
        fields=(
            ("year", "year"),
            ("institution__code", "institution"),
            ("per_capita", "per_capita"),
            ("basic_ratio", "basic_ratio"),
            ("settlement_month", "settlement_month"),
            ("formal_staff", "formal_staff"),
        ),
        then=("-year", "institution__code", "pk"),
    )

    class Meta:
        model = PayPolicy
        fields = ["year", "institution", "ordering"]
