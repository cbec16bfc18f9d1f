"""Writing user strings into workbooks as text, never as formulas (formula injection).

Files are written with :func:`xlcompute.atomic.atomic_write`; this module keeps the strings
that go into their cells from being read as formulas.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_TRIGGERS", "safe_cell_text", "write_text"]

#: Leading characters that make Excel, LibreOffice or a CSV import treat text as a formula
#: (OWASP "CSV Injection"), including the full-width forms some IMEs produce.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell_text(value: Any) -> Any:
    """``value`` made safe to hand to a spreadsheet as a plain value (OWASP CSV-injection rule).

    Strings starting with ``= + - @``, tab, CR or LF get a leading apostrophe, which Excel
    shows as text; other values are returned unchanged. Use it where the cell type cannot be
    set (CSV, values returned to Excel); with openpyxl prefer :func:`write_text`, which keeps
    the exact string.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_text(cell: Any, value: Any) -> Any:
    """Write user text into an openpyxl cell as text, never as a formula.

    openpyxl turns any string starting with ``=`` into a formula; this stores it as a string
    cell instead, and sets Excel's quote prefix on strings starting with a formula trigger so
    Excel keeps them as text when the cell is edited. Returns the cell.
    """
    text = "" if value is None else str(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell
