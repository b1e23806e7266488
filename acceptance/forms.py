"""Forms of the acceptance pages. They parse input and offer the choices a user may pick; the
rules (5 to 8 institutions, one open batch, who ticks and decides) are in acceptance.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs import uploads
from orgs.models import Institution

from .models import Team
from .selectors import institutions_for_batch

# Evidence taken on site: a scanned document or a photo of it, checked by content
# (orgs.uploads); anything else is refused (a renamed script is not a picture).
EVIDENCE_KINDS = uploads.ACCEPTANCE_EVIDENCE_KINDS
EVIDENCE_ACCEPT = uploads.accept_attribute(EVIDENCE_KINDS)
validate_evidence = uploads.validate_acceptance_evidence


class InstitutionChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _("%(code)s %(name)s · round %(round)s") % {
            "code": obj.code,
            "name": obj.name,
            "round": obj.next_round,
        }


class BatchForm(forms.Form):
    """A new batch. The number of institutions is not checked here: services.batch_create refuses
    anything but 5 to 8 with its own message, which the page shows."""

    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(label=_("Acceptance team"), queryset=Team.objects.all())
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    institutions = InstitutionChoices(
        label=_("Institutions"),
        queryset=Institution.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Pilot institutions in no open batch and not yet accepted, with their round."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A fresh queryset on every form: the eligible institutions change as batches are made.
        self.fields["institutions"].queryset = institutions_for_batch()

    @property
    def main_fields(self) -> list:
        """The fields laid out in a row; the institutions have a grid of their own."""
        return [self["name"], self["team"], self["date"]]

    def batch_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "team": data["team"],
            "date": data["date"],
            "institutions": list(data["institutions"]),
        }


class TickForm(forms.Form):
    """One item of the checklist on site: met or not, a note, and evidence."""

    met = forms.TypedChoiceField(
        label=_("Met"),
        choices=[("yes", _("Yes, met")), ("no", _("No, not met"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        validators=[validate_evidence],
        help_text=_("PDF or picture, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
    )

    @property
    def detail_fields(self) -> list:
        """The note and the evidence, under the big met / not met choice."""
        return [self["note"], self["evidence"]]


class DecisionForm(forms.Form):
    """Pass or fail, with a note; which button was pressed gives the decision."""

    decision = forms.ChoiceField(choices=[("pass", _("Pass")), ("fail", _("Fail"))])
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GoLiveForm(forms.Form):
    """HR sets the go-live month: a new version of the standard with the same items. Posted from
    the standard page's confirm dialog; the server checks the confirmation (orgs.confirm)."""

    go_live_month = forms.DateField(
        label=_("Go-live month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("The month the rollout went live, as YYYY-MM, e.g. 2026-10."),
        widget=forms.DateInput(format="%Y-%m", attrs={"type": "month", "placeholder": "2026-10"}),
    )
