"""Pages of 数据填报 (docs/REPORTING.md). Thin: reports and items come through reporting.access
(out of scope: 404), every change through reporting.services; a role that may never do a thing
gets 403; every irreversible step (submit, approve, return, accept, correct) needs the confirm
dialog's confirmation (orgs.confirm)."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from appraisal.models import HalfYear, Scheme
from orgs.access import has_role, institution_get_for_user
from orgs.confirm import confirmation_required, refused
from orgs.downloads import stored_file_response
from orgs.importing.results import ImportFailed
from orgs.models import Role
from orgs.views import apply_errors, role_required

from . import access, selectors, services, transfer
from .filters import ReportFilterSet
from .forms import CorrectionForm, ImportForm, ItemForm, StartForm
from .models import Report, ReportEvidence, ReportItem
from .templatetags.reporting_ui import plain_figure

REPORTS_PER_PAGE = 50
XLSX = transfer.XLSX_CONTENT_TYPE


def _refusal_message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _in_scope(get):
    """Out of the user's scope is 404 before anything else, the confirmation included: whether a
    POST was confirmed says nothing about another institution's report."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, pk, *args, **kwargs):
            get(request.user, pk=pk)
            return view(request, pk, *args, **kwargs)

        return wrapper

    return decorate


# --- List and queue ------------------------------------------------------------------------------


@role_required(*access.READERS)
@require_safe
def report_list(request):
    """The reports the user sees, filterable and sortable, with their deadlines; an institution's
    people open their half-year reports from here."""
    user = request.user
    today = timezone.localdate()
    filterset = ReportFilterSet(request.GET or None, queryset=selectors.report_list(user=user))
    page = Paginator(filterset.qs, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    for report in page:
        report.deadline, report.review_deadline = report.scheme.deadlines(report.period)
        report.overdue = selectors.is_overdue(report, today)
    start = None
    institutions = list(access.own_institutions(user).order_by("code"))
    if institutions:
        schemes = Scheme.objects.filter(status__in=selectors.OPEN_STATUSES).order_by("-year")
        start = {
            "schemes": list(schemes),
            "periods": HalfYear.choices,
            "institutions": institutions,
        }
    context = {"filter": filterset, "page_obj": page, "start": start, "today": today}
    return render(request, "reporting/report_list.html", context)


@role_required(*access.PREPARERS)
@require_POST
def report_start(request):
    """Open (the first time: make) the institution's report for a half-year."""
    form = StartForm(request.POST)
    if not form.is_valid():
        return refused(request, _("Choose the year and the half-year."))
    user = request.user
    code = form.cleaned_data["institution"]
    institution = (
        institution_get_for_user(user, code=code)
        if code
        else access.own_institutions(user).order_by("code").first()
    )
    if institution is None or not access.own_institutions(user).filter(pk=institution.pk).exists():
        raise Http404
    scheme = Scheme.objects.filter(year=form.cleaned_data["year"]).first()
    if scheme is None:
        raise Http404
    try:
        report = services.report_open(
            actor=user, scheme=scheme, institution=institution, period=form.cleaned_data["period"]
        )
    except ValidationError as e:
        return refused(request, _refusal_message(e))
    return redirect("reporting:report_detail", pk=report.pk)


@role_required(Role.HR, Role.SCORER)
@require_safe
def queue(request):
    """The items waiting for the user: a department's 初审, HR's 复核; the overdue ones flagged."""
    user = request.user
    stage = (
        ReportItem.Status.SECOND_REVIEW
        if has_role(user, Role.HR)
        else ReportItem.Status.FIRST_REVIEW
    )
    today = timezone.localdate()
    items = list(selectors.items_awaiting(user=user, stage=stage)[:500])
    for item in items:
        review_deadline = item.report.scheme.deadlines(item.report.period)[1]
        item.review_deadline = review_deadline
        item.overdue = bool(review_deadline and review_deadline < today)
    context = {"items": items, "stage": stage, "is_first": stage == ReportItem.Status.FIRST_REVIEW}
    return render(request, "reporting/queue.html", context)


# --- A report ------------------------------------------------------------------------------------


def _visible_items(user, report: Report):
    return (
        access.items_visible_to(user)
        .filter(report=report)
        .select_related("indicator__department", "target", "first_reviewed_by")
        .prefetch_related(
            Prefetch("evidence", queryset=ReportEvidence.objects.select_related("uploaded_by"))
        )
        .order_by("indicator__part", "indicator__sort_order", "indicator__code")
    )


def _timeline(user, report: Report, item: ReportItem | None = None):
    events = report.events.select_related("actor", "item__indicator")
    if item is not None:
        return events.filter(Q(item=item) | Q(item__isnull=True))
    visible = access.items_visible_to(user).filter(report=report).values("pk")
    return events.filter(Q(item__isnull=True) | Q(item__in=visible))


def _item_flags(user, item: ReportItem, preparer: bool):
    item.can_edit = preparer and item.is_editable
    item.can_first_review = item.status == ReportItem.Status.FIRST_REVIEW and (
        access.can_first_review(user, item)
    )
    item.can_second_review = item.status == ReportItem.Status.SECOND_REVIEW and (
        access.can_second_review(user)
    )


def _render_report(request, report: Report, *, forms=None, import_errors=None, status=200):
    user = request.user
    preparer = access.can_prepare(user, report)
    items = list(_visible_items(user, report))
    forms = forms or {}
    for item in items:
        item.report = report
        _item_flags(user, item, preparer)
        if item.can_edit:
            item.form = forms.get(item.pk) or ItemForm(
                item=item,
                initial={
                    "actual_value": plain_figure(item.actual_value),
                    "completed_on": item.completed_on,
                    "note": item.note,
                },
            )
    deadline, review_deadline = report.scheme.deadlines(report.period)
    today = timezone.localdate()
    context = {
        "report": report,
        "items": items,
        "preparer": preparer,
        "can_submit": preparer and report.is_editable,
        "to_head": preparer and services.head_approval_needed(user, report),
        "is_head": access.is_head_of(user, report) and report.status == Report.Status.AWAITING_HEAD,
        "deadline": deadline,
        "review_deadline": review_deadline,
        "overdue": selectors.is_overdue(report, today),
        "events": _timeline(user, report),
        "import_form": ImportForm() if preparer and report.is_editable else None,
        "import_errors": import_errors,
    }
    return render(request, "reporting/report_detail.html", context, status=status)


@role_required(*access.READERS)
@require_safe
def report_detail(request, pk):
    report = access.report_get_for_user(request.user, pk=pk)
    return _render_report(request, report)


def _report_step(request, pk, step, success: str):
    report = access.report_get_for_user(request.user, pk=pk)
    try:
        step(report)
    except ValidationError as e:
        return refused(request, _refusal_message(e))
    messages.success(request, success)
    return redirect("reporting:report_detail", pk=report.pk)


@role_required(*access.PREPARERS)
@require_POST
@_in_scope(access.report_get_for_user)
@confirmation_required
def report_submit(request, pk):
    return _report_step(
        request,
        pk,
        lambda r: services.report_submit(actor=request.user, report=r),
        _("The report is submitted."),
    )


@role_required(Role.HEAD)
@require_POST
@_in_scope(access.report_get_for_user)
@confirmation_required
def report_approve(request, pk):
    return _report_step(
        request,
        pk,
        lambda r: services.report_head_approve(actor=request.user, report=r),
        _("The report is approved and sent to HQ."),
    )


@role_required(Role.HEAD)
@require_POST
@_in_scope(access.report_get_for_user)
@confirmation_required(reason=True)
def report_return(request, pk):
    return _report_step(
        request,
        pk,
        lambda r: services.report_head_return(
            actor=request.user, report=r, reason=request.confirmation_reason
        ),
        _("The report is returned to the contact persons."),
    )


@role_required(*access.READERS)
@require_safe
def report_template(request, pk):
    """The report as the Excel template (sheet 数据填报), prefilled with its items."""
    report = access.report_get_for_user(request.user, pk=pk)
    if not access.can_prepare(request.user, report):
        raise PermissionDenied
    return FileResponse(
        transfer.report_template_bytes(report, request.user),
        as_attachment=True,
        filename=transfer.template_filename(report),
        content_type=XLSX,
    )


@role_required(*access.PREPARERS)
@require_POST
def report_import(request, pk):
    """The filled template back: all or nothing (the page lists every problem found)."""
    report = access.report_get_for_user(request.user, pk=pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_report(request, report, import_errors=[_("Choose the file.")], status=400)
    try:
        outcome = transfer.report_import(
            actor=request.user, report=report, file=form.cleaned_data["file"]
        )
    except ImportFailed as failed:
        return _render_report(
            request, report, import_errors=[str(e) for e in failed.errors], status=400
        )
    messages.success(
        request, _("Imported: %(n)s items changed, nothing else.") % {"n": outcome.changed}
    )
    return redirect("reporting:report_detail", pk=report.pk)


# --- An item -------------------------------------------------------------------------------------


@role_required(*access.READERS)
@require_http_methods(["GET", "HEAD", "POST"])
def item_detail(request, pk):
    """An item with its evidence and timeline; the institution saves it here (POST: figure, note,
    a file of evidence), reviewers act from here."""
    user = request.user
    item = access.item_get_for_user(user, pk=pk)
    report = item.report
    if request.method == "POST":
        if not access.can_prepare(user, report):
            raise PermissionDenied
        form = ItemForm(request.POST, request.FILES, item=item)
        if form.is_valid():
            try:
                # The figure and the file together or neither.
                with transaction.atomic():
                    services.item_save(actor=user, item=item, **form.values())
                    if form.cleaned_data.get("evidence"):
                        services.evidence_add(
                            actor=user, item=item, file=form.cleaned_data["evidence"]
                        )
            except ValidationError as e:
                if not hasattr(e, "error_dict"):  # not editable now: say so, whatever the form
                    return refused(request, _refusal_message(e))
                if "file" in e.error_dict:
                    form.add_error("evidence", e.error_dict["file"])
                else:
                    apply_errors(form, e)
            else:
                messages.success(request, _("%(code)s is saved.") % {"code": item.indicator.code})
                return redirect(
                    reverse("reporting:report_detail", args=[report.pk])
                    + f"#item-{item.indicator.code}"
                )
        return _render_report(request, report, forms={item.pk: form}, status=400)
    item = (
        _visible_items(user, report).filter(pk=item.pk).first()
    )  # with its evidence, as the report shows it
    item.report = report
    _item_flags(user, item, access.can_prepare(user, report))
    context = {
        "report": report,
        "item": item,
        "events": _timeline(user, report, item),
    }
    return render(request, "reporting/item_detail.html", context)


def _item_step(request, pk, step, success: str):
    item = access.item_get_for_user(request.user, pk=pk)
    try:
        step(item)
    except ValidationError as e:
        return refused(request, _refusal_message(e))
    messages.success(request, success % {"code": item.indicator.code})
    nxt = request.POST.get("next", "")
    if nxt == "queue":
        return redirect("reporting:queue")
    return redirect("reporting:item_detail", pk=item.pk)


@role_required(Role.SCORER)
@require_POST
@_in_scope(access.item_get_for_user)
@confirmation_required
def item_first_review(request, pk):
    """初审: decision accept, return (reason) or correct (the corrected figure and a reason)."""
    correction = CorrectionForm(request.POST)
    if not correction.is_valid():
        return refused(request, _("The corrected figure is not valid."))
    decision = request.POST.get("decision", "")
    return _item_step(
        request,
        pk,
        lambda item: services.item_first_review(
            actor=request.user,
            item=item,
            decision=decision,
            reason=request.confirmation_reason,
            **(correction.cleaned_data if decision == services.FIRST_CORRECT else {}),
        ),
        _("%(code)s: first review recorded."),
    )


@role_required(Role.HR)
@require_POST
@_in_scope(access.item_get_for_user)
@confirmation_required
def item_second_review(request, pk):
    """复核: decision accept (the figure counts from now on) or return (reason)."""
    return _item_step(
        request,
        pk,
        lambda item: services.item_second_review(
            actor=request.user,
            item=item,
            decision=request.POST.get("decision", ""),
            reason=request.confirmation_reason,
        ),
        _("%(code)s: second review recorded."),
    )


@role_required(*access.READERS)
@require_safe
def evidence_download(request, pk):
    """A file of evidence, to those who may see its item; never from a public URL."""
    evidence = access.evidence_get_for_user(request.user, pk=pk)
    return stored_file_response(evidence.file)
