"""Import an appraisal year from an Excel workbook (the same format, rules and function as the
upload page, appraisal/transfer/): all or nothing, every change audited under the given HR user,
then the year's results recomputed."""

from django.core.management.base import BaseCommand, CommandError

from appraisal.transfer import year_workbook_import
from orgs.access import has_role
from orgs.importing import ImportFailed
from orgs.models import Role, User


class Command(BaseCommand):
    help = (
        "Import an appraisal year (sheets 方案, 考核组别, 机构, 指标, 评分) from an .xlsx "
        "workbook, all or nothing, as the given HR user; then recompute the year's results."
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
        if not has_role(user, Role.HR):
            raise CommandError(f"{actor!r} is not an active HR user; only HR may import.")
        try:
            with open(path, "rb") as file:
                result = year_workbook_import(actor=user, file=file)
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror or e}") from e
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(failure.errors)} error(s) in {path}; nothing was imported."
            ) from None
        scheme = (
            "created" if result.scheme_created else "updated" if result.scheme_updated else "kept"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.year}: scheme {scheme}{', opened' if result.scheme_opened else ''}. "
                f"Groups: {result.groups_created} created, {result.groups_updated} updated. "
                f"Institutions: {result.institutions_created} created, "
                f"{result.institutions_updated} updated. "
                f"Indicators: {result.indicators_created} created, "
                f"{result.indicators_updated} updated. "
                f"Entries: {result.entries_created} recorded, "
                f"{result.entries_reversed} of an earlier import reversed. Results recomputed."
            )
        )
