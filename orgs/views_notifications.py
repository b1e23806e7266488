"""The user's own notifications (orgs.notifications, docs/NOTIFICATIONS.md): the list under the
bell, opening one (marked read, then on to what it is about), and marking all read. Anyone logged
in has them, a signer without a role too; another user's notification answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import notifications
from .filters import NotificationFilterSet

PER_PAGE = 25


@login_required
@require_GET
def notification_list(request):
    """Newest first, unread marked; ?unread=true shows the unread ones only (the API's filters)."""
    filterset = NotificationFilterSet(
        request.GET or None, queryset=notifications.notifications_of(request.user)
    )
    context = {
        "page_obj": Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page")),
        "unread_only": filterset.form.is_valid() and filterset.form.cleaned_data["unread"],
        "unread": notifications.unread_count(request.user),
    }
    return render(request, "orgs/notification_list.html", context)


@login_required
@require_GET
def notification_open(request, pk):
    """Mark the notification read and go on to what it is about (a link from the list, or from
    the e-mail that carried it)."""
    notification = notifications.notification_get_for_user(request.user, pk=pk)
    notifications.notification_mark_read(user=request.user, notification=notification)
    # A path of this site by construction (and by the table's check constraint); checked again so
    # that this view can never send anyone to another site.
    if not url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect("orgs:notification_list")
    return redirect(notification.link)


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("orgs:notification_list")
