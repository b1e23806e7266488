"""Filter sets shared by the appraisal's HTML lists and its API (one definition of what a list can
be filtered and sorted by).

Sorting: each list's `ordering` is a `SortingFilter` (orgs.filters.SortFilter) over a whitelist of
columns (`?ordering=total`, `?ordering=-total`), always followed by a tie-breaker so that equal rows
keep one order from page to page. The pages write the links with `c-th-sort` (docs/UI.md); the API
takes the same parameter (an unknown column: ignored on a page, 400 in the API).
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from orgs.access import institutions_visible_to
from orgs.filters import IntegerFilter, SortFilter
from orgs.models import Institution

from .models import Appeal, Indicator, LedgerEntry, Part, Period, Result, Scheme


class SortingFilter(SortFilter):
    """orgs.filters.SortFilter (whitelisted columns, then a tie-breaker), which can also give the
    order it stands for as a list, for selectors that sort inside a structure of their own."""

    def terms(self, value) -> list[str]:
        """The order_by() arguments for a cleaned `?ordering=` value ([] when there is none)."""
        if value in EMPTY_VALUES:
            return []
        chosen = [self.get_ordering_value(p) for p in value if p not in EMPTY_VALUES]
        named = {term.lstrip("-") for term in chosen}
        return chosen + [t for t in self.then if t.lstrip("-") not in named]


def ordering_terms(filterset) -> list[str]:
    """The order a filter set's `?ordering=` asks for, as order_by() arguments, for selectors that
    sort within their own structure (the rankings within each group, the grid's rows); [] when
    none is asked for or the value is not one of the whitelisted columns."""
    form = filterset.form
    if not form.is_bound:
        return []
    form.is_valid()  # cleans every field; a value not in the whitelist is left out of cleaned_data
    return filterset.filters["ordering"].terms(form.cleaned_data.get("ordering"))


# --- The ledger ----------------------------------------------------------------------------------

# The columns a ledger can be sorted by, page and API alike ({field: parameter}).
ENTRY_ORDERING = {
    "id": "id",
    "created_at": "created_at",
    "institution__code": "institution",
    "kind": "kind",
    "indicator__code": "indicator",
    "period": "period",
}


class InstitutionChoiceFilter(django_filters.ModelChoiceFilter):
    """An institution by its code, among those the user sees; shown as "code name"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("queryset", Institution.objects.none())
        super().__init__(*args, **kwargs)


def _code_and_name(obj) -> str:
    return f"{obj.code} {obj.name}"


def _indicator_label(obj) -> str:
    return f"{obj.code} {obj.name} ({obj.get_part_display()})"


class LedgerFilterSet(django_filters.FilterSet):
    """The ledger page's filters and sorting over selectors.ledger_list (which annotates
    `signed_points`: the points as they count towards the total, a veto deduction negative). A
    value the user may not choose (another institution) makes the form invalid: the page shows
    nothing then, not everything."""

    institution = InstitutionChoiceFilter(label=_("Institution"), empty_label=_("All institutions"))
    kind = django_filters.ChoiceFilter(
        choices=LedgerEntry.Kind.choices, label=_("Kind"), empty_label=_("All kinds")
    )
    indicator = django_filters.ModelChoiceFilter(
        queryset=Indicator.objects.none(),
        to_field_name="code",
        label=_("Indicator"),
        empty_label=_("All indicators"),
    )
    part = django_filters.ChoiceFilter(
        field_name="indicator__part",
        choices=Part.choices,
        label=_("Part"),
        empty_label=_("All parts"),
    )
    period = django_filters.ChoiceFilter(
        choices=Period.choices, label=_("Period"), empty_label=_("All periods")
    )
    official = django_filters.ChoiceFilter(
        method="filter_official",
        choices=[("official", _("Official")), ("self", _("Self-assessment"))],
        label=_("Official or self"),
        empty_label=_("Official and self-assessment"),
    )
    ordering = SortingFilter(fields={**ENTRY_ORDERING, "signed_points": "points"}, then=("-id",))

    class Meta:
        model = LedgerEntry
        fields = ["institution", "kind", "indicator", "part", "period", "official", "ordering"]

    def __init__(self, *args, user, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["institution"].queryset = institutions_visible_to(user).order_by("code")
        fields["institution"].label_from_instance = _code_and_name
        fields["indicator"].queryset = Indicator.objects.filter(scheme=scheme).order_by(
            "part", "sort_order", "code"
        )
        fields["indicator"].label_from_instance = _indicator_label

    def filter_official(self, queryset, name, value):
        return queryset.filter(is_official=value == "official")


# --- HR's approvals ------------------------------------------------------------------------------


class ProposalFilterSet(django_filters.FilterSet):
    """The approvals page: bonus and veto proposals waiting for HR (selectors.proposals_pending,
    oldest first), sortable."""

    ordering = SortingFilter(
        fields={
            "created_at": "proposed",
            "scheme__year": "year",
            "institution__code": "institution",
            "kind": "kind",
            "points": "points",
            "department__code": "department",
        },
        then=("created_at", "id"),
    )

    class Meta:
        model = LedgerEntry
        fields = ["ordering"]


# --- Appeals -------------------------------------------------------------------------------------


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
        field_name="answered_at",
        lookup_expr="date__gte",
        label=_("Answered since"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordering = SortingFilter(
        fields={
            "id": "id",
            "scheme__year": "year",
            "institution__code": "institution",
            "entry_signed_points": "points",  # selectors.appeal_list: as they count
            "submitted_at": "submitted",
            "status": "status",
            "answered_at": "answered",
        },
        then=("-id",),
    )

    class Meta:
        model = Appeal
        fields = ["year", "status", "institution", "answered_since", "ordering"]


# --- Results and rankings ------------------------------------------------------------------------

# The columns a ranking can be sorted by within each group (the page) or across them (the API).
RESULT_ORDERING = {
    "rank": "rank",
    "institution__code": "institution",
    "institution__name": "name",
    "common": "common",
    "business": "business",
    "execution": "execution",
    "bonus": "bonus",
    "veto": "veto",
    "total": "total",
    "prize_level": "prize",
    "gap_to_qualify": "gap_qualify",
    "gap_to_next_prize": "gap_prize",
    "gap_to_above": "gap_above",
    "margin_below": "margin_below",
    "h1_rank": "h1_rank",
    "common_h1": "common_h1",
    "business_h1": "business_h1",
    "h1_total": "h1_total",
}


class RankingFilterSet(django_filters.FilterSet):
    """The rankings pages' sorting: within each assessment group (selectors.rankings keeps the
    groups in their order and puts `ordering_terms` inside them)."""

    ordering = SortingFilter(fields=RESULT_ORDERING, then=("institution__code", "id"))

    class Meta:
        model = Result
        fields = ["ordering"]


class ResultFilterSet(RankingFilterSet):
    """The API's results: by year, group and institution, sortable as the rankings pages are
    (across groups there, unless the caller sorts by group first)."""

    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    group = django_filters.CharFilter(field_name="group__code", label=_("Assessment group code"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )

    class Meta:
        model = Result
        fields = ["year", "group", "institution", "ordering"]


# --- The scoring grid's rows ---------------------------------------------------------------------


class GridRowFilterSet(django_filters.FilterSet):
    """The order of the scoring grid's rows (institutions); the grid's columns are chosen by
    scoring_forms.GridFilterForm. Without `?ordering=` the rows come by group, then code."""

    ordering = SortingFilter(
        fields={"code": "code", "name": "name", "group__sort_order": "group"},
        then=("code",),
    )

    class Meta:
        model = Institution
        fields = ["ordering"]
