"""1. recompute: `year_results_recompute` of the seeded year (median of 3) against ONE raw SQL query
that aggregates the same counted official ledger by institution and part (the floor: what the
database alone needs to read the ledger once). Target: ratio ≤ 5."""

from django.db import connection

from appraisal.models import Result, Scheme
from appraisal.recompute import year_results_recompute
from benchmarks.common import Bench, Context, median, timings

REPEAT = 3

# The counted official ledger (needs no approval, or HR approved it), by institution and part;
# bonus and veto by their kind.
BASELINE_SQL = """
SELECT e.institution_id, COALESCE(i.part, e.kind) AS part, SUM(e.points)
FROM appraisal_ledgerentry e
LEFT JOIN appraisal_indicator i ON i.id = e.indicator_id
LEFT JOIN appraisal_entrydecision d ON d.entry_id = e.id
WHERE e.scheme_id = %s AND e.is_official AND (NOT e.needs_approval OR d.approved)
GROUP BY e.institution_id, COALESCE(i.part, e.kind)
"""


def baseline_query(scheme_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, [scheme_id])
        return cursor.fetchall()


def run(ctx: Context) -> list[Bench]:
    scheme = Scheme.objects.get(year=ctx.year)
    # One untimed run each, so that both start from a warm cache.
    year_results_recompute(scheme_id=scheme.pk)
    rows = baseline_query(scheme.pk)
    ours = timings(lambda: year_results_recompute(scheme_id=scheme.pk), REPEAT)
    floor = timings(lambda: baseline_query(scheme.pk), REPEAT)
    results = Result.objects.filter(scheme=scheme).count()
    return [
        Bench(
            "recompute",
            median(ours),
            "s",
            median(floor),
            "<=5",
            extra=(
                f"runs={','.join(f'{t:.2f}' for t in ours)} results={results} "
                f"baseline_rows={len(rows)} entries={ctx.entries}"
            ),
        )
    ]
