"""Import institutions and employees from an Excel workbook (the same template and rules as the
upload page, orgs/importing/): all or nothing, every change audited under the given HR user."""

from django.core.management.base import BaseCommand, CommandError

from orgs.access import can_manage_orgs
from orgs.importing import ImportFailed, orgs_workbook_import
from orgs.models import User


class Command(BaseCommand):
    help = (
        "Import institutions (sheet 机构) and employees (sheet 员工) from an .xlsx workbook, "
        "all or nothing, as the given HR user."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx workbook")
        parser.add_argument(
            "--actor",
            required=True,
            help="username of the HR user the changes are made and audited as",
        )

    def handle(self, *args, path, actor, **options):
        user = User.objects.filter(username=actor).first()
        if user is None:
            raise CommandError(f"No user named {actor!r}.")
        if not can_manage_orgs(user):
            raise CommandError(f"{actor!r} is not an active HR user; only HR may import.")
        try:
            with open(path, "rb") as file:
                result = orgs_workbook_import(actor=user, file=file)
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror or e}") from e
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(failure.errors)} error(s) in {path}; nothing was imported."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Institutions: {result.institutions_created} created, "
                f"{result.institutions_updated} updated, "
                f"{result.institutions_unchanged} unchanged. "
                f"Employees: {result.employees_created} created, "
                f"{result.employees_updated} updated, "
                f"{result.employees_unchanged} unchanged."
            )
        )
