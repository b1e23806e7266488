from .access import can_manage_orgs, can_view_employees, user_role
from .navigation import active_key, menu_for


def role(request):
    """The current user's role and the capabilities templates use to show or hide links.
    (Showing a link is never the check: every view checks again through orgs.access.)"""
    user = getattr(request, "user", None)
    return {
        "user_role": user_role(user),
        "can_manage_orgs": can_manage_orgs(user),
        "can_view_employees": can_view_employees(user),
    }


def navigation(request):
    """The menu of the page (orgs.navigation): the home item and the groups the user may use.
    No query; the 待办 counts and unread notifications arrive after the page (orgs:nav_counts)."""
    home, groups = menu_for(getattr(request, "user", None))
    match = getattr(request, "resolver_match", None)
    active = active_key(home, groups, request.path, match.view_name if match else "")
    return {"nav_home": home, "nav_groups": groups, "nav_active": active}
