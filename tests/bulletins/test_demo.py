"""seed_demo's bulletins (ops/demo/bulletins.py): snapshots for every month of 2026 so far, each
taken within its month; last month's bulletin, generated and published at seeding time from
results computed before it, whose explanation requests are in every state but overdue (none is
due yet); a draft weekly bulletin; all through the services, and left alone on a second run."""

import datetime

import pytest
from django.utils import timezone

from appraisal.models import ResultSet
from bulletins import services
from bulletins.models import Bulletin, ExplanationRequest, Snapshot
from orgs.models import AuditEvent

from ..ops.demo import demo_seeded, seed_demo


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_seeded(django_db_blocker):
        yield


@pytest.fixture
def seeded(demo, db):
    return None


def _month_end(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def test_demo_snapshots_are_taken_within_their_month(seeded):
    today = timezone.localdate()
    last = min(today, datetime.date(2026, 12, 31)).replace(day=1)
    months = sorted(set(Snapshot.objects.values_list("month", flat=True)))
    assert months == [datetime.date(2026, m, 1) for m in range(1, last.month + 1)]
    assert all(Snapshot.objects.filter(month=m).count() == 16 for m in months)
    for month, taken_at in Snapshot.objects.values_list("month", "taken_at").distinct():
        assert month <= timezone.localdate(taken_at) <= _month_end(month), month


def test_demo_publishes_last_month_after_it_ended(seeded):
    today = timezone.localdate()
    monthly = Bulletin.objects.get(kind="monthly")
    assert monthly.status == "published"
    assert monthly.period_start == (today.replace(day=1) - datetime.timedelta(days=1)).replace(
        day=1
    )
    assert monthly.period_end < timezone.localdate(monthly.published_at)
    # The results it froze were computed before it was generated, and it was published after.
    computed = ResultSet.objects.get(scheme=monthly.scheme).computed_at
    assert monthly.results_computed_at == computed
    assert monthly.results_computed_at <= monthly.generated_at <= monthly.published_at
    publish = AuditEvent.objects.get(action="bulletin.publish", object_id=str(monthly.pk))
    assert monthly.published_at <= publish.at

    requests = ExplanationRequest.objects.filter(bulletin=monthly)
    lagging = set(monthly.lines.filter(lagging=True).values_list("institution_id", flat=True))
    assert set(requests.values_list("institution_id", flat=True)) == lagging
    assert len(lagging) >= 6  # the bottom two of each of the three groups, at least
    assert {r.status for r in requests} == {"requested", "submitted", "reviewed"}
    # Due a week after publication (today): none is overdue yet.
    policy_days = 7
    assert {r.due_on for r in requests} == {
        timezone.localdate(monthly.published_at) + datetime.timedelta(days=policy_days)
    }
    assert not any(services.is_overdue(r) for r in requests)

    weekly = Bulletin.objects.get(kind="weekly")
    assert weekly.status == "draft" and weekly.lines.count() == 16
    assert weekly.period_end < today
    assert weekly.results_computed_at <= weekly.generated_at


def test_every_published_bulletin_came_after_its_period_and_its_results(seeded):
    for bulletin in Bulletin.objects.filter(status="published"):
        assert bulletin.period_end < timezone.localdate(bulletin.published_at)
        assert bulletin.results_computed_at <= bulletin.generated_at <= bulletin.published_at


def test_demo_bulletins_twice_change_nothing(seeded):
    before = list(Bulletin.objects.values_list("pk", "kind", "status", "generated_at"))
    requests = list(ExplanationRequest.objects.values_list("pk", "status"))
    snapshots = list(Snapshot.objects.values_list("pk", "taken_at", "total"))
    seed_demo()
    assert list(Bulletin.objects.values_list("pk", "kind", "status", "generated_at")) == before
    assert list(ExplanationRequest.objects.values_list("pk", "status")) == requests
    assert list(Snapshot.objects.values_list("pk", "taken_at", "total")) == snapshots
