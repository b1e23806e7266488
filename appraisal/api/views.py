"""API views of the appraisal. Thin, like the pages: objects come through appraisal.access (outside
the caller's scope → 404), writes go through appraisal.services (which check the actor, validate,
audit and queue the recompute), a service's ValidationError is a 400 on its field names and its
PermissionDenied a 403. The ledger is append-only here too: entries are created, reversed and
decided, never updated or deleted (405)."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from appraisal import access, selectors, services
from appraisal.filters import ENTRY_ORDERING, AppealFilterSet, ResultFilterSet, SortingFilter
from appraisal.models import Indicator, IndicatorScorer, LedgerEntry, Part, Period, Target
from appraisal.tasks import recompute_request
from orgs.api.permissions import ReadOnlyUnlessHR
from orgs.api.views import drf_validation_error
from orgs.filters import IntegerFilter

from .permissions import (
    AnswersAppeals,
    AppealAccess,
    EntryAccess,
    IsHR,
    ResultAccess,
    TargetAccess,
)
from .serializers import (
    AppealAnswerSerializer,
    AppealCreateSerializer,
    AppealSerializer,
    EntryCreateSerializer,
    EntryDecideSerializer,
    EntryReverseSerializer,
    EntrySerializer,
    EntryStatus,
    IndicatorSerializer,
    ResultSerializer,
    SchemeCheckSerializer,
    SchemeCreateSerializer,
    SchemeSerializer,
    SchemeSettingsSerializer,
    SchemeTransitionSerializer,
    TargetSerializer,
    scorer_specs,
)

# --- Schemes -------------------------------------------------------------------------------------


class SchemeViewSet(viewsets.GenericViewSet):
    """The yearly schemes (考核方案), looked up by year. Every role reads them (they are the
    published rules); HR creates a year, changes a draft's settings and moves it through its
    lifecycle."""

    serializer_class = SchemeSerializer
    permission_classes = [ReadOnlyUnlessHR]
    lookup_field = "year"
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return access.schemes_visible_to(self.request.user).order_by("-year")

    def get_object(self):
        scheme = access.scheme_get_for_user(self.request.user, year=self.kwargs["year"])
        self.check_object_permissions(self.request, scheme)
        return scheme

    @staticmethod
    def _with_results_state(scheme):
        # The pages' state of the results: recompute.results_are_stale, tasks.recompute_pending.
        state = selectors.results_state(scheme)
        scheme.results_computed_at = state.computed_at
        scheme.results_stale = state.stale
        scheme.recompute_pending = state.pending
        return scheme

    def _detail(self, scheme) -> dict:
        return SchemeSerializer(self._with_results_state(scheme)).data

    def list(self, request, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        schemes = [self._with_results_state(scheme) for scheme in page]
        return self.get_paginated_response(SchemeSerializer(schemes, many=True).data)

    def retrieve(self, request, year=None, **kwargs):
        return Response(self._detail(self.get_object()))

    @extend_schema(request=SchemeCreateSerializer, responses={201: SchemeSerializer})
    def create(self, request, **kwargs):
        serializer = SchemeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            scheme = services.scheme_create(actor=request.user, **serializer.validated_data)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return Response(self._detail(scheme), status=status.HTTP_201_CREATED)

    @extend_schema(request=SchemeSettingsSerializer, responses=SchemeSerializer)
    def partial_update(self, request, year=None, **kwargs):
        scheme = self.get_object()
        serializer = SchemeSettingsSerializer(scheme, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            scheme = services.scheme_update(
                actor=request.user, scheme=scheme, **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return Response(self._detail(scheme))

    @extend_schema(request=SchemeTransitionSerializer, responses=SchemeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsHR])
    def transition(self, request, year=None, **kwargs):
        """Move the year along draft → open → review → published, or reopen a published year."""
        scheme = self.get_object()
        serializer = SchemeTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            scheme = services.scheme_transition(
                actor=request.user, scheme=scheme, **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return Response(self._detail(scheme))

    @extend_schema(responses=SchemeCheckSerializer)
    @action(detail=True, methods=["get"], permission_classes=[IsHR])
    def check(self, request, year=None, **kwargs):
        """What keeps the year from opening: indicator maxima that do not add up to a part's."""
        scheme = self.get_object()
        return Response(SchemeCheckSerializer({"problems": services.scheme_check(scheme)}).data)

    @extend_schema(request=None, responses={202: SchemeSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsHR])
    def recompute(self, request, year=None, **kwargs):
        """Queue a recompute of the year's results (coalesced with one already queued)."""
        scheme = self.get_object()
        # Any year, as the rankings page's "recompute now" (a published year's ledger is locked).
        recompute_request(scheme.pk)
        return Response(self._detail(scheme), status=status.HTTP_202_ACCEPTED)


# --- Indicators ----------------------------------------------------------------------------------


class IndicatorFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=gettext_lazy("Year"))
    part = django_filters.ChoiceFilter(choices=Part.choices, label=gettext_lazy("Part"))
    department = django_filters.CharFilter(
        field_name="department__code", label=gettext_lazy("Scoring department code")
    )

    class Meta:
        model = Indicator
        fields = ["year", "part", "department"]


class IndicatorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Indicators (考核指标) of the years. Every role reads; HR writes them while the year is a
    draft. They are not deleted through the API."""

    serializer_class = IndicatorSerializer
    permission_classes = [ReadOnlyUnlessHR]
    filterset_class = IndicatorFilterSet

    def get_queryset(self):
        return (
            Indicator.objects.filter(scheme__in=access.schemes_visible_to(self.request.user))
            .select_related("scheme", "department")
            .prefetch_related(
                "institutions",
                Prefetch(
                    "scorers",
                    queryset=IndicatorScorer.objects.select_related("department", "leader"),
                ),
            )
            .order_by("-scheme__year", "part", "sort_order", "code")
        )

    def _save(self, serializer, indicator=None):
        data = dict(serializer.validated_data)
        scheme = data.pop("scheme", None) or indicator.scheme
        if indicator is not None and scheme != indicator.scheme:
            raise drf_validation_error(
                DjangoValidationError({"year": _("An indicator stays in its year.")})
            )
        institutions = data.pop("institutions", None)
        aggregation = data.pop("aggregation", None)
        scorers = data.pop("scorers", None)
        scorers = scorer_specs(scorers) if scorers is not None else None
        try:
            if indicator is not None and not data and institutions is None:
                # Only the scorers and their rule: these change until the year is published.
                services.indicator_scorers_set(
                    actor=self.request.user,
                    indicator=indicator,
                    aggregation=aggregation or indicator.aggregation,
                    scorers=scorers if scorers is not None else services.scorer_specs_of(indicator),
                )
            else:
                indicator = services.indicator_save(
                    actor=self.request.user,
                    scheme=scheme,
                    indicator=indicator,
                    institutions=institutions,
                    aggregation=aggregation,
                    scorers=scorers,
                    **data,
                )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        serializer.instance = self.get_queryset().get(pk=indicator.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


# --- Targets -------------------------------------------------------------------------------------


class TargetFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="indicator__scheme__year", label=gettext_lazy("Year"))
    indicator = django_filters.CharFilter(
        field_name="indicator__code", label=gettext_lazy("Indicator code")
    )
    institution = django_filters.CharFilter(
        field_name="institution__code", label=gettext_lazy("Institution code")
    )

    class Meta:
        model = Target
        fields = ["year", "indicator", "institution"]


class TargetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Targets of institutions on indicators, and the actual values reported. HR sets targets;
    the scorer of the indicator's department reports `actual_value` and `completed_on` (PATCH).
    Updates are partial only (no PUT): a scorer never sends the fields HR owns."""

    serializer_class = TargetSerializer
    permission_classes = [TargetAccess]
    filterset_class = TargetFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            access.targets_visible_to(self.request.user)
            .select_related("indicator__scheme", "institution")
            .order_by("-indicator__scheme__year", "indicator__code", "institution__code")
        )

    def get_object(self):
        try:
            target = self.get_queryset().get(pk=self.kwargs["pk"])
        except (Target.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        self.check_object_permissions(self.request, target)
        return target

    def _save(self, serializer, indicator, institution, fields):
        try:
            target = services.target_save(
                actor=self.request.user, indicator=indicator, institution=institution, **fields
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        serializer.instance = self.get_queryset().get(pk=target.pk)

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        indicator, institution = fields.pop("indicator"), fields.pop("institution")
        self._save(serializer, indicator, institution, fields)

    def perform_update(self, serializer):
        target = serializer.instance
        fields = dict(serializer.validated_data)
        for name in ("indicator", "institution", "period"):
            if name in fields and fields.pop(name) != getattr(target, name):
                raise drf_validation_error(
                    DjangoValidationError(
                        {name: _("A target stays on its indicator, institution and half-year.")}
                    )
                )
        fields["period"] = target.period
        self._save(serializer, target.indicator, target.institution, fields)


# --- The ledger ----------------------------------------------------------------------------------


class EntryFilterSet(django_filters.FilterSet):
    year = IntegerFilter(field_name="scheme__year", label=gettext_lazy("Year"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=gettext_lazy("Institution code")
    )
    kind = django_filters.ChoiceFilter(choices=LedgerEntry.Kind.choices, label=gettext_lazy("Kind"))
    indicator = django_filters.CharFilter(
        field_name="indicator__code", label=gettext_lazy("Indicator code")
    )
    period = django_filters.ChoiceFilter(choices=Period.choices, label=gettext_lazy("Period"))
    is_official = django_filters.BooleanFilter(label=gettext_lazy("Official"))
    status = django_filters.ChoiceFilter(choices=EntryStatus.CHOICES, label=gettext_lazy("Status"))
    # The ledger page's columns (filters.ENTRY_ORDERING); `points` as recorded here.
    ordering = SortingFilter(fields={**ENTRY_ORDERING, "points": "points"}, then=("-id",))

    class Meta:
        model = LedgerEntry
        fields = [
            "year",
            "institution",
            "kind",
            "indicator",
            "period",
            "is_official",
            "status",
            "ordering",
        ]


# Whether an entry counts, as appraisal.recompute.COUNTED decides it (an entry counts when it needs
# no approval or HR approved it), in the words of the ledger page (selectors.entry_states).
ENTRY_STATUS = Case(
    When(Q(needs_approval=False) | Q(decision__approved=True), then=Value(EntryStatus.COUNTED)),
    When(decision__approved=False, then=Value(EntryStatus.REJECTED)),
    When(
        Q(reverses__isnull=False) | Q(reversed_by__isnull=False),
        then=Value(EntryStatus.WITHDRAWN),
    ),
    default=Value(EntryStatus.PENDING),
)


IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        "A key the client makes up for this one entry (a UUID, at most 64 printable ASCII "
        "characters). Sending the same key again (a retry after a timeout, a double click) "
        "records nothing new: the answer is 200 with the entry recorded the first time. The "
        "same key with a different entry is refused (400). Keys are per user."
    ),
)


@extend_schema_view(
    create=extend_schema(
        request=EntryCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            201: EntrySerializer,
            200: OpenApiResponse(
                EntrySerializer,
                description=gettext_lazy(
                    "A repeat of an earlier request with the same Idempotency-Key: the entry "
                    "it recorded."
                ),
            ),
        },
    ),
)
class EntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The points ledger (台账), newest first. HR and auditors see every entry, a scorer their
    department's, an institution head their own institution's. Entries are recorded (JSON, or a
    multipart form with an `evidence` file), reversed and decided; never updated or deleted."""

    serializer_class = EntrySerializer
    permission_classes = [EntryAccess]
    filterset_class = EntryFilterSet

    def get_queryset(self):
        return (
            access.entries_visible_to(self.request.user)
            .select_related(
                "scheme",
                "institution",
                "indicator",
                "department",
                "leader",
                "created_by",
                "decision__decided_by",
            )
            .annotate(status=ENTRY_STATUS, reversed_by_pk=F("reversed_by__id"))
            .order_by("-id")
        )

    def get_object(self):
        entry = access.entry_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, entry)
        return entry

    def _answer(self, entry, status_code=status.HTTP_200_OK):
        # Read back with the status and links the list shows (the entry is in the caller's scope).
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(EntrySerializer(entry).data, status=status_code)

    def retrieve(self, request, pk=None, **kwargs):
        return self._answer(self.get_object())

    def create(self, request, **kwargs):
        serializer = EntryCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            entry = services.ledger_entry_create(
                actor=request.user,
                scheme=data["scheme"],
                institution=data["institution"],
                kind=data["kind"],
                indicator=data["indicator"],
                period=data["period"],
                points=data["points"],
                reason=data["reason"],
                evidence=data["evidence"],
                is_official=data["is_official"],
                source="api",
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(
            entry, status.HTTP_200_OK if entry.replayed else status.HTTP_201_CREATED
        )

    @extend_schema(request=EntryReverseSerializer, responses={201: EntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None, **kwargs):
        """Correct an entry: a new entry with the opposite points that points back at it."""
        entry = self.get_object()
        if not services.can_reverse(request.user, entry):
            raise PermissionDenied  # before the body is read: 403 whatever it holds
        serializer = EntryReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            reversal = services.ledger_entry_reverse(
                actor=request.user, entry=entry, source="api", **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(reversal, status.HTTP_201_CREATED)

    @extend_schema(request=EntryDecideSerializer, responses=EntrySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsHR])
    def decide(self, request, pk=None, **kwargs):
        """HR approves or rejects a bonus or veto proposal, or reviews indicator points entered
        where the scheme says scoring needs review (评分复核: rejecting them needs a `note`);
        once."""
        entry = self.get_object()
        serializer = EntryDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.entry_decide(actor=request.user, entry=entry, **serializer.validated_data)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(entry)


# --- Results -------------------------------------------------------------------------------------


class ResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The results of the last recompute, by year, group and rank. Read-only: they are derived
    from the ledger. No detail route: a recompute replaces a year's rows, so row ids do not last;
    filter by year and institution instead."""

    serializer_class = ResultSerializer
    permission_classes = [ResultAccess]
    filterset_class = ResultFilterSet

    def get_queryset(self):
        return (
            access.results_visible_to(self.request.user)
            .select_related("scheme", "institution", "group")
            .order_by(
                "-scheme__year", "group__sort_order", "group__code", "rank", "institution__code"
            )
        )


# --- Appeals -------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=AppealCreateSerializer, responses={201: AppealSerializer}),
)
class AppealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Appeals (申诉) against ledger entries, newest first; filter by year, status, institution.
    HR and auditors see every appeal, a scorer those on their department's entries, an institution
    head their own institution's. A head submits one while the year is in review (JSON, or a
    multipart form with an `evidence` file); the entry's scoring department or HR answers it
    once: accepting reverses the entry. Appeals are never updated or deleted otherwise."""

    serializer_class = AppealSerializer
    permission_classes = [AppealAccess]
    filterset_class = AppealFilterSet

    def get_queryset(self):
        return selectors.appeal_list(user=self.request.user)

    def get_object(self):
        appeal = access.appeal_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, appeal)
        return appeal

    def _answer(self, appeal, status_code=status.HTTP_200_OK):
        appeal = self.get_queryset().get(pk=appeal.pk)
        return Response(AppealSerializer(appeal).data, status=status_code)

    def create(self, request, **kwargs):
        serializer = AppealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            # An entry the caller may not see reads as one that does not exist.
            entry = access.entry_get_for_user(request.user, pk=data["entry"])
        except Http404:
            raise drf_validation_error(
                DjangoValidationError(
                    {"entry": _("Unknown entry #%(id)s.") % {"id": data["entry"]}}
                )
            ) from None
        try:
            appeal = services.appeal_submit(
                actor=request.user,
                entry=entry,
                reasons=data["reasons"],
                evidence=data["evidence"],
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(appeal, status.HTTP_201_CREATED)

    @extend_schema(request=AppealAnswerSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"], permission_classes=[AnswersAppeals])
    def answer(self, request, pk=None, **kwargs):
        """Accept (the entry is reversed, the results recomputed) or reject an appeal, once."""
        appeal = self.get_object()
        serializer = AppealAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            appeal = services.appeal_answer(
                actor=request.user,
                appeal=appeal,
                accept=serializer.validated_data["decision"] == "accept",
                answer=serializer.validated_data["answer"],
                source="api",
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(appeal)
