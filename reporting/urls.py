from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("start/", views.report_start, name="report_start"),
    path("queue/", views.queue, name="queue"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:pk>/approve/", views.report_approve, name="report_approve"),
    path("reports/<int:pk>/return/", views.report_return, name="report_return"),
    path("reports/<int:pk>/template.xlsx", views.report_template, name="report_template"),
    path("reports/<int:pk>/import/", views.report_import, name="report_import"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/first-review/", views.item_first_review, name="item_first_review"),
    path("items/<int:pk>/second-review/", views.item_second_review, name="item_second_review"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
