from rest_framework.routers import DefaultRouter

from . import views

# Mounted at /api/v1/ beside the orgs router: basenames carry the app's prefix so that route
# names never clash with the organisation's.
# The orgs router answers the API root at /api/v1/; this one would only shadow it.
router = DefaultRouter()
router.include_root_view = False
router.register("schemes", views.SchemeViewSet, basename="appraisal-scheme")
router.register("indicators", views.IndicatorViewSet, basename="appraisal-indicator")
router.register("targets", views.TargetViewSet, basename="appraisal-target")
router.register("entries", views.EntryViewSet, basename="appraisal-entry")
router.register("results", views.ResultViewSet, basename="appraisal-result")
router.register("appeals", views.AppealViewSet, basename="appraisal-appeal")

urlpatterns = router.urls
