"""A round trip through a real Celery worker on Redis: the test publishes a task, a worker process
started here runs it against the test database, and the result comes back through Redis.

Skipped only where no Redis answers; CI sets REQUIRE_REDIS=1, which turns the skip into a failure.
"""

import ast
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from orgs.tasks import ping

from .factories import InstitutionFactory

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def _database_url_of_test_db() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        user, host = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1"
        return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture
def worker():
    if not _redis_answers(REDIS_URL):
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but no Redis answers at {REDIS_URL}")
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": _database_url_of_test_db(),
    }
    env.pop("DJANGO_ENV", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--hostname", f"{queue}@%h", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    client = Celery("jixiao-test-client", broker=REDIS_URL, backend=REDIS_URL)
    try:
        yield client, queue
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode not in (0, -15):
            print(output)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_a_real_worker(worker):
    client, queue = worker
    InstitutionFactory.create_batch(3)
    token = uuid.uuid4().hex
    result = client.send_task("orgs.ping", args=[token], queue=queue)
    answer = result.get(timeout=90)
    assert answer["token"] == token
    # The worker read the same database the test wrote.
    assert answer["institutions"] == 3
    assert result.status == "SUCCESS"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_payroll_tasks_outside_a_tasks_module_reach_the_worker(worker):
    """payroll.services queues payroll.refresh_draft_runs by name, and payroll.export_month lives in
    payroll/transfer/jobs.py, which no tasks module imports: the worker finds both."""
    client, queue = worker
    refreshed = client.send_task("payroll.refresh_draft_runs", args=[[]], queue=queue)
    assert refreshed.get(timeout=90) == {"recomputed": 0, "refused": {}}
    job = uuid.uuid4().hex
    exported = client.send_task("payroll.export_month", args=[job, "2026-01-01", 0], queue=queue)
    assert exported.get(timeout=90)["error"] == "permission denied"  # no such user


def declared_task_names() -> set[str]:
    """The name of every `@shared_task(name=...)` in the project's packages."""
    names = set()
    for package in ROOT.iterdir():
        if not (package / "__init__.py").exists() or package.name in {"tests", "benchmarks"}:
            continue
        for path in package.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "shared_task":
                    names |= {k.value.value for k in node.keywords if k.arg == "name"}
    return names


REGISTERED = """
import json
import django

django.setup()
from config.celery import app

web = sorted(app.tasks)
app.loader.import_default_modules()  # what a worker does when it starts
print("TASKS=" + json.dumps({"web": web, "worker": sorted(app.tasks)}))
"""


def test_every_task_is_registered_where_it_is_queued():
    """In a fresh interpreter, where no test has imported anything: Django's start registers the
    tasks queued by name (Celery would otherwise hand an unknown name to the broker, ignoring
    CELERY_TASK_ALWAYS_EAGER), and a worker's start registers every task the project declares."""
    declared = declared_task_names()
    assert {"payroll.refresh_draft_runs", "payroll.export_month", "orgs.ping"} <= declared
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    completed = subprocess.run(
        [sys.executable, "-c", REGISTERED], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    line = next(x for x in completed.stdout.splitlines() if x.startswith("TASKS="))
    registered = json.loads(line.removeprefix("TASKS="))
    assert "payroll.refresh_draft_runs" in registered["web"]
    assert sorted(declared - set(registered["worker"])) == []
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert sorted(beat - set(registered["worker"])) == []


def test_eager_mode_runs_in_process_without_a_broker(db):
    """The embedded default (no REDIS_URL) runs tasks at once in the calling process."""
    from config.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        InstitutionFactory()
        result = ping.delay("x")
    finally:
        app.conf.task_always_eager = saved
    assert result.successful() and result.get()["institutions"] == 1


def test_celery_app_reads_the_eager_setting(settings):
    """The Celery app takes its configuration from Django's settings (the defaults per mode are
    checked in tests/test_settings.py)."""
    from config.celery import app

    assert app.conf.task_always_eager is settings.CELERY_TASK_ALWAYS_EAGER
