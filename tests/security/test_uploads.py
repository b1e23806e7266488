"""Hostile uploads (orgs.uploads): every one is refused through the real pages and API with a
message naming the file, and leaves nothing changed — no ledger entry, institution, employee or
audit event, no stored file."""

import io
import os
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from acceptance.forms import validate_evidence as validate_acceptance_evidence
from appraisal.models import LedgerEntry
from bulletins.attachments import validate_attachment
from orgs import uploads
from orgs.downloads import stored_file_response
from orgs.models import AuditEvent, Employee, Institution
from tests.appraisal.conftest import build_year

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
IMPORT_URLS = [
    "orgs:import_upload",
    "appraisal:year_import",
    "payroll:import",
    "payroll:paid_import",
]


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def year(world):
    return build_year(world)


# --- Hostile files -------------------------------------------------------------------------------


def real_workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "机构"
    ws.append(["机构代码", "机构名称"])
    ws.append(["Z01", "恶意机构"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, replace: dict[str, bytes] | None = None, add=None) -> bytes:
    """The workbook with some parts replaced and others added."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, data in (add or {}).items():
            out.writestr(name, data)
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def sheet_with_doctype(doctype: str, cell: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + doctype
        + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>机构代码</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{cell}</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()


def sheet_of_rows(*rows: list[str]) -> bytes:
    cells = "".join(
        "<row>" + "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in row) + "</row>"
        for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def renamed_sheet(sheet: bytes, suffix: str = ".bin") -> bytes:
    """A real workbook whose sheet part is `sheet`, stored under another name: its content type
    and the workbook's relationship point at the new name, so openpyxl reads it all the same."""
    old = "xl/worksheets/sheet1.xml"
    new = old.removesuffix(".xml") + suffix
    source = zipfile.ZipFile(io.BytesIO(real_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = sheet if info.filename == old else source.read(info.filename)
            data = data.replace(f"/{old}".encode(), f"/{new}".encode())
            out.writestr(new if info.filename == old else info.filename, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A real-looking xlsx whose sheet is 8 MB of zeros squeezed about 1000:1."""
    return rewritten(
        real_workbook(), replace={"xl/worksheets/sheet1.xml": b"\x00" * (8 * 1024 * 1024)}
    )


def many_members() -> bytes:
    return rewritten(real_workbook(), add={f"xl/media/x{i}.bin": b"x" for i in range(1001)})


def traversal_member() -> bytes:
    return rewritten(real_workbook(), add={"../../../../tmp/evil.xml": b"<x/>"})


HOSTILE_WORKBOOKS = {
    "zip bomb": (zip_bomb, "unpacks to far more data"),
    "too many members": (many_members, "unpacks to far more data"),
    "billion laughs in the sheet": (
        lambda: rewritten(
            real_workbook(),
            replace={"xl/worksheets/sheet1.xml": sheet_with_doctype(BILLION_LAUGHS, "&lol9;")},
        ),
        "document type declaration",
    ),
    "billion laughs in sharedStrings": (
        lambda: rewritten(
            real_workbook(),
            add={
                "xl/sharedStrings.xml": (
                    '<?xml version="1.0"?>' + BILLION_LAUGHS + "<sst><si><t>&lol9;</t></si></sst>"
                ).encode()
            },
        ),
        "document type declaration",
    ),
    "XXE": (
        lambda: rewritten(
            real_workbook(),
            replace={"xl/worksheets/sheet1.xml": sheet_with_doctype(XXE, "&xxe;")},
        ),
        "document type declaration",
    ),
    "XXE in a sheet renamed .bin": (
        lambda: renamed_sheet(sheet_with_doctype(XXE, "&xxe;")),
        "document type declaration",
    ),
    "billion laughs in a part of no known kind": (
        lambda: rewritten(
            real_workbook(), add={"xl/media/image1.png": sheet_with_doctype(BILLION_LAUGHS, "x")}
        ),
        "document type declaration",
    ),
    "a PDF named .xlsx": (lambda: PDF, "is not really a Excel (xlsx) file"),
    "HTML named .xlsx": (
        lambda: b"<html><script>alert(1)</script></html>",
        "is not really a Excel (xlsx) file",
    ),
    "a zip that is not a workbook": (
        lambda: zipped({"[Content_Types].xml": b"<Types/>", "hello.txt": b"hello"}),
        "not really a Excel (xlsx) file",
    ),
    "a path-traversal member": (traversal_member, "which is not allowed"),
}


def counts():
    return (
        LedgerEntry.objects.count(),
        Institution.objects.count(),
        Employee.objects.count(),
        AuditEvent.objects.count(),
    )


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


# --- Imports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", IMPORT_URLS)
@pytest.mark.parametrize("case", list(HOSTILE_WORKBOOKS))
def test_a_hostile_workbook_is_refused_by_every_import(client_for, world, year, url, case):
    make, message = HOSTILE_WORKBOOKS[case]
    before = counts()
    client = client_for("hr")
    upload = SimpleUploadedFile("hostile.xlsx", make())
    # confirm: the year import's dialog (the file is checked before the confirmation is used).
    response = client.post(reverse(url), {"file": upload, "month": "2026-01", "confirm": "yes"})
    assert response.status_code == 400
    [error] = response.context["errors"]
    assert message in str(error) and "hostile.xlsx" in str(error)
    assert counts() == before


@pytest.mark.parametrize("url", IMPORT_URLS)
def test_an_oversized_workbook_is_refused_before_parsing(client_for, world, year, url, settings):
    settings.IMPORT_MAX_BYTES = 1024
    before = counts()
    response = client_for("hr").post(
        reverse(url),
        {
            "file": SimpleUploadedFile("big.xlsx", real_workbook()),
            "month": "2026-01",
            "confirm": "yes",
        },
    )
    assert response.status_code == 400
    assert "larger than" in str(response.context["errors"][0])
    assert counts() == before


def test_a_workbook_over_the_unpacked_limit_is_refused(client_for, world, settings):
    settings.UPLOAD_ZIP_MAX_UNPACKED_BYTES = 2000
    before = counts()
    response = client_for("hr").post(
        reverse("orgs:import_upload"), {"file": SimpleUploadedFile("o.xlsx", real_workbook())}
    )
    assert response.status_code == 400
    assert "unpacks to far more data" in str(response.context["errors"][0])
    assert counts() == before


def test_a_real_workbook_still_imports(client_for, world):
    response = client_for("hr").post(
        reverse("orgs:import_upload"), {"file": SimpleUploadedFile("o.xlsx", real_workbook())}
    )
    assert response.status_code == 200, response.context["errors"]
    assert Institution.objects.filter(code="Z01").exists()


def test_a_renamed_sheet_is_read_by_openpyxl_but_refused_by_the_guard_before_it(
    client_for, world, monkeypatch
):
    """The guard reads every part whatever its name (issue 16, item 6): a sheet stored as .bin,
    which openpyxl finds through the relationships and reads, is refused for its DTD by the
    guard's own message, and openpyxl never opens the file."""
    plain = renamed_sheet(sheet_of_rows(["机构代码", "机构名称"], ["Z09", "改名的工作表"]))
    response = client_for("hr").post(
        reverse("orgs:import_upload"), {"file": SimpleUploadedFile("o.xlsx", plain)}
    )
    assert response.status_code == 200, response.context["errors"]
    assert Institution.objects.filter(code="Z09").exists()  # the .bin sheet was read

    opened = []
    monkeypatch.setattr(
        "orgs.importing.reading.openpyxl.load_workbook", lambda *a, **k: opened.append(a)
    )
    before = counts()
    for doctype, cell in ((XXE, "&xxe;"), (BILLION_LAUGHS, "&lol9;")):
        hostile = renamed_sheet(sheet_with_doctype(doctype, cell))
        response = client_for("hr").post(
            reverse("orgs:import_upload"), {"file": SimpleUploadedFile("o.xlsx", hostile)}
        )
        assert response.status_code == 400
        [error] = response.context["errors"]
        assert "“o.xlsx” contains XML with a document type declaration" in str(error)
        with pytest.raises(ValidationError, match="document type declaration"):
            uploads.validate_scoring_evidence(SimpleUploadedFile("figures.xlsx", hostile))
    assert opened == []
    assert counts() == before


def test_a_workbook_with_another_extension_is_refused(client_for, world):
    before = counts()
    response = client_for("hr").post(
        reverse("orgs:import_upload"), {"file": SimpleUploadedFile("o.xls", real_workbook())}
    )
    assert response.status_code == 400
    assert "“o.xls” is not accepted here" in str(response.context["errors"][0])
    assert counts() == before


# --- Evidence ----------------------------------------------------------------------------------


def entry_post(**overrides):
    data = {
        "institution": "A01",
        "kind": "indicator",
        "indicator": "C1",
        "period": "h1",
        "points": "-5",
        "reason": "检查发现问题",
    }
    return data | overrides


HOSTILE_EVIDENCE = {
    "zip bomb as xlsx": ("bomb.xlsx", zip_bomb, "unpacks to far more data"),
    "XXE as xlsx": (
        "x.xlsx",
        lambda: rewritten(
            real_workbook(),
            replace={"xl/worksheets/sheet1.xml": sheet_with_doctype(XXE, "&xxe;")},
        ),
        "document type declaration",
    ),
    "HTML as pdf": ("report.pdf", lambda: b"<html><script>alert(1)</script>", "not really a PDF"),
    "PDF as xlsx": ("figures.xlsx", lambda: PDF, "not really a Excel (xlsx) file"),
    "HTML": ("page.html", lambda: b"<html></html>", "is not accepted here"),
    "SVG": ("pic.svg", lambda: b"<svg onload='alert(1)'/>", "is not accepted here"),
    "a zip as docx": ("notes.docx", real_workbook, "not really a Word (docx) file"),
}


@pytest.mark.parametrize("case", list(HOSTILE_EVIDENCE))
def test_hostile_evidence_is_refused_by_the_entry_form(client_for, world, year, settings, case):
    name, make, message = HOSTILE_EVIDENCE[case]
    before = counts()
    response = client_for("scorer").post(
        reverse("appraisal:entry_create", kwargs={"year": 2026}),
        entry_post(evidence=SimpleUploadedFile(name, make())),
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["evidence"]
    assert message in error and name in error
    assert counts() == before
    assert stored_files(settings) == []


@pytest.mark.parametrize("case", list(HOSTILE_EVIDENCE))
def test_hostile_evidence_is_refused_by_the_api(client_for, world, year, settings, case):
    name, make, message = HOSTILE_EVIDENCE[case]
    before = counts()
    body = {
        "institution": "A01",
        "kind": "indicator",
        "indicator": "C1",
        "period": "h1",
        "points": "-5",
        "reason": "r",
        "evidence": SimpleUploadedFile(name, make()),
    }
    response = client_for("hr").post("/api/v1/entries/", body)
    assert response.status_code == 400
    assert message in str(response.json()["evidence"])
    assert counts() == before
    assert stored_files(settings) == []


def test_oversized_evidence_is_refused(client_for, world, year, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    before = counts()
    response = client_for("scorer").post(
        reverse("appraisal:entry_create", kwargs={"year": 2026}),
        entry_post(evidence=SimpleUploadedFile("big.pdf", PDF + b"x" * 1024)),
    )
    [error] = response.context["form"].errors["evidence"]
    assert "“big.pdf” is 1.0" in error and "at most 1.0" in error
    assert counts() == before


def test_a_path_traversal_name_is_stored_under_a_generated_name(client_for, world, year, settings):
    # Django's upload parser keeps only the last part of a name; the stored name is generated.
    upload = SimpleUploadedFile("../../../../etc/cron.d/evil 报告.pdf", PDF)
    response = client_for("scorer").post(
        reverse("appraisal:entry_create", kwargs={"year": 2026}), entry_post(evidence=upload)
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    directory, stored = os.path.split(entry.evidence.name)
    assert directory == f"evidence/{year.scheme.pk}/{world.a.pk}"
    assert stored.endswith("_evil_报告.pdf") and len(stored) == len(
        "0123456789abcdef_evil_报告.pdf"
    )
    [path] = stored_files(settings)
    assert os.path.realpath(path).startswith(os.path.realpath(settings.MEDIA_ROOT))
    download = client_for("scorer").get(reverse("appraisal:evidence", kwargs={"pk": entry.pk}))
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert (
        "evil_" in download["Content-Disposition"] and ".." not in download["Content-Disposition"]
    )


def test_the_other_evidence_rules_sniff_content_too():
    for validate in (validate_acceptance_evidence, validate_attachment):
        validate(SimpleUploadedFile("scan.png", PNG))
        for name, content in [("scan.png", PDF), ("s.pdf", b"<html>"), ("x.exe", b"MZ")]:
            with pytest.raises(Exception, match="not"):
                validate(SimpleUploadedFile(name, content))
    validate_attachment(SimpleUploadedFile("figures.xlsx", real_workbook()))
    with pytest.raises(Exception, match="unpacks"):
        validate_attachment(SimpleUploadedFile("figures.xlsx", zip_bomb()))
    with pytest.raises(Exception, match="not accepted"):
        validate_acceptance_evidence(SimpleUploadedFile("figures.xlsx", real_workbook()))


# --- Names and downloads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\证据 一.pdf", "证据_一.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("...pdf", "pdf.bin"),  # no extension left: stored as .bin
        ("a\x00b\r\n.pdf", "ab.pdf"),
    ],
)
def test_stored_names_are_generated_and_display_names_sanitized(original, shown):
    stored = uploads.stored_name("evidence/1/2", original)
    assert stored.startswith("evidence/1/2/") and stored.count("/") == 3
    assert ".." not in stored.split("/")
    assert uploads.display_name(stored) == shown


def test_two_uploads_of_one_name_never_share_a_path():
    assert uploads.stored_name("e", "a.pdf") != uploads.stored_name("e", "a.pdf")


class StoredFile:
    """Enough of a FieldFile for stored_file_response."""

    def __init__(self, storage, name):
        self.storage, self.name = storage, name

    def __bool__(self):
        return True

    def open(self, mode):
        return self.storage.open(self.name, mode)


def test_a_download_is_never_html(db, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("evidence/old.html", ContentFile(b"<html><script>x</script>"))
    response = stored_file_response(StoredFile(storage, name))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="old.html"'
    assert "sandbox" in response["Content-Security-Policy"]
    response.close()


@pytest.mark.parametrize("debug", [False, True])
def test_media_urls_are_not_served(world, settings, debug, tmp_path):
    settings.DEBUG = debug
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "secret.pdf").write_bytes(PDF)
    client = Client()
    client.force_login(world.users["hr"])
    for path in (
        "/media/evidence/secret.pdf",
        "/evidence/secret.pdf",
        "/data/media/evidence/secret.pdf",
        "/static/../data/media/evidence/secret.pdf",
    ):
        assert client.get(path).status_code == 404, path


def test_real_evidence_still_passes():
    assert (
        uploads.validate_upload(
            SimpleUploadedFile("a.pdf", PDF), kinds=uploads.SCORING_EVIDENCE_KINDS
        )
        is uploads.PDF
    )
