"""Payroll through Excel (payroll/transfer/): the workbook import, the runs of a month, the export
for payment, the background export job, the paid wages and their reconciliation, the pages and
the commands. The expected pay is worked out here from the workbook's own numbers with Decimal,
not with payroll.distribution."""

import datetime
import io
import re
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import Result, Scheme
from appraisal.recompute import year_results_recompute
from orgs.importing import ImportFailed
from orgs.models import AuditEvent, Employee
from payroll import services
from payroll.models import (
    GradeCoefficient,
    IndividualGrade,
    PaidWage,
    PayPolicy,
    PayrollRun,
    TierCoefficient,
)
from payroll.transfer import (
    PayrollImportFailed,
    export_job_get,
    export_job_start,
    export_month,
    export_path,
    paid_workbook_import,
    payroll_workbook_import,
    payroll_workbook_read,
    payroll_workbook_validate,
)
from payroll.transfer.jobs import JOB_KEY

from ..factories import EmployeeFactory
from .workbooks import (
    EMPLOYEES,
    EXCELLENT_SHARE,
    EXPORT_HEADERS,
    GRADES,
    POLICIES,
    TIERS,
    exact,
    exported_sheet,
    full_payroll,
    many_employees,
    paid_sheet,
    upload,
    workbook,
)

JAN, DEC = datetime.date(2026, 1, 1), datetime.date(2026, 12, 1)
CENT = D("0.01")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_COLUMNS = EXPORT_HEADERS[4:]


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked by their English text."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def published(world, year):
    """The 2026 appraisal over the world, published: every institution has its result."""
    year_results_recompute(scheme_id=year.scheme.pk)
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    return year


@pytest.fixture
def imported(world, published):
    return payroll_workbook_import(actor=world.users["hr"], file=upload(full_payroll()))


def _run(month) -> None:
    call_command("run_payroll", f"{month:%Y-%m}", stdout=_null(), stderr=_null())


def _null() -> io.StringIO:
    return io.StringIO()


def _confirm_all(world, month) -> list[PayrollRun]:
    _run(month)
    runs = []
    for run in PayrollRun.objects.filter(month=month).order_by("institution__code"):
        runs.append(services.payroll_run_confirm(actor=world.users["hr"], run=run))
    return runs


def _counts() -> dict:
    return {
        "employees": Employee.objects.count(),
        "policies": PayPolicy.objects.count(),
        "grades": IndividualGrade.objects.count(),
        "tiers": TierCoefficient.objects.count(),
        "grade_coefficients": GradeCoefficient.objects.count(),
        "audit": AuditEvent.objects.count(),
        "wages": list(Employee.objects.order_by("pk").values_list("post_wage", "is_formal")),
    }


# --- Exact shares, worked out from the workbook ---------------------------------------------------


def _cents(value: D) -> D:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _tier_word(result: Result) -> str:
    """Its prize if it has one, else 合格, else 一票否决 if vetoed, else 不合格 (the pay rules)."""
    if result.prize_level:
        return ("一等奖", "二等奖", "三等奖")[result.prize_level - 1]
    if result.grade == "qualified":
        return "合格"
    return "一票否决" if result.vetoed else "不合格"


def _expected(code: str, month: datetime.date) -> tuple[dict, dict]:
    """The pools of the institution's month and every employee's exact (unrounded) shares."""
    per_capita, ratio = POLICIES[code][0], POLICIES[code][1]
    people = [e for e in EMPLOYEES if e[2] == code]
    formal = [e for e in people if e[3]]
    total = _cents(per_capita * len(formal))
    basic_year = _cents(total * ratio)
    regular = _cents(basic_year / 12)
    pools = {"基础性绩效": basic_year - 11 * regular if month.month == 12 else regular}
    pools["奖励性绩效"] = pools["考核奖金"] = D("0")
    if month == DEC:  # the settlement month of every policy of the workbook
        result = Result.objects.get(scheme__year=2026, institution__code=code)
        pools["奖励性绩效"] = _cents((total - basic_year) * TIERS[_tier_word(result)])
        pools["考核奖金"] = result.prize_amount
    post = {e[0]: e[4] for e in formal}
    merit = {e[0]: e[4] * GRADES[e[8] or "合格"] for e in formal}
    shares = {}
    for e in people:
        number = e[0]
        shares[number] = {
            "岗位工资": e[5],
            "薪级工资": e[6],
            "特殊岗位津贴": e[7],
            "基础性绩效": pools["基础性绩效"] * post[number] / sum(post.values()) if e[3] else 0,
            "奖励性绩效": pools["奖励性绩效"] * merit[number] / sum(merit.values()) if e[3] else 0,
            "考核奖金": pools["考核奖金"] * merit[number] / sum(merit.values()) if e[3] else 0,
        }
    return pools, shares


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [
        dict(zip(header, [exact(c.value) for c in row], strict=True))
        for row in ws.iter_rows(min_row=2)
    ]


def _check_export(content: bytes, month: datetime.date, codes: list[str]) -> None:
    ws = exported_sheet(content)
    assert [c.value for c in ws[1]] == EXPORT_HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["K"].width == 16
    rows = _rows(ws)
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells[4:]:
            assert cell.number_format == "#,##0.00"
            assert cell.data_type == "n"
    grand = dict.fromkeys(MONEY_COLUMNS, D("0"))
    for code in codes:
        pools, shares = _expected(code, month)
        lines = [r for r in rows if r["机构编码"] == code]
        assert [r["工号"] for r in lines] == sorted(shares)
        for line in lines:
            share = shares[line["工号"]]
            for column, value in share.items():
                assert abs(line[column] - value) < CENT, (line["工号"], column, value)
            parts = sum((line[c] for c in MONEY_COLUMNS[:-1]), D("0"))
            assert line["应发合计"] == parts
        (totals,) = [r for r in rows if r["机构编码"] == f"{code} 合计"]
        for column in MONEY_COLUMNS:
            assert totals[column] == sum((line[column] for line in lines), D("0"))
            grand[column] += totals[column]
        for column, pool in pools.items():
            assert totals[column] == pool  # every pool adds up exactly
        fixed = sum(
            (e[5] + e[6] + e[7] for e in EMPLOYEES if e[2] == code),
            D("0"),
        )
        assert totals["应发合计"] == fixed + sum(pools.values())
        run = PayrollRun.objects.get(institution__code=code, month=month)
        assert totals["应发合计"] == run.total_gross
    if len(codes) > 1:
        assert rows[-1]["机构编码"] == "总计"
        assert all(rows[-1][c] == grand[c] for c in MONEY_COLUMNS)


# --- The whole path -------------------------------------------------------------------------------


def test_full_workbook_is_imported_run_exported_and_pays_exact_shares(world, published, tmp_path):
    hr = world.users["hr"]
    result = payroll_workbook_import(actor=hr, file=upload(full_payroll()))
    assert (result.employees_created, result.employees_updated) == (11, 9)
    assert (result.policies_saved, result.grade_year, result.tiers_saved) == (3, 2026, 6)
    assert services.tier_coefficients()["first"] == D("1.25")
    table, share = services.grade_coefficients()
    assert (table["basic"], share) == (D("0.6"), EXCELLENT_SHARE)
    policy = PayPolicy.objects.get(year=2026, institution=world.a)
    assert (policy.formal_staff, policy.basic_ratio, policy.settlement_month) == (
        8,
        D("0.613"),
        DEC,
    )
    assert PayPolicy.objects.get(institution=world.c).settlement_month == DEC  # an Excel date
    assert PayPolicy.objects.get(institution=world.b).basic_ratio == D("0.6")  # "60%"
    grades = dict(
        IndividualGrade.objects.filter(year=2026).values_list("employee__staff_number", "grade")
    )
    assert grades["A0000"] == "excellent" and grades["A0001"] == "qualified"  # blank = 合格
    new = Employee.objects.get(staff_number="A0008")
    assert (new.is_formal, new.post, new.special_allowance) == (False, "未填", D("0"))

    codes = ["A01", "B01", "C01"]
    for month in (JAN, DEC):
        runs = _confirm_all(world, month)
        assert [r.institution.code for r in runs] == codes
        output = tmp_path / f"{month:%Y-%m}.xlsx"
        call_command("export_payroll", f"{month:%Y-%m}", "-o", str(output), stdout=_null())
        _check_export(output.read_bytes(), month, codes)
        statuses = set(PayrollRun.objects.filter(month=month).values_list("status", flat=True))
        assert statuses == {PayrollRun.Status.EXPORTED}

    # One institution: its lines and its totals row, no grand total.
    output = tmp_path / "a.xlsx"
    call_command("export_payroll", "2026-12", "-o", str(output), "--institution", "A01")
    _check_export(output.read_bytes(), DEC, ["A01"])
    assert _rows(exported_sheet(output.read_bytes()))[-1]["机构编码"] == "A01 合计"


def test_reimporting_the_same_workbook_changes_nothing(world, imported):
    before = _counts()
    again = payroll_workbook_import(actor=world.users["hr"], file=upload(full_payroll()))
    assert (again.employees_created, again.employees_updated) == (0, 0)
    assert again.employees_unchanged == 20 and again.grades_changed == 0
    assert _counts() == before


# --- Refusals: nothing written --------------------------------------------------------------------


def test_workbook_over_the_excellent_cap_is_refused_naming_the_institution(world, published):
    before = _counts()
    rows = [(*e[:8], "优秀") if e[0] == "A0006" else e for e in EMPLOYEES]
    with pytest.raises(PayrollImportFailed) as failure:
        payroll_workbook_import(actor=world.users["hr"], file=upload(full_payroll(rows)))
    (error,) = failure.value.errors
    assert (error.sheet, error.row, error.column, error.column_letter, error.value) == (
        "员工",
        8,
        "个人等次",
        "I",
        "优秀",
    )
    assert "甲机构 (A01)" in error.message and "3 formal staff" in error.message
    assert _counts() == before


def test_the_cap_counts_formal_staff_after_the_import(world, published):
    """Two 优秀 of A01 fit only because the workbook makes A0008 formal staff (9 → ⌊9 × 25%⌋ = 2);
    with A0002 made non-formal instead (7 → 1) they do not."""
    rows = [(*e[:3], False, *e[4:]) if e[0] == "A0002" else e for e in EMPLOYEES]
    with pytest.raises(PayrollImportFailed, match="A01"):
        payroll_workbook_import(actor=world.users["hr"], file=upload(full_payroll(rows)))
    sheets = full_payroll()
    sheets["个人等次系数"][1][2] = "10%"  # 8 formal → max(1, ⌊0.8⌋) = 1
    with pytest.raises(PayrollImportFailed) as failure:
        payroll_workbook_import(actor=world.users["hr"], file=upload(sheets))
    assert [e.message.split(":")[0] for e in failure.value.errors] == ["甲机构 (A01)"]


def test_bad_rows_are_refused_with_sheet_row_column_and_value(world, published):
    before = _counts()
    sheets = full_payroll()
    sheets["工资政策"][1][3] = "0.8"  # A01's basic ratio
    sheets["工资政策"][2][4] = "2026-13"  # B01's settlement month
    sheets["工资政策"].append([2026, "ZZ9", D("1000"), "0.6", "2026-12"])
    sheets["员工"][1][5] = "12.345"  # A0000's 岗位工资
    sheets["奖励系数"][1][1] = "1.2345"  # 一等奖 with four decimals
    with pytest.raises(PayrollImportFailed) as failure:
        payroll_workbook_import(actor=world.users["hr"], file=upload(sheets))
    found = [(e.sheet, e.row, e.column, e.column_letter, e.value) for e in failure.value.errors]
    assert found == [
        ("工资政策", 2, "基础性比例", "D", "0.8"),
        ("工资政策", 3, "兑现月份", "E", "2026-13"),
        ("工资政策", 5, "机构编码", "B", "ZZ9"),
        ("奖励系数", 2, "系数", "B", "1.2345"),
        ("员工", 2, "岗位工资", "F", "12.345"),
    ]
    messages = [e.message for e in failure.value.errors]
    assert "between 0.5 and 0.7" in messages[0]
    assert "YYYY-MM" in messages[1]
    assert "No institution" in messages[2]
    assert _counts() == before


def test_grades_without_a_policy_sheet_and_clashing_settlements_are_refused(world, published):
    sheets = full_payroll()
    del sheets["工资政策"]
    with pytest.raises(PayrollImportFailed) as failure:
        payroll_workbook_import(actor=world.users["hr"], file=upload(sheets))
    assert {(e.sheet, e.column) for e in failure.value.errors} == {("员工", "个人等次")}

    sheets = full_payroll()
    sheets["工资政策"].append([2027, "A01", D("36000"), "0.6", "2026-12"])
    with pytest.raises(PayrollImportFailed) as failure:
        payroll_workbook_import(actor=world.users["hr"], file=upload(sheets))
    assert {(e.row, e.column) for e in failure.value.errors} == {(2, "兑现月份"), (5, "兑现月份")}


def test_only_hr_imports(world, published):
    with pytest.raises(PermissionDenied):
        payroll_workbook_import(actor=world.users["payroll"], file=upload(full_payroll()))


def test_validation_reads_the_database_in_a_fixed_number_of_queries(world, published):
    counts = []
    for size in (10, 50):
        data = payroll_workbook_read(workbook(many_employees(size)))
        with CaptureQueriesContext(connection) as queries:
            payroll_workbook_validate(data)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


# --- Export ---------------------------------------------------------------------------------------


def test_a_draft_is_not_exported_for_payment(world, imported, client_for, tmp_path):
    _run(JAN)
    run = PayrollRun.objects.get(institution=world.a, month=JAN)
    response = client_for("hr").get(reverse("payroll:run_export", args=[run.pk]))
    assert response.status_code == 409
    assert "still a draft" in response.content.decode()
    response = client_for("hr").get(reverse("payroll:month_export", args=["2026-01"]))
    assert response.status_code == 409
    assert "A01、B01、C01" in response.content.decode()
    # The command exports drafts as a marked preview, and leaves them drafts.
    err = _null()
    call_command(
        "export_payroll", "2026-01", "-o", str(tmp_path / "x.xlsx"), stdout=_null(), stderr=err
    )
    assert "Preview, not for payment" in err.getvalue()
    assert openpyxl.load_workbook(tmp_path / "x.xlsx").sheetnames == ["工资表（草稿预览）"]
    assert set(PayrollRun.objects.values_list("status", flat=True)) == {"draft"}
    response = client_for("hr").get(reverse("payroll:month_export", args=["2031-01"]))
    assert response.status_code == 404


CONFIRM = {"confirm": "yes"}  # what the confirm dialog posts (orgs.confirm)


def _exported_file(client, response) -> bytes:
    """Follow an export POST's redirect to its job's page and download the file it offers."""
    assert response.status_code == 302, response.status_code
    job = response.url.rstrip("/").split("/")[-1]
    assert response.url == reverse("payroll:export_status", args=[job])
    page = client.get(response.url).content.decode()
    assert 'data-state="done"' in page
    file = client.get(reverse("payroll:export_download", args=[job]))
    assert file.status_code == 200 and file["Content-Type"] == XLSX
    return b"".join(file.streaming_content)


@pytest.mark.parametrize(
    ("persona", "run_of", "status"),
    [
        ("hr", "A01", 200),
        ("payroll", "A01", 200),
        ("head_a", "A01", 403),
        ("auditor", "A01", 403),
        ("payroll", "B01", 404),
        ("anonymous", "A01", 302),
    ],
)
def test_run_export_personas(
    world, imported, client_for, persona, run_of, status, django_capture_on_commit_callbacks
):
    _confirm_all(world, JAN)
    run = PayrollRun.objects.get(institution__code=run_of, month=JAN)
    url = reverse("payroll:run_export", args=[run.pk])
    client = client_for(persona)
    # A GET changes nothing: a run not exported yet is sent back to its page and its button.
    response = client.get(url)
    if status == 200:
        assert response.status_code == 302
        assert response["Location"] == reverse("payroll:run_detail", args=[run.pk])
    else:
        assert response.status_code == status
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.CONFIRMED and run.exported_at is None
    # The dialog's confirmed POST exports it: the job writes the file and marks the run.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, CONFIRM)
    run.refresh_from_db()
    if status == 200:
        _check_export(_exported_file(client, response), JAN, [run_of])
        assert run.status == PayrollRun.Status.EXPORTED
        # The file of an exported run is a GET download again, which changes nothing.
        exported_at, audited = run.exported_at, AuditEvent.objects.count()
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        _check_export(b"".join(response.streaming_content), JAN, [run_of])
        run.refresh_from_db()
        assert run.exported_at == exported_at and AuditEvent.objects.count() == audited
    else:
        assert response.status_code == status
        assert run.status == PayrollRun.Status.CONFIRMED
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))


def test_exporting_for_payment_needs_the_dialogs_confirmation(world, imported, client_for):
    """Issue 16's "GET export links change state", fixed for payroll: only a confirmed POST
    marks runs exported; a POST without confirm=yes is refused (400) and changes nothing."""
    _confirm_all(world, JAN)
    client = client_for("hr")
    run = PayrollRun.objects.get(institution=world.a, month=JAN)
    before = AuditEvent.objects.count()
    for url in (
        reverse("payroll:run_export", args=[run.pk]),
        reverse("payroll:month_export", args=["2026-01"]),
    ):
        assert client.post(url).status_code == 400
        assert client.post(url, {"confirm": "no"}).status_code == 400
        response = client.get(url)  # the old download link: back to where the button is
        assert response.status_code == 302
    assert response["Location"] == reverse("payroll:run_list") + "?month=2026-01"
    assert set(PayrollRun.objects.values_list("status", flat=True)) == {"confirmed"}
    assert AuditEvent.objects.count() == before


def test_month_export_covers_the_officers_institutions_only(
    world, imported, client_for, django_capture_on_commit_callbacks
):
    _confirm_all(world, JAN)
    client = client_for("payroll")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payroll:month_export", args=["2026-01"]), CONFIRM)
    _check_export(_exported_file(client, response), JAN, ["A01"])
    statuses = dict(PayrollRun.objects.filter(month=JAN).values_list("institution__code", "status"))
    assert statuses == {"A01": "exported", "B01": "confirmed", "C01": "confirmed"}
    # Exported: the month is a plain download for its officer, and stays as it is.
    response = client.get(reverse("payroll:month_export", args=["2026-01"]))
    assert response.status_code == 200
    _check_export(b"".join(response.streaming_content), JAN, ["A01"])
    assert (
        client_for("head_a").get(reverse("payroll:month_export", args=["2026-01"])).status_code
        == 403
    )
    assert (
        client_for("head_a")
        .post(reverse("payroll:month_export", args=["2026-01"]), CONFIRM)
        .status_code
        == 403
    )
    assert client_for("hr").get("/payroll/months/2026-1/export.xlsx").status_code == 404
    assert client_for("hr").get("/payroll/months/nonsense/export.xlsx").status_code == 404


def _export_queries(client, month: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("payroll:month_export", args=[month]))
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_export_query_count_does_not_grow_with_the_lines(world, client_for):
    hr = world.users["hr"]
    for i in range(7):
        EmployeeFactory(staff_number=f"A1{i:03d}", institution=world.a)
    services.policy_save(
        actor=hr,
        year=2026,
        institution=world.a,
        per_capita=D("36000"),
        basic_ratio=D("0.6"),
        settlement_month=DEC,
    )
    client = client_for("hr")
    counts = []
    for month, more in ((JAN, 0), (datetime.date(2026, 2, 1), 40)):
        for i in range(more):
            EmployeeFactory(staff_number=f"A2{i:03d}", institution=world.a)
        run = services.payroll_run_compute(actor=hr, institution=world.a, month=month)
        services.payroll_run_confirm(actor=hr, run=run)
        services.payroll_run_mark_exported(actor=hr, run=run)  # a GET downloads exported runs
        assert run.lines.count() == 10 + more
        counts.append(_export_queries(client, f"{month:%Y-%m}"))
    assert counts[0] == counts[1]


def test_export_job_end_to_end(world, imported, client_for, django_capture_on_commit_callbacks):
    _confirm_all(world, DEC)
    hr = client_for("hr")
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(reverse("payroll:month_export", args=["2026-12"]), CONFIRM)
    assert response.status_code == 302
    job = response.url.rstrip("/").split("/")[-1]
    assert response.url == reverse("payroll:export_status", args=[job])
    page = hr.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-state="done"' in html and "every 2s" not in html
    download = reverse("payroll:export_download", args=[job])
    assert download in html
    file = hr.get(download)
    assert file.status_code == 200 and file["Content-Type"] == XLSX
    assert "%E5%B7%A5%E8%B5%84%E8%A1%A8_2026-12.xlsx" in file["Content-Disposition"]
    _check_export(b"".join(file.streaming_content), DEC, ["A01", "B01", "C01"])
    assert set(PayrollRun.objects.filter(month=DEC).values_list("status", flat=True)) == {
        "exported"
    }
    record = export_job_get(job, world.users["hr"])
    assert (record["state"], record["done"], record["total"]) == ("done", 20, 20)
    # Somebody else's job does not exist for them.
    other = client_for("payroll")
    assert other.get(reverse("payroll:export_status", args=[job])).status_code == 404
    assert other.get(download).status_code == 404
    assert hr.get(reverse("payroll:export_status", args=["0" * 32])).status_code == 404
    assert hr.get(reverse("payroll:export_download", args=["..etc"])).status_code == 404


def test_export_status_polls_while_the_job_runs(world, client_for):
    job = "a" * 32
    record = {"state": "running", "done": 2000, "total": 8000, "filename": "x.xlsx"}
    cache.set(JOB_KEY.format(job), record | {"user_id": world.users["hr"].pk, "month": "2026-12"})
    response = client_for("hr").get(
        reverse("payroll:export_status", args=[job]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'hx-trigger="every 2s"' in html and 'value="25"' in html
    assert reverse("payroll:export_download", args=[job]) not in html
    assert client_for("hr").get(reverse("payroll:export_download", args=[job])).status_code == 404


# --- Paid wages and reconciliation ---------------------------------------------------------------


def test_paid_wages_are_imported_and_reconciled(world, imported):
    _confirm_all(world, DEC)
    lines = dict(
        PayrollRun.objects.get(institution=world.a, month=DEC).lines.values_list(
            "staff_number", "gross"
        )
    )
    paid = [(n, g) for n, g in lines.items() if n != "A0005"]  # A0005 not paid
    paid = [(n, g + CENT if n == "A0001" else g) for n, g in paid]  # A0001 a cent more
    result = paid_workbook_import(
        actor=world.users["payroll"], month=DEC, file=workbook(paid_sheet(paid))
    )
    assert (result.created, result.updated, [i.code for i in result.institutions]) == (
        8,
        0,
        ["A01"],
    )
    report = services.reconcile(institution=world.a, month=DEC)
    assert len(report.matches) == 7
    assert [(d["staff_number"], d["difference"]) for d in report.differences] == [("A0001", CENT)]
    assert [m["staff_number"] for m in report.missing] == ["A0005"]
    assert not report.reconciled

    # Paid again, right this time: replaced, not duplicated.
    fixed = [(n, lines[n]) for n in lines]
    again = paid_workbook_import(
        actor=world.users["hr"], month=DEC, file=workbook(paid_sheet(fixed, extra_column=False))
    )
    assert (again.created, again.updated, again.unchanged) == (1, 1, 7)
    assert services.reconcile(institution=world.a, month=DEC).reconciled
    assert PaidWage.objects.filter(month=DEC).count() == 9


def test_paid_import_refuses_unknown_and_out_of_scope_staff(world, imported, client_for):
    sheet = paid_sheet([("A0000", D("100")), ("B0000", D("100")), ("ZZ000", D("1.005"))])
    with pytest.raises(ImportFailed) as failure:
        paid_workbook_import(actor=world.users["payroll"], month=DEC, file=workbook(sheet))
    found = [(e.sheet, e.row, e.column, e.value) for e in failure.value.errors]
    assert found == [
        ("实发工资", 3, "工号", "B0000"),
        ("实发工资", 4, "工号", "ZZ000"),
        ("实发工资", 4, "应发合计", 1.005),
    ]
    assert PaidWage.objects.count() == 0
    # The page: the same refusal, each problem at its row.
    response = client_for("payroll").post(
        reverse("payroll:paid_import"), {"month": "2026-12", "file": upload(sheet)}
    )
    assert response.status_code == 400
    assert "B0000" in response.content.decode()
    assert PaidWage.objects.count() == 0
    assert client_for("head_a").get(reverse("payroll:paid_import")).status_code == 403


def _checked(response) -> str:
    """The token of an upload the page checked and keeps, from its confirm dialog."""
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    assert 'data-testid="import-check"' in html
    return re.search(r'name="upload" value="([0-9a-f]{32})"', html).group(1)


def test_paid_import_page_checks_then_imports_on_confirmation(world, imported, client_for):
    """The upload is checked first (nothing written) and the page says what importing it will
    write; the dialog's confirmed POST imports it and shows each institution's reconciliation.
    Without confirm=yes the import is refused (400); an upload is imported once, by its uploader."""
    _confirm_all(world, DEC)
    lines = PayrollRun.objects.get(institution=world.a, month=DEC).lines.all()
    sheet = paid_sheet([(line.staff_number, line.gross) for line in lines])
    client = client_for("payroll")
    response = client.post(
        reverse("payroll:paid_import"), {"month": "2026-12", "file": upload(sheet)}
    )
    token = _checked(response)
    summary = response.context["summary"]
    assert (summary.rows, summary.created, summary.updated) == (9, 9, 0)
    assert [i.code for i in summary.institutions] == ["A01"]
    dialog = response.content.decode().split('data-testid="import-apply"')[1]
    assert "9 payments of 2026-12" in dialog and "A01 甲机构" in dialog
    assert PaidWage.objects.count() == 0
    apply = reverse("payroll:paid_import_apply")
    assert client.post(apply, {"upload": token}).status_code == 400
    assert client_for("hr").post(apply, {"upload": token, **CONFIRM}).status_code == 400
    assert PaidWage.objects.count() == 0
    response = client.post(apply, {"upload": token, **CONFIRM})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-institution="A01"' in html and "9 created" in html
    assert PaidWage.objects.filter(month=DEC).count() == 9
    assert response.context["reports"][0].state == "reconciled"
    # Imported once: the same token again imports nothing.
    assert client.post(apply, {"upload": token, **CONFIRM}).status_code == 400
    assert AuditEvent.objects.filter(action="payroll.paid_import").count() == 1


# --- Pages ----------------------------------------------------------------------------------------


def test_import_page_and_template(world, published, client_for):
    hr = client_for("hr")
    template = hr.get(reverse("payroll:import_template"))
    assert template.status_code == 200
    wb = exported_sheet(b"".join(template.streaming_content)).parent
    assert wb.sheetnames == ["工资政策", "奖励系数", "个人等次系数", "员工", "说明"]
    assert [c.value for c in wb["员工"][1]] == [*EMPLOYEES_HEADERS_WITH_POST]
    before = _counts()
    response = hr.post(reverse("payroll:import"), {"file": upload(full_payroll())})
    token = _checked(response)  # checked: nothing written yet, the dialog says what will be
    assert _counts() == before
    dialog = response.content.decode().split('data-testid="import-apply"')[1]
    assert "Employees: 11 created, 9 updated" in dialog
    summary = response.context["summary"]
    assert (summary.employees_created, summary.employees_updated) == (11, 9)
    assert summary.policies_created == len(full_payroll()["工资政策"]) - 1
    apply = reverse("payroll:import_apply")
    response = hr.post(apply, {"upload": token})  # not confirmed: refused, nothing written
    assert response.status_code == 400 and _counts() == before
    response = hr.post(apply, {"upload": token, "confirm": "yes"})
    assert response.status_code == 200
    assert "Employees: 11 created, 9 updated" in response.content.decode()
    assert _counts() != before
    sheets = full_payroll()
    sheets["工资政策"][1][3] = "0.8"
    response = hr.post(reverse("payroll:import"), {"file": upload(sheets)})
    assert response.status_code == 400
    assert "基础性比例" in response.content.decode()
    for persona, status in (("payroll", 403), ("head_a", 403), ("anonymous", 302)):
        assert client_for(persona).get(reverse("payroll:import")).status_code == status
        assert client_for(persona).post(apply, {"confirm": "yes"}).status_code == status


EMPLOYEES_HEADERS_WITH_POST = [
    "工号",
    "姓名",
    "机构编码",
    "是否正式",
    "岗位系数",
    "岗位工资",
    "薪级工资",
    "特殊岗位津贴",
    "个人等次",
    "岗位",
]


# --- Commands -------------------------------------------------------------------------------------


def test_import_payroll_command(world, published, tmp_path):
    path = tmp_path / "payroll.xlsx"
    path.write_bytes(workbook(full_payroll()).getvalue())
    out = _null()
    call_command("import_payroll", str(path), "--actor", "hr", stdout=out)
    assert "Employees: 11 created, 9 updated" in out.getvalue()

    before = _counts()
    sheets = full_payroll()
    sheets["员工"][3][4] = "0"  # A0002's post coefficient
    path.write_bytes(workbook(sheets).getvalue())
    err = _null()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_payroll", str(path), "--actor", "hr", stderr=err)
    assert "员工!E4" in err.getvalue()
    with pytest.raises(CommandError, match="HR"):
        call_command("import_payroll", str(path), "--actor", "payroll")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_payroll", str(tmp_path / "none.xlsx"), "--actor", "hr")
    assert _counts() == before


def test_run_payroll_command(world, imported):
    out, err = _null(), _null()
    call_command("run_payroll", "2026-01", stdout=out, stderr=err)
    assert "A01, B01, C01" in out.getvalue()
    assert PayrollRun.objects.filter(month=JAN).count() == 3
    with pytest.raises(CommandError, match="not a month"):
        call_command("run_payroll", "2026-13")
    with pytest.raises(CommandError, match="No institution has a pay policy"):
        call_command("run_payroll", "2030-01")


def test_run_payroll_settles_unpublished_results_provisionally(world, imported):
    Scheme.objects.filter(year=2026).update(status=Scheme.Status.OPEN)
    call_command("run_payroll", "2026-12", stdout=_null(), stderr=_null())
    runs = PayrollRun.objects.filter(month=DEC)
    assert runs.count() == 3 and all(run.provisional for run in runs)


def test_run_payroll_reports_refused_institutions(world, imported):
    Result.objects.filter(scheme__year=2026, institution=world.a).delete()
    err = _null()
    with pytest.raises(CommandError, match="1 institution"):
        call_command("run_payroll", "2026-12", stdout=_null(), stderr=err)
    assert "A01 refused" in err.getvalue() and "no 2026 result" in err.getvalue()


def test_export_payroll_command_failures(world, imported, tmp_path):
    _confirm_all(world, JAN)
    target = str(tmp_path / "out.xlsx")
    with pytest.raises(CommandError, match="not a month"):
        call_command("export_payroll", "January", "-o", target)
    with pytest.raises(CommandError, match="ZZ9"):
        call_command("export_payroll", "2026-01", "-o", target, "--institution", "ZZ9")
    with pytest.raises(CommandError, match="no payroll run"):
        call_command("export_payroll", "2026-05", "-o", target)
    with pytest.raises(CommandError, match="may not export"):
        call_command("export_payroll", "2026-01", "-o", target, "--actor", "head_a")
    assert set(PayrollRun.objects.values_list("status", flat=True)) == {"confirmed"}
    out = _null()
    call_command("export_payroll", "2026-01", "-o", target, "--actor", "payroll", stdout=out)
    assert "(A01)" in out.getvalue()
    assert AuditEvent.objects.filter(action="payroll.export").count() == 1


def test_import_paid_command(world, imported, tmp_path):
    _confirm_all(world, DEC)
    lines = PayrollRun.objects.get(institution=world.b, month=DEC).lines.all()
    path = tmp_path / "paid.xlsx"
    path.write_bytes(workbook(paid_sheet([(x.staff_number, x.gross) for x in lines])).getvalue())
    out = _null()
    call_command("import_paid", "2026-12", str(path), "--actor", "hr", stdout=out)
    assert "6 created" in out.getvalue() and "B01: 6 match, 0 differ" in out.getvalue()
    path.write_bytes(workbook(paid_sheet([("NOBODY", D("1"))])).getvalue())
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_paid", "2026-12", str(path), "--actor", "hr", stderr=_null())
    with pytest.raises(CommandError, match="not a month"):
        call_command("import_paid", "12/2026", str(path), "--actor", "hr")
    with pytest.raises(CommandError, match="payroll officer"):
        call_command("import_paid", "2026-12", str(path), "--actor", "head_a")
    assert PaidWage.objects.count() == 6


def test_export_job_fails_cleanly_when_a_run_is_a_draft_again(world, imported):
    """The job checks again when it runs: a month that has a draft by then is not written."""
    _confirm_all(world, DEC)
    hr = world.users["hr"]
    job = export_job_start(user=hr, month=DEC)
    PayrollRun.objects.filter(institution=world.b, month=DEC).update(status="draft")
    record = export_month(job, DEC.isoformat(), hr.pk)
    assert record["state"] == "failed" and "B01" in record["error"]
    assert not export_path(job).exists()
    assert set(PayrollRun.objects.filter(month=DEC).values_list("status", flat=True)) == {
        "confirmed",
        "draft",
    }
