"""Celery tasks of the bulletins (beat: config/settings.py, docs/BULLETINS.md). They take plain
values, call a service, and are idempotent: a retry or a second delivery changes nothing.

* ``bulletins.take_snapshots`` (daily): the month's snapshots of every year that is not a draft
  and is still open or in review, or was the current year's and is published;
* ``bulletins.generate_weekly`` (Mondays) and ``bulletins.generate_monthly`` (the 1st): the
  bulletin of the week or month just ended, for every open or reviewed year. A period that has a
  bulletin already (draft or published) is left as it is: HR regenerates a draft from its page."""

import datetime
import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from appraisal.models import Scheme

from . import rules, services
from .models import Bulletin

log = logging.getLogger(__name__)

# Years whose results still move: they get bulletins.
REPORTED = (Scheme.Status.OPEN, Scheme.Status.REVIEW)


def _day(day: str | None) -> datetime.date:
    return datetime.date.fromisoformat(day) if day else timezone.localdate()


def snapshot_schemes(day: datetime.date):
    """Open and reviewed years, and the year of `day` once it is published (its final month)."""
    return Scheme.objects.filter(
        Q(status__in=REPORTED) | Q(status=Scheme.Status.PUBLISHED, year=day.year)
    ).order_by("year")


@shared_task(name="bulletins.take_snapshots", autoretry_for=(Exception,), max_retries=3)
def take_snapshots(day: str | None = None) -> dict:
    """Daily (beat, 23:30): replace this month's snapshots with the current results."""
    when = _day(day)
    taken = {
        str(scheme.year): services.snapshots_take(scheme=scheme, day=when)
        for scheme in snapshot_schemes(when)
    }
    return {"month": rules.month_start(when).isoformat(), "taken": taken}


def _generate(kind: str, day: str | None) -> dict:
    when = _day(day)
    start, end = rules.period(kind, when)
    generated, skipped = [], []
    for scheme in Scheme.objects.filter(status__in=REPORTED).order_by("year"):
        if end.year < scheme.year:
            skipped.append(scheme.year)  # that year had not begun
            continue
        if Bulletin.objects.filter(scheme=scheme, kind=kind, period_start=start).exists():
            skipped.append(scheme.year)  # done already (a retry, or HR was first)
            continue
        bulletin = services.bulletin_generate(scheme=scheme, kind=kind, day=when)
        generated.append(bulletin.pk)
    if generated:
        log.info("Generated %s bulletins %s for %s to %s.", kind, generated, start, end)
    return {
        "period": [start.isoformat(), end.isoformat()],
        "generated": generated,
        "skipped": skipped,
    }


@shared_task(name="bulletins.generate_weekly", autoretry_for=(Exception,), max_retries=3)
def generate_weekly(day: str | None = None) -> dict:
    """Mondays (beat, 07:00): the weekly bulletin (周报) of the week that ended on Sunday."""
    return _generate(Bulletin.Kind.WEEKLY, day)


@shared_task(name="bulletins.generate_monthly", autoretry_for=(Exception,), max_retries=3)
def generate_monthly(day: str | None = None) -> dict:
    """The 1st (beat, 07:30): the monthly bulletin (月度通报) of the month that has ended."""
    return _generate(Bulletin.Kind.MONTHLY, day)
