"""Who may see and change what. Every view, API view, import and export loads organisation
objects through these helpers; nothing else decides scope.

Rules (docs/PERMISSIONS.md):

* A user without a role, or inactive, sees nothing (deny by default).
* HR and auditors see every institution; acceptance team members see the pilot institutions;
  scorers see every institution (they score all of them) but no employee data;
  an institution head sees only the institution they head; a payroll officer only the
  institutions bound to them.
* Employees (personal and wage data) are visible to HR, auditors, payroll officers (their
  institutions) and heads (their own institution) — never to scorers or acceptance members.
* Only HR changes the organisation (groups, institutions, employees, imports).
* Only HR and auditors read the audit trail.
* An object outside the user's scope is answered with 404, so its existence is not revealed;
  a role that may never do an action gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Employee, Institution, Role

ROLES_SEEING_EMPLOYEES = frozenset({Role.HR, Role.AUDITOR, Role.PAYROLL, Role.HEAD})
ROLES_MANAGING_ORGS = frozenset({Role.HR})
ROLES_SEEING_AUDIT = frozenset({Role.HR, Role.AUDITOR})


def user_role(user) -> str | None:
    """The role that counts for access, or None: anonymous, inactive or role-less users."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    return user.role or None


def has_role(user, *roles) -> bool:
    role = user_role(user)
    return role is not None and (not roles or role in roles)


def can_manage_orgs(user) -> bool:
    return user_role(user) in ROLES_MANAGING_ORGS


def can_view_audit(user) -> bool:
    """The audit trail (every event, of every app) is for HR and auditors only."""
    return user_role(user) in ROLES_SEEING_AUDIT


def require_manage_orgs(user) -> None:
    if not can_manage_orgs(user):
        raise PermissionDenied


def institutions_visible_to(user) -> QuerySet[Institution]:
    qs = Institution.objects.all()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR, Role.SCORER):
        return qs
    if role == Role.ACCEPTANCE:
        return qs.filter(is_pilot=True)
    if role == Role.HEAD:
        return qs.filter(head=user)
    if role == Role.PAYROLL:
        return qs.filter(payroll_officers=user)
    return qs.none()


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
