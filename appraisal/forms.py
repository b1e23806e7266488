"""Forms of the appraisal pages. They only parse input: each view hands `cleaned_data` to a
service, which validates the rules and writes. They are plain forms, not model forms, so that the
object a service receives is never changed by the form before the service audits its "before"."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs.models import Institution, Role, ScoringDepartment, User

from .access import indicators_scored_by
from .models import Aggregation, HalfYear, Indicator, Method, Scheme, Target
from .services import (
    DEADLINES,
    INDICATOR_FIELDS,
    SCHEME_OPTIONS,
    SCHEME_SETTINGS,
    TARGET_FIELDS,
    TRANSITIONS,
    ScorerSpec,
    indicator_applies,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _code_and_name(institution: Institution) -> str:
    return f"{institution.code} {institution.name}"


def _initial(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names} if obj is not None else {}


class SchemeCreateForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=2999,
        help_text=_("Settings and indicators are copied from the latest earlier year."),
    )


class SchemeSettingsForm(forms.Form):
    """The points settings (a draft's only) and the options (until the year is published:
    评分需复核 per part, reports to the head first, the deadlines); services.scheme_update."""

    def __init__(self, *args, scheme: Scheme, **kwargs):
        names = (*SCHEME_SETTINGS, *SCHEME_OPTIONS)
        super().__init__(*args, initial=_initial(scheme, names), **kwargs)
        for name in SCHEME_SETTINGS:
            # The veto line is a threshold that must be reached: zero would veto everyone.
            minimum = Decimal("0.01") if name == "veto_line" else Decimal("0")
            self.fields[name] = Scheme._meta.get_field(name).formfield(min_value=minimum)
        for name in SCHEME_OPTIONS:
            field = Scheme._meta.get_field(name).formfield()
            if name in DEADLINES:
                field.widget = DATE_INPUT
            self.fields[name] = field

    def settings_fields(self):
        return [self[name] for name in SCHEME_SETTINGS]

    def review_fields(self):
        return [self[name] for name in SCHEME_OPTIONS if name not in DEADLINES]

    def deadline_fields(self):
        return [self[name] for name in DEADLINES]


class TransitionForm(forms.Form):
    """The year's next step; the reason is the confirm dialog's (orgs.confirm), kept here to
    show the service's refusal beside it."""

    action = forms.ChoiceField(choices=[(a, a) for a in TRANSITIONS], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class IndicatorForm(forms.Form):
    """An indicator of a year; `institutions` lists who it applies to when not all."""

    def __init__(self, *args, indicator: Indicator | None = None, **kwargs):
        initial = _initial(indicator, INDICATOR_FIELDS)
        if indicator is not None:
            initial["department"] = indicator.department_id
            initial["institutions"] = [i.pk for i in indicator.institutions.all()]
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(forms.fields_for_model(Indicator, fields=INDICATOR_FIELDS))
        self.fields["department"].queryset = ScoringDepartment.objects.order_by(
            "sort_order", "code"
        )
        self.fields["direction"].help_text = _("Only for completion-ratio indicators.")
        self.fields["aggregation"] = forms.ChoiceField(
            label=_("Several scorers' rule"),
            choices=Aggregation.choices,
            required=False,  # absent: unchanged
            initial=indicator.aggregation if indicator is not None else Aggregation.SUM,
            help_text=_(
                "Sum: every scorer's points in one tally. Average or weighted average: each "
                "scorer's own score, then their mean (docs/SCORING.md)."
            ),
        )
        self.fields["institutions"] = forms.ModelMultipleChoiceField(
            label=_("Applies to these institutions"),
            queryset=Institution.objects.order_by("code"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Used when the indicator does not apply to all institutions."),
        )
        self.fields["institutions"].label_from_instance = _code_and_name

    def clean(self):
        data = super().clean()
        if data.get("method") and data["method"] != Method.RATIO:
            data["direction"] = ""
        if data.get("applies_to_all"):
            data["institutions"] = []
        elif "institutions" in data and not data["institutions"]:
            self.add_error(
                "institutions", _("Choose the institutions it applies to, or tick “all”.")
            )
        return data

    def main_fields(self):
        return [self[name] for name in INDICATOR_FIELDS]

    def indicator_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in INDICATOR_FIELDS}


class ScorerForm(forms.Form):
    """One row of an indicator's scorers: a department or a leader, and a weight."""

    department = forms.ModelChoiceField(
        label=_("Scoring department"), queryset=ScoringDepartment.objects.none(), required=False
    )
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none(), required=False)
    weight = forms.DecimalField(
        label=_("Weight"),
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("1"),
        required=False,
        help_text=_("Weighted average only; the weights add up to 1."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = ScoringDepartment.objects.order_by(
            "sort_order", "code"
        )
        self.fields["leader"].queryset = User.objects.filter(
            role=Role.LEADER, is_active=True
        ).order_by("username")
        self.fields["leader"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        data = super().clean()
        if data.get("department") and data.get("leader"):
            raise forms.ValidationError(_("A department or a leader, not both."))
        return data

    def spec(self):
        data = self.cleaned_data
        if not data or not (data.get("department") or data.get("leader")):
            return None  # an empty row
        return ScorerSpec(data.get("department"), data.get("leader"), data.get("weight"))


class BaseScorerFormSet(forms.BaseFormSet):
    def specs(self) -> list[ScorerSpec]:
        return [spec for form in self.forms if (spec := form.spec()) is not None]


ScorerFormSet = forms.formset_factory(
    ScorerForm, formset=BaseScorerFormSet, extra=3, max_num=20, validate_max=True
)


def scorer_formset(data=None, *, indicator: Indicator | None = None):
    initial = [
        {
            "department": r.department_id,
            "leader": r.leader_id,
            "weight": None if r.weight is None else r.weight.normalize(),
        }
        for r in (indicator.scorers.all() if indicator is not None else [])
    ]
    return ScorerFormSet(data, initial=initial, prefix="scorers")


class TargetForm(forms.Form):
    """One institution's target and figures on a completion-ratio indicator of the year, for one
    half-year (上半年 by 30 June; 下半年 the whole year, cumulative)."""

    # What a scorer may report; the rest of a target is HR's.
    REPORTED_FIELDS = ("actual_value", "completed_on")

    def __init__(
        self,
        *args,
        scheme: Scheme,
        target: Target | None = None,
        user=None,
        reporting=False,
        **kwargs,
    ):
        super().__init__(*args, initial=_initial(target, TARGET_FIELDS), **kwargs)
        self.reporting = reporting
        indicators = Indicator.objects.filter(scheme=scheme, method=Method.RATIO)
        if user is not None:
            indicators = indicators.filter(pk__in=indicators_scored_by(user, scheme))
        self.fields["indicator"] = forms.ModelChoiceField(
            label=_("Indicator"), queryset=indicators.order_by("code")
        )
        self.fields["institution"] = forms.ModelChoiceField(
            label=_("Institution"), queryset=Institution.objects.order_by("code")
        )
        self.fields["institution"].label_from_instance = _code_and_name
        self.fields["period"] = forms.ChoiceField(
            label=_("Period"),
            choices=HalfYear.choices,
            initial=target.period if target is not None else HalfYear.H2,
            help_text=_("First half: by 30 June. Second half: the whole year, cumulative."),
        )
        self.fields.update(forms.fields_for_model(Target, fields=TARGET_FIELDS))
        self.fields["kind"].required = False
        self.fields["kind"].help_text = _("Left blank: what the indicator's method measures.")
        for name in ("deadline", "completed_on"):
            self.fields[name].widget = DATE_INPUT
        if reporting:
            for name in TARGET_FIELDS:
                if name not in self.REPORTED_FIELDS:
                    self.fields[name].disabled = True
                    self.fields[name].required = False

    def clean(self):
        data = super().clean()
        indicator, institution = data.get("indicator"), data.get("institution")
        if indicator and institution and not indicator_applies(indicator, institution):
            self.add_error(
                "institution",
                _("%(indicator)s does not apply to this institution.") % {"indicator": indicator},
            )
        return data

    # The form laid out in rows on a wide screen (one column on a phone).
    ROWS = (
        ("indicator", "institution", "period"),
        ("kind", "unit"),
        ("target_value", "actual_value"),
        ("deadline", "completed_on"),
    )

    def rows(self):
        return [[self[name] for name in row] for row in self.ROWS]

    def target_fields(self) -> dict:
        """What target_save is given besides indicator and institution: the period and the
        fields this user may set (a blank kind is left to the service)."""
        names = self.REPORTED_FIELDS if self.reporting else TARGET_FIELDS
        fields = {name: self.cleaned_data[name] for name in names}
        if not fields.get("kind", True):
            del fields["kind"]
        return {"period": self.cleaned_data["period"], **fields}


class DecisionForm(forms.Form):
    """Which proposal and what HR decides; the note is the confirm dialog's reason
    (orgs.confirm)."""

    entry = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
