"""API views of 数据填报 (docs/REPORTING.md, "API"). Thin, like the pages: reports and items come
through reporting.access (out of the caller's scope → 404), every change through
reporting.services (which check the actor → 403, the status → 400, and audit). Nothing is updated
or deleted by PUT/PATCH/DELETE: every step is a POST to its own action."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from appraisal.models import Scheme
from orgs import access as orgs_access
from orgs.api.views import drf_validation_error
from orgs.importing.results import ImportFailed
from reporting import access, selectors, services, transfer
from reporting.filters import ReportFilterSet
from reporting.models import Report, ReportEvidence, ReportItem

from .serializers import (
    EvidenceUploadSerializer,
    FirstReviewSerializer,
    ImportSerializer,
    ItemSaveSerializer,
    ItemSerializer,
    ReasonSerializer,
    ReportDetailSerializer,
    ReportOpenSerializer,
    ReportSerializer,
    SecondReviewSerializer,
)

READ_AND_POST = ["get", "post", "head", "options"]


class ReportingAccess(BasePermission):
    """The roles 数据填报 gives something to read (reporting.access.READERS); anyone else 403.
    Which objects a reader reaches, reporting.access says (404); who may act, the services (403)."""

    def has_permission(self, request, view):
        return orgs_access.has_role(request.user, *access.READERS)


def _service(call):
    try:
        return call()
    except DjangoValidationError as e:
        raise drf_validation_error(e) from e


def _items_of(user, report):
    return (
        access.items_visible_to(user)
        .filter(report=report)
        .select_related("indicator__department", "target")
        .prefetch_related(
            Prefetch("evidence", queryset=ReportEvidence.objects.select_related("uploaded_by"))
        )
        .order_by("indicator__part", "indicator__sort_order", "indicator__code")
    )


@extend_schema_view(
    create=extend_schema(request=ReportOpenSerializer, responses={200: ReportDetailSerializer}),
    retrieve=extend_schema(responses=ReportDetailSerializer),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Half-year data reports (数据填报), scoped: HR and auditors all; an institution's head and
    contact persons their own; a scorer those holding items of their department (showing only
    those); a leader those of their 联系单位. POST opens (the first time: makes) the caller's
    institution's report for a year and half-year."""

    serializer_class = ReportSerializer
    permission_classes = [ReportingAccess]
    filterset_class = ReportFilterSet
    http_method_names = READ_AND_POST

    def get_queryset(self):
        return selectors.report_list(user=self.request.user)

    def get_object(self):
        return access.report_get_for_user(self.request.user, pk=self.kwargs["pk"])

    def _answer(self, report, status_code=status.HTTP_200_OK):
        user = self.request.user
        report = self.get_queryset().get(pk=report.pk)
        visible = access.items_visible_to(user).filter(report=report).values("pk")
        events = report.events.select_related("actor", "item__indicator").filter(
            item__isnull=True
        ) | report.events.select_related("actor", "item__indicator").filter(item__in=visible)
        context = {"items": _items_of(user, report), "events": events.order_by("at", "pk")}
        return Response(ReportDetailSerializer(report, context=context).data, status=status_code)

    def retrieve(self, request, pk=None, **kwargs):
        return self._answer(self.get_object())

    def _preparer_object(self) -> Report:
        """The report (404 out of scope), if the caller prepares it (403 otherwise): checked
        before the request's input is read."""
        report = self.get_object()
        if not access.can_prepare(self.request.user, report):
            raise PermissionDenied
        return report

    def _head_object(self) -> Report:
        report = self.get_object()
        if not access.is_head_of(self.request.user, report):
            raise PermissionDenied
        return report

    def create(self, request, **kwargs):
        # Who may before what is wrong with the input (deny by default): the institution's people.
        if not orgs_access.has_role(request.user, *access.PREPARERS):
            raise PermissionDenied
        serializer = ReportOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        own = access.own_institutions(request.user)
        institution = (
            own.filter(code=data["institution"]).first()
            if data["institution"]
            else own.order_by("code").first()
        )
        scheme = Scheme.objects.filter(year=data["year"]).first()
        if institution is None or scheme is None:
            raise Http404
        report = _service(
            lambda: services.report_open(
                actor=request.user, scheme=scheme, institution=institution, period=data["period"]
            )
        )
        return self._answer(report)

    @extend_schema(request=None, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, **kwargs):
        """The institution (head or contact person) submits the report as a whole."""
        report = self._preparer_object()
        _service(lambda: services.report_submit(actor=request.user, report=report))
        return self._answer(report)

    @extend_schema(request=None, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, **kwargs):
        """The head approves a contact person's submission: up to HQ (初审)."""
        report = self._head_object()
        _service(lambda: services.report_head_approve(actor=request.user, report=report))
        return self._answer(report)

    @extend_schema(request=ReasonSerializer, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None, **kwargs):
        """The head returns a contact person's submission, with the reasons."""
        report = self._head_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _service(
            lambda: services.report_head_return(
                actor=request.user, report=report, reason=serializer.validated_data["reason"]
            )
        )
        return self._answer(report)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={
            200: ReportDetailSerializer,
            400: OpenApiResponse(
                description="{errors: [{sheet, row, column, cell, value, message}]}"
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_(self, request, pk=None, **kwargs):
        """The filled Excel template (sheet 数据填报): all or nothing."""
        report = self._preparer_object()
        serializer = ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            transfer.report_import(
                actor=request.user, report=report, file=serializer.validated_data["file"]
            )
        except ImportFailed as failed:
            errors = [
                {
                    "sheet": e.sheet,
                    "row": e.row,
                    "column": e.column,
                    "cell": e.cell,
                    "value": None if e.value is None else str(e.value),
                    "message": str(e.message),
                }
                for e in failed.errors
            ]
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return self._answer(report)


class ItemViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The items of reports, each reached only through the caller's scope (404 otherwise). The
    institution saves figures and notes and uploads evidence; the indicator's department does 初审
    (accept / return / correct), HR 复核 (accept / return)."""

    serializer_class = ItemSerializer
    permission_classes = [ReportingAccess]
    http_method_names = READ_AND_POST

    def get_queryset(self):
        return (
            access.items_visible_to(self.request.user)
            .select_related("indicator__department", "target")
            .prefetch_related(
                Prefetch("evidence", queryset=ReportEvidence.objects.select_related("uploaded_by"))
            )
        )

    def get_object(self) -> ReportItem:
        return access.item_get_for_user(self.request.user, pk=self.kwargs["pk"])

    def _answer(self, item, status_code=status.HTTP_200_OK):
        return Response(
            ItemSerializer(self.get_queryset().get(pk=item.pk)).data, status=status_code
        )

    def retrieve(self, request, pk=None, **kwargs):
        return self._answer(self.get_object())

    def _preparer_item(self) -> ReportItem:
        """The item (404 out of scope), if the caller prepares its report (403 otherwise)."""
        item = self.get_object()
        if not access.can_prepare(self.request.user, item.report):
            raise PermissionDenied
        return item

    @extend_schema(request=ItemSaveSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def save(self, request, pk=None, **kwargs):
        """Set the figure and/or the note (the fields given)."""
        item = self._preparer_item()
        serializer = ItemSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _service(
            lambda: services.item_save(
                actor=request.user, item=item, source="api", **serializer.validated_data
            )
        )
        return self._answer(item)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: ItemSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None, **kwargs):
        """Upload one file of 佐证材料 (checked by content: PDF, pictures, xlsx, docx)."""
        item = self._preparer_item()
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _service(
            lambda: services.evidence_add(
                actor=request.user, item=item, file=serializer.validated_data["file"]
            )
        )
        return self._answer(item, status.HTTP_201_CREATED)

    @extend_schema(request=FirstReviewSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], url_path="first-review")
    def first_review(self, request, pk=None, **kwargs):
        """初审 by the indicator's department: accept, return (reason), or correct (the corrected
        actual_value or completed_on, and a reason)."""
        item = self.get_object()
        if not access.can_first_review(request.user, item):
            raise PermissionDenied
        serializer = FirstReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data["decision"] != services.FIRST_CORRECT:
            data.pop("actual_value"), data.pop("completed_on")
        _service(lambda: services.item_first_review(actor=request.user, item=item, **data))
        return self._answer(item)

    @extend_schema(request=SecondReviewSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], url_path="second-review")
    def second_review(self, request, pk=None, **kwargs):
        """复核 by HR: accept (the figure is written to the target and counts) or return
        (reason)."""
        item = self.get_object()
        if not access.can_second_review(request.user):
            raise PermissionDenied
        serializer = SecondReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _service(
            lambda: services.item_second_review(
                actor=request.user, item=item, **serializer.validated_data
            )
        )
        return self._answer(item)
