from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("me", views.MeViewSet, basename="me")
router.register("groups", views.GroupViewSet, basename="group")
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register(
    r"institutions/(?P<institution_code>[^/.]+)/employees",
    views.InstitutionEmployeeViewSet,
    basename="institution-employee",
)
router.register(
    r"institutions/(?P<institution_code>[^/.]+)/contacts",
    views.InstitutionContactViewSet,
    basename="institution-contact",
)
router.register("employees", views.EmployeeViewSet, basename="employee")
router.register("audit", views.AuditEventViewSet, basename="audit")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
