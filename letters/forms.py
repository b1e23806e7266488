"""Forms of the letters pages. They parse input only; every rule (who signs, coverage of the
decomposed targets) is letters.services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs.models import AssessmentGroup, Institution

from .models import LetterItem
from .services import ChildLetter, cascade_signer, signer_refused


class SignForm(forms.Form):
    """The holder's deliberate act: tick that the letter was read, and re-enter the password."""

    reviewed = forms.BooleanField(
        label=_("I have read the whole letter and accept its targets and commitments."),
        error_messages={"required": _("Tick that you have read the letter before you sign it.")},
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class IssueForm(forms.Form):
    """HR's "issue the letters": to every institution in a group, one group, or one institution."""

    group = forms.ModelChoiceField(
        label=_("Assessment group"),
        queryset=AssessmentGroup.objects.order_by("sort_order", "code"),
        to_field_name="code",
        required=False,
        empty_label=_("every group"),
    )
    institution = forms.CharField(required=False, widget=forms.HiddenInput)


class CascadeRowForm(forms.Form):
    """One letter one level down: its holder, the account that signs it, and the parts of the
    parent's business targets it takes on — an amount of each additive target, or a tick to take
    a non-additive target whole. A row left empty is ignored."""

    holder_name = forms.CharField(label=_("Holder"), max_length=100, required=False)
    signer = forms.CharField(label=_("Signer's username"), max_length=150, required=False)

    def __init__(self, *args, items: list[LetterItem], institution: Institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.institution = institution
        for item in items:
            if item.additive:
                self.fields[f"amount_{item.pk}"] = forms.DecimalField(
                    label=item.text,
                    required=False,
                    max_digits=16,
                    decimal_places=4,
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                )
            else:
                self.fields[f"take_{item.pk}"] = forms.BooleanField(label=item.text, required=False)

    def item_fields(self):
        """(item, its bound field) in the parent's order, for the table's columns."""
        return [
            (item, self[f"amount_{item.pk}" if item.additive else f"take_{item.pk}"])
            for item in self.items
        ]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("holder_name") and not data.get("signer") and not self._allocations()

    def _allocations(self) -> dict:
        data, allocations = self.cleaned_data, {}
        for item in self.items:
            if item.additive and data.get(f"amount_{item.pk}") is not None:
                allocations[item.pk] = data[f"amount_{item.pk}"]
            elif not item.additive and data.get(f"take_{item.pk}"):
                allocations[item.pk] = None  # taken whole
        return allocations

    def clean(self):
        data = super().clean()
        if self.errors or self.is_blank():
            return data
        if not data.get("holder_name"):
            self.add_error("holder_name", _("Name who holds this letter."))
        username = data.get("signer")
        if not username:
            self.add_error("signer", _("Name the account that signs this letter."))
        else:
            # An account of the letter's institution; the same words whether the username exists
            # or not, so the form tells nobody which usernames exist.
            signer = cascade_signer(self.institution, username)
            if signer is None:
                self.add_error("signer", signer_refused(self.institution, username))
            data["signer_user"] = signer
        return data

    def child(self) -> ChildLetter:
        return ChildLetter(
            holder_name=self.cleaned_data["holder_name"],
            signer=self.cleaned_data["signer_user"],
            allocations=self._allocations(),
        )


class BaseCascadeFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [f for f in self.forms if not f.is_blank()]
        if not rows:
            raise forms.ValidationError(_("Fill in at least one letter."))
        names = [f.cleaned_data["holder_name"] for f in rows]
        if len(set(names)) != len(names):
            raise forms.ValidationError(_("Each letter needs a holder of its own."))

    def children(self) -> list[ChildLetter]:
        return [f.child() for f in self.forms if not f.is_blank()]


CASCADE_ROWS = 5  # empty rows offered; ?rows=N asks for more
CASCADE_MAX_ROWS = 50


def cascade_formset(rows: int = CASCADE_ROWS) -> type[BaseCascadeFormSet]:
    """The formset class offering `rows` empty letters (at most CASCADE_MAX_ROWS)."""
    return forms.formset_factory(
        CascadeRowForm,
        formset=BaseCascadeFormSet,
        extra=max(1, min(rows, CASCADE_MAX_ROWS)),
        max_num=CASCADE_MAX_ROWS,
        validate_max=True,
    )
