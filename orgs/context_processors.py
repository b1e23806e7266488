from .access import can_manage_orgs, can_view_employees, user_role


def role(request):
    """The current user's role and the capabilities templates use to show or hide links.
    (Showing a link is never the check: every view checks again through orgs.access.)"""
    user = getattr(request, "user", None)
    return {
        "user_role": user_role(user),
        "can_manage_orgs": can_manage_orgs(user),
        "can_view_employees": can_view_employees(user),
    }
