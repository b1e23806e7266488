"""Pages of the acceptance (DESIGN.md §4, docs/ACCEPTANCE.md): batches, the on-site checklist of an
inspection, the printable and Excel acceptance report, the standard. Thin: objects come through
acceptance.access (out of scope: 404), reads through acceptance.selectors, every change through
acceptance.services; a role that may never do a thing gets 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from orgs.access import has_role
from orgs.confirm import confirmation_required
from orgs.downloads import stored_file_response
from orgs.models import Role, Stage
from orgs.views import apply_errors, role_required

from . import access, exporting, selectors, services
from .filters import BatchFilterSet, InspectionFilterSet
from .forms import BatchForm, DecisionForm, GoLiveForm, TickForm
from .models import Batch, Inspection, StandardItem, Tick

# Who reads the acceptance pages (a head: their own institution's inspections only).
VIEWERS = (Role.HR, Role.AUDITOR, Role.ACCEPTANCE, Role.HEAD)
# The acceptance report covers every institution of a batch: not for heads.
REPORT_READERS = (Role.HR, Role.AUDITOR, Role.ACCEPTANCE)
# Roles that may tick, decide and start; services check team membership on top.
TEAM_ROLES = (Role.HR, Role.ACCEPTANCE)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCHES_PER_PAGE = 50


# --- Batches -------------------------------------------------------------------------------------


@role_required(*VIEWERS)
@require_http_methods(["GET", "POST"])
def batch_list(request):
    """The batches the user may see; HR creates one here (services.batch_create refuses anything
    but 5 to 8 institutions, and the page shows its message)."""
    user = request.user
    is_hr = has_role(user, Role.HR)
    if request.method == "POST" and not is_hr:
        raise PermissionDenied
    form = BatchForm(request.POST or None) if is_hr else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                batch = services.batch_create(actor=user, **form.batch_fields())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Batch %(name)s created with %(n)s institutions.")
                    % {"name": batch.name, "n": len(form.cleaned_data["institutions"])},
                )
                return redirect("acceptance:batch_detail", pk=batch.pk)
        status = 400
    readers = has_role(user, *REPORT_READERS)
    filterset = BatchFilterSet(request.GET or None, queryset=selectors.batch_list(user=user))
    # A few batches a year: paged from the list itself, so the page costs no COUNT query.
    page = Paginator(list(filterset.qs), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page_obj": page,
        "form": form,
        "due": selectors.due_for_reacceptance() if readers else None,
        # A head goes straight to their own institution's rounds.
        "my_inspections": None
        if readers
        else access.inspections_visible_to(user)
        .select_related("batch", "institution")
        .order_by("-batch__date", "round"),
    }
    return render(request, "acceptance/batch_list.html", context, status=status)


def _batch_context(request, batch: Batch, *, sortable: bool = False) -> dict:
    """What the batch's page (and its printable report) show. `sortable`: the institutions in
    the order the page's `?ordering=` asks for (the report keeps them by code)."""
    user = request.user
    inspections = None
    if sortable:
        inspections = InspectionFilterSet(
            request.GET or None, queryset=selectors.batch_inspections(user=user, batch=batch)
        ).qs
    items, rows = selectors.batch_rows(user=user, batch=batch, inspections=inspections)
    is_hr = has_role(user, Role.HR)
    member = has_role(user, *TEAM_ROLES) and services.is_member(user, batch)
    members = list(batch.team.members.order_by("username"))
    results = [row.inspection.result for row in rows]
    return {
        "batch": batch,
        "items": items,
        "rows": rows,
        "members": members,
        "can_start": batch.status == Batch.Status.PLANNED and (is_hr or member),
        "can_close": is_hr and batch.status != Batch.Status.CLOSED,
        "can_report": has_role(user, *REPORT_READERS),
        "has_payroll": any(item.method == StandardItem.Method.PAYROLL for item in items),
        # What the close and start dialogs say (the rows are every inspection for HR).
        "counts": {
            "total": len(rows),
            "passed": results.count(Inspection.Result.PASSED),
            "failed": results.count(Inspection.Result.FAILED),
            "pending": results.count(Inspection.Result.PENDING),
        },
        "failed_rows": [r for r in rows if r.inspection.result == Inspection.Result.FAILED],
        "pending_rows": [r for r in rows if r.inspection.result == Inspection.Result.PENDING],
    }


@role_required(*VIEWERS)
def batch_detail(request, pk):
    batch = access.batch_get_for_user(request.user, pk=pk)
    context = _batch_context(request, batch, sortable=True)
    return render(request, "acceptance/batch_detail.html", context)


@role_required(*TEAM_ROLES)
@require_POST
@confirmation_required
def batch_start(request, pk):
    batch = access.batch_get_for_user(request.user, pk=pk)
    try:
        services.batch_start(actor=request.user, batch=batch)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The batch is in progress."))
    return redirect("acceptance:batch_detail", pk=batch.pk)


@role_required(Role.HR)
@require_POST
@confirmation_required
def batch_close(request, pk):
    batch = access.batch_get_for_user(request.user, pk=pk)
    try:
        services.batch_close(actor=request.user, batch=batch)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The batch is closed."))
    return redirect("acceptance:batch_detail", pk=batch.pk)


@role_required(*REPORT_READERS)
def batch_report(request, pk):
    """The acceptance report (验收报告) as a printable A4 page."""
    batch = access.batch_get_for_user(request.user, pk=pk)
    # A Chinese document whatever the UI language: the payroll months' reasons too.
    with translation.override(exporting.LANGUAGE):
        context = _batch_context(request, batch)
    return render(request, "acceptance/batch_report.html", context)


@role_required(*REPORT_READERS)
def batch_report_export(request, pk):
    batch = access.batch_get_for_user(request.user, pk=pk)
    with translation.override(exporting.LANGUAGE):
        items, rows = selectors.batch_rows(user=request.user, batch=batch)
    return FileResponse(
        exporting.batch_report_workbook(items, rows),
        as_attachment=True,
        filename=exporting.batch_report_filename(batch),
        content_type=XLSX,
    )


# --- Inspections ---------------------------------------------------------------------------------


def _tick_form(line, data=None, files=None) -> TickForm:
    initial = {}
    if line.tick is not None:
        initial = {"met": "yes" if line.tick.met else "no", "note": line.tick.note}
    # Several forms on one page: ids carry the item's code.
    return TickForm(data, files, initial=initial, auto_id=f"id_{line.item.code}_%s")


def _render_inspection(
    request,
    inspection: Inspection,
    *,
    bound_tick: tuple[int, TickForm] | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
):
    user = request.user
    batch = inspection.batch
    open_ = batch.status != Batch.Status.CLOSED and inspection.result == Inspection.Result.PENDING
    member = has_role(user, *TEAM_ROLES) and services.is_member(user, batch)
    can_tick = open_ and member
    lines = selectors.inspection_checklist(inspection)
    for line in lines:
        # The page's form for the line, where this user may tick it (None: read only).
        line.form = None
        if can_tick and not line.is_payroll:
            if bound_tick and bound_tick[0] == line.item.pk:
                line.form = bound_tick[1]
            else:
                line.form = _tick_form(line)
    institution = inspection.institution
    # A pass moves the institution on to the trial run (试运行), never back (services).
    stages = list(Stage.values)
    after_pass = (
        Stage.TRIAL if stages.index(institution.stage) < stages.index(Stage.TRIAL) else None
    )
    context = {
        "inspection": inspection,
        "batch": batch,
        "lines": lines,
        "met_count": sum(line.met for line in lines),
        "unmet_mandatory": [line.item for line in lines if line.item.mandatory and not line.met],
        "unmet": [line.item for line in lines if not line.met],
        "stage_after_pass": Stage(after_pass).label if after_pass else None,
        "can_tick": can_tick,
        "can_decide": open_ and (member or has_role(user, Role.HR)),
        "decision_form": decision_form or DecisionForm(),
        "history": selectors.institution_history(user=user, institution=inspection.institution),
    }
    return render(request, "acceptance/inspection_detail.html", context, status=status)


@role_required(*VIEWERS)
def inspection_detail(request, pk):
    inspection = access.inspection_get_for_user(request.user, pk=pk)
    return _render_inspection(request, inspection)


def _inspection_url(inspection: Inspection, item: StandardItem | None = None) -> str:
    url = reverse("acceptance:inspection_detail", kwargs={"pk": inspection.pk})
    return f"{url}#item-{item.code}" if item else url


@role_required(*TEAM_ROLES)
@require_POST
def tick_save(request, pk, item):
    """One item ticked on site, by a member of the batch's team."""
    inspection = access.inspection_get_for_user(request.user, pk=pk)
    item = get_object_or_404(
        StandardItem,
        pk=item,
        standard_id=inspection.batch.standard_id,
        method=StandardItem.Method.TICK,
    )
    # Refused before the upload is read; services.tick_save checks it again.
    if not services.is_member(request.user, inspection.batch):
        raise PermissionDenied
    form = TickForm(request.POST, request.FILES, auto_id=f"id_{item.code}_%s")
    if form.is_valid():
        try:
            services.tick_save(
                actor=request.user,
                inspection=inspection,
                item=item,
                met=form.cleaned_data["met"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved: %(item)s.") % {"item": item.text})
            return redirect(_inspection_url(inspection, item))
    return _render_inspection(request, inspection, bound_tick=(item.pk, form), status=400)


@role_required(*TEAM_ROLES)
@require_POST
@confirmation_required
def inspection_decide(request, pk):
    """Pass or fail, from its dialog (whose reason box is the decision's note); a pass is refused
    with the service's message naming the unmet items."""
    inspection = access.inspection_get_for_user(request.user, pk=pk)
    form = DecisionForm(
        {"decision": request.POST.get("decision", ""), "note": request.confirmation_reason}
    )
    if form.is_valid():
        passed = form.cleaned_data["decision"] == "pass"
        try:
            services.inspection_decide(
                actor=request.user,
                inspection=inspection,
                passed=passed,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                (_("%(code)s has passed.") if passed else _("%(code)s has failed."))
                % {"code": inspection.institution.code},
            )
            return redirect(_inspection_url(inspection))
    return _render_inspection(request, inspection, decision_form=form, status=400)


@role_required(*VIEWERS)
def tick_evidence(request, pk, item):
    """A tick's evidence, to those who may see the inspection; never from a public URL."""
    inspection = access.inspection_get_for_user(request.user, pk=pk)
    tick = get_object_or_404(Tick, inspection=inspection, item_id=item)
    return stored_file_response(tick.evidence)


# --- Standard ------------------------------------------------------------------------------------


def _render_standard(request, *, form: GoLiveForm | None = None, status: int = 200):
    standard = services.standard_current()
    if form is None and has_role(request.user, Role.HR) and standard is not None:
        form = GoLiveForm(initial={"go_live_month": standard.go_live_month})
    versions = list(selectors.standard_versions()) if standard else []
    context = {
        "standard": standard,
        "items": standard.items.all() if standard else [],
        "go_live": services.month_label(standard.go_live_month) if standard else "",
        "versions": versions,
        "batches_made": sum(v.batch_count for v in versions),
        "form": form if standard else None,
    }
    return render(request, "acceptance/standard_detail.html", context, status=status)


@role_required(*VIEWERS)
@require_safe
def standard_detail(request):
    """The current standard and its versions; HR sets the go-live month from here (below)."""
    return _render_standard(request)


@role_required(Role.HR)
@require_POST
@confirmation_required
def standard_go_live(request):
    """HR sets the go-live month, from the standard page's dialog: a new version with the same
    items (services.standard_go_live_change). Refused: the page again, saying why (400)."""
    form = GoLiveForm(request.POST)
    if form.is_valid():
        try:
            new = services.standard_go_live_change(
                actor=request.user, go_live_month=form.cleaned_data["go_live_month"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Version %(version)s of the standard is in force: wages are checked from "
                    "%(month)s (go-live). New batches use it; existing batches keep theirs."
                )
                % {"version": new.version, "month": services.month_label(new.go_live_month)},
            )
            return redirect("acceptance:standard_detail")
    return _render_standard(request, form=form, status=400)
