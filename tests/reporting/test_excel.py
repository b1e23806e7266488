"""The Excel round trip (sheet 数据填报): download the prefilled template, fill it, upload it; one
bad row and nothing is imported, the answer naming the row and the column."""

import io
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from orgs.streaming import cell_write
from reporting import services, transfer

from .helpers import api, item, report_of, url

HEADERS = [
    "指标代码",
    "指标名称",
    "单位",
    "目标值",
    "完成时限",
    "实际完成值",
    "完成日期",
    "工作说明",
]


def _download(client, report):
    response = client.get(url("report_template", report.pk))
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _upload_file(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("数据填报.xlsx", buffer.getvalue())


def _rows(ws):
    return {row[0].value: row for row in ws.iter_rows(min_row=2)}


def test_round_trip(world, year, ratio, client_for):
    report = report_of(world, year)
    contact = client_for("contact_a")
    workbook = _download(contact, report)
    assert workbook.sheetnames[0] == transfer.SHEET == "数据填报"
    ws = workbook[transfer.SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    rows = _rows(ws)
    assert sorted(rows) == ["B1", "B3", "C1", "E1"]
    assert rows["B3"][1].value == "营业收入" and rows["B3"][2].value == "万元"
    assert Decimal(str(rows["B3"][3].value)) == Decimal("1200")

    rows["B3"][5].value = 987.5
    cell_write(rows["B3"][7], "=上半年完成")  # text as Excel keeps it: never a formula
    rows["C1"][7].value = "安全检查12次"
    response = contact.post(url("report_import", report.pk), {"file": _upload_file(workbook)})
    assert response.status_code == 302, response.content.decode()[:3000]
    b3, c1 = item(report, "B3"), item(report, "C1")
    assert b3.actual_value == Decimal("987.5") and b3.note == "=上半年完成"
    assert c1.note == "安全检查12次"
    assert b3.events.filter(action="save", note="import").exists()
    # Downloaded again, the values are there, the note a text cell (not a formula).
    again = _rows(_download(contact, report)[transfer.SHEET])
    assert again["B3"][7].data_type == "s" and again["B3"][7].value == "=上半年完成"


def test_a_bad_row_rejects_everything(world, year, ratio, client_for):
    report = report_of(world, year)
    contact = client_for("contact_a")
    workbook = _download(contact, report)
    ws = workbook[transfer.SHEET]
    rows = _rows(ws)
    rows["C1"][7].value = "已完成"
    rows["B3"][5].value = "很多"
    bad_row = rows["B3"][5].row
    response = contact.post(url("report_import", report.pk), {"file": _upload_file(workbook)})
    assert response.status_code == 400
    html = response.content.decode()
    assert f"数据填报!F{bad_row}" in html and "实际完成值" in html
    assert item(report, "C1").note == ""  # nothing imported

    # A figure on a note item, an unknown code: named by row and column too (API: JSON errors).
    workbook = _download(contact, report)
    rows = _rows(workbook[transfer.SHEET])
    rows["C1"][5].value = 5
    ws = workbook[transfer.SHEET]
    ws.cell(row=ws.max_row + 1, column=1, value="ZZ9")
    response = contact.post(api("report-import", report.pk), {"file": _upload_file(workbook)})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["column"], e["row"]) for e in errors} == {
        ("实际完成值", rows["C1"][5].row),
        ("指标代码", ws.max_row),
    }
    assert item(report, "C1").actual_value is None


def test_locked_items_must_be_left_as_they_are(world, year, ratio, client_for):
    year.scheme.reports_need_head_approval = False
    year.scheme.save()
    report = report_of(world, year)
    contact = world.users["contact_a"]
    services.item_save(actor=contact, item=item(report, "B3"), actual_value=Decimal("10"))
    services.report_submit(actor=contact, report=report)
    services.item_first_review(
        actor=world.users["scorer"], item=item(report, "B3"), decision="return", reason="重报"
    )
    client = client_for("contact_a")
    workbook = _download(client, report)
    rows = _rows(workbook[transfer.SHEET])
    rows["B3"][5].value = 11  # returned: editable again
    response = client.post(url("report_import", report.pk), {"file": _upload_file(workbook)})
    assert response.status_code == 302
    assert item(report, "B3").actual_value == Decimal("11")
    services.report_submit(actor=contact, report=report)
    workbook = _download(client, report)
    rows = _rows(workbook[transfer.SHEET])
    rows["B3"][5].value = 12  # up at HQ: refused
    response = client.post(url("report_import", report.pk), {"file": _upload_file(workbook)})
    assert response.status_code == 400
    assert "cannot be changed" in response.content.decode()


def test_not_an_xlsx(world, year, ratio, client_for):
    report = report_of(world, year)
    fake = SimpleUploadedFile("数据填报.xlsx", b"%PDF-1.4 not a workbook")
    response = client_for("contact_a").post(url("report_import", report.pk), {"file": fake})
    assert response.status_code == 400
    # Readers may not download the institution's template.
    assert client_for("hr").get(url("report_template", report.pk)).status_code == 403
