"""The OpenID Connect routes: always in the URL conf (the permission matrix lists them), 404 while
OIDC_RP_CLIENT_ID is not set."""

from django.urls import path

from . import oidc

app_name = "signin"

urlpatterns = [
    path("oidc/login/", oidc.oidc_login, name="oidc_login"),
    path("oidc/callback/", oidc.oidc_callback, name="oidc_callback"),
]
