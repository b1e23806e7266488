from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """HR's command dashboard (指挥看板) and the institution head's portal, DESIGN.md §2."""

    name = "dashboard"
    verbose_name = _("Dashboard")
