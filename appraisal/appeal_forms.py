"""Forms of the appeal pages (申诉). They only parse input; the rules are in
services.appeal_submit and services.appeal_answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .scoring_forms import EVIDENCE_EXTENSIONS, validate_evidence


class AppealForm(forms.Form):
    reasons = forms.CharField(
        label=_("Reasons"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why the entry is wrong, with the facts that show it."),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        validators=[validate_evidence],
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{e}" for e in EVIDENCE_EXTENSIONS)}
        ),
        help_text=_("PDF, image, xlsx or docx, at most 10 MB."),
    )


class AppealAnswerForm(forms.Form):
    DECISIONS = [("accept", _("Accept")), ("reject", _("Reject"))]

    answer = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Sent to the institution. Accepting reverses the entry; rejecting keeps it. "
            "An appeal is answered once."
        ),
    )
    decision = forms.ChoiceField(choices=DECISIONS)
