"""Shapes of the payroll API. Serializers parse and render only: the rules (the basic ratio's
range, who may run whose payroll, confirming only what still matches its inputs) live in
payroll.services, which the views call; a service's ValidationError comes back as a 400 on the
same field names. Institutions are named by code and months as YYYY-MM, as in the Excel files."""

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgs.models import Institution
from payroll.forms import MONTH_FORMAT, MONTH_SCHEMA
from payroll.models import PayPolicy, PayrollLine, PayrollRun


@extend_schema_field(MONTH_SCHEMA)
class MonthField(serializers.Field):
    """A month as YYYY-MM; stored as its first day."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_representation(self, value):
        return value.strftime(MONTH_FORMAT)

    def to_internal_value(self, data):
        try:
            return datetime.datetime.strptime(str(data), MONTH_FORMAT).date()
        except ValueError:
            self.fail("invalid")


class PayPolicySerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Institution.objects.all(),
        help_text=_("Institution code."),
    )
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    settlement_month = MonthField(
        help_text=_("兑现月份: the month in which this year's incentive and prize money are paid.")
    )
    formal_staff = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_(
            "N, fixed for the year. Left out or null on creation: the formal, active staff now; "
            "null on update: counted again."
        ),
    )

    class Meta:
        model = PayPolicy
        fields = [
            "id",
            "year",
            "institution",
            "institution_name",
            "per_capita",
            "basic_ratio",
            "settlement_month",
            "formal_staff",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        # One policy per year and institution: the view says so in its own words, and the
        # basic ratio's range is the service's to refuse.
        validators = []
        extra_kwargs = {
            "basic_ratio": {"help_text": _("基础性比例, 0.5 to 0.7.")},
            "per_capita": {"help_text": _("人均水平: yuan per formal employee per year.")},
        }


class PayrollRunSerializer(serializers.ModelSerializer):
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    month = MonthField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    # Blank until the run is computed with a tier: the schema allows "" beside the choices.
    tier = serializers.ChoiceField(
        choices=PayrollRun.tier.field.choices, allow_blank=True, read_only=True
    )
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = PayrollRun
        fields = [
            "id",
            "institution",
            "institution_name",
            "month",
            "status",
            "status_label",
            "tier",
            "tier_label",
            "settles_year",
            "basic_pool",
            "incentive_pool",
            "prize_pool",
            "undistributed",
            "total_gross",
            "computed_at",
            "confirmed_at",
            "confirmed_by",
            "exported_at",
        ]
        read_only_fields = fields


class RunComputeSerializer(serializers.Serializer):
    institution = serializers.CharField(help_text=_("Institution code."))
    month = MonthField()


class PayrollLineSerializer(serializers.ModelSerializer):
    institution = serializers.CharField(source="run.institution.code", read_only=True)
    institution_name = serializers.CharField(source="run.institution.name", read_only=True)
    month = MonthField(source="run.month", read_only=True)
    # Blank for a line without a personal grade: the schema allows "" beside the choices.
    grade = serializers.ChoiceField(
        choices=PayrollLine.grade.field.choices, allow_blank=True, read_only=True
    )
    grade_label = serializers.CharField(source="get_grade_display", read_only=True)

    class Meta:
        model = PayrollLine
        fields = [
            "run",
            "institution",
            "institution_name",
            "month",
            "staff_number",
            "name",
            "is_formal",
            "post_coefficient",
            "grade",
            "grade_label",
            "post_wage",
            "grade_wage",
            "special_allowance",
            "basic",
            "incentive",
            "prize",
            "gross",
        ]
        read_only_fields = fields
