"""Writes to the organisation. Every change goes through one of these functions, whichever door it
comes in by (HTML form, API, Excel import, management command); each validates, writes and records
an audit event in one transaction."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .access import require_manage_orgs
from .middleware import current_client_address
from .models import (
    AssessmentGroup,
    AuditEvent,
    Employee,
    GroupPrize,
    Institution,
    PrizeLevel,
    Role,
    ScoringDepartment,
    User,
)

INSTITUTION_FIELDS = ("code", "name", "group", "head", "is_pilot", "stage", "formal_headcount")
GROUP_FIELDS = ("code", "name", "description", "sort_order")
EMPLOYEE_FIELDS = (
    "staff_number",
    "name",
    "institution",
    "post",
    "post_coefficient",
    "is_formal",
    "is_active",
    "post_wage",
    "grade_wage",
    "special_allowance",
)


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # date and datetime
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def snapshot(obj, fields: Iterable[str]) -> dict:
    """The audited state of an object: plain JSON values, foreign keys as ids."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def _audit_event(actor: User | None, action: str, obj, before, after) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        client_address=current_client_address(),
    )


def audit_record(*, actor: User | None, action: str, obj, before=None, after=None) -> AuditEvent:
    event = _audit_event(actor, action, obj, before, after)
    event.save()
    return event


def audit_records(*, actor: User | None, action: str, changes) -> None:
    """One event per (obj, before, after) of `changes`, inserted in batches: what a service that
    writes many rows at once (the ledger's import path) records, the same as audit_record would
    for each."""
    AuditEvent.objects.bulk_create(
        [_audit_event(actor, action, obj, before, after) for obj, before, after in changes],
        batch_size=2000,
    )


# --- Assessment groups --------------------------------------------------------------------------


@dataclass(frozen=True)
class PrizeRow:
    level: int
    winners: int
    amount: Decimal


def _prize_rows_clean(prizes: Iterable[PrizeRow]) -> list[PrizeRow]:
    rows = sorted(prizes, key=lambda p: p.level)
    levels = [p.level for p in rows]
    if levels != sorted(set(levels)) or any(lv not in PrizeLevel.values for lv in levels):
        raise ValidationError(_("The prize table needs each prize level at most once."))
    errors = {}
    for p in rows:
        if p.winners < 0:
            errors[f"winners_{p.level}"] = _("The number of winners cannot be negative.")
        if p.amount < 0 or p.amount != p.amount.quantize(Decimal("0.01")):
            errors[f"amount_{p.level}"] = _(
                "Prize money must be zero or more, in yuan with at most two decimals."
            )
    if errors:
        raise ValidationError(errors)
    return rows


def _prizes_snapshot(group: AssessmentGroup) -> list[dict]:
    return [
        {"level": p.level, "winners": p.winners, "amount": str(p.amount)}
        for p in group.prizes.order_by("level")
    ]


def _prizes_replace(group: AssessmentGroup, rows: list[PrizeRow]) -> None:
    group.prizes.exclude(level__in=[r.level for r in rows]).delete()
    for r in rows:
        GroupPrize.objects.update_or_create(
            group=group, level=r.level, defaults={"winners": r.winners, "amount": r.amount}
        )


@transaction.atomic
def group_create(*, actor: User, prizes: Iterable[PrizeRow] = (), **fields) -> AssessmentGroup:
    require_manage_orgs(actor)
    rows = _prize_rows_clean(prizes)
    group = AssessmentGroup(**{k: v for k, v in fields.items() if k in GROUP_FIELDS})
    group.full_clean()
    group.save()
    _prizes_replace(group, rows)
    after = snapshot(group, GROUP_FIELDS) | {"prizes": _prizes_snapshot(group)}
    audit_record(actor=actor, action="group.create", obj=group, after=after)
    return group


@transaction.atomic
def group_update(
    *, actor: User, group: AssessmentGroup, prizes: Iterable[PrizeRow] | None = None, **fields
) -> AssessmentGroup:
    require_manage_orgs(actor)
    group = AssessmentGroup.objects.select_for_update().get(pk=group.pk)
    before = snapshot(group, GROUP_FIELDS) | {"prizes": _prizes_snapshot(group)}
    for k, v in fields.items():
        if k not in GROUP_FIELDS:
            raise TypeError(f"Unknown group field {k!r}")
        setattr(group, k, v)
    group.full_clean()
    group.save()
    if prizes is not None:
        _prizes_replace(group, _prize_rows_clean(prizes))
    after = snapshot(group, GROUP_FIELDS) | {"prizes": _prizes_snapshot(group)}
    if after != before:
        audit_record(actor=actor, action="group.update", obj=group, before=before, after=after)
    return group


# --- Scoring departments and the system account -------------------------------------------------


@transaction.atomic
def scoring_department_create(
    *, actor: User, code: str, name: str, department: ScoringDepartment | None = None
) -> ScoringDepartment:
    """A new HQ scoring department (职能科室). `department` may be an unsaved instance to save."""
    require_manage_orgs(actor)
    department = department or ScoringDepartment()
    department.code, department.name = code, name
    department.full_clean()
    department.save()
    audit_record(
        actor=actor,
        action="department.create",
        obj=department,
        after={"code": department.code, "name": department.name},
    )
    return department


SYSTEM_USERNAME = "system"


def system_user() -> User:
    """The account that management commands act and are audited as when no --actor is given:
    an HR role, but no usable password, so nobody logs in as it."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"name": "系统", "role": Role.HR, "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- Institutions -------------------------------------------------------------------------------


def _head_clean(institution: Institution) -> None:
    head = institution.head
    if head is None:
        return
    if head.role != Role.HEAD:
        raise ValidationError(
            {"head": _("The head must be a user account with the role 'Institution head'.")}
        )
    other = Institution.objects.filter(head=head).exclude(pk=institution.pk).first()
    if other is not None:
        raise ValidationError(
            {
                "head": _("%(user)s already heads %(institution)s.")
                % {"user": head, "institution": other}
            }
        )


def institution_validate(institution: Institution, *, exclude_unique: bool = False) -> None:
    """Field, uniqueness and head rules, raising one ValidationError with every problem."""
    errors: dict = {}
    try:
        institution.full_clean(validate_unique=not exclude_unique)
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        _head_clean(institution)
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def institution_create(*, actor: User, **fields) -> Institution:
    require_manage_orgs(actor)
    institution = Institution(**{k: v for k, v in fields.items() if k in INSTITUTION_FIELDS})
    unknown = set(fields) - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown institution fields {sorted(unknown)}")
    institution_validate(institution)
    institution.save()
    audit_record(
        actor=actor,
        action="institution.create",
        obj=institution,
        after=snapshot(institution, INSTITUTION_FIELDS),
    )
    return institution


@transaction.atomic
def institution_update(*, actor: User, institution: Institution, **fields) -> Institution:
    require_manage_orgs(actor)
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    before = snapshot(institution, INSTITUTION_FIELDS)
    for k, v in fields.items():
        if k not in INSTITUTION_FIELDS:
            raise TypeError(f"Unknown institution field {k!r}")
        setattr(institution, k, v)
    institution_validate(institution)
    institution.save()
    after = snapshot(institution, INSTITUTION_FIELDS)
    if after != before:
        audit_record(
            actor=actor, action="institution.update", obj=institution, before=before, after=after
        )
    return institution


# --- Employees ----------------------------------------------------------------------------------


@transaction.atomic
def employee_save(*, actor: User, employee: Employee | None = None, **fields) -> Employee:
    """Create an employee, or update the given one; HR only."""
    require_manage_orgs(actor)
    unknown = set(fields) - set(EMPLOYEE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown employee fields {sorted(unknown)}")
    creating = employee is None
    if creating:
        employee = Employee(**fields)
        before = None
    else:
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        before = snapshot(employee, EMPLOYEE_FIELDS)
        for k, v in fields.items():
            setattr(employee, k, v)
    employee.full_clean()
    employee.save()
    after = snapshot(employee, EMPLOYEE_FIELDS)
    if after != before:
        audit_record(
            actor=actor,
            action="employee.create" if creating else "employee.update",
            obj=employee,
            before=before,
            after=after,
        )
    return employee


def prize_rows_from_mapping(data: Mapping) -> list[PrizeRow]:
    """Prize rows from a form's cleaned data (winners_1, amount_1, …), skipping empty levels."""
    rows = []
    for level in PrizeLevel.values:
        winners, amount = data.get(f"winners_{level}"), data.get(f"amount_{level}")
        if winners is None and amount is None:
            continue
        rows.append(PrizeRow(level=level, winners=winners or 0, amount=amount or Decimal("0")))
    return rows
