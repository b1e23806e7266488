"""考核联络员 (contact persons): an institution's accounts named by HR or its head to report for
it (docs/PERMISSIONS.md, "Leaders and contact persons"; docs/REPORTING.md). Named and ended,
never deleted, each step audited in its transaction; the person is told."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import notifications
from .access import user_role
from .models import ContactPerson, Employee, Institution, Role, User
from .services import audit_record, snapshot

CONTACT_FIELDS = ("institution", "user", "employee", "phone", "named_at", "ended_at")


def can_name_contacts(actor: User, institution: Institution) -> bool:
    """HR names and ends the contact persons of any institution, a head those of their own."""
    role = user_role(actor)
    if role == Role.HR:
        return True
    return role == Role.HEAD and institution.head_id == actor.pk


def contact_candidates(institution: Institution):
    """The accounts that may be named for `institution`: active contact-person accounts whose
    所属机构 it is and who are not its (or any institution's) current contact person."""
    return (
        User.objects.filter(is_active=True, role=Role.CONTACT, institution=institution)
        .exclude(pk__in=ContactPerson.objects.filter(ended_at__isnull=True).values("user_id"))
        .order_by("username")
    )


@transaction.atomic
def contact_person_name(
    *,
    actor: User,
    institution: Institution,
    user: User,
    employee: Employee | None = None,
    phone: str = "",
) -> ContactPerson:
    """Name `user` a contact person (考核联络员) of `institution`: they then see it and report for
    it (reporting app). The account is made by the system administrator (三员) with the role
    考核联络员 and this 所属机构; HR or the institution's head names it. Audited; the person is
    told."""
    if not can_name_contacts(actor, institution):
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=user.pk)
    errors = {}
    if not user.is_active or user.role != Role.CONTACT:
        errors["user"] = _("Only an active account with the role 考核联络员 can be named.")
    elif user.institution_id != institution.pk:
        errors["user"] = _("%(user)s is not an account of %(institution)s (所属机构).") % {
            "user": user,
            "institution": institution,
        }
    elif ContactPerson.objects.filter(user=user, ended_at__isnull=True).exists():
        errors["user"] = _("%(user)s is already a contact person.") % {"user": user}
    if employee is not None and employee.institution_id != institution.pk:
        errors["employee"] = _("Choose an employee of %(institution)s.") % {
            "institution": institution
        }
    phone = (phone or "").strip()
    if len(phone) > 32:
        errors["phone"] = _("At most 32 characters.")
    if errors:
        raise ValidationError(errors)
    contact = ContactPerson.objects.create(
        institution=institution, user=user, employee=employee, phone=phone, named_by=actor
    )
    audit_record(
        actor=actor, action="contact.name", obj=contact, after=snapshot(contact, CONTACT_FIELDS)
    )
    notifications.notify(
        recipients=[user],
        kind="contact.named",
        title=gettext_lazy("You are a contact person of %(institution)s"),
        text=gettext_lazy(
            "%(actor)s named you the appraisal contact person (考核联络员) of %(institution)s: "
            "you report its figures and evidence."
        ),
        params={"institution": institution.name, "actor": str(actor)},
        link="/",
        about=contact,
        actor=actor,
    )
    return contact


@transaction.atomic
def contact_person_end(*, actor: User, contact: ContactPerson) -> ContactPerson:
    """End a naming: the account no longer sees the institution. Kept, with who ended it."""
    if not can_name_contacts(actor, contact.institution):
        raise PermissionDenied
    contact = ContactPerson.objects.select_for_update().get(pk=contact.pk)
    if contact.ended_at is not None:
        raise ValidationError(_("This naming has ended already."))
    return _contact_end(actor, contact)


def _contact_end(actor: User, contact: ContactPerson) -> ContactPerson:
    before = snapshot(contact, CONTACT_FIELDS)
    ContactPerson.objects.filter(pk=contact.pk).update(ended_at=timezone.now(), ended_by=actor)
    contact.refresh_from_db()
    audit_record(
        actor=actor,
        action="contact.end",
        obj=contact,
        before=before,
        after=snapshot(contact, CONTACT_FIELDS),
    )
    return contact


def contact_persons_end_for(*, actor: User, user: User) -> None:
    """End the current naming of an account that is no longer a contact person of that
    institution (another role, another 所属机构, deactivated): the system administrator's account
    change calls it in its transaction."""
    for contact in ContactPerson.objects.select_for_update().filter(
        user=user, ended_at__isnull=True
    ):
        if (
            not user.is_active
            or user.role != Role.CONTACT
            or user.institution_id != contact.institution_id
        ):
            _contact_end(actor, contact)
