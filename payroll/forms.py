"""Forms of the payroll pages (the filter sets the pages share with the API are payroll.filters).
Forms parse input only: the rules (the basic ratio's range, the 优秀 cap, who may run whose
payroll) are payroll.services', whose messages the pages show as they are."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs.models import Institution

from .models import COEFFICIENT, MONEY, PayPolicy, PersonalGrade, Tier

MONTH_FORMAT = "%Y-%m"
MONTH_SCHEMA = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$", "example": "2026-01"}


class MonthField(forms.DateField):
    """A month as YYYY-MM (the first day of it), as in the Excel files and the month input."""

    input_formats = [MONTH_FORMAT]
    widget = forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format=MONTH_FORMAT)
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}


class InstitutionChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="code", **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


# --- Runs ----------------------------------------------------------------------------------------


class RunComputeForm(forms.Form):
    """Compute (or recompute) the draft run of an institution and month."""

    institution = InstitutionChoiceField(Institution.objects.none(), label=_("Institution"))
    month = MonthField(label=_("Month (YYYY-MM)"))

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


# --- Policies ------------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    """An institution's pay policy for a year. Year and institution are fixed once it exists."""

    year = forms.IntegerField(label=_("Appraisal year"), min_value=2000, max_value=2100)
    institution = InstitutionChoiceField(
        Institution.objects.order_by("code"), label=_("Institution")
    )
    per_capita = forms.DecimalField(
        label=_("Per-capita level (yuan per formal employee per year)"),
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        min_value=Decimal("0"),
    )
    # No range here: the service refuses a ratio outside 0.5–0.7 with the rule's own wording.
    basic_ratio = forms.DecimalField(
        label=_("Basic ratio"),
        max_digits=4,
        decimal_places=3,
        help_text=_("Share of the total paid monthly as basic performance pay, 0.5 to 0.7."),
    )
    settlement_month = MonthField(
        label=_("Settlement month (YYYY-MM)"),
        help_text=_("The month in which this year's incentive and prize money are paid."),
    )
    formal_staff = forms.IntegerField(
        label=_("Formal staff (N)"),
        min_value=0,
        required=False,
        help_text=_("Leave empty to count the institution's formal, active staff now."),
    )

    def __init__(self, *args, policy: PayPolicy | None = None, **kwargs):
        self.policy = policy
        if policy is not None:
            kwargs.setdefault(
                "initial",
                {
                    "year": policy.year,
                    "institution": policy.institution,
                    "per_capita": policy.per_capita,
                    "basic_ratio": policy.basic_ratio,
                    "settlement_month": policy.settlement_month,
                    "formal_staff": policy.formal_staff,
                },
            )
        super().__init__(*args, **kwargs)
        if policy is not None:
            self.fields["year"].disabled = True
            self.fields["institution"].disabled = True

    def clean(self):
        data = super().clean()
        year, institution = data.get("year"), data.get("institution")
        if (
            self.policy is None
            and year
            and institution
            and PayPolicy.objects.filter(year=year, institution=institution).exists()
        ):
            raise forms.ValidationError(
                _("%(code)s has a pay policy for %(year)s already; edit that one.")
                % {"code": institution.code, "year": year}
            )
        return data

    def policy_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                "year",
                "institution",
                "per_capita",
                "basic_ratio",
                "settlement_month",
                "formal_staff",
            )
        }


# --- Coefficients and grades ---------------------------------------------------------------------


def _coefficient_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=COEFFICIENT["max_digits"],
        decimal_places=COEFFICIENT["decimal_places"],
        min_value=Decimal("0"),
    )


class CoefficientsForm(forms.Form):
    """奖励系数 per tier, 个人等次系数 per grade, and the largest share of 优秀."""

    excellent_share = forms.DecimalField(
        label=_("Largest share of formal staff graded Excellent"),
        max_digits=4,
        decimal_places=3,
        help_text=_("At most max(1, ⌊N × share⌋) formal staff of an institution may be Excellent."),
    )

    def __init__(self, *args, table, **kwargs):
        initial = {f"tier_{value}": c for value, _label, c in table.tiers}
        initial |= {f"grade_{value}": c for value, _label, c in table.grades}
        initial["excellent_share"] = table.excellent_share
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for value, label in Tier.choices:
            self.fields[f"tier_{value}"] = _coefficient_field(label)
        for value, label in PersonalGrade.choices:
            self.fields[f"grade_{value}"] = _coefficient_field(label)
        # The share after the coefficients, as on the page.
        self.order_fields([name for name in self.fields if name != "excellent_share"])

    def tier_fields(self):
        return [self[f"tier_{value}"] for value in Tier.values]

    def grade_fields(self):
        return [self[f"grade_{value}"] for value in PersonalGrade.values]

    def coefficients(self) -> dict:
        data = self.cleaned_data
        return {
            "tiers": {value: data[f"tier_{value}"] for value in Tier.values},
            "grades": {value: data[f"grade_{value}"] for value in PersonalGrade.values},
            "excellent_share": data["excellent_share"],
        }


class GradesForm(forms.Form):
    """个人等次 of an institution's formal staff for a year, one select per employee."""

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.employees = {}
        for employee, grade in sheet:
            name = f"grade_{employee.pk}"
            self.employees[name] = employee
            self.fields[name] = forms.ChoiceField(
                label=f"{employee.staff_number} {employee.name}",
                choices=PersonalGrade.choices,
                initial=grade or PersonalGrade.QUALIFIED,
            )

    def rows(self):
        return [(employee, self[name]) for name, employee in self.employees.items()]

    def changed_grades(self) -> dict:
        """Only what the user changed: an unrecorded grade left at 合格 stays unrecorded."""
        return {
            self.employees[name]: self.cleaned_data[name]
            for name in self.changed_data
            if name in self.employees
        }
