"""Write one backup archive: the database, every file under MEDIA_ROOT and a manifest with
checksums (ops/backup.py, docs/DEPLOYMENT.md)."""

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a backup archive (.tar.gz, mode 0600): the database (pg_dump or an SQLite copy), "
        "every file under MEDIA_ROOT, and manifest.json with row counts and SHA-256 checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            required=True,
            help="the archive to write, e.g. /backups/jixiao-$(date +%%F).tar.gz",
        )

    def handle(self, *args, output, **options):
        try:
            manifest = backup_create(output, log=self.stderr.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{key} {n}" for key, n in manifest["row_counts"].items())
        self.stdout.write(
            f"Backup written to {output}: {manifest['database']['vendor']} database, "
            f"{manifest['media_files']} files; {counts}."
        )
