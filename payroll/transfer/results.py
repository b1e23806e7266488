"""What a payroll import returns or raises."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl.utils import column_index_from_string

from orgs.importing import ImportFailed, RowError
from orgs.models import Institution

from .columns import SHEET_ORDER


class PayrollImportFailed(ImportFailed):
    """Nothing was imported; `errors` lists every problem in the workbook's sheet order, then by
    row and column. An ImportFailed, so whatever handles an import failure handles this one."""

    def __init__(self, errors: Iterable[RowError]):
        self.errors = sorted(errors, key=_error_sort_key)
        Exception.__init__(self, "\n".join(str(e) for e in self.errors))


def _error_sort_key(error: RowError):
    order = SHEET_ORDER.index(error.sheet) + 1 if error.sheet in SHEET_ORDER else 0
    column = column_index_from_string(error.column_letter) if error.column_letter else 0
    return (order, error.row, column)


@dataclass
class PayrollImportResult:
    tiers_saved: int = 0  # rows of 奖励系数
    grade_coefficients_saved: int = 0  # rows of 个人等次系数
    employees_created: int = 0
    employees_updated: int = 0
    employees_unchanged: int = 0
    policies_saved: int = 0
    grade_year: int | None = None  # the year the 个人等次 were recorded for
    grades_changed: int = 0


@dataclass
class PaidImportResult:
    month: datetime.date
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    institutions: list[Institution] = field(default_factory=list)  # of the imported rows
