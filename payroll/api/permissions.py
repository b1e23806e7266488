"""Which roles may reach a payroll endpoint at all. A role outside these sets gets 403; the scope
inside them (which institutions' runs, lines, policies) is payroll.access's, and who may run
whose payroll is payroll.services.can_run_payroll's."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from orgs import access as org_access
from payroll import access


class _ReadWriteRoles(BasePermission):
    read_roles: frozenset = frozenset()
    # None: the endpoint is read-only, so a reader's write is answered 405 by the view.
    write_roles: frozenset | None = None

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or self.write_roles is None:
            return org_access.has_role(request.user, *self.read_roles)
        return org_access.has_role(request.user, *self.write_roles)


class PolicyAccess(_ReadWriteRoles):
    """Pay policies: read by HR, auditors and payroll officers (theirs); written by HR."""

    read_roles = access.ROLES_SEEING_POLICIES
    write_roles = access.ROLES_EDITING_SETTINGS


class RunAccess(_ReadWriteRoles):
    """Runs: read by HR, auditors, payroll officers and heads (their institution's totals)."""

    read_roles = access.ROLES_SEEING_RUNS


class RunnerAccess(BasePermission):
    """Computing and confirming: HR and payroll officers (the institution is checked after)."""

    def has_permission(self, request, view):
        return org_access.has_role(request.user, *access.ROLES_RUNNING_PAYROLL)


class LineAccess(_ReadWriteRoles):
    """Lines: HR, auditors and payroll officers; never heads, scorers or acceptance members."""

    read_roles = access.ROLES_SEEING_LINES
