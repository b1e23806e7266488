from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "orgs.signin"
    label = "signin"
    verbose_name = _("Enterprise sign-in")
    default_auto_field = "django.db.models.BigAutoField"
