"""Who may read a target responsibility letter (docs/PERMISSIONS.md):

* HR and auditors: every letter;
* an institution head: every letter of their institution (all four levels);
* anyone: the letters addressed to them to sign (deputies, departments, staff may have no other
  role in the system);
* nobody else. Out of scope answers 404.

Signing is only ever the signer's own act; countersigning is HR's (letters.services)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from orgs.access import institutions_visible_to, user_role
from orgs.models import Role

from .models import Letter


def letters_visible_to(user) -> QuerySet[Letter]:
    if not user or not user.is_authenticated or not user.is_active:
        return Letter.objects.none()
    role = user_role(user)
    if role in (Role.HR, Role.AUDITOR):
        return Letter.objects.all()
    own = Q(signer=user)
    if role == Role.HEAD:
        own |= Q(institution__in=institutions_visible_to(user))
    return Letter.objects.filter(own)


def letter_get_for_user(user, *, pk) -> Letter:
    try:
        return letters_visible_to(user).select_related("scheme", "institution", "signer").get(pk=pk)
    except (Letter.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
