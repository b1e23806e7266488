"""The login page's single sign-on button (templates/signin/_options.html)."""

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("signin/_options.html", takes_context=True)
def signin_options(context):
    """The button to the OpenID Connect provider, when one is configured, and the message of a
    sign-in it refused."""
    return {
        "oidc_enabled": settings.OIDC_ENABLED,
        "provider_name": settings.OIDC_PROVIDER_NAME or _("Single sign-on"),
        "next": context.get("next", ""),
        "messages": context.get("messages", ()),
    }
