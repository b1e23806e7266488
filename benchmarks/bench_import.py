"""4. import: a 评分 (scores) workbook of 50,000 rows (quick: 2,000) in the exact import format
(appraisal/transfer/, docs/IMPORT_EXPORT.md: a 方案 sheet equal to the open year's settings and
the 评分 sheet) through the real path, `year_workbook_import` — read, validate every row against
the database, write every entry through the ledger service in one transaction, recompute once.
Reported as rows per second, against openpyxl read-only reading the same workbook's rows: the
ratio shows what validation and writing cost on top of reading.

Then all or nothing: a second workbook of the same size whose last row names an unknown
institution must be refused as a whole; the ledger is counted before and after."""

import random
from decimal import Decimal

import openpyxl

from appraisal.models import LedgerEntry, Scheme
from appraisal.transfer import YearImportFailed, year_workbook_import
from appraisal.transfer.columns import SCHEME_COLUMNS, SCHEME_SHEET, SCORE_COLUMNS, SCORE_SHEET
from benchmarks.common import Bench, Context, timed
from orgs.models import Institution, User

ROWS, QUICK_ROWS = 50_000, 2_000
PERIOD_WORDS = {"h1": "上半年", "h2": "下半年", "year": "全年"}
REASONS = ["专项检查发现问题", "报送材料逾期", "督查通报问题", "按目标完成情况计分"]


def workbook_build(path: str, scheme: Scheme, rows: int, *, seed: int, bad_last: bool) -> None:
    """A year workbook with the 方案 row of `scheme` and `rows` 评分 rows on its indicators."""
    rng = random.Random(seed)
    grouped = list(
        Institution.objects.filter(group__isnull=False).order_by("code").values_list("pk", "code")
    )
    indicators = []
    for ind in scheme.indicators.exclude(method="ratio").prefetch_related("institutions"):
        listed = None if ind.applies_to_all else {i.pk for i in ind.institutions.all()}
        indicators.append((ind, listed))
    applying = {
        pk: [(ind, code) for ind, listed in indicators if listed is None or pk in listed]
        for pk, code in grouped
    }

    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(SCHEME_SHEET)
    ws.append([c.header for c in SCHEME_COLUMNS])
    ws.append(
        [scheme.year if c.field == "year" else getattr(scheme, c.field) for c in SCHEME_COLUMNS]
    )
    ws = workbook.create_sheet(SCORE_SHEET)
    ws.append([c.header for c in SCORE_COLUMNS])
    for n in range(rows):
        pk, code = rng.choice(grouped)
        if bad_last and n == rows - 1:
            ws.append(["NO-SUCH-UNIT", "指标", "GG01", "上半年", -1, "最后一行机构编码有误"])
        elif rng.random() < 0.01:
            ws.append([code, "加分", None, "全年", rng.choice((1, 2, 3)), "获得表彰"])
        else:
            ind, _code = rng.choice(applying[pk])
            period = rng.choice(("year",) if ind.part == "execution" else ("h1", "h2"))
            if ind.method == "add":
                points = Decimal(rng.randint(1, 20)) / 10
            else:
                points = -Decimal(rng.choice((5, 10, 20, 25, 50))) / 100
            ws.append([code, "指标", ind.code, PERIOD_WORDS[period], points, rng.choice(REASONS)])
    workbook.save(path)


def read_only_rows(path: str) -> int:
    """The floor: openpyxl read-only reading every row of every sheet (values only)."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = 0
    for ws in workbook.worksheets:
        for _row in ws.iter_rows(values_only=True):
            count += 1
    workbook.close()
    return count


def import_ours(path: str, actor: User):
    with open(path, "rb") as file:
        return year_workbook_import(actor=actor, file=file)


def run(ctx: Context) -> list[Bench]:
    rows = QUICK_ROWS if ctx.quick else ROWS
    scheme = Scheme.objects.get(year=ctx.year)
    hr = User.objects.get(username="hr")
    good = str(ctx.tmp / "scores.xlsx")
    bad = str(ctx.tmp / "scores_bad_last_row.xlsx")
    workbook_build(good, scheme, rows, seed=ctx.seed, bad_last=False)
    workbook_build(bad, scheme, rows, seed=ctx.seed + 1, bad_last=True)

    read_seconds, read_rows = timed(lambda: read_only_rows(good))
    before = LedgerEntry.objects.count()
    seconds, result = timed(lambda: import_ours(good, hr))
    created = LedgerEntry.objects.count() - before

    before = LedgerEntry.objects.count()
    refused_seconds, errors = timed(lambda: _refused(bad, hr))
    unchanged = LedgerEntry.objects.count() == before
    check = "ok" if errors == 1 and unchanged else f"FAILED errors={errors} unchanged={unchanged}"
    print(
        f"CHECK import_all_or_nothing {check} rows={rows} refused_in={refused_seconds:.2f}s",
        flush=True,
    )
    return [
        Bench(
            "import",
            rows / seconds,
            "rows/s",
            read_rows / read_seconds,
            "report",
            extra=(
                f"rows={rows} seconds={seconds:.2f} read_seconds={read_seconds:.3f} "
                f"entries_created={created} reported_created={result.entries_created} "
                f"all_or_nothing={check.split()[0]}"
            ),
        )
    ]


def _refused(path: str, actor: User) -> int:
    """How many errors the import reported (0 if it was not refused)."""
    try:
        import_ours(path, actor)
    except YearImportFailed as failure:
        return len(failure.errors)
    return 0
