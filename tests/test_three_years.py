"""A test that lives three years (issue 14): 2025 imported and published; 2026 rolled over from it
with changed indicators, imported, run and published; 2027 opened. Along the way: 诫勉谈话 for two
years running, the 2025 incentive and prize money paid in March 2026 (a settlement in the next
year), and an acceptance batch in January 2027 whose payroll criterion spans October–December 2026.

Every expected figure is worked out by hand (here or in tests/appraisal/test_year_two.py), not by
the engine."""

import datetime
import io
from decimal import Decimal

import openpyxl
from django.core.management import call_command

from acceptance import services as acceptance
from acceptance.models import StandardItem
from appraisal import services as appraisal
from appraisal.models import Result, Scheme
from appraisal.transfer import year_workbook_import
from orgs.models import Institution
from payroll import services as pay
from payroll.models import PayrollRun

from .acceptance.conftest import confirm_month, pilots  # noqa: F401 — the `pilots` fixture
from .appraisal.conftest import _english  # noqa: F401 — messages are read in English
from .appraisal.test_transfer import EXPECTED
from .appraisal.test_year_two import EXPECTED_2026, departments, export, publish, year_two  # noqa: F401
from .appraisal.workbooks import full_year, upload

D = Decimal
MARCH_2026 = datetime.date(2026, 3, 1)
OCT, NOV, DEC = (datetime.date(2026, m, 1) for m in (10, 11, 12))


def _policies(hr, year: int, settles: datetime.date) -> None:
    for institution in Institution.objects.filter(group__isnull=False):
        pay.policy_save(
            actor=hr,
            year=year,
            institution=institution,
            per_capita=D("36000"),
            basic_ratio=D("0.6"),
            settlement_month=settles,
        )


def test_three_years(world, departments, pilots, client_for, tmp_path):  # noqa: F811
    hr, member = world.users["hr"], world.users["acceptance"]
    client = client_for("hr")

    # --- 2025: imported and published. -----------------------------------------------------------
    year_workbook_import(actor=hr, file=upload(full_year(2025)))
    _policies(hr, 2025, settles=MARCH_2026)  # the 2025 incentive is paid in March 2026
    _policies(hr, 2026, settles=datetime.date(2027, 3, 1))
    publish(hr, 2025)
    assert export(client, 2025) == EXPECTED

    # --- 2026: rolled over from 2025, its indicators changed by its workbook. --------------------
    draft = appraisal.scheme_create(actor=hr, year=2026)
    assert draft.status == Scheme.Status.DRAFT and draft.indicators.count() == 5
    result = year_workbook_import(actor=hr, file=upload(year_two()))
    assert result.indicators_removed == ["B2"]

    # The 2025 incentive, settled in March 2026: A01 won 一等奖 (50,000) in 2025. Its three formal
    # employees make T = 36,000 × 3 = 108,000 and B = 64,800 (ratio 0.6); the incentive pool is
    # (108,000 − 64,800) × 1.20 (一等奖's coefficient) = 51,840.00; March's basic pay comes from
    # the 2026 policy: 64,800 / 12 = 5,400.00.
    a01 = world.a
    run = pay.payroll_run_compute(actor=None, institution=a01, month=MARCH_2026)
    assert (run.settles_year, run.tier, run.provisional) == (2025, "first", False)
    assert (run.basic_pool, run.incentive_pool, run.prize_pool) == (
        D("5400.00"),
        D("51840.00"),
        D("50000.00"),
    )
    lines = list(run.lines.all())
    assert sum(line.incentive for line in lines) == D("51840.00")
    assert sum(line.prize for line in lines) == D("50000.00")
    pay.payroll_run_confirm(actor=hr, run=run)
    path = tmp_path / "2026-03.xlsx"
    call_command(
        "export_payroll", "2026-03", "-o", str(path), "--institution", "A01", stdout=io.StringIO()
    )
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    total = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "A01 合计")
    assert D(str(total[header.index("奖励性绩效")])) == D("51840")
    assert D(str(total[header.index("考核奖金")])) == D("50000")
    # Confirmed, then marked exported for payment by the export.
    assert PayrollRun.objects.get(pk=run.pk).status == PayrollRun.Status.EXPORTED

    # 2026 is run and published; B01, vetoed in 2025 and 2026, gets 诫勉谈话; B03, 不合格 in 2025
    # but 合格 now, does not.
    publish(hr, 2026)
    assert export(client, 2026) == EXPECTED_2026
    flags = dict(
        Result.objects.filter(scheme__year=2026).values_list("institution__code", "admonition")
    )
    assert flags["B01"] is True and flags["B03"] is False

    # --- 2027: opened from 2026. -----------------------------------------------------------------
    draft = appraisal.scheme_create(actor=hr, year=2027)
    opened = appraisal.scheme_transition(actor=hr, scheme=draft, action="open")
    assert opened.status == Scheme.Status.OPEN
    assert set(opened.indicators.values_list("code", flat=True)) == {
        "C1", "C2", "B1", "B3", "B4", "B5", "E1",
    }  # fmt: skip

    # --- An acceptance in January 2027. ----------------------------------------------------------
    # P01…P05 failed in December's batch; round 2 is on 2027-01-11 and checks 2026-10 to 2026-12.
    december = acceptance.batch_create(
        actor=hr, name="十二月批", team=pilots.team, date=datetime.date(2026, 12, 5),
        institutions=pilots.institutions[:5],
    )  # fmt: skip
    for inspection in december.inspections.all():
        acceptance.inspection_decide(actor=member, inspection=inspection, passed=False)
    acceptance.batch_close(actor=hr, batch=december)
    january = acceptance.batch_create(
        actor=hr, name="一月复验批", team=pilots.team, date=datetime.date(2027, 1, 11),
        institutions=pilots.institutions[:5],
    )  # fmt: skip
    p01, p02 = (january.inspections.get(institution__code=c) for c in ("P01", "P02"))
    for month in (OCT, NOV, DEC):
        confirm_month(world, pilots.institutions[0], month)
    for month in (OCT, DEC):  # P02's November was never confirmed
        confirm_month(world, pilots.institutions[1], month)
    met, checks = acceptance.payroll_criterion(p01)
    assert met and [c.month for c in checks] == [OCT, NOV, DEC]
    met, checks = acceptance.payroll_criterion(p02)
    assert not met
    assert [c.month for c in checks if not c.ok] == [NOV]
    for item in pilots.standard.items.filter(method=StandardItem.Method.TICK):
        acceptance.tick_save(actor=member, inspection=p01, item=item, met=True)
    passed = acceptance.inspection_decide(actor=member, inspection=p01, passed=True)
    assert (passed.result, passed.round) == ("passed", 2)
