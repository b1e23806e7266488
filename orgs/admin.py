"""Django admin, for superusers. Organisation data is read-only here: groups, institutions and
employees change only through the services (pages, API, import), which validate and audit.
Accounts and roles are managed here, and audited like a service's change (AuditedAdmin)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AssessmentGroup,
    AuditEvent,
    Employee,
    GroupPrize,
    Institution,
    Notification,
    NotificationDelivery,
    ScoringDepartment,
    User,
)
from .services import audit_record, snapshot


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Records an audit event (`<audit_name>.create/update/delete`, before and after of
    `audit_fields` and the ids of `audit_m2m`) for each change made here, in the admin's own
    transaction. Many-to-many fields are saved after the object, so the event is written then."""

    audit_name = ""
    audit_fields: tuple[str, ...] = ()
    audit_m2m: tuple[str, ...] = ()

    def _audit_state(self, obj) -> dict:
        state = snapshot(obj, self.audit_fields)
        for name in self.audit_m2m:
            state[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
        return state

    def save_model(self, request, obj, form, change):
        request._audit_before = (
            self._audit_state(type(obj).objects.get(pk=obj.pk)) if change else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before, after = getattr(request, "_audit_before", None), self._audit_state(form.instance)
        if after != before:
            verb = "update" if change else "create"
            audit_record(
                actor=request.user,
                action=f"{self.audit_name}.{verb}",
                obj=form.instance,
                before=before,
                after=after,
            )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action=f"{self.audit_name}.delete",
            obj=obj,
            before=self._audit_state(obj),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    # Not the password: its change (a separate admin form) is in Django's admin log only.
    audit_name = "user"
    audit_fields = (
        "username",
        "name",
        "email",
        "role",
        "scoring_department",
        "institution",
        "is_active",
        "is_staff",
        "is_superuser",
    )
    audit_m2m = ("payroll_institutions", "groups")
    list_display = ("username", "name", "role", "institution", "scoring_department", "is_active")
    list_filter = ("role", "is_active", "scoring_department")
    autocomplete_fields = ("institution",)
    search_fields = ("username", "name", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Role and scope"),
            {
                "fields": (
                    "name",
                    "role",
                    "institution",
                    "scoring_department",
                    "payroll_institutions",
                )
            },
        ),
    )
    filter_horizontal = ("payroll_institutions", "groups", "user_permissions")

    def save_related(self, request, form, formsets, change):
        before_role = (getattr(request, "_audit_before", None) or {}).get("role", "")
        super().save_related(request, form, formsets, change)
        # A role given or taken here is recorded like the system administrator's (user.role,
        # user.admin_role for a 三员 role), besides the account's own user.update/create.
        from .accounts import role_change_record

        role_change_record(actor=request.user, user=form.instance, before_role=before_role)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        changed = [
            part.get("changed", {}).get("fields", []) for part in message if isinstance(part, dict)
        ] if isinstance(message, list) else []  # fmt: skip
        if any("password" in fields for fields in changed):
            # The admin's "change password" form: audited without the password; someone else's
            # password set here is temporary, changed at its owner's next sign-in.
            if obj.pk != request.user.pk:
                type(obj).objects.filter(pk=obj.pk).update(password_changed_at=None)
            audit_record(actor=request.user, action="user.password_reset", obj=obj)
        return entry


@admin.register(ScoringDepartment)
class ScoringDepartmentAdmin(AuditedAdmin):
    audit_name = "department"
    audit_fields = ("code", "name", "sort_order")
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
    list_display = ("at", "actor", "action", "object_type", "object_repr", "client_address")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "client_address")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username", "recipient__name", "title")


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    """Where each notification went outside the app, or why not (docs/NOTIFICATIONS.md)."""

    list_display = ("created_at", "recipient", "channel", "status", "attempts", "sent_at", "error")
    list_filter = ("channel", "status")
    search_fields = ("recipient__username", "error")
