from django.contrib import admin

from orgs.admin import AuditedAdmin

from .models import ExternalAccount


@admin.register(ExternalAccount)
class ExternalAccountAdmin(AuditedAdmin):
    """Links are made at sign-in. A superuser may link a local account to its identity at the
    source before its first sign-in there (docs/SIGN_IN.md, "Local accounts"), or remove a link;
    both are audited. A link is never edited: remove it and make another."""

    audit_name = "external_account"
    audit_fields = ("user", "source", "subject")
    list_display = ("user", "source", "subject", "created_at", "last_login_at")
    list_filter = ("source",)
    search_fields = ("user__username", "user__name", "subject")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "last_login_at")

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list, and the form of a new link; no edits
