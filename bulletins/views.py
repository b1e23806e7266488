"""Pages of the bulletins (docs/BULLETINS.md): the list (HR generates here), a bulletin with its
rankings, lagging units, warnings and explanation requests (HR publishes and regenerates drafts),
its Excel file, the explanation requests (heads submit, HR reviews) and the year's early-warning
policy. Thin: objects come through bulletins.access (out of scope: 404), reads through
bulletins.selectors, every change through bulletins.services; a role that may never do a thing
gets 403."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appraisal.models import Result, Scheme
from orgs.access import has_role
from orgs.confirm import confirmation_required
from orgs.downloads import stored_file_response
from orgs.models import Role
from orgs.views import apply_errors, role_required

from . import access, exporting, rules, selectors, services
from .filters import BulletinFilterSet, BulletinLineFilterSet, ExplanationFilterSet
from .forms import ExplanationForm, GenerateForm, PolicyForm
from .models import Bulletin, ExplanationRequest, policy_for

# Every role reads published bulletins (HR and auditors drafts too): bulletins.access.
READERS = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD, Role.PAYROLL, Role.ACCEPTANCE)
BULLETINS_PER_PAGE = 25
EXPLANATIONS_PER_PAGE = 50


def _page(request, queryset, per_page):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Bulletins -----------------------------------------------------------------------------------


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def bulletin_list(request):
    """The bulletins the user may see, filtered by year, kind and status; HR generates one here
    (the service refuses a published period or a draft year, and the page says why)."""
    user = request.user
    is_hr = has_role(user, Role.HR)
    if request.method == "POST" and not is_hr:
        raise PermissionDenied
    years = selectors.years()
    form = GenerateForm(request.POST or None, years=years) if is_hr else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                bulletin = services.bulletin_generate(
                    scheme=Scheme.objects.get(year=data["year"]),
                    kind=data["kind"],
                    day=data["day"],
                    actor=user,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, _("%(bulletin)s is generated.") % {"bulletin": bulletin.title()}
                )
                return redirect("bulletins:bulletin_detail", pk=bulletin.pk)
        status = 400
    filterset = BulletinFilterSet(request.GET or None, queryset=selectors.bulletin_list(user=user))
    context = {
        "filter": filterset,
        "page_obj": _page(request, filterset.qs, BULLETINS_PER_PAGE),
        "querystring": _querystring_without_page(request),
        "years": years,
        "sees_drafts": has_role(user, *access.READ_ALL),
        "form": form,
        "can_see_explanations": has_role(user, *access.EXPLANATION_READERS),
    }
    return render(request, "bulletins/bulletin_list.html", context, status=status)


def _publish_preview(bulletin: Bulletin, view: selectors.BulletinView) -> dict:
    """What publishing this draft does, for its dialog: who sees it, who is asked to explain and
    by when (services.bulletin_publish asks every lagging line of a monthly bulletin, due
    `explanation_days` after the day of publication)."""
    policy = policy_for(bulletin.scheme)
    lagging_groups = {line.group_name for line in view.lagging}
    return {
        "units": sum(len(lines) for _name, lines in view.groups),
        "groups": len(view.groups),
        "asked": len(view.lagging) if bulletin.kind == Bulletin.Kind.MONTHLY else 0,
        "asked_groups": len(lagging_groups),
        "bottom_n": policy.explanation_bottom_n,
        "due_on": timezone.localdate() + datetime.timedelta(days=policy.explanation_days),
    }


@role_required(*READERS)
def bulletin_detail(request, pk):
    bulletin = access.bulletin_get_for_user(request.user, pk=pk)
    is_hr = has_role(request.user, Role.HR)
    can_publish = is_hr and bulletin.status == Bulletin.Status.DRAFT
    lines = BulletinLineFilterSet(request.GET or None, queryset=bulletin.lines.all()).qs
    view = selectors.bulletin_detail(user=request.user, bulletin=bulletin, lines=lines)
    context = {
        "view": view,
        "bulletin": bulletin,
        "can_publish": can_publish,
        "publish": _publish_preview(bulletin, view) if can_publish else None,
        "can_policy": is_hr,
    }
    return render(request, "bulletins/bulletin_detail.html", context)


@role_required(Role.HR)
@require_POST
@confirmation_required
def bulletin_publish(request, pk):
    bulletin = access.bulletin_get_for_user(request.user, pk=pk)
    was_draft = bulletin.status == Bulletin.Status.DRAFT
    bulletin = services.bulletin_publish(actor=request.user, bulletin=bulletin)
    if was_draft:
        asked = bulletin.explanations.count()
        messages.success(
            request,
            _("%(bulletin)s is published; %(n)s units are asked for an explanation.")
            % {"bulletin": bulletin.title(), "n": asked}
            if bulletin.kind == Bulletin.Kind.MONTHLY
            else _("%(bulletin)s is published.") % {"bulletin": bulletin.title()},
        )
    return redirect("bulletins:bulletin_detail", pk=bulletin.pk)


@role_required(Role.HR)
@require_POST
@confirmation_required
def bulletin_regenerate(request, pk):
    """Generate a draft again from the current results (same period and number). The warnings are
    as of today while today still reports this period, else as of the day after it."""
    bulletin = access.bulletin_get_for_user(request.user, pk=pk)
    today = timezone.localdate()
    same_period = rules.period(bulletin.kind, today)[0] == bulletin.period_start
    day = today if same_period else rules.day_after(bulletin.period_end)
    try:
        services.bulletin_generate(
            scheme=bulletin.scheme, kind=bulletin.kind, day=day, actor=request.user
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request, _("%(bulletin)s is generated again.") % {"bulletin": bulletin.title()}
        )
    return redirect("bulletins:bulletin_detail", pk=bulletin.pk)


@role_required(*READERS)
def bulletin_xlsx(request, pk):
    bulletin = access.bulletin_get_for_user(request.user, pk=pk)
    return FileResponse(
        exporting.bulletin_workbook(bulletin),
        as_attachment=True,
        filename=exporting.bulletin_filename(bulletin),
        content_type=exporting.XLSX_CONTENT_TYPE,
    )


# --- Explanations --------------------------------------------------------------------------------


@role_required(*access.EXPLANATION_READERS)
def explanation_list(request):
    """HR and auditors: every request, with filters and the overdue flag; a head: their own."""
    user = request.user
    filterset = ExplanationFilterSet(
        request.GET or None, queryset=selectors.explanation_list(user=user)
    )
    context = {
        "filter": filterset,
        "page_obj": _page(request, filterset.qs, EXPLANATIONS_PER_PAGE),
        "querystring": _querystring_without_page(request),
        "years": selectors.years(),
        "sees_all": has_role(user, *access.READ_ALL),
    }
    return render(request, "bulletins/explanation_list.html", context)


def _render_explanation(
    request,
    explanation: ExplanationRequest,
    *,
    form: ExplanationForm | None = None,
    status: int = 200,
):
    user = request.user
    can_submit = services.can_submit(user, explanation)
    can_review = (
        has_role(user, Role.HR) and explanation.status == ExplanationRequest.Status.SUBMITTED
    )
    if can_submit and form is None:
        form = ExplanationForm(initial={"text": explanation.text})
    context = {
        "view": selectors.explanation_detail(request=explanation),
        "explanation": explanation,
        "form": form if can_submit else None,
        "can_review": can_review,
    }
    return render(request, "bulletins/explanation_detail.html", context, status=status)


@role_required(*access.EXPLANATION_READERS)
def explanation_detail(request, pk):
    explanation = access.explanation_get_for_user(request.user, pk=pk)
    return _render_explanation(request, explanation)


@role_required(Role.HEAD)
@require_POST
def explanation_submit(request, pk):
    explanation = access.explanation_get_for_user(request.user, pk=pk)
    # Refused before the upload is read; the service checks it again.
    if not services.can_submit(request.user, explanation):
        if explanation.status == ExplanationRequest.Status.REVIEWED:
            messages.error(request, _("This explanation has been reviewed; it no longer changes."))
            return redirect("bulletins:explanation_detail", pk=explanation.pk)
        raise PermissionDenied
    form = ExplanationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.explanation_submit(
                actor=request.user,
                request=explanation,
                text=form.cleaned_data["text"],
                attachment=form.cleaned_data["attachment"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your explanation is submitted."))
            return redirect("bulletins:explanation_detail", pk=explanation.pk)
    return _render_explanation(request, explanation, form=form, status=400)


@role_required(Role.HR)
@require_POST
@confirmation_required
def explanation_review(request, pk):
    """HR reviews once, from the dialog; its reason box is the review note (optional)."""
    explanation = access.explanation_get_for_user(request.user, pk=pk)
    try:
        services.explanation_review(
            actor=request.user, request=explanation, note=request.confirmation_reason
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The explanation is reviewed."))
    return redirect("bulletins:explanation_detail", pk=explanation.pk)


@role_required(*access.EXPLANATION_READERS)
def explanation_attachment(request, pk):
    """An explanation's attachment, to those who may see the request; never from a public URL."""
    explanation = access.explanation_get_for_user(request.user, pk=pk)
    return stored_file_response(explanation.attachment)


# --- Warning policy ------------------------------------------------------------------------------


def _policy_changes(form: PolicyForm, current) -> list[tuple[str, object, object]]:
    """(label, now, then) of each setting the form changes."""
    return [
        (form[name].label, getattr(current, name), form.cleaned_data[name])
        for name in services.POLICY_FIELDS
        if form.cleaned_data[name] != getattr(current, name)
    ]


def _asked_under(scheme: Scheme, bottom_n: int) -> tuple[int, int]:
    """(units, groups): how many units a monthly bulletin would ask on today's results with
    `bottom_n` (rules.lagging, ties at the boundary included). One query."""
    by_group: dict[int | None, list[tuple[int, int | None]]] = {}
    for institution_id, group_id, rank in Result.objects.filter(scheme=scheme).values_list(
        "institution_id", "group_id", "rank"
    ):
        by_group.setdefault(group_id, []).append((institution_id, rank))
    asked = sum(len(rules.lagging(pairs, bottom_n)) for pairs in by_group.values())
    return asked, len(by_group)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
@confirmation_required(reason=True)
def policy(request, year):
    """The year's early-warning policy. The form is reviewed first (GET `?review=1` with the new
    values): the page then says what changes and what follows, and the dialog posts the values
    with the confirmation and the reason, which the audit trail keeps."""
    scheme = get_object_or_404(Scheme, year=year)
    current = policy_for(scheme)
    initial = {name: getattr(current, name) for name in services.POLICY_FIELDS}
    status = 200
    review = None
    if request.method == "POST":
        form = PolicyForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                services.warning_policy_save(
                    actor=request.user,
                    scheme=scheme,
                    reason=request.confirmation_reason,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The early-warning policy of %(year)s is saved.") % {"year": scheme.year},
                )
                return redirect("bulletins:policy", year=scheme.year)
        status = 400
    elif request.GET.get("review"):
        form = PolicyForm(request.GET, initial=initial)
        if form.is_valid():
            asked, groups = _asked_under(scheme, form.cleaned_data["explanation_bottom_n"])
            review = {
                "changes": _policy_changes(form, current),
                "asked": asked,
                "groups": groups,
                "values": form.cleaned_data,
            }
    else:
        form = PolicyForm(initial=initial)
    context = {"scheme": scheme, "form": form, "policy": current, "review": review}
    return render(request, "bulletins/policy.html", context, status=status)
