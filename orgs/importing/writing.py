"""Writing a validated plan: one transaction, every row through orgs.services, so each change is
validated again and audited exactly like a change made in a form."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import services
from ..access import require_manage_orgs
from ..models import User
from .reading import SheetData, workbook_read
from .results import ImportFailed, ImportResult, file_error
from .validation import ImportPlan, workbook_validate

log = logging.getLogger(__name__)


def _differs(obj, fields: dict) -> bool:
    for name, value in fields.items():
        if name in ("group", "head", "institution"):
            if getattr(obj, f"{name}_id") != (value.pk if value is not None else None):
                return True
        elif getattr(obj, name) != value:
            return True
    return False


@contextmanager
def _reported_at(sheet: SheetData, number: int) -> Iterator[None]:
    """A row the services refuse although it passed validation (someone changed the data in
    between) ends the import; raising out of the transaction rolls everything back."""
    try:
        yield
    except ValidationError as e:
        errors = []
        if hasattr(e, "error_dict"):
            for name, messages in e.message_dict.items():
                target = None if name == NON_FIELD_ERRORS else name
                errors.extend(sheet.error(number, target, None, m) for m in messages)
        else:
            errors.extend(sheet.error(number, None, None, m) for m in e.messages)
        raise ImportFailed(errors) from e
    except (IntegrityError, ObjectDoesNotExist) as e:
        message = _(
            "This row clashes with a change someone else made during the import; nothing was "
            "imported, please try again."
        )
        raise ImportFailed([sheet.error(number, None, None, message)]) from e


@contextmanager
def database_errors_reported() -> Iterator[None]:
    """Around an import's transaction: a database error while writing (a deadlock, a statement
    timeout, a lost connection, a refusal by the database) has rolled the whole import back by
    the time it gets here; it ends the import as a refusal HR can read, not a server error. The
    details go to the log, not to the page."""
    try:
        yield
    except DatabaseError as e:
        log.exception("An import failed in the database and was rolled back")
        raise file_error(
            _(
                "The database failed while the import was being written, so nothing was "
                "imported. Please try again; if it fails again, tell the administrator."
            )
        ) from e


def import_plan_apply(*, actor: User, plan: ImportPlan) -> ImportResult:
    """Write a validated plan in one transaction through the services (each audits its change)."""
    require_manage_orgs(actor)
    result = ImportResult()
    with database_errors_reported(), transaction.atomic():
        institutions = dict(plan.existing_institutions)
        for row in plan.institutions:
            with _reported_at(plan.institution_sheet, row.number):
                if row.existing is None:
                    institution = services.institution_create(actor=actor, **row.fields)
                    result.institutions_created += 1
                elif _differs(row.existing, row.fields):
                    fields = {k: v for k, v in row.fields.items() if k != "code"}
                    institution = services.institution_update(
                        actor=actor, institution=row.existing, **fields
                    )
                    result.institutions_updated += 1
                else:
                    institution = row.existing
                    result.institutions_unchanged += 1
            institutions[institution.code] = institution
        for row in plan.employees:
            fields = row.fields | {"institution": institutions[row.institution_code]}
            with _reported_at(plan.employee_sheet, row.number):
                if row.existing is None:
                    services.employee_save(actor=actor, **fields)
                    result.employees_created += 1
                elif _differs(row.existing, fields):
                    services.employee_save(actor=actor, employee=row.existing, **fields)
                    result.employees_updated += 1
                else:
                    result.employees_unchanged += 1
    return result


def orgs_workbook_import(*, actor: User, file) -> ImportResult:
    """Import institutions and employees from an uploaded workbook, all or nothing. HR only.
    Raises ImportFailed listing every problem when anything is wrong; nothing is written then."""
    require_manage_orgs(actor)
    plan = workbook_validate(workbook_read(file))
    return import_plan_apply(actor=actor, plan=plan)
