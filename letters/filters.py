"""The filter sets of the letters' lists: the letters of a year (the page and /api/v1/letters/
share LetterFilterSet) and HR's signing status (StatusFilterSet, over one row per institution and
level). Sorting is `?ordering=` over the columns each set's SortFilter names."""

import datetime

import django_filters
from django.db.models import Case, Count, DateTimeField, Min, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from orgs.filters import IntegerFilter, SortFilter
from orgs.models import AssessmentGroup

from .models import LEVEL_ORDER, Letter, Level

# A row with nothing waiting sorts as if it had waited since the end of time: after the others
# going up, before them going down, on every database (they place NULLs differently).
NOT_WAITING = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
# Head's letters first, then down the four levels (the stored codes do not sort that way).
LEVEL_RANK = Case(*(When(level=level, then=Value(i)) for i, level in enumerate(LEVEL_ORDER)))


def with_level_rank(letters):
    """Letters (or their per-level rows) with `level_rank`, to sort the levels in their order."""
    return letters.annotate(level_rank=LEVEL_RANK)


class LetterFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=_("Year"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    level = django_filters.ChoiceFilter(
        choices=Level.choices, label=_("Level"), empty_label=_("All levels")
    )
    status = django_filters.ChoiceFilter(
        choices=Letter.Status.choices, label=_("Status"), empty_label=_("All statuses")
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Only those I sign"))
    # The querysets this sorts carry `level_rank` (with_level_rank).
    ordering = SortFilter(
        fields=(
            ("institution__code", "institution"),
            ("level_rank", "level"),
            ("holder_name", "holder"),
            ("version", "version"),
            ("status", "status"),
            ("issued_at", "issued"),
            ("signed_at", "signed"),
            ("countersigned_at", "countersigned"),
        ),
        then=("-scheme__year", "institution__code", "level_rank", "holder_name", "-version", "pk"),
    )

    class Meta:
        model = Letter
        fields = ["year", "institution", "level", "status", "mine", "ordering"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(signer=user)


def status_rows_queryset(letters):
    """One row per institution and level of `letters` (not superseded ones): how many wait for a
    signature, are signed, are in effect, and since when the oldest unsigned one waits."""
    issued, signed = Letter.Status.ISSUED, Letter.Status.SIGNED
    return (
        with_level_rank(letters.exclude(status=Letter.Status.SUPERSEDED))
        .values(
            "institution",
            "institution__code",
            "institution__name",
            "level",
            "level_rank",
        )
        .annotate(
            issued=Count("pk", filter=Q(status=issued)),
            signed=Count("pk", filter=Q(status=signed)),
            effective=Count("pk", filter=Q(status=Letter.Status.EFFECTIVE)),
            waiting_since=Coalesce(
                Min("issued_at", filter=Q(status=issued)),
                Value(NOT_WAITING, output_field=DateTimeField()),
            ),
        )
    )


class StatusFilterSet(django_filters.FilterSet):
    """HR's status of a year: by assessment group, sorted by any column; unsigned rows (the
    longest waiting first) come first unless another order is chosen."""

    group = django_filters.ModelChoiceFilter(
        field_name="institution__group",
        queryset=AssessmentGroup.objects.order_by("sort_order", "code"),
        to_field_name="code",
        label=_("Assessment group"),
        empty_label=_("Every group"),
    )
    ordering = SortFilter(
        fields=(
            ("institution__code", "institution"),
            ("level_rank", "level"),
            ("issued", "issued"),
            ("signed", "signed"),
            ("effective", "effective"),
            ("waiting_since", "waiting_since"),
        ),
        then=("institution__code", "level_rank"),
    )

    class Meta:
        model = Letter
        fields = ["group", "ordering"]
