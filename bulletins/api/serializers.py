"""Shapes of the bulletin API. Serializers parse and render only: periods, numbering, freezing,
publishing and who may explain or review live in bulletins.services, which the views call; a
service's ValidationError comes back as a 400 on the same field names. Years are named by their
year, institutions by their code, people by their username."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appraisal.models import Grade, Scheme
from bulletins.attachments import validate_attachment
from bulletins.models import Bulletin, BulletinLine, ExplanationRequest

# A choice set is described as an enum in one component only: drf-spectacular cannot name an enum
# used by several components without a project-wide override, so elsewhere the same values are a
# string whose help text lists them.


def _values(choices) -> str:
    return " | ".join(value for value, _label in choices)


def _choice_string(choices, **kwargs) -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text=_values(choices), **kwargs)


class BulletinLineSerializer(serializers.ModelSerializer):
    """One institution's frozen line: names and figures as they were when generated."""

    institution = serializers.CharField(source="institution_code", read_only=True)
    group = serializers.CharField(source="group_name", read_only=True)
    movement_label = serializers.CharField(source="get_movement_display", read_only=True)
    grade = _choice_string(Grade.choices)
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Codes of this unit's early warnings, most serious first."),
    )

    class Meta:
        model = BulletinLine
        fields = [
            "institution",
            "institution_name",
            "group",
            "rank",
            "previous_rank",
            "movement",
            "movement_label",
            "common",
            "business",
            "execution",
            "bonus",
            "veto",
            "total",
            "previous_total",
            "vetoed",
            "grade",
            "prize_level",
            "lagging",
            "warnings",
        ]
        read_only_fields = fields


class BulletinSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    previous = serializers.IntegerField(
        source="previous_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the bulletin the movement is measured against."),
    )
    line_count = serializers.IntegerField(read_only=True)
    lagging_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "year",
            "kind",
            "kind_label",
            "number",
            "period_start",
            "period_end",
            "status",
            "status_label",
            "previous",
            "results_computed_at",
            "generated_at",
            "published_at",
            "line_count",
            "lagging_count",
        ]
        read_only_fields = fields


class BulletinWarningSerializer(serializers.Serializer):
    """A frozen early warning; which figures explain it depends on its code (BULLETINS.md)."""

    institution_id = serializers.IntegerField()
    institution_code = serializers.CharField()
    institution_name = serializers.CharField()
    code = serializers.CharField()
    veto = serializers.CharField(required=False)
    to_line = serializers.CharField(required=False)
    total = serializers.CharField(required=False)
    gap = serializers.CharField(required=False)
    prize = serializers.IntegerField(required=False)
    margin = serializers.CharField(required=False)


class BulletinExplanationSerializer(serializers.ModelSerializer):
    institution = serializers.CharField(source="institution.code", read_only=True)
    status = _choice_string(ExplanationRequest.Status.choices)

    class Meta:
        model = ExplanationRequest
        fields = ["id", "institution", "status", "due_on"]
        read_only_fields = fields


class BulletinDetailSerializer(BulletinSerializer):
    """A bulletin with its lines (by group, then rank), its warnings and the explanation requests
    the caller may see."""

    lines = BulletinLineSerializer(many=True, read_only=True, source="ordered_lines")
    warnings = BulletinWarningSerializer(many=True, read_only=True)
    explanations = BulletinExplanationSerializer(
        many=True, read_only=True, source="visible_explanations"
    )

    kind = _choice_string(Bulletin.Kind.choices)
    status = _choice_string(Bulletin.Status.choices)

    class Meta(BulletinSerializer.Meta):
        fields = [*BulletinSerializer.Meta.fields, "lines", "warnings", "explanations"]
        read_only_fields = fields


class BulletinGenerateSerializer(serializers.Serializer):
    """What HR generates: the bulletin of the last week or month that ended before `day`."""

    year = serializers.IntegerField()
    kind = serializers.CharField(help_text=_values(Bulletin.Kind.choices))
    day = serializers.DateField(
        required=False, help_text=_("Defaults to today: the period just ended is reported.")
    )

    def validate_kind(self, value):
        if value not in Bulletin.Kind.values:
            raise serializers.ValidationError(
                _("Unknown kind of bulletin: %(kind)s.") % {"kind": value}
            )
        return value

    def validate_year(self, value):
        scheme = Scheme.objects.filter(year=value).first()
        if scheme is None:
            raise serializers.ValidationError(
                _("There is no scheme for %(year)s.") % {"year": value}
            )
        return scheme


class ExplanationSerializer(serializers.ModelSerializer):
    bulletin = serializers.IntegerField(source="bulletin_id", read_only=True)
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text=_("Still requested and past its due day.")
    )
    attachment = serializers.SerializerMethodField(
        help_text=_("Where the attachment is downloaded (access-checked), or null.")
    )
    submitted_by = serializers.CharField(
        source="submitted_by.username", read_only=True, allow_null=True
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = ExplanationRequest
        fields = [
            "id",
            "bulletin",
            "year",
            "institution",
            "institution_name",
            "status",
            "status_label",
            "due_on",
            "overdue",
            "requested_at",
            "text",
            "attachment",
            "submitted_by",
            "submitted_at",
            "review_note",
            "reviewed_by",
            "reviewed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_attachment(self, request) -> str | None:
        if not request.attachment:
            return None
        return reverse("bulletins:explanation_attachment", kwargs={"pk": request.pk})


class ExplanationSubmitSerializer(serializers.Serializer):
    text = serializers.CharField(help_text=_("The explanation (情况说明)."))
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_attachment],
        help_text=_("PDF, picture or Excel workbook, at most 10 MB (multipart form)."),
    )


class ExplanationReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
