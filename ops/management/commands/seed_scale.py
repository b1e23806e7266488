"""Fill an empty database with a group at scale, for benchmarks (ops/scale/, benchmarks/README.md):
institutions of very different sizes, their employees, an open year with a full ledger, its
results, pay policies and a confirmed payroll month. Prints how long each phase took."""

from django.core.management.base import BaseCommand, CommandError

from ops.scale import PASSWORD, ScaleRefused, scale_seed


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Seed an empty database at scale: --institutions N --employees M --entries K "
        "[--year 2026] [--seed 1]. Refuses a database that has institutions already."
    )

    def add_arguments(self, parser):
        parser.add_argument("--institutions", type=_positive, required=True)
        parser.add_argument("--employees", type=_positive, required=True)
        parser.add_argument("--entries", type=int, required=True, help="ledger entries")
        parser.add_argument("--year", type=int, default=2026)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-payroll",
            action="store_true",
            help="skip computing and confirming the payroll month (the slow per-institution part)",
        )

    def handle(self, *args, **options):
        if options["entries"] < 0:
            raise CommandError("--entries cannot be negative.")

        def progress(name: str, seconds: float) -> None:
            self.stdout.write(f"  {name:<26} {seconds:8.1f} s")
            self.stdout.flush()

        try:
            report = scale_seed(
                institutions=options["institutions"],
                employees=options["employees"],
                entries=options["entries"],
                year=options["year"],
                seed=options["seed"],
                payroll=not options["no_payroll"],
                progress=progress,
            )
        except ScaleRefused as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"  {'total':<26} {report.seconds:8.1f} s")
        month = f", payroll {report.payroll_month:%Y-%m}: {report.payroll_runs} runs confirmed"
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.institutions} institutions in {report.groups} groups, "
                f"{report.employees} employees, {report.entries} ledger entries "
                f"({report.decisions} decisions), {report.targets} targets, "
                f"{report.policies} pay policies{month if report.payroll_runs else ''}. "
                f"Every account's password: {PASSWORD}."
            )
        )
