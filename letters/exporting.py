"""Files made from letters: HR's signing status of a year as an Excel workbook, and one letter as
a standalone HTML file (its print stylesheet inlined) to keep or print outside the system."""

import io
from datetime import datetime

import openpyxl
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from appraisal.models import Scheme
from orgs.streaming import cell_write

from . import selectors
from .models import Letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_SHEET = "签署情况"
# (header, width, value of a letter)
STATUS_COLUMNS = [
    ("机构编码", 12, lambda x: x.institution.code),
    ("机构名称", 24, lambda x: x.institution.name),
    ("层级", 10, lambda x: selectors.LEVEL_LABELS_ZH.get(x.level, x.level)),
    ("责任人", 16, lambda x: x.holder_name),
    ("版本", 6, lambda x: x.version),
    ("状态", 10, lambda x: selectors.STATUS_LABELS_ZH.get(x.status, x.status)),
    ("下达时间", 18, lambda x: _local(x.issued_at)),
    ("签署时间", 18, lambda x: _local(x.signed_at)),
    ("会签时间", 18, lambda x: _local(x.countersigned_at)),
]
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FONT = Font(bold=True)
LETTER_CSS = "css/letter.css"


def _local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: write the local (Asia/Shanghai) wall-clock time.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def status_workbook(scheme: Scheme) -> io.BytesIO:
    """Every letter of the year still in play, unsigned ones first (as on the status page)."""
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(STATUS_SHEET)
    # Column and sheet settings must come before the first row in write-only mode.
    for index, (_header, width, _value) in enumerate(STATUS_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header = []
    for title, _width, _value in STATUS_COLUMNS:
        cell = cell_write(WriteOnlyCell(ws), title)
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    for letter in selectors.status_letters(scheme):
        row = []
        for _title, _width, value in STATUS_COLUMNS:
            # A holder's name is typed by a head (the cascade form): text, never a formula.
            cell = cell_write(WriteOnlyCell(ws), value(letter))
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            row.append(cell)
        ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def status_filename(scheme: Scheme) -> str:
    return f"目标责任书签署情况_{scheme.year}.xlsx"


def letter_filename(letter: Letter) -> str:
    """目标责任书_<code>_<year>_v<version>.html; below the head's letter the holder is named
    too, since one institution has many letters at those levels."""
    holder = "" if letter.level == "head" else f"_{letter.holder_name}"
    return (
        f"目标责任书_{letter.institution.code}_{letter.scheme.year}{holder}_v{letter.version}.html"
    )


def _letter_css() -> str:
    path = finders.find(LETTER_CSS)
    if not path:
        return ""
    with open(path, encoding="utf-8") as css:
        return css.read()


def letter_html(letter: Letter, context: dict) -> str:
    """The letter as one self-contained HTML page: no links to the system, the stylesheet
    inlined, the verification as of now."""
    return render_to_string(
        "letters/letter_standalone.html", context | {"letter": letter, "css": _letter_css()}
    )
