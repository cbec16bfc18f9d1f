"""Writing user strings into workbooks as text, never as formulas (formula injection), and
pinning a written package's dates so that regenerating a shipped workbook changes no byte.

Files are written with :func:`xlcompute.atomic.atomic_write`; this module keeps the strings
that go into their cells from being read as formulas.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "pin_dates", "safe_cell_text", "write_text"]

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


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def pin_dates(path: str | Path, when: _dt.datetime) -> None:
    """Give the package at ``path`` the date ``when`` everywhere openpyxl writes the time of saving:
    each zip entry's time stamp and the document's *modified* property. Regenerating a shipped
    workbook then gives the same bytes (a clean ``git status``)."""
    path = Path(path)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(lambda m: m.group(1) + stamp + m.group(2), data)
            pinned = zipfile.ZipInfo(info.filename, when.timetuple()[:6])
            pinned.compress_type, pinned.external_attr = info.compress_type, info.external_attr
            target.writestr(pinned, data)
    path.write_bytes(out.getvalue())
