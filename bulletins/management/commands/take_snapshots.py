"""`manage.py take_snapshots [--year Y] [--day YYYY-MM-DD]`: what the daily beat task does, by hand:
copy the current results into the snapshots of the month containing the day (today by default), for
one year or for every year the task covers. A month that has ended keeps the snapshots it has."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from appraisal.models import Scheme
from bulletins import rules, services
from bulletins.tasks import snapshot_schemes


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--day wants a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Take this month's snapshots of the results (docs/BULLETINS.md)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Only this appraisal year.")
        parser.add_argument("--day", type=_date, help="A day of the month to take (YYYY-MM-DD).")

    def handle(self, *args, year=None, day=None, **options):
        day = day or timezone.localdate()
        if year is not None:
            schemes = list(Scheme.objects.filter(year=year))
            if not schemes:
                raise CommandError(f"There is no {year} appraisal scheme.")
        else:
            schemes = list(snapshot_schemes(day))
        month = rules.month_start(day)
        for scheme in schemes:
            try:
                taken = services.snapshots_take(scheme=scheme, day=day)
            except ValidationError as error:
                raise CommandError(f"{scheme.year}: {' '.join(error.messages)}") from error
            # 0 also when the month has ended and was taken before: it stays as it was.
            self.stdout.write(f"{scheme.year} {month:%Y-%m}: {taken} snapshots written.")
        self.stdout.write(self.style.SUCCESS(f"{len(schemes)} years done."))
