"""Bulletin API (docs/BULLETINS.md)."""

from rest_framework.routers import DefaultRouter

from . import views

# Mounted at /api/v1/ beside the orgs router: basenames carry the app's prefix so that route
# names never clash with the others'. The orgs router answers the API root; this one would only
# shadow it.
router = DefaultRouter()
router.include_root_view = False
router.register("bulletins", views.BulletinViewSet, basename="bulletins-bulletin")
router.register("explanations", views.ExplanationViewSet, basename="bulletins-explanation")

urlpatterns = router.urls
