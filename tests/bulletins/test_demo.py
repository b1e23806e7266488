"""seed_demo's bulletins (ops/demo/bulletins.py): snapshots for every month of 2026 so far, a
published monthly bulletin whose explanation requests are in every state (one overdue, one
submitted, one reviewed), and a draft weekly bulletin; all through the services, and left alone
on a second run."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from bulletins import services
from bulletins.models import Bulletin, ExplanationRequest, Snapshot
from orgs.models import AuditEvent


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_demo_bulletins(seeded):
    today = timezone.localdate()
    last = min(today, datetime.date(2026, 12, 31)).replace(day=1)
    months = sorted(set(Snapshot.objects.values_list("month", flat=True)))
    assert months == [datetime.date(2026, m, 1) for m in range(1, last.month + 1)]
    assert all(Snapshot.objects.filter(month=m).count() == 16 for m in months)

    monthly = Bulletin.objects.get(kind="monthly")
    assert monthly.status == "published"
    assert monthly.period_start == (today.replace(day=1) - datetime.timedelta(days=1)).replace(
        day=1
    )
    requests = ExplanationRequest.objects.filter(bulletin=monthly)
    lagging = set(monthly.lines.filter(lagging=True).values_list("institution_id", flat=True))
    assert set(requests.values_list("institution_id", flat=True)) == lagging
    assert len(lagging) >= 6  # the bottom two of each of the three groups, at least
    assert {r.status for r in requests} == {"requested", "submitted", "reviewed"}
    assert any(services.is_overdue(r) for r in requests)
    assert monthly.published_at.date() <= monthly.generated_at.date() + datetime.timedelta(days=1)
    assert AuditEvent.objects.filter(action="bulletin.publish", object_id=str(monthly.pk)).exists()

    weekly = Bulletin.objects.get(kind="weekly")
    assert weekly.status == "draft" and weekly.lines.count() == 16


def test_demo_bulletins_twice_change_nothing(seeded):
    before = list(Bulletin.objects.values_list("pk", "kind", "status", "generated_at"))
    requests = list(ExplanationRequest.objects.values_list("pk", "status"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(Bulletin.objects.values_list("pk", "kind", "status", "generated_at")) == before
    assert list(ExplanationRequest.objects.values_list("pk", "status")) == requests
