"""Year two (issue 14): a year workbook imported after last year's, half-year targets and figures
of completion-ratio indicators (完成率 / 逆向完成率 / 按期), the mid-year ranking, entries refused
beyond what the rules can count, and the self-assessment compared like with like.

The expected figures are worked out by hand in the comments, not by the engine."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from appraisal import services
from appraisal.engine import Direction, IndicatorRule, Method, Part, Target, indicator_score
from appraisal.models import Indicator, LedgerEntry, Result, Scheme
from appraisal.models import Target as TargetRow
from appraisal.recompute import results_are_stale, year_results_recompute
from appraisal.transfer import year_workbook_import
from orgs.importing import ImportFailed
from orgs.models import AuditEvent, Institution

from ..factories import ScoringDepartmentFactory
from .test_transfer import EXPECTED
from .workbooks import (
    DEPARTMENTS,
    EXPORT_HEADERS,
    GROUP_NAMES,
    INDICATORS,
    SCHEME,
    SCORES,
    TARGETS,
    exported_rows,
    full_year,
    upload,
)

D = Decimal
LAST, YEAR = 2025, 2026
A_AND_B = "A01,A02,A03,A04,B01,B02,B03"


@pytest.fixture
def hr(world):
    return world.users["hr"]


@pytest.fixture
def departments(world):
    return {
        code: ScoringDepartmentFactory(code=code, name=name) for code, name in DEPARTMENTS.items()
    }


def publish(hr, year):
    scheme = Scheme.objects.get(year=year)
    for action in ("review", "publish"):
        scheme = services.scheme_transition(actor=hr, scheme=scheme, action=action)
    return scheme


# The 2026 figures per institution: (B1 H1 actual, B1 H2 actual, B3 H1, B3 H2, B4 H1 done, B4 H2
# done). B1 完成率 max 150, targets 500 (H1) and 1000 (H2); B3 逆向完成率 max 100, target 2 in
# both halves; B4 按期 max 50, deadlines 2026-06-30 and 2026-12-31.
FIGURES = {
    # B1: 150 × 450 / 500 = 135; 150 × 1100 / 1000 = 165 → 150. B3: 100 × 2 / 4 = 50;
    # 100 × 2 / 2.5 = 80. B4: done on the deadline → 50; done after it → 0.
    # Business H1 235, H2 230: (235 + 230) / 2 = 232.50.
    "A01": (450, 1100, 4, "2.5", "2026-06-30", "2027-01-05"),
    # B1: 150; 150 × 800 / 1000 = 120. B3: no errors (0) earns the max, 100; 200 → 100.
    # B4: not done in H1 (blank) → 0; 50. H1 250, H2 270: 260.00.
    "A02": (500, 800, 0, 1, None, "2026-11-30"),
}
# Everyone else: B1 75 and 150; B3 100 and 100 × 2 / 3 = 66.666…; B4 50 and 50.
# H1 225, H2 266.666…: (225 + 266.666…) / 2 = 245.8333… → 245.83.
DEFAULT_FIGURES = (250, 1000, 2, 3, "2026-06-01", "2026-12-31")


def year_two() -> dict[str, list[list]]:
    """2026: the business goals of groups 1 and 2 become completion-ratio indicators (B1 reused
    with another max and method, B3 and B4 new); group 3's B2 is replaced by B5."""
    targets = [TARGETS]
    for code in A_AND_B.split(","):
        b1_h1, b1_h2, b3_h1, b3_h2, b4_h1, b4_h2 = FIGURES.get(code, DEFAULT_FIGURES)
        targets += [
            [code, "B1", "上半年", 500, b1_h1, None, None],
            [code, "B1", "下半年", 1000, b1_h2, None, None],
            [code, "B3", "上半年", 2, b3_h1, None, None],
            [code, "B3", "下半年", 2, b3_h2, None, None],
            [code, "B4", "上半年", None, None, datetime.datetime(2026, 6, 30), b4_h1],
            [code, "B4", "下半年", None, None, "2026-12-31", b4_h2],
        ]
    return {
        "方案": [SCHEME, [YEAR, 300, 300, 400, 800, 30, 20]],
        "指标": [
            INDICATORS,
            ["C1", "公共目标", "安全生产", 150, "扣分", "AQ", None],
            ["C2", "公共目标", "党风廉政建设", 150, "扣分", "党建办", None],
            ["B1", "业务目标", "营业收入完成率", 150, "完成率", "业务部", A_AND_B],
            ["B3", "业务目标", "业务差错率", 100, "逆向完成率", "YW", A_AND_B],
            ["B4", "业务目标", "重点工程按期完工", 50, "按期", "督查室", A_AND_B],
            ["B5", "业务目标", "客户满意度", 300, "扣分", "YW", "C01,C02,C03"],
            ["E1", "执行力建设", "重点工作", 400, "扣分", "督查室", None],
        ],
        "目标": targets,
        "评分": [
            SCORES,
            ["A01", "指标", "C1", "上半年", -5, "安全检查发现隐患"],
            ["A01", "指标", "E1", "全年", -10, "督办事项未完成"],
            ["B01", "否决", None, None, 30, "发生安全生产责任事故"],
        ],
    }


def _row(group, rank, code, name, common, business, execution, bonus, veto, total, *rest):
    grade, vetoed, prize, amount, yellow, admonition = rest
    return [
        group, GROUP_NAMES[group], rank, code, name, D(common), D(business), D(execution),
        D(bonus), D(veto),
        D(total), grade, vetoed, prize, None if amount is None else D(amount), yellow, admonition,
    ]  # fmt: skip


EXPECTED_2026 = [
    # G1: A02 960 takes 一等奖; A03 and A04 tie at 945.83 for 二等奖 (the tie uses up the third
    # place); A01 920 (common (295 + 300) / 2 = 297.50, execution 390) has no prize.
    _row("G1", 1, "A02", "城西支行", "300.00", "260.00", "400.00", "0.00", "0.00", "960.00",
         "合格", "否", "一等奖", "50000.00", "否", "否"),
    _row("G1", 2, "A03", "城南支行", "300.00", "245.83", "400.00", "0.00", "0.00", "945.83",
         "合格", "否", "二等奖", "30000.00", "否", "否"),
    _row("G1", 2, "A04", "城北支行", "300.00", "245.83", "400.00", "0.00", "0.00", "945.83",
         "合格", "否", "二等奖", "30000.00", "否", "否"),
    _row("G1", 4, "A01", "城东支行", "297.50", "232.50", "390.00", "0.00", "0.00", "920.00",
         "合格", "否", None, "0", "否", "否"),
    # G2: B02 and B03 tie at 945.83: both rank 1, both 一等奖. B01 is vetoed again: last,
    # 不合格 two years running → 诫勉谈话. B03 was 不合格 in 2025 but qualifies now: no talk.
    _row("G2", 1, "B02", "开发区支行", "300.00", "245.83", "400.00", "0.00", "0.00", "945.83",
         "合格", "否", "一等奖", "50000.00", "否", "否"),
    _row("G2", 1, "B03", "港区支行", "300.00", "245.83", "400.00", "0.00", "0.00", "945.83",
         "合格", "否", "一等奖", "50000.00", "否", "否"),
    _row("G2", 3, "B01", "高新支行", "300.00", "245.83", "400.00", "0.00", "-30.00", "915.83",
         "不合格", "是", None, "0", "是", "是"),
    # G3: B5 (扣分, nothing deducted) gives 300: three at 1000, all rank 1, all 一等奖.
    *(
        _row("G3", 1, code, name, "300.00", "300.00", "400.00", "0.00", "0.00", "1000.00",
             "合格", "否", "一等奖", "15000.00", "否", "否")
        for code, name in (("C01", "东山营业部"), ("C02", "西山营业部"), ("C03", "南山营业部"))
    ),
]  # fmt: skip

EXPECTED_2026_H1 = [
    # H1 total = common H1 + business H1 + execution so far + bonus − veto: A02 300 + 250 + 400
    # = 950; A03 and A04 300 + 225 + 400 = 925; A01 295 + 235 + 390 = 920. No prizes.
    _row("G1", 1, "A02", "城西支行", "300.00", "250.00", "400.00", "0.00", "0.00", "950.00",
         "合格", "否", None, None, None, None),
    _row("G1", 2, "A03", "城南支行", "300.00", "225.00", "400.00", "0.00", "0.00", "925.00",
         "合格", "否", None, None, None, None),
    _row("G1", 2, "A04", "城北支行", "300.00", "225.00", "400.00", "0.00", "0.00", "925.00",
         "合格", "否", None, None, None, None),
    _row("G1", 4, "A01", "城东支行", "295.00", "235.00", "390.00", "0.00", "0.00", "920.00",
         "合格", "否", None, None, None, None),
    _row("G2", 1, "B02", "开发区支行", "300.00", "225.00", "400.00", "0.00", "0.00", "925.00",
         "合格", "否", None, None, None, None),
    _row("G2", 1, "B03", "港区支行", "300.00", "225.00", "400.00", "0.00", "0.00", "925.00",
         "合格", "否", None, None, None, None),
    # Vetoed so far (30 ≥ the veto line): last and 不合格 whatever its points.
    _row("G2", 3, "B01", "高新支行", "300.00", "225.00", "400.00", "0.00", "-30.00", "895.00",
         "不合格", "是", None, None, None, None),
    *(
        _row("G3", 1, code, name, "300.00", "300.00", "400.00", "0.00", "0.00", "1000.00",
             "合格", "否", None, None, None, None)
        for code, name in (("C01", "东山营业部"), ("C02", "西山营业部"), ("C03", "南山营业部"))
    ),
]  # fmt: skip


def export(client, year, period=None) -> list[list]:
    url = reverse("appraisal:rankings_export", kwargs={"year": year})
    response = client.get(url, {"period": period} if period else {})
    assert response.status_code == 200
    header, rows = exported_rows(b"".join(response.streaming_content))
    assert header == EXPORT_HEADERS
    return rows


@pytest.fixture
def two_years(hr, departments):
    """2025 imported and published; 2026 made from it as a draft (copy forward), then its
    workbook imported."""
    year_workbook_import(actor=hr, file=upload(full_year(LAST)))
    publish(hr, LAST)
    draft = services.scheme_create(actor=hr, year=YEAR)
    assert set(draft.indicators.values_list("code", flat=True)) == {"C1", "C2", "B1", "B2", "E1"}
    result = year_workbook_import(actor=hr, file=upload(year_two()))
    return result


# --- Year N+1 after year N -----------------------------------------------------------------------


def test_year_two_imports_after_year_one_and_both_reproduce_the_rules(two_years, client_for):
    assert two_years.indicators_removed == ["B2"]  # copied forward, not in the 2026 sheet
    assert (two_years.targets_created, two_years.targets_updated) == (42, 0)
    client = client_for("hr")
    assert export(client, LAST) == EXPECTED  # 2025 as it was published
    assert export(client, YEAR) == EXPECTED_2026
    # B1 is reused with another max and method; 2025's B1 is untouched.
    b1 = {s.year: Indicator.objects.get(scheme=s, code="B1") for s in Scheme.objects.all()}
    assert (b1[LAST].max_points, b1[LAST].method) == (300, "add")
    assert (b1[YEAR].max_points, b1[YEAR].method, b1[YEAR].direction) == (150, "ratio", "higher")


def test_a_reimport_of_year_two_changes_nothing_but_the_figures_it_changes(two_years, hr):
    sheets = year_two()
    sheets["目标"][1][4] = 500  # A01's B1 H1 actual 450 → 500: 150 × 500 / 500 = 150
    result = year_workbook_import(actor=hr, file=upload(sheets))
    assert (result.targets_created, result.targets_updated) == (0, 42)
    a01 = Result.objects.get(scheme__year=YEAR, institution__code="A01")
    # Business H1 150 + 50 + 50 = 250, H2 230: 240.00; total 297.50 + 240 + 390 = 927.50.
    assert (a01.business_h1, a01.business, a01.total) == (D("250.00"), D("240.00"), D("927.50"))


def test_the_mid_year_ranking_page_and_export(two_years, client_for):
    client = client_for("auditor")
    assert export(client, YEAR, period="h1") == EXPECTED_2026_H1
    response = client.get(reverse("appraisal:rankings_h1", kwargs={"year": YEAR}))
    assert response.status_code == 200
    g1 = next(rows for group, rows in response.context["groups"] if group.code == "G1")
    assert [(r.institution.code, r.h1_rank, r.h1_total) for r in g1] == [
        ("A02", 1, D("950.00")),
        ("A03", 2, D("925.00")),
        ("A04", 2, D("925.00")),
        ("A01", 4, D("920.00")),
    ]
    # Heads and other roles without every result get no ranking, as for the annual one.
    for persona, status in (("head_a", 403), ("acceptance", 403), ("norole", 403)):
        url = reverse("appraisal:rankings_h1", kwargs={"year": YEAR})
        assert client_for(persona).get(url).status_code == status


def test_export_rankings_command_with_period_h1(two_years, tmp_path):
    path = tmp_path / "h1.xlsx"
    out = io.StringIO()
    call_command("export_rankings", str(YEAR), "--period", "H1", "-o", str(path), stdout=out)
    assert "First-half rankings of 2026" in out.getvalue()
    header, rows = exported_rows(path.read_bytes())
    assert header == EXPORT_HEADERS
    assert rows == EXPECTED_2026_H1
    annual = tmp_path / "year.xlsx"
    call_command("export_rankings", str(YEAR), "-o", str(annual), stdout=io.StringIO())
    assert exported_rows(annual.read_bytes())[1] == EXPECTED_2026


def test_a_2027_draft_copies_2026_forward(two_years, hr):
    publish(hr, YEAR)
    draft = services.scheme_create(actor=hr, year=YEAR + 1)
    indicators = {i.code: i for i in draft.indicators.all()}
    assert set(indicators) == {"C1", "C2", "B1", "B3", "B4", "B5", "E1"}
    assert (indicators["B3"].method, indicators["B3"].direction) == ("ratio", "lower")
    assert set(indicators["B5"].institutions.values_list("code", flat=True)) == {
        "C01",
        "C02",
        "C03",
    }
    assert not TargetRow.objects.filter(indicator__scheme=draft).exists()  # set anew each year
    assert services.scheme_check(draft) == []


# --- The 目标 sheet's refusals ------------------------------------------------------------------


def _refused(hr, sheets) -> list:
    before = (TargetRow.objects.count(), Indicator.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(ImportFailed) as caught:
        year_workbook_import(actor=hr, file=upload(sheets))
    assert (
        TargetRow.objects.count(),
        Indicator.objects.count(),
        LedgerEntry.objects.count(),
    ) == before
    return caught.value.errors


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        # A target on a points indicator.
        (["A01", "C1", "上半年", 10, 5, None, None], "指标编码", "not from a target"),
        # An institution the indicator does not apply to.
        (["C01", "B1", "上半年", 10, 5, None, None], "机构编码", "does not apply"),
        # A completion date on a 完成率 indicator: never counted.
        (["A01", "B1", "上半年", 10, 5, None, "2026-06-01"], "完成日期", "does not use"),
        # A target value on a 按期 indicator.
        (["A01", "B4", "下半年", 3, None, "2026-12-31", None], "目标值", "does not use"),
        (["A01", "B1", "全年", 10, 5, None, None], "期间", "上半年"),
        (["A01", "B4", "上半年", None, None, "2026-02-30", None], "截止日期", "calendar"),
        (["A01", "B4", "上半年", None, None, "30/06/2026", None], "截止日期", "YYYY-MM-DD"),
        (["A01", "B1", "上半年", "1.00001", 5, None, None], "目标值", "four decimals"),
        (["Z99", "B1", "上半年", 10, 5, None, None], "机构编码", "No institution"),
        (["A01", "B9", "上半年", 10, 5, None, None], "指标编码", "no indicator"),
    ],
)
def test_a_bad_target_row_is_refused_and_nothing_is_imported(hr, departments, row, column, words):
    year_workbook_import(actor=hr, file=upload(full_year(LAST)))
    publish(hr, LAST)
    sheets = year_two()
    # In place of the sheet's row for the same institution, indicator and period, if any.
    sheets["目标"] = [r for r in sheets["目标"] if r[:3] != row[:3]] + [row]
    number = len(sheets["目标"])
    errors = _refused(hr, sheets)
    assert [(e.sheet, e.row, e.column) for e in errors] == [("目标", number, column)]
    assert words in errors[0].message
    assert not Scheme.objects.filter(year=YEAR).exists()


def test_the_same_target_twice_is_refused(hr, departments):
    year_workbook_import(actor=hr, file=upload(full_year(LAST)))
    sheets = year_two()
    sheets["目标"].append(["A01", "B1", "上半年", 500, 480, None, None])
    [error] = _refused(hr, sheets)
    assert (error.sheet, error.row, error.column) == ("目标", len(sheets["目标"]), "期间")
    assert "row 2" in error.message


def test_a_score_row_on_a_ratio_indicator_is_refused(hr, departments):
    year_workbook_import(actor=hr, file=upload(full_year(LAST)))
    sheets = year_two()
    sheets["评分"].append(["A01", "指标", "B1", "上半年", 10, "完成较好"])
    errors = _refused(hr, sheets)
    assert [(e.sheet, e.row, e.column) for e in errors] == [
        ("评分", len(sheets["评分"]), "指标编码")
    ]
    assert "scored from its targets (the 目标 sheet)" in errors[0].message


def test_ratio_methods_are_not_for_execution_capacity(hr, departments):
    year_workbook_import(actor=hr, file=upload(full_year(LAST)))
    sheets = year_two()
    sheets["指标"][-1][4] = "完成率"  # E1
    errors = _refused(hr, sheets)
    assert ("指标", len(sheets["指标"]), "计分方式", "完成率") in {
        (e.sheet, e.row, e.column, e.value) for e in errors
    }


def test_the_template_explains_the_target_sheet(client_for):
    response = client_for("hr").get(reverse("appraisal:year_import_template"))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in wb["目标"][1]] == TARGETS
    notes = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "逆向完成率" in notes and "按期" in notes


# --- The engine: half-year ratios ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "target", "score"),
    [
        (Direction.HIGHER, Target(D(200), D(150)), D(75)),  # 100 × 150 / 200
        (Direction.HIGHER, Target(D(200), D(260)), D(100)),  # clamped to the max
        (Direction.HIGHER, Target(D(0), D(5)), D(100)),  # a target ≤ 0 earns the max
        (Direction.HIGHER, Target(D(200), None), D(0)),  # nothing reported: 0
        (Direction.HIGHER, Target(D(200), D(-10)), D(0)),  # clamped to 0
        (Direction.LOWER, Target(D(2), D(4)), D(50)),  # 100 × 2 / 4
        (Direction.LOWER, Target(D(2), D(1)), D(100)),  # better than the target: the max
        (Direction.LOWER, Target(D(2), D(0)), D(100)),  # an actual ≤ 0 earns the max
        (Direction.LOWER, Target(D(2), None), D(0)),
        (Direction.DEADLINE, Target(deadline=datetime.date(2026, 6, 30),
                                    completed_on=datetime.date(2026, 6, 30)), D(100)),
        (Direction.DEADLINE, Target(deadline=datetime.date(2026, 6, 30),
                                    completed_on=datetime.date(2026, 7, 1)), D(0)),
        (Direction.DEADLINE, Target(deadline=datetime.date(2026, 6, 30)), D(0)),
    ],
)  # fmt: skip
def test_ratio_scores(direction, target, score):
    rule = IndicatorRule("R", Part.BUSINESS, Method.RATIO, D(100), direction)
    assert indicator_score(rule, D(0), target) == score


# --- The target page and the API, per half-year --------------------------------------------------


@pytest.fixture
def ratio_year(world, departments):
    """An open 2026 with a 完成率 business indicator R1 (max 100) for A01 and B01."""
    scheme = Scheme.objects.create(year=YEAR, status=Scheme.Status.OPEN)
    indicator = Indicator.objects.create(
        scheme=scheme, code="R1", part="business", name="存款增长", method="ratio",
        direction="higher", max_points=D(100), department=departments["YW"],
        applies_to_all=False,
    )  # fmt: skip
    indicator.institutions.set([world.a, world.b])
    return indicator


def _scores(code):
    result = Result.objects.get(scheme__year=YEAR, institution__code=code)
    return result.business_h1, result.business_h2


def test_the_target_page_sets_each_half_year(client_for, world, ratio_year):
    client = client_for("hr")
    url = reverse("appraisal:scheme_targets", kwargs={"year": YEAR})
    base = {"indicator": ratio_year.pk, "institution": world.a.pk, "unit": "万元"}
    assert client.post(url, base | {"period": "h1", "target_value": "500",
                                    "actual_value": "400"}).status_code == 302  # fmt: skip
    assert client.post(url, base | {"period": "h2", "target_value": "1000",
                                    "actual_value": "1000"}).status_code == 302  # fmt: skip
    year_results_recompute(scheme_id=ratio_year.scheme_id)
    # H1: 100 × 400 / 500 = 80; H2: 100 × 1000 / 1000 = 100.
    assert _scores("A01") == (D("80.00"), D("100.00"))
    page = client.get(url)
    row = next(r for r in page.context["page_obj"] if r.institution == world.a)
    assert [(p, t.target_value, s) for p, t, s in row.halves] == [
        ("h1", D(500), D("80.00")),
        ("h2", D(1000), D("100.00")),
    ]


def test_the_api_sets_each_half_year(client_for, world, ratio_year):
    client = client_for("hr")
    api = "/api/v1/targets/"
    body = {"indicator": ratio_year.pk, "institution": "B01", "target_value": "200"}
    response = client.post(api, body | {"period": "h1", "actual_value": "50"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.json()
    assert (response.json()["period"], response.json()["kind"]) == ("h1", "absolute")
    response = client.post(api, body | {"period": "h2", "actual_value": "300"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201
    missing = client.post(api, body, content_type="application/json")
    assert missing.status_code == 400 and "period" in missing.json()
    # A target for an institution R1 does not apply to is refused with the reason.
    refused = client.post(api, body | {"institution": "C01", "period": "h1"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 400
    assert "does not apply" in refused.json()["institution"][0]
    year_results_recompute(scheme_id=ratio_year.scheme_id)
    # H1: 100 × 50 / 200 = 25; H2: 300 / 200 → 150 → clamped to 100.
    assert _scores("B01") == (D("25.00"), D("100.00"))


def test_a_target_on_a_points_indicator_is_refused(world, year):
    with pytest.raises(ValidationError) as caught:
        services.target_save(
            actor=world.users["hr"],
            indicator=year.indicators["C1"],
            institution=world.a,
            period="h1",
            target_value=D(1),
        )
    assert "indicator" in caught.value.message_dict


# --- Entries the rules can count -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "indicator", "points", "words"),
    [
        ("indicator", "C1", "-300.01", "maximum of 300"),
        ("indicator", "C1", "300.01", "maximum of 300"),
        ("bonus", None, "20.01", "bonus cap of 20"),
        ("bonus", None, "999999.99", "bonus cap of 20"),
        ("veto", None, "1000.01", "total of 1000"),
    ],
)
def test_an_entry_beyond_what_the_rules_count_is_refused(
    world, year, kind, indicator, points, words
):
    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.ledger_entry_create(
            actor=world.users["hr"], scheme=year.scheme, institution=world.a, kind=kind,
            indicator=year.indicators[indicator] if indicator else None,
            period="h1" if indicator else "year", points=D(points), reason="录入",
        )  # fmt: skip
    assert words in caught.value.message_dict["points"][0]
    assert LedgerEntry.objects.count() == before


def test_entries_at_the_limits_are_accepted(world, year):
    hr = world.users["hr"]
    for kind, indicator, points in (("indicator", "C1", "-300"), ("bonus", None, "20"),
                                    ("veto", None, "1000")):  # fmt: skip
        services.ledger_entry_create(
            actor=hr, scheme=year.scheme, institution=world.a, kind=kind,
            indicator=year.indicators[indicator] if indicator else None,
            period="h1" if indicator else "year", points=D(points), reason="录入",
        )  # fmt: skip


def test_the_api_and_the_page_refuse_an_entry_over_its_indicators_max(client_for, world, year):
    body = {"year": YEAR, "institution": "A01", "kind": "indicator", "indicator": "C1",
            "period": "h1", "points": "-500", "reason": "扣分"}  # fmt: skip
    response = client_for("scorer").post("/api/v1/entries/", body, content_type="application/json")
    assert response.status_code == 400
    assert "maximum of 300" in response.json()["points"][0]
    page = client_for("scorer").post(
        reverse("appraisal:entry_create", kwargs={"year": YEAR}),
        {"institution": "A01", "kind": "indicator", "indicator": "C1",
         "period": "h1", "points": "-500", "reason": "扣分"},
    )  # fmt: skip
    assert page.status_code == 200
    assert "maximum of 300" in page.content.decode()
    assert not LedgerEntry.objects.exists()


def test_the_import_refuses_a_score_row_over_the_limits(hr, departments):
    sheets = full_year(LAST)
    sheets["评分"] += [
        ["A01", "指标", "C1", "上半年", -500, "扣分过多"],
        ["A02", "加分", None, None, "999999.99", "加分"],
        ["A03", "否决", None, None, 1001, "否决"],
    ]
    errors = _refused(hr, sheets)
    n = len(sheets["评分"])
    assert [(e.sheet, e.row, e.column) for e in errors] == [
        ("评分", n - 2, "分值"),
        ("评分", n - 1, "分值"),
        ("评分", n, "分值"),
    ]
    assert "maximum of 150" in errors[0].message
    assert "bonus cap of 20" in errors[1].message
    assert "total of 1000" in errors[2].message


# --- Self-assessment: like with like -------------------------------------------------------------


def test_a_self_assessment_of_one_indicator_is_compared_on_that_indicator(world, year):
    hr, head = world.users["hr"], world.users["head_a"]
    scheme = year.scheme

    def entry(actor, points, official=True, indicator="C1", period="h1"):
        return services.ledger_entry_create(
            actor=actor, scheme=scheme, institution=world.a, kind="indicator",
            indicator=year.indicators[indicator], period=period, points=D(points),
            reason="自评" if not official else "评分", is_official=official,
        )  # fmt: skip

    entry(hr, "250", indicator="B1", period="h1")  # official: B1 (计分) H1 250, H2 0
    entry(hr, "-20")  # official: C1 H1 280
    entry(head, "-10", official=False)  # the head says C1 H1 290: 10 better on one half
    year_results_recompute(scheme_id=scheme.pk)
    a01 = Result.objects.get(scheme=scheme, institution=world.a)
    # Only C1 H1 differs: the half-year part moves by 10 / 2 = 5. The B1 halves and everything
    # not self-assessed count as officially scored (no gap of hundreds from "missing" scores).
    assert a01.self_total - a01.total == D(5)
    assert not a01.self_gap_flag
    Scheme.objects.filter(pk=scheme.pk).update(self_gap_threshold=D(5))
    year_results_recompute(scheme_id=scheme.pk)
    assert Result.objects.get(scheme=scheme, institution=world.a).self_gap_flag
    # Without any self-assessment there is no self total.
    assert Result.objects.get(scheme=scheme, institution=world.b).self_total is None


# --- Copy forward and removing an indicator from a draft -----------------------------------------


def test_hr_removes_a_copied_indicator_from_a_draft_after_confirming(client_for, world, year):
    hr = world.users["hr"]
    draft = services.scheme_create(actor=hr, year=YEAR + 1)
    e1 = draft.indicators.get(code="E1")
    url = reverse("appraisal:indicator_delete", kwargs={"year": YEAR + 1, "pk": e1.pk})
    client = client_for("hr")
    page = client.get(url)
    assert page.status_code == 200 and "E1" in page.content.decode()
    assert client.post(url, {}).status_code == 200  # not confirmed: nothing removed
    assert draft.indicators.filter(code="E1").exists()
    assert client.post(url, {"confirm": "E1"}).status_code == 302
    assert not draft.indicators.filter(code="E1").exists()
    assert year.scheme.indicators.filter(code="E1").exists()  # 2026 keeps its own
    assert AuditEvent.objects.filter(action="indicator.delete").count() == 1
    for persona in ("scorer", "head_a", "auditor"):
        assert client_for(persona).post(url, {"confirm": "E1"}).status_code == 403
    # An open year's indicators are fixed.
    c1 = year.scheme.indicators.get(code="C1")
    url = reverse("appraisal:indicator_delete", kwargs={"year": YEAR, "pk": c1.pk})
    response = client.post(url, {"confirm": "C1"})
    assert response.status_code == 200
    assert year.scheme.indicators.filter(code="C1").exists()


def test_the_institution_list_is_untouched_by_a_year_workbook_without_its_sheets(two_years):
    assert Institution.objects.filter(group__isnull=False).count() == 10


def test_a_target_change_makes_the_results_stale_and_the_recompute_follows(
    world, ratio_year, django_capture_on_commit_callbacks
):
    """Targets are inputs of the results like the ledger: changing one marks the results stale,
    and the recompute it queues does not skip them as fresh."""
    hr = world.users["hr"]
    scheme = ratio_year.scheme
    fields = {"actor": hr, "indicator": ratio_year, "institution": world.a, "period": "h2"}
    with django_capture_on_commit_callbacks(execute=True):
        services.target_save(**fields, target_value=D(200), actual_value=D(100))
    assert not results_are_stale(scheme)
    assert _scores("A01")[1] == D("50.00")  # 100 × 100 / 200
    with django_capture_on_commit_callbacks(execute=True):
        services.target_save(**fields, actual_value=D(150))
    assert _scores("A01")[1] == D("75.00")  # recomputed, not skipped as fresh
    services.target_save(**fields, actual_value=D(160))  # not committed yet in this test
    assert results_are_stale(scheme)


def test_the_api_takes_the_period_in_any_of_its_spellings(client_for, world, ratio_year):
    client = client_for("hr")
    for period, stored in (("H1", "h1"), ("下半年", "h2")):
        body = {"indicator": ratio_year.pk, "institution": "A01", "period": period,
                "target_value": "10"}  # fmt: skip
        response = client.post("/api/v1/targets/", body, content_type="application/json")
        assert response.status_code == 201, response.json()
        assert response.json()["period"] == stored


def test_the_rankings_page_leads_to_the_mid_year_ranking(client_for, two_years):
    url = reverse("appraisal:rankings", kwargs={"year": YEAR})
    response = client_for("hr").get(url, {"period": "H1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:rankings_h1", kwargs={"year": YEAR})
    body = client_for("hr").get(url).content.decode()
    assert reverse("appraisal:rankings_h1", kwargs={"year": YEAR}) in body
