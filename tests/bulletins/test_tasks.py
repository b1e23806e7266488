"""The bulletins' Celery tasks, sent as beat sends them (the embedded default runs them at once, in
process) and run twice to show they are idempotent; the beat schedule; the take_snapshots
command."""

import datetime
import io

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from appraisal.models import Scheme
from bulletins import services, tasks
from bulletins.models import Bulletin, Snapshot
from config.celery import app

MONDAY = "2026-11-16"  # the week of 9–15 November
NOV_1 = "2026-11-01"  # October


def test_beat_schedule_names_the_bulletin_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    entries = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    app.loader.import_default_modules()
    for name in (
        "bulletins.take_snapshots",
        "bulletins.generate_weekly",
        "bulletins.generate_monthly",
    ):
        assert name in entries, name
        assert name in app.tasks, name
    assert entries["bulletins.generate_weekly"] == crontab(hour=7, minute=0, day_of_week=1)
    assert entries["bulletins.generate_monthly"] == crontab(hour=7, minute=30, day_of_month=1)
    assert entries["bulletins.take_snapshots"] == crontab(hour=23, minute=30)


def test_take_snapshots_covers_the_years_still_moving(world, year, ranked):
    Scheme.objects.create(year=2027)  # a draft: no results, no snapshots
    result = tasks.take_snapshots.delay().get()
    month = timezone.localdate().replace(day=1)
    assert result == {"month": month.isoformat(), "taken": {"2026": 7}}
    assert Snapshot.objects.filter(scheme=ranked.scheme, month=month).count() == 7
    # Again: the same month replaced, nothing added.
    tasks.take_snapshots.delay().get()
    assert Snapshot.objects.count() == 7


def test_a_published_year_is_snapshotted_only_in_its_own_year(world, year, ranked):
    Scheme.objects.filter(pk=ranked.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    today = timezone.localdate()
    taken = tasks.take_snapshots.delay(today.isoformat()).get()["taken"]
    assert taken == ({"2026": 7} if today.year == 2026 else {})
    assert [s.year for s in tasks.snapshot_schemes(datetime.date(2027, 1, 31))] == []


def test_generate_weekly_makes_the_week_just_ended_once(world, year, ranked):
    result = tasks.generate_weekly.delay(MONDAY).get()
    (bulletin,) = Bulletin.objects.all()
    assert result == {
        "period": ["2026-11-09", "2026-11-15"],
        "generated": [bulletin.pk],
        "skipped": [],
    }
    assert (bulletin.kind, bulletin.status, bulletin.lines.count()) == ("weekly", "draft", 7)
    generated_at = bulletin.generated_at
    # A retry, or a second delivery: nothing changes.
    again = tasks.generate_weekly.delay(MONDAY).get()
    assert again["generated"] == [] and again["skipped"] == [2026]
    bulletin.refresh_from_db()
    assert bulletin.generated_at == generated_at and Bulletin.objects.count() == 1


def test_generate_monthly_leaves_what_hr_has_published(world, year, ranked):
    bulletin = services.bulletin_generate(
        scheme=ranked.scheme, kind="monthly", day=datetime.date(2026, 11, 1)
    )
    services.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)
    result = tasks.generate_monthly.delay(NOV_1).get()
    assert result["generated"] == [] and result["skipped"] == [2026]
    # The next month is generated as a draft measured against it.
    result = tasks.generate_monthly.delay("2026-12-01").get()
    (new,) = Bulletin.objects.filter(pk__in=result["generated"])
    assert (new.period_start, new.number, new.previous) == (datetime.date(2026, 11, 1), 2, bulletin)


def test_only_open_and_reviewed_years_get_bulletins(world, year, ranked):
    Scheme.objects.create(year=2025, status=Scheme.Status.PUBLISHED)
    Scheme.objects.create(year=2024, status=Scheme.Status.DRAFT)
    later = Scheme.objects.create(year=2027, status=Scheme.Status.OPEN)
    result = tasks.generate_monthly.delay("2027-01-01").get()  # reports December 2026
    assert set(Bulletin.objects.values_list("scheme__year", flat=True)) == {2026}
    assert result["skipped"] == [2027]  # its year had not begun in December
    Scheme.objects.filter(pk=ranked.scheme.pk).update(status=Scheme.Status.REVIEW)
    tasks.generate_weekly.delay("2027-01-11").get()  # 4–10 January 2027
    assert set(Bulletin.objects.filter(kind="weekly").values_list("scheme__year", flat=True)) == {
        2026,
        2027,
    }
    assert Bulletin.objects.get(scheme=later, kind="weekly").lines.count() == 0  # no results yet


def test_take_snapshots_command(world, year, ranked):
    out = io.StringIO()
    call_command("take_snapshots", "--year", "2026", stdout=out)
    month = timezone.localdate().replace(day=1)
    assert f"2026 {month:%Y-%m}: 7 snapshots written." in out.getvalue()
    assert Snapshot.objects.count() == 7
    with pytest.raises(CommandError, match="no 1999"):
        call_command("take_snapshots", "--year", "1999", stdout=out)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("take_snapshots", "--day", "11/21/2026", stdout=out)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    with pytest.raises(CommandError, match="not begun"):
        call_command("take_snapshots", "--day", next_month.isoformat(), stdout=out)
