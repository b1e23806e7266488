"""A real Celery worker (the project's app, settings and tasks) for tests/security/test_faults.py,
started as `python -m tests.security.fault_worker worker --pool solo …`, with two test-only knobs
read from its environment. Production code has neither: they live here, in the test's worker.

* FAULT_HOLD_FILE: the recompute stops inside its transaction, once it has deleted and rewritten
  the year's results and recorded the new ledger mark (Django's post_save of the ResultSet, sent
  inside year_results_recompute's transaction), writes its process id to that file and waits to be
  killed. The test reads the file to know the partial write is there, uncommitted, and kills the
  worker then: a deterministic "killed in the middle of a recompute".
* FAULT_BROKER_PREFIX: every Redis key of the broker gets this prefix (kombu's global_keyprefix),
  so the test's queues and its unacknowledged-message set are its own, and the short visibility
  timeout the test sets (CELERY_VISIBILITY_TIMEOUT) redelivers nobody else's tasks. The restore
  sweep runs every second instead of every 100 seconds.
"""

import os
import sys
import time
from pathlib import Path


def _hold_inside_the_recompute(path: Path) -> None:
    from django.db.models.signals import post_save

    from appraisal.models import ResultSet

    def hold(sender, instance, **kwargs):
        path.write_text(str(os.getpid()))
        while True:  # until SIGKILL
            time.sleep(1)

    post_save.connect(hold, sender=ResultSet, weak=False, dispatch_uid="fault-hold")


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from config.celery import app

    if os.environ.get("FAULT_HOLD_FILE"):
        _hold_inside_the_recompute(Path(os.environ["FAULT_HOLD_FILE"]))
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "global_keyprefix": os.environ["FAULT_BROKER_PREFIX"],
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    app.worker_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
