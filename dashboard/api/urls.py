from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/<int:year>/", views.OverviewView.as_view(), name="dashboard-overview"),
    path(
        "dashboard/<int:year>/institutions/<str:code>/",
        views.PortalView.as_view(),
        name="dashboard-portal",
    ),
]
