"""Server-side confirmation of irreversible and organisation-wide actions (docs/UI.md).

A page offers such an action through the confirm dialog component, which says what will happen to
whom and posts `confirm=yes` (and `reason`, where the audit trail carries one). The view is wrapped
in `confirmation_required`: a POST without the confirmation — a replayed form, a script, a link —
is refused with 400 and changes nothing, whatever the browser did or did not show.

    @role_required(Role.HR)
    @require_POST
    @confirmation_required(reason=True)
    def scheme_publish(request, year):
        ... services.scheme_transition(..., reason=request.confirmation_reason)
"""

from functools import wraps

from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

FIELD, VALUE, REASON = "confirm", "yes", "reason"
REASON_MAX_LENGTH = 1000


def is_confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get(FIELD) == VALUE


def confirmation_refusal(request, *, reason: bool = False) -> str | None:
    """Why this POST is not confirmed, or None if it is."""
    if not is_confirmed(request):
        return _("This action needs your confirmation: use its button and confirm in the dialog.")
    text = request.POST.get(REASON, "").strip()
    if reason and not text:
        return _("Give the reason for this action: it is recorded in the audit trail.")
    if len(text) > REASON_MAX_LENGTH:
        return _("The reason is at most %(n)s characters.") % {"n": REASON_MAX_LENGTH}
    return None


def refused(request, message: str, status: int = 400):
    """The page a refused confirmation gets: what is missing and the way back."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return render(
        request, "confirm_refused.html", {"message": message, "back": back}, status=status
    )


def confirmation_required(view=None, *, reason: bool = False):
    """Refuse (400) a POST to `view` that does not carry the confirmation (and a reason when
    `reason`); GET and HEAD pass through. The view finds the reason in
    `request.confirmation_reason` ("" when none was asked for or given)."""

    def decorate(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            request.confirmation_reason = ""
            if request.method == "POST":
                message = confirmation_refusal(request, reason=reason)
                if message:
                    return refused(request, message)
                request.confirmation_reason = request.POST.get(REASON, "").strip()
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
