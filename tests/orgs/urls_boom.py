"""The project's URLs and one view that fails, for the 500 page's test (tests/orgs/test_layout.py).
A module of its own: imported only when the test runs, never at collection."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("the server failed")


urlpatterns = [path("boom/", boom), path("", include("config.urls"))]
