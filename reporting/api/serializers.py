"""Shapes of the 数据填报 API (docs/REPORTING.md, "API"). Serializers parse and render only: who may
do what and every status rule live in reporting.services; a service's ValidationError comes back
as a 400 on the same field names. Institutions are named by code, indicators by code, people by
username."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appraisal.models import HalfYear
from reporting import services
from reporting.models import Report, ReportEvent, ReportEvidence, ReportItem


class EvidenceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    url = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = ReportEvidence
        fields = ["id", "name", "url", "uploaded_by", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, evidence) -> str:
        return reverse("reporting:evidence", args=[evidence.pk])


# Statuses, half-years and decisions are plain strings here (listed in help texts and
# docs/REPORTING.md): their names would collide with other apps' enums in the OpenAPI schema.
ITEM_STATUS_HELP = "draft, awaiting_head, first_review, second_review, returned, checked"
REPORT_STATUS_HELP = "draft, awaiting_head, in_review, returned, checked"


class ItemSerializer(serializers.ModelSerializer):
    report = serializers.IntegerField(source="report_id", read_only=True)
    status = serializers.CharField(read_only=True, help_text=ITEM_STATUS_HELP)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    department = serializers.CharField(source="indicator.department.code", read_only=True)
    direction = serializers.CharField(source="indicator.direction", read_only=True)
    has_figure = serializers.BooleanField(read_only=True)
    unit = serializers.SerializerMethodField()
    target_value = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ReportItem
        fields = [
            "id", "report", "indicator", "indicator_name", "department", "direction",
            "has_figure", "unit", "target_value", "deadline", "actual_value", "completed_on",
            "note", "status", "status_label", "return_reason", "corrected", "sent_up_at",
            "checked_at", "evidence",
        ]  # fmt: skip
        read_only_fields = fields

    def get_unit(self, item) -> str:
        return item.target.unit if item.target else ""

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True))
    def get_target_value(self, item):
        return str(item.target.target_value) if item.target and item.target.target_value else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_deadline(self, item):
        return item.target.deadline if item.target else None


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)
    item = serializers.CharField(source="item.indicator.code", read_only=True, default=None)
    action = serializers.CharField(read_only=True)
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = ReportEvent
        fields = ["id", "item", "action", "action_label", "actor", "at", "note", "before", "after"]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    period = serializers.CharField(read_only=True, help_text="h1 (上半年) or h2 (下半年)")
    status = serializers.CharField(read_only=True, help_text=REPORT_STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", default=None)
    reporting_deadline = serializers.SerializerMethodField()
    review_deadline = serializers.SerializerMethodField()
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Report
        fields = [
            "id", "year", "period", "institution", "institution_name", "status", "status_label",
            "reporting_deadline", "review_deadline", "submitted_at", "submitted_by", "item_count",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_reporting_deadline(self, report):
        return report.scheme.deadlines(report.period)[0]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_review_deadline(self, report):
        return report.scheme.deadlines(report.period)[1]


class ReportDetailSerializer(ReportSerializer):
    """A report with the items the caller sees (a scorer: their department's) and its timeline."""

    items = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "items", "events"]
        read_only_fields = fields

    @extend_schema_field(ItemSerializer(many=True))
    def get_items(self, report):
        return ItemSerializer(self.context["items"], many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, report):
        return EventSerializer(self.context["events"], many=True).data


class ReportOpenSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    period = serializers.CharField(help_text="h1 (上半年) or h2 (下半年)")
    institution = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Needed only by someone of several"
    )

    def validate_period(self, value):
        if value not in HalfYear.values:
            raise serializers.ValidationError("h1 or h2")
        return value


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class ItemSaveSerializer(serializers.Serializer):
    """The fields given are set (null clears a figure, "" the note); those left out are kept."""

    actual_value = serializers.DecimalField(
        max_digits=16, decimal_places=4, required=False, allow_null=True
    )
    completed_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=services.NOTE_MAX_LENGTH, trim_whitespace=True
    )


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


def _decision(choices):
    def validate(value):
        if value not in choices:
            raise serializers.ValidationError(" / ".join(choices))

    return serializers.CharField(help_text=", ".join(choices), validators=[validate])


class FirstReviewSerializer(serializers.Serializer):
    decision = _decision(services.FIRST_DECISIONS)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.REASON_MAX_LENGTH
    )
    actual_value = serializers.DecimalField(
        max_digits=16, decimal_places=4, required=False, allow_null=True, default=None
    )
    completed_on = serializers.DateField(required=False, allow_null=True, default=None)


class SecondReviewSerializer(serializers.Serializer):
    decision = _decision(services.SECOND_DECISIONS)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.REASON_MAX_LENGTH
    )


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
