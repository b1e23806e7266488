"""Set up the database role the application connects as (ops/dbroles.py, docs/DEPLOYMENT.md
"Database roles"). Run as the tables' owner, after every `migrate`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.dbroles import RoleError, app_role_grant


class Command(BaseCommand):
    help = (
        "As the tables' owner (after migrate): create the application's database role if it is "
        "missing and grant it what the application needs — no UPDATE or DELETE on the ledger, its "
        "decisions and the audit trail, no DELETE on appeals, no TRUNCATE anywhere, owning "
        "nothing. Idempotent. The password comes from DATABASE_APP_PASSWORD, never the command "
        "line."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--role",
            default=settings.DATABASE_APP_ROLE,
            help="the role the application connects as (default: DATABASE_APP_ROLE, %(default)s)",
        )
        parser.add_argument("--database", default="default", help="the connection to use")

    def handle(self, *args, role, database, **options):
        try:
            report = app_role_grant(
                role=role, password=settings.DATABASE_APP_PASSWORD or None, using=database
            )
        except RoleError as error:
            raise CommandError(str(error)) from error
        made = "created" if report.created else "exists"
        password = ", password set" if report.password_set else ""
        self.stdout.write(
            f"Role {report.role} ({made}{password}) on {report.database}, owned by "
            f"{report.owner}: read and write on {report.tables} tables; no UPDATE or DELETE on "
            f"{', '.join(report.no_update_delete)}; no DELETE on {', '.join(report.no_delete)}; "
            f"read only {', '.join(report.read_only)}; no TRUNCATE anywhere."
        )
