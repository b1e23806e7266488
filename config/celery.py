"""The Celery application. Broker and result backend come from settings (REDIS_URL)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jixiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # <app>.tasks of every installed app
# The month's payroll export is defined beside its job records (payroll/transfer/jobs.py).
app.autodiscover_tasks(["payroll.transfer"], related_name="jobs")
