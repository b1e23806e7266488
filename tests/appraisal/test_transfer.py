"""A whole year through Excel (appraisal/transfer/): import, the rankings export, their pages and
their commands. The expected rankings are worked out by hand below, not by the engine."""

import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from appraisal import services, tasks
from appraisal.models import Indicator, LedgerEntry, Result, Scheme
from appraisal.recompute import COUNTED, year_results_recompute
from appraisal.tasks import PENDING_KEY
from appraisal.transfer import (
    YearImportFailed,
    year_workbook_import,
    year_workbook_read,
    year_workbook_validate,
)
from orgs.importing import ImportFailed
from orgs.models import AssessmentGroup, AuditEvent, GroupPrize, Institution

from ..factories import ScoringDepartmentFactory
from ..personas import SIGNED_IN, statuses
from .workbooks import (
    DEPARTMENTS,
    EXPORT_HEADERS,
    GROUP_NAMES,
    HEADERS,
    INSTITUTION_NAMES,
    exported_rows,
    full_year,
    small_year,
    upload,
    workbook,
)

YEAR = 2025


def _row(group, rank, code, *numbers_and_words):
    common, business, execution, bonus, veto, total = (Decimal(n) for n in numbers_and_words[:6])
    grade, vetoed, prize, amount, yellow, admonition = numbers_and_words[6:]
    return [
        group, GROUP_NAMES[group], rank, code, INSTITUTION_NAMES[code],
        common, business, execution, bonus, veto, total,
        grade, vetoed, prize, Decimal(amount), yellow, admonition,
    ]  # fmt: skip


# Worked out by hand from full_year() (DESIGN.md §2): a half-year part is the sum of its
# indicators (扣分: max + deductions; 计分: the points, up to max); the annual part is the mean of
# H1 and H2, rounded half-up to 2 decimals; execution is the 全年 sum; total = parts
# + min(bonus, 20) − veto (否决扣分 is exported as taken off: −30.00).
EXPECTED = [
    # G1 (1 × 50,000, 1 × 30,000, 1 × 10,000)
    # A01: common (147 + 150 + 300) / 2 = 298.50; business (290 + 300) / 2 = 295;
    # execution 400 − 3 − 2.5 = 394.50; bonus 15 + 10 = 25, capped at 20 → 1008.00.
    _row("G1", 1, "A01", "298.50", "295.00", "394.50", "20.00", "0.00", "1008.00",
         "合格", "否", "一等奖", "50000.00", "否", "否"),
    # A02 and A03 tie at 989.25 (common 299.25, business 300, execution 390): both rank 2 and
    # both take 二等奖 (r ≤ n1 + n2); the tie uses up the third place.
    _row("G1", 2, "A02", "299.25", "300.00", "390.00", "0.00", "0.00", "989.25",
         "合格", "否", "二等奖", "30000.00", "否", "否"),
    _row("G1", 2, "A03", "299.25", "300.00", "390.00", "0.00", "0.00", "989.25",
         "合格", "否", "二等奖", "30000.00", "否", "否"),
    # A04: business (200.25 + 100.12) / 2 = 150.185 → 150.19 (half up); rank 4 > 3: no prize.
    _row("G1", 4, "A04", "300.00", "150.19", "400.00", "0.00", "0.00", "850.19",
         "合格", "否", None, "0", "否", "否"),
    # G2: B01's veto deductions reach 30, so it is vetoed: last, 不合格, although 970 > 950.
    _row("G2", 1, "B02", "300.00", "250.00", "400.00", "0.00", "0.00", "950.00",
         "合格", "否", "一等奖", "50000.00", "否", "否"),
    # B03: 300 + (50 + 40) / 2 + (400 − 20) = 725 < 800: 不合格, no prize although ranked 2.
    _row("G2", 2, "B03", "300.00", "45.00", "380.00", "0.00", "0.00", "725.00",
         "不合格", "否", None, "0", "是", "否"),
    _row("G2", 3, "B01", "300.00", "300.00", "400.00", "0.00", "-30.00", "970.00",
         "不合格", "是", None, "0", "是", "否"),
    # G3 (15,000 / 10,000 / 5,000)
    _row("G3", 1, "C01", "300.00", "300.00", "400.00", "5.00", "0.00", "1005.00",
         "合格", "否", "一等奖", "15000.00", "否", "否"),
    # C02: business (290 + 300) / 2 = 295.
    _row("G3", 2, "C02", "300.00", "295.00", "400.00", "0.00", "0.00", "995.00",
         "合格", "否", "二等奖", "10000.00", "否", "否"),
    # C03: execution 399.99, veto 5 (below 30: not vetoed) → 994.99.
    _row("G3", 3, "C03", "300.00", "300.00", "399.99", "0.00", "-5.00", "994.99",
         "合格", "否", "三等奖", "5000.00", "否", "否"),
]  # fmt: skip
SCORE_ROWS = len(full_year()["评分"]) - 2  # without the header and the row of 0 points


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked by their English msgid (the product's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def hr(world):
    return world.users["hr"]


@pytest.fixture
def departments(world):
    return {
        code: ScoringDepartmentFactory(code=code, name=name) for code, name in DEPARTMENTS.items()
    }


@pytest.fixture
def counts(world, departments):
    models = (Scheme, Indicator, LedgerEntry, Institution, AssessmentGroup, GroupPrize, AuditEvent)

    def take():
        return {model.__name__: model.objects.count() for model in models} | {
            "names": sorted(Institution.objects.values_list("code", "name", "group__code")),
            "prizes": sorted(GroupPrize.objects.values_list("group__code", "level", "winners")),
        }

    return take


def import_year(hr, sheets):
    return year_workbook_import(actor=hr, file=upload(sheets))


def failure_of(hr, sheets) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        import_year(hr, sheets)
    return caught.value


def where(errors):
    return {(e.sheet, e.row, e.column, e.column_letter, e.value) for e in errors}


def export_content(client, year=YEAR) -> bytes:
    response = client.get(reverse("appraisal:rankings_export", kwargs={"year": year}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def counted_sums(scheme) -> dict:
    rows = (
        LedgerEntry.objects.filter(scheme=scheme, is_official=True)
        .filter(COUNTED)
        .values_list("institution__code", "kind", "indicator__code", "period")
        .annotate(points=Sum("points"))
        .order_by()
    )
    return {row[:4]: row[4] for row in rows if row[4] != 0}


# --- The whole year -----------------------------------------------------------------------------


def test_import_then_export_gives_the_hand_computed_rankings(hr, departments, client_for):
    result = import_year(hr, full_year())

    assert (result.year, result.scheme_created, result.scheme_opened) == (YEAR, True, True)
    assert (result.groups_created, result.groups_updated) == (1, 2)  # G1, G2 are the world's
    assert (result.institutions_created, result.institutions_updated) == (7, 3)
    assert (result.indicators_created, result.entries_created) == (5, SCORE_ROWS)
    scheme = Scheme.objects.get(year=YEAR)
    assert scheme.status == Scheme.Status.OPEN
    assert scheme.rules().part_max == {"common": 300, "business": 300, "execution": 400}
    b1 = Indicator.objects.get(scheme=scheme, code="B1")
    assert not b1.applies_to_all
    assert sorted(b1.institutions.values_list("code", flat=True)) == [
        "A01", "A02", "A03", "A04", "B01", "B02", "B03",
    ]  # fmt: skip
    assert (b1.department.code, b1.method) == ("YW", "add")
    assert Institution.objects.get(code="C01").group.code == "G3"  # moved from the world's G1
    assert sorted(
        GroupPrize.objects.filter(group__code="G3").values_list("level", "winners", "amount")
    ) == [(1, 1, Decimal("15000")), (2, 1, Decimal("10000")), (3, 1, Decimal("5000"))]

    header, rows = exported_rows(export_content(client_for("hr")))
    assert header == EXPORT_HEADERS
    assert rows == EXPECTED


def test_imported_entries_count_at_once_and_are_marked(hr, departments):
    import_year(hr, full_year())
    entries = LedgerEntry.objects.filter(scheme__year=YEAR)
    assert entries.count() == SCORE_ROWS
    assert set(entries.values_list("source", "needs_approval", "is_official", "created_by")) == {
        ("import", False, True, hr.pk)
    }
    bonus = entries.get(institution__code="A01", kind="bonus", points=15)
    assert (bonus.period, bonus.indicator, bonus.reason) == ("year", None, "重点项目成绩突出")
    # The department that owns an indicator is recorded on its entries, as on the pages.
    assert entries.get(institution__code="A02", indicator__code="C2").department.code == "DJ"


def test_export_file_is_exact_and_readable(hr, departments, client_for):
    import_year(hr, full_year())
    content = export_content(client_for("hr"))
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert ws.title == "排名"
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    formats = {h: c.number_format for h, c in zip(EXPORT_HEADERS, ws[2], strict=True)}
    for header in ("公共目标", "业务目标", "执行力建设", "加分", "否决扣分", "总分"):
        assert formats[header] == "0.00"
    assert formats["奖金"] == "#,##0.00"
    assert formats["排名"] == "0"
    assert ws.column_dimensions["E"].width >= 20  # 机构名称
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDFGHIJKLMNOPQ")
    assert isinstance(ws["C2"].value, int)
    assert isinstance(ws["K2"].value, float)  # a number, not text
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    for text in ("298.50", "1008.00", "150.19", "399.99", "50000.00", "994.99"):
        assert f"<v>{text}</v>" in sheet  # the stored digits, not a float's


def test_columns_in_any_order_and_extra_columns_are_ignored(hr, departments, client_for):
    sheets = full_year()
    for title, rows in sheets.items():
        # Reverse every sheet's columns and add a column of notes in the middle.
        sheets[title] = [
            [*reversed(row[3:]), "备注" if number == 0 else "注", *reversed(row[:3])]
            for number, row in enumerate(rows)
        ]
    import_year(hr, sheets)
    assert exported_rows(export_content(client_for("hr")))[1] == EXPECTED


# --- Bad workbooks: nothing is written ----------------------------------------------------------


def _with_score(row):
    sheets = full_year()
    sheets["评分"].append(row)
    return sheets, len(sheets["评分"])  # the row's Excel number


@pytest.mark.parametrize(
    ("score", "column", "letter", "value", "says"),
    [
        (["Z99", "指标", "C1", "上半年", -1, "隐患"], "机构编码", "A", "Z99", "No institution"),
        (["A01", "指标", "E1", "上半年", -1, "延误"], "期间", "D", "上半年", "全年"),
        (["A01", "指标", "C1", "上半年", "abc", "隐患"], "分值", "E", "abc", "number"),
        (["A01", "指标", "C1", "上半年", "1.005", "隐患"], "分值", "E", "1.005", "two decimals"),
        (["A01", "指标", "C9", "上半年", -1, "隐患"], "指标编码", "C", "C9", "no indicator"),
        (["C01", "指标", "B1", "上半年", -1, "隐患"], "指标编码", "C", "B1", "does not apply"),
        (["A01", "加分", None, "上半年", 1, "表扬"], "期间", "D", "上半年", "whole year"),
        (["A01", "否决", None, None, -5, "通报"], "分值", "E", -5, "positive"),
        (["A01", "类别X", "C1", "上半年", -1, "隐患"], "类别", "B", "类别X", "指标 / 加分 / 否决"),
        (["A01", "指标", None, "上半年", -1, "隐患"], "指标编码", "C", None, "indicator"),
        (["A01", "指标", "C1", "上半年", -1, None], "事由", "F", None, "required"),
    ],
)
def test_a_bad_score_row_refuses_the_workbook(hr, counts, score, column, letter, value, says):
    before = counts()
    sheets, number = _with_score(score)
    failure = failure_of(hr, sheets)
    assert where(failure.errors) == {("评分", number, column, letter, value)}
    assert says in failure.errors[0].message
    assert counts() == before


def test_maxima_that_do_not_add_up_refuse_the_workbook(hr, counts):
    before = counts()
    sheets = full_year()
    sheets["指标"][4][3] = 290  # B2 服务质量, which C01–C03 have instead of B1
    failure = failure_of(hr, sheets)
    assert where(failure.errors) == {("方案", 2, "业务目标分值", "C", 300)}
    message = failure.errors[0].message
    assert "C01、C02、C03" in message
    assert "290" in message
    assert "B2" in message
    assert counts() == before


def test_every_error_is_reported_in_sheet_order(hr, counts):
    before = counts()
    sheets = full_year()
    sheets["评分"].append(["Z99", "指标", "C1", "上半年", -1, "隐患"])
    sheets["评分"].append(["A01", "指标", "E1", "上半年", -1, "延误"])
    sheets["评分"].append(["A01", "指标", "C1", "上半年", "abc", "隐患"])
    sheets["指标"][1][3] = 140  # C1: common goals add up to 290 for everyone
    sheets["机构"].append(["D01", "丁支行", "G9"])  # no such group
    sheets["考核组别"].append(["G4", "第四组", "x", 1, 0, 0, 0, 0])
    failure = failure_of(hr, sheets)
    n = len(sheets["评分"])
    assert [(e.sheet, e.row, e.column) for e in failure.errors] == [
        ("方案", 2, "公共目标分值"),
        ("考核组别", 5, "一等奖名额"),
        ("机构", 12, "组别编码"),
        ("评分", n - 2, "机构编码"),
        ("评分", n - 1, "期间"),
        ("评分", n, "分值"),
    ]
    assert isinstance(failure, YearImportFailed)
    assert counts() == before


def test_departments_named_by_the_workbook_are_created(hr):
    from orgs.models import AuditEvent, ScoringDepartment

    before = ScoringDepartment.objects.count()
    sheets = full_year()
    for row in sheets["指标"][1:]:
        if row[0] == "C2":
            row[5] = "新设评审科"
        if row[0] == "E1":
            row[5] = "NEWDEPT"
    result = year_workbook_import(actor=hr, file=upload(sheets))
    created = ScoringDepartment.objects.filter(name__in=["新设评审科", "NEWDEPT"])
    assert sorted(created.values_list("code", "name")) == [
        ("DEPT01", "新设评审科"),
        ("NEWDEPT", "NEWDEPT"),
    ]
    created_now = ScoringDepartment.objects.count() - before
    assert result.departments_created == created_now >= 2
    assert AuditEvent.objects.filter(action="department.create").count() == created_now


def test_duplicates_and_unknown_references(hr, counts):
    before = counts()
    sheets = full_year()
    sheets["机构"].append(["A01", "重复支行", "G1"])
    sheets["考核组别"].append(["G5", "第一组", 0, 0, 0, 0, 0, 0])
    sheets["指标"].append(["C1", "公共目标", "重复", 1, "扣分", "AQ", None])
    sheets["指标"].append(["X1", "公共目标", "未知", 1, "扣分", "无此科室", "A01, Q77"])
    failure = failure_of(hr, sheets)
    found = where(failure.errors)
    assert ("机构", 12, "机构编码", "A", "A01") in found
    assert ("考核组别", 5, "组别名称", "B", "第一组") in found
    assert ("指标", 7, "指标编码", "A", "C1") in found
    # An unknown department is created with the indicators, so it is not an error.
    assert not any(e.column == "评分科室" for e in failure.errors)
    assert ("指标", 8, "适用机构", "G", "A01, Q77") in found
    assert any("Q77" in e.message for e in failure.errors)
    assert counts() == before


def test_missing_sheet_header_and_settings_row(hr, counts):
    before = counts()
    sheets = full_year()
    sheets["评分"][0] = [h for h in sheets["评分"][0] if h != "事由"]
    sheets["方案"].append([2026, 300, 300, 400, 800, 30, 20])
    failure = failure_of(hr, sheets)
    assert ("评分", 1, "事由", "", None) in where(failure.errors)
    assert ("方案", 3) in {(e.sheet, e.row) for e in failure.errors}
    del sheets["方案"]
    failure = failure_of(hr, sheets)
    assert [(e.sheet, e.row) for e in failure.errors] == [("", 0)]
    assert "方案" in failure.errors[0].message
    assert counts() == before


def test_not_a_workbook(hr, counts):
    before = counts()
    with pytest.raises(ImportFailed) as caught:
        year_workbook_import(actor=hr, file=SimpleUploadedFile("a.xlsx", b"not a zip"))
    assert "xlsx" in caught.value.errors[0].message
    assert counts() == before


def test_a_new_years_indicator_sheet_defines_its_indicators_exactly(hr, departments, client_for):
    """scheme_create would copy last year's indicators forward; a workbook with a 指标 sheet
    defines the year's list itself, so last year's X9 is neither copied nor counted in the
    maxima (the message of an error would name only what the workbook and the year hold)."""
    last = Scheme.objects.create(year=YEAR - 1, status=Scheme.Status.PUBLISHED)
    Indicator.objects.create(
        scheme=last, code="X9", part="common", name="旧指标", max_points=10,
        method="deduct", department=departments["AQ"],
    )  # fmt: skip
    result = import_year(hr, full_year())
    scheme = Scheme.objects.get(year=YEAR)
    assert "X9" not in set(scheme.indicators.values_list("code", flat=True))
    assert result.indicators_removed == []  # nothing of this year was removed: none was copied
    assert exported_rows(export_content(client_for("hr")))[1] == EXPECTED


def test_a_draft_loses_the_indicators_its_sheet_does_not_list(hr, departments, client_for):
    """A draft made by copying forward holds last year's X9; importing the year's workbook
    removes it, and the summary says so."""
    draft = services.scheme_create(actor=hr, year=YEAR)
    services.indicator_save(
        actor=hr, scheme=draft, code="X9", part="common", name="旧指标",
        max_points=Decimal(10), method="deduct", department=departments["AQ"],
    )  # fmt: skip
    result = import_year(hr, full_year())
    assert result.indicators_removed == ["X9"]
    assert not Indicator.objects.filter(scheme=draft, code="X9").exists()
    assert AuditEvent.objects.filter(action="indicator.delete").count() == 1
    assert exported_rows(export_content(client_for("hr")))[1] == EXPECTED


def test_the_import_command_names_the_removed_indicators(hr, departments, tmp_path):
    draft = services.scheme_create(actor=hr, year=YEAR)
    services.indicator_save(
        actor=hr, scheme=draft, code="X9", part="common", name="旧指标",
        max_points=Decimal(10), method="deduct", department=departments["AQ"],
    )  # fmt: skip
    path = tmp_path / "year.xlsx"
    path.write_bytes(workbook(full_year()).getvalue())
    out = io.StringIO()
    call_command("import_year", str(path), actor="hr", stdout=out)
    assert "1 removed (X9: not in the 指标 sheet)" in out.getvalue()


def test_a_refusal_while_writing_rolls_everything_back(hr, counts, monkeypatch):
    before = counts()
    calls = []
    real = services._entry_build

    def flaky(rules, draft, **kwargs):
        # The ledger refuses the fifth entry (someone changed something since validation).
        calls.append(rules.scheme)
        if len(calls) == 5:
            raise ValidationError("someone changed something")
        return real(rules, draft, **kwargs)

    monkeypatch.setattr(services, "_entry_build", flaky)
    failure = failure_of(hr, full_year())
    assert [(e.sheet, e.row, e.message) for e in failure.errors] == [
        ("评分", 6, "someone changed something")
    ]
    assert counts() == before
    # The import's hold on the year's recomputes is freed.
    assert cache.get(PENDING_KEY.format(calls[0].pk)) is None


# --- Years that exist ---------------------------------------------------------------------------


def test_reimport_reverses_the_earlier_import_and_keeps_totals(hr, departments, client_for):
    first = import_year(hr, full_year())
    scheme = Scheme.objects.get(year=YEAR)
    web = services.ledger_entry_create(
        actor=hr, scheme=scheme, institution=Institution.objects.get(code="A04"),
        kind="indicator", indicator=scheme.indicators.get(code="E1"), period="year",
        points=Decimal("-1"), reason="页面录入",
    )  # fmt: skip
    year_results_recompute(scheme_id=scheme.pk)  # on_commit never fires in a test transaction
    sums = counted_sums(scheme)
    totals = dict(Result.objects.filter(scheme=scheme).values_list("institution__code", "total"))
    assert totals["A04"] == Decimal("849.19")  # the web entry counts
    old_ids = set(LedgerEntry.objects.values_list("id", flat=True))

    second = import_year(hr, full_year())

    assert not (second.scheme_created or second.scheme_updated or second.scheme_opened)
    assert (second.groups_updated, second.institutions_updated, second.indicators_created) == (
        0,
        0,
        0,
    )
    assert (second.entries_reversed, second.entries_created) == (SCORE_ROWS, SCORE_ROWS)
    assert counted_sums(scheme) == sums
    assert (
        dict(Result.objects.filter(scheme=scheme).values_list("institution__code", "total"))
        == totals
    )
    # History stays: every earlier entry is still there, each imported one reversed once.
    assert old_ids <= set(LedgerEntry.objects.values_list("id", flat=True))
    assert LedgerEntry.objects.count() == 3 * first.entries_created + 1
    reversed_ids = set(
        LedgerEntry.objects.filter(reverses__isnull=False).values_list("reverses_id", flat=True)
    )
    assert reversed_ids == old_ids - {web.pk}
    assert not LedgerEntry.objects.filter(pk=web.pk, reversed_by__isnull=False).exists()

    # A third import with one figure changed moves only that institution.
    sheets = full_year()
    sheets["评分"][17][4] = 200.12  # A04 B1 下半年, was 100.12
    third = import_year(hr, sheets)
    assert third.entries_reversed == SCORE_ROWS  # the second import's, not the first's again
    changed = dict(Result.objects.filter(scheme=scheme).values_list("institution__code", "total"))
    assert changed.pop("A04") == Decimal("899.19")  # (200.25 + 200.12) / 2 = 200.19; − 1 web
    assert changed == {k: v for k, v in totals.items() if k != "A04"}


def test_a_published_year_refuses_the_import(hr, counts):
    Scheme.objects.create(year=YEAR, status=Scheme.Status.PUBLISHED)
    before = counts()
    failure = failure_of(hr, full_year())
    assert where(failure.errors) == {("方案", 2, "年度", "A", YEAR)}
    assert "published" in failure.errors[0].message
    assert counts() == before


def test_an_open_year_takes_only_its_own_settings_and_indicators(hr, counts):
    import_year(hr, full_year())
    before = counts()
    sheets = full_year()
    sheets["方案"][1][4] = 850  # 合格线
    sheets["指标"][1][2] = "安全"  # C1's name
    sheets["指标"][3][6] = "A01,A02"  # B1's institutions
    del sheets["指标"][5]  # E1 left out
    failure = failure_of(hr, sheets)
    assert where(failure.errors) == {
        ("方案", 2, "合格线", "E", 850),
        ("指标", 2, "指标名称", "C", "安全"),
        ("指标", 4, "适用机构", "G", "A01,A02"),
        ("指标", 1, "指标编码", "A", "E1"),
    }
    assert counts() == before
    # Without the 指标 sheet, an open year is scored with the indicators it has.
    sheets = full_year()
    del sheets["指标"]
    assert import_year(hr, sheets).entries_created == SCORE_ROWS


def test_a_draft_year_is_updated_and_opened(hr, departments):
    draft = Scheme.objects.create(year=YEAR, bonus_cap=Decimal("10"), qualify_line=Decimal("900"))
    Indicator.objects.create(
        scheme=draft, code="C1", part="common", name="旧名", max_points=300,
        method="add", department=departments["DC"],
    )  # fmt: skip
    result = import_year(hr, full_year())
    assert (result.scheme_created, result.scheme_updated, result.scheme_opened) == (
        False,
        True,
        True,
    )
    assert (result.indicators_created, result.indicators_updated) == (4, 1)
    draft.refresh_from_db()
    assert (draft.status, draft.bonus_cap, draft.qualify_line) == ("open", 20, 800)
    c1 = draft.indicators.get(code="C1")
    assert (c1.name, c1.max_points, c1.method, c1.department.code) == (
        "安全生产",
        150,
        "deduct",
        "AQ",
    )
    assert list(draft.indicators.values_list("code", flat=True).order_by("sort_order")) == [
        "C1", "C2", "B1", "B2", "E1",
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)  # real commits, so that on_commit callbacks run
def test_one_recompute_after_the_commit_not_one_per_entry(hr, departments, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.recompute_year, "delay", lambda scheme_id: sent.append(scheme_id))
    import_year(hr, full_year())
    scheme = Scheme.objects.get(year=YEAR)
    assert sent == []  # the import recomputed itself, once, after the commit
    assert cache.get(PENDING_KEY.format(scheme.pk)) is None
    assert scheme.result_set.ledger_last_id == LedgerEntry.objects.latest("id").pk
    assert Result.objects.filter(scheme=scheme).count() == 10
    # Afterwards, a page's entry queues its recompute as usual.
    services.ledger_entry_create(
        actor=hr, scheme=scheme, institution=Institution.objects.get(code="C01"),
        kind="bonus", points=Decimal("1"), reason="表扬",
    )  # fmt: skip
    assert sent == [scheme.pk]


def test_only_hr_may_import(world, departments):
    with pytest.raises(PermissionDenied):
        year_workbook_import(actor=world.users["auditor"], file=upload(full_year()))
    assert not Scheme.objects.exists()


# --- Query counts -------------------------------------------------------------------------------


def _big_year(institutions: int) -> dict:
    codes = [f"N{i:03d}" for i in range(institutions)]
    sheets = small_year(YEAR, [*codes, "A01", "B01", "C01"])
    sheets["机构"] = [HEADERS["机构"], *([code, f"新机构{code}", "G1"] for code in codes)]
    sheets["考核组别"] = [HEADERS["考核组别"], ["G1", "第一组", 1, 100, 1, 50, 1, 10]]
    return sheets


def _validation_queries(sheets) -> int:
    data = year_workbook_read(workbook(sheets))
    with CaptureQueriesContext(connection) as queries:
        year_workbook_validate(data)
    return len(queries)


def test_validation_reads_in_a_fixed_number_of_queries(world):
    small, large = _validation_queries(_big_year(3)), _validation_queries(_big_year(120))
    assert small == large <= 10


def test_a_large_year_imports(hr):
    result = import_year(hr, _big_year(60))
    assert (result.institutions_created, result.entries_created) == (60, 63)
    assert Result.objects.filter(scheme__year=YEAR, total=Decimal("999.50")).count() == 63


# --- The upload page and the template -----------------------------------------------------------

PAGE_STATUSES = statuses("200 403 403 403 403 403 403 403")


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_upload_page_is_hr_only(client_for, persona, counts):
    url = reverse("appraisal:year_import")
    assert client_for(persona).get(url).status_code == PAGE_STATUSES[persona]
    before = counts()
    response = client_for(persona).post(url, {"file": upload(full_year()), "confirm": "yes"})
    assert response.status_code == PAGE_STATUSES[persona]
    if persona != "hr":
        assert counts() == before


@pytest.mark.parametrize("confirm", [None, "no"])
def test_an_import_without_the_dialogs_confirmation_writes_nothing(
    client_for, departments, counts, confirm
):
    """The upload's dialog says what the workbook will do and posts confirm=yes; a POST without it
    (a replayed form, a script) is refused before the workbook is read."""
    before = counts()
    data = {"file": upload(full_year())} | ({"confirm": confirm} if confirm else {})
    response = client_for("hr").post(reverse("appraisal:year_import"), data)
    assert response.status_code == 400
    assert 'data-testid="confirm-refused"' in response.content.decode()
    assert counts() == before
    assert not Scheme.objects.filter(year=YEAR).exists()


def test_the_upload_page_confirms_in_a_dialog_that_says_what_happens(client_for):
    body = client_for("hr").get(reverse("appraisal:year_import")).content.decode()
    dialog = re.search(r'<dialog id="year-import-dialog".*?</dialog>', body, re.S).group(0)
    assert 'name="confirm" value="yes" form="year-import-form"' in dialog
    assert 'type="submit" class="btn btn-warning" form="year-import-form"' in dialog
    assert "要么全部导入，要么全不导入" in dialog  # all or nothing
    form = re.search(r'<form [^>]*id="year-import-form".*?</form>', body, re.S).group(0)
    assert 'enctype="multipart/form-data"' in form and 'type="submit"' not in form


def test_upload_page_needs_login(client_for):
    response = client_for("anonymous").get(reverse("appraisal:year_import"))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_upload_page_imports_and_offers_the_rankings(client_for, departments):
    response = client_for("hr").post(
        reverse("appraisal:year_import"), {"file": upload(full_year()), "confirm": "yes"}
    )
    assert response.status_code == 200
    assert response.context["result"].entries_created == SCORE_ROWS
    content = response.content.decode()
    assert 'data-testid="import-result"' in content
    assert reverse("appraisal:rankings_export", kwargs={"year": YEAR}) in content
    assert Result.objects.filter(scheme__year=YEAR).count() == 10


def test_upload_page_shows_every_error_with_status_400(client_for, counts):
    before = counts()
    sheets, number = _with_score(["A01", "指标", "C1", "上半年", "abc", "隐患"])
    sheets["指标"][5][3] = 390
    response = client_for("hr").post(
        reverse("appraisal:year_import"), {"file": upload(sheets), "confirm": "yes"}
    )
    assert response.status_code == 400
    assert where(response.context["errors"]) == {
        ("方案", 2, "执行力建设分值", "D", 400),
        ("评分", number, "分值", "E", "abc"),
    }
    content = response.content.decode()
    assert 'data-testid="import-errors"' in content
    assert "<code>abc</code>" in content
    assert counts() == before


def test_upload_page_refuses_a_non_xlsx(client_for):
    response = client_for("hr").post(
        reverse("appraisal:year_import"),
        {"file": SimpleUploadedFile("a.xlsx", b"plain text"), "confirm": "yes"},
    )
    assert response.status_code == 400
    assert not Scheme.objects.exists()


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_template_is_hr_only(client_for, persona):
    response = client_for(persona).get(reverse("appraisal:year_import_template"))
    assert response.status_code == PAGE_STATUSES[persona]


def test_template_has_every_sheet_and_header(client_for):
    response = client_for("hr").get(reverse("appraisal:year_import_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == [*HEADERS, "说明"]
    for title, headers in HEADERS.items():
        # 评分规则 and 评分人 (several scorers): in the template, optional in a workbook.
        expected = [*headers, "评分规则", "评分人"] if title == "指标" else headers
        assert [c.value for c in wb[title][1]] == expected
        assert wb[title].freeze_panes == "A2"


# --- The rankings download ----------------------------------------------------------------------

EXPORT_STATUSES = statuses("200 403 403 200 403 403 200 403")


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_rankings_download_by_persona(hr, departments, client_for, persona):
    import_year(hr, full_year())
    url = reverse("appraisal:rankings_export", kwargs={"year": YEAR})
    response = client_for(persona).get(url)
    assert response.status_code == EXPORT_STATUSES[persona]
    if response.status_code == 200:
        assert "attachment" in response["Content-Disposition"]
        assert exported_rows(b"".join(response.streaming_content))[1] == EXPECTED


def test_rankings_download_needs_login_and_a_year(client_for):
    url = reverse("appraisal:rankings_export", kwargs={"year": YEAR})
    assert client_for("anonymous").get(url).status_code == 302
    assert client_for("hr").get(url).status_code == 404


def test_rankings_download_in_a_fixed_number_of_queries(
    hr, departments, client_for, django_assert_max_num_queries
):
    import_year(hr, full_year())
    client = client_for("auditor")
    url = reverse("appraisal:rankings_export", kwargs={"year": YEAR})
    with django_assert_max_num_queries(6):
        b"".join(client.get(url).streaming_content)


# --- The commands -------------------------------------------------------------------------------


def test_import_year_command(hr, departments, tmp_path):
    path = tmp_path / "year.xlsx"
    path.write_bytes(workbook(full_year()).getvalue())
    out = io.StringIO()
    call_command("import_year", str(path), actor="hr", stdout=out)
    assert "2025: scheme created, opened" in out.getvalue()
    assert f"Entries: {SCORE_ROWS} recorded" in out.getvalue()
    assert Result.objects.filter(scheme__year=YEAR).count() == 10


def test_import_year_command_refuses_a_bad_workbook(hr, counts, tmp_path):
    before = counts()
    sheets, number = _with_score(["Z99", "指标", "C1", "上半年", -1, "隐患"])
    path = tmp_path / "year.xlsx"
    path.write_bytes(workbook(sheets).getvalue())
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_year", str(path), actor="hr", stderr=err)
    assert f'评分!A{number} 机构编码 = "Z99"' in err.getvalue()
    assert counts() == before


@pytest.mark.parametrize("actor", ["auditor", "nobody"])
def test_import_year_command_needs_an_hr_actor(counts, tmp_path, actor):
    before = counts()
    path = tmp_path / "year.xlsx"
    path.write_bytes(workbook(full_year()).getvalue())
    with pytest.raises(CommandError):
        call_command("import_year", str(path), actor=actor)
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_year", str(tmp_path / "missing.xlsx"), actor="hr")
    assert counts() == before


def test_export_rankings_command(hr, departments, tmp_path, client_for):
    import_year(hr, full_year())
    path = tmp_path / "rankings.xlsx"
    out = io.StringIO()
    call_command("export_rankings", str(YEAR), "-o", str(path), stdout=out)
    assert str(path) in out.getvalue()
    header, rows = exported_rows(path.read_bytes())
    assert (header, rows) == (EXPORT_HEADERS, EXPECTED)
    with pytest.raises(CommandError, match="no 1999"):
        call_command("export_rankings", "1999", "-o", str(path))


def test_export_rankings_command_recomputes_stale_results(hr, departments, tmp_path):
    import_year(hr, full_year())
    scheme = Scheme.objects.get(year=YEAR)
    # The recompute this entry queues on commit never runs inside the test's transaction, so
    # the results are older than the ledger.
    services.ledger_entry_create(
        actor=hr, scheme=scheme, institution=Institution.objects.get(code="A04"),
        kind="bonus", points=Decimal("3"), reason="表扬",
    )  # fmt: skip
    path = tmp_path / "rankings.xlsx"
    err = io.StringIO()
    call_command("export_rankings", str(YEAR), "-o", str(path), stderr=err)
    assert "older than the ledger" in err.getvalue()
    call_command("export_rankings", str(YEAR), "-o", str(path), "--recompute")
    a04 = next(r for r in exported_rows(path.read_bytes())[1] if r[3] == "A04")
    assert a04[10] == Decimal("853.19")
