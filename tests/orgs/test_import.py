"""Excel import of institutions and employees (orgs/importing.py), its pages and its command."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs import importing, services
from orgs.importing import (
    EMPLOYEE_SHEET,
    INSTITUTION_SHEET,
    ImportFailed,
    orgs_workbook_import,
    workbook_read,
    workbook_validate,
)
from orgs.models import AuditEvent, Employee, Institution, Role, Stage

from ..factories import EmployeeFactory, InstitutionFactory, UserFactory

INST_HEADERS = ["机构代码", "机构名称", "考核组别", "一把手账号", "试点", "推进阶段", "编制人数"]
EMP_HEADERS = [
    "工号",
    "姓名",
    "机构代码",
    "岗位",
    "岗位系数",
    "是否正式",
    "岗位工资",
    "薪级工资",
    "特殊岗位津贴",
    "在职",
]


def xlsx(institutions=None, employees=None, *, inst_headers=None, emp_headers=None, extra=None):
    """An in-memory workbook. Rows are lists of cell values; [] leaves a blank row."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = []
    if institutions is not None:
        sheets.append((INSTITUTION_SHEET, inst_headers or INST_HEADERS, institutions))
    if employees is not None:
        sheets.append((EMPLOYEE_SHEET, emp_headers or EMP_HEADERS, employees))
    for title, headers, rows in [*sheets, *(extra or [])]:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for number, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                ws.cell(row=number, column=col, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def upload(buffer, name="orgs.xlsx"):
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=importing.XLSX_CONTENT_TYPE)


def emp_row(staff_number, institution="A01", coefficient="1.00", **overrides):
    values = {
        "工号": staff_number,
        "姓名": f"员工{staff_number}",
        "机构代码": institution,
        "岗位": "科员",
        "岗位系数": coefficient,
        "是否正式": "是",
        "岗位工资": 3000,
        "薪级工资": 1000.5,
        "特殊岗位津贴": 0,
        "在职": "是",
    } | overrides
    return [values[h] for h in EMP_HEADERS]


def failure_of(buffer, actor) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        orgs_workbook_import(actor=actor, file=upload(buffer))
    return caught.value


def where(errors):
    return {(e.sheet, e.row, e.column, e.column_letter) for e in errors}


@pytest.fixture
def hr(world):
    return world.users["hr"]


@pytest.fixture
def snapshot_counts(world):
    def take():
        return (Institution.objects.count(), Employee.objects.count(), AuditEvent.objects.count())

    return take


# --- The template -------------------------------------------------------------------------------


def test_template_downloads_for_hr(client_for):
    response = client_for("hr").get(reverse("orgs:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == importing.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["机构", "员工", "说明"]
    inst, emp = wb["机构"], wb["员工"]
    assert [c.value for c in inst[1]] == INST_HEADERS
    assert [c.value for c in emp[1]] == EMP_HEADERS
    assert inst["A1"].font.b and emp["A1"].font.b
    assert inst.freeze_panes == emp.freeze_panes == "A2"
    assert inst["A2"].value and emp["A2"].value  # an example row each
    assert emp.column_dimensions["A"].number_format == "@"  # staff numbers keep leading zeros
    help_text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "环境搭建" in help_text and "正式运行" in help_text and "是" in help_text


@pytest.mark.parametrize("persona", ["head_a", "scorer", "auditor", "payroll", "norole"])
def test_template_is_hr_only(client_for, persona):
    assert client_for(persona).get(reverse("orgs:import_template")).status_code == 403


def test_template_needs_login(client_for):
    response = client_for("anonymous").get(reverse("orgs:import_template"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_template_example_rows_import_cleanly(hr):
    """The template and the parser agree: its example rows import as they are."""
    result = orgs_workbook_import(actor=hr, file=importing.template_workbook_bytes())
    assert (result.institutions_created, result.employees_created) == (1, 1)
    employee = Employee.objects.get(staff_number="000123")
    assert employee.institution.code == "A001"
    assert employee.institution.group.name == "第一组"
    assert employee.institution.stage == Stage.DATA
    assert employee.post_coefficient == Decimal("1.20")
    assert employee.grade_wage == Decimal("1200.50")


# --- Importing ----------------------------------------------------------------------------------


def test_good_workbook_creates_and_updates_with_audit(world, hr):
    new_head = UserFactory(username="head_n", role=Role.HEAD)
    audit_before = AuditEvent.objects.count()
    buffer = xlsx(
        institutions=[
            ["A01", "甲机构", "G1", "head_a", "是", "试运行", 30],  # update: stage, headcount
            ["N01", "新机构", "第二组", "head_n", "否", "setup", 12],  # create, group by name
        ],
        employees=[
            emp_row("A0000", coefficient="1.50", 岗位工资="3100.00"),  # update
            emp_row("N0001", institution="N01"),  # create, in an institution of the sheet
            emp_row("B9999", institution="B01", 在职=None),  # create, blank 在职 = 是
        ],
    )
    result = orgs_workbook_import(actor=hr, file=upload(buffer))

    assert result == importing.ImportResult(
        institutions_created=1, institutions_updated=1, employees_created=2, employees_updated=1
    )
    a = Institution.objects.get(code="A01")
    assert (a.stage, a.formal_headcount, a.head, a.is_pilot) == (
        Stage.TRIAL,
        30,
        world.users["head_a"],
        True,
    )
    n = Institution.objects.get(code="N01")
    assert (n.name, n.group, n.head, n.is_pilot, n.stage) == (
        "新机构",
        world.g2,
        new_head,
        False,
        Stage.SETUP,
    )
    a0 = Employee.objects.get(staff_number="A0000")
    assert (a0.post_coefficient, a0.post_wage) == (Decimal("1.50"), Decimal("3100.00"))
    assert Employee.objects.get(staff_number="N0001").institution == n
    assert Employee.objects.get(staff_number="B9999").is_active is True

    events = AuditEvent.objects.order_by("id")[audit_before:]
    assert sorted(e.action for e in events) == [
        "employee.create",
        "employee.create",
        "employee.update",
        "institution.create",
        "institution.update",
    ]
    assert {e.actor for e in events} == {hr}
    update = next(e for e in events if e.action == "employee.update")
    assert update.before["post_coefficient"] == "1.00"
    assert update.after["post_coefficient"] == "1.50"


def test_same_workbook_twice_changes_nothing_the_second_time(world, hr):
    buffer = xlsx(
        institutions=[["N01", "新机构", "G1", None, "否", "正式运行", 5]],
        employees=[emp_row("N0001", institution="N01")],
    )
    orgs_workbook_import(actor=hr, file=upload(buffer))
    audit = AuditEvent.objects.count()
    again = orgs_workbook_import(actor=hr, file=upload(buffer))
    assert again == importing.ImportResult(institutions_unchanged=1, employees_unchanged=1)
    assert AuditEvent.objects.count() == audit


def test_columns_in_any_order_and_left_out_columns_are_untouched(world, hr):
    before = Employee.objects.get(staff_number="A0001")
    buffer = xlsx(
        employees=[["2.25", "A0001", "科长", "A01", "甲一"]],
        emp_headers=["岗位系数", "工号", "岗位", "机构代码", "姓名"],
    )
    result = orgs_workbook_import(actor=hr, file=upload(buffer))
    assert result.employees_updated == 1
    after = Employee.objects.get(staff_number="A0001")
    assert (after.post_coefficient, after.post, after.name) == (Decimal("2.25"), "科长", "甲一")
    assert (after.post_wage, after.grade_wage, after.is_formal) == (
        before.post_wage,
        before.grade_wage,
        before.is_formal,
    )


def test_blank_group_and_head_mean_none(world, hr):
    buffer = xlsx(institutions=[["A01", "甲机构", None, None, "是", "正式运行", 10]])
    orgs_workbook_import(actor=hr, file=upload(buffer))
    a = Institution.objects.get(code="A01")
    assert a.group is None and a.head is None


def test_one_bad_row_imports_nothing_and_says_where(world, hr, snapshot_counts):
    """The bad 岗位系数 sits in column C of Excel row 7 (rows 3 and 5 are blank and skipped)."""
    headers = ["工号", "姓名", "岗位系数", "机构代码", "岗位"]
    before = snapshot_counts()
    buffer = xlsx(
        institutions=[["N01", "新机构", "G1", None, "是", "验收", 3]],
        employees=[
            ["N0001", "张三", 1, "N01", "科员"],  # row 2
            [],  # row 3
            ["N0002", "李四", "1.10", "N01", "科员"],  # row 4
            [],  # row 5
            ["A0000", "王五", 1.2, "A01", "科员"],  # row 6
            ["N0003", "赵六", "abc", "N01", "科员"],  # row 7
            ["N0004", "钱七", "0.80", "N01", "科员"],  # row 8
        ],
        emp_headers=headers,
    )
    failure = failure_of(buffer, hr)

    assert len(failure.errors) == 1
    error = failure.errors[0]
    assert (error.sheet, error.row, error.column, error.column_letter, error.value) == (
        "员工",
        7,
        "岗位系数",
        "C",
        "abc",
    )
    assert error.cell == "员工!C7"
    assert str(error) == f'员工!C7 岗位系数 = "abc": {error.message}'
    assert error.message  # the reason, in the active language
    assert snapshot_counts() == before
    assert not Institution.objects.filter(code="N01").exists()
    assert Employee.objects.get(staff_number="A0000").name != "王五"


def test_several_errors_are_all_reported(world, hr, snapshot_counts):
    before = snapshot_counts()
    buffer = xlsx(
        institutions=[
            ["A 01", "坏代码", None, None, "是", "正式运行", 1],  # row 2: code format
            ["N02", "新二", "G9", None, "是", "正式运行", 1],  # row 3: unknown group
            ["N03", "新三", None, "nobody", "是", "正式运行", 1],  # row 4: unknown user
            ["N04", "新四", None, "scorer", "是", "正式运行", 1],  # row 5: not a head
            ["N05", "新五", None, None, "也许", "未知阶段", -1],  # row 6: bool, stage, negative
            ["N06", "乙机构", None, None, "否", "正式运行", 1],  # row 7: name taken by B01
            ["N07", "新七", None, "head_b", "否", "正式运行", 1],  # row 8: head_b heads B01
            ["N08", "", None, None, "否", "正式运行", 1.5],  # row 9: name required, not whole
        ],
        employees=[
            emp_row("E1", 姓名=None),  # row 2: name required
            emp_row("E2", 特殊岗位津贴=1.005),  # row 3: three decimals
            emp_row("E3", institution="ZZZ"),  # row 4: unknown institution
            emp_row("E4", coefficient="0"),  # row 5: coefficient must be > 0
            emp_row("E5", 岗位工资="-1"),  # row 6: negative money
            emp_row("E6", 在职="x"),  # row 7: not a boolean
        ],
    )
    failure = failure_of(buffer, hr)

    assert where(failure.errors) == {
        ("机构", 2, "机构代码", "A"),
        ("机构", 3, "考核组别", "C"),
        ("机构", 4, "一把手账号", "D"),
        ("机构", 5, "一把手账号", "D"),
        ("机构", 6, "试点", "E"),
        ("机构", 6, "推进阶段", "F"),
        ("机构", 6, "编制人数", "G"),
        ("机构", 7, "机构名称", "B"),
        ("机构", 8, "一把手账号", "D"),
        ("机构", 9, "机构名称", "B"),
        ("机构", 9, "编制人数", "G"),
        ("员工", 2, "姓名", "B"),
        ("员工", 3, "特殊岗位津贴", "I"),
        ("员工", 4, "机构代码", "C"),
        ("员工", 5, "岗位系数", "E"),
        ("员工", 6, "岗位工资", "G"),
        ("员工", 7, "在职", "J"),
    }
    # Listed as HR reads the workbook: sheet by sheet, row by row, left to right.
    assert [(e.sheet, e.row, e.column_letter) for e in failure.errors][:3] == [
        ("机构", 2, "A"),
        ("机构", 3, "C"),
        ("机构", 4, "D"),
    ]
    assert failure.errors[-1].sheet == "员工"
    assert snapshot_counts() == before


def test_duplicate_staff_numbers_name_both_rows(world, hr):
    buffer = xlsx(employees=[emp_row("E1"), emp_row("E2"), emp_row("E1")])
    failure = failure_of(buffer, hr)
    assert where(failure.errors) == {("员工", 4, "工号", "A")}
    assert "2, 4" in failure.errors[0].message
    assert not Employee.objects.filter(staff_number__in=["E1", "E2"]).exists()


def test_duplicate_codes_names_and_heads_within_the_sheet(world, hr):
    UserFactory(username="head_n", role=Role.HEAD)
    buffer = xlsx(
        institutions=[
            ["N01", "新一", None, "head_n", "否", "setup", 1],
            ["N01", "新二", None, None, "否", "setup", 1],
            ["N03", "新一", None, "head_n", "否", "setup", 1],
        ]
    )
    failure = failure_of(buffer, hr)
    assert where(failure.errors) == {
        ("机构", 3, "机构代码", "A"),
        ("机构", 4, "机构名称", "B"),
        ("机构", 4, "一把手账号", "D"),
    }


def test_unknown_institution_code(world, hr):
    buffer = xlsx(employees=[emp_row("E1", institution="NOPE")])
    [error] = failure_of(buffer, hr).errors
    assert (error.sheet, error.row, error.column, error.value) == ("员工", 2, "机构代码", "NOPE")
    assert not Employee.objects.filter(staff_number="E1").exists()


def test_a_head_can_move_between_institutions_in_one_workbook(world, hr):
    """head_a leaves A01 for C01: the row releasing them is written first, whatever the order."""
    buffer = xlsx(
        institutions=[
            ["C01", "丙机构", "G1", "head_a", "否", "正式运行", 10],
            ["A01", "甲机构", "G1", None, "是", "正式运行", 10],
        ]
    )
    orgs_workbook_import(actor=hr, file=upload(buffer))
    assert Institution.objects.get(code="C01").head == world.users["head_a"]
    assert Institution.objects.get(code="A01").head is None


def test_a_swap_between_rows_is_refused(world, hr):
    buffer = xlsx(
        institutions=[
            ["A01", "乙机构", "G1", "head_a", "是", "正式运行", 10],
            ["B01", "甲机构", "G2", "head_b", "是", "正式运行", 10],
        ]
    )
    failure = failure_of(buffer, hr)
    assert {(e.row, e.column) for e in failure.errors} == {(2, ""), (3, "")}
    assert Institution.objects.get(code="A01").name == "甲机构"


def test_unknown_and_missing_columns(world, hr):
    buffer = xlsx(
        employees=[["E1", "张三", "A01", "1.00", "x"]],
        emp_headers=["工号", "姓名", "机构代码", "岗位系数", "备注"],
    )
    failure = failure_of(buffer, hr)
    assert where(failure.errors) == {("员工", 1, "备注", "E"), ("员工", 1, "岗位", "")}


def test_workbook_without_either_sheet(world, hr):
    buffer = xlsx(extra=[("Sheet1", ["a"], [[1]])])
    [error] = failure_of(buffer, hr).errors
    assert (error.sheet, error.row) == ("", 0)


def test_workbook_without_rows(world, hr):
    [error] = failure_of(xlsx(institutions=[[], []]), hr).errors
    assert (error.sheet, error.row) == ("", 0)


@pytest.mark.parametrize(
    "content",
    [b"staff_number,name\nE1,Zhang\n", b"PK\x03\x04 not really a zip", b""],
    ids=["csv", "broken-zip", "empty"],
)
def test_not_an_xlsx_gives_a_clear_error(world, hr, content):
    file = SimpleUploadedFile("orgs.xlsx", content)
    with pytest.raises(ImportFailed) as caught:
        orgs_workbook_import(actor=hr, file=file)
    [error] = caught.value.errors
    assert (error.sheet, error.row) == ("", 0)
    assert str(error) == error.message


def test_a_zip_that_is_not_a_workbook(world, hr):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(ImportFailed) as caught:
        orgs_workbook_import(actor=hr, file=SimpleUploadedFile("x.xlsx", buffer.getvalue()))
    assert caught.value.errors[0].row == 0


def test_too_large_a_file_is_refused(world, hr, settings):
    settings.IMPORT_MAX_BYTES = 1000
    buffer = xlsx(employees=[emp_row(f"E{i}") for i in range(50)])
    [error] = failure_of(buffer, hr).errors
    assert (error.sheet, error.row) == ("", 0)


def test_too_many_rows_are_refused(world, hr, monkeypatch):
    monkeypatch.setattr(importing.reading, "MAX_ROWS_PER_SHEET", 5)
    buffer = xlsx(employees=[emp_row(f"E{i}") for i in range(6)])
    errors = failure_of(buffer, hr).errors
    assert [(e.sheet, e.row, e.column) for e in errors] == [("员工", 7, "")]
    assert not Employee.objects.filter(staff_number="E0").exists()


def test_only_hr_may_import(world):
    buffer = xlsx(employees=[emp_row("E1")])
    with pytest.raises(PermissionDenied):
        orgs_workbook_import(actor=world.users["head_a"], file=upload(buffer))
    assert not Employee.objects.filter(staff_number="E1").exists()


def test_a_refusal_while_writing_rolls_everything_back(world, hr, monkeypatch, snapshot_counts):
    """Someone else changed the data between the check and the write: the service refuses the
    second employee, and the institution and first employee already written are rolled back."""
    before = snapshot_counts()
    real_save = services.employee_save
    calls = []

    def flaky_save(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ValidationError({"staff_number": ["taken meanwhile"]})
        return real_save(**kwargs)

    monkeypatch.setattr(services, "employee_save", flaky_save)
    buffer = xlsx(
        institutions=[["N01", "新机构", "G1", None, "是", "验收", 3]],
        employees=[emp_row("N0001", institution="N01"), emp_row("N0002", institution="N01")],
    )
    [error] = failure_of(buffer, hr).errors
    assert (error.sheet, error.row, error.column, error.column_letter) == ("员工", 3, "工号", "A")
    assert error.message == "taken meanwhile"
    assert snapshot_counts() == before


# --- Numbers are exact --------------------------------------------------------------------------


def test_money_is_read_exactly(world, hr):
    buffer = xlsx(
        employees=[
            emp_row("E1", 岗位工资=1234.56, 薪级工资="1234.56", 特殊岗位津贴="1,234.50"),
            emp_row("E2", coefficient=1.2, 岗位工资=0.1, 薪级工资=100, 特殊岗位津贴=Decimal("7.1")),
        ]
    )
    orgs_workbook_import(actor=hr, file=upload(buffer))
    e1 = Employee.objects.get(staff_number="E1")
    assert (e1.post_wage, e1.grade_wage, e1.special_allowance) == (
        Decimal("1234.56"),
        Decimal("1234.56"),
        Decimal("1234.50"),
    )
    assert str(e1.post_wage) == "1234.56"
    e2 = Employee.objects.get(staff_number="E2")
    assert (e2.post_coefficient, e2.post_wage, e2.grade_wage, e2.special_allowance) == (
        Decimal("1.20"),
        Decimal("0.10"),
        Decimal("100.00"),
        Decimal("7.10"),
    )


@pytest.mark.parametrize("value", [1.005, "1.005", "0.001", 12.345])
def test_more_than_two_decimals_is_refused_not_rounded(world, hr, value):
    [error] = failure_of(xlsx(employees=[emp_row("E1", 岗位工资=value)]), hr).errors
    assert (error.row, error.column) == (2, "岗位工资")
    assert not Employee.objects.filter(staff_number="E1").exists()


def test_too_many_digits_is_refused(world, hr):
    failure = failure_of(
        xlsx(employees=[emp_row("E1", coefficient="1000", 岗位工资="99999999999.00")]), hr
    )
    assert where(failure.errors) == {("员工", 2, "岗位系数", "E"), ("员工", 2, "岗位工资", "G")}


# --- Reads are set-based ------------------------------------------------------------------------


def _big_workbook(employee_count):
    institutions = [[f"N{i:02d}", f"新机构{i}", "G1", None, "是", "正式运行", 5] for i in range(5)]
    employees = [
        emp_row(f"E{i:05d}", institution=("A01", "B01", "N01", "N02")[i % 4])
        for i in range(employee_count)
    ]
    return workbook_read(upload(xlsx(institutions=institutions, employees=employees)))


def test_validation_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for i in range(0, 200, 2):  # half the workbook's employees exist already
        EmployeeFactory(staff_number=f"E{i:05d}", institution=world.a)
    big, small = _big_workbook(200), _big_workbook(20)
    with CaptureQueriesContext(connection) as small_queries:
        workbook_validate(small)
    with django_assert_max_num_queries(6):
        plan = workbook_validate(big)
    assert len(plan.employees) == 200
    assert len(small_queries) <= 6


def test_import_of_200_employees(world, hr):
    """Writes go through the services, one row at a time; this only checks they all land."""
    data = _big_workbook(200)
    result = importing.import_plan_apply(actor=hr, plan=workbook_validate(data))
    assert (result.institutions_created, result.employees_created) == (5, 200)


# --- The upload page ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head_a", "scorer", "auditor", "payroll"])
def test_upload_is_forbidden_to_others(world, client_for, snapshot_counts, persona):
    before = snapshot_counts()
    buffer = xlsx(
        institutions=[["A01", "被改名", "G1", "head_a", "是", "正式运行", 99]],
        employees=[emp_row("E1")],
    )
    response = client_for(persona).post(reverse("orgs:import_upload"), {"file": upload(buffer)})
    assert response.status_code == 403
    assert snapshot_counts() == before
    assert Institution.objects.get(code="A01").name == "甲机构"


def test_upload_needs_login(client_for):
    response = client_for("anonymous").post(reverse("orgs:import_upload"))
    assert response.status_code == 302


def test_upload_page_shows_every_error(world, client_for, snapshot_counts):
    before = snapshot_counts()
    buffer = xlsx(employees=[emp_row("E1", coefficient="abc"), emp_row("E2", institution="NOPE")])
    response = client_for("hr").post(reverse("orgs:import_upload"), {"file": upload(buffer)})
    assert response.status_code == 400
    errors = response.context["errors"]
    assert where(errors) == {("员工", 2, "岗位系数", "E"), ("员工", 3, "机构代码", "C")}
    html = response.content.decode()
    assert "abc" in html and "NOPE" in html
    assert snapshot_counts() == before


def test_upload_page_rejects_a_non_xlsx(world, client_for):
    file = SimpleUploadedFile("orgs.xlsx", b"not a workbook at all")
    response = client_for("hr").post(reverse("orgs:import_upload"), {"file": file})
    assert response.status_code == 400
    [error] = response.context["errors"]
    assert error.message in response.content.decode()


def test_upload_page_shows_the_counts(world, client_for):
    buffer = xlsx(
        institutions=[["N01", "新机构", "G1", None, "是", "验收", 3]],
        employees=[emp_row("N0001", institution="N01"), emp_row("A0000")],
    )
    client = client_for("hr")
    assert client.get(reverse("orgs:import_upload")).status_code == 200
    response = client.post(reverse("orgs:import_upload"), {"file": upload(buffer)})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.institutions_created, result.employees_created, result.employees_updated) == (
        1,
        1,
        1,
    )
    assert Employee.objects.get(staff_number="N0001").institution.code == "N01"


# --- The management command ---------------------------------------------------------------------


def test_command_imports_and_prints_counts(world, tmp_path):
    path = tmp_path / "orgs.xlsx"
    path.write_bytes(
        xlsx(
            institutions=[["N01", "新机构", "G1", None, "是", "验收", 3]],
            employees=[emp_row("N0001", institution="N01")],
        ).getvalue()
    )
    out = io.StringIO()
    call_command("import_orgs", str(path), actor="hr", stdout=out)
    assert "1 created" in out.getvalue()
    assert Employee.objects.get(staff_number="N0001").institution.code == "N01"
    assert AuditEvent.objects.filter(action="employee.create", actor=world.users["hr"]).exists()


def test_command_prints_every_error_and_imports_nothing(world, tmp_path, snapshot_counts):
    before = snapshot_counts()
    path = tmp_path / "orgs.xlsx"
    path.write_bytes(
        xlsx(employees=[emp_row("E1"), emp_row("E2", coefficient="abc"), emp_row("E1")]).getvalue()
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_orgs", str(path), actor="hr", stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith('员工!E3 岗位系数 = "abc"')
    assert lines[1].startswith('员工!A4 工号 = "E1"')
    assert snapshot_counts() == before


@pytest.mark.parametrize("actor", ["head_a", "auditor", "nobody"])
def test_command_needs_an_hr_actor(world, tmp_path, snapshot_counts, actor):
    before = snapshot_counts()
    path = tmp_path / "orgs.xlsx"
    path.write_bytes(xlsx(employees=[emp_row("E1")]).getvalue())
    with pytest.raises(CommandError):
        call_command("import_orgs", str(path), actor=actor)
    assert snapshot_counts() == before


def test_command_reports_a_missing_file(world, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_orgs", str(tmp_path / "missing.xlsx"), actor="hr")


def test_a_failed_import_leaves_existing_rows_as_they_were(world, hr):
    InstitutionFactory(code="K01", name="旧名")
    failure_of(xlsx(institutions=[["K01", "新名", "G9", None, "是", "验收", 3]]), hr)
    assert Institution.objects.get(code="K01").name == "旧名"


def test_forgiving_reading_of_headers_and_cells(world, hr):
    """Required-marks on headers, numbers typed into text columns, Excel booleans, English
    stage values and padding spaces are all read as HR meant them."""
    buffer = xlsx(
        institutions=[[" N01 ", "新机构", " G1", None, True, "Trial run", 7.0]],
        employees=[[1001, "张三 ", "N01", "科员", 1, False, "2,800.00"]],
        inst_headers=[
            "机构代码*",
            "机构名称＊",
            "考核组别",
            "一把手账号",
            "试点",
            "推进阶段",
            "编制人数",
        ],
        emp_headers=[" 工号 ", "姓名", "机构代码", "岗位", "岗位系数", "是否正式", "岗位工资"],
    )
    orgs_workbook_import(actor=hr, file=upload(buffer))
    n01 = Institution.objects.get(code="N01")
    assert (n01.group, n01.is_pilot, n01.stage, n01.formal_headcount) == (
        world.g1,
        True,
        Stage.TRIAL,
        7,
    )
    employee = Employee.objects.get(staff_number="1001")
    assert (employee.name, employee.is_formal, employee.post_wage) == (
        "张三",
        False,
        Decimal("2800.00"),
    )


def test_an_employee_moves_to_an_institution_created_in_the_same_workbook(world, hr):
    buffer = xlsx(
        institutions=[["N01", "新机构", "G1", None, "是", "验收", 3]],
        employees=[emp_row("A0001", institution="N01")],
    )
    result = orgs_workbook_import(actor=hr, file=upload(buffer))
    assert result.employees_updated == 1
    assert Employee.objects.get(staff_number="A0001").institution.code == "N01"
