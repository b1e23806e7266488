"""Excel export of institutions and employees (orgs/exporting.py): scope per persona, filters,
exact numbers, and the round trip HR relies on (export, edit, re-import)."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orgs import exporting, importing
from orgs.importing import EMPLOYEE_COLUMNS, INSTITUTION_COLUMNS, orgs_workbook_import
from orgs.models import AuditEvent, Employee, Institution, Stage

from ..factories import EmployeeFactory, InstitutionFactory
from ..personas import PERSONAS, VISIBLE_INSTITUTIONS, statuses

# url name, kwargs, expected status for:  hr  head_a head_b scorer accept payroll auditor norole
# (anonymous is always sent to the login page)
MATRIX = [
    ("orgs:institution_export", {}, "200 200 200 200 200 200 200 403"),
    ("orgs:institution_employees_export", {"code": "A01"}, "200 200 404 403 403 200 200 403"),
    ("orgs:institution_employees_export", {"code": "B01"}, "200 404 200 403 403 404 200 403"),
    ("orgs:institution_employees_export", {"code": "C01"}, "200 404 404 403 403 404 200 403"),
    ("orgs:institution_employees_export", {"code": "NOPE"}, "404 404 404 403 403 404 404 403"),
]
INST_HEADERS = [c.header for c in INSTITUTION_COLUMNS]
EMP_HEADERS = [c.header for c in EMPLOYEE_COLUMNS]


def workbook_of(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(ws) -> list[dict]:
    header, *rows = ws.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def export_institutions(client, query="") -> openpyxl.Workbook:
    response = client.get(reverse("orgs:institution_export") + query)
    assert response.status_code == 200
    return workbook_of(response)


def export_employees(client, code) -> openpyxl.Workbook:
    url = reverse("orgs:institution_employees_export", kwargs={"code": code})
    response = client.get(url)
    assert response.status_code == 200
    return workbook_of(response)


def institution_codes(wb) -> set[str]:
    return {row["机构代码"] for row in rows_of(wb["机构"])}


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "expected"), MATRIX, ids=[f"{m[0]}{m[1]}" for m in MATRIX]
)
def test_export_access(client_for, persona, name, kwargs, expected):
    url = reverse(name, kwargs=kwargs)
    response = client_for(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url)


@pytest.mark.parametrize(
    ("persona", "codes"),
    VISIBLE_INSTITUTIONS.items(),
)
def test_institutions_export_holds_exactly_what_the_persona_may_see(client_for, persona, codes):
    """An institution head cannot reach another institution through the export."""
    assert institution_codes(export_institutions(client_for(persona))) == codes


def test_institutions_export_for_another_head_even_when_asked_by_code(client_for):
    wb = export_institutions(client_for("head_a"), "?q=B01")
    assert institution_codes(wb) == set()


def test_employees_export_holds_only_that_institutions_staff(client_for):
    rows = rows_of(export_employees(client_for("head_a"), "A01")["员工"])
    assert {r["工号"] for r in rows} == {"A0000", "A0001", "A0002"}
    assert {r["机构代码"] for r in rows} == {"A01"}


def test_employees_export_for_payroll_of_their_institution(client_for):
    rows = rows_of(export_employees(client_for("payroll"), "A01")["员工"])
    assert {r["工号"] for r in rows} == {"A0000", "A0001", "A0002"}


def test_employees_workbook_refuses_a_role_without_employee_data(world):
    with pytest.raises(PermissionDenied):
        exporting.employees_workbook(user=world.users["scorer"], institution=world.a)


def test_export_links_on_the_pages(client_for):
    client = client_for("hr")
    html = client.get(reverse("orgs:institution_list") + "?q=甲&stage=formal").content.decode()
    assert 'data-testid="institution-export"' in html
    assert reverse("orgs:institution_export") + "?q=%E7%94%B2&amp;stage=formal" in html
    html = client.get(
        reverse("orgs:institution_list") + "?q=甲", headers={"HX-Request": "true"}
    ).content.decode()
    assert reverse("orgs:institution_export") + "?q=%E7%94%B2" in html  # follows the filters
    url = reverse("orgs:institution_employees", kwargs={"code": "A01"})
    html = client.get(url).content.decode()
    assert reverse("orgs:institution_employees_export", kwargs={"code": "A01"}) in html


# --- The file -----------------------------------------------------------------------------------


def test_institutions_export_is_in_the_import_layout(client_for):
    response = client_for("hr").get(reverse("orgs:institution_export"))
    assert response["Content-Type"] == importing.XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=utf-8''%E6%9C%BA%E6%9E%84_" in disposition  # 机构_YYYYMMDD.xlsx
    wb = workbook_of(response)
    assert wb.sheetnames == [importing.INSTITUTION_SHEET]
    ws = wb[importing.INSTITUTION_SHEET]
    assert [c.value for c in ws[1]] == INST_HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    rows = {r["机构代码"]: r for r in rows_of(ws)}
    assert rows["A01"] == {
        "机构代码": "A01",
        "机构名称": "甲机构",
        "考核组别": "G1",
        "一把手账号": "head_a",
        "试点": "是",
        "推进阶段": "正式运行",
        "编制人数": 10,
    }
    assert (rows["C01"]["一把手账号"], rows["C01"]["试点"]) == (None, "否")
    assert len(rows) == ws.max_row - 1  # no totals row


def test_employees_export_is_in_the_import_layout(client_for, world):
    Employee.objects.filter(staff_number="A0001").update(is_active=False, is_formal=False)
    url = reverse("orgs:institution_employees_export", kwargs={"code": "A01"})
    response = client_for("hr").get(url)
    disposition = response["Content-Disposition"]
    assert "%E5%91%98%E5%B7%A5_A01_" in disposition  # 员工_A01_YYYYMMDD.xlsx
    wb = workbook_of(response)
    assert wb.sheetnames == [importing.EMPLOYEE_SHEET]
    ws = wb[importing.EMPLOYEE_SHEET]
    assert [c.value for c in ws[1]] == EMP_HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    formats = {header: cell.number_format for header, cell in zip(EMP_HEADERS, ws[2], strict=True)}
    assert formats["岗位系数"] == "0.00"
    assert formats["岗位工资"] == formats["薪级工资"] == formats["特殊岗位津贴"] == "#,##0.00"
    assert formats["工号"] == "@"
    left = next(r for r in rows_of(ws) if r["工号"] == "A0001")
    assert (left["在职"], left["是否正式"]) == ("否", "否")
    assert ws.max_row == 4  # three employees, no totals row


def test_money_and_coefficients_are_written_exactly(client_for, world):
    EmployeeFactory(
        staff_number="A0100",
        institution=world.a,
        post_coefficient=Decimal("1.15"),
        post_wage=Decimal("1234.56"),
        grade_wage=Decimal("9999999999.99"),
        special_allowance=Decimal("0.07"),
    )
    url = reverse("orgs:institution_employees_export", kwargs={"code": "A01"})
    content = b"".join(client_for("hr").get(url).streaming_content)
    row = next(
        r
        for r in rows_of(openpyxl.load_workbook(io.BytesIO(content))["员工"])
        if r["工号"] == "A0100"
    )
    assert str(row["岗位工资"]) == "1234.56"
    assert str(row["岗位系数"]) == "1.15"
    # In the file itself: the stored digits (through a float, 0.07 would be 0.07000000000000001).
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    for text in ("1234.56", "9999999999.99", "0.07", "1.15"):
        assert f"<v>{text}</v>" in sheet


# --- Filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("?q=甲", {"A01"}),
        ("?q=01", {"A01", "B01", "C01"}),
        ("?is_pilot=false", {"C01"}),
        ("?stage=formal&is_pilot=true", {"A01", "B01"}),
        ("?stage=setup", set()),
        ("?page=2", {"A01", "B01", "C01"}),  # every page, whatever page the list was on
    ],
)
def test_institutions_export_applies_the_list_filters(client_for, query, codes):
    assert institution_codes(export_institutions(client_for("hr"), query)) == codes


def test_group_filter_is_the_list_pages(client_for, world):
    wb = export_institutions(client_for("hr"), f"?group={world.g1.pk}")
    assert institution_codes(wb) == {"A01", "C01"}
    # A group none of the head's institutions is in is not a choice for them, as on the list.
    list_page = client_for("head_a").get(reverse("orgs:institution_list") + f"?group={world.g2.pk}")
    wb = export_institutions(client_for("head_a"), f"?group={world.g2.pk}")
    assert institution_codes(wb) == {i.code for i in list_page.context["page_obj"]} == {"A01"}


# --- Round trip ---------------------------------------------------------------------------------


def as_upload(wb_bytes: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("export.xlsx", wb_bytes, content_type=importing.XLSX_CONTENT_TYPE)


def test_round_trip_changes_nothing(client_for, world):
    """HR exports institutions and each institution's employees and imports the files as they
    are: everything is found unchanged and nothing is written or audited."""
    world.b.stage = Stage.TRIAL
    world.b.formal_headcount = 0
    world.b.save()
    d = InstitutionFactory(code="D01", name="丁机构", group=None, is_pilot=False, stage=Stage.SETUP)
    EmployeeFactory(staff_number="D0000", institution=d, is_formal=False)
    EmployeeFactory(
        staff_number="007", institution=world.c, post_wage=Decimal("1234.56"), is_active=False
    )
    client = client_for("hr")
    hr = world.users["hr"]
    institutions = Institution.objects.count()
    before = list(Employee.objects.order_by("pk").values())
    audit = AuditEvent.objects.count()

    response = client.get(reverse("orgs:institution_export"))
    result = orgs_workbook_import(actor=hr, file=as_upload(b"".join(response.streaming_content)))
    assert result == importing.ImportResult(institutions_unchanged=institutions)

    for code in Institution.objects.values_list("code", flat=True):
        url = reverse("orgs:institution_employees_export", kwargs={"code": code})
        content = b"".join(client.get(url).streaming_content)
        result = orgs_workbook_import(actor=hr, file=as_upload(content))
        count = Employee.objects.filter(institution__code=code).count()
        assert result == importing.ImportResult(employees_unchanged=count), code

    assert AuditEvent.objects.count() == audit
    assert list(Employee.objects.order_by("pk").values()) == before
    assert str(Employee.objects.get(staff_number="007").post_wage) == "1234.56"


def test_an_edited_export_reimports_the_edit(client_for, world):
    """The point of the round trip: HR changes a cell and only that changes."""
    client = client_for("hr")
    url = reverse("orgs:institution_employees_export", kwargs={"code": "A01"})
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content)))
    ws = wb["员工"]
    column = EMP_HEADERS.index("岗位工资") + 1
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "A0002":
            ws.cell(row=row[0].row, column=column, value=Decimal("4321.09"))
    buffer = io.BytesIO()
    wb.save(buffer)
    result = orgs_workbook_import(actor=world.users["hr"], file=as_upload(buffer.getvalue()))
    assert result == importing.ImportResult(employees_updated=1, employees_unchanged=2)
    assert Employee.objects.get(staff_number="A0002").post_wage == Decimal("4321.09")


# --- Queries ------------------------------------------------------------------------------------


def _institutions_export_queries(client, django_assert_num_queries, expected):
    url = reverse("orgs:institution_export")
    with django_assert_num_queries(expected):
        response = client.get(url)
        content = b"".join(response.streaming_content)
    return institution_codes(openpyxl.load_workbook(io.BytesIO(content)))


# session, user, then the institutions with their group and head in one query
EXPORT_QUERIES = 3


def test_institutions_export_queries_do_not_grow(client_for, world, django_assert_num_queries):
    client = client_for("hr")
    codes = _institutions_export_queries(client, django_assert_num_queries, EXPORT_QUERIES)
    assert len(codes) == 3
    for i in range(37):
        InstitutionFactory(code=f"N{i:02d}", name=f"新机构{i}", group=world.g2)
    codes = _institutions_export_queries(client, django_assert_num_queries, EXPORT_QUERIES)
    assert len(codes) == 40


def test_employees_export_queries_do_not_grow(client_for, world, django_assert_num_queries):
    client = client_for("head_a")
    url = reverse("orgs:institution_employees_export", kwargs={"code": "A01"})
    with django_assert_num_queries(4):  # session, user, the institution, its employees
        b"".join(client.get(url).streaming_content)
    for i in range(40):
        EmployeeFactory(staff_number=f"A{i + 100:04d}", institution=world.a)
    with django_assert_num_queries(4):
        content = b"".join(client.get(url).streaming_content)
    assert len(rows_of(openpyxl.load_workbook(io.BytesIO(content))["员工"])) == 43
