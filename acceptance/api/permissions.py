"""Which roles may reach an acceptance endpoint at all (docs/ACCEPTANCE.md, "Who sees what"). A role
outside these gets 403; which batches, inspections and reports a caller reaches is
acceptance.access's to say (out of scope → 404), and who may tick, decide or report for an
institution is acceptance.services' (403)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from acceptance.access import READERS
from orgs import access
from orgs.models import Role

# acceptance.access gives these roles something to read; the others would only see empty lists.
ROLES_READING = (*READERS, Role.HEAD)


class _ReadWriteRoles(BasePermission):
    write_roles: tuple = ()

    def has_permission(self, request, view):
        # A method the endpoint does not have (PUT, PATCH, DELETE …) is answered 405 to anyone
        # who may read it, rather than a misleading 403.
        if request.method in SAFE_METHODS or request.method not in view.allowed_methods:
            return access.has_role(request.user, *ROLES_READING)
        return access.has_role(request.user, *self.write_roles)


class BatchAccess(_ReadWriteRoles):
    """Batches: HR creates them."""

    write_roles = (Role.HR,)


class InspectionAccess(_ReadWriteRoles):
    """Inspections: team members (HR or the acceptance role) tick and decide; the service checks
    membership of the batch's team."""

    write_roles = (Role.HR, Role.ACCEPTANCE)


class ReportAccess(_ReadWriteRoles):
    """Weekly reports: the institution's head submits, HR for any pilot."""

    write_roles = (Role.HR, Role.HEAD)


class StandardAccess(BasePermission):
    """The standard, read only: HR, acceptance members and auditors (HR sets the go-live month on
    the standard's page, through services.standard_go_live_change). A reader's other method is a
    405; anyone else gets 403."""

    def has_permission(self, request, view):
        return access.has_role(request.user, *READERS)
