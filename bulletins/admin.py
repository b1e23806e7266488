"""Bulletins are read-only in the admin: they change only through bulletins.services (frozen when
generated, audited when published, explained and reviewed)."""

from django.contrib import admin

from orgs.admin import ReadOnlyAdmin

from .models import Bulletin, ExplanationRequest, Snapshot, WarningPolicy


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "kind", "number", "period_start", "period_end", "status")
    list_filter = ("scheme", "kind", "status")
    list_select_related = ("scheme",)


@admin.register(ExplanationRequest)
class ExplanationRequestAdmin(ReadOnlyAdmin):
    list_display = ("bulletin", "institution", "status", "due_on", "submitted_at", "reviewed_at")
    list_filter = ("status",)
    search_fields = ("institution__code",)
    list_select_related = ("bulletin__scheme", "institution")


for model in (Snapshot, WarningPolicy):
    admin.site.register(model, ReadOnlyAdmin)
