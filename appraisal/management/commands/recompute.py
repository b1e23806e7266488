"""`manage.py recompute YEAR`: recompute a year's results now, in this process."""

from django.core.management.base import BaseCommand, CommandError

from appraisal.models import Result, Scheme
from appraisal.recompute import year_results_recompute


class Command(BaseCommand):
    help = "Recompute the results, ranks, grades and prizes of an appraisal year."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, year, **options):
        scheme = Scheme.objects.filter(year=year).first()
        if scheme is None:
            raise CommandError(f"No appraisal scheme for {year}.")
        result_set = year_results_recompute(scheme_id=scheme.pk)
        count = Result.objects.filter(scheme=scheme).count()
        self.stdout.write(
            f"{year}: {count} results from {result_set.ledger_entries} ledger entries "
            f"(last #{result_set.ledger_last_id}) in {result_set.duration_ms} ms."
        )
