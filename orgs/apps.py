from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("Organisation")

    def ready(self):
        from axes.signals import user_locked_out

        from orgs.lockout import lockout_recorded

        # A lockout is audited and HR told (orgs.lockout, docs/SECURITY.md "Login protection").
        user_locked_out.connect(lockout_recorded, dispatch_uid="orgs.lockout_recorded")
