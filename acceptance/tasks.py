"""Celery tasks of the acceptance. They take plain values, call a service or selector, and are
idempotent, so a retry or a second delivery changes nothing.

Missing weekly reports are flagged in the cache, one key per week (its Monday), holding the codes
of the pilot institutions that had sent no report when the week was closed. The rollout board and
the head's report pages read them; nothing else depends on them, so a lost cache only hides the
flags until the next run."""

import datetime

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs import notifications

from .models import week_start
from .services import missing_reports

FLAG_KEY = "acceptance:missing-reports:{}"  # the week's Monday, ISO
FLAG_TTL = 120 * 24 * 3600  # seconds: long enough for the board's trend weeks and then some


def _flag_key(week: datetime.date) -> str:
    return FLAG_KEY.format(week.isoformat())


@shared_task(name="acceptance.flag_missing_reports")
def flag_missing_reports(week: str | None = None) -> dict:
    """Weekly (beat, Monday 09:00): record which pilot institutions sent no report for the past
    week, or for the week of `week` (any ISO day in it). Running it again writes the same flags;
    a report that came in late is no longer flagged on the next run."""
    day = (
        datetime.date.fromisoformat(week)
        if week
        else week_start(timezone.localdate()) - datetime.timedelta(days=7)
    )
    monday = week_start(day)
    missing = list(missing_reports(monday).select_related("head"))
    codes = [institution.code for institution in missing]
    cache.set(_flag_key(monday), codes, FLAG_TTL)
    _notify_missing(missing, monday)
    return {"week": monday.isoformat(), "missing": codes}


@transaction.atomic
def _notify_missing(institutions, monday: datetime.date) -> None:
    """Tell the head of each institution whose report is missing, once per institution and week
    (the key), however often the task runs."""
    link = reverse("acceptance:report_submit")
    notifications.notify_each(
        notifications.Message(
            recipient=head,
            kind="acceptance.report_overdue",
            title=_("A weekly report is overdue"),
            text=_(
                "No weekly report of %(institution)s was received for the week of %(week)s; "
                "please submit this week's report."
            ),
            params={"institution": institution.name, "week": monday.isoformat()},
            link=link,
            about=institution,
            key=f"acceptance.report_overdue:{institution.pk}:{monday.isoformat()}",
        )
        for institution in institutions
        for head in notifications.institution_head(institution)
    )


def missing_flags(weeks: list[datetime.date]) -> dict[datetime.date, list[str]]:
    """The flags recorded for these weeks (Mondays), in one cache round trip. A week the task
    has not run for is absent."""
    found = cache.get_many([_flag_key(w) for w in weeks])
    return {w: found[_flag_key(w)] for w in weeks if _flag_key(w) in found}
