"""Forms of the bulletin pages. They parse input; the rules (who may, which period, what a
published bulletin or a reviewed explanation refuses) are in bulletins.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import POINTS

from .attachments import ATTACHMENT_ACCEPT, validate_attachment
from .models import Bulletin


class GenerateForm(forms.Form):
    """HR generates a bulletin: the period is the week or month that ended last before the day."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("Kind"), choices=Bulletin.Kind.choices)
    day = forms.DateField(
        label=_("As of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Reports the last week (Monday to Sunday) or month that ended before this day."
        ),
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in years]
        if years and not self.is_bound:
            self.initial.setdefault("year", years[0])
        self.initial.setdefault("day", timezone.localdate())


class ExplanationForm(forms.Form):
    text = forms.CharField(
        label=_("Explanation"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Why the institution is at the bottom of its group, and what it is doing."),
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        validators=[validate_attachment],
        help_text=_("PDF, picture or Excel workbook, at most 10 MB. Optional."),
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )


class PolicyForm(forms.Form):
    veto_margin = forms.DecimalField(
        label=_("Veto line margin"),
        min_value=0,
        max_digits=POINTS["max_digits"],
        decimal_places=POINTS["decimal_places"],
        help_text=_("Warn when veto deductions are within this many points of the veto line."),
    )
    prize_margin = forms.DecimalField(
        label=_("Prize margin"),
        min_value=0,
        max_digits=POINTS["max_digits"],
        decimal_places=POINTS["decimal_places"],
        help_text=_(
            "Warn when a prize winner leads the unit below it by at most this many points."
        ),
    )
    explanation_bottom_n = forms.IntegerField(
        label=_("Explanations from the bottom units"),
        min_value=0,
        max_value=100,
        help_text=_(
            "Each monthly bulletin asks this many units at the bottom of each group for an "
            "explanation (ties at the boundary are all asked)."
        ),
    )
    explanation_days = forms.IntegerField(
        label=_("Days for an explanation"), min_value=1, max_value=365
    )
