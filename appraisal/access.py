"""Who may see what of the appraisal. Builds on orgs.access (institution scope); every view, API
view, export and evidence download of the appraisal loads through these helpers.

* Schemes and indicators: every role may read them (they are the published rules).
* Indicators a user scores: HR all; a scorer their department's and those their department is a
  listed scorer of (IndicatorScorer, several scorers); a leader (领导) those they are listed on.
* Ledger entries: HR and auditors all; a scorer those of their department (indicator entries of
  its indicators and of those it is a listed scorer of, bonus and veto proposals it made); a
  leader their own entries and every official entry of their 联系单位 (User.contact_institutions);
  an institution head only their own institution's (official and self-assessment); other roles
  none.
* Results: HR, auditors and scorers all; a head their own institution's; a payroll officer those
  of their institutions (pay depends on them); a leader those of their 联系单位; acceptance
  members none.
* Targets: as the indicators and institutions above (a leader their 联系单位's).
* Appeals (申诉): as the entries they are on. HR and auditors all; a scorer those on their
  department's entries; a leader those of their 联系单位; a head their own institution's; other
  roles none.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from orgs.access import institutions_visible_to, user_role
from orgs.models import Role

from .models import Appeal, Indicator, IndicatorScorer, LedgerEntry, Result, Scheme, Target


def schemes_visible_to(user) -> QuerySet[Scheme]:
    return Scheme.objects.all() if user_role(user) else Scheme.objects.none()


def scheme_get_for_user(user, *, year) -> Scheme:
    try:
        return schemes_visible_to(user).get(year=year)
    except (Scheme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def indicators_scored_by(user, scheme: Scheme) -> QuerySet[Indicator]:
    """The indicators the user may enter points on: HR all, a scorer their department's and
    those it is a listed scorer of, a leader those they are listed on."""
    qs = Indicator.objects.filter(scheme=scheme)
    role = user_role(user)
    if role == Role.HR:
        return qs
    if role == Role.SCORER:
        return qs.filter(
            Q(department_id=user.scoring_department_id)
            | Q(pk__in=_listed(department_id=user.scoring_department_id))
        )
    if role == Role.LEADER:
        return qs.filter(pk__in=_listed(leader_id=user.pk))
    return qs.none()


def _listed(**scorer) -> QuerySet:
    """The ids of the indicators a department or a leader is a listed scorer of (a subquery)."""
    return IndicatorScorer.objects.filter(**scorer).values("indicator_id")


def _contact_institutions(user) -> QuerySet:
    """A leader's 联系单位 (a subquery)."""
    return user.contact_institutions.values("pk")


def entries_visible_to(user) -> QuerySet[LedgerEntry]:
    qs = LedgerEntry.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR):
        return qs
    if role == Role.SCORER:
        return qs.filter(
            Q(indicator__department_id=user.scoring_department_id)
            | Q(indicator_id__in=_listed(department_id=user.scoring_department_id))
            | Q(department_id=user.scoring_department_id)
        )
    if role == Role.LEADER:
        return qs.filter(
            Q(leader_id=user.pk)
            | Q(is_official=True, institution_id__in=_contact_institutions(user))
        )
    if role == Role.HEAD:
        return qs.filter(institution__in=institutions_visible_to(user))
    return qs.none()


def entry_get_for_user(user, *, pk) -> LedgerEntry:
    try:
        return (
            entries_visible_to(user).select_related("scheme", "institution", "indicator").get(pk=pk)
        )
    except (LedgerEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def results_visible_to(user) -> QuerySet[Result]:
    qs = Result.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR, Role.SCORER):
        return qs
    if role in (Role.HEAD, Role.PAYROLL):
        return qs.filter(institution__in=institutions_visible_to(user))
    if role == Role.LEADER:
        return qs.filter(institution_id__in=_contact_institutions(user))
    return qs.none()


def targets_visible_to(user):
    """HR and auditors all targets; a scorer those of their department's indicators; a head their
    institution's. (The scope of appraisal.access, applied to targets.)"""
    qs = Target.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR):
        return qs
    if role == Role.SCORER:
        return qs.filter(indicator__department_id=user.scoring_department_id)
    if role == Role.LEADER:
        return qs.filter(institution_id__in=_contact_institutions(user))
    if role == Role.HEAD:
        return qs.filter(institution__in=institutions_visible_to(user))
    return qs.none()


def appeals_visible_to(user) -> QuerySet[Appeal]:
    """The appeals the user may read: those on the entries they may read (entries_visible_to)."""
    qs = Appeal.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR):
        return qs
    if role == Role.SCORER:
        return qs.filter(
            Q(entry__indicator__department_id=user.scoring_department_id)
            | Q(entry__indicator_id__in=_listed(department_id=user.scoring_department_id))
            | Q(entry__department_id=user.scoring_department_id)
        )
    if role == Role.LEADER:
        return qs.filter(
            Q(entry__leader_id=user.pk) | Q(institution_id__in=_contact_institutions(user))
        )
    if role == Role.HEAD:
        return qs.filter(institution__in=institutions_visible_to(user))
    return qs.none()


def appeal_get_for_user(user, *, pk) -> Appeal:
    try:
        return (
            appeals_visible_to(user)
            .select_related(
                "scheme",
                "institution",
                "entry__indicator",
                "entry__created_by",
                "submitted_by",
                "answered_by",
                "reversal",
            )
            .get(pk=pk)
        )
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
