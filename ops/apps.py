from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Above the domain apps: what builds whole worlds (the demo, scale data) or moves whole
    databases (backup and restore). No domain app imports it."""

    name = "ops"
    verbose_name = _("Operations")
