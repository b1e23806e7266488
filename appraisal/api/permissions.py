"""Which roles may reach an appraisal endpoint at all. A role outside these sets gets 403; the
scope inside them (which entries, targets, results) is appraisal.access's, and the finer rules of
a write (a scorer's own department, a head's self-assessment only) are appraisal.services'."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from orgs import access
from orgs.models import Role

# The roles for which appraisal.access ever returns something; the others would only ever see an
# empty list, so they are told 403, like a scorer asking for employee data.
ROLES_READING_ENTRIES = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD, Role.LEADER)
ROLES_READING_TARGETS = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD, Role.LEADER)
ROLES_READING_RESULTS = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD, Role.PAYROLL, Role.LEADER)
# Who records points (ledger_entry_create): HR, scorers, leaders (the indicators they are named
# on), heads (self-assessment).
ROLES_WRITING_ENTRIES = (Role.HR, Role.SCORER, Role.HEAD, Role.LEADER)
# Who writes targets (target_save): HR, and scorers report actual values.
ROLES_WRITING_TARGETS = (Role.HR, Role.SCORER)
# Appeals: read as the entries they are on; submitted by heads (appeal_submit), answered by HR
# and scorers (appeal_answer decides which appeals).
ROLES_READING_APPEALS = (Role.HR, Role.AUDITOR, Role.SCORER, Role.HEAD, Role.LEADER)
ROLES_SUBMITTING_APPEALS = (Role.HEAD,)
ROLES_ANSWERING_APPEALS = (Role.HR, Role.SCORER)


class IsHR(BasePermission):
    def has_permission(self, request, view):
        return access.has_role(request.user, Role.HR)


class _ReadWriteRoles(BasePermission):
    read_roles: tuple = ()
    # None: the endpoint is read-only, so a reader's write is answered 405 by the view.
    write_roles: tuple | None = None

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or self.write_roles is None:
            return access.has_role(request.user, *self.read_roles)
        return access.has_role(request.user, *self.write_roles)


class EntryAccess(_ReadWriteRoles):
    """Ledger entries: read by HR, auditors, scorers and heads; written by HR, scorers, heads."""

    read_roles = ROLES_READING_ENTRIES
    write_roles = ROLES_WRITING_ENTRIES


class TargetAccess(_ReadWriteRoles):
    read_roles = ROLES_READING_TARGETS
    write_roles = ROLES_WRITING_TARGETS


class ResultAccess(_ReadWriteRoles):
    """Results are read-only: derived by the recompute, never written through the API."""

    read_roles = ROLES_READING_RESULTS


class AppealAccess(_ReadWriteRoles):
    """Appeals: read by HR, auditors, scorers and heads; submitted by heads."""

    read_roles = ROLES_READING_APPEALS
    write_roles = ROLES_SUBMITTING_APPEALS


class AnswersAppeals(BasePermission):
    def has_permission(self, request, view):
        return access.has_role(request.user, *ROLES_ANSWERING_APPEALS)
