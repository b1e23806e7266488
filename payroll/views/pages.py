"""Payroll pages: monthly runs (list and compute, detail with confirm and the differences of a
confirmed run, reconciliation), pay policies, coefficients and individual grades.

Thin: objects come through payroll.access / orgs.access (outside the user's scope → 404, a role
that may never do it → 403), reads through payroll.selectors, every change through
payroll.services, whose ValidationError messages are shown as they are."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orgs.access import institution_get_for_user, institutions_visible_to
from orgs.confirm import confirmation_required
from orgs.views import apply_errors, role_required

from .. import access, distribution, selectors, services
from ..filters import LineFilterSet, PolicyFilterSet, RunFilterSet
from ..forms import CoefficientsForm, GradesForm, PolicyForm, RunComputeForm

RUNS_PER_PAGE = 50
POLICIES_PER_PAGE = 50


def _page(request, queryset, per_page):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _run_label(run) -> str:
    return f"{run.institution.code} {run.month:%Y-%m}"


# --- Runs ----------------------------------------------------------------------------------------


@role_required(*access.ROLES_SEEING_RUNS)
@require_http_methods(["GET", "POST"])
def run_list(request):
    """The runs the user may see, filtered by month and institution; HR and payroll officers
    compute a month of an institution here (POST)."""
    user = request.user
    form = None
    if access.can_run_payroll_at_all(user):
        form = RunComputeForm(
            request.POST if request.method == "POST" else None,
            institutions=selectors.institutions_for_payroll(user=user),
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                run = services.payroll_run_compute(actor=user, **form.cleaned_data)
            except ValidationError as e:
                apply_errors(form, e)
            else:
                if run.is_frozen:
                    messages.warning(
                        request,
                        _("The run of %(run)s is confirmed already; it was not recomputed.")
                        % {"run": _run_label(run)},
                    )
                else:
                    messages.success(
                        request, _("The run of %(run)s is computed.") % {"run": _run_label(run)}
                    )
                return redirect("payroll:run_detail", pk=run.pk)
    filterset = RunFilterSet(request.GET or None, queryset=selectors.run_list(user=user))
    page = _page(request, filterset.qs, RUNS_PER_PAGE)
    month = filterset.form.cleaned_data.get("month") if filterset.is_bound else None
    context = {
        "filter": filterset,
        "page_obj": page,
        "querystring": _querystring_without_page(request),
        "institutions": institutions_visible_to(user).order_by("code"),
        "form": form,
        # The month's export for payment (every institution of the user's, one sheet) and what
        # its dialog says, when a month is chosen.
        "month_export": selectors.month_export(user=user, month=month)
        if month and form is not None
        else None,
    }
    if form is not None and request.GET.get("compute") == "due":
        # 待办's link (payroll/todo.py): this month's runs still to compute, one button each.
        today = timezone.localdate()
        context["due"] = selectors.institutions_to_compute(user=user, today=today)
        context["due_month"] = f"{today:%Y-%m}"
    return render(request, "payroll/pages_run_list.html", context)


@role_required(*access.ROLES_SEEING_RUNS)
def run_detail(request, pk):
    """A run's pools and totals; its lines for the roles that may see them (never a head); for a
    confirmed run, what the inputs would give now (shown, not applied)."""
    user = request.user
    run = access.run_get_for_user(user, pk=pk)
    show_lines = access.can_view_lines(user)
    lines = []
    if show_lines:
        # Sorted by the column the user chose (?ordering=staff_number, name, gross …).
        ordering = {"ordering": request.GET.get("ordering", "")}
        lines = list(LineFilterSet(ordering, queryset=selectors.run_lines(user=user, run=run)).qs)
    context = {
        "run": run,
        "totals": selectors.run_totals(run),
        "show_lines": show_lines,
        "lines": lines,
        "can_run": services.can_run_payroll(user, run.institution),
        "differences": None,
        "differences_error": None,
    }
    if show_lines and run.is_frozen:
        try:
            context["differences"] = services.run_differences(run)
        except ValidationError as e:  # the inputs are incomplete now (e.g. a policy removed)
            context["differences_error"] = e.messages
    return render(request, "payroll/pages_run_detail.html", context)


@role_required(*access.ROLES_RUNNING_PAYROLL)
@require_POST
def run_recompute(request, pk):
    run = access.run_get_for_user(request.user, pk=pk)
    if run.is_frozen:
        messages.error(
            request,
            _(
                "A confirmed run is never recomputed; the differences below show what its inputs "
                "would give now."
            ),
        )
        return redirect("payroll:run_detail", pk=run.pk)
    try:
        services.payroll_run_compute(
            actor=request.user, institution=run.institution, month=run.month
        )
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The run of %(run)s is recomputed.") % {"run": _run_label(run)})
    return redirect("payroll:run_detail", pk=run.pk)


@role_required(*access.ROLES_RUNNING_PAYROLL)
@require_POST
@confirmation_required
def run_confirm(request, pk):
    run = access.run_get_for_user(request.user, pk=pk)
    try:
        services.payroll_run_confirm(actor=request.user, run=run)
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The run of %(run)s is confirmed.") % {"run": _run_label(run)})
    return redirect("payroll:run_detail", pk=run.pk)


@role_required(*access.ROLES_SEEING_LINES)
def reconciliation(request, pk):
    """The run's month as computed against the wages actually paid."""
    run = access.run_get_for_user(request.user, pk=pk)
    report = services.reconcile(institution=run.institution, month=run.month)
    context = {
        "run": run,
        "report": report,
        "can_run": services.can_run_payroll(request.user, run.institution),
        "counts": {
            "matches": len(report.matches),
            "differences": len(report.differences),
            "missing": len(report.missing),
            "unexpected": len(report.unexpected),
        },
        "computed": selectors.run_totals(run) if report.state == "not_imported" else None,
    }
    return render(request, "payroll/pages_reconciliation.html", context)


# --- Policies, coefficients, grades --------------------------------------------------------------


@role_required(*access.ROLES_SEEING_POLICIES)
def policy_list(request):
    filterset = PolicyFilterSet(
        request.GET or None, queryset=selectors.policy_list(user=request.user)
    )
    context = {
        "filter": filterset,
        "page_obj": _page(request, filterset.qs, POLICIES_PER_PAGE),
        "querystring": _querystring_without_page(request),
        "can_edit": access.can_edit_settings(request.user),
    }
    return render(request, "payroll/pages_policy_list.html", context)


@role_required(*access.ROLES_EDITING_SETTINGS)
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk=None):
    policy = access.policy_get_for_user(request.user, pk=pk) if pk is not None else None
    form = PolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.policy_save(actor=request.user, **form.policy_fields())
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                _("The %(year)s pay policy of %(code)s is saved.")
                % {"year": saved.year, "code": saved.institution.code},
            )
            return redirect(f"{reverse('payroll:policy_list')}?year={saved.year}")
    return render(request, "payroll/pages_policy_form.html", {"form": form, "policy": policy})


@role_required(*access.ROLES_SEEING_COEFFICIENTS)
@require_http_methods(["GET", "POST"])
def coefficients(request):
    """奖励系数, 个人等次系数 and the 优秀 cap: HR changes them, auditors read them."""
    can_edit = access.can_edit_settings(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    table = selectors.coefficient_table()
    form = CoefficientsForm(request.POST or None, table=table) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.coefficients_save(actor=request.user, **form.coefficients())
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("The coefficients are saved."))
            return redirect("payroll:coefficients")
    return render(
        request,
        "payroll/pages_coefficients.html",
        {"table": table, "form": form, "can_edit": can_edit},
    )


@role_required(*access.ROLES_SEEING_GRADES)
@require_http_methods(["GET", "POST"])
def grades(request, year, code):
    """个人等次 of an institution's formal staff for a year: HR records them (at most the 优秀
    cap), auditors and the bound payroll officer read them."""
    can_edit = access.can_edit_settings(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    institution = institution_get_for_user(request.user, code=code)
    sheet = selectors.grade_sheet(year=year, institution=institution)
    form = GradesForm(request.POST if request.method == "POST" else None, sheet=sheet)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.grades_save(
                actor=request.user, year=year, institution=institution, grades=form.changed_grades()
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("%(count)s grades changed.") % {"count": changed})
            return redirect("payroll:grades", year=year, code=institution.code)
    _table, share = services.grade_coefficients()
    context = {
        "year": year,
        "institution": institution,
        "form": form,
        "can_edit": can_edit,
        "excellent_share": share,
        "excellent_cap": distribution.excellent_cap(len(sheet), share),
    }
    return render(request, "payroll/pages_grades.html", context)


urlpatterns = [
    path("runs/", run_list, name="run_list"),
    path("runs/<int:pk>/", run_detail, name="run_detail"),
    path("runs/<int:pk>/recompute/", run_recompute, name="run_recompute"),
    path("runs/<int:pk>/confirm/", run_confirm, name="run_confirm"),
    path("runs/<int:pk>/reconciliation/", reconciliation, name="reconciliation"),
    path("policies/", policy_list, name="policy_list"),
    path("policies/new/", policy_edit, name="policy_create"),
    path("policies/<int:pk>/edit/", policy_edit, name="policy_edit"),
    path("coefficients/", coefficients, name="coefficients"),
    path("grades/<int:year>/<str:code>/", grades, name="grades"),
]
