"""Celery tasks of 数据填报: plain values in, a service call, idempotent."""

import datetime

from celery import shared_task
from django.db import transaction

from . import services


@shared_task(name="reporting.notify_overdue_reports")
def notify_overdue_reports(day: str | None = None) -> int:
    """Daily: tell the institutions whose report is past its reporting deadline and not submitted
    (services.reports_overdue_notify). Each notification is keyed by report and deadline, so a
    second run, or a retry, tells nobody twice. Not yet in the beat schedule (config/settings.py:
    CELERY_BEAT_SCHEDULE, "reporting.notify_overdue_reports", daily)."""
    today = datetime.date.fromisoformat(day) if day else None
    with transaction.atomic():
        return services.reports_overdue_notify(today=today)
