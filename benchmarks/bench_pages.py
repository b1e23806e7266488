"""The heaviest pages at the seeded scale, in-process: HR's overview, the rankings and a head's
portal, each timed around ``django.test.Client.get`` (server time: URL routing, middleware,
the view, its queries and the template; no network, no browser).

Each page is requested 3 times untimed, then 50 times timed; the line's value is the p95 and
the median, the query count and the size of the HTML follow it. The baseline is a trivial
authenticated endpoint of the same stack (``/api/v1/me/``: sessions, authentication, one
user read) over the same 50 requests. The query count of a page must not depend on the number
of institutions: compare the ``queries=`` of a ``--quick`` run with a full one.
"""

from __future__ import annotations

import datetime
import os

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from benchmarks.common import Bench, Context, median, p95, timed

WARMUP = 3
REPEAT = 50
TARGET_MS = 300  # p95 of each page at 2,000 institutions (docs/PERFORMANCE.md)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _measure(client: Client, url: str) -> dict:
    """Milliseconds of REPEAT requests after WARMUP, the queries of one and its size."""
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: captured_queries reads the connection's log, which the next request resets.
    count = len(queries.captured_queries)
    samples = [timed(lambda: client.get(url))[0] * 1000 for _ in range(REPEAT)]
    return {
        "p95": p95(samples),
        "median": median(samples),
        "queries": count,
        "kb": len(response.content) / 1024,
    }


def _take_snapshots(year: int) -> int:
    """The monthly snapshots the overview's trend and the portal read: Celery beat takes them
    nightly in production, the seed does not. One per month so far, from the current results."""
    from django.utils import timezone

    from appraisal.models import Scheme
    from bulletins.models import Snapshot
    from bulletins.services import snapshots_take

    scheme = Scheme.objects.get(year=year)
    if Snapshot.objects.filter(scheme=scheme).exists():
        return 0
    today = timezone.localdate()
    last = 12 if today.year > year else today.month if today.year == year else 0
    taken = 0
    for month in range(1, last + 1):
        with transaction.atomic():
            taken += snapshots_take(scheme=scheme, day=datetime.date(year, month, 1))
    return taken


def run(ctx: Context) -> list[Bench]:
    from orgs.models import Institution, User

    year = ctx.year
    taken = _take_snapshots(year)
    if taken:
        print(f"pages: took {taken} monthly snapshots (the trend and the portal read them)")
    hr = User.objects.get(username="hr")
    # The head of an institution in the middle of the code order: the portal reads its group.
    institution = (
        Institution.objects.filter(head__isnull=False, group__isnull=False)
        .select_related("head")
        .order_by("code")
    )
    institution = institution[institution.count() // 2]
    hr_client = _client(hr)
    head_client = _client(institution.head)

    # As in production: no query log kept for every request.
    with override_settings(DEBUG=False):
        return _run(ctx, year, institution, hr_client, head_client)


def _run(ctx, year, institution, hr_client, head_client) -> list[Bench]:
    baseline = _measure(hr_client, "/api/v1/me/")
    pages = [
        ("page_dashboard", hr_client, f"/dashboard/years/{year}/"),
        ("page_rankings", hr_client, f"/appraisal/years/{year}/rankings/"),
        ("page_portal", head_client, f"/dashboard/years/{year}/institutions/{institution.code}/"),
    ]
    print(
        f"pages: {ctx.institutions} institutions; baseline /api/v1/me/ "
        f"median={baseline['median']:.1f}ms p95={baseline['p95']:.1f}ms "
        f"queries={baseline['queries']} load={os.getloadavg()[0]:.1f}"
    )
    benches = []
    for name, client, url in pages:
        m = _measure(client, url)
        benches.append(
            Bench(
                name=name,
                value=m["p95"],
                unit="ms",
                baseline=baseline["p95"],
                target=f"p95<={TARGET_MS}ms",
                extra=(
                    f"median={m['median']:.1f}ms queries={m['queries']} html={m['kb']:.0f}KB "
                    f"institutions={ctx.institutions} url={url}"
                ),
            )
        )
    return benches
