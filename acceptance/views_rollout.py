"""Pages of the rollout (DESIGN.md §4, docs/ACCEPTANCE.md): the weekly report (周报) an institution
submits, the list of reports, and HR's rollout board. Thin: reads come from acceptance.rollout,
the report is written by services.weekly_report_submit, scope from acceptance.access and
orgs.access. Included by acceptance/urls.py (app namespace "acceptance")."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from orgs.access import has_role, institutions_visible_to
from orgs.models import Institution, Role, Stage
from orgs.views import apply_errors, role_required

from . import rollout, services
from .access import READERS
from .filters import ReportFilterSet, RolloutFilterSet
from .models import WeeklyReport, week_start

REPORTS_PER_PAGE = 50


class WeeklyReportForm(forms.Form):
    """The week's report. Kept beside its only view (acceptance/forms.py holds the batch pages'
    forms); the rules (0 to 100, a known stage, who may submit) are the service's."""

    stage = forms.ChoiceField(label=gettext_lazy("Rollout stage"), choices=Stage.choices)
    progress = forms.IntegerField(
        label=gettext_lazy("Progress (%)"),
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("How far the institution is through its rollout plan, 0 to 100."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    problems = forms.CharField(
        label=gettext_lazy("Problems"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=gettext_lazy("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _report_institution(request) -> Institution | None:
    """The pilot institution the report is for. A head: their own (another's code → 404); HR:
    the one named by `?institution=CODE`, or None to choose one first."""
    code = request.GET.get("institution")
    if has_role(request.user, Role.HR):
        pilots = Institution.objects.filter(is_pilot=True)
        if not code:
            return None
    else:
        pilots = institutions_visible_to(request.user).filter(is_pilot=True)
    if code:
        pilots = pilots.filter(code=code)
    institution = pilots.order_by("code").first()
    if institution is None:
        raise Http404
    return institution


def _initial(institution: Institution, current: WeeklyReport | None) -> dict:
    """This week's report when there is one (submitting again replaces it), else the stage and
    progress of the latest report, else the institution's stage."""
    previous = current or institution.weekly_reports.order_by("-week").first()
    if previous is None:
        return {"stage": institution.stage, "progress": 0}
    initial = {"stage": previous.stage, "progress": previous.progress}
    if current:
        initial |= {"problems": current.problems, "next_steps": current.next_steps}
    return initial


@role_required(Role.HR, Role.HEAD)
@require_http_methods(["GET", "POST"])
def report_submit(request):
    institution = _report_institution(request)
    if institution is None:
        pilots = Institution.objects.filter(is_pilot=True).order_by("code")
        return render(request, "acceptance/report_choose.html", {"pilots": pilots})
    today = timezone.localdate()
    week = week_start(today)
    current = WeeklyReport.objects.filter(institution=institution, week=week).first()
    form = WeeklyReportForm(request.POST or None, initial=_initial(institution, current))
    if request.method == "POST" and form.is_valid():
        try:
            services.weekly_report_submit(
                actor=request.user, institution=institution, day=today, **form.cleaned_data
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                _("The weekly report of %(name)s for the week of %(week)s is saved.")
                % {"name": institution.name, "week": week.isoformat()},
            )
            return redirect(reverse("acceptance:report_list") + f"?institution={institution.code}")
    context = {
        "institution": institution,
        "week": week,
        "week_end": week + datetime.timedelta(days=6),
        "current": current,
        "form": form,
        "form_rows": [[form["stage"], form["progress"]], [form["problems"], form["next_steps"]]],
        "missed_weeks": rollout.missed_weeks(institution, day=today),
    }
    return render(request, "acceptance/report_form.html", context)


@role_required(*READERS, Role.HEAD)
def report_list(request):
    filterset = ReportFilterSet(
        request.GET or None, queryset=rollout.report_list(user=request.user)
    )
    page = Paginator(filterset.qs, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    today = timezone.localdate()
    own = None
    if has_role(request.user, Role.HEAD):
        own = rollout.pilots_reporting_for(request.user).first()
    context = {
        "filter": filterset,
        "page_obj": page,
        "querystring": params.urlencode(),
        "institutions": rollout.pilots_reporting_for(request.user),
        "selected": request.GET.get("institution", ""),
        "week": week_start(today),
        "own": own,
        "missed_weeks": rollout.missed_weeks(own, day=today) if own else [],
        "can_submit": has_role(request.user, Role.HR) or own is not None,
    }
    return render(request, "acceptance/report_list.html", context)


@role_required(Role.HR, Role.AUDITOR, Role.ACCEPTANCE)
def rollout_board(request):
    filterset = RolloutFilterSet(request.GET or None, queryset=rollout.pilots_with_latest())
    board = rollout.rollout_board(day=timezone.localdate(), pilots=filterset.qs)
    context = {"board": board, "can_submit": has_role(request.user, Role.HR)}
    return render(request, "acceptance/rollout.html", context)


urlpatterns = [
    path("reports/", report_list, name="report_list"),
    path("reports/new/", report_submit, name="report_submit"),
    path("rollout/", rollout_board, name="rollout"),
]
