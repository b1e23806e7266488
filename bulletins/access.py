"""Who sees which bulletins and explanation requests (docs/BULLETINS.md, "Who sees what";
docs/PERMISSIONS.md). Every page, API view and export of the bulletins loads through these helpers.

* Bulletins: HR and auditors see every bulletin, drafts included; scorers, institution heads,
  payroll officers and acceptance members see published ones only, and a published bulletin
  whole: the rankings of the groups are public inside the group company (通报 is addressed to
  all units), so a head sees the other units of every group too.
* Explanation requests (情况说明): HR and auditors all; an institution head only their own
  institution's; nobody else.
* Users without a role see nothing. Out of scope (or missing) answers 404.
"""

from django.db.models import QuerySet
from django.http import Http404

from orgs.access import institutions_visible_to, user_role
from orgs.models import Role

from .models import Bulletin, ExplanationRequest

READ_ALL = (Role.HR, Role.AUDITOR)
READ_PUBLISHED = (Role.SCORER, Role.HEAD, Role.PAYROLL, Role.ACCEPTANCE)
EXPLANATION_READERS = (Role.HR, Role.AUDITOR, Role.HEAD)


def bulletins_visible_to(user) -> QuerySet[Bulletin]:
    role = user_role(user)
    if role in READ_ALL:
        return Bulletin.objects.all()
    if role in READ_PUBLISHED:
        return Bulletin.objects.filter(status=Bulletin.Status.PUBLISHED)
    return Bulletin.objects.none()


def bulletin_get_for_user(user, *, pk) -> Bulletin:
    try:
        return (
            bulletins_visible_to(user)
            .select_related("scheme", "published_by", "previous")
            .get(pk=pk)
        )
    except (Bulletin.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def explanations_visible_to(user) -> QuerySet[ExplanationRequest]:
    role = user_role(user)
    if role in READ_ALL:
        return ExplanationRequest.objects.all()
    if role == Role.HEAD:
        return ExplanationRequest.objects.filter(institution__in=institutions_visible_to(user))
    return ExplanationRequest.objects.none()


def explanation_get_for_user(user, *, pk) -> ExplanationRequest:
    try:
        return (
            explanations_visible_to(user)
            .select_related(
                "bulletin__scheme", "institution", "submitted_by", "reviewed_by", "scheme"
            )
            .get(pk=pk)
        )
    except (ExplanationRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
