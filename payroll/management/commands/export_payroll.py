"""Write a month's payroll (confirmed or exported runs) to an Excel workbook for payment, the same
sheet as the download on the pages, and mark the runs exported. A draft is refused."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from orgs.models import Institution, User
from payroll.transfer import (
    parse_month_text,
    payroll_workbook_write,
    runs_for_export,
    runs_mark_exported,
)


class Command(BaseCommand):
    help = (
        "Write the payroll of a month (YYYY-MM) to an .xlsx workbook for payment and mark its "
        "runs exported. Every run in scope must be confirmed."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, YYYY-MM")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--institution", help="only this institution (its code)")
        parser.add_argument(
            "--actor",
            help="export as this HR user or payroll officer (their institutions, audited); "
            "without it, as the system, every institution",
        )

    def handle(self, *args, month, output, institution, actor, **options):
        first_day = parse_month_text(month)
        if first_day is None:
            raise CommandError(f"{month!r} is not a month; write it as YYYY-MM.")
        user = None
        if actor is not None:
            user = User.objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user named {actor!r}.")
        only = None
        if institution is not None:
            only = Institution.objects.filter(code=institution).first()
            if only is None:
                raise CommandError(f"No institution has the code {institution!r}.")
        try:
            runs = runs_for_export(
                user=user, month=first_day, institution=only, include_drafts=True
            )
        except PermissionDenied:
            raise CommandError(f"{actor!r} may not export payroll.") from None
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        try:
            with open(output, "wb") as file:
                lines = payroll_workbook_write(runs, file)
        except OSError as e:
            raise CommandError(f"Cannot write {output}: {e.strerror or e}") from e
        runs_mark_exported(actor=user, runs=runs)
        previews = [r.institution.code for r in runs if r.status == "draft" or r.provisional]
        if previews:
            self.stderr.write(
                f"Preview, not for payment: the runs of {', '.join(previews)} are drafts or "
                "provisional (sheet 工资表（草稿预览）); confirm them and export again to pay."
            )
        codes = ", ".join(r.institution.code for r in runs)
        self.stdout.write(
            self.style.SUCCESS(
                f"{lines} lines of {first_day:%Y-%m} ({codes}) written to {output}; "
                "confirmed runs are marked exported."
            )
        )
