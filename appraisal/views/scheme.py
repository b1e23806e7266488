"""Appraisal pages: the yearly scheme (settings, lifecycle, indicators, targets) and HR's
approvals of bonus and veto proposals. Thin: parse with appraisal.forms, load through
appraisal.access, write through appraisal.services, render.

Every role reads the scheme (the rules are public); only HR changes it. Objects outside a user's
scope answer 404, a role that may never do the action 403."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from orgs.access import has_role
from orgs.confirm import confirmation_required
from orgs.models import Institution, Role
from orgs.views import apply_errors, role_required

from .. import engine, selectors, services
from ..access import (
    entry_get_for_user,
    indicators_scored_by,
    scheme_get_for_user,
    schemes_visible_to,
)
from ..filters import ProposalFilterSet
from ..forms import (
    DecisionForm,
    IndicatorForm,
    SchemeCreateForm,
    SchemeSettingsForm,
    TargetForm,
    TransitionForm,
    scorer_formset,
)
from ..models import (
    HalfYear,
    Indicator,
    IndicatorScorer,
    LedgerEntry,
    Method,
    Part,
    Result,
    ResultSet,
    Scheme,
    Target,
)
from ..recompute import result_set_is_stale
from ..tasks import recompute_pending

TARGETS_PER_PAGE = 50
APPROVALS_PER_PAGE = 50

# The year's steps whose dialog asks for a reason, which the audit trail records with the step:
# publishing makes the results final for every institution, reopening unlocks published ones.
# Opening and moving to review are the plan's ordinary course and need none (docs/UI.md).
TRANSITIONS_WITH_REASON = {"publish", "reopen"}

TRANSITION_DONE = {
    "open": gettext_lazy("The %(year)s appraisal is open for scoring."),
    "review": gettext_lazy("The %(year)s appraisal is in review: institutions see their results."),
    "publish": gettext_lazy("The %(year)s results are published and locked."),
    "reopen": gettext_lazy("The %(year)s appraisal is back in review."),
}


def _is_hr(user) -> bool:
    return has_role(user, Role.HR)


def _int_param(request, name) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


# --- Scheme list and detail ----------------------------------------------------------------------


@role_required()
@require_http_methods(["GET", "POST"])
def scheme_list(request):
    """Every year with its status; HR starts a new year here."""
    is_hr = _is_hr(request.user)
    if request.method == "POST" and not is_hr:
        raise PermissionDenied
    schemes = list(
        schemes_visible_to(request.user)
        .annotate(indicator_count=Count("indicators"))
        .order_by("-year")
    )
    form = None
    if is_hr:
        next_year = schemes[0].year + 1 if schemes else None
        form = SchemeCreateForm(request.POST or None, initial={"year": next_year})
        if request.method == "POST" and form.is_valid():
            try:
                scheme = services.scheme_create(actor=request.user, year=form.cleaned_data["year"])
                messages.success(request, _("The %(year)s scheme is created.") % {"year": scheme})
                return redirect("appraisal:scheme_detail", year=scheme.year)
            except ValidationError as e:
                apply_errors(form, e)
    return render(
        request, "appraisal/scheme_list.html", {"schemes": schemes, "form": form, "is_hr": is_hr}
    )


def _parts(scheme: Scheme, indicators: list[Indicator]) -> list[dict]:
    """The indicators grouped by part, with the sums HR checks against each part's max."""
    maxima = scheme.part_max()
    parts = []
    for part in Part:
        items = [i for i in indicators if i.part == part]
        for_all = sum((i.max_points for i in items if i.applies_to_all), start=Decimal(0))
        parts.append(
            {
                "value": part.value,
                "label": part.label,
                "max": maxima[engine.Part(part.value)],
                "indicators": items,
                "total": sum((i.max_points for i in items), start=Decimal(0)),
                "for_all": for_all,
                "differentiated": any(not i.applies_to_all for i in items),
                "review": scheme.review_required(part.value),
            }
        )
    return parts


@role_required()
@require_http_methods(["GET", "POST"])
def scheme_detail(request, year):
    """The year's settings, lifecycle and indicators. HR moves the year to its next step here,
    through a confirm dialog (a reason for publishing and reopening): the step is refused (400)
    without the dialog's confirmation, after the check that the user is HR."""
    is_hr = _is_hr(request.user)
    if request.method == "POST" and not is_hr:
        raise PermissionDenied
    scheme = scheme_get_for_user(request.user, year=year)
    if request.method == "POST":
        reasoned = request.POST.get("action") in TRANSITIONS_WITH_REASON
        return confirmation_required(reason=reasoned)(_scheme_transition)(request, scheme)
    return _scheme_detail_page(request, scheme, TransitionForm() if is_hr else None)


def _scheme_transition(request, scheme: Scheme):
    form = TransitionForm({"action": request.POST.get("action", "")})
    if not form.is_valid():
        return _scheme_detail_page(request, scheme, form)
    action = form.cleaned_data["action"]
    try:
        scheme = services.scheme_transition(
            actor=request.user, scheme=scheme, action=action, reason=request.confirmation_reason
        )
    except ValidationError as e:
        form = TransitionForm({"action": action, "reason": request.confirmation_reason})
        form.is_valid()
        apply_errors(form, e)
        return _scheme_detail_page(request, scheme, form, failed_action=action)
    messages.success(request, TRANSITION_DONE[action] % {"year": scheme.year})
    return redirect("appraisal:scheme_detail", year=scheme.year)


def _scheme_detail_page(request, scheme: Scheme, transition_form, failed_action=None):
    is_hr = transition_form is not None
    indicators = list(
        scheme.indicators.select_related("department").prefetch_related(
            Prefetch("institutions", queryset=Institution.objects.order_by("code").only("code")),
            Prefetch(
                "scorers",
                queryset=IndicatorScorer.objects.select_related("department", "leader"),
            ),
        )
    )
    result_set = None
    stale = pending = False
    if scheme.status != Scheme.Status.DRAFT:
        # With how many institutions it ranks, for the dialogs' "who" (a subquery, no query more).
        ranked = Result.objects.filter(scheme=OuterRef("scheme")).values("scheme")
        result_set = (
            ResultSet.objects.filter(scheme=scheme)
            .annotate(institutions=Subquery(ranked.annotate(n=Count("id")).values("n")))
            .first()
        )
        stale = result_set is None or result_set_is_stale(result_set, scheme.inputs_version)
        pending = recompute_pending(scheme.pk)
    context = {
        "scheme": scheme,
        "parts": _parts(scheme, indicators),
        "indicator_count": len(indicators),
        "has_ratio": any(i.method == Method.RATIO for i in indicators),
        "is_hr": is_hr,
        "is_draft": scheme.status == Scheme.Status.DRAFT,
        "next_actions": [
            a for a, (source, _t) in services.TRANSITIONS.items() if source == scheme.status
        ],
        "transition_form": transition_form,
        "failed_action": failed_action,
        "result_set": result_set,
        "results_stale": stale,
        "recompute_pending": pending,
    }
    return render(request, "appraisal/scheme_detail.html", context)


# --- HR's edits (draft only; the services refuse otherwise) --------------------------------------


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def scheme_settings(request, year):
    scheme = scheme_get_for_user(request.user, year=year)
    form = SchemeSettingsForm(request.POST or None, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            services.scheme_update(actor=request.user, scheme=scheme, **form.cleaned_data)
            messages.success(request, _("Settings of %(year)s saved.") % {"year": scheme.year})
            return redirect("appraisal:scheme_detail", year=scheme.year)
        except ValidationError as e:
            apply_errors(form, e)
    return render(request, "appraisal/scheme_settings.html", {"scheme": scheme, "form": form})


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def indicator_edit(request, year, pk=None):
    """An indicator and its several scorers (几人评分). In a draft everything changes together;
    once the year is open only the scorers and their rule change (until it is published), the
    other fields are shown read-only. A post without the scorers' rows leaves them as they are."""
    scheme = scheme_get_for_user(request.user, year=year)
    indicator = (
        get_object_or_404(scheme.indicators.prefetch_related("institutions"), pk=pk)
        if pk is not None
        else None
    )
    title_code = indicator.code if indicator else None
    posted = request.POST or None
    form = IndicatorForm(posted, indicator=indicator)
    scorers_only = indicator is not None and scheme.status != Scheme.Status.DRAFT
    if scorers_only:
        for name, field in form.fields.items():
            field.disabled = name != "aggregation"
    with_scorers = posted is None or "scorers-TOTAL_FORMS" in request.POST
    formset = scorer_formset(posted if with_scorers else None, indicator=indicator)
    if request.method == "POST" and form.is_valid() and (not with_scorers or formset.is_valid()):
        aggregation = form.cleaned_data.get("aggregation") or None
        specs = formset.specs() if with_scorers else None
        try:
            if scorers_only and with_scorers:
                services.indicator_scorers_set(
                    actor=request.user,
                    indicator=indicator,
                    aggregation=aggregation or indicator.aggregation,
                    scorers=specs,
                )
            else:
                indicator = services.indicator_save(
                    actor=request.user,
                    scheme=scheme,
                    indicator=indicator,
                    institutions=list(form.cleaned_data["institutions"]),
                    aggregation=aggregation,
                    scorers=specs,
                    **form.indicator_fields(),
                )
            messages.success(request, _("Indicator %(code)s saved.") % {"code": indicator.code})
            return redirect("appraisal:scheme_detail", year=scheme.year)
        except ValidationError as e:
            rest = e
            if hasattr(e, "error_dict"):
                errors = e.message_dict
                for problem in errors.pop("scorers", []):
                    formset.non_form_errors().append(problem)
                rest = ValidationError(errors) if errors else None
            if rest is not None:
                apply_errors(form, rest)
    context = {
        "scheme": scheme,
        "form": form,
        "formset": formset,
        "title_code": title_code,
        "scorers_only": scorers_only,
        "can_save": scheme.status == Scheme.Status.DRAFT or (scorers_only and not scheme.is_locked),
    }
    return render(request, "appraisal/scheme_indicator_form.html", context)


@dataclass
class TargetRow:
    """One institution on one completion-ratio indicator: each half-year's target (or None) and
    the score it gives (a missing figure scores 0, as in the recompute)."""

    indicator: Indicator
    institution: Institution
    halves: list[tuple[str, Target | None, Decimal]]  # (period, target, score)


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def indicator_delete(request, year, pk):
    """Remove an indicator from a draft year, after a confirmation page that says what goes with
    it; the POST must carry the confirmation (a link or a replayed form does not remove)."""
    scheme = scheme_get_for_user(request.user, year=year)
    indicator = get_object_or_404(scheme.indicators.select_related("department"), pk=pk)
    error = None
    if request.method == "POST":
        if request.POST.get("confirm") != indicator.code:
            error = _("Confirm by removing exactly this indicator.")
        else:
            try:
                services.indicator_delete(actor=request.user, indicator=indicator)
            except ValidationError as e:
                error = " ".join(e.messages)
            else:
                messages.success(
                    request,
                    _("Indicator %(code)s removed from %(year)s.")
                    % {"code": indicator.code, "year": scheme.year},
                )
                return redirect("appraisal:scheme_detail", year=scheme.year)
    context = {
        "scheme": scheme,
        "indicator": indicator,
        "targets": indicator.targets.count(),
        "error": error,
    }
    return render(request, "appraisal/scheme_indicator_delete.html", context)


def _target_rows(scheme: Scheme, user) -> list[TargetRow]:
    """Every completion-ratio indicator of the year the user handles (HR all, a scorer their
    department's) × every institution it applies to: all appraised institutions (those in an
    assessment group, as the recompute counts them) or the listed ones. Four queries."""
    part_order = {part.value: n for n, part in enumerate(Part)}
    indicators = sorted(
        scheme.indicators.filter(method=Method.RATIO, pk__in=indicators_scored_by(user, scheme)),
        key=lambda i: (part_order[i.part], i.sort_order, i.code),
    )
    appraised = list(Institution.objects.filter(group__isnull=False).order_by("code"))
    listed: dict[int, list[Institution]] = defaultdict(list)
    for link in (
        Indicator.institutions.through.objects.filter(indicator__in=indicators)
        .select_related("institution")
        .order_by("institution__code")
    ):
        listed[link.indicator_id].append(link.institution)
    targets = {
        (t.indicator_id, t.institution_id, t.period): t
        for t in Target.objects.filter(indicator__scheme=scheme, indicator__method=Method.RATIO)
    }
    rows = []
    for indicator in indicators:
        rule = indicator.rule()
        for institution in appraised if indicator.applies_to_all else listed[indicator.pk]:
            halves = []
            for period in HalfYear.values:
                target = targets.get((indicator.pk, institution.pk, period))
                score = engine.indicator_score(
                    rule, Decimal(0), target.as_engine() if target else None
                )
                halves.append((period, target, engine.round_points(score)))
            rows.append(TargetRow(indicator, institution, halves))
    return rows


@role_required(Role.HR, Role.SCORER)
@require_http_methods(["GET", "POST"])
def scheme_targets(request, year):
    """Targets of the year's completion-ratio indicators, per half-year; one add/edit form
    above the table, filled from a half's "edit" link. HR sets targets; a scorer reports the
    actual values of their own department's indicators (the service enforces both)."""
    scheme = scheme_get_for_user(request.user, year=year)
    reporting = request.user.role == Role.SCORER
    if request.method == "POST":
        form = TargetForm(request.POST, scheme=scheme, user=request.user, reporting=reporting)
        if form.is_valid():
            try:
                target = services.target_save(
                    actor=request.user,
                    indicator=form.cleaned_data["indicator"],
                    institution=form.cleaned_data["institution"],
                    **form.target_fields(),
                )
                messages.success(
                    request,
                    _("%(period)s target of %(institution)s on %(indicator)s saved.")
                    % {
                        "period": target.get_period_display(),
                        "institution": form.cleaned_data["institution"],
                        "indicator": form.cleaned_data["indicator"].code,
                    },
                )
                return redirect(request.get_full_path())
            except ValidationError as e:
                apply_errors(form, e)
    else:
        chosen = {name: _int_param(request, name) for name in ("indicator", "institution")}
        period = request.GET.get("period")
        target = None
        if all(chosen.values()) and period in HalfYear.values:
            target = Target.objects.filter(
                indicator__scheme=scheme,
                indicator_id=chosen["indicator"],
                institution_id=chosen["institution"],
                period=period,
            ).first()
        form = TargetForm(scheme=scheme, target=target, user=request.user, reporting=reporting)
        form.initial.update({k: v for k, v in chosen.items() if v})
        if period in HalfYear.values:
            form.initial["period"] = period
    rows = _target_rows(scheme, request.user)
    page = Paginator(rows, TARGETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "scheme": scheme,
        "form": form,
        "page_obj": page,
        "querystring": "",
        "reporting": reporting,
        "periods": HalfYear.choices,
    }
    return render(request, "appraisal/scheme_targets.html", context)


# --- Approvals -----------------------------------------------------------------------------------


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def approvals(request):
    """Two tabs. Bonus and veto proposals waiting for HR, each with what approving it would do
    (its institution's bonus or veto deductions after it); with `?show=reviews`, the indicator
    points waiting for HR's review (评分复核), each with the points counted so far on the same
    indicator. Approving or rejecting goes through a confirm dialog; rejecting asks for the
    reason, which the audit trail and the decision keep."""
    if request.method == "POST":
        return _decide(request)
    reviews = request.GET.get("show") == "reviews"
    proposals = selectors.proposals_pending(user=request.user)
    waiting = selectors.reviews_pending(user=request.user)
    filterset = ProposalFilterSet(request.GET or None, queryset=waiting if reviews else proposals)
    page = Paginator(filterset.qs, APPROVALS_PER_PAGE).get_page(request.GET.get("page"))
    if not reviews:
        page.object_list = selectors.with_effects(page.object_list)
    # The other tab's count, for its label (one query).
    other = (proposals if reviews else waiting).count()
    context = {
        "page_obj": page,
        "filter": filterset,
        "show": "reviews" if reviews else "proposals",
        "proposals_count": other if reviews else page.paginator.count,
        "reviews_count": page.paginator.count if reviews else other,
    }
    return render(request, "appraisal/approvals.html", context)


def _decide(request):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("appraisal:approvals")
    entry = entry_get_for_user(request.user, pk=form.cleaned_data["entry"])
    approved = form.cleaned_data["decision"] == "approve"
    request.approvals_tab = "reviews" if entry.kind == LedgerEntry.Kind.INDICATOR else ""
    # A rejection says why (the department that proposed it reads it); an approval may.
    return confirmation_required(reason=not approved)(_decide_confirmed)(request, entry, approved)


def _decide_confirmed(request, entry, approved: bool):
    try:
        services.entry_decide(
            actor=request.user, entry=entry, approved=approved, note=request.confirmation_reason
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if request.approvals_tab:
            done = (
                _("Entry #%(id)s reviewed: it counts.")
                if approved
                else _("Entry #%(id)s rejected: it never counts.")
            )
        else:
            done = _("Proposal #%(id)s approved.") if approved else _("Proposal #%(id)s rejected.")
        messages.success(request, done % {"id": entry.pk})
    if request.approvals_tab:
        return redirect(reverse("appraisal:approvals") + "?show=reviews")
    return redirect("appraisal:approvals")


urlpatterns = [
    path("schemes/", scheme_list, name="scheme_list"),
    path("schemes/<int:year>/", scheme_detail, name="scheme_detail"),
    path("schemes/<int:year>/settings/", scheme_settings, name="scheme_settings"),
    path("schemes/<int:year>/indicators/new/", indicator_edit, name="indicator_create"),
    path("schemes/<int:year>/indicators/<int:pk>/edit/", indicator_edit, name="indicator_edit"),
    path(
        "schemes/<int:year>/indicators/<int:pk>/delete/", indicator_delete, name="indicator_delete"
    ),
    path("schemes/<int:year>/targets/", scheme_targets, name="scheme_targets"),
    path("approvals/", approvals, name="approvals"),
]
