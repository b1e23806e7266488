"""System checks of the 等保 2.0 controls (``manage.py check --deploy``)."""

from django.conf import settings
from django.core import checks

# The roles that handle people's pay and the appraisal's results: production requires a second
# factor of them (docs/SECURITY.md, "Second factor").
MFA_ESSENTIAL_ROLES = ("hr", "payroll")


def mfa_roles_check(app_configs=None, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    missing = [role for role in MFA_ESSENTIAL_ROLES if role not in settings.MFA_REQUIRED_ROLES]
    if not missing:
        return []
    return [
        checks.Warning(
            f"MFA_REQUIRED_ROLES leaves out {', '.join(missing)}: in production HR and payroll "
            "officers must sign in with a second factor (等保 2.0 level 3).",
            hint="Unset MFA_REQUIRED_ROLES (the production default) or include hr and payroll.",
            id="orgs.W001",
        )
    ]


def register() -> None:
    checks.register(mfa_roles_check, checks.Tags.security, deploy=True)
