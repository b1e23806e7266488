"""Dashboard pages: the patterns live beside their views."""

from .views import app_name, urlpatterns  # noqa: F401
