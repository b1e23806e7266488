"""Appraisal pages: results. The rankings per assessment group, HR's "recompute now", and an
institution's own result beside its ledger. Thin: objects come through appraisal.access /
orgs.access, reads through appraisal.selectors."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgs.access import institution_get_for_user, institutions_visible_to, user_role
from orgs.models import Role
from orgs.views import role_required

from .. import access, engine, selectors, tasks
from ..filters import RankingFilterSet, ordering_terms
from ..models import Scheme
from .transfer import RANKING_ROLES

ENTRIES_PER_PAGE = 50

# The year-less entry points for navigation links: page → URL name.
LATEST_PAGES = {
    "scoring": "appraisal:scoring_grid",
    "ledger": "appraisal:ledger",
    "rankings": "appraisal:rankings",
    "mine": "appraisal:my_results",
}


@role_required(*RANKING_ROLES)
def rankings(request, year):
    """The year's rankings per group. Two views of the same rows, so that each fits a laptop's
    screen: the scores (parts, bonus, veto deductions, total, grade, prize, flags) and, with
    `?view=gaps`, what separates each institution from the qualify line, the next prize and its
    neighbours. Sorted within each group by `?ordering=` (filters.RankingFilterSet)."""
    scheme = access.scheme_get_for_user(request.user, year=year)
    if request.GET.get("period", "").lower() == engine.Period.H1:
        return redirect("appraisal:rankings_h1", year=scheme.year)
    ranked = selectors.rankings(
        user=request.user,
        scheme=scheme,
        page=request.GET.get("page"),
        ordering=ordering_terms(RankingFilterSet(request.GET or None)),
    )
    context = {
        "scheme": scheme,
        "groups": ranked.groups,
        "index": ranked.index,
        "page_obj": ranked.page,
        "state": selectors.results_state(scheme),
        "view": "gaps" if request.GET.get("view") == "gaps" else "scores",
        "can_recompute": user_role(request.user) == Role.HR,
        "can_export": user_role(request.user) in RANKING_ROLES,
    }
    return render(request, "appraisal/rankings.html", context)


@role_required(*RANKING_ROLES)
def rankings_h1(request, year):
    """The mid-year ranking (上半年排名): 公共目标 and 业务目标 their first-half scores,
    执行力建设, bonus and veto deductions as scored so far; ranked in the group, vetoed last,
    graded against the qualify line; no prizes (they are annual)."""
    scheme = access.scheme_get_for_user(request.user, year=year)
    ranked = selectors.rankings(
        user=request.user,
        scheme=scheme,
        page=request.GET.get("page"),
        period=engine.Period.H1,
        ordering=ordering_terms(RankingFilterSet(request.GET or None)),
    )
    context = {
        "scheme": scheme,
        "groups": ranked.groups,
        "index": ranked.index,
        "page_obj": ranked.page,
        "state": selectors.results_state(scheme),
        "can_export": user_role(request.user) in RANKING_ROLES,
    }
    return render(request, "appraisal/rankings_h1.html", context)


@role_required(Role.HR)
@require_POST
def rankings_recompute(request, year):
    scheme = access.scheme_get_for_user(request.user, year=year)
    # Queued on commit; the embedded default runs it at once, in this request.
    tasks.recompute_request(scheme.pk)
    messages.success(
        request, _("A recompute of the %(year)s results is queued.") % {"year": scheme.year}
    )
    return redirect("appraisal:rankings", year=scheme.year)


@role_required(Role.HEAD, Role.PAYROLL, Role.LEADER)
def my_results(request, year):
    """A head's own result and ledger. A payroll officer sees the result of an institution
    bound to them, a leader (领导) that of one of their 联系单位 (?institution=CODE; the first
    of theirs without it), each with the per-indicator drill-down (selectors.indicator_breakdown:
    every scorer's part of an average or weighted indicator)."""
    scheme = access.scheme_get_for_user(request.user, year=year)
    code = request.GET.get("institution")
    mine = _institutions_of(request.user)
    if code and user_role(request.user) == Role.LEADER:
        institution = get_object_or_404(mine, code=code)
    elif code:
        institution = institution_get_for_user(request.user, code=code)
    else:
        institution = mine.select_related("group").first()
    context = {"scheme": scheme, "institution": institution, "own": None, "page_obj": None}
    if institution is not None:
        context["own"] = selectors.own_result(
            user=request.user, scheme=scheme, institution=institution
        )
        context["state"] = selectors.results_state(scheme)
        if context["own"].result is not None and scheme.status != Scheme.Status.DRAFT:
            context["breakdown"] = selectors.indicator_breakdown(
                scheme=scheme, institution=institution
            )
        if user_role(request.user) == Role.HEAD:
            entries = selectors.ledger_list(user=request.user, scheme=scheme).filter(
                institution=institution
            )
            page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
            page.object_list = selectors.with_states(page.object_list)
            context["page_obj"] = page
            context["querystring"] = f"institution={institution.code}" if code else ""
        else:
            context["institutions"] = mine.order_by("code")
    return render(request, "appraisal/my_results.html", context)


def _institutions_of(user):
    """The institutions whose result the page shows: a leader's 联系单位, otherwise those the
    user sees (a head's own, a payroll officer's bound ones)."""
    if user_role(user) == Role.LEADER:
        return user.contact_institutions.all()
    return institutions_visible_to(user)


@role_required()
def latest(request, page):
    """The latest year that is not a draft, for navigation links that carry no year."""
    if page not in LATEST_PAGES:
        raise Http404
    scheme = (
        access.schemes_visible_to(request.user)
        .exclude(status=Scheme.Status.DRAFT)
        .order_by("-year")
        .first()
    )
    if scheme is None:
        raise Http404
    target = reverse(LATEST_PAGES[page], kwargs={"year": scheme.year})
    # The one filter a link without a year carries: a leader's 联系单位 (My results).
    if code := request.GET.get("institution", "").strip():
        target += "?" + urlencode({"institution": code})
    return redirect(target)


urlpatterns = [
    path("years/<int:year>/rankings/", rankings, name="rankings"),
    path("years/<int:year>/rankings/h1/", rankings_h1, name="rankings_h1"),
    path("years/<int:year>/rankings/recompute/", rankings_recompute, name="rankings_recompute"),
    path("years/<int:year>/mine/", my_results, name="my_results"),
    path("latest/<slug:page>/", latest, name="latest"),
]
