"""API views of the acceptance (docs/ACCEPTANCE.md). Thin, like the pages: objects come through
acceptance.access (outside the caller's scope → 404), every change through acceptance.services
(which check the actor, validate and audit); a service's ValidationError is a 400 on its field
names and its PermissionDenied a 403. Nothing is updated or deleted through the API (405): a batch,
a tick, a decision and a report each have their own action."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from acceptance import access, rollout, selectors, services
from acceptance.filters import BatchFilterSet, InspectionFilterSet, ReportFilterSet
from acceptance.models import Standard, Tick, WeeklyReport, week_start
from orgs.access import has_role, institutions_visible_to
from orgs.api.views import drf_validation_error
from orgs.models import Institution, Role

from .permissions import BatchAccess, InspectionAccess, ReportAccess, StandardAccess
from .serializers import (
    BatchCreateSerializer,
    BatchSerializer,
    DecideSerializer,
    InspectionSerializer,
    StandardSerializer,
    TickSaveSerializer,
    WeeklyReportSerializer,
    WeeklyReportSubmitSerializer,
)

READ_AND_POST = ["get", "post", "head", "options"]


# --- Standard ------------------------------------------------------------------------------------


class StandardViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Versions of the acceptance standard (验收标准), newest first: the first is the one new
    batches use. Each with its items and its go-live month, from which the payroll criterion checks
    wages. Read by HR, acceptance members and auditors; HR sets the go-live month on the standard's
    page, which makes a new version."""

    serializer_class = StandardSerializer
    permission_classes = [StandardAccess]
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return Standard.objects.prefetch_related("items").order_by("-version")


# --- Batches -------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=BatchCreateSerializer, responses={201: BatchSerializer}),
)
class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Acceptance batches (验收批次), newest first. HR, auditors and acceptance members see every
    batch; an institution head the batches their institution is in, listing only their own
    institution. HR creates a batch of 5 to 8 pilot institutions; each takes its next round."""

    serializer_class = BatchSerializer
    permission_classes = [BatchAccess]
    filterset_class = BatchFilterSet
    http_method_names = READ_AND_POST

    def get_queryset(self):
        user = self.request.user
        visible = access.inspections_visible_to(user).select_related("institution")
        # The list's own order and counts (sorted by BatchFilterSet's `ordering`).
        return (
            selectors.batch_list(user=user)
            .select_related("standard")
            .prefetch_related(
                Prefetch(
                    "inspections",
                    queryset=visible.order_by("institution__code"),
                    to_attr="visible_inspections",
                )
            )
        )

    def get_object(self):
        batch = access.batch_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, batch)
        return self.get_queryset().get(pk=batch.pk)

    def create(self, request, **kwargs):
        serializer = BatchCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            batch = services.batch_create(actor=request.user, **serializer.validated_data)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        batch = self.get_queryset().get(pk=batch.pk)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


# --- Inspections ---------------------------------------------------------------------------------


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inspections: one institution in one batch, in its round, with the ticks recorded on site
    and the automatic payroll criterion month by month. A head sees only their institution's.
    Members of the batch's team tick items and decide pass or fail."""

    serializer_class = InspectionSerializer
    permission_classes = [InspectionAccess]
    filterset_class = InspectionFilterSet

    def get_queryset(self):
        return (
            access.inspections_visible_to(self.request.user)
            .select_related("batch__standard", "institution", "decided_by")
            .prefetch_related(
                Prefetch(
                    "ticks",
                    queryset=Tick.objects.select_related("item", "by").order_by(
                        "item__sort_order", "item__code"
                    ),
                )
            )
            .order_by("-batch__date", "batch__name", "institution__code")
        )

    def get_object(self):
        inspection = access.inspection_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, inspection)
        return inspection

    def _answer(self, inspection):
        # Read back as the list shows it (the caller reached it, so it is in their scope).
        inspection = self.get_queryset().get(pk=inspection.pk)
        return Response(InspectionSerializer(inspection).data)

    def retrieve(self, request, pk=None, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=TickSaveSerializer, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def ticks(self, request, pk=None, **kwargs):
        """A team member records one item on site: met or not, with a note (again: replaces
        it). Only members of the batch's team tick (403 for anyone else), while the inspection
        is undecided."""
        inspection = self.get_object()
        serializer = TickSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = inspection.batch.standard.items.filter(code=data["item"]).first()
        if item is None:
            raise drf_validation_error(
                DjangoValidationError(
                    {
                        "item": _("The standard has no item %(code)s.") % {"code": data["item"]},
                    }
                )
            )
        try:
            services.tick_save(
                actor=request.user,
                inspection=inspection,
                item=item,
                met=data["met"],
                note=data["note"],
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(inspection)

    @extend_schema(request=DecideSerializer, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, **kwargs):
        """Pass (only when every mandatory item is met, the payroll criterion included) or fail,
        once. A failed institution is due for a later batch, as its next round."""
        inspection = self.get_object()
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.inspection_decide(
                actor=request.user, inspection=inspection, **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(inspection)


# --- Weekly reports ------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=WeeklyReportSubmitSerializer,
        responses={200: WeeklyReportSerializer, 201: WeeklyReportSerializer},
    ),
)
class WeeklyReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Weekly rollout reports (周报), newest week first. A head sees and submits their own
    institution's; HR submits for any pilot; auditors and acceptance members read. A report is for
    the current week: the first one is created (201), another in the same week replaces it
    (200)."""

    serializer_class = WeeklyReportSerializer
    permission_classes = [ReportAccess]
    filterset_class = ReportFilterSet
    http_method_names = READ_AND_POST

    def get_queryset(self):
        return rollout.report_list(user=self.request.user)

    def _institution(self, code: str) -> Institution:
        user = self.request.user
        if not code and has_role(user, Role.HEAD):
            own = institutions_visible_to(user).filter(is_pilot=True).order_by("code").first()
            if own is not None:
                return own
        # Out of the caller's scope and not existing are one answer (issue 16, item 8).
        pilots = institutions_visible_to(user).filter(is_pilot=True)
        institution = pilots.filter(code=code).first() if code else None
        if institution is None:
            message = (
                _("%(code)s is not a pilot institution.") % {"code": code}
                if code
                else _("Name the pilot institution.")
            )
            raise drf_validation_error(DjangoValidationError({"institution": message}))
        return institution

    def create(self, request, **kwargs):
        serializer = WeeklyReportSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        institution = self._institution(data.pop("institution"))
        today = timezone.localdate()
        existed = WeeklyReport.objects.filter(
            institution=institution, week=week_start(today)
        ).exists()
        try:
            report = services.weekly_report_submit(
                actor=request.user, institution=institution, day=today, **data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        report = self.get_queryset().get(pk=report.pk)
        return Response(
            WeeklyReportSerializer(report).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
