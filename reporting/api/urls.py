from rest_framework.routers import DefaultRouter

from . import views

# Mounted at /api/v1/ beside the other apps' routers, under reporting/ (acceptance already has
# reports/: its weekly reports).
router = DefaultRouter()
router.include_root_view = False
router.register("reporting/reports", views.ReportViewSet, basename="reporting-report")
router.register("reporting/items", views.ItemViewSet, basename="reporting-item")

urlpatterns = router.urls
