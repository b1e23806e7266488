from django.urls import path

from . import views, views_notifications

app_name = "orgs"

urlpatterns = [
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/new/", views.institution_edit, name="institution_create"),
    # Before institutions/<code>/, which would otherwise take "export.xlsx" for a code.
    path("institutions/export.xlsx", views.institution_export, name="institution_export"),
    path("institutions/<str:code>/", views.institution_detail, name="institution_detail"),
    path("institutions/<str:code>/edit/", views.institution_edit, name="institution_edit"),
    path(
        "institutions/<str:code>/employees/",
        views.institution_employees,
        name="institution_employees",
    ),
    path(
        "institutions/<str:code>/employees/export.xlsx",
        views.institution_employees_export,
        name="institution_employees_export",
    ),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("nav/counts/", views.nav_counts, name="nav_counts"),
    path("notifications/", views_notifications.notification_list, name="notification_list"),
    path(
        "notifications/read-all/",
        views_notifications.notification_read_all,
        name="notification_read_all",
    ),
    path(
        "notifications/<int:pk>/",
        views_notifications.notification_open,
        name="notification_open",
    ),
]
