"""A 404 under /api/ that no view answered (a path that matches no route, such as an id with a dot
in it) is JSON like every other API error, as the schema documents; other paths get the page."""

from django.http import JsonResponse
from django.views import defaults
from rest_framework.exceptions import NotFound


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
