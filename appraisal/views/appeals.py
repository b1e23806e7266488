"""Appraisal pages: appeals (申诉) during the review window. A head appeals an entry of their
institution; the entry's scoring department or HR accepts (the entry is reversed) or rejects it.
Thin: objects come through appraisal.access, reads through appraisal.selectors, writes through
appraisal.services (docs/SCORING.md, "Appeals")."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orgs.access import has_role
from orgs.confirm import confirmation_required
from orgs.downloads import stored_file_response
from orgs.models import Role
from orgs.views import apply_errors, role_required

from .. import access, selectors, services
from ..appeal_forms import AppealAnswerForm, AppealForm
from ..filters import AppealFilterSet
from ..models import Appeal, Scheme

APPEALS_PER_PAGE = 50
# Who reads appeals (appraisal.access.appeals_visible_to returns something for them).
APPEAL_ROLES = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD)
# Who may answer some appeal (services.can_answer decides which).
ANSWERING_ROLES = (Role.HR, Role.SCORER)


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@role_required(*APPEAL_ROLES)
def appeal_list(request):
    """The appeals the user may see, filtered and sorted by AppealFilterSet (as the API)."""
    filterset = AppealFilterSet(
        request.GET or None, queryset=selectors.appeal_list(user=request.user)
    )
    years = access.schemes_visible_to(request.user).exclude(status=Scheme.Status.DRAFT)
    filterset.form.fields["year"].widget = forms.Select(
        choices=[("", _("All years")), *((y, y) for y in years.values_list("year", flat=True))]
    )
    page = Paginator(filterset.qs, APPEALS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page_obj": page,
        "querystring": _querystring_without_page(request),
    }
    return render(request, "appraisal/appeal_list.html", context)


@role_required(Role.HEAD)
@require_http_methods(["GET", "POST"])
def appeal_create(request, pk):
    entry = access.entry_get_for_user(request.user, pk=pk)
    existing = Appeal.objects.filter(entry=entry).only("pk").first()
    if existing is not None:
        # One appeal per entry: show the one there is.
        return redirect("appraisal:appeal_detail", pk=existing.pk)
    refusal = services.appeal_refusal(entry)
    posted = request.method == "POST"
    form = AppealForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            appeal = services.appeal_submit(
                actor=request.user,
                entry=entry,
                reasons=form.cleaned_data["reasons"],
                evidence=form.cleaned_data.get("evidence") or None,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                _("Appeal #%(id)s submitted. The scoring department or HR will answer it.")
                % {"id": appeal.pk},
            )
            return redirect("appraisal:appeal_detail", pk=appeal.pk)
    return render(
        request,
        "appraisal/appeal_form.html",
        {"entry": entry, "scheme": entry.scheme, "form": form, "refusal": refusal},
    )


def _detail(request, appeal, answer_form=None):
    may_answer = (
        appeal.status == Appeal.Status.PENDING
        and appeal.scheme.status == Scheme.Status.REVIEW
        and has_role(request.user, *ANSWERING_ROLES)
        and services.can_answer(request.user, appeal)
    )
    context = {
        "appeal": appeal,
        "entry": appeal.entry,
        "scheme": appeal.scheme,
        "answer_form": (answer_form or AppealAnswerForm()) if may_answer else None,
    }
    return render(request, "appraisal/appeal_detail.html", context)


@role_required(*APPEAL_ROLES)
def appeal_detail(request, pk):
    return _detail(request, access.appeal_get_for_user(request.user, pk=pk))


@role_required(*ANSWERING_ROLES)
@require_POST
def appeal_answer(request, pk):
    """Accept or reject an appeal through its confirm dialog, whose reason is the answer (sent to
    the head, kept on the appeal and in the audit trail). Who may is checked before the
    confirmation: an appeal out of reach answers 404, one the user may not answer 403."""
    appeal = access.appeal_get_for_user(request.user, pk=pk)
    if not services.can_answer(request.user, appeal):
        raise PermissionDenied
    return _appeal_answer_confirmed(request, appeal)


@confirmation_required(reason=True)
def _appeal_answer_confirmed(request, appeal):
    form = AppealAnswerForm(
        {"decision": request.POST.get("decision", ""), "answer": request.confirmation_reason}
    )
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            appeal = services.appeal_answer(
                actor=request.user, appeal=appeal, accept=accept, answer=form.cleaned_data["answer"]
            )
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                apply_errors(form, e)
            else:
                # Answered already, or the year moved on: say so on the appeal as it now is.
                messages.error(request, " ".join(e.messages))
                return redirect("appraisal:appeal_detail", pk=appeal.pk)
        else:
            if accept:
                done = _(
                    "Appeal #%(id)s accepted: entry #%(entry)s is reversed by #%(new)s. "
                    "A recompute of the results is queued."
                ) % {"id": appeal.pk, "entry": appeal.entry_id, "new": appeal.reversal_id}
            else:
                done = _("Appeal #%(id)s rejected.") % {"id": appeal.pk}
            messages.success(request, done)
            return redirect("appraisal:appeal_detail", pk=appeal.pk)
    return _detail(request, appeal, answer_form=form)


@role_required(*APPEAL_ROLES)
def appeal_evidence(request, pk):
    """An appeal's evidence file, to those who may see the appeal; never from a public URL."""
    appeal = access.appeal_get_for_user(request.user, pk=pk)
    return stored_file_response(appeal.evidence)


urlpatterns = [
    path("appeals/", appeal_list, name="appeal_list"),
    path("entries/<int:pk>/appeal/", appeal_create, name="appeal_create"),
    path("appeals/<int:pk>/", appeal_detail, name="appeal_detail"),
    path("appeals/<int:pk>/answer/", appeal_answer, name="appeal_answer"),
    path("appeals/<int:pk>/evidence/", appeal_evidence, name="appeal_evidence"),
]
