"""Who may see and change what. Every view, API view, import and export loads organisation
objects through these helpers; nothing else decides scope.

Rules (docs/PERMISSIONS.md):

* A user without a role, or inactive, sees nothing (deny by default).
* HR and auditors see every institution; acceptance team members see the pilot institutions;
  scorers see every institution (they score all of them) but no employee data;
  an institution head sees only the institution they head; a payroll officer only the
  institutions bound to them.
* A leader (领导) sees every institution, like a scorer (they score the indicators they are named
  on for every institution those apply to); results and entries only of their 联系单位
  (appraisal.access).
* A contact person (考核联络员) sees only the institution they are currently named for
  (ContactPerson), and of it only its reports and their evidence (reporting.access).
* Employees (personal and wage data) are visible to HR, auditors, payroll officers (their
  institutions) and heads (their own institution) — never to scorers or acceptance members.
* Only HR changes the organisation (groups, institutions, employees, imports).
* 三员 (等保 2.0): the system administrator manages accounts and roles, the security administrator
  the security policies, unlocks and second-factor resets, the audit administrator reads the
  audit trail. Their roles are not business roles: for every business page and API they count as
  an account without a role (`user_role` gives None), so none of them reads or changes schemes,
  entries, pay, letters, acceptance or bulletins, and none changes the audit trail.
* Only the audit administrator and auditors read the audit trail.
* An object outside the user's scope is answered with 404, so its existence is not revealed;
  a role that may never do an action gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Employee, Institution, Role

ROLES_SEEING_EMPLOYEES = frozenset({Role.HR, Role.AUDITOR, Role.PAYROLL, Role.HEAD})
ROLES_MANAGING_ORGS = frozenset({Role.HR})
ROLES_SEEING_AUDIT = frozenset({Role.AUDITOR, Role.AUDITADMIN})
# 三员: the administrators of the system, not of the business.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})
BUSINESS_ROLES = frozenset(Role) - ADMIN_ROLES


def account_role(user) -> str | None:
    """The account's role, business or administrator, or None: anonymous, inactive or
    role-less users."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    return user.role or None


def user_role(user) -> str | None:
    """The business role that counts for access, or None: anonymous, inactive or role-less users
    and the three administrators (三员), who have no business scope."""
    role = account_role(user)
    return role if role in BUSINESS_ROLES else None


def has_role(user, *roles) -> bool:
    """Any business role (no `roles` given), or one of `roles` (administrators' roles too)."""
    if not roles:
        return user_role(user) is not None
    return account_role(user) in roles


def can_manage_accounts(user) -> bool:
    return account_role(user) == Role.SYSADMIN


def can_manage_security(user) -> bool:
    return account_role(user) == Role.SECADMIN


def require_security_admin(user) -> None:
    if not can_manage_security(user):
        raise PermissionDenied


def require_account_admin(user) -> None:
    if not can_manage_accounts(user):
        raise PermissionDenied


def can_manage_orgs(user) -> bool:
    return user_role(user) in ROLES_MANAGING_ORGS


def can_view_audit(user) -> bool:
    """The audit trail (every event, of every app) is for the audit administrator and auditors
    only (三员: HR, whose actions it records, does not read it)."""
    return account_role(user) in ROLES_SEEING_AUDIT


def require_manage_orgs(user) -> None:
    if not can_manage_orgs(user):
        raise PermissionDenied


def institutions_visible_to(user) -> QuerySet[Institution]:
    qs = Institution.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR, Role.SCORER, Role.LEADER):
        return qs
    if role == Role.CONTACT:
        return qs.filter(contact_persons__user=user, contact_persons__ended_at__isnull=True)
    if role == Role.ACCEPTANCE:
        return qs.filter(is_pilot=True)
    if role == Role.HEAD:
        return qs.filter(head=user)
    if role == Role.PAYROLL:
        return qs.filter(payroll_officers=user)
    return qs.none()


def contact_institution(user) -> Institution | None:
    """The institution a contact person is currently named for, or None."""
    if user_role(user) != Role.CONTACT:
        return None
    return institutions_visible_to(user).first()


def institution_get_for_user(user, *, pk=None, code=None) -> Institution:
    """The institution if the user may see it; Http404 otherwise (also when it does not exist)."""
    if (pk is None) == (code is None):
        raise TypeError("Give exactly one of pk or code.")
    lookup = {"pk": pk} if pk is not None else {"code": code}
    try:
        return institutions_visible_to(user).select_related("group", "head").get(**lookup)
    except (Institution.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_view_employees(user, institution: Institution | None = None) -> bool:
    """Whether the user's role may see employee data, and (given one) of this institution."""
    if user_role(user) not in ROLES_SEEING_EMPLOYEES:
        return False
    if institution is None:
        return True
    return institutions_visible_to(user).filter(pk=institution.pk).exists()


def employees_visible_to(user) -> QuerySet[Employee]:
    if user_role(user) not in ROLES_SEEING_EMPLOYEES:
        return Employee.objects.none()
    return Employee.objects.filter(institution__in=institutions_visible_to(user))


def employee_get_for_user(user, *, pk) -> Employee:
    try:
        return employees_visible_to(user).select_related("institution").get(pk=pk)
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
