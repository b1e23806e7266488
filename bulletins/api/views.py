"""API views of the bulletins (docs/BULLETINS.md). Thin, like the pages: objects come through
bulletins.access (outside the caller's scope → 404), every change through bulletins.services
(which check the actor, validate and audit); a service's ValidationError is a 400 on its field
names and its PermissionDenied a 403. Nothing is updated or deleted through the API (405)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bulletins import access, rules, selectors, services
from bulletins.filters import BulletinFilterSet, ExplanationFilterSet
from bulletins.models import Bulletin, BulletinLine
from orgs.api.views import drf_validation_error

from .permissions import BulletinAccess, ExplanationAccess, IsHead, IsHR
from .serializers import (
    BulletinDetailSerializer,
    BulletinGenerateSerializer,
    BulletinSerializer,
    ExplanationReviewSerializer,
    ExplanationSerializer,
    ExplanationSubmitSerializer,
)

READ_AND_POST = ["get", "post", "head", "options"]


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Weekly and monthly bulletins (周报、月度通报), newest period first. HR and auditors see
    drafts too; every other role sees published bulletins, whole (the rankings are public inside the
    group company). The list gives each bulletin's counts; one bulletin gives its frozen lines,
    warnings and the explanation requests the caller may see. HR generates and publishes."""

    permission_classes = [BulletinAccess]
    filterset_class = BulletinFilterSet
    http_method_names = READ_AND_POST

    def get_serializer_class(self):
        return BulletinDetailSerializer if self.action != "list" else BulletinSerializer

    def get_queryset(self):
        return selectors.bulletin_list(user=self.request.user)

    def _detail(self, pk):
        user = self.request.user
        return (
            self.get_queryset()
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=BulletinLine.objects.order_by(
                        "group_order", "group_name", "rank", "institution_code"
                    ),
                    to_attr="ordered_lines",
                ),
                Prefetch(
                    "explanations",
                    queryset=access.explanations_visible_to(user)
                    .select_related("institution")
                    .order_by("institution__code"),
                    to_attr="visible_explanations",
                ),
            )
            .get(pk=pk)
        )

    def get_object(self):
        bulletin = access.bulletin_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, bulletin)
        return bulletin

    def retrieve(self, request, pk=None, **kwargs):
        bulletin = self.get_object()
        return Response(BulletinDetailSerializer(self._detail(bulletin.pk)).data)

    @extend_schema(
        request=BulletinGenerateSerializer,
        responses={200: BulletinDetailSerializer, 201: BulletinDetailSerializer},
    )
    @action(detail=False, methods=["post"], permission_classes=[IsHR])
    def generate(self, request, **kwargs):
        """Generate the bulletin of the last week (Monday to Sunday) or month that ended before
        `day` (201). A draft of that period is replaced (200); a published one is refused (400)."""
        serializer = BulletinGenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        day = data.get("day") or timezone.localdate()
        existed = Bulletin.objects.filter(
            scheme=data["year"],
            kind=data["kind"],
            period_start=rules.period(data["kind"], day)[0],
        ).exists()
        try:
            bulletin = services.bulletin_generate(
                scheme=data["year"], kind=data["kind"], day=day, actor=request.user
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return Response(
            BulletinDetailSerializer(self._detail(bulletin.pk)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=BulletinDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsHR])
    def publish(self, request, pk=None, **kwargs):
        """Publish a draft: institutions see it from now on; a monthly bulletin asks its lagging
        units for an explanation. Publishing again changes nothing."""
        bulletin = services.bulletin_publish(actor=request.user, bulletin=self.get_object())
        return Response(BulletinDetailSerializer(self._detail(bulletin.pk)).data)


class ExplanationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Explanation requests (情况说明) of published monthly bulletins, open ones first. HR and
    auditors see all; a head their own institution's. The head submits (again, until reviewed),
    JSON or a multipart form with an `attachment`; HR reviews once."""

    serializer_class = ExplanationSerializer
    permission_classes = [ExplanationAccess]
    filterset_class = ExplanationFilterSet
    http_method_names = READ_AND_POST

    def get_queryset(self):
        return selectors.explanation_list(user=self.request.user)

    def get_object(self):
        explanation = access.explanation_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, explanation)
        return explanation

    def _answer(self, explanation):
        # Read back as the list shows it (the caller reached it, so it is in their scope).
        return Response(ExplanationSerializer(self.get_queryset().get(pk=explanation.pk)).data)

    def retrieve(self, request, pk=None, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=ExplanationSubmitSerializer, responses=ExplanationSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsHead],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def submit(self, request, pk=None, **kwargs):
        """The head of the institution asked submits the explanation; again replaces it until HR
        has reviewed it."""
        explanation = self.get_object()
        serializer = ExplanationSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            explanation = services.explanation_submit(
                actor=request.user, request=explanation, **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(explanation)

    @extend_schema(request=ExplanationReviewSerializer, responses=ExplanationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsHR])
    def review(self, request, pk=None, **kwargs):
        """HR reviews a submitted explanation, once, with a note."""
        explanation = self.get_object()
        serializer = ExplanationReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            explanation = services.explanation_review(
                actor=request.user, request=explanation, **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(explanation)
