"""Forms and the filter set of the system administrator's account pages (orgs.views_system)."""

import django_filters
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .filters import SortFilter, _yes_no_select
from .models import Institution, Role, ScoringDepartment, User


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    role = django_filters.ChoiceFilter(
        choices=[("none", _("No role")), *Role.choices], method="filter_role", label=_("Role"),
        empty_label=_("All roles"),
    )  # fmt: skip
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=_yes_no_select())
    ordering = SortFilter(
        fields=(("username", "username"), ("name", "name"), ("role", "role"),
                ("last_login", "last_login"), ("password_changed_at", "password_changed_at")),
        then=("username", "pk"),
    )  # fmt: skip

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value) | Q(name__icontains=value) | Q(email__icontains=value)
        )

    def filter_role(self, queryset, name, value):
        return queryset.filter(role="" if value == "none" else value)


class _PasswordPair(forms.Form):
    password1 = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Its owner must change it at their next sign-in."),
    )
    password2 = forms.CharField(
        label=_("Temporary password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def _password_user(self):
        return None

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, self._password_user())
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class AccountForm(forms.ModelForm):
    """An account's name, role and scope; a new one also gets a temporary password."""

    payroll_institutions = forms.ModelMultipleChoiceField(
        queryset=Institution.objects.only("code", "name").order_by("code"),
        required=False,
        label=_("Payroll institutions"),
        help_text=_("Only for a payroll officer: the institutions whose payroll they run."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    contact_institutions = forms.ModelMultipleChoiceField(
        queryset=Institution.objects.only("code", "name").order_by("code"),
        required=False,
        label=_("Contact institutions"),
        help_text=_("Only for a leader: their 联系单位, whose results and entries they read."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = User
        fields = [
            "username", "name", "email", "role", "scoring_department", "institution", "is_active"
        ]  # fmt: skip
        help_texts = {
            "role": _(
                "An institution head is bound to their institution on the institution's page "
                "(HR). The three administrators' roles (三员) see no business data."
            ),
            "scoring_department": _("Only for a scorer, who must have one."),
            "institution": _(
                "所属机构: the institution whose staff the account is (letters one level down). "
                "A contact person must have one; HR or the head then names them."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scoring_department"].queryset = ScoringDepartment.objects.all()
        self.fields["institution"].queryset = Institution.objects.only("code", "name")
        self.fields["role"].required = False
        if self.instance.pk:
            self.fields["payroll_institutions"].initial = list(
                self.instance.payroll_institutions.values_list("pk", flat=True)
            )
            self.fields["contact_institutions"].initial = list(
                self.instance.contact_institutions.values_list("pk", flat=True)
            )
            self.fields["username"].disabled = True

    def account_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "username"}


class AccountCreateForm(_PasswordPair, AccountForm):
    def _password_user(self):
        return User(
            username=self.cleaned_data.get("username", ""),
            name=self.cleaned_data.get("name", ""),
            email=self.cleaned_data.get("email", ""),
        )

    def account_fields(self) -> dict:
        return {"username": self.cleaned_data["username"], **super().account_fields()}


class AccountPasswordForm(_PasswordPair):
    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def _password_user(self):
        return self.user


class DeviceResetForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.all(), widget=forms.HiddenInput)
