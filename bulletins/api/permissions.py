"""Which roles may reach a bulletin endpoint at all (docs/BULLETINS.md, "Who sees what"). Which
bulletins and explanation requests a caller reaches is bulletins.access's to say (out of scope →
404); who may publish, submit and review is bulletins.services' (403)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from bulletins.access import EXPLANATION_READERS
from orgs import access
from orgs.models import Role

# Every role reads published bulletins (bulletins.access).
ROLES_READING_BULLETINS = (
    Role.HR,
    Role.AUDITOR,
    Role.SCORER,
    Role.HEAD,
    Role.PAYROLL,
    Role.ACCEPTANCE,
)


class _ReadWriteRoles(BasePermission):
    read_roles: tuple = ()
    write_roles: tuple = ()

    def has_permission(self, request, view):
        # A method the endpoint does not have (PUT, PATCH, DELETE …) is answered 405 to anyone
        # who may read it, rather than a misleading 403.
        if request.method in SAFE_METHODS or request.method not in view.allowed_methods:
            return access.has_role(request.user, *self.read_roles)
        return access.has_role(request.user, *self.write_roles)


class BulletinAccess(_ReadWriteRoles):
    """Bulletins: every role reads; HR generates and publishes."""

    read_roles = ROLES_READING_BULLETINS
    write_roles = (Role.HR,)


class ExplanationAccess(_ReadWriteRoles):
    """Explanation requests: HR, auditors and heads read; heads submit, HR reviews (the actions
    narrow further)."""

    read_roles = EXPLANATION_READERS
    write_roles = (Role.HR, Role.HEAD)


class IsHR(BasePermission):
    def has_permission(self, request, view):
        return access.has_role(request.user, Role.HR)


class IsHead(BasePermission):
    def has_permission(self, request, view):
        return access.has_role(request.user, Role.HEAD)
