"""Shapes of the organisation API. Serializers parse and render only: the rules (code format,
uniqueness, who may head an institution, the prize table) live in orgs.services, which the views
call; a service's ValidationError comes back as a 400 on the same field names."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orgs.models import (
    MONEY,
    AssessmentGroup,
    AuditEvent,
    ContactPerson,
    Employee,
    GroupPrize,
    Institution,
    Notification,
    PrizeLevel,
    Role,
    ScoringDepartment,
    Stage,
    User,
)

# The service validates code and name (format and uniqueness) with one wording; the serializer's
# copies of those model validators would only run the same checks twice.
SERVICE_VALIDATED = {"validators": []}


class ScoringDepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringDepartment
        fields = ["code", "name"]


@extend_schema_serializer(many=False)  # me/ answers one object, although it is a "list" route
class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField()
    scoring_department = ScoringDepartmentSerializer(allow_null=True)
    institutions = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text=_(
            "Codes of the institutions the user is bound to (institution head, payroll officer); "
            "null for roles whose scope is not a list of bound institutions."
        ),
    )
    can_manage_orgs = serializers.BooleanField()
    can_view_employees = serializers.BooleanField()


class PrizeSerializer(serializers.ModelSerializer):
    level = serializers.ChoiceField(choices=PrizeLevel.choices)
    winners = serializers.IntegerField(min_value=0, max_value=999)
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0"))

    class Meta:
        model = GroupPrize
        fields = ["level", "winners", "amount"]


class GroupSerializer(serializers.ModelSerializer):
    prizes = PrizeSerializer(many=True, help_text=_("The prize table, one row per prize level."))
    institution_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AssessmentGroup
        fields = ["id", "code", "name", "description", "sort_order", "prizes", "institution_count"]
        extra_kwargs = {"code": SERVICE_VALIDATED, "name": SERVICE_VALIDATED}

    def validate_prizes(self, rows):
        levels = [row["level"] for row in rows]
        if len(levels) != len(set(levels)):
            raise serializers.ValidationError(_("Each prize level may appear at most once."))
        return rows


class InstitutionSerializer(serializers.ModelSerializer):
    head = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(role=Role.HEAD),
        allow_null=True,
        required=False,
        help_text=_("Username of the institution head (a user with the role 'Institution head')."),
    )
    head_name = serializers.CharField(source="head.name", read_only=True, allow_null=True)
    group_code = serializers.CharField(source="group.code", read_only=True, allow_null=True)
    group_name = serializers.CharField(source="group.name", read_only=True, allow_null=True)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "code",
            "name",
            "group",
            "group_code",
            "group_name",
            "head",
            "head_name",
            "is_pilot",
            "stage",
            "stage_label",
            "formal_headcount",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"code": SERVICE_VALIDATED, "name": SERVICE_VALIDATED}


class EmployeeSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)
    fixed_monthly_wage = serializers.DecimalField(
        max_digits=MONEY["max_digits"] + 1,
        decimal_places=MONEY["decimal_places"],
        read_only=True,
        help_text=_("Post wage + grade wage + special post allowance."),
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "staff_number",
            "name",
            "institution",
            "post",
            "post_coefficient",
            "is_formal",
            "is_active",
            "post_wage",
            "grade_wage",
            "special_allowance",
            "fixed_monthly_wage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer):
    # null for the system's events (a Celery task, a management command).
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    actor_name = serializers.CharField(
        source="actor.name", read_only=True, default=None, allow_null=True
    )
    before = serializers.JSONField(read_only=True)
    after = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "client_address",
            "before",
            "after",
        ]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "text",
            "link",
            "about_type",
            "about_id",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many notifications were marked as read."))


class ContactPersonSerializer(serializers.ModelSerializer):
    """A contact person (考核联络员) of an institution: named by HR or its head (POST with
    `username`, optionally `staff_number` and `phone`), ended with the `end` action."""

    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.name", read_only=True)
    staff_number = serializers.CharField(
        source="employee.staff_number", required=False, allow_blank=True, allow_null=True
    )
    institution = serializers.CharField(source="institution.code", read_only=True)
    named_by = serializers.CharField(source="named_by.username", read_only=True)
    ended_by = serializers.CharField(source="ended_by.username", read_only=True, default=None)
    current = serializers.BooleanField(source="is_current", read_only=True)

    class Meta:
        model = ContactPerson
        fields = [
            "id", "institution", "username", "name", "staff_number", "phone", "current",
            "named_by", "named_at", "ended_by", "ended_at",
        ]  # fmt: skip
        read_only_fields = ["named_at", "ended_at"]
