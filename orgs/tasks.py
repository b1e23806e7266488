"""Celery tasks of the organisation. Tasks take ids, call a service or selector, and are
idempotent, so a retry or a second delivery changes nothing."""

import socket

from celery import shared_task

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
