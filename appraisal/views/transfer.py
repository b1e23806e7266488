"""Appraisal pages: the year workbook import (HR) and the rankings export. Thin: they call
appraisal.transfer and appraisal.access."""

from django.http import FileResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from orgs.forms import ImportForm
from orgs.importing import XLSX_CONTENT_TYPE, ImportFailed
from orgs.models import Role
from orgs.views import role_required

from .. import transfer
from ..access import scheme_get_for_user

# Roles that see every result (appraisal.access); a head or payroll officer sees only some
# institutions' results, so a ranking is not theirs to download.
RANKING_ROLES = (Role.HR, Role.AUDITOR, Role.SCORER)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def year_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = errors = None
    if request.method == "POST" and form.is_valid():
        try:
            result = transfer.year_workbook_import(
                actor=request.user, file=form.cleaned_data["file"]
            )
        except ImportFailed as failure:
            errors = failure.errors
    return render(
        request,
        "appraisal/transfer_import.html",
        {"form": form, "result": result, "errors": errors},
        status=400 if errors else 200,
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
    scheme = scheme_get_for_user(request.user, year=year)
    return FileResponse(
        transfer.rankings_workbook(user=request.user, scheme=scheme),
        as_attachment=True,
        filename=transfer.rankings_filename(scheme),
        content_type=XLSX_CONTENT_TYPE,
    )


urlpatterns = [
    path("years/import/", year_import, name="year_import"),
    path("years/import/template.xlsx", year_import_template, name="year_import_template"),
    path("years/<int:year>/rankings.xlsx", rankings_export, name="rankings_export"),
]
