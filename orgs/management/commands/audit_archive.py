"""Archive the audit trail's events older than the retention to a file (orgs.audit_archive):
gzip'd JSON lines and a manifest with their SHA-256. Nothing is deleted."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orgs.audit_archive import ArchiveRefused, audit_archive
from orgs.models import User
from orgs.services import system_user


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Write the audit events older than AUDIT_RETENTION_DAYS (from where the last archive "
        "ended) to OUTPUT/audit-SINCE-to-BEFORE.jsonl.gz with a SHA-256 manifest, and record an "
        "audit.archive event. The events stay in the database: the trail is append-only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--before",
            type=_date,
            help="Archive events before this local date (default and latest allowed: today "
            "minus AUDIT_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--since",
            type=_date,
            help="Archive events from this local date (default: where the last archive ended).",
        )
        parser.add_argument(
            "--output", default=str(settings.DATA_DIR / "audit-archive"), help="Folder."
        )
        parser.add_argument("--actor", help="Username recorded as the archive's actor.")

    def handle(self, *args, **options):
        actor = system_user()
        if options["actor"]:
            actor = User.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user {options['actor']!r}.")
        try:
            archive = audit_archive(
                actor=actor,
                output=Path(options["output"]),
                before=options["before"],
                since=options["since"],
            )
        except ArchiveRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            f"{archive.count} events ({archive.since or 'start'} to {archive.before}, "
            f"not included) written to {archive.path}\nSHA-256 {archive.sha256}\n"
            f"Manifest {archive.manifest}\nNothing was deleted: the audit trail is append-only."
        )
