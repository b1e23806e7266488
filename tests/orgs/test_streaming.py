"""orgs.streaming: reused styled cells keep their style and exact digits row after row."""

import io
from decimal import Decimal as D

import openpyxl
from openpyxl.styles import Font

from orgs.streaming import ReusedCell, streaming_workbook


def _written(rows_of) -> openpyxl.worksheet.worksheet.Worksheet:
    workbook, ws = streaming_workbook("表")
    rows_of(ws)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)["表"]


def test_a_reused_cell_writes_every_row_with_its_style_and_exact_digits():
    amounts = [D("0.07"), D("1234567.89"), D("-12.30"), D("99999999999.99")]

    def rows(ws):
        money, bold = ReusedCell(ws, number_format="#,##0.00"), ReusedCell(ws, font=Font(b=True))
        for index, amount in enumerate(amounts):
            ws.append([f"{index:03d}", money.put(amount), None, bold.put("合计")])

    ws = _written(rows)
    assert ws.max_row == len(amounts)
    for row, amount in zip(ws.iter_rows(), amounts, strict=True):
        staff, money, empty, label = row
        assert staff.value == f"{amounts.index(amount):03d}" and staff.data_type == "s"
        assert not staff.font.b and staff.number_format == "General"
        assert money.data_type == "n" and money.number_format == "#,##0.00"
        assert D(str(money.value)) == amount
        assert empty.value is None
        assert label.value == "合计" and label.font.b


def test_the_written_digits_are_the_decimals_own_not_a_floats():
    def rows(ws):
        ws.append([ReusedCell(ws, number_format="0.00").put(D("123456789012345.67"))])

    workbook, ws = streaming_workbook("表")
    rows(ws)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with openpyxl.reader.excel.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>123456789012345.67</v>" in sheet_xml  # "%.16g": …345.7
