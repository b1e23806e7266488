"""A month's export as a background job (Celery task `payroll.export_month`): the file is written
under MEDIA_ROOT/exports/, and the job's progress is a small record in the cache (no model):
state (queued → running → done, or failed), lines done, lines in total, the download's file name,
and the id of the user who started it — only they may download it.

In the embedded default Celery runs eagerly, so the job is done when it is started.
"""

import datetime
import re
import time
import uuid
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from orgs.models import Institution, User

from .exporting import (
    export_filename,
    lines_count,
    payroll_workbook_write,
    runs_for_export,
    runs_mark_exported,
)

JOB_KEY = "payroll:export:{}"
JOB_TTL = 24 * 3600  # the record and the file are kept a day
JOB_ID = re.compile(r"[0-9a-f]{32}")
EXPORT_DIR = "exports"


def export_path(job: str) -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORT_DIR / f"{job}.xlsx"


def export_job_start(
    *, user: User, month: datetime.date, institution: Institution | None = None, mark: bool = True
):
    """Queue the export of a month (of the user's institutions, or one of them) and return the
    job's id. A draft in scope is refused now (ValidationError), not later in the job. `mark`
    (the confirmed export for payment) marks the confirmed runs exported once the file is
    written; without it (a large month exported before, downloaded again) nothing changes."""
    runs = runs_for_export(user=user, month=month, institution=institution)
    job = uuid.uuid4().hex
    record = {
        "state": "queued",
        "done": 0,
        "total": 0,
        "filename": export_filename(month, institution),
        "month": f"{month:%Y-%m}",
        "user_id": user.pk,
        "error": "",
        # What the progress page says the file holds, and whether it marks the runs exported.
        "institutions": [[r.institution.code, r.institution.name] for r in runs],
        "marks": mark,
    }
    cache.set(JOB_KEY.format(job), record, JOB_TTL)
    args = (job, month.isoformat(), user.pk, institution.code if institution else None, mark)
    transaction.on_commit(lambda: export_month.delay(*args))
    return job


def export_job_get(job: str, user) -> dict | None:
    """The job's record if `user` started it; None otherwise (also for an unknown or expired
    job), so that nobody learns of someone else's export."""
    if not JOB_ID.fullmatch(job or ""):
        return None
    record = cache.get(JOB_KEY.format(job))
    if record is None or record.get("user_id") != getattr(user, "pk", None):
        return None
    return record


def _job_update(job: str, **changes) -> dict:
    key = JOB_KEY.format(job)
    record = cache.get(key) or {}
    record.update(changes)
    cache.set(key, record, JOB_TTL)
    return record


def _old_exports_delete() -> None:
    folder = Path(settings.MEDIA_ROOT) / EXPORT_DIR
    limit = time.time() - JOB_TTL
    for path in folder.iterdir():  # finished files and the leftovers of crashed jobs
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass  # another worker removed it first


@shared_task(name="payroll.export_month")
def export_month(
    job: str, month_iso: str, user_id: int, institution_code: str | None = None, mark: bool = True
) -> dict:
    """Write the month's export for the job. Safe to retry: the file is rewritten whole (under a
    temporary name, then renamed), and marking a run exported twice changes nothing but its
    time."""
    path = export_path(job)
    record = cache.get(JOB_KEY.format(job)) or {}
    if record.get("state") == "done" and path.exists():
        return record
    month = datetime.date.fromisoformat(month_iso)
    user = User.objects.filter(pk=user_id).first()
    try:
        institution = None
        if institution_code is not None:
            institution = Institution.objects.filter(code=institution_code).first()
            if institution is None:
                raise ValidationError(institution_code)
        if user is None:
            raise PermissionDenied
        runs = runs_for_export(user=user, month=month, institution=institution)
    except ValidationError as e:
        return _job_update(job, state="failed", error=" ".join(e.messages))
    except PermissionDenied:
        return _job_update(job, state="failed", error="permission denied")
    total = lines_count(runs)
    _job_update(job, state="running", total=total, done=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    _old_exports_delete()
    partial = path.with_suffix(".part")
    payroll_workbook_write(runs, partial, progress=lambda done: _job_update(job, done=done))
    partial.replace(path)
    if mark:
        runs_mark_exported(actor=user, runs=runs)
    return _job_update(job, state="done", done=total)
