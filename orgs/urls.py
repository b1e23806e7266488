from django.urls import path

from . import views, views_account, views_contacts, views_notifications, views_system

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
    path(
        "institutions/<str:code>/contacts/",
        views_contacts.institution_contacts,
        name="institution_contacts",
    ),
    path("contacts/<int:pk>/end/", views_contacts.contact_end, name="contact_end"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("nav/counts/", views.nav_counts, name="nav_counts"),
    # The user's own account: password, second factor (orgs.views_account).
    path("account/", views_account.account, name="account"),
    path("account/password/", views_account.password_change, name="password_change"),
    path("account/mfa/", views_account.mfa_verify, name="mfa_verify"),
    path("account/mfa/enrol/", views_account.mfa_enrol, name="mfa_enrol"),
    path("account/mfa/remove/", views_account.mfa_remove, name="mfa_remove"),
    # 三员 (orgs.views_system): accounts and roles; security policies, unlocks, second factors.
    path("accounts/", views_system.account_list, name="account_list"),
    path("accounts/new/", views_system.account_edit, name="account_create"),
    path("accounts/<int:pk>/", views_system.account_edit, name="account_edit"),
    path("accounts/<int:pk>/password/", views_system.account_password, name="account_password"),
    path("security/", views_system.security_policies, name="security_policies"),
    path("security/lockouts/", views_system.security_lockouts, name="security_lockouts"),
    path("security/lockouts/unlock/", views_system.security_unlock, name="security_unlock"),
    path("security/mfa/", views_system.security_mfa, name="security_mfa"),
    path(
        "security/mfa/<int:pk>/reset/", views_system.security_mfa_reset, name="security_mfa_reset"
    ),
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
