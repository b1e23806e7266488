"""Import the wages actually paid in a month (sheet 实发工资: 工号, 应发合计) for reconciliation:
all or nothing, as an HR user or a payroll officer (for the staff of their institutions)."""

from django.core.management.base import BaseCommand, CommandError

from orgs.importing import ImportFailed
from orgs.models import User
from orgs.services import system_user
from payroll.services import reconcile
from payroll.transfer import paid_workbook_import, parse_month_text
from payroll.transfer.paid import can_import_paid


class Command(BaseCommand):
    help = (
        "Import the wages paid in a month (sheet 实发工资: 工号, 应发合计) from an .xlsx "
        "workbook, all or nothing, and print the reconciliation of each institution."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month paid, YYYY-MM")
        parser.add_argument("path", help="the .xlsx workbook")
        parser.add_argument(
            "--actor",
            help="username of the HR user or payroll officer the import is made and audited as "
            "(default: the system account)",
        )

    def handle(self, *args, month, path, actor, **options):
        first_day = parse_month_text(month)
        if first_day is None:
            raise CommandError(f"{month!r} is not a month; write it as YYYY-MM.")
        user = system_user() if actor is None else User.objects.filter(username=actor).first()
        if user is None:
            raise CommandError(f"No user named {actor!r}.")
        if not can_import_paid(user):
            raise CommandError(f"{actor!r} is not an active HR user or payroll officer.")
        try:
            with open(path, "rb") as file:
                result = paid_workbook_import(actor=user, month=first_day, file=file)
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
                f"Paid wages of {first_day:%Y-%m}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
        for institution in result.institutions:
            report = reconcile(institution=institution, month=first_day)
            if report.run is None:
                self.stdout.write(f"{institution.code}: no confirmed payroll run to compare with.")
                continue
            self.stdout.write(
                f"{institution.code}: {len(report.matches)} match, "
                f"{len(report.differences)} differ, {len(report.missing)} not paid, "
                f"{len(report.unexpected)} paid but not computed."
            )
