"""Appraisal pages: the year workbook import (HR) and the rankings export. Thin: they call
appraisal.transfer and appraisal.access."""

from django.http import FileResponse, Http404
from django.urls import path
from django.views.decorators.http import require_http_methods

from orgs.confirm import confirmation_required
from orgs.importing import XLSX_CONTENT_TYPE
from orgs.models import Role
from orgs.views import import_page, role_required

from .. import transfer
from ..access import scheme_get_for_user

# Roles that see every result (appraisal.access); a head or payroll officer sees only some
# institutions' results, so a ranking is not theirs to download.
RANKING_ROLES = (Role.HR, Role.AUDITOR, Role.SCORER)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
@confirmation_required
def year_import(request):
    """A whole year from one workbook, all or nothing, once HR confirms it in the dialog: it may
    create or change the year's scheme, groups, institutions, indicators and targets, and replaces
    the scores an earlier import of that year recorded."""
    return import_page(
        request, importer=transfer.year_workbook_import, template="appraisal/transfer_import.html"
    )


@role_required(Role.HR)
def year_import_template(request):
    return FileResponse(
        transfer.year_template_bytes(),
        as_attachment=True,
        filename=transfer.TEMPLATE_FILENAME,
        content_type=XLSX_CONTENT_TYPE,
    )


@role_required(*RANKING_ROLES)
def rankings_export(request, year):
    """The year's rankings as Excel; `?period=h1` the mid-year ranking, same columns."""
    scheme = scheme_get_for_user(request.user, year=year)
    period = request.GET.get("period", "").lower() or None
    if period not in (None, "h1"):
        raise Http404
    return FileResponse(
        transfer.rankings_workbook(user=request.user, scheme=scheme, period=period),
        as_attachment=True,
        filename=transfer.rankings_filename(scheme, period=period),
        content_type=XLSX_CONTENT_TYPE,
    )


urlpatterns = [
    path("years/import/", year_import, name="year_import"),
    path("years/import/template.xlsx", year_import_template, name="year_import_template"),
    path("years/<int:year>/rankings.xlsx", rankings_export, name="rankings_export"),
]
