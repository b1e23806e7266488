"""Streaming Excel for large exports (the payroll of a month: 200,000 lines): openpyxl's write-only
workbook, with two additions that keep a styled row about as cheap as a bare one.

- `ReusedCell`: a cell made and styled once, then refilled for every row. A write-only sheet
  writes each appended row out at once, so the next row may reuse the same cell objects. Its style
  is fixed when it is made, so its style id is looked up once, not once a row (openpyxl looks it up
  in the workbook's style table for every styled cell it writes). Money goes in with `put`, as
  orgs.exporting writes it: the Decimal's own digits in a numeric cell, never through a float.
- `StreamingSheet`: a write-only sheet whose rows may mix plain values and cells. openpyxl's own
  sheet first tries each appended cell as a value, which raises, formats an error message and
  catches it, for every styled cell; this one tells the two apart with one type check.

Everything else (file layout, column settings, freeze panes, shared styles) is openpyxl's. The
export tests read the written files back with openpyxl and compare every value and format.
orgs.exporting uses the same cells (one per value) for its exact Decimals.
"""

from decimal import Decimal

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


class ReusedCell(Cell):
    """A cell refilled for every row, whose style is set once, before its first row."""

    __slots__ = ("_style_id",)

    def __init__(self, ws, *, number_format: str | None = None, font=None):
        super().__init__(ws, row=1, column=1)
        if number_format is not None:
            self.number_format = number_format
        if font is not None:
            self.font = font
        self._style_id = None

    @property
    def style_id(self) -> int:
        if self._style_id is None:
            self._style_id = super().style_id
        return self._style_id

    def put(self, value) -> "ReusedCell":
        """Refill with `value`: a Decimal is written as its exact digits in a numeric cell."""
        if isinstance(value, Decimal):
            self._value = format(value, "f")
            self.data_type = "n"
        else:
            self.value = value
        return self


class StreamingSheet(WriteOnlyWorksheet):
    """A write-only sheet: append lists whose items are plain values or cells (ReusedCell)."""

    def _values_to_row(self, values, row_idx):
        plain = Cell(self, row=row_idx, column=1)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                cell = value
            else:  # a plain value: one unstyled cell, refilled (openpyxl's sheet does the same)
                plain.value = value
                cell = plain
            cell.column = col_idx
            cell.row = row_idx
            yield cell


def streaming_workbook(title: str) -> tuple[openpyxl.Workbook, StreamingSheet]:
    """A write-only workbook with one StreamingSheet named `title`."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = StreamingSheet(parent=workbook, title=title)
    workbook._add_sheet(sheet)
    return workbook, sheet
