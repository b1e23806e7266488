from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AssessmentGroup, Institution, PrizeLevel, Role, User


class GroupForm(forms.ModelForm):
    """A group and its prize table (one row per prize level)."""

    class Meta:
        model = AssessmentGroup
        fields = ["code", "name", "description", "sort_order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prizes = {p.level: p for p in self.instance.prizes.all()} if self.instance.pk else {}
        for level, label in PrizeLevel.choices:
            prize = prizes.get(level)
            self.fields[f"winners_{level}"] = forms.IntegerField(
                label=_("%(prize)s: winners") % {"prize": label},
                min_value=0,
                max_value=999,
                initial=prize.winners if prize else 0,
            )
            self.fields[f"amount_{level}"] = forms.DecimalField(
                label=_("%(prize)s: money (yuan)") % {"prize": label},
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                initial=prize.amount if prize else Decimal("0"),
            )

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def prize_field_rows(self):
        return [
            (label, self[f"winners_{level}"], self[f"amount_{level}"])
            for level, label in PrizeLevel.choices
        ]

    def group_fields(self):
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = ["code", "name", "group", "head", "is_pilot", "stage", "formal_headcount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        heads = User.objects.filter(role=Role.HEAD, is_active=True, headed_institution__isnull=True)
        if self.instance.pk and self.instance.head_id:
            heads = heads | User.objects.filter(pk=self.instance.head_id)
        self.fields["head"].queryset = heads.order_by("username")

    def validate_unique(self):
        # Uniqueness is checked by the service, which reports it on the same fields.
        pass

    def institution_fields(self):
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class ContactPersonForm(forms.Form):
    """Name a contact person (考核联络员) of one institution: one of its contact-person accounts,
    linked to one of its employees where the person is one."""

    user = forms.ModelChoiceField(queryset=None, label=_("Account"))
    employee = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Employee"),
        help_text=_("The employee record of the person, where they are one."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)

    def __init__(self, *args, institution, candidates, employees, **kwargs):
        super().__init__(*args, **kwargs)
        self.institution = institution
        self.fields["user"].queryset = candidates
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.username})"
        self.fields["employee"].queryset = employees
        self.fields["employee"].label_from_instance = lambda e: f"{e.name} ({e.staff_number})"
