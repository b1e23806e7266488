"""Appraisal pages: scoring. The scorer's grid, the entry form, reversing an entry, the ledger
and evidence downloads. Thin: objects come through appraisal.access / orgs.access, reads
through appraisal.selectors, writes through appraisal.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orgs.access import has_role
from orgs.confirm import confirmation_required
from orgs.downloads import stored_file_response
from orgs.models import Role
from orgs.views import apply_errors, role_required

from .. import access, selectors, services
from ..filters import GridRowFilterSet, LedgerFilterSet, ordering_terms
from ..models import Part
from ..scoring_forms import EntryForm, GridFilterForm

ENTRIES_PER_PAGE = 50
LEDGER_ROLES = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD, Role.LEADER)
# A leader (领导) enters points on the indicators they are named on (IndicatorScorer).
ENTERING_ROLES = (Role.HR, Role.SCORER, Role.HEAD, Role.LEADER)
PREFILL = ("institution", "kind", "indicator", "period")


def ledger_url(year: int, **filters) -> str:
    url = reverse("appraisal:ledger", kwargs={"year": year})
    return f"{url}?{urlencode(filters)}" if filters else url


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@role_required(Role.HR, Role.SCORER, Role.LEADER)
def scoring_grid(request, year):
    scheme = access.scheme_get_for_user(request.user, year=year)
    form = GridFilterForm(request.GET or None, user=request.user, scheme=scheme)
    filters = form.cleaned_data if form.is_valid() else {}
    among = None
    if filters.get("unscored"):
        period = selectors.current_half(scheme.year, timezone.localdate())
        among = selectors.indicators_unscored(user=request.user, scheme=scheme, period=period)
    grid = selectors.grid(
        user=request.user,
        scheme=scheme,
        part=filters.get("part") or None,
        indicator=filters.get("indicator"),
        among=among,
        ordering=ordering_terms(GridRowFilterSet(request.GET or None)),
    )
    return render(
        request, "appraisal/scoring_grid.html", {"scheme": scheme, "form": form, "grid": grid}
    )


@role_required(*ENTERING_ROLES)
@require_http_methods(["GET", "POST"])
def entry_create(request, year):
    scheme = access.scheme_get_for_user(request.user, year=year)
    posted = request.method == "POST"
    form = EntryForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        scheme=scheme,
        # The grid's links preselect institution, indicator and period.
        initial={k: request.GET[k] for k in PREFILL if k in request.GET},
    )
    if posted and form.is_valid():
        fields = form.entry_fields()
        try:
            entry = services.ledger_entry_create(actor=request.user, scheme=scheme, **fields)
        except ValidationError as e:
            apply_errors(form, e)
            if any(
                error.code == services.IDEMPOTENCY_KEY_REUSED
                for error in getattr(e, "error_list", ())
            ):
                form.renew_idempotency_key()
        else:
            messages.success(
                request,
                _("Entry #%(id)s recorded. A recompute of the results is queued.")
                % {"id": entry.pk},
            )
            return redirect(ledger_url(scheme.year, institution=entry.institution.code))
    # 评分需复核: a scorer's or a leader's indicator points there wait for HR's review.
    reviewed = has_role(request.user, Role.SCORER, Role.LEADER)
    review_parts = [str(p.label) for p in Part if reviewed and scheme.review_required(p.value)]
    return render(
        request,
        "appraisal/scoring_entry_form.html",
        {
            "scheme": scheme,
            "form": form,
            "self_assessment": form.is_self_assessment,
            "review_parts": review_parts,
        },
    )


@role_required(*ENTERING_ROLES)
@require_POST
def entry_reverse(request, pk):
    """Reverse an entry, once its dialog is confirmed with the reason. Who may is checked first:
    an entry out of reach answers 404 and one the user may not reverse 403, whatever was posted
    (a refused confirmation says nothing about an entry the user cannot see)."""
    entry = access.entry_get_for_user(request.user, pk=pk)
    if not services.can_reverse(request.user, entry):
        raise PermissionDenied
    return _entry_reverse_confirmed(request, entry)


@confirmation_required(reason=True)
def _entry_reverse_confirmed(request, entry):
    try:
        reversal = services.ledger_entry_reverse(
            actor=request.user, entry=entry, reason=request.confirmation_reason
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("Entry #%(id)s reversed by #%(new)s. A recompute of the results is queued.")
            % {"id": entry.pk, "new": reversal.pk},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ledger_url(entry.scheme.year, institution=entry.institution.code)
    return redirect(target)


@role_required(*LEDGER_ROLES)
def ledger(request, year):
    scheme = access.scheme_get_for_user(request.user, year=year)
    filterset = LedgerFilterSet(
        request.GET or None,
        queryset=selectors.ledger_list(user=request.user, scheme=scheme),
        user=request.user,
        scheme=scheme,
    )
    entries = filterset.qs
    if filterset.is_bound and set(filterset.errors) - {"ordering"}:
        # A filter the user may not use (another institution) shows nothing, not everything; an
        # unknown sort column only leaves the usual order.
        entries = entries.none()
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_states(page.object_list)
    return render(
        request,
        "appraisal/ledger.html",
        {
            "scheme": scheme,
            "filter": filterset,
            "form": filterset.form,
            "page_obj": page,
            "querystring": _querystring_without_page(request),
            "can_enter": has_role(request.user, *ENTERING_ROLES),
        },
    )


@role_required()
def evidence(request, pk):
    """An entry's evidence file, to those who may see the entry; never from a public URL."""
    entry = access.entry_get_for_user(request.user, pk=pk)
    return stored_file_response(entry.evidence)


urlpatterns = [
    path("years/<int:year>/scoring/", scoring_grid, name="scoring_grid"),
    path("years/<int:year>/entries/new/", entry_create, name="entry_create"),
    path("years/<int:year>/ledger/", ledger, name="ledger"),
    path("entries/<int:pk>/reverse/", entry_reverse, name="entry_reverse"),
    path("entries/<int:pk>/evidence/", evidence, name="evidence"),
]
