"""Read-only API of HR's overview and the head's portal: the same selectors as the pages, so the
same scope and the same fixed query counts."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from appraisal.access import scheme_get_for_user
from orgs import access

from .. import selectors
from ..views import OVERVIEW_ROLES, PORTAL_ROLES
from .serializers import OverviewSerializer, PortalSerializer


class _Roles(BasePermission):
    roles: tuple = ()

    def has_permission(self, request, view):
        return access.has_role(request.user, *self.roles)


class ReadsOverview(_Roles):
    roles = OVERVIEW_ROLES


class ReadsPortal(_Roles):
    roles = PORTAL_ROLES


class OverviewView(APIView):
    """HR's overview of a year (HR and auditors)."""

    permission_classes = [ReadsOverview]

    @extend_schema(
        responses=OverviewSerializer,
        parameters=[
            OpenApiParameter("group", str, description="group code of the trend"),
            OpenApiParameter(
                "ordering",
                str,
                enum=[f"{sign}{f}" for f in selectors.WARNING_ORDERINGS for sign in ("", "-")],
                description="order of `warnings`: by kind (most serious first, the default), "
                "institution code, institution name or group; `-` for descending",
            ),
        ],
    )
    def get(self, request, year):
        scheme = scheme_get_for_user(request.user, year=year)
        data = selectors.overview(
            user=request.user,
            scheme=scheme,
            day=timezone.localdate(),
            trend_group=request.query_params.get("group"),
            warning_order=request.query_params.get("ordering"),
        )
        return Response(OverviewSerializer(data).data)


class PortalView(APIView):
    """An institution's standing (its head; HR and auditors any institution)."""

    permission_classes = [ReadsPortal]

    @extend_schema(responses=PortalSerializer)
    def get(self, request, year, code):
        scheme = scheme_get_for_user(request.user, year=year)
        institution = access.institution_get_for_user(request.user, code=code)
        data = selectors.portal(
            user=request.user, scheme=scheme, institution=institution, day=timezone.localdate()
        )
        return Response(PortalSerializer(data).data)
