"""The three administrators' pages (三员, 等保 2.0 level 3; docs/PERMISSIONS.md "三员"):

* system administrator: accounts and roles (list, create, edit, temporary password);
* security administrator: the security policies in force (read only), sign-ins locked out after
  wrong passwords (unlock), accounts' second factors (reset);
* audit administrator: the audit trail (orgs.views, shared with auditors).

None of them reads or changes business data; every change here is audited."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import accounts, mfa, security_admin
from .confirm import confirmation_required
from .forms_accounts import AccountCreateForm, AccountFilterSet, AccountForm, AccountPasswordForm
from .models import Role, User
from .views import apply_errors, role_required

ACCOUNTS_PER_PAGE = 50


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- System administrator: accounts and roles ---------------------------------------------------


@role_required(Role.SYSADMIN)
def account_list(request):
    queryset = (
        User.objects.select_related("scoring_department", "institution", "headed_institution")
        .annotate(
            payroll_count=Count("payroll_institutions", distinct=True),
            contact_count=Count("contact_institutions", distinct=True),
        )
        .order_by("username", "pk")
    )
    filterset = AccountFilterSet(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    devices = set(
        TOTPDevice.objects.filter(user__in=[u.pk for u in page], confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    context = {
        "filter": filterset,
        "page_obj": page,
        "with_device": devices,
        "querystring": _querystring_without_page(request),
    }
    return render(request, "orgs/account_list.html", context)


@role_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def account_edit(request, pk=None):
    user = get_object_or_404(User, pk=pk) if pk else None
    if user is not None and not accounts.account_manageable(user):
        raise PermissionDenied
    form_class = AccountForm if user else AccountCreateForm
    form = form_class(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        institutions = form.cleaned_data["payroll_institutions"]
        contact_institutions = form.cleaned_data["contact_institutions"]
        try:
            if user is None:
                user = accounts.account_create(
                    actor=request.user,
                    password=form.cleaned_data["password1"],
                    payroll_institutions=institutions,
                    contact_institutions=contact_institutions,
                    **form.account_fields(),
                )
                messages.success(request, _("Account %(name)s created.") % {"name": user})
            else:
                user = accounts.account_update(
                    actor=request.user,
                    user=user,
                    payroll_institutions=institutions,
                    contact_institutions=contact_institutions,
                    **form.account_fields(),
                )
                messages.success(request, _("Account %(name)s saved.") % {"name": user})
            return redirect("orgs:account_list")
        except ValidationError as error:
            apply_errors(form, error)
    context = {"form": form, "account": user, "is_self": user is not None and user == request.user}
    return render(request, "orgs/account_form.html", context, status=400 if form.errors else 200)


@role_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def account_password(request, pk):
    user = get_object_or_404(User, pk=pk)
    if not accounts.account_manageable(user):
        raise PermissionDenied
    form = AccountPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.account_password_set(
                actor=request.user, user=user, password=form.cleaned_data["password1"]
            )
            messages.success(
                request,
                _("A temporary password is set for %(name)s: they change it at their next sign-in.")
                % {"name": user},
            )
            return redirect("orgs:account_list")
        except ValidationError as error:
            apply_errors(form, error)
    context = {"form": form, "account": user}
    return render(
        request, "orgs/account_password.html", context, status=400 if form.errors else 200
    )


# --- Security administrator ---------------------------------------------------------------------


@role_required(Role.SECADMIN)
def security_policies(request):
    return render(request, "orgs/security_policies.html", {"policies": security_admin.policies()})


@role_required(Role.SECADMIN)
def security_lockouts(request):
    context = {
        "accounts": security_admin.locked_accounts(),
        "addresses": security_admin.locked_addresses(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "address_limit": settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        "minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }
    return render(request, "orgs/security_lockouts.html", context)


@role_required(Role.SECADMIN)
@require_POST
@confirmation_required
def security_unlock(request):
    username = request.POST.get("username", "").strip()
    address = request.POST.get("address", "").strip()
    if bool(username) == bool(address):
        return redirect("orgs:security_lockouts")
    count = security_admin.unlock(actor=request.user, username=username, address=address)
    messages.success(
        request,
        _("Unlocked %(who)s (%(count)s failed attempts cleared).")
        % {"who": username or address, "count": count},
    )
    return redirect("orgs:security_lockouts")


@role_required(Role.SECADMIN)
def security_mfa(request):
    q = request.GET.get("q", "").strip()
    users = User.objects.filter(is_active=True).exclude(role="").order_by("username")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(name__icontains=q))
    users = users.annotate(
        devices=Count("totpdevice", filter=Q(totpdevice__confirmed=True)),
        last_used=Max("totpdevice__last_used_at"),
    )
    page = Paginator(users, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "q": q,
        "required_roles": sorted(settings.MFA_REQUIRED_ROLES),
        "querystring": _querystring_without_page(request),
    }
    return render(request, "orgs/security_mfa.html", context)


@role_required(Role.SECADMIN)
@require_POST
@confirmation_required
def security_mfa_reset(request, pk):
    user = get_object_or_404(User, pk=pk)
    mfa.device_reset(actor=request.user, user=user)
    messages.success(
        request,
        _("The second factor of %(name)s is reset: they set up their app again at sign-in.")
        % {"name": user},
    )
    return redirect("orgs:security_mfa")
