"""Django admin, for superusers. Organisation data is read-only here: groups, institutions and
employees change only through the services (pages, API, import), which validate and audit.
Accounts and roles are managed here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AssessmentGroup,
    AuditEvent,
    Employee,
    GroupPrize,
    Institution,
    ScoringDepartment,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "name", "role", "scoring_department", "is_active")
    list_filter = ("role", "is_active", "scoring_department")
    search_fields = ("username", "name", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Role and scope"),
            {"fields": ("name", "role", "scoring_department", "payroll_institutions")},
        ),
    )
    filter_horizontal = ("payroll_institutions", "groups", "user_permissions")


@admin.register(ScoringDepartment)
class ScoringDepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")


class GroupPrizeInline(admin.TabularInline):
    model = GroupPrize
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AssessmentGroup)
class AssessmentGroupAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "sort_order")
    inlines = [GroupPrizeInline]


@admin.register(Institution)
class InstitutionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "group", "head", "is_pilot", "stage", "formal_headcount")
    list_filter = ("group", "stage", "is_pilot")
    search_fields = ("code", "name")
    list_select_related = ("group", "head")


@admin.register(Employee)
class EmployeeAdmin(ReadOnlyAdmin):
    list_display = ("staff_number", "name", "institution", "post", "post_coefficient", "is_formal")
    list_filter = ("is_formal", "is_active")
    search_fields = ("staff_number", "name")
    list_select_related = ("institution",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id")
