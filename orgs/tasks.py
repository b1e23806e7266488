"""Celery tasks of the organisation. Tasks take ids, call a service or selector, and are
idempotent, so a retry or a second delivery changes nothing."""

import socket

from celery import shared_task
from django.conf import settings

from . import channels
from .models import Institution


@shared_task(name="orgs.ping")
def ping(token: str) -> dict:
    """Round trip check used by tests and `celery inspect`: echoes the token with the worker's
    host and how many institutions its database holds (proves the worker reaches the database)."""
    return {
        "token": token,
        "worker": socket.gethostname(),
        "institutions": Institution.objects.count(),
    }


@shared_task(name="orgs.deliver_notifications", bind=True)
def deliver_notifications(self, notification_ids: list[int]) -> dict:
    """Send notifications out on the deployment's channels (orgs.channels.deliver). A network
    error, a timeout or a 5xx leaves them pending and the task tries again with backoff, up to
    NOTIFY_MAX_TRIES tries in all; then they are recorded as failed. What was sent is recorded per
    notification and channel, so a retry sends only what has not gone out yet."""
    tries = settings.NOTIFY_MAX_TRIES
    attempt = self.request.retries
    while True:
        outcome = channels.deliver(notification_ids, last_try=attempt + 1 >= tries)
        if not outcome.retry:
            return outcome.as_dict()
        if not self.request.is_eager:
            raise self.retry(countdown=channels.backoff(attempt), max_retries=tries - 1)
        # Run in-process (the embedded default, CELERY_TASK_ALWAYS_EAGER): no worker comes back
        # later, so the next try is now, without the wait.
        attempt += 1
