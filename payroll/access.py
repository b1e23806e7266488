"""Who may see what of payroll. Builds on orgs.access (institution scope); every page, API view,
export and reconciliation of payroll loads runs, lines and policies through these helpers.

Rules (docs/PAYROLL.md "Who", docs/PERMISSIONS.md):

* Runs: HR and auditors all; a payroll officer those of the institutions bound to them; an
  institution head those of their own institution — its totals only, never individual lines.
* Lines (one employee's pay): HR, auditors and the bound payroll officer; never heads, scorers
  or acceptance team members.
* Policies: HR and auditors all; a payroll officer those of their institutions.
* Coefficients (global, the rules of the year): HR changes them, auditors read them.
* Individual grades: HR records them; auditors and bound payroll officers read them (they are
  on the lines anyway).
* Computing and confirming a run: payroll.services.can_run_payroll (HR, bound officer).
* Outside the user's scope → 404; a role that may never do it → 403 (checked by the views).
"""

from django.db.models import QuerySet
from django.http import Http404

from orgs.access import institutions_visible_to, user_role
from orgs.models import Role

from .models import PayPolicy, PayrollLine, PayrollRun

ROLES_SEEING_RUNS = frozenset({Role.HR, Role.AUDITOR, Role.PAYROLL, Role.HEAD})
ROLES_SEEING_LINES = frozenset({Role.HR, Role.AUDITOR, Role.PAYROLL})
ROLES_SEEING_POLICIES = frozenset({Role.HR, Role.AUDITOR, Role.PAYROLL})
ROLES_SEEING_COEFFICIENTS = frozenset({Role.HR, Role.AUDITOR})
ROLES_SEEING_GRADES = ROLES_SEEING_LINES
# Who may compute and confirm at all; the institution is services.can_run_payroll's to check.
ROLES_RUNNING_PAYROLL = frozenset({Role.HR, Role.PAYROLL})
ROLES_EDITING_SETTINGS = frozenset({Role.HR})


def _all_or_bound(user, qs: QuerySet, institution_field: str, roles) -> QuerySet:
    role = user_role(user)
    if role not in roles:
        return qs.none()
    if role in (Role.HR, Role.AUDITOR):
        return qs
    return qs.filter(**{f"{institution_field}__in": institutions_visible_to(user)})


def runs_visible_to(user) -> QuerySet[PayrollRun]:
    return _all_or_bound(user, PayrollRun.objects.all(), "institution", ROLES_SEEING_RUNS)


def run_get_for_user(user, *, pk) -> PayrollRun:
    """The run if the user may see it (perhaps its totals only: see can_view_lines); Http404
    otherwise, also when it does not exist."""
    try:
        return runs_visible_to(user).select_related("institution", "confirmed_by").get(pk=pk)
    except (PayrollRun.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_view_lines(user) -> bool:
    """Whether the role may see individual lines (of the runs it sees: a head never may)."""
    return user_role(user) in ROLES_SEEING_LINES


def lines_visible_to(user) -> QuerySet[PayrollLine]:
    return _all_or_bound(user, PayrollLine.objects.all(), "run__institution", ROLES_SEEING_LINES)


def policies_visible_to(user) -> QuerySet[PayPolicy]:
    return _all_or_bound(user, PayPolicy.objects.all(), "institution", ROLES_SEEING_POLICIES)


def policy_get_for_user(user, *, pk) -> PayPolicy:
    try:
        return policies_visible_to(user).select_related("institution").get(pk=pk)
    except (PayPolicy.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_edit_settings(user) -> bool:
    """Policies, coefficients and individual grades are HR's (the services check again)."""
    return user_role(user) in ROLES_EDITING_SETTINGS


def can_run_payroll_at_all(user) -> bool:
    return user_role(user) in ROLES_RUNNING_PAYROLL
