"""Celery tasks of the appraisal. They take ids, call a service, and are idempotent."""

import logging
from functools import partial

from celery import current_app, shared_task
from django.core.cache import cache
from django.db import transaction

from .models import Scheme
from .recompute import results_are_stale, year_results_recompute

log = logging.getLogger(__name__)

# While this key exists a recompute of the year is queued; further requests add nothing,
# so a burst of ledger entries triggers one recompute.
PENDING_KEY = "appraisal:recompute-pending:{}"
PENDING_TTL = 600  # seconds; a lost task frees the key by itself
REFRESH_DRAFT_RUNS = "payroll.refresh_draft_runs"


def recompute_request(scheme_id: int) -> None:
    """Queue one recompute of a year after the current transaction commits (coalesced)."""
    transaction.on_commit(partial(recompute_enqueue, scheme_id))


def recompute_enqueue(scheme_id: int) -> bool:
    """Send the task unless one is already queued for the year; True if sent."""
    if cache.add(PENDING_KEY.format(scheme_id), True, PENDING_TTL):
        recompute_year.delay(scheme_id)
        return True
    return False


def recompute_pending(scheme_id: int) -> bool:
    return cache.get(PENDING_KEY.format(scheme_id)) is not None


@shared_task(
    name="appraisal.recompute_year", autoretry_for=(Exception,), max_retries=3, retry_backoff=True
)
def recompute_year(scheme_id: int, force: bool = False) -> dict:
    # Free the key first: an entry written while this runs queues the next recompute.
    cache.delete(PENDING_KEY.format(scheme_id))
    scheme = Scheme.objects.filter(pk=scheme_id).first()
    if scheme is None:
        return {"scheme": scheme_id, "skipped": "no such year"}
    if not force and not results_are_stale(scheme):
        # Results already reflect this ledger (a duplicate or coalesced request): nothing to do.
        return {"scheme": scheme_id, "skipped": "fresh"}
    result_set = year_results_recompute(scheme_id=scheme_id)
    # Pay depends on results: draft payroll runs follow them. By the task's registered name, so
    # the appraisal does not import payroll (which reads the appraisal's results); the registry
    # raises NotRegistered rather than hand an unknown name to the broker.
    current_app.tasks[REFRESH_DRAFT_RUNS].delay(None)
    return {"scheme": scheme_id, "ledger_last_id": result_set.ledger_last_id}


@shared_task(name="appraisal.recompute_open_years")
def recompute_open_years() -> list[int]:
    """Nightly (beat): recompute every year that is not published."""
    ids = list(Scheme.objects.exclude(status=Scheme.Status.PUBLISHED).values_list("id", flat=True))
    for scheme_id in ids:
        recompute_year.delay(scheme_id, force=True)
    return ids
