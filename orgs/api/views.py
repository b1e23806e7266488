"""API views of the organisation. Thin, like the HTML views: objects come through orgs.access
(outside the caller's scope → 404), writes go through orgs.services (which also audit), reads
reuse the filter sets of the HTML lists. Employees are read-only here: they are written by the
Excel import."""

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from orgs import access, contacts, notifications, selectors, services
from orgs.filters import (
    AuditEventFilterSet,
    EmployeeFilterSet,
    InstitutionFilterSet,
    NotificationFilterSet,
)
from orgs.models import ContactPerson, Employee, Role, User

from .permissions import CanViewAudit, CanViewEmployees, IsSignedIn, ReadOnlyUnlessHR
from .serializers import (
    AuditEventSerializer,
    ContactPersonSerializer,
    EmployeeSerializer,
    GroupSerializer,
    InstitutionSerializer,
    MeSerializer,
    NotificationSerializer,
    NotificationsMarkedSerializer,
)

# Roles whose scope is a list of institutions bound to the user (shown in me/).
ROLES_BOUND_TO_INSTITUTIONS = frozenset({Role.HEAD, Role.PAYROLL})


def drf_validation_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as DRF's, keeping the field names (400 with field errors)."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {
                api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
                for field, messages in error.message_dict.items()
            }
        )
    return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: error.messages})


class MeViewSet(viewsets.ViewSet):
    """Who the caller is, and what their role lets them reach."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def list(self, request, **kwargs):
        user = request.user
        institutions = None
        if user.role in ROLES_BOUND_TO_INSTITUTIONS:
            institutions = list(
                access.institutions_visible_to(user).order_by("code").values_list("code", flat=True)
            )
        me = {
            "username": user.username,
            "name": user.name,
            "role": user.role,
            "role_label": user.get_role_display(),
            "scoring_department": user.scoring_department,
            "institutions": institutions,
            "can_manage_orgs": access.can_manage_orgs(user),
            "can_view_employees": access.can_view_employees(user),
        }
        return Response(MeSerializer(me).data)


class GroupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Assessment groups (考核组别) with their prize tables. Everyone with a role reads; HR writes.
    Groups are not deleted through the API."""

    serializer_class = GroupSerializer
    permission_classes = [ReadOnlyUnlessHR]

    def get_queryset(self):
        return selectors.group_list()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        prizes = [services.PrizeRow(**row) for row in data.pop("prizes")]
        try:
            group = services.group_create(actor=self.request.user, prizes=prizes, **data)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        serializer.instance = self.get_queryset().get(pk=group.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        # PATCH without "prizes" keeps the prize table; PUT requires it.
        rows = data.pop("prizes", None)
        prizes = None if rows is None else [services.PrizeRow(**row) for row in rows]
        try:
            group = services.group_update(
                actor=self.request.user, group=serializer.instance, prizes=prizes, **data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        serializer.instance = self.get_queryset().get(pk=group.pk)


class InstitutionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Institutions (机构) in the caller's scope, looked up by code. HR creates and updates them;
    they are not deleted through the API."""

    serializer_class = InstitutionSerializer
    permission_classes = [ReadOnlyUnlessHR]
    filterset_class = InstitutionFilterSet
    lookup_field = "code"
    # As Institution.code allows (and the schema says): another path is not an institution's.
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_-]*"

    def get_queryset(self):
        return (
            access.institutions_visible_to(self.request.user)
            .select_related("group", "head")
            .order_by("code")
        )

    def get_object(self):
        institution = access.institution_get_for_user(self.request.user, code=self.kwargs["code"])
        self.check_object_permissions(self.request, institution)
        return institution

    def perform_create(self, serializer):
        try:
            serializer.instance = services.institution_create(
                actor=self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e

    def perform_update(self, serializer):
        try:
            serializer.instance = services.institution_update(
                actor=self.request.user,
                institution=serializer.instance,
                **serializer.validated_data,
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e


class EmployeeAPIFilterSet(EmployeeFilterSet):
    """The HTML list's employee filters, plus the institution (by code) for the flat list."""

    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )

    class Meta(EmployeeFilterSet.Meta):
        fields = ["institution", *EmployeeFilterSet.Meta.fields]


class EmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    """Employees (员工) of the institutions in the caller's scope, with their fixed wage parts.
    Scorers and acceptance team members never see employee data (403)."""

    serializer_class = EmployeeSerializer
    permission_classes = [CanViewEmployees]
    filterset_class = EmployeeAPIFilterSet

    def get_queryset(self):
        return (
            access.employees_visible_to(self.request.user)
            .select_related("institution")
            # The (institution, staff_number) index serves this order without a join.
            .order_by("institution_id", "staff_number")
        )

    def get_object(self):
        employee = access.employee_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, employee)
        return employee


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "institution_code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description=_("Code of the institution."),
            )
        ]
    )
)
class InstitutionEmployeeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The employees of one institution; an institution outside the caller's scope is 404."""

    serializer_class = EmployeeSerializer
    permission_classes = [CanViewEmployees]
    filterset_class = EmployeeFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no institution
            return access.employees_visible_to(None)
        institution = access.institution_get_for_user(
            self.request.user, code=self.kwargs["institution_code"]
        )
        return selectors.employee_list(
            user=self.request.user, institution=institution
        ).select_related("institution")


_INSTITUTION_CODE = OpenApiParameter(
    "institution_code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_("Code of the institution."),
)


@extend_schema_view(
    list=extend_schema(parameters=[_INSTITUTION_CODE]),
    create=extend_schema(parameters=[_INSTITUTION_CODE]),
    end=extend_schema(parameters=[_INSTITUTION_CODE]),
)
class InstitutionContactViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The contact persons (考核联络员) of one institution, current and earlier. Anyone who sees
    the institution reads them (an institution outside the caller's scope is 404); HR and the
    institution's head name one (POST) and end one (`end`)."""

    serializer_class = ContactPersonSerializer
    filterset_class = None
    pagination_class = None

    def institution(self):
        return access.institution_get_for_user(
            self.request.user, code=self.kwargs["institution_code"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactPerson.objects.none()
        return (
            ContactPerson.objects.filter(institution=self.institution())
            .select_related("institution", "user", "employee", "named_by", "ended_by")
            .order_by("ended_at", "-named_at", "-id")
        )

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (ContactPerson.DoesNotExist, ValueError, TypeError):
            raise Http404 from None

    def create(self, request, *args, **kwargs):
        institution = self.institution()
        if not contacts.can_name_contacts(request.user, institution):
            raise PermissionDenied
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Looked up among the institution's own accounts (所属机构) only: the answer says nothing
        # of the accounts of other institutions.
        user = User.objects.filter(
            username=data["user"]["username"], institution=institution
        ).first()
        if user is None:
            raise serializers.ValidationError(
                {"username": [_("No account of this institution has this username.")]}
            )
        staff_number = (data.get("employee") or {}).get("staff_number")
        employee = None
        if staff_number:
            employee = Employee.objects.filter(
                staff_number=staff_number, institution=institution
            ).first()
            if employee is None:
                raise serializers.ValidationError(
                    {"staff_number": [_("No employee of this institution has this number.")]}
                )
        try:
            contact = contacts.contact_person_name(
                actor=request.user,
                institution=institution,
                user=user,
                employee=employee,
                phone=data.get("phone", ""),
            )
        except DjangoValidationError as error:
            raise drf_validation_error(error) from None
        return Response(self.get_serializer(contact).data, status=201)

    @extend_schema(request=None, responses=ContactPersonSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None, **kwargs):
        """End the naming: the account no longer sees the institution nor reports for it."""
        contact = self.get_object()
        try:
            contact = contacts.contact_person_end(actor=request.user, contact=contact)
        except DjangoValidationError as error:
            raise drf_validation_error(error) from None
        return Response(self.get_serializer(contact).data)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail (审计日志), newest first, with the page's filters. HR and auditors only;
    read-only, as the trail itself is append-only."""

    serializer_class = AuditEventSerializer
    permission_classes = [CanViewAudit]
    filterset_class = AuditEventFilterSet

    def get_queryset(self):
        return selectors.audit_event_list()


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications (通知), newest first; another user's is 404. Marking one
    read, or all of them, is the only change. Every signed-in user has them, with a role or
    without (docs/NOTIFICATIONS.md)."""

    serializer_class = NotificationSerializer
    permission_classes = [IsSignedIn]
    filterset_class = NotificationFilterSet

    def get_queryset(self):
        return notifications.notifications_of(self.request.user)

    def get_object(self):
        notification = notifications.notification_get_for_user(
            self.request.user, pk=self.kwargs["pk"]
        )
        self.check_object_permissions(self.request, notification)
        return notification

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None, **kwargs):
        """Mark the notification read (once: a second call keeps the first time)."""
        notification = notifications.notification_mark_read(
            user=request.user, notification=self.get_object()
        )
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=NotificationsMarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request, **kwargs):
        """Mark all of the caller's unread notifications read; how many there were."""
        marked = notifications.notifications_mark_all_read(user=request.user)
        return Response(NotificationsMarkedSerializer({"marked": marked}).data)
