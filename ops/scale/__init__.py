"""Seeding a group at scale (DESIGN.md §6, issue 8): `manage.py seed_scale`.

Thousands of institutions, hundreds of thousands of employees and a million ledger entries are
written in bulk — `bulk_create` in large batches, and PostgreSQL's COPY for the big tables
(employees, ledger entries, grades; see rows.py) — not through the services, which audit and
check one row at a time and would take hours. The data is still valid as the services would have
it: the same shapes as seed_demo's (ops/demo/) in org.py, year.py and pay.py, the
database's constraints check every row, and what follows the seed goes through the real code:
`year_results_recompute` computes the results, and the payroll month is computed and confirmed
per institution with `payroll_run_compute` and `payroll_run_confirm`.

Deterministic: the same sizes and `seed` give the same data (each phase draws from its own
random stream, so a change in one phase does not shift the others).
"""

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from appraisal.recompute import year_results_recompute
from orgs.models import Institution

from . import org as org_phase
from . import pay as pay_phase
from . import year as year_phase
from .org import PASSWORD
from .rows import analyze

__all__ = ["PASSWORD", "ScaleRefused", "ScaleReport", "scale_seed"]

PAYROLL_MONTH = 10  # a month of the year itself: basic pay only, confirmable (no settlement)


class ScaleRefused(Exception):
    """The database is not empty: seed_scale only fills an empty one."""


@dataclass
class ScaleReport:
    institutions: int = 0
    groups: int = 0
    employees: int = 0
    entries: int = 0
    decisions: int = 0
    targets: int = 0
    policies: int = 0
    payroll_runs: int = 0
    payroll_month: datetime.date | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds, in order

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())


def scale_seed(
    *,
    institutions: int,
    employees: int,
    entries: int,
    year: int = 2026,
    seed: int = 1,
    payroll: bool = True,
    progress: Callable[[str, float], None] | None = None,
) -> ScaleReport:
    """Fill an empty database. Raises ScaleRefused if it has institutions already."""
    if Institution.objects.exists():
        raise ScaleRefused(
            "The database has institutions already; seed_scale fills an empty database only "
            "(create a fresh one, e.g. bench_…, and migrate it)."
        )
    if institutions < 1:
        raise ValueError("At least one institution.")
    report = ScaleReport(payroll_month=datetime.date(year, PAYROLL_MONTH, 1))

    def phase(name: str, fn: Callable):
        started = time.perf_counter()
        value = fn()
        report.phases[name] = time.perf_counter() - started
        if progress is not None:
            progress(name, report.phases[name])
        return value

    def stream(name: str) -> random.Random:
        return random.Random(f"{seed}:{name}")  # noqa: S311 — test data, not security

    with transaction.atomic():
        org = phase(
            "organisation",
            lambda: org_phase.org_seed(
                stream("org"), institutions=institutions, employees=employees
            ),
        )
        data = phase(
            "scheme_and_ledger",
            lambda: year_phase.year_seed(stream("year"), org, year=year, entries=entries),
        )
        report.policies = phase(
            "pay_policies_and_grades",
            lambda: pay_phase.policies_seed(stream("pay"), org, year=year),
        )
        committing = time.perf_counter()
    # PostgreSQL checks the (deferred) foreign keys of every row at the commit.
    report.phases["commit"] = time.perf_counter() - committing
    if progress is not None:
        progress("commit", report.phases["commit"])
    if connection.vendor == "postgresql":
        phase("vacuum_analyze", analyze)
    phase("recompute", lambda: year_results_recompute(scheme_id=data.scheme))
    if payroll:
        runs, steps = pay_phase.payroll_month_seed(hr_id=org.hr, month=report.payroll_month)
        report.payroll_runs = runs
        for name, seconds in steps.items():
            report.phases[name] = seconds
            if progress is not None:
                progress(name, seconds)

    report.institutions = institutions
    report.groups = len(org.groups)
    report.employees = org.employees
    report.entries = data.entries
    report.decisions = data.decisions
    report.targets = data.targets
    return report
