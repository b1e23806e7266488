"""Shapes of the acceptance API. Serializers parse and render only: the size of a batch, one open
batch per institution, who ticks, decides and reports, and what the payroll criterion means live in
acceptance.services, which the views call; a service's ValidationError comes back as a 400 on the
same field names. Institutions are named by their code, standard items by theirs, people by their
username."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from acceptance import services
from acceptance.models import Batch, Inspection, Standard, StandardItem, Team, Tick, WeeklyReport
from orgs.models import Institution, Stage

GO_LIVE_HELP = _(
    "The go-live month, as its first day (2026-10-01): wages are checked from it up to the month "
    "before an inspection."
)

# --- Standard ------------------------------------------------------------------------------------


class StandardItemSerializer(serializers.ModelSerializer):
    method_label = serializers.CharField(source="get_method_display", read_only=True)

    class Meta:
        model = StandardItem
        fields = ["code", "text", "mandatory", "method", "method_label"]
        read_only_fields = fields


class StandardSerializer(serializers.ModelSerializer):
    go_live_month = serializers.DateField(read_only=True, help_text=GO_LIVE_HELP)
    items = StandardItemSerializer(many=True, read_only=True)

    class Meta:
        model = Standard
        fields = ["id", "version", "name", "go_live_month", "items", "created_at"]
        read_only_fields = fields


# --- Batches -------------------------------------------------------------------------------------


class BatchInspectionSerializer(serializers.ModelSerializer):
    """One institution of a batch, in short (the caller's scope: a head sees only their own)."""

    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    result_label = serializers.CharField(source="get_result_display", read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "institution", "institution_name", "round", "result", "result_label"]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    team = serializers.IntegerField(source="team_id", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    standard_version = serializers.IntegerField(source="standard.version", read_only=True)
    go_live_month = serializers.DateField(
        source="standard.go_live_month",
        read_only=True,
        help_text=_("The go-live month of the batch's standard, as its first day (2026-10-01)."),
    )
    inspections = BatchInspectionSerializer(
        source="visible_inspections",
        many=True,
        read_only=True,
        help_text=_("The batch's institutions the caller may see, each with its round."),
    )

    class Meta:
        model = Batch
        fields = [
            "id",
            "name",
            "date",
            "status",
            "status_label",
            "team",
            "team_name",
            "standard_version",
            "go_live_month",
            "inspections",
            "created_at",
        ]
        read_only_fields = fields


class BatchCreateSerializer(serializers.Serializer):
    """A new batch: 5 to 8 pilot institutions (the service refuses any other number, saying so)."""

    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Defaults to the date followed by 验收批次."),
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), help_text=_("Id of the acceptance team.")
    )
    date = serializers.DateField()
    institutions = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Institution.objects.all(),
        many=True,
        help_text=_("Codes of the pilot institutions, 5 to 8."),
    )

    def validate(self, data):
        # Stored data, so Chinese whatever the caller's language, like the pages' batch names.
        return data | {"name": data["name"].strip() or f"{data['date'].isoformat()} 验收批次"}


# --- Inspections ---------------------------------------------------------------------------------


class TickSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code", read_only=True)
    item_text = serializers.CharField(source="item.text", read_only=True)
    by = serializers.CharField(source="by.username", read_only=True)
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = Tick
        fields = ["item", "item_text", "met", "note", "by", "at", "has_evidence"]
        read_only_fields = fields

    def get_has_evidence(self, tick) -> bool:
        return bool(tick.evidence)


class PayrollMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text=_("First day of the month."))
    ok = serializers.BooleanField()
    reason = serializers.CharField(
        help_text=_("Names the month (2026-11: …) and, when it fails, why.")
    )


class PayrollCriterionSerializer(serializers.Serializer):
    """工资按系统发放: every month from the go-live month up to the month before the inspection,
    across the turn of the year, paid as this system computed it. A batch dated in or before the
    go-live month has no month due: not met, one entry saying so."""

    met = serializers.BooleanField()
    go_live_month = serializers.DateField(help_text=GO_LIVE_HELP)
    months = PayrollMonthSerializer(many=True)


class InspectionSerializer(serializers.ModelSerializer):
    batch = serializers.IntegerField(source="batch_id", read_only=True)
    batch_name = serializers.CharField(source="batch.name", read_only=True)
    batch_date = serializers.DateField(source="batch.date", read_only=True)
    batch_status = serializers.CharField(source="batch.status", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    result_label = serializers.CharField(source="get_result_display", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True
    )
    ticks = TickSerializer(many=True, read_only=True)
    payroll = serializers.SerializerMethodField(
        help_text=_("The automatic payroll criterion, month by month, with why a month fails.")
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "batch",
            "batch_name",
            "batch_date",
            "batch_status",
            "institution",
            "institution_name",
            "round",
            "result",
            "result_label",
            "decided_by",
            "decided_at",
            "note",
            "ticks",
            "payroll",
        ]
        read_only_fields = fields

    @extend_schema_field(PayrollCriterionSerializer)
    def get_payroll(self, inspection) -> dict:
        # The service is the one place deciding what the criterion means (two queries each).
        met, checks = services.payroll_criterion(inspection)
        return PayrollCriterionSerializer(
            {
                "met": met,
                "go_live_month": inspection.batch.standard.go_live_month,
                "months": [vars(c) for c in checks],
            }
        ).data


class TickSaveSerializer(serializers.Serializer):
    item = serializers.CharField(help_text=_("Code of the standard's item, e.g. ENV."))
    met = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DecideSerializer(serializers.Serializer):
    passed = serializers.BooleanField(
        help_text=_("true: pass (every mandatory item must be met); false: fail.")
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Weekly reports ------------------------------------------------------------------------------


class WeeklyReportSerializer(serializers.ModelSerializer):
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)

    class Meta:
        model = WeeklyReport
        fields = [
            "id",
            "institution",
            "institution_name",
            "week",
            "stage",
            "stage_label",
            "progress",
            "problems",
            "next_steps",
            "submitted_by",
            "submitted_at",
        ]
        read_only_fields = fields


class WeeklyReportSubmitSerializer(serializers.Serializer):
    """This week's report of a pilot institution; submitting again the same week replaces it."""

    institution = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Institution code; a head may leave it out for their own institution."),
    )
    stage = serializers.ChoiceField(choices=Stage.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    problems = serializers.CharField(required=False, allow_blank=True, default="")
    next_steps = serializers.CharField(required=False, allow_blank=True, default="")
