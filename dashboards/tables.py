"""Tables of the dashboards, and their .xlsx export: the page and the workbook are made from the same rows."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from community_college.cells import text_cell

from .selectors import PAGE_ROWS

# How a column's values are shown on the page (see templatetags) and formatted in Excel.
KINDS = {
    "text": None,
    "int": "#,##0",
    "number": "#,##0.0",
    "decimal": "0.00",
    "percent": "0.0%",
    "hours": "#,##0.0",
    "stars": "0.00",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "datetime": "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere on the page; the workbook gets the text."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    note: str = ""
    page_rows: int = PAGE_ROWS

    @property
    def shown(self) -> list[list]:
        return self.rows[: self.page_rows]

    @property
    def hidden_count(self) -> int:
        return max(0, len(self.rows) - self.page_rows)

    def body_html(self) -> str:
        """The page's rows as <tr> elements, formatted here rather than cell by cell in the template: at a
        hundred rows of ten columns that is the difference between a few and some tens of milliseconds."""
        kinds = [c.kind for c in self.columns]
        rows = []
        for row in self.shown:
            cells = "".join(
                f'<td class="num">{format_cell(v, k)}</td>' if k != "text" else f"<td>{format_cell(v, k)}</td>"
                for v, k in zip(row, kinds, strict=True)
            )
            rows.append(f"<tr>{cells}</tr>")
        return mark_safe("".join(rows))  # safe: format_cell escapes every value


def format_cell(value, kind: str) -> str:
    """How a cell reads on the page (the workbook keeps the raw value and an Excel number format)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Link):
        return format_html('<a href="{}">{}</a>', value.url, value.text)
    if isinstance(value, bool) or not isinstance(value, int | float | date):
        return conditional_escape(value)
    if kind == "int" and isinstance(value, int | float):
        return f"{round(value):,}"
    if kind in ("number", "hours") and isinstance(value, int | float):
        return f"{value:,.1f}"
    if kind in ("decimal", "stars") and isinstance(value, int | float):
        return f"{value:.2f}"
    if kind == "percent" and isinstance(value, int | float):
        return f"{value * 100:.1f} %"
    if kind == "datetime" and isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if kind == "date" and isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return conditional_escape(value)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique regardless of case."""
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" {n}"
        name = f"{base[: 31 - len(suffix)]}{suffix}"
        n += 1
    used.add(name.lower())
    return name


def _excel_value(value):
    if isinstance(value, Link):
        return value.text
    if isinstance(value, datetime):
        # Excel has no time zones: write the local time the page shows.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date | int | float | str) or value is None:
        return value
    return str(value)


def workbook(tables: list[Table]) -> bytes:
    """One sheet per table: a bold header row, then every row (not only the page's first ones)."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=_sheet_title(table.title, used))
        sheet.freeze_panes = "A2"
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.label)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells = []
            for value, column in zip(row, table.columns, strict=True):
                cell = WriteOnlyCell(sheet, value=text_cell(_excel_value(value)))
                if KINDS[column.kind] and value is not None:
                    cell.number_format = KINDS[column.kind]
                cells.append(cell)
            sheet.append(cells)
    if not tables:
        book.create_sheet(title="Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
