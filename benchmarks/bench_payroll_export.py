"""2. payroll_export: the confirmed payroll month seeded by seed_scale (≈ one line per employee),
written by our real `payroll_workbook_write(runs_for_export(...), file)`, against the same rows —
loaded into a Python list before the clock starts — written by a bare openpyxl write-only
workbook (`ws.append(values)`: no styles, no totals rows, Decimals through floats). Target: ratio
≤ 1.5. Then the peak memory of each, in a fresh child process (benchmarks.common.peak_memory_mb):
ours streams from the database, the bare writer holds its list. Target: ≤ 300 MB."""

import datetime
from pathlib import Path

import openpyxl

from benchmarks.common import Bench, Context, median, peak_memory_mb, timed
from payroll.models import PayrollLine
from payroll.transfer import EXPORT_HEADERS, payroll_workbook_write, runs_for_export
from payroll.transfer.exporting import MONEY_FIELDS

MEMORY_TARGET_MB = 300


def export_ours(month: datetime.date, path: str) -> int:
    runs = runs_for_export(user=None, month=month)
    with open(path, "wb") as file:
        return payroll_workbook_write(runs, file)


def rows_load(month: datetime.date) -> list[list]:
    return [
        list(row)
        for row in PayrollLine.objects.filter(run__month=month)
        .order_by("run__institution__code", "staff_number")
        .values_list(
            "run__institution__code",
            "run__institution__name",
            "staff_number",
            "name",
            *MONEY_FIELDS,
        )
    ]


def write_bare(rows: list[list], path: str) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet("工资表")
    ws.append(EXPORT_HEADERS)
    for row in rows:
        ws.append(row)
    workbook.save(path)


def bare_load_and_write(month: datetime.date, path: str) -> None:
    """The baseline's memory: the list it writes from must exist somewhere."""
    write_bare(rows_load(month), path)


def run(ctx: Context) -> list[Bench]:
    month = ctx.payroll_month
    ours_path = str(ctx.tmp / "payroll_ours.xlsx")
    bare_path = str(ctx.tmp / "payroll_bare.xlsx")
    rows = rows_load(month)
    repeat = 3 if ctx.quick else 1
    ours, bare, written = [], [], 0
    for _ in range(repeat):
        seconds, written = timed(lambda: export_ours(month, ours_path))
        ours.append(seconds)
        bare.append(timed(lambda: write_bare(rows, bare_path))[0])
    ours_mb, _ = peak_memory_mb(export_ours, month, ours_path)
    bare_mb, _ = peak_memory_mb(bare_load_and_write, month, bare_path)
    size = Path(ours_path).stat().st_size / 1e6
    return [
        Bench(
            "payroll_export",
            median(ours),
            "s",
            median(bare),
            "<=1.5",
            extra=f"lines={written} file={size:.1f}MB",
        ),
        Bench(
            "payroll_export_memory",
            ours_mb,
            "MB",
            bare_mb,
            f"<={MEMORY_TARGET_MB}MB",
            extra="peak RSS (VmHWM) of a fresh process; the baseline loads its list first",
        ),
    ]
