from rest_framework.permissions import BasePermission

from orgs import access
from orgs.models import Role


class HasRole(BasePermission):
    """The API's default: an authenticated, active user with a role. Deny everything else."""

    def has_permission(self, request, view):
        return access.has_role(request.user)


class IsHR(BasePermission):
    def has_permission(self, request, view):
        return access.has_role(request.user, Role.HR)


class CanViewEmployees(BasePermission):
    def has_permission(self, request, view):
        return access.can_view_employees(request.user)


class ReadOnlyUnlessHR(BasePermission):
    """Anyone with a role reads (their scope); only HR writes."""

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return access.has_role(request.user)
        return access.has_role(request.user, Role.HR)


class CanViewAudit(BasePermission):
    """The audit trail: HR and auditors only."""

    def has_permission(self, request, view):
        return access.can_view_audit(request.user)


class IsSignedIn(BasePermission):
    """Any authenticated, active user, with a role or without (a signer of letters has
    notifications too); anonymous callers get 401."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
