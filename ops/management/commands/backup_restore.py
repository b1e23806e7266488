"""Restore a backup archive into the configured (empty) database and MEDIA_ROOT, then compare
the result with the archive's manifest (ops/backup.py, docs/DEPLOYMENT.md)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, archive_read, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup archive made by backup_create into the configured database, which "
        "must be empty (or --force), and MEDIA_ROOT; checksums are checked before anything "
        "is written, row counts and migrations after."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive written by backup_create")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite a database or files that are not empty (says what it overwrites)",
        )

    def confirm(self, message: str) -> bool:
        if not sys.stdin.isatty():
            raise CommandError(f"{message}\nNot confirmed: pass --yes to restore without asking.")
        return input(f"{message} [yes/no] ").strip().lower() == "yes"

    def handle(self, *args, path, yes, force, **options):
        try:
            archive = archive_read(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        try:
            manifest = archive.manifest
            self.stdout.write(
                f"Archive {path}: made {manifest['created_at']} by version "
                f"{manifest['app_version']}, {manifest['database']['vendor']} database, "
                f"{manifest['media_files']} files; every checksum matches."
            )
            report = backup_restore(
                archive,
                force=force,
                confirm=(lambda message: True) if yes else self.confirm,
                log=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        finally:
            archive.close()

        self.stdout.write(
            f"Restored into database {report.database}; {report.media_written} files."
        )
        for key, (expected, restored) in report.row_counts.items():
            mark = "ok" if expected == restored else "MISMATCH"
            self.stdout.write(f"  {key:<16} {restored:>10}  (manifest {expected}) {mark}")
        if report.unknown_migrations:
            self.stdout.write(
                "  The backup has migrations this code does not know (made by a newer version): "
                + ", ".join(report.unknown_migrations)
            )
        if report.pending_migrations:
            self.stdout.write(
                f"  {len(report.pending_migrations)} migrations of this code are not applied yet: "
                "run manage.py migrate."
            )
        elif not report.unknown_migrations:
            self.stdout.write("  Migrations: as the code expects.")
        if not report.ok:
            raise CommandError("Verification failed: " + "; ".join(report.mismatches))
        self.stdout.write(self.style.SUCCESS("Restore verified: row counts match the manifest."))
