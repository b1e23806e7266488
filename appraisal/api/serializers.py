"""Shapes of the appraisal API. Serializers parse and render only: who may write what, the
lifecycle and the ledger's rules live in appraisal.services, which the views call; a service's
ValidationError comes back as a 400 on the same field names. Objects are named by their codes
(year, institution, indicator, department), as on the pages and in the Excel files."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from appraisal.models import (
    POINTS,
    Appeal,
    EntryDecision,
    HalfYear,
    Indicator,
    LedgerEntry,
    Period,
    Result,
    Scheme,
    Target,
)
from appraisal.scoring_forms import validate_evidence
from appraisal.services import SCHEME_OPTIONS, SCHEME_SETTINGS, TRANSITIONS, ScorerSpec
from orgs.access import institutions_visible_to
from orgs.models import Institution, Role, ScoringDepartment, User

# The service validates uniqueness (year, indicator code) with one wording; the serializer's copies
# of those checks would only run them twice.
SERVICE_VALIDATED = {"validators": []}


class FormSafeBooleanField(serializers.BooleanField):
    """A boolean whose absence from a multipart form is absence, not `false` (DRF reads a missing
    form checkbox as false, which would turn an official entry into a self-assessment)."""

    default_empty_html = empty


class EntryStatus:
    """Whether an entry counts towards the results (appraisal.recompute.COUNTED)."""

    COUNTED = "counted"
    PENDING = "pending"  # a bonus or veto proposal, or points under review (待复核), waiting for HR
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # a pending proposal taken back (reversed) before HR decided
    CHOICES = [
        (COUNTED, _("counted")),
        (PENDING, _("pending approval")),
        (REJECTED, _("rejected")),
        (WITHDRAWN, _("withdrawn")),
    ]


# --- Schemes -------------------------------------------------------------------------------------


# The bounds of the database's check constraint (scheme_settings_non_negative), on each field's
# name: the model's full_clean would only name the constraint.
SETTING_BOUNDS = {name: {"min_value": Decimal("0")} for name in SCHEME_SETTINGS} | {
    "veto_line": {"min_value": Decimal("0.01")}
}


class SchemeSettingsSerializer(serializers.ModelSerializer):
    """The settings HR may change (PATCH): the points settings while the year is a draft; the
    options (评分需复核 per part, reports to the head first, the half-years' deadlines) until it
    is published (services.scheme_update)."""

    class Meta:
        model = Scheme
        fields = [*SCHEME_SETTINGS, *SCHEME_OPTIONS]
        extra_kwargs = SETTING_BOUNDS


class SchemeCreateSerializer(serializers.ModelSerializer):
    """A new year; settings left out are copied from the latest earlier year (or the defaults)."""

    class Meta:
        model = Scheme
        fields = ["year", *SCHEME_SETTINGS, *SCHEME_OPTIONS]
        extra_kwargs = {"year": SERVICE_VALIDATED} | {
            name: bounds | {"required": False} for name, bounds in SETTING_BOUNDS.items()
        }


class SchemeSerializer(serializers.ModelSerializer):
    """A year with the state of its results (the view sets the three `results_*`/`recompute_*`
    attributes; a few queries a year, and there is one scheme a year)."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    results_computed_at = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text=_("When the results were last computed.")
    )
    results_stale = serializers.BooleanField(
        read_only=True,
        help_text=_("The ledger changed since the results were computed (or none exist yet)."),
    )
    recompute_pending = serializers.BooleanField(
        read_only=True, help_text=_("A recompute of this year is queued.")
    )

    class Meta:
        model = Scheme
        fields = [
            "year",
            "status",
            "status_label",
            *SCHEME_SETTINGS,
            *SCHEME_OPTIONS,
            "created_at",
            "results_computed_at",
            "results_stale",
            "recompute_pending",
        ]
        read_only_fields = fields


class SchemeTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(TRANSITIONS),
        help_text=_(
            "open: draft → open; review: open → review; publish: review → published; "
            "reopen: published → review (needs a reason)."
        ),
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SchemeCheckSerializer(serializers.Serializer):
    problems = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("What does not add up; the year can open when this is empty."),
    )


# --- Indicators and targets ----------------------------------------------------------------------


class ScorerSerializer(serializers.Serializer):
    """One of an indicator's several scorers: a department (its code) or a leader (their
    username), and a weight for a weighted average (a string such as "0.5", else null)."""

    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ScoringDepartment.objects.all(),
        allow_null=True,
        required=False,
        default=None,
    )
    leader = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(role=Role.LEADER),
        allow_null=True,
        required=False,
        default=None,
        help_text=_("Username of a leader (领导) account."),
    )
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, required=False, default=None
    )

    def to_representation(self, row):
        return {
            "department": row.department.code if row.department_id else None,
            "leader": row.leader.username if row.leader_id else None,
            "weight": None if row.weight is None else _plain(row.weight),
        }


def _plain(value: Decimal) -> str:
    """0.5000 → "0.5", 1.0000 → "1"."""
    text = format(value.normalize(), "f")
    return text


class IndicatorSerializer(serializers.ModelSerializer):
    year = serializers.SlugRelatedField(
        source="scheme", slug_field="year", queryset=Scheme.objects.all()
    )
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ScoringDepartment.objects.all(),
        help_text=_("Code of the scoring department that owns and scores the indicator."),
    )
    department_name = serializers.CharField(source="department.name", read_only=True)
    institutions = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Institution.objects.all(),
        many=True,
        required=False,
        help_text=_("Codes of the institutions it applies to, when it does not apply to all."),
    )
    part_label = serializers.CharField(source="get_part_display", read_only=True)
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    scorers = ScorerSerializer(
        many=True,
        required=False,
        help_text=_(
            "Its several scorers (empty: its department alone). HR may change them and "
            "`aggregation` until the year is published (services.indicator_scorers_set)."
        ),
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "year",
            "code",
            "part",
            "part_label",
            "name",
            "max_points",
            "method",
            "method_label",
            "direction",
            "department",
            "department_name",
            "applies_to_all",
            "institutions",
            "sort_order",
            "aggregation",
            "scorers",
        ]
        # Code format and uniqueness in the year are checked by the service (full_clean).
        extra_kwargs = {"code": SERVICE_VALIDATED}
        validators = []


class HalfYearField(serializers.ChoiceField):
    """h1 / h2, also written H1 / H2 or 上半年 / 下半年 (the workbook's words)."""

    WORDS = {"上半年": HalfYear.H1, "下半年": HalfYear.H2}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = self.WORDS.get(data.strip(), data.strip().lower())
        return super().to_internal_value(data)


class TargetSerializer(serializers.ModelSerializer):
    indicator = serializers.PrimaryKeyRelatedField(queryset=Indicator.objects.all())
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    year = serializers.IntegerField(source="indicator.scheme.year", read_only=True)
    institution = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Institution.objects.all(),
        error_messages={"does_not_exist": _("Unknown institution {value}.")},
    )
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # One answer for a code out of scope and one that does not exist (issue 16, item 8).
            self.fields["institution"].queryset = institutions_visible_to(request.user)

    period = HalfYearField(
        choices=HalfYear.choices,
        help_text=_(
            "h1: the first half-year's target and figures (by 30 June); h2: the whole year's, "
            "cumulative. H1 is scored on H1's figures, H2 on the whole year's."
        ),
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "year",
            "indicator",
            "indicator_code",
            "institution",
            "institution_name",
            "period",
            "kind",
            "unit",
            "target_value",
            "actual_value",
            "deadline",
            "completed_on",
        ]
        # A new target's kind follows its indicator's method when not given (target_save).
        extra_kwargs = {"kind": {"required": False}}


# --- The ledger ----------------------------------------------------------------------------------


class EntryDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)

    class Meta:
        model = EntryDecision
        fields = ["approved", "note", "decided_by", "decided_at"]
        read_only_fields = fields


class EntrySerializer(serializers.ModelSerializer):
    """A ledger entry as read. The list query annotates `status` and `reversed_by_pk`."""

    year = serializers.IntegerField(source="scheme.year", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True, allow_null=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True, allow_null=True)
    department = serializers.CharField(source="department.code", read_only=True, allow_null=True)
    leader = serializers.CharField(
        source="leader.username",
        read_only=True,
        allow_null=True,
        help_text=_("The leader whose part of the indicator this is (then no department)."),
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    status = serializers.ChoiceField(choices=EntryStatus.CHOICES, read_only=True)
    reversed_by = serializers.IntegerField(
        source="reversed_by_pk",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the entry that reverses this one."),
    )
    evidence_url = serializers.SerializerMethodField()
    decision = EntryDecisionSerializer(read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "year",
            "institution",
            "institution_name",
            "kind",
            "indicator",
            "indicator_name",
            "period",
            "points",
            "reason",
            "is_official",
            "needs_approval",
            "status",
            "decision",
            "reverses",
            "reversed_by",
            "evidence_url",
            "department",
            "leader",
            "created_by",
            "created_at",
            "source",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_evidence_url(self, entry) -> str | None:
        # The download page checks scope; the file itself is never served from a public URL.
        return f"/appraisal/entries/{entry.pk}/evidence/" if entry.evidence else None


# Named as the request side of the Entry resource (EntryRequest in the schema).
@extend_schema_serializer(component_name="Entry")
class EntryCreateSerializer(serializers.Serializer):
    """Points to record. Names are resolved here; whether the caller may record them (and the
    ledger's rules) is the service's to say."""

    year = serializers.IntegerField()
    institution = serializers.CharField(help_text=_("Institution code."))
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    indicator = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text=_("Indicator code (kind 'indicator' only)."),
    )
    period = serializers.ChoiceField(choices=Period.choices, required=False, default=Period.YEAR)
    points = serializers.DecimalField(
        **POINTS, help_text=_("Signed points; bonus and veto points are positive.")
    )
    reason = serializers.CharField()
    evidence = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_evidence],  # the entry form's rule: kind of file and size
        help_text=_("A document or a picture of one (multipart form)."),
    )
    is_official = FormSafeBooleanField(
        required=False,
        default=True,
        help_text=_("false: a self-assessment (自评) by the institution head."),
    )

    def validate(self, data):
        errors = {}
        scheme = Scheme.objects.filter(year=data["year"]).first()
        if scheme is None:
            errors["year"] = _("There is no scheme for %(year)s.") % {"year": data["year"]}
        # Out of the caller's scope and not existing are one answer: the API tells nobody which
        # institutions exist beyond those they may see (issue 16, item 8).
        user = self.context["request"].user
        institution = institutions_visible_to(user).filter(code=data["institution"]).first()
        if institution is None:
            errors["institution"] = _("Unknown institution %(code)s.") % {
                "code": data["institution"]
            }
        indicator = None
        if data["indicator"] and scheme is not None:
            indicator = scheme.indicators.filter(code=data["indicator"]).first()
            if indicator is None:
                errors["indicator"] = _("The %(year)s scheme has no indicator %(code)s.") % {
                    "year": scheme.year,
                    "code": data["indicator"],
                }
        if errors:
            raise serializers.ValidationError(errors)
        return data | {"scheme": scheme, "institution": institution, "indicator": indicator}


class EntryReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=_("Why the entry is corrected."))


class EntryDecideSerializer(serializers.Serializer):
    approved = FormSafeBooleanField()
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why; required to reject indicator points under review (评分复核)."),
    )


def scorer_specs(rows) -> list[ScorerSpec]:
    """The service's ScorerSpec of each validated ScorerSerializer row."""
    return [ScorerSpec(r.get("department"), r.get("leader"), r.get("weight")) for r in rows]


# --- Results -------------------------------------------------------------------------------------


class ResultSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    group = serializers.CharField(source="group.code", read_only=True, allow_null=True)
    group_name = serializers.CharField(source="group.name", read_only=True, allow_null=True)
    grade_label = serializers.CharField(source="get_grade_display", read_only=True)

    class Meta:
        model = Result
        fields = [
            "year",
            "institution",
            "institution_name",
            "group",
            "group_name",
            "common",
            "common_h1",
            "common_h2",
            "business",
            "business_h1",
            "business_h2",
            "execution",
            "bonus",
            "bonus_uncapped",
            "veto",
            "vetoed",
            "total",
            "grade",
            "grade_label",
            "rank",
            "prize_level",
            "prize_amount",
            "yellow_card",
            "admonition",
            "recommended",
            "gap_to_qualify",
            "gap_to_next_prize",
            "gap_to_above",
            "margin_below",
            "h1_total",
            "h1_rank",
            "h1_grade",
            "self_total",
            "self_gap_flag",
        ]
        read_only_fields = fields


# --- Appeals -------------------------------------------------------------------------------------


class AppealSerializer(serializers.ModelSerializer):
    """An appeal (申诉) as read, with the entry it contests and the entry that reversed it."""

    year = serializers.IntegerField(source="scheme.year", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    entry_points = serializers.DecimalField(source="entry.points", **POINTS, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    answered_by = serializers.CharField(
        source="answered_by.username", read_only=True, allow_null=True
    )
    reversal = serializers.IntegerField(
        source="reversal_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the entry that reversed the contested one (accepted appeals)."),
    )
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "id",
            "year",
            "institution",
            "institution_name",
            "entry",
            "entry_points",
            "reasons",
            "evidence_url",
            "status",
            "status_label",
            "submitted_by",
            "submitted_at",
            "answer",
            "answered_by",
            "answered_at",
            "reversal",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_evidence_url(self, appeal) -> str | None:
        # The download page checks scope; the file itself is never served from a public URL.
        return f"/appraisal/appeals/{appeal.pk}/evidence/" if appeal.evidence else None


# Named as the request side of the Appeal resource (AppealRequest in the schema).
@extend_schema_serializer(component_name="Appeal")
class AppealCreateSerializer(serializers.Serializer):
    """An appeal to submit. Whether the caller may appeal this entry, and whether it may be
    appealed at all, is the service's to say."""

    entry = serializers.IntegerField(help_text=_("Id of the ledger entry appealed."))
    reasons = serializers.CharField(help_text=_("Why the entry is wrong."))
    evidence = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_evidence],  # the appeal form's rule: kind of file and size
        help_text=_("A document or a picture of one (multipart form)."),
    )


class AppealAnswerSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
        help_text=_("accept: the entry is reversed; reject: it stays."),
    )
    answer = serializers.CharField(help_text=_("The answer to the institution."))
