"""Archiving the audit trail (``manage.py audit_archive``; docs/AUDIT.md, "Retention and archive").

The trail is kept at least ``AUDIT_RETENTION_DAYS`` (180, no less: 等保 2.0 level 3) and is
append-only: the application can neither update nor delete an event (model, queryset, PostgreSQL
triggers, an application role without UPDATE, DELETE or TRUNCATE). Archiving therefore copies,
it does not purge: the events older than the retention, from where the previous archive ended, go
to a gzip'd JSON-lines file with a manifest (count, range, SHA-256 of the file), and an
``audit.archive`` event records the range, count and hash. Deleting archived rows is a DBA's act,
as the tables' owner with the triggers disabled, outside the application (docs/AUDIT.md).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import AuditEvent, User

ARCHIVE_ACTION = "audit.archive"
ARCHIVE_KEYS = ("file", "sha256", "count", "since", "before", "first_id", "last_id")


class ArchiveRefused(ValueError):
    pass


@dataclass(frozen=True)
class Archive:
    path: Path
    manifest: Path
    count: int
    sha256: str
    since: dt.date | None
    before: dt.date


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    """The first day still inside the retention: events before it may be archived."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def last_archived_before() -> dt.date | None:
    """Where the previous archive ended (its `before`), so the next one goes on from there."""
    event = AuditEvent.objects.filter(action=ARCHIVE_ACTION).order_by("-at", "-id").first()
    if event is None or not event.after:
        return None
    return dt.date.fromisoformat(event.after["before"])


def _line(event: AuditEvent) -> str:
    return json.dumps(
        {
            "id": event.pk,
            "at": event.at.isoformat(),
            "actor": event.actor.username if event.actor_id else None,
            "actor_id": event.actor_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_repr": event.object_repr,
            "before": event.before,
            "after": event.after,
            "client_address": event.client_address,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def audit_archive(
    *,
    actor: User,
    output: Path,
    before: dt.date | None = None,
    since: dt.date | None = None,
    today: dt.date | None = None,
) -> Archive:
    """Write the events with `since` <= local date < `before` to OUTPUT/audit-….jsonl.gz and its
    manifest; `before` defaults to the retention's cutoff and may not be later (inside the
    retention window), `since` to where the last archive ended (else the first event)."""
    cutoff = retention_cutoff(today)
    before = before or cutoff
    if before > cutoff:
        raise ArchiveRefused(
            f"--before {before} is inside the retention of {settings.AUDIT_RETENTION_DAYS} days: "
            f"the latest allowed is {cutoff}."
        )
    since = since if since is not None else last_archived_before()
    if since is not None and since >= before:
        raise ArchiveRefused(f"Nothing to archive: the range {since} – {before} is empty.")
    events = AuditEvent.objects.filter(at__lt=_start_of(before)).select_related("actor")
    if since is not None:
        events = events.filter(at__gte=_start_of(since))
    events = events.order_by("at", "id")

    output.mkdir(parents=True, exist_ok=True)
    stem = f"audit-{since.isoformat() if since else 'start'}-to-{before.isoformat()}"
    path = output / f"{stem}.jsonl.gz"
    if path.exists():
        raise ArchiveRefused(f"{path} exists already: archives are never overwritten.")
    digest, count, first_id, last_id = hashlib.sha256(), 0, None, None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    # mtime=0: the same events always make the same bytes (and the same hash).
    with (
        os.fdopen(fd, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
    ):
        for event in events.iterator(chunk_size=2000):
            gz.write((_line(event) + "\n").encode("utf-8"))
            count += 1
            first_id = first_id or event.pk
            last_id = event.pk
    with path.open("rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    sha256 = digest.hexdigest()
    manifest = output / f"{stem}.manifest.json"
    summary = {
        "file": path.name,
        "sha256": sha256,
        "count": count,
        "since": since.isoformat() if since else None,
        "before": before.isoformat(),
        "first_id": first_id,
        "last_id": last_id,
        "retention_days": settings.AUDIT_RETENTION_DAYS,
        "created_at": timezone.now().isoformat(),
        "format": "JSON lines, gzip, one audit event per line (orgs.audit_archive)",
    }
    manifest.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    manifest.chmod(0o600)
    AuditEvent.objects.create(
        actor=actor,
        action=ARCHIVE_ACTION,
        object_type="orgs.auditevent",
        object_id=f"{first_id}-{last_id}" if count else "",
        object_repr=path.name[:200],
        after={key: summary[key] for key in ARCHIVE_KEYS},
    )
    return Archive(path, manifest, count, sha256, since, before)
