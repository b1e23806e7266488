"""Payroll through Excel: the workbook import (HR) and its template, the exports for payment (per
run, per month, and the month as a background job with its progress page), and the import of the
wages actually paid. Thin: they call payroll.transfer, payroll.access and payroll.services.

Exporting for payment marks the runs exported, so it happens only on a confirmed POST (the
dialog's, orgs.confirm): the POST starts the export job, whose progress page offers the file.
A GET of an export link changes nothing: it downloads the runs exported already, and sends a run
not yet exported back to its page, where its export button is. An import writes many rows, so
the upload is checked first (nothing written) and kept (payroll.transfer.staging) while the page
says what it will write; the confirmed POST imports it. Who: HR, and the payroll officer bound to
the institution; a head gets 403 and an institution outside the officer's scope 404."""

import re
import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from orgs.confirm import confirmation_required
from orgs.forms import ImportForm
from orgs.importing import XLSX_CONTENT_TYPE, ImportFailed
from orgs.models import Role
from orgs.views import role_required

from .. import access, services, transfer
from ..forms import MonthField
from ..models import PayrollRun
from ..transfer.exporting import lines_count

# Above this many lines a month's export is written by a background job with a progress page.
EXPORT_SYNC_MAX_LINES = 20_000
EXPORT_ROLES = tuple(access.ROLES_RUNNING_PAYROLL)
MONTH_IN_URL = re.compile(r"\d{4}-\d{2}")
UPLOAD_FIELD = "upload"  # the token of a checked upload, posted by the confirm dialog


class PaidImportForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month paid (YYYY-MM)"))
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


def _upload_expired(request, template: str, form, status: int = 400):
    """The confirmed import names an upload that is gone (imported already, expired, someone
    else's): nothing is imported; the page asks for the file again."""
    messages.error(
        request, _("That upload is no longer kept (it is kept an hour); choose the file again.")
    )
    return render(request, template, {"form": form}, status=status)


# --- Import ---------------------------------------------------------------------------------------


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def payroll_import(request):
    """The upload, checked: every problem listed (400), or what the import will write, with the
    dialog that imports it (payroll_import_apply)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            context["summary"] = transfer.payroll_workbook_check(actor=request.user, file=file)
        except ImportFailed as failure:
            context["errors"], status = failure.errors, 400
        else:
            context["upload"] = transfer.upload_stage(user=request.user, file=file, kind="payroll")
            context["upload_name"] = file.name
    return render(request, "payroll/transfer_import.html", context, status=status)


@role_required(Role.HR)
@require_POST
@confirmation_required
def payroll_import_apply(request):
    """Import the checked workbook the dialog names, all or nothing."""
    token = request.POST.get(UPLOAD_FIELD, "")
    kept = transfer.upload_get(token, user=request.user, kind="payroll")
    if kept is None:
        return _upload_expired(request, "payroll/transfer_import.html", ImportForm())
    file, _record = kept
    context = {"form": ImportForm()}
    status = 200
    with file:
        try:
            context["result"] = transfer.payroll_workbook_import(actor=request.user, file=file)
        except ImportFailed as failure:
            context["errors"], status = failure.errors, 400
    transfer.upload_discard(token)
    return render(request, "payroll/transfer_import.html", context, status=status)


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


def _download(runs, filename):
    """The runs' workbook, written while the browser waits; nothing is marked."""
    # A temporary file, not memory: a large month streams from disk and is deleted when the
    # response closes it.
    file = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    transfer.payroll_workbook_write(runs, file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def _not_exported_yet(runs) -> list[PayrollRun]:
    return [r for r in runs if r.status != PayrollRun.Status.EXPORTED]


@role_required(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def run_export(request, pk):
    """POST (confirmed): export the run for payment — the job writes the file and marks the run
    exported. GET: the file of a run exported already."""
    run = access.run_get_for_user(request.user, pk=pk)
    if not services.can_run_payroll(request.user, run.institution):
        raise Http404
    if request.method == "POST":
        return _run_export_confirmed(request, run=run)
    try:
        runs = transfer.run_for_export(run)
    except ValidationError as e:
        return _refused(request, e, run.month)
    if _not_exported_yet(runs):
        messages.info(
            request,
            _(
                "The %(month)s run of %(code)s %(name)s is not exported yet: export it for "
                "payment with its button, which marks it exported."
            )
            % {
                "month": f"{run.month:%Y-%m}",
                "code": run.institution.code,
                "name": run.institution.name,
            },
        )
        return redirect("payroll:run_detail", pk=run.pk)
    return _download(runs, transfer.export_filename(run.month, run.institution))


@confirmation_required
def _run_export_confirmed(request, *, run):
    # Scope and role are checked by run_export first, so a stranger's POST is a 403 or 404.
    try:
        job = transfer.export_job_start(
            user=request.user, month=run.month, institution=run.institution
        )
    except ValidationError as e:  # a draft: refused as a GET is
        return _refused(request, e, run.month)
    return redirect("payroll:export_status", job=job)


def _month_or_404(text: str):
    month = transfer.parse_month_text(text) if MONTH_IN_URL.fullmatch(text) else None
    if month is None:
        raise Http404
    return month


@role_required(*EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def month_export(request, month):
    """Every run of the month of the user's institutions, in one sheet. POST (confirmed): export
    the month for payment (the job writes it and marks the runs exported). GET: the file of a
    month whose runs are all exported already (a very large one through a job that marks
    nothing); a month with runs not yet exported goes back to the run list, to its button."""
    first_day = _month_or_404(month)
    if request.method == "POST":
        return _month_export_confirmed(request, month=first_day)
    try:
        runs = transfer.runs_for_export(user=request.user, month=first_day)
    except ValidationError as e:
        return _refused(request, e, first_day)
    waiting = _not_exported_yet(runs)
    if waiting:
        messages.info(
            request,
            _(
                "The %(month)s runs of %(codes)s are not exported yet: export the month for "
                "payment with its button, which marks them exported."
            )
            % {
                "month": f"{first_day:%Y-%m}",
                "codes": "、".join(r.institution.code for r in waiting),
            },
        )
        return redirect(f"{reverse('payroll:run_list')}?month={first_day:%Y-%m}")
    if lines_count(runs) > EXPORT_SYNC_MAX_LINES:
        job = transfer.export_job_start(user=request.user, month=first_day, mark=False)
        return redirect("payroll:export_status", job=job)
    return _download(runs, transfer.export_filename(first_day))


@confirmation_required
def _month_export_confirmed(request, *, month):
    try:
        job = transfer.export_job_start(user=request.user, month=month)
    except ValidationError as e:  # a draft, or nothing to export
        return _refused(request, e, month)
    return redirect("payroll:export_status", job=job)


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
    """The wages paid in a month, checked: every problem listed (400), or what the import will
    write, with the dialog that imports it (paid_import_apply)."""
    initial = {"month": request.GET.get("month", "")}
    form = PaidImportForm(request.POST or None, request.FILES or None, initial=initial)
    context = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        file, month = form.cleaned_data["file"], form.cleaned_data["month"]
        try:
            context["summary"] = transfer.paid_workbook_check(
                actor=request.user, month=month, file=file
            )
        except ImportFailed as failure:
            context["errors"], status = failure.errors, 400
        else:
            context["upload"] = transfer.upload_stage(
                user=request.user, file=file, kind="paid", month=f"{month:%Y-%m}"
            )
            context["upload_name"] = file.name
    return render(request, "payroll/transfer_paid.html", context, status=status)


@role_required(*EXPORT_ROLES)
@require_POST
@confirmation_required
def paid_import_apply(request):
    """Import the checked paid wages the dialog names, all or nothing; then each institution's
    reconciliation of the month."""
    token = request.POST.get(UPLOAD_FIELD, "")
    kept = transfer.upload_get(token, user=request.user, kind="paid")
    if kept is None:
        return _upload_expired(request, "payroll/transfer_paid.html", PaidImportForm())
    file, record = kept
    month = transfer.parse_month_text(record["month"])
    context = {"form": PaidImportForm(initial={"month": record["month"]})}
    status = 200
    with file:
        try:
            result = transfer.paid_workbook_import(actor=request.user, month=month, file=file)
        except ImportFailed as failure:
            context["errors"], status = failure.errors, 400
        else:
            context["result"] = result
            context["reports"] = [
                services.reconcile(institution=institution, month=result.month)
                for institution in result.institutions
            ]
    transfer.upload_discard(token)
    return render(request, "payroll/transfer_paid.html", context, status=status)


urlpatterns = [
    path("imports/", payroll_import, name="import"),
    path("imports/apply/", payroll_import_apply, name="import_apply"),
    path("imports/template.xlsx", import_template, name="import_template"),
    path("runs/<int:pk>/export.xlsx", run_export, name="run_export"),
    path("months/<str:month>/export.xlsx", month_export, name="month_export"),
    path("exports/<str:job>/", export_status, name="export_status"),
    path("exports/<str:job>/download/", export_download, name="export_download"),
    path("paid/", paid_import, name="paid_import"),
    path("paid/apply/", paid_import_apply, name="paid_import_apply"),
]
