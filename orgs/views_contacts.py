"""考核联络员: the contact persons of an institution, named and ended by HR or its head
(orgs.contacts.contact_person_name / contact_person_end; docs/REPORTING.md, "Contact persons")."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import access, contacts
from .confirm import confirmation_refusal, refused
from .forms import ContactPersonForm
from .models import ContactPerson, Employee
from .views import apply_errors, role_required


def _form(request, institution):
    employees = Employee.objects.none()
    if access.can_view_employees(request.user, institution):
        employees = institution.employees.filter(is_active=True).order_by("staff_number")
    return ContactPersonForm(
        request.POST or None,
        institution=institution,
        candidates=contacts.contact_candidates(institution),
        employees=employees,
    )


@role_required()
@require_http_methods(["GET", "POST"])
def institution_contacts(request, code):
    """Who reports for the institution: its current contact persons and the earlier ones. Anyone
    who sees the institution reads them; HR and its head name and end them."""
    institution = access.institution_get_for_user(request.user, code=code)
    can_name = contacts.can_name_contacts(request.user, institution)
    form = _form(request, institution) if can_name else None
    if request.method == "POST":
        if not can_name:
            raise PermissionDenied
        if form.is_valid():
            try:
                contact = contacts.contact_person_name(
                    actor=request.user,
                    institution=institution,
                    user=form.cleaned_data["user"],
                    employee=form.cleaned_data["employee"],
                    phone=form.cleaned_data["phone"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(user)s is now a contact person of %(institution)s.")
                    % {"user": contact.user, "institution": institution},
                )
                return redirect("orgs:institution_contacts", code=institution.code)
    namings = list(
        ContactPerson.objects.filter(institution=institution)
        .select_related("user", "employee", "named_by", "ended_by")
        .order_by("ended_at", "-named_at", "-id")
    )
    context = {
        "institution": institution,
        "current": [c for c in namings if c.ended_at is None],
        "earlier": [c for c in namings if c.ended_at is not None],
        "form": form,
        "can_name": can_name,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "orgs/institution_contacts.html", context, status=status)


@role_required()
@require_POST
def contact_end(request, pk):
    """End a naming (confirmed): out of scope 404, not HR nor the head 403, then the
    confirmation (400 without it), so that a refusal says who may before what is missing."""
    contact = get_object_or_404(
        ContactPerson.objects.select_related("institution", "user"),
        pk=pk,
        institution__in=access.institutions_visible_to(request.user),
    )
    if not contacts.can_name_contacts(request.user, contact.institution):
        raise PermissionDenied
    if refusal := confirmation_refusal(request):
        return refused(request, refusal)
    try:
        contacts.contact_person_end(actor=request.user, contact=contact)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(user)s is no longer a contact person of %(institution)s.")
            % {"user": contact.user, "institution": contact.institution},
        )
    return redirect("orgs:institution_contacts", code=contact.institution.code)
