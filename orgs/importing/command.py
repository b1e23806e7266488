"""The shape every Excel import command shares: a workbook path and the HR user the changes are
made and audited as; every error printed on its own line; nothing written on any error."""

from django.core.management.base import BaseCommand, CommandError

from orgs.access import has_role
from orgs.models import Role, User
from orgs.services import system_user

from .results import ImportFailed


class ImportCommand(BaseCommand):
    """Subclasses give `help`, `import_file(user, file)` and `summary(result)`."""

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx workbook")
        parser.add_argument(
            "--actor",
            help="username of the HR user the changes are made and audited as "
            "(default: the system account)",
        )

    def import_file(self, user: User, file):
        raise NotImplementedError

    def summary(self, result) -> str:
        raise NotImplementedError

    def actor(self, username: str | None) -> User:
        if username is None:
            return system_user()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not has_role(user, Role.HR):
            raise CommandError(f"{username!r} is not an active HR user; only HR may import.")
        return user

    def handle(self, *args, path, actor, **options):
        user = self.actor(actor)
        try:
            with open(path, "rb") as file:
                result = self.import_file(user, file)
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror or e}") from e
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(failure.errors)} error(s) in {path}; nothing was imported."
            ) from None
        self.stdout.write(self.style.SUCCESS(self.summary(result)))
