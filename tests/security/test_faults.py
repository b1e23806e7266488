"""Faults: what a failure in the middle of a write leaves behind.

* A Celery worker killed (SIGKILL) while a recompute is inside its transaction: the year's previous
  results are intact, and the task, unacknowledged, is delivered again to a new worker, which
  completes them. A real worker on Redis (marked celery_worker: skipped where no Redis answers,
  a failure then under REQUIRE_REDIS=1, as in tests/test_celery.py).
* A database error in the middle of an import (the organisation workbook, the year workbook, the
  payroll workbook): HR reads a clear refusal, no row of any table changed, and the year's
  "recompute pending" key is free. The error is a real one: a trigger the test creates in the
  database refuses one chosen row, or the connection raises OperationalError on a chosen
  statement (as a lost connection or a statement timeout would).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal as D

import pytest
import redis
from celery import Celery
from django.apps import apps
from django.core.cache import cache
from django.db import OperationalError, connection
from django.urls import reverse

from appraisal.models import LedgerEntry, Result, ResultSet, Scheme
from appraisal.recompute import results_are_stale, year_results_recompute
from appraisal.tasks import PENDING_KEY

from ..appraisal import workbooks as year_books
from ..appraisal.conftest import year  # noqa: F401 — the fixture: the open 2026 year
from ..factories import ScoringDepartmentFactory
from ..orgs.test_import import emp_row, upload, xlsx
from ..payroll import workbooks as pay_books
from ..test_celery import REDIS_URL, ROOT, _database_url_of_test_db, _redis_answers

PROJECT_APPS = ("orgs", "appraisal", "payroll", "letters", "acceptance", "bulletins")
REFUSED = "nothing was imported"


def every_row() -> dict:
    """Every row of every table of the project's apps (the test data is small)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


# --- Injected database errors --------------------------------------------------------------------


class Faults:
    """Ways to make the database fail on one chosen write, undone when the test ends."""

    def __init__(self, stack: contextlib.ExitStack):
        self.stack = stack

    def trigger(self, table: str, column: str, value: str) -> None:
        """The database refuses the row whose `column` is `value`: a BEFORE INSERT trigger that
        raises (created in the test's transaction, so it goes with it)."""
        assert "'" not in value
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "CREATE OR REPLACE FUNCTION test_fault_injected() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'fault injected by the test'; END; $$ "
                    "LANGUAGE plpgsql"
                )
                cursor.execute(
                    f"CREATE TRIGGER test_fault BEFORE INSERT ON {table} FOR EACH ROW "
                    f"WHEN (NEW.{column} = '{value}') EXECUTE FUNCTION test_fault_injected()"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER test_fault BEFORE INSERT ON {table} "
                    f"WHEN NEW.{column} = '{value}' "
                    f"BEGIN SELECT RAISE(ABORT, 'fault injected by the test'); END"
                )

    def statement(self, table: str, nth: int) -> None:
        """The connection fails on the `nth` INSERT into `table` (one statement may insert many
        rows), with the error a lost connection or a statement timeout raises."""
        seen = 0

        def wrapper(execute, sql, params, many, context):
            nonlocal seen
            if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
                seen += 1
                if seen == nth:
                    raise OperationalError("fault injected by the test: the connection was lost")
            return execute(sql, params, many, context)

        self.stack.enter_context(connection.execute_wrapper(wrapper))


@pytest.fixture
def faults():
    with contextlib.ExitStack() as stack:
        yield Faults(stack)


def post_import(client, url: str, file, **data):
    """Upload as HR reading English (the refusal is checked by its English text)."""
    return client.post(url, {"file": file, **data}, HTTP_ACCEPT_LANGUAGE="en")


def assert_refused_cleanly(response, before: dict) -> None:
    assert response.status_code == 400
    body = response.content.decode()
    assert REFUSED in body
    assert "fault injected" not in body  # the database's words go to the log, not the page
    assert every_row() == before


# --- The organisation workbook -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["trigger", "statement"])
def test_a_database_error_in_the_organisation_import_leaves_nothing(world, client_for, faults, how):
    if how == "trigger":
        faults.trigger("orgs_employee", "staff_number", "N0003")
    else:
        faults.statement("orgs_employee", nth=3)
    workbook = xlsx(
        institutions=[
            ["A01", "甲机构", "G1", "head_a", "是", "试运行", 30],  # an update first
            ["N01", "新机构", "第二组", "", "否", "setup", 12],
        ],
        employees=[
            emp_row("A0000", coefficient="1.50"),
            *[emp_row(f"N{i:04d}", institution="N01") for i in range(1, 6)],
        ],
    )
    client = client_for("hr")  # logging in writes last_login: before the snapshot
    before = every_row()
    response = post_import(client, reverse("orgs:import_upload"), upload(workbook))
    assert_refused_cleanly(response, before)


# --- The year workbook ---------------------------------------------------------------------------


@pytest.fixture
def departments(world):
    for code, name in year_books.DEPARTMENTS.items():
        ScoringDepartmentFactory(code=code, name=name)


@pytest.mark.parametrize("how", ["trigger", "statement"])
def test_a_database_error_in_a_new_years_import_leaves_nothing(
    world, departments, client_for, faults, how
):
    if how == "trigger":
        faults.trigger("orgs_institution", "code", "B02")
    else:
        faults.statement("orgs_institution", nth=3)
    client = client_for("hr")
    before = every_row()
    response = post_import(
        client,
        reverse("appraisal:year_import"),
        year_books.upload(year_books.full_year()),
        confirm="yes",
    )
    assert_refused_cleanly(response, before)
    assert not Scheme.objects.filter(year=2025).exists()


@pytest.mark.parametrize("how", ["trigger", "statement"])
def test_a_database_error_in_the_ledger_of_a_reimport_leaves_nothing(
    world, departments, client_for, faults, how
):
    """The second import of a year reverses the first one's entries and records the sheet anew;
    the database fails on the new entries, after the reversals were written."""
    client = client_for("hr")
    url = reverse("appraisal:year_import")
    first = post_import(client, url, year_books.upload(year_books.full_year()), confirm="yes")
    assert first.status_code == 200
    scheme = Scheme.objects.get(year=2025)
    key = PENDING_KEY.format(scheme.pk)
    cache.delete(key)
    if how == "trigger":
        faults.trigger("appraisal_ledgerentry", "reason", "廉政谈话未按期")
    else:
        faults.statement("appraisal_ledgerentry", nth=2)  # 1: the reversals, 2: the new entries
    before = every_row()
    response = post_import(client, url, year_books.upload(year_books.full_year()), confirm="yes")
    assert_refused_cleanly(response, before)
    # The import held the year's recompute key while it wrote; it is free again.
    assert cache.get(key) is None
    assert LedgerEntry.objects.filter(scheme=scheme, reverses__isnull=False).count() == 0


# --- The payroll workbook ------------------------------------------------------------------------


@pytest.fixture
def published(world, year):  # noqa: F811 — the fixture imported above
    year_results_recompute(scheme_id=year.scheme.pk)
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    return year


@pytest.mark.parametrize("how", ["trigger", "statement"])
def test_a_database_error_in_the_payroll_import_leaves_nothing(
    world, published, client_for, faults, how, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"  # where the checked upload is kept
    if how == "trigger":
        faults.trigger("orgs_employee", "staff_number", "B0004")  # a new employee, mid-sheet
    else:
        faults.statement("payroll_paypolicy", nth=2)  # after coefficients and employees
    cache.delete(PENDING_KEY.format(published.scheme.pk))
    client = client_for("hr")
    before = every_row()
    # The page checks the upload first (nothing written), then imports it once confirmed.
    checked = post_import(
        client,
        reverse("payroll:import"),
        pay_books.upload(pay_books.full_payroll()),
    )
    assert checked.status_code == 200 and every_row() == before
    response = client.post(
        reverse("payroll:import_apply"),
        {"upload": checked.context["upload"], "confirm": "yes"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert_refused_cleanly(response, before)
    assert cache.get(PENDING_KEY.format(published.scheme.pk)) is None


# --- A worker killed in the middle of a recompute -------------------------------------------------


def _results() -> list[tuple]:
    return list(
        Result.objects.order_by("institution__code").values_list(
            "institution__code", "common", "business", "execution", "total", "grade", "rank"
        )
    )


def _mark(scheme) -> tuple:
    return ResultSet.objects.filter(scheme=scheme).values_list(
        "ledger_last_id", "ledger_entries", "computed_at"
    )[0]


class Workers:
    """Celery workers started as separate processes (tests/security/fault_worker.py) on their
    own queue and broker key prefix, with a visibility timeout of two seconds."""

    def __init__(self):
        self.queue = f"faults-{uuid.uuid4().hex[:12]}"
        self.prefix = f"{self.queue}:"
        self.processes: list[subprocess.Popen] = []

    def start(self, *, hold_file=None) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "REDIS_URL": REDIS_URL,
            "DATABASE_URL": _database_url_of_test_db(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "2",
            "FAULT_BROKER_PREFIX": self.prefix,
        }
        env.pop("DJANGO_ENV", None)
        env.pop("FAULT_HOLD_FILE", None)
        if hold_file is not None:
            env["FAULT_HOLD_FILE"] = str(hold_file)
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.fault_worker", "worker", "--pool", "solo",
             "--queues", self.queue, "--hostname", f"{self.queue}-{len(self.processes)}@%h",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def client(self) -> Celery:
        client = Celery("jixiao-faults-client", broker=REDIS_URL)
        client.conf.broker_transport_options = {"global_keyprefix": self.prefix}
        return client

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
            try:
                output, _ = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            if process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
                print(output)
        broker = redis.Redis.from_url(REDIS_URL)
        keys = list(broker.scan_iter(f"{self.prefix}*"))
        if keys:
            broker.delete(*keys)


def _wait_for(condition, what: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}:\n"
                        f"{process.communicate()[0]}")  # fmt: skip
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.2)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_keeps_the_results_and_the_task_is_redelivered(
    world,
    year,  # noqa: F811
    tmp_path,
):
    if not _redis_answers(REDIS_URL):
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but no Redis answers at {REDIS_URL}")
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    hr, scheme = world.users["hr"], year.scheme

    def entry(institution, points):
        # Written directly: the service would queue (and, eager, run) a recompute itself.
        return LedgerEntry.objects.create(
            scheme=scheme, institution=institution, kind="indicator",
            indicator=year.indicators["C1"], period="h1", points=D(points), reason="隐患",
            created_by=hr,
        )  # fmt: skip

    entry(world.a, "-10")
    year_results_recompute(scheme_id=scheme.pk)
    previous, previous_mark = _results(), _mark(scheme)
    latest = entry(world.b, "-40")
    assert results_are_stale(scheme)

    workers = Workers()
    hold = tmp_path / "inside-the-recompute"
    try:
        first = workers.start(hold_file=hold)
        workers.client().send_task(
            "appraisal.recompute_year", args=[scheme.pk], queue=workers.queue
        )
        _wait_for(hold.exists, "the recompute reached its hold", first)
        # The worker has deleted and rewritten the results inside its open transaction: others
        # still read the previous set.
        assert (_results(), _mark(scheme)) == (previous, previous_mark)

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=20)
        assert first.returncode == -signal.SIGKILL
        # The partial write died with the worker's connection.
        assert (_results(), _mark(scheme)) == (previous, previous_mark)

        # The task was never acknowledged: a new worker gets it once the visibility timeout has
        # passed, and completes the recompute.
        second = workers.start()
        _wait_for(
            lambda: _mark(scheme)[0] == latest.pk, "recompute by the redelivered task", second
        )
    finally:
        workers.stop()
    completed = _results()
    assert completed != previous
    totals_before = {code: total for code, *_, total, _grade, _rank in previous}
    totals_after = {code: total for code, *_, total, _grade, _rank in completed}
    # B01's common part: the yearly mean of H1 (300 − 40) and H2 (300), 20 below before.
    assert totals_after["B01"] == totals_before["B01"] - D("20")
    assert not results_are_stale(scheme)
    # The redelivered run left what a recompute in-process gives.
    year_results_recompute(scheme_id=scheme.pk)
    assert _results() == completed
