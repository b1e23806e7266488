"""Two clicks or two people at the same moment never apply a step twice (PostgreSQL's row locks;
SQLite serialises whole-database writes, so these run in the PostgreSQL run)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orgs.models import AuditEvent
from reporting import services
from reporting.models import ReportEvent, ReportItem

from .helpers import item, report_of

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="two writers at the same moment need PostgreSQL's row locks and concurrent connections",
)


def _at_once(call, n=4):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(call())
        except ValidationError as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_four_submits_and_four_second_reviews_at_once_apply_once(world, year, ratio):
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    contact, scorer, hr = (world.users[p] for p in ("contact_a", "scorer", "hr"))
    report = report_of(world, year)
    services.item_save(actor=contact, item=item(report, "B3"), actual_value=Decimal("600"))

    done, refused = _at_once(lambda: services.report_submit(actor=contact, report=report))
    assert len(done) == 1 and len(refused) == 3
    assert "not possible now" in refused[0].messages[0]
    assert report.events.filter(action=ReportEvent.Action.SUBMIT).count() == 1

    services.item_first_review(actor=scorer, item=item(report, "B3"), decision="accept")
    b3 = item(report, "B3")
    done, refused = _at_once(
        lambda: services.item_second_review(actor=hr, item=b3, decision="accept")
    )
    assert len(done) == 1 and len(refused) == 3
    assert item(report, "B3").status == ReportItem.Status.CHECKED
    assert AuditEvent.objects.filter(action="target.update").count() == 1
    assert report.events.filter(action=ReportEvent.Action.SECOND_ACCEPT).count() == 1
