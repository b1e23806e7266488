from django.core.management.base import BaseCommand

from ops.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Load deterministic demo data (institutions, groups, employees, one account per role)."

    def handle(self, *args, **options):
        counts = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready: {institutions} institutions in {groups} groups, {employees} "
                "employees, {users} accounts (demo password: {pw}).".format(
                    pw=DEMO_PASSWORD, **counts
                )
            )
        )
