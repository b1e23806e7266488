"""Forms of the scoring pages: a ledger entry and the grid's filters (the ledger's are
filters.LedgerFilterSet).
They only parse input and offer the choices the user may pick; the rules are in services."""

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs import uploads
from orgs.access import institutions_visible_to, user_role
from orgs.models import Institution, Role

from . import engine
from .access import indicators_scored_by
from .models import Indicator, LedgerEntry, Part, Period, Scheme
from .selectors import indicators_for_entry

# Evidence is a document, a picture of one, a workbook or a Word file, checked by content
# (orgs.uploads); anything else (scripts, HTML, archives) is refused.
EVIDENCE_KINDS = uploads.SCORING_EVIDENCE_KINDS
EVIDENCE_EXTENSIONS = tuple(e for kind in EVIDENCE_KINDS for e in kind.extensions)
validate_evidence = uploads.validate_scoring_evidence


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name} ({obj.get_part_display()})"


def _visible_institutions(user):
    return institutions_visible_to(user).order_by("code")


class EntryForm(forms.Form):
    """One ledger entry. Official points for HR and scorers (bonus and veto proposals too);
    self-assessment of their own institution for a head."""

    institution = InstitutionChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), to_field_name="code"
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=LedgerEntry.Kind.choices)
    indicator = IndicatorChoiceField(
        label=_("Indicator"),
        queryset=Indicator.objects.none(),
        to_field_name="code",
        required=False,
        help_text=_("For indicator points only."),
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=Period.choices,
        help_text=_("Bonus points, veto deductions and execution capacity count for the year."),
    )
    points = forms.DecimalField(
        label=_("Points"),
        max_digits=8,
        decimal_places=2,
        help_text=_("Signed: a deduction is negative. Bonus and veto points are positive."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        validators=[validate_evidence],
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{e}" for e in EVIDENCE_EXTENSIONS)}
        ),
        help_text=_("PDF, image, xlsx or docx, at most 10 MB."),
    )
    # A fresh random token each time the empty form is rendered; a double click or a browser
    # resubmitting posts the same one, and the service records the entry once
    # (services.ledger_entry_create, docs/SCORING.md "Idempotency").
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=64,
        initial=lambda: new_idempotency_key(),
    )

    def __init__(self, *args, user, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_self_assessment = user_role(user) == Role.HEAD
        self.fields["institution"].queryset = _visible_institutions(user)
        self.fields["indicator"].queryset = indicators_for_entry(user, scheme)
        if self.is_self_assessment:
            # A head's self-assessment (自评) sits beside the official indicator scores; bonus
            # and veto points are official only.
            self.fields["kind"].choices = [
                (LedgerEntry.Kind.INDICATOR, LedgerEntry.Kind.INDICATOR.label)
            ]
            self.fields["indicator"].help_text = ""
        elif user_role(user) == Role.LEADER:
            # A leader scores the indicators they are named on; bonus and veto are proposed by
            # the departments (services._entry_build).
            self.fields["kind"].choices = [
                (LedgerEntry.Kind.INDICATOR, LedgerEntry.Kind.INDICATOR.label)
            ]

    @property
    def rows(self) -> list[list]:
        """The visible fields as the page lays them out (c-form-fields :rows)."""
        return [
            [self["institution"], self["kind"]],
            [self["indicator"], self["period"]],
            [self["points"], self["evidence"]],
            [self["reason"]],
        ]

    def clean(self):
        data = super().clean()
        if data.get("kind") == LedgerEntry.Kind.INDICATOR:
            if not data.get("indicator") and "indicator" not in self.errors:
                self.add_error("indicator", _("Choose the indicator these points are for."))
        elif data.get("kind"):
            data["indicator"] = None
            data["period"] = engine.Period.YEAR
        return data

    def entry_fields(self) -> dict:
        """The keyword arguments of services.ledger_entry_create."""
        data = self.cleaned_data
        return {
            "institution": data["institution"],
            "kind": data["kind"],
            "indicator": data["indicator"],
            "period": data["period"],
            "points": data["points"],
            "reason": data["reason"],
            "evidence": data.get("evidence") or None,
            "is_official": not self.is_self_assessment,
            "idempotency_key": data.get("idempotency_key") or None,
        }

    def renew_idempotency_key(self) -> None:
        """A new token in the re-rendered form: the one posted named a different entry (the
        user went back and changed the form), so posting it again records a new entry."""
        self.data = self.data.copy()
        self.data[self.add_prefix("idempotency_key")] = new_idempotency_key()


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


class GridFilterForm(forms.Form):
    part = forms.ChoiceField(
        label=_("Part"), choices=[("", _("All parts")), *Part.choices], required=False
    )
    indicator = IndicatorChoiceField(
        label=_("Indicator"),
        queryset=Indicator.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All my indicators"),
    )
    # 待办's link (appraisal/todo.py): the indicators selectors.indicators_unscored lists.
    unscored = forms.BooleanField(
        label=_("Only those not yet scored this half-year"), required=False
    )

    def __init__(self, *args, user, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators_scored_by(user, scheme).order_by(
            "part", "sort_order", "code"
        )
