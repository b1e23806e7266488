"""Pages of the organisation. Thin: they parse input, call orgs.access / selectors / services,
and render. Every view is login-only and role-checked; objects come through orgs.access."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import access, exporting, importing, navigation, notifications, selectors, services, todo
from .filters import AuditEventFilterSet, EmployeeFilterSet, InstitutionFilterSet
from .forms import GroupForm, ImportForm, InstitutionForm
from .models import AssessmentGroup, Role

INSTITUTIONS_PER_PAGE = 25
EMPLOYEES_PER_PAGE = 50
AUDIT_EVENTS_PER_PAGE = 50
# One export is at most this many events: more would take minutes and make a workbook Excel
# struggles to open; a narrower filter is the answer.
AUDIT_EXPORT_MAX_ROWS = 200_000


def role_required(*roles):
    """Login first; then the user must hold one of `roles` (any role if none given), else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not access.has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _page(request, queryset, per_page):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def nav_counts(request):
    """The menu's 待办 badges and the bell's unread count (templates/orgs/_bell.html), loaded by
    htmx after the page (base.html), as out-of-band swaps: one element per menu item and the
    bell's #bell-count, so the page itself never waits for them. Only the items of this user's
    menu: an out-of-band element without its placeholder on the page is an htmx error."""
    counts = todo.todo_counts(todo.todo_for(request.user))
    home, groups = navigation.menu_for(request.user)
    keys = [home.key, *(item.key for group in groups for item in group.items)]
    return render(
        request,
        "orgs/_nav_counts.html",
        {
            "counts": [(key, counts.get(key, 0)) for key in keys],
            "unread": notifications.unread_count(request.user),
        },
    )


@login_required
def home(request):
    """One home page per role. A user without a role who holds target responsibility letters (a
    deputy, a department head, a member of staff: docs/LETTERS.md) lands on those letters, the
    ones to sign first, then the signed ones; anyone else without a role is told to ask HR. Every
    home opens with the user's 待办 (orgs.todo): each app's items, with a count and a link."""
    user = request.user
    role = access.user_role(user)
    if access.account_role(user) in access.ADMIN_ROLES:
        return _home_admin(request, access.account_role(user))
    if role is None:
        return _home_without_role(request)
    # 待办 first: what each app has waiting for this user (orgs.todo, docs/TODO.md).
    context = {
        "todo": todo.todo_for(user),
        "overview": selectors.institution_overview(user=user),
    }
    if role == Role.HEAD:
        context["institution"] = (
            access.institutions_visible_to(user).select_related("group").first()
        )
    elif role == Role.SCORER:
        context["department"] = user.scoring_department
    elif role == Role.LEADER:
        context["institutions"] = list(
            user.contact_institutions.select_related("group", "head").order_by("code")
        )
        context["results_url"] = navigation.url_of("contact_results")
    elif role == Role.CONTACT:
        context["institution"] = (
            access.institutions_visible_to(user).select_related("group", "head").first()
        )
        context["reporting_url"] = navigation.url_of("reporting")
    elif role == Role.PAYROLL:
        context["institutions"] = selectors.institution_list(user=user)
    elif role in (Role.HR, Role.AUDITOR):
        context["groups"] = selectors.group_list()
    return render(request, f"orgs/home_{role}.html", context)


def _home_admin(request, role: str):
    """The home of a system, security or audit administrator (三员): their 待办 and the way to
    their pages; no business data."""
    from . import security_admin

    context = {"todo": todo.todo_for(request.user)}
    if role == Role.SECADMIN:
        context["policies"] = security_admin.policies()
    return render(request, f"orgs/home_{role}.html", context)


def _home_without_role(request):
    # The letters come through the user's own reverse relation (Letter.signer), so the ground
    # floor imports nothing of the letters app; a letter's Status is read off the letter itself.
    held = list(
        request.user.letters_to_sign.select_related("scheme", "institution").order_by(
            "-scheme__year", "institution__code", "holder_name", "-version"
        )
    )
    to_sign = [x for x in held if x.status == x.Status.ISSUED]
    signed = [x for x in held if x.signed_at is not None]
    context = {
        "todo": todo.todo_for(request.user) if held else [],
        "letters_to_sign": to_sign,
        "letters_signed": signed,
    }
    status = 200 if to_sign or signed else 403
    return render(request, "orgs/home_norole.html", context, status=status)


def _institution_filterset(request) -> InstitutionFilterSet:
    """The list page's filters over the user's institutions; the export uses the same."""
    filterset = InstitutionFilterSet(
        request.GET or None, queryset=selectors.institution_list(user=request.user)
    )
    # The group choices a user is offered are the groups of institutions they may see.
    filterset.form.fields["group"].queryset = AssessmentGroup.objects.filter(
        institutions__in=access.institutions_visible_to(request.user)
    ).distinct()
    return filterset


@role_required()
def institution_list(request):
    filterset = _institution_filterset(request)
    page = _page(request, filterset.qs, INSTITUTIONS_PER_PAGE)
    context = {
        "filter": filterset,
        "page_obj": page,
        "querystring": _querystring_without_page(request),
    }
    template = "orgs/_institution_table.html" if request.htmx else "orgs/institution_list.html"
    return render(request, template, context)


@role_required()
def institution_detail(request, code):
    institution = access.institution_get_for_user(request.user, code=code)
    counts = institution.employees.filter(is_active=True).aggregate(
        total=Count("id"), formal=Count("id", filter=Q(is_formal=True))
    )
    context = {
        "institution": institution,
        "employee_counts": counts,
        "show_employees": access.can_view_employees(request.user),
        "contacts": list(
            institution.contact_persons.filter(ended_at__isnull=True)
            .select_related("user")
            .order_by("named_at", "id")
        ),
    }
    return render(request, "orgs/institution_detail.html", context)


@role_required(*access.ROLES_SEEING_EMPLOYEES)
def institution_employees(request, code):
    institution = access.institution_get_for_user(request.user, code=code)
    filterset = EmployeeFilterSet(
        request.GET or None,
        queryset=selectors.employee_list(user=request.user, institution=institution),
    )
    page = _page(request, filterset.qs, EMPLOYEES_PER_PAGE)
    context = {
        "institution": institution,
        "filter": filterset,
        "page_obj": page,
        "querystring": _querystring_without_page(request),
    }
    return render(request, "orgs/employee_list.html", context)


@role_required()
def institution_export(request):
    """The institutions the list page shows, with its filters, all pages, as an Excel workbook
    in the import's layout."""
    filterset = _institution_filterset(request)
    return FileResponse(
        exporting.institutions_workbook(user=request.user, queryset=filterset.qs),
        as_attachment=True,
        filename=exporting.institutions_filename(),
        content_type=importing.XLSX_CONTENT_TYPE,
    )


@role_required(*access.ROLES_SEEING_EMPLOYEES)
def institution_employees_export(request, code):
    """Every employee of the institution, as an Excel workbook in the import's layout."""
    institution = access.institution_get_for_user(request.user, code=code)
    return FileResponse(
        exporting.employees_workbook(user=request.user, institution=institution),
        as_attachment=True,
        filename=exporting.employees_filename(institution),
        content_type=importing.XLSX_CONTENT_TYPE,
    )


def apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def institution_edit(request, code=None):
    institution = access.institution_get_for_user(request.user, code=code) if code else None
    form = InstitutionForm(request.POST or None, instance=institution)
    if request.method == "POST" and form.is_valid():
        try:
            if institution is None:
                institution = services.institution_create(
                    actor=request.user, **form.institution_fields()
                )
                messages.success(
                    request, _("Institution %(name)s created.") % {"name": institution}
                )
            else:
                institution = services.institution_update(
                    actor=request.user, institution=institution, **form.institution_fields()
                )
                messages.success(request, _("Institution %(name)s saved.") % {"name": institution})
            return redirect("orgs:institution_detail", code=institution.code)
        except ValidationError as e:
            apply_errors(form, e)
    return render(request, "orgs/institution_form.html", {"form": form, "institution": institution})


@role_required()
def group_list(request):
    return render(request, "orgs/group_list.html", {"groups": selectors.group_list()})


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def group_edit(request, pk=None):
    group = get_object_or_404(AssessmentGroup, pk=pk) if pk else None
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        prizes = services.prize_rows_from_mapping(form.cleaned_data)
        try:
            if group is None:
                group = services.group_create(
                    actor=request.user, prizes=prizes, **form.group_fields()
                )
                messages.success(request, _("Group %(name)s created.") % {"name": group})
            else:
                group = services.group_update(
                    actor=request.user, group=group, prizes=prizes, **form.group_fields()
                )
                messages.success(request, _("Group %(name)s saved.") % {"name": group})
            return redirect("orgs:group_list")
        except ValidationError as e:
            apply_errors(form, e)
    return render(request, "orgs/group_form.html", {"form": form, "group": group})


@role_required(Role.HR)
def import_template(request):
    """The empty workbook HR fills in: both sheets, Chinese headers, an example row each."""
    return FileResponse(
        importing.template_workbook_bytes(),
        as_attachment=True,
        filename=importing.TEMPLATE_FILENAME,
        content_type=importing.XLSX_CONTENT_TYPE,
    )


def import_page(request, *, importer, template: str):
    """The upload page every Excel import shares: the form, then the result or every error of
    an all-or-nothing import (400), through `importer(actor=…, file=…)`."""
    form = ImportForm(request.POST or None, request.FILES or None)
    result = errors = None
    if request.method == "POST" and form.is_valid():
        try:
            result = importer(actor=request.user, file=form.cleaned_data["file"])
        except importing.ImportFailed as failure:
            errors = failure.errors
    context = {"form": form, "result": result, "errors": errors}
    return render(request, template, context, status=400 if errors else 200)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    return import_page(
        request, importer=importing.orgs_workbook_import, template="orgs/import.html"
    )


# --- The audit trail (the audit administrator and auditors) -------------------------------------


def _audit_filterset(request) -> AuditEventFilterSet:
    return AuditEventFilterSet(request.GET or None, queryset=selectors.audit_event_list())


@role_required(*access.ROLES_SEEING_AUDIT)
def audit_list(request):
    filterset = _audit_filterset(request)
    context = {
        "filter": filterset,
        "page_obj": _page(request, filterset.qs, AUDIT_EVENTS_PER_PAGE),
        "querystring": _querystring_without_page(request),
    }
    return render(request, "orgs/audit_list.html", context)


@role_required(*access.ROLES_SEEING_AUDIT)
def audit_detail(request, pk):
    event = get_object_or_404(selectors.audit_event_list(), pk=pk)
    context = {"event": event, "changes": selectors.audit_event_changes(event)}
    return render(request, "orgs/audit_detail.html", context)


@role_required(*access.ROLES_SEEING_AUDIT)
def audit_export(request):
    """The events the list shows, with its filters, all pages, as an Excel workbook; refused
    (back to the list, with a message) above AUDIT_EXPORT_MAX_ROWS."""
    filterset = _audit_filterset(request)
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("The filters are not valid; correct them and export again."))
        return redirect(f"{reverse('orgs:audit_list')}?{request.GET.urlencode()}")
    count = filterset.qs.count()
    if count > AUDIT_EXPORT_MAX_ROWS:
        messages.error(
            request,
            _(
                "%(count)s events match: an export holds at most %(max)s. "
                "Narrow the filters (a shorter period, one action) and export again."
            )
            % {"count": count, "max": AUDIT_EXPORT_MAX_ROWS},
        )
        return redirect(f"{reverse('orgs:audit_list')}?{request.GET.urlencode()}")
    return FileResponse(
        exporting.audit_events_workbook(filterset.qs),
        as_attachment=True,
        filename=exporting.audit_events_filename(),
        content_type=importing.XLSX_CONTENT_TYPE,
    )
