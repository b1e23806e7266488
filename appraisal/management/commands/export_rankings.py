"""Write a year's rankings to an Excel workbook (the same sheet as the download on the pages)."""

from django.core.management.base import BaseCommand, CommandError

from appraisal.models import Scheme
from appraisal.recompute import results_are_stale, year_results_recompute
from appraisal.transfer import rankings_workbook_all


class Command(BaseCommand):
    help = "Write the rankings of an appraisal year to an .xlsx workbook (one sheet)."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        parser.add_argument(
            "--period",
            choices=["H1", "h1", "year"],
            default="year",
            help="H1: the mid-year ranking (first-half scores, no prizes); year (default): annual",
        )
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="recompute the year's results first if the ledger moved since they were computed",
        )

    def handle(self, *args, year, output, recompute, period, **options):
        period = "h1" if period.lower() == "h1" else None
        scheme = Scheme.objects.filter(year=year).first()
        if scheme is None:
            raise CommandError(f"There is no {year} appraisal.")
        if results_are_stale(scheme):
            if recompute:
                year_results_recompute(scheme_id=scheme.pk)
            else:
                self.stderr.write(
                    f"The {year} results are older than the ledger; "
                    "run with --recompute for current ones."
                )
        content = rankings_workbook_all(scheme=scheme, period=period).getvalue()
        try:
            with open(output, "wb") as file:
                file.write(content)
        except OSError as e:
            raise CommandError(f"Cannot write {output}: {e.strerror or e}") from e
        which = "First-half rankings" if period else "Rankings"
        self.stdout.write(self.style.SUCCESS(f"{which} of {year} written to {output}."))
