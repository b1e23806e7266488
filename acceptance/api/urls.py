from rest_framework.routers import DefaultRouter

from . import views

# Mounted at /api/v1/ beside the orgs router: basenames carry the app's prefix so that route
# names never clash with the others'. The orgs router answers the API root; this one would only
# shadow it.
router = DefaultRouter()
router.include_root_view = False
router.register("standards", views.StandardViewSet, basename="acceptance-standard")
router.register("batches", views.BatchViewSet, basename="acceptance-batch")
router.register("inspections", views.InspectionViewSet, basename="acceptance-inspection")
router.register("reports", views.WeeklyReportViewSet, basename="acceptance-report")

urlpatterns = router.urls
