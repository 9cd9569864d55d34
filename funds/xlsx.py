"""Workbooks for the finance office, with formula-safe text cells.

A text cell that starts with = + - @ (or a tab / carriage return) is read by Excel and WPS as a formula
(CSV/formula injection: a donor named "=HYPERLINK(…)" would become a live link). Every text cell is
written as an explicit string, and one that starts with such a character gets a single quote prepended,
which spreadsheet programs show as text. Numbers and dates stay typed, so sums still work.

The leading-character rule itself is the project's one guard, `community_college.cells.text_cell`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from community_college.cells import text_cell


def safe_text(value) -> str:
    """`value` as text that no spreadsheet will evaluate."""
    return text_cell("" if value is None else str(value))


def _cell(sheet, value):
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value=safe_text(value))
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0.00"
        return cell
    if isinstance(value, int | float):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(sheet, value=safe_text(value))
    cell.data_type = "s"  # explicit: never a formula, whatever the text
    return cell


def workbook(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> bytes:
    """(title, header, rows) per sheet → .xlsx bytes."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        cells = []
        for label in header:
            cell = WriteOnlyCell(sheet, value=safe_text(label))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    if not sheets:
        book.create_sheet(title="Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
