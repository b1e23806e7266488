"""Letters are read-only in the admin: they change only through letters.services (signing needs the
holder's own password; content is frozen with its hash)."""

from django.contrib import admin

from orgs.admin import ReadOnlyAdmin

from .models import Letter, LetterItem


class LetterItemInline(admin.TabularInline):
    model = LetterItem
    extra = 0
    can_delete = False
    fields = ("kind", "text", "target_value", "unit", "points")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = (
        "scheme",
        "institution",
        "level",
        "holder_name",
        "version",
        "status",
        "signed_at",
    )
    list_filter = ("scheme", "level", "status")
    search_fields = ("institution__code", "holder_name")
    list_select_related = ("scheme", "institution")
    inlines = [LetterItemInline]
