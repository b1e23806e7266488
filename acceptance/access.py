"""Who sees what of the acceptance (docs/PERMISSIONS.md):

* HR, auditors and acceptance team members: every batch, inspection and weekly report;
* an institution head: the batches their institution is in, only their institution's
  inspections and ticks, and their institution's weekly reports;
* nobody else. Out of scope answers 404. Ticking and deciding: members of the batch's team
  (and HR); batches: HR; weekly reports: the institution's head (and HR)."""

from django.db.models import QuerySet
from django.http import Http404

from orgs.access import institutions_visible_to, user_role
from orgs.models import Role

from .models import Batch, Inspection, WeeklyReport

READERS = (Role.HR, Role.AUDITOR, Role.ACCEPTANCE)


def batches_visible_to(user) -> QuerySet[Batch]:
    role = user_role(user)
    if role in READERS:
        return Batch.objects.all()
    if role == Role.HEAD:
        return Batch.objects.filter(
            inspections__institution__in=institutions_visible_to(user)
        ).distinct()
    return Batch.objects.none()


def batch_get_for_user(user, *, pk) -> Batch:
    try:
        return batches_visible_to(user).select_related("team", "standard").get(pk=pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def inspections_visible_to(user) -> QuerySet[Inspection]:
    role = user_role(user)
    if role in READERS:
        return Inspection.objects.all()
    if role == Role.HEAD:
        return Inspection.objects.filter(institution__in=institutions_visible_to(user))
    return Inspection.objects.none()


def inspection_get_for_user(user, *, pk) -> Inspection:
    try:
        return (
            inspections_visible_to(user)
            .select_related("batch__team", "batch__standard", "institution")
            .get(pk=pk)
        )
    except (Inspection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def reports_visible_to(user) -> QuerySet[WeeklyReport]:
    role = user_role(user)
    if role in READERS:
        return WeeklyReport.objects.all()
    if role == Role.HEAD:
        return WeeklyReport.objects.filter(institution__in=institutions_visible_to(user))
    return WeeklyReport.objects.none()
