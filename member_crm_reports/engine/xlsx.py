"""The one XLSX writer of the member reports: KPI exports in Odoo and the analytics command.

xlsxwriter is called directly (Odoo 19 pins XlsxWriter 3.0.2 and openpyxl 3.0.9 on Python < 3.12,
which pandas' Excel I/O refuses). A workbook is a list of sheets; a sheet has a name (Chinese is
fine), columns (header, number format, width) and rows::

    write_workbook(
        "out.xlsx",  # a path or a binary file object (io.BytesIO)
        [
            Sheet(
                "会员 Members",
                [Column("Tier"), Column("Members", "#,##0"), Column("Growth", "0.0%")],
                [("Gold", 120, 0.05), ("Silver", 300, -0.01)],
            )
        ],
    )

- User text is never a formula: strings are written as strings (``strings_to_formulas`` off), so a
  name like ``=HYPERLINK(...)`` stays text. Nor are strings turned into numbers or links.
- The header row is bold and frozen, with an autofilter.
- Sheet names are made valid for Excel: ``[]:*?/\\`` replaced, at most 31 characters, no leading or
  trailing apostrophe, not "History", unique (case-insensitive).
- Cells: ``None``, NaN and NaT are blank; numbers keep the column's number format; dates and
  datetimes get the column's format or ``yyyy-mm-dd`` / ``yyyy-mm-dd hh:mm``. ``Cell(value,
  num_format)`` gives one cell its own format (a column mixing counts, amounts and ratios).
"""

import datetime
import decimal
import io
import math
import numbers
import re
from dataclasses import dataclass, field

import xlsxwriter

MAX_SHEET_NAME = 31
MAX_STRING = 32767
MAX_ROWS = 1048576 - 1  # Excel's rows, less the header
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# options of every workbook: text stays text (no formulas, numbers or links made from strings)
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "remove_timezone": True,
    "in_memory": True,
}
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Column:
    header: str
    num_format: str | None = None  # Excel number format, e.g. "#,##0.00", "0.0%", "yyyy-mm"
    width: float | None = None  # characters; estimated from the header and the values when None


@dataclass(frozen=True)
class Cell:
    value: object
    num_format: str | None = None  # instead of the column's


@dataclass
class Sheet:
    name: str
    columns: list = field(default_factory=list)  # Column, or a plain header string
    rows: list = field(default_factory=list)  # sequences, one value per column


def _utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


def sheet_name(name, taken=()):
    """A valid Excel sheet name for ``name``, unique among ``taken`` (case-insensitive)."""
    clean = INVALID_SHEET_CHARS.sub("_", str(name or "")).strip().strip("'").strip() or "Sheet"
    if clean.casefold() == "history":  # reserved by Excel
        clean = f"{clean}_"
    taken = {str(t).casefold() for t in taken}
    candidate, number = clean, 1
    while True:
        suffix = f" ({number})" if number > 1 else ""
        candidate = _truncate(clean, MAX_SHEET_NAME - len(suffix)).rstrip("'") + suffix
        if candidate.casefold() not in taken:
            return candidate
        number += 1


def _truncate(text, limit):
    """At most ``limit`` UTF-16 units (what Excel counts), without splitting a character."""
    while _utf16_len(text) > limit:
        text = text[:-1]
    return text


def _is_blank(value):
    """None, NaN and pandas' missing values (NaT, NA): an empty cell."""
    if value is None or type(value).__name__ in ("NaTType", "NAType"):
        return True
    if isinstance(value, numbers.Real | decimal.Decimal) and not isinstance(value, bool):
        return math.isnan(float(value))
    return False


def _display_width(value):
    """Characters a value takes on screen: CJK and other wide characters count twice."""
    text = value if isinstance(value, str) else str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


class _Formats:
    """xlsxwriter formats, one per number format (a workbook holds a limited number)."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.cache = {}
        self.header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})

    def get(self, num_format):
        if not num_format:
            return None
        if num_format not in self.cache:
            self.cache[num_format] = self.workbook.add_format({"num_format": num_format})
        return self.cache[num_format]


def _write_cell(worksheet, row, col, value, num_format, formats):
    if isinstance(value, Cell):
        value, num_format = value.value, value.num_format or num_format
    if _is_blank(value):
        worksheet.write_blank(row, col, None, formats.get(num_format))
    elif isinstance(value, bool):
        worksheet.write_boolean(row, col, value, formats.get(num_format))
    elif isinstance(value, datetime.datetime):
        worksheet.write_datetime(row, col, value, formats.get(num_format or DATETIME_FORMAT))
    elif isinstance(value, datetime.date):
        worksheet.write_datetime(row, col, value, formats.get(num_format or DATE_FORMAT))
    elif isinstance(value, numbers.Real | decimal.Decimal):
        number = float(value)
        if math.isinf(number):
            worksheet.write_blank(row, col, None, formats.get(num_format))
        else:
            worksheet.write_number(row, col, number, formats.get(num_format))
    else:
        # text, whatever it looks like: never a formula, a number or a link
        worksheet.write_string(row, col, str(value)[:MAX_STRING], formats.get(num_format))


def _columns(sheet):
    return [column if isinstance(column, Column) else Column(str(column)) for column in sheet.columns]


def _checked(sheets):
    """(name, columns, rows) of each sheet, checked before anything is written."""
    checked, taken = [], []
    for sheet in sheets:
        name = sheet_name(sheet.name, taken)
        taken.append(name)
        columns = _columns(sheet)
        rows = [list(values) for values in sheet.rows]
        if len(rows) > MAX_ROWS:
            raise ValueError(f"sheet {name!r}: {len(rows)} rows, Excel holds {MAX_ROWS} under the header")
        for number, values in enumerate(rows, start=1):
            if len(values) > len(columns):
                raise ValueError(f"sheet {name!r}, row {number}: {len(values)} values for {len(columns)} columns")
        checked.append((name, columns, rows))
    if not checked:
        raise ValueError("a workbook needs at least one sheet")
    return checked


def _add_sheet(workbook, name, columns, sheet_rows, formats):
    worksheet = workbook.add_worksheet(name)
    widths = [_display_width(column.header) for column in columns]
    for col, column in enumerate(columns):
        worksheet.write_string(0, col, str(column.header), formats.header)
    rows = 0
    for rows, values in enumerate(sheet_rows, start=1):
        for col, value in enumerate(values):
            _write_cell(worksheet, rows, col, value, columns[col].num_format, formats)
            shown = value.value if isinstance(value, Cell) else value
            if rows <= 200 and not _is_blank(shown):
                widths[col] = max(widths[col], _display_width(shown) + 1)
    for col, column in enumerate(columns):
        width = column.width or min(MAX_WIDTH, max(MIN_WIDTH, widths[col] + 2))
        worksheet.set_column(col, col, width, formats.get(column.num_format))
    worksheet.freeze_panes(1, 0)
    if columns:
        worksheet.autofilter(0, 0, rows, len(columns) - 1)


def write_workbook(target, sheets):
    """Write ``sheets`` (``Sheet``) to ``target``: a file path or a binary file object. Returns the sheet names."""
    checked = _checked(sheets)
    workbook = xlsxwriter.Workbook(target, dict(WORKBOOK_OPTIONS))
    formats = _Formats(workbook)
    for name, columns, rows in checked:
        _add_sheet(workbook, name, columns, rows, formats)
    workbook.close()
    return [name for name, _columns, _rows in checked]


def workbook_bytes(sheets):
    """The workbook of ``sheets`` as bytes (for a download)."""
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return buffer.getvalue()
