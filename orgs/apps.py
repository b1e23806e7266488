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

        # 等保 2.0: sign-ins, sign-outs and failures audited; a sign-in stamps its session
        # (orgs.accounts, orgs.sessions); the deploy check of the second factor (orgs.checks).
        from django.contrib.auth import signals as auth_signals

        from orgs import accounts, checks, sessions

        auth_signals.user_logged_in.connect(sessions.session_started, dispatch_uid="orgs.session")
        auth_signals.user_logged_in.connect(accounts.login_recorded, dispatch_uid="orgs.login")
        auth_signals.user_logged_out.connect(accounts.logout_recorded, dispatch_uid="orgs.logout")
        auth_signals.user_login_failed.connect(
            accounts.login_failed_recorded, dispatch_uid="orgs.login_failed"
        )
        checks.register()
        from orgs import security_admin, todo

        todo.register(self.label, security_admin.todo_items)
