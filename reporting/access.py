"""Who may see what of 数据填报 (docs/REPORTING.md, "Who sees what"). Every page, API view, export,
import and evidence download loads reports and items through these helpers; deny by default.

* HR and auditors: every report and item (only HR does 复核).
* An institution head and its contact persons (current namings only, orgs.access): their own
  institution's reports, every item.
* A scorer: the items of their department's indicators that were sent to HQ, and the reports
  holding them (showing only those items).
* A leader: read-only, the reports of their 联系单位 (User.contact_institutions).
* Anyone else: nothing. Out of scope is 404; a role that may never act, 403.
"""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from orgs.access import institutions_visible_to, user_role
from orgs.models import Institution, Role

from .models import Report, ReportEvidence, ReportItem

READERS = (Role.HR, Role.AUDITOR, Role.HEAD, Role.CONTACT, Role.SCORER, Role.LEADER)
# Those who prepare and submit their institution's report.
PREPARERS = (Role.HEAD, Role.CONTACT)
INSTITUTION_ROLES = PREPARERS


def own_institutions(user) -> QuerySet[Institution]:
    """The institutions the user reports for: a head's own, a contact person's current one."""
    if user_role(user) in PREPARERS:
        return institutions_visible_to(user)
    return Institution.objects.none()


def items_visible_to(user) -> QuerySet[ReportItem]:
    qs = ReportItem.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR):
        return qs
    if role in PREPARERS:
        return qs.filter(report__institution__in=own_institutions(user))
    if role == Role.SCORER and user.scoring_department_id:
        return qs.filter(
            indicator__department_id=user.scoring_department_id, sent_up_at__isnull=False
        )
    if role == Role.LEADER:
        return qs.filter(report__institution__in=user.contact_institutions.all())
    return qs.none()


def reports_visible_to(user) -> QuerySet[Report]:
    qs = Report.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR):
        return qs
    if role in PREPARERS:
        return qs.filter(institution__in=own_institutions(user))
    if role == Role.SCORER:
        mine = items_visible_to(user).filter(report=OuterRef("pk"))
        return qs.filter(Exists(mine))
    if role == Role.LEADER:
        return qs.filter(institution__in=user.contact_institutions.all())
    return qs.none()


def report_get_for_user(user, *, pk) -> Report:
    try:
        return reports_visible_to(user).select_related("scheme", "institution").get(pk=pk)
    except (Report.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def item_get_for_user(user, *, pk) -> ReportItem:
    try:
        return (
            items_visible_to(user)
            .select_related(
                "report__scheme", "report__institution", "indicator__department", "target"
            )
            .get(pk=pk)
        )
    except (ReportItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def evidence_get_for_user(user, *, pk) -> ReportEvidence:
    try:
        return ReportEvidence.objects.select_related("item").get(
            pk=pk, item__in=items_visible_to(user)
        )
    except (ReportEvidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_prepare(user, report: Report) -> bool:
    """The institution's head or one of its current contact persons."""
    return own_institutions(user).filter(pk=report.institution_id).exists()


def is_head_of(user, report: Report) -> bool:
    return user_role(user) == Role.HEAD and report.institution.head_id == user.pk


def can_first_review(user, item: ReportItem) -> bool:
    return (
        user_role(user) == Role.SCORER
        and user.scoring_department_id is not None
        and user.scoring_department_id == item.indicator.department_id
    )


def can_second_review(user) -> bool:
    return user_role(user) == Role.HR
