"""API views of payroll. Thin, like the pages: objects come through payroll.access / orgs.access
(outside the caller's scope → 404), every change through payroll.services (which check the actor,
validate, write and audit), a service's ValidationError is a 400 on its field names and its
PermissionDenied a 403. Nothing is deleted through the API (405); lines are read-only."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from orgs.access import institution_get_for_user
from orgs.api.views import drf_validation_error
from payroll import access, selectors, services
from payroll.filters import LineFilterSet, PolicyFilterSet, RunFilterSet
from payroll.models import PayPolicy

from .permissions import LineAccess, PolicyAccess, RunAccess, RunnerAccess
from .serializers import (
    PayPolicySerializer,
    PayrollLineSerializer,
    PayrollRunSerializer,
    RunComputeSerializer,
)

POLICY_INPUTS = ("per_capita", "basic_ratio", "settlement_month", "formal_staff")


class PayPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Pay policies (工资政策): per appraisal year and institution, the per-capita level, the basic
    ratio and the settlement month. HR, auditors and payroll officers (their institutions) read
    them; HR creates them and changes them (PATCH only: a policy stays on its year and
    institution). Changing one recomputes the institution's draft runs."""

    serializer_class = PayPolicySerializer
    permission_classes = [PolicyAccess]
    filterset_class = PolicyFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.policy_list(user=self.request.user).order_by("-year", "institution__code")

    def get_object(self):
        policy = access.policy_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, policy)
        return policy

    def _save(self, serializer, **fields):
        try:
            policy = services.policy_save(actor=self.request.user, **fields)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        serializer.instance = self.get_queryset().get(pk=policy.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if PayPolicy.objects.filter(year=data["year"], institution=data["institution"]).exists():
            raise drf_validation_error(
                DjangoValidationError(
                    {
                        "year": _("%(code)s has a pay policy for %(year)s already; change it.")
                        % {"code": data["institution"].code, "year": data["year"]}
                    }
                )
            )
        self._save(
            serializer,
            year=data["year"],
            institution=data["institution"],
            **{name: data.get(name) for name in POLICY_INPUTS},
        )

    def perform_update(self, serializer):
        policy = serializer.instance
        data = dict(serializer.validated_data)
        for name in ("year", "institution"):
            if name in data and data[name] != getattr(policy, name):
                raise drf_validation_error(
                    DjangoValidationError(
                        {name: _("A pay policy stays on its year and institution.")}
                    )
                )
        self._save(
            serializer,
            year=policy.year,
            institution=policy.institution,
            # What is left out stays as it is; formal_staff null is counted again.
            **{name: data.get(name, getattr(policy, name)) for name in POLICY_INPUTS},
        )


class PayrollRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly payroll runs (draft → confirmed → exported) with their pools and totals. HR and
    auditors see all, a payroll officer their institutions', a head their own institution's
    (totals only: lines are another endpoint, closed to heads). HR and payroll officers compute
    a month and confirm a draft."""

    serializer_class = PayrollRunSerializer
    permission_classes = [RunAccess]
    filterset_class = RunFilterSet

    def get_queryset(self):
        return (
            access.runs_visible_to(self.request.user)
            .select_related("institution", "confirmed_by")
            .order_by("-month", "institution__code")
        )

    def get_object(self):
        run = access.run_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, run)
        return run

    @extend_schema(request=None, responses=PayrollRunSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RunnerAccess])
    def confirm(self, request, pk=None, **kwargs):
        """Freeze a draft. Refused (400) if it is confirmed already, or if its inputs changed since
        it was computed: then it is recomputed and must be reviewed again."""
        run = self.get_object()
        try:
            run = services.payroll_run_confirm(actor=request.user, run=run)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return Response(PayrollRunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=RunComputeSerializer, responses=PayrollRunSerializer)
    @action(detail=False, methods=["post"], permission_classes=[RunnerAccess])
    def compute(self, request, **kwargs):
        """Compute (or recompute) the draft run of an institution and month. A confirmed run is
        answered as it is, unchanged."""
        serializer = RunComputeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        institution = institution_get_for_user(
            request.user, code=serializer.validated_data["institution"]
        )
        try:
            run = services.payroll_run_compute(
                actor=request.user,
                institution=institution,
                month=serializer.validated_data["month"],
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return Response(PayrollRunSerializer(self.get_queryset().get(pk=run.pk)).data)


class PayrollLineViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """One employee's pay in a run. HR and auditors see all, a payroll officer their
    institutions'; heads, scorers and acceptance members never (403). No detail route: a draft's
    lines are replaced when it is recomputed, so their ids do not last; filter by run instead."""

    serializer_class = PayrollLineSerializer
    permission_classes = [LineAccess]
    filterset_class = LineFilterSet

    def get_queryset(self):
        return selectors.line_list(user=self.request.user)
