"""Compute a month's draft payroll runs for every institution with a pay policy for its year (the
Celery task payroll.run_month, run here synchronously). Confirmed runs are left as they are."""

from django.core.management.base import BaseCommand, CommandError

from payroll.tasks import run_month
from payroll.transfer import parse_month_text


class Command(BaseCommand):
    help = "Compute the draft payroll runs of a month (YYYY-MM) for every institution."

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, YYYY-MM")

    def handle(self, *args, month, **options):
        first_day = parse_month_text(month)
        if first_day is None:
            raise CommandError(f"{month!r} is not a month; write it as YYYY-MM.")
        outcome = run_month(first_day.isoformat())
        computed, refused = outcome["computed"], outcome["refused"]
        if not computed and not refused:
            raise CommandError(f"No institution has a pay policy for {first_day.year}.")
        if computed:
            self.stdout.write(
                self.style.SUCCESS(f"{first_day:%Y-%m} computed: {', '.join(computed)}.")
            )
        for code, messages in refused.items():
            self.stderr.write(f"{code} refused: {' '.join(messages)}")
        if refused:
            # Not all or nothing: each institution's run stands on its own, so the computed
            # ones are kept; the exit status still tells a scheduler that some were refused.
            raise CommandError(f"{len(refused)} institution(s) refused, {len(computed)} computed.")
