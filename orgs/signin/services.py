"""The local account of a person the directory or the OpenID Connect provider has just vouched
for: found by its link (``ExternalAccount``), else created; its name, e-mail, role and scope set
from what the source says; audited in the same transaction (docs/SIGN_IN.md)."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from orgs.contacts import contact_persons_end_for
from orgs.models import Institution, Role, ScoringDepartment, User
from orgs.services import SYSTEM_USERNAME, audit_record, institution_update, system_user

from .models import ExternalAccount, Source
from .rules import Grant, Profile, RoleRule, role_grant

logger = logging.getLogger("orgs.signin")

NAME_MAX = User._meta.get_field("name").max_length
USERNAME_MAX = User._meta.get_field("username").max_length


class SignInRefused(Exception):
    """The source vouched for the person, but this application will not sign them in; the message
    is for the log, never for the person (who sees the plain refusal)."""


def _account_snapshot(user: User, source: str, via: str = "") -> dict:
    headed = Institution.objects.filter(head=user).values_list("code", flat=True).first()
    after = {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "scoring_department": user.scoring_department.code if user.scoring_department else None,
        "heads": headed,
        "payroll_institutions": sorted(user.payroll_institutions.values_list("code", flat=True)),
        "source": source,
    }
    if via:
        after["granted_by"] = via
    return after


def _link_or_create(
    source: str, subject: str, profile: Profile
) -> tuple[User, ExternalAccount, str]:
    """The linked account, or a new one, or (only with SIGNIN_ADOPT_LOCAL_ACCOUNTS) the local
    account of the same username, now linked; with how it was found: known, created, adopted."""
    link = (
        ExternalAccount.objects.select_for_update()
        .select_related("user")
        .filter(source=source, subject=subject)
        .first()
    )
    if link is not None:
        return link.user, link, "known"
    username = profile.username
    if not username or len(username) > USERNAME_MAX:
        raise SignInRefused(f"the username {username!r} cannot be a local username")
    try:
        User.username_validator(username)
    except ValidationError:
        raise SignInRefused(f"the username {username!r} cannot be a local username") from None
    existing = User.objects.select_for_update().filter(username=username).first()
    if existing is None:
        user = User(username=username, is_active=True)
        user.set_unusable_password()  # the source checks the password; none is kept here
        user.save()
        how = "created"
    else:
        adoptable = (
            settings.SIGNIN_ADOPT_LOCAL_ACCOUNTS
            and not existing.is_superuser
            and not existing.is_staff
            and existing.username != SYSTEM_USERNAME
            and not existing.external_accounts.filter(source=source).exists()
        )
        if not adoptable:
            raise SignInRefused(
                f"a local account named {username!r} exists and is not linked to this "
                f"{source} identity; link it in the admin (External accounts) or set "
                "SIGNIN_ADOPT_LOCAL_ACCOUNTS=true (docs/SIGN_IN.md)"
            )
        user = existing
        user.set_unusable_password()  # from now on only the source signs this account in
        user.save(update_fields=["password"])
        how = "adopted"
    link = ExternalAccount.objects.create(user=user, source=source, subject=subject)
    return user, link, how


def _clean_email(email: str, username: str) -> str:
    try:
        validate_email(email)
    except ValidationError:
        logger.warning("Sign-in of %s: %r is not an e-mail address; not kept.", username, email)
        return ""
    return email


def _grant_settle(user: User, grant: Grant) -> tuple[str, ScoringDepartment | None, list]:
    """The role the grant gives once its scope is found in the app, else no role (logged): a
    scorer needs a scoring department, a head an institution nobody else heads, a payroll
    officer at least one institution."""
    if grant.role == Role.SCORER:
        department = ScoringDepartment.objects.filter(code=grant.department_code).first()
        if department is None:
            logger.warning(
                "Sign-in of %s: the scorer role needs a scoring department; %s. No role given.",
                user.username,
                f"no department has the code {grant.department_code!r}"
                if grant.department_code
                else "the directory names none",
            )
            return "", None, []
        return grant.role, department, []
    if grant.role in (Role.HEAD, Role.PAYROLL, Role.CONTACT):
        found = {i.code: i for i in Institution.objects.filter(code__in=grant.institution_codes)}
        unknown = [code for code in grant.institution_codes if code not in found]
        if unknown:
            logger.warning(
                "Sign-in of %s: no institution has the code %s.", user.username, ", ".join(unknown)
            )
        institutions = [found[code] for code in grant.institution_codes if code in found]
        if not institutions:
            logger.warning(
                "Sign-in of %s: the %s role needs an institution and the directory names none "
                "that exists. No role given.",
                user.username,
                grant.role,
            )
            return "", None, []
        if grant.role == Role.HEAD:
            institution = institutions[0]
            if institution.head_id not in (None, user.pk):
                logger.warning(
                    "Sign-in of %s: %s is headed by another account (%s); HR changes heads in "
                    "the app. No role given.",
                    user.username,
                    institution.code,
                    institution.head,
                )
                return "", None, []
        return grant.role, None, institutions
    return grant.role, None, []


def _role_apply(user: User, grant: Grant) -> None:
    role, department, institutions = _grant_settle(user, grant)
    actor = system_user()
    # A head who is no longer one, or heads another institution now, is unbound first (the
    # institution's own change, audited as HR's changes are).
    keep = institutions[0].pk if role == Role.HEAD else None
    for institution in Institution.objects.filter(head=user).exclude(pk=keep):
        institution_update(actor=actor, institution=institution, head=None)
    user.role = role
    user.scoring_department = department
    fields = ["role", "scoring_department"]
    if role == Role.CONTACT:
        # 考核联络员: an account of the institution the directory names; HR or its head names it
        # a contact person in the app (orgs.services.contact_person_name).
        user.institution = institutions[0]
        fields.append("institution")
    user.save(update_fields=fields)
    contact_persons_end_for(actor=actor, user=user)
    user.payroll_institutions.set(institutions if role == Role.PAYROLL else [])
    if role == Role.HEAD and institutions[0].head_id != user.pk:
        institution_update(actor=actor, institution=institutions[0], head=user)


@transaction.atomic
def external_user_sync(
    *, source: str, subject: str, profile: Profile, rules: tuple[RoleRule, ...] | None
) -> User:
    """The account `source` signs in as `subject`, created or updated from `profile`. With
    `rules` (a role mapping is configured) the role and its scope follow the source on every
    sign-in; without, they are left as HR or an administrator set them in the app. Raises
    SignInRefused for an account this application will not sign in."""
    if source not in Source.values or not subject:
        raise SignInRefused(f"no identity from {source!r}")
    user, link, how = _link_or_create(source, subject, profile)
    if not user.is_active:
        raise SignInRefused(f"the local account {user.username!r} is deactivated")
    before = None if how == "created" else _account_snapshot(user, source)
    if profile.name:
        user.name = profile.name[:NAME_MAX]
    if profile.email:
        user.email = _clean_email(profile.email, user.username) or user.email
    user.save(update_fields=["name", "email"])
    grant = None
    if rules is not None:
        grant = role_grant(profile, rules)
        _role_apply(user, grant)
    user.refresh_from_db()
    after = _account_snapshot(user, source, grant.via if grant else "")
    actor = system_user()
    if how == "created":
        audit_record(actor=actor, action="signin.create", obj=user, after=after)
    elif how == "adopted":
        audit_record(actor=actor, action="signin.adopt", obj=user, before=before, after=after)
    elif {k: v for k, v in after.items() if k != "granted_by"} != before:
        audit_record(actor=actor, action="signin.update", obj=user, before=before, after=after)
    link.last_login_at = timezone.now()
    link.save(update_fields=["last_login_at"])
    return user
