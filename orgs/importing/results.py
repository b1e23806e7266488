"""What an import returns or raises: its counts, or every problem found, placed in the sheet."""

from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string

from .columns import EMPLOYEE_SHEET, INSTITUTION_SHEET


@dataclass(frozen=True)
class RowError:
    """One problem, placed where HR finds it in Excel. `row` is the Excel row number (1 = header;
    0 = the file as a whole); `column` is the header text, `column_letter` its letter."""

    sheet: str
    row: int
    column: str = ""
    column_letter: str = ""
    value: object = None
    message: str = ""

    @property
    def cell(self) -> str:
        """Where to look: 员工!C7 for a cell, 员工!7:7 for a whole row, "" for the file."""
        if not self.sheet:
            return ""
        if self.row and self.column_letter:
            return f"{self.sheet}!{self.column_letter}{self.row}"
        if self.row:
            return f"{self.sheet}!{self.row}:{self.row}"
        return self.sheet

    def __str__(self) -> str:
        place = " ".join(p for p in (self.cell, self.column) if p)
        if self.value is not None and self.value != "":
            place = f'{place} = "{self.value}"'
        return f"{place}: {self.message}" if place else str(self.message)


class ImportFailed(Exception):
    """Nothing was imported; `errors` says why, every problem found, in sheet and row order."""

    def __init__(self, errors: Iterable[RowError]):
        self.errors = sorted(errors, key=_error_sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))


def _error_sort_key(error: RowError):
    sheet_order = {"": 0, INSTITUTION_SHEET: 1, EMPLOYEE_SHEET: 2}.get(error.sheet, 3)
    column = column_index_from_string(error.column_letter) if error.column_letter else 0
    return (sheet_order, error.row, column)


def file_error(message: str) -> ImportFailed:
    return ImportFailed([RowError(sheet="", row=0, message=message)])


@dataclass
class ImportResult:
    institutions_created: int = 0
    institutions_updated: int = 0
    institutions_unchanged: int = 0  # in the workbook, but identical to the database
    employees_created: int = 0
    employees_updated: int = 0
    employees_unchanged: int = 0
