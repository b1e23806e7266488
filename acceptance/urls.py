from django.urls import path

from . import views, views_rollout

app_name = "acceptance"

urlpatterns = [
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/start/", views.batch_start, name="batch_start"),
    path("batches/<int:pk>/close/", views.batch_close, name="batch_close"),
    path("batches/<int:pk>/report/", views.batch_report, name="batch_report"),
    path("batches/<int:pk>/report.xlsx", views.batch_report_export, name="batch_report_export"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/decide/", views.inspection_decide, name="inspection_decide"),
    path("inspections/<int:pk>/ticks/<int:item>/", views.tick_save, name="tick_save"),
    path(
        "inspections/<int:pk>/ticks/<int:item>/evidence/",
        views.tick_evidence,
        name="tick_evidence",
    ),
    path("standard/", views.standard_detail, name="standard_detail"),
    path("standard/go-live/", views.standard_go_live, name="standard_go_live"),
    *views_rollout.urlpatterns,
]
