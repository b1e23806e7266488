"""Payroll through Excel: the workbook import (HR) and its template, the exports for payment (per
run, per month, and the month as a background job with its progress page), and the import of the
wages actually paid. Thin: they call payroll.transfer, payroll.access and payroll.services.

Downloads are GET links that mark the exported runs exported (idempotent: an exported run stays
exported). Who: HR, and the payroll officer bound to the institution; a head gets 403 and an
institution outside the officer's scope 404."""

import re
import tempfile

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from orgs.importing import XLSX_CONTENT_TYPE, ImportFailed
from orgs.models import Role
from orgs.views import import_page, role_required

from .. import access, services, transfer
from ..forms import MonthField
from ..transfer.exporting import lines_count

# Above this many lines a month's export runs as a background job with a progress page.
EXPORT_SYNC_MAX_LINES = 20_000
EXPORT_ROLES = tuple(access.ROLES_RUNNING_PAYROLL)
MONTH_IN_URL = re.compile(r"\d{4}-\d{2}")


class PaidImportForm(forms.Form):
    month = MonthField(label=_("Month paid (YYYY-MM)"))
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


# --- Import ---------------------------------------------------------------------------------------


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def payroll_import(request):
    return import_page(
        request, importer=transfer.payroll_workbook_import, template="payroll/transfer_import.html"
    )


@role_required(Role.HR)
def import_template(request):
    return FileResponse(
        transfer.payroll_template_bytes(),
        as_attachment=True,
        filename=transfer.TEMPLATE_FILENAME,
        content_type=XLSX_CONTENT_TYPE,
    )


# --- Export ---------------------------------------------------------------------------------------


def _refused(request, error: ValidationError, month):
    """A draft is never exported for payment; nothing to export is not found."""
    status = 404 if getattr(error, "code", None) == "empty" else 409
    return render(
        request,
        "payroll/transfer_export_refused.html",
        {"messages_refused": error.messages, "month": month},
        status=status,
    )


def _download(request, runs, filename):
    # A temporary file, not memory: a large month streams from disk and is deleted when the
    # response closes it.
    file = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    transfer.payroll_workbook_write(runs, file)
    transfer.runs_mark_exported(actor=request.user, runs=runs)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@role_required(*EXPORT_ROLES)
def run_export(request, pk):
    run = access.run_get_for_user(request.user, pk=pk)
    if not services.can_run_payroll(request.user, run.institution):
        raise Http404
    try:
        runs = transfer.run_for_export(run)
    except ValidationError as e:
        return _refused(request, e, run.month)
    return _download(request, runs, transfer.export_filename(run.month, run.institution))


def _month_or_404(text: str):
    month = transfer.parse_month_text(text) if MONTH_IN_URL.fullmatch(text) else None
    if month is None:
        raise Http404
    return month


@role_required(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def month_export(request, month):
    """Every run of the month of the user's institutions, in one sheet. POST, or a month too large
    to write while the browser waits, starts the background job and shows its progress."""
    first_day = _month_or_404(month)
    try:
        runs = transfer.runs_for_export(user=request.user, month=first_day)
    except ValidationError as e:
        return _refused(request, e, first_day)
    if request.method == "POST" or lines_count(runs) > EXPORT_SYNC_MAX_LINES:
        try:
            job = transfer.export_job_start(user=request.user, month=first_day)
        except ValidationError as e:  # a run was reopened in between: refused as above
            return _refused(request, e, first_day)
        return redirect("payroll:export_status", job=job)
    return _download(request, runs, transfer.export_filename(first_day))


@role_required(*EXPORT_ROLES)
def export_status(request, job):
    """The job's progress; polled by htmx every 2 s until the file is ready."""
    record = transfer.export_job_get(job, request.user)
    if record is None:
        raise Http404
    total = record.get("total") or 0
    percent = 100 if record["state"] == "done" else (record["done"] * 100 // total if total else 0)
    context = {"job": job, "record": record, "percent": percent}
    template = (
        "payroll/transfer_export_progress.html"
        if request.htmx
        else "payroll/transfer_export_status.html"
    )
    return render(request, template, context)


@role_required(*EXPORT_ROLES)
def export_download(request, job):
    """The job's file, for the user who started the job only."""
    record = transfer.export_job_get(job, request.user)
    if record is None or record["state"] != "done":
        raise Http404
    try:
        file = open(transfer.export_path(job), "rb")  # noqa: SIM115 — FileResponse closes it
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        file, as_attachment=True, filename=record["filename"], content_type=XLSX_CONTENT_TYPE
    )


# --- Paid wages -----------------------------------------------------------------------------------


@role_required(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def paid_import(request):
    """Import the wages paid in a month; then each institution's reconciliation."""
    form = PaidImportForm(request.POST or None, request.FILES or None)
    result = errors = None
    reports = []
    if request.method == "POST" and form.is_valid():
        try:
            result = transfer.paid_workbook_import(
                actor=request.user,
                month=form.cleaned_data["month"],
                file=form.cleaned_data["file"],
            )
        except ImportFailed as failure:
            errors = failure.errors
        else:
            reports = [
                services.reconcile(institution=institution, month=result.month)
                for institution in result.institutions
            ]
    return render(
        request,
        "payroll/transfer_paid.html",
        {"form": form, "result": result, "errors": errors, "reports": reports},
        status=400 if errors else 200,
    )


urlpatterns = [
    path("imports/", payroll_import, name="import"),
    path("imports/template.xlsx", import_template, name="import_template"),
    path("runs/<int:pk>/export.xlsx", run_export, name="run_export"),
    path("months/<str:month>/export.xlsx", month_export, name="month_export"),
    path("exports/<str:job>/", export_status, name="export_status"),
    path("exports/<str:job>/download/", export_download, name="export_download"),
    path("paid/", paid_import, name="paid_import"),
]
