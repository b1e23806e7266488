"""The forms of 数据填报's pages (the API has its serializers; both call reporting.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal.models import HalfYear
from orgs.uploads import SCORING_EVIDENCE_KINDS, accept_attribute

from .services import NOTE_MAX_LENGTH


class ItemForm(forms.Form):
    """An item's figure and note, on a phone as well: one field under the other."""

    actual_value = forms.DecimalField(
        label=_("Actual value"), required=False, max_digits=16, decimal_places=4
    )
    completed_on = forms.DateField(
        label=_("Completion date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("Work done"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute(SCORING_EVIDENCE_KINDS)}),
    )

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if item is not None:
            if not item.has_figure:
                del self.fields["actual_value"], self.fields["completed_on"]
            elif item.is_deadline:
                del self.fields["actual_value"]
            else:
                del self.fields["completed_on"]
            for name in list(self.fields):
                self.fields[name].widget.attrs.setdefault("id", f"id_{name}_{item.pk}")
                self.fields[name].widget.attrs["data-testid"] = f"{name}-{item.indicator.code}"

    def values(self) -> dict:
        return {
            n: self.cleaned_data[n]
            for n in ("actual_value", "completed_on", "note")
            if n in self.fields
        }


class StartForm(forms.Form):
    year = forms.IntegerField(label=_("Year"))
    period = forms.ChoiceField(label=_("Half-year"), choices=HalfYear.choices)
    institution = forms.CharField(label=_("Institution code"), required=False)


class CorrectionForm(forms.Form):
    actual_value = forms.DecimalField(required=False, max_digits=16, decimal_places=4)
    completed_on = forms.DateField(required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Filled template"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
