"""Celery tasks of payroll. They take ids and are idempotent: recomputing a draft replaces its
lines, and a confirmed run is never touched, so a retried task never pays twice.

payroll.services queues `payroll.refresh_draft_runs` by name (this module imports the services).
The month's export, `payroll.export_month`, is defined beside its job records in
payroll/transfer/jobs.py; the worker finds it through config/celery.py's autodiscovery."""

import datetime

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db.models import Q

from orgs.models import Institution

from . import services
from .models import PayPolicy, PayrollRun


@shared_task(name="payroll.refresh_draft_runs")
def refresh_draft_runs(institution_ids: list[int] | None = None) -> dict:
    """After results, policies or grades change: recompute every draft run (of these
    institutions). A draft whose inputs are now incomplete keeps its lines and is reported."""
    runs = PayrollRun.objects.filter(status=PayrollRun.Status.DRAFT).select_related("institution")
    if institution_ids:
        runs = runs.filter(institution_id__in=institution_ids)
    done, refused = 0, {}
    for run in runs:
        try:
            services.payroll_run_compute(actor=None, institution=run.institution, month=run.month)
            done += 1
        except ValidationError as e:
            refused[str(run)] = e.messages
    return {"recomputed": done, "refused": refused}


@shared_task(name="payroll.run_month")
def run_month(month_iso: str) -> dict:
    """Compute the draft runs of a month (YYYY-MM-01) for every institution with a pay policy."""
    month = datetime.date.fromisoformat(month_iso)
    institutions = (
        Institution.objects.filter(
            Q(pay_policies__year=month.year) | Q(pay_policies__settlement_month=month)
        )
        .distinct()
        .order_by("code")
    )
    done, refused = [], {}
    for institution in institutions:
        try:
            services.payroll_run_compute(actor=None, institution=institution, month=month)
            done.append(institution.code)
        except ValidationError as e:
            refused[institution.code] = e.messages
    return {
        "computed": done,
        "refused": refused,
        "policies": PayPolicy.objects.filter(year=month.year).count(),
    }
