"""Who may reach a letters endpoint at all. Unlike the rest of the API (HasRole, the default), a
signed-in user without a role is let in: deputies, departments and staff sign the letters addressed
to them with an account that has no role (docs/LETTERS.md). Which letters they reach is
letters.access's to say (deny by default); who may sign, countersign and issue is for
letters.services to say."""

from rest_framework.permissions import IsAuthenticated

from orgs.api.permissions import IsHR

__all__ = ["IsHR", "SignedIn"]


class SignedIn(IsAuthenticated):
    """Any authenticated, active user; anonymous callers get 401."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_active
