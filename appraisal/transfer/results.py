"""What a year import returns or raises."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl.utils import column_index_from_string

from orgs.importing import ImportFailed, RowError

from .columns import SHEET_ORDER


class YearImportFailed(ImportFailed):
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
class YearImportResult:
    year: int
    scheme_created: bool = False
    scheme_updated: bool = False
    scheme_opened: bool = False
    groups_created: int = 0
    groups_updated: int = 0
    institutions_created: int = 0
    institutions_updated: int = 0
    departments_created: int = 0
    indicators_created: int = 0
    indicators_updated: int = 0
    indicators_removed: list[str] = field(default_factory=list)  # of the draft, not in 指标
    targets_created: int = 0
    targets_updated: int = 0
    entries_created: int = 0
    entries_reversed: int = 0  # entries of an earlier import, replaced by this one
