"""HR's overview and the institution head's portal. Thin: the scheme and the institution come
through the access helpers (404 outside scope), everything else from dashboard.selectors."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.access import scheme_get_for_user, schemes_visible_to
from appraisal.models import Scheme
from appraisal.selectors import indicator_breakdown
from orgs.access import has_role, institution_get_for_user, institutions_visible_to
from orgs.models import Role
from orgs.views import role_required

from . import selectors

OVERVIEW_ROLES = (Role.HR, Role.AUDITOR)
PORTAL_ROLES = (Role.HR, Role.AUDITOR, Role.HEAD)


def _latest_scheme(user) -> Scheme | None:
    scheme = schemes_visible_to(user).exclude(status=Scheme.Status.DRAFT).order_by("-year").first()
    return scheme


@role_required(*OVERVIEW_ROLES)
def latest(request):
    scheme = _latest_scheme(request.user)
    if scheme is None:  # nothing opened yet: the years page says what to do
        messages.info(request, _("No appraisal year is open yet."))
        return redirect("appraisal:scheme_list")
    return redirect("dashboard:overview", year=scheme.year)


@role_required(*OVERVIEW_ROLES)
def overview(request, year):
    scheme = scheme_get_for_user(request.user, year=year)
    data = selectors.overview(
        user=request.user,
        scheme=scheme,
        day=timezone.localdate(),
        trend_group=request.GET.get("group"),
        warning_kind=request.GET.get("warning"),
        charts_page=request.GET.get("charts"),
        warning_order=request.GET.get("ordering"),
    )
    return render(request, "dashboard/overview.html", {"scheme": scheme, "o": data})


@role_required(Role.HEAD)
def my_portal(request):
    """The head's own portal in the latest year that is not a draft."""
    institution = institutions_visible_to(request.user).first()
    if institution is None:
        raise Http404
    scheme = _latest_scheme(request.user)
    if scheme is None:
        raise Http404
    return redirect("dashboard:portal", year=scheme.year, code=institution.code)


@role_required(*PORTAL_ROLES)
def portal(request, year, code):
    scheme = scheme_get_for_user(request.user, year=year)
    institution = institution_get_for_user(request.user, code=code)
    data = selectors.portal(
        user=request.user, scheme=scheme, institution=institution, day=timezone.localdate()
    )
    context = {
        "scheme": scheme,
        "p": data,
        "sees_overview": has_role(request.user, *OVERVIEW_ROLES),
        # The drill-down per indicator (each scorer's part of an average or weighted one).
        "breakdown": indicator_breakdown(scheme=scheme, institution=institution)
        if data.result is not None
        else [],
    }
    return render(request, "dashboard/portal.html", context)


app_name = "dashboard"

urlpatterns = [
    path("", latest, name="latest"),
    path("years/<int:year>/", overview, name="overview"),
    path("mine/", my_portal, name="my_portal"),
    path("years/<int:year>/institutions/<str:code>/", portal, name="portal"),
]
