from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orgs import views as org_views
from orgs.signin import oidc as signin_oidc

urlpatterns = [
    path("", org_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    # Django's logout; a session that came through single sign-on also ends at the provider.
    path("logout/", signin_oidc.LogoutView.as_view(), name="logout"),
    path("signin/", include("orgs.signin.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orgs/", include("orgs.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("reporting/", include("reporting.urls")),
    path("payroll/", include("payroll.urls")),
    path("letters/", include("letters.urls")),
    path("acceptance/", include("acceptance.urls")),
    path("bulletins/", include("bulletins.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("api/v1/", include("orgs.api.urls")),
    path("api/v1/", include("appraisal.api.urls")),
    path("api/v1/", include("reporting.api.urls")),
    path("api/v1/", include("payroll.api.urls")),
    path("api/v1/", include("letters.api.urls")),
    path("api/v1/", include("acceptance.api.urls")),
    path("api/v1/", include("bulletins.api.urls")),
    path("api/v1/", include("dashboard.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy
    # allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# JSON for an unknown path under /api/, the page elsewhere (orgs/api/errors.py).
handler404 = "orgs.api.errors.page_not_found"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
