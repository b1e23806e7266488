"""The recompute: the database aggregates the ledger, the engine scores, the year's results are
replaced at once; its query count does not grow with the number of institutions; it is
idempotent; concurrent or retried runs leave one consistent set; bursts are coalesced."""

import threading
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal import services
from appraisal.models import Indicator, Result, ResultSet
from appraisal.recompute import results_are_stale, year_results_recompute
from appraisal.tasks import PENDING_KEY, recompute_pending, recompute_request

from ..factories import InstitutionFactory


def add(actor, year, institution, code, period, points, **kw):
    return services.ledger_entry_create(
        actor=actor, scheme=year.scheme, institution=institution, kind=kw.pop("kind", "indicator"),
        indicator=year.indicators.get(code), period=period, points=D(points), reason="事由", **kw,
    )  # fmt: skip


def results():
    fields = (
        "common",
        "business",
        "execution",
        "bonus",
        "veto",
        "total",
        "grade",
        "rank",
        "prize_level",
    )
    return {
        r.institution.code: tuple(getattr(r, f) for f in fields)
        for r in Result.objects.select_related("institution")
    }


def test_results_follow_the_ledger(world, year):
    hr, scorer = world.users["hr"], world.users["scorer"]
    add(scorer, year, world.a, "C1", "h1", "-10")
    add(hr, year, world.a, "B1", "h1", "250")
    add(hr, year, world.a, "B1", "h2", "270")
    add(hr, year, world.a, "E1", "year", "-40")
    add(hr, year, world.a, None, "year", "15", kind="bonus")
    add(hr, year, world.a, None, "year", "10", kind="bonus")
    proposal = add(scorer, year, world.c, None, "year", "30", kind="veto")
    add(scorer, year, world.c, "C1", "h2", "-3")  # C01 lost 1.5 on common
    year_results_recompute(scheme_id=year.scheme.pk)
    got = results()
    # A01: common (290 + 300) / 2 = 295; business (250 + 270) / 2 = 260; execution 360;
    # bonus 15 + 10 = 25 capped at 20
    assert got["A01"] == (D(295), D(260), D(360), D(20), D(0), D(935), "qualified", 2, 2)
    # C01: the veto proposal is not approved yet: it does not count.
    assert got["C01"] == (D("298.50"), D(300), D(400), D(0), D(0), D("998.50"), "qualified", 1, 1)
    assert got["B01"][5] == D(1000)
    services.entry_decide(actor=hr, entry=proposal, approved=True)
    assert results_are_stale(year.scheme)
    year_results_recompute(scheme_id=year.scheme.pk)
    assert not results_are_stale(year.scheme)
    got = results()
    assert got["C01"][4:8] == (D(30), D("968.50"), "unqualified", 2)  # vetoed: ranked last
    assert got["A01"][7:] == (1, 1)


def test_recompute_is_idempotent_and_records_the_ledger_state(world, year):
    e = add(world.users["hr"], year, world.a, "C1", "h1", "-7")
    first = year_results_recompute(scheme_id=year.scheme.pk)
    before = results()
    second = year_results_recompute(scheme_id=year.scheme.pk)
    assert results() == before
    assert Result.objects.count() == 3 and ResultSet.objects.count() == 1
    assert first.ledger_last_id == second.ledger_last_id == e.pk
    assert second.ledger_entries == 1


def _recompute_queries(scheme_id):
    with CaptureQueriesContext(connection) as captured:
        year_results_recompute(scheme_id=scheme_id)
    sql = [q["sql"] for q in captured.captured_queries]
    inserts = [q for q in sql if q.startswith('INSERT INTO "appraisal_result"')]
    return len(sql) - len(inserts), len(inserts)


def test_query_count_does_not_grow_with_institutions(world, year):
    """A fixed number of queries on PostgreSQL; SQLite splits the one bulk insert of the results
    into batches of its 999-parameter limit, which is all that grows there."""
    hr = world.users["hr"]
    add(hr, year, world.a, "C1", "h1", "-1")
    year_results_recompute(scheme_id=year.scheme.pk)
    fixed, inserts = _recompute_queries(year.scheme.pk)
    assert inserts == 1
    b2 = year.indicators["B2"]
    for i in range(60):
        inst = InstitutionFactory(code=f"Z{i:03d}", group=world.g1 if i % 2 else world.g2)
        b2.institutions.add(inst)
        add(hr, year, inst, "C1", "h1", "-2")
        add(hr, year, inst, "E1", "year", "-3")
    fixed_63, inserts_63 = _recompute_queries(year.scheme.pk)
    assert fixed_63 == fixed
    if connection.vendor == "postgresql":
        assert inserts_63 == 1
    else:
        fields = [f for f in Result._meta.concrete_fields if not f.primary_key]
        assert inserts_63 == -(-63 // connection.ops.bulk_batch_size(fields, [None] * 63))
    assert Result.objects.count() == 63


def test_a_burst_of_entries_queues_one_recompute(
    world, year, django_capture_on_commit_callbacks, settings
):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(5):
            add(world.users["hr"], year, world.a, "C1", "h1", "-1")
    assert len(callbacks) == 5  # each entry asks for a recompute
    calls = []
    from appraisal import tasks

    original = tasks.recompute_year.delay
    tasks.recompute_year.delay = lambda scheme_id: calls.append(scheme_id)
    try:
        for callback in callbacks:
            callback()
    finally:
        tasks.recompute_year.delay = original
    assert calls == [year.scheme.pk]  # coalesced: one task for the burst
    assert recompute_pending(year.scheme.pk)
    cache.delete(PENDING_KEY.format(year.scheme.pk))


def test_eager_recompute_runs_on_commit(world, year, django_capture_on_commit_callbacks):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    with django_capture_on_commit_callbacks(execute=True):
        add(world.users["hr"], year, world.a, "C1", "h1", "-20")
    assert Result.objects.get(institution=world.a).common == D(290)
    assert not recompute_pending(year.scheme.pk)  # the task freed the key


@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputes_leave_one_consistent_set(world, year):
    hr = world.users["hr"]
    for inst in (world.a, world.b, world.c):
        add(hr, year, inst, "C1", "h1", "-4")
    year_results_recompute(scheme_id=year.scheme.pk)
    expected = results()
    errors = []

    def run():
        try:
            year_results_recompute(scheme_id=year.scheme.pk)
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results() == expected
    assert Result.objects.count() == 3


def test_request_outside_a_transaction_is_queued_once(
    world, year, django_capture_on_commit_callbacks
):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    with django_capture_on_commit_callbacks(execute=True):
        recompute_request(year.scheme.pk)
    assert ResultSet.objects.filter(scheme=year.scheme).exists()


def test_listed_indicators_apply_only_to_their_institutions(world, year):
    Indicator.objects.filter(pk=year.indicators["B1"].pk)  # A01 only
    year_results_recompute(scheme_id=year.scheme.pk)
    got = results()
    assert got["A01"][1] == 0  # B1 (add) with no points
    assert got["B01"][1] == got["C01"][1] == D(300)  # B2 (deduct) untouched


def test_recompute_command(world, year):
    from io import StringIO

    from django.core.management import CommandError, call_command

    add(world.users["hr"], year, world.a, "C1", "h1", "-6")
    out = StringIO()
    call_command("recompute", "2026", stdout=out)
    assert "2026: 3 results from 1 ledger entries" in out.getvalue()
    assert Result.objects.get(institution=world.a).common == D(297)
    with pytest.raises(CommandError, match="No appraisal scheme for 1999"):
        call_command("recompute", "1999")
