"""Cached values of the cells an array formula fills besides its own (its *spill*), written into
a sheet's XML.

An array formula (Ctrl+Shift+Enter, or Excel 365's dynamic array) is stored once, in the top-left
cell of its range; the other cells of the range hold only the values it showed, as plain ``<c>``
elements with a ``<v>`` (Excel writes them so). A workbook written by openpyxl has no such cells
at all, so a program that does not compute the formula (LibreOffice without recalculation, Excel
without the add-in) shows them empty. :func:`write_spilled` writes those values: an existing cell
keeps its attributes (style) and gets the new value; a missing cell, or row, is inserted in its
place (cells of a row in column order, rows in row order, as the file format requires). Nothing
else of the sheet changes. Sheets whose rows or cells carry no ``r`` attribute (allowed, and
written by a few programs) are left as they are and reported.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Mapping

from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries

from .xlsx_cells import _IMPLICIT, _R, _SHEET_DATA, _T, Key, Parts, _replace_parts, _typed

_ROW = re.compile(rb"<(?P<p>(?:\w+:)?)row(?=[\s/>])(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)row>)", re.S)
_CELL = re.compile(rb"<(?P<p>(?:\w+:)?)c(?=[\s/>])(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)c>)", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f(?=[\s/>])")
_SPANS = re.compile(rb"""\sspans\s*=\s*["'][^"']*["']""")
_DIMENSION = re.compile(rb"""(<(?:\w+:)?dimension\s+ref\s*=\s*["'])([^"']*)(["'])""")


def _cell_xml(prefix: bytes, attrs: bytes, value: Any) -> bytes:
    """A plain cell (no formula) holding ``value``: text as an inline string (``str`` is the type of
    a formula's text result), other values as :func:`~.xlsx_cells._typed` writes them."""
    kind, text = _typed(value)
    if kind == b"str":
        kind = b"inlineStr"
    attrs = _T.sub(b"", attrs) + (b' t="' + kind + b'"' if kind else b"")
    if text is None:
        return b"<" + prefix + b"c" + attrs + b"/>"
    if kind == b"inlineStr":
        return (b"<" + prefix + b"c" + attrs + b"><" + prefix + b'is><' + prefix + b't xml:space="preserve">' + text
                + b"</" + prefix + b"t></" + prefix + b"is></" + prefix + b"c>")
    return b"<" + prefix + b"c" + attrs + b"><" + prefix + b"v>" + text + b"</" + prefix + b"v></" + prefix + b"c>"


def _column(attrs: bytes) -> int:
    ref = _R.search(attrs)
    return column_index_from_string(ref.group(1).decode("ascii"))


def _row_body(prefix: bytes, body: bytes, row: int, values: dict[int, Any], insert: bool = True) -> bytes:
    """A row's cells with ``values`` (column -> value) written: existing cells replaced, the rest
    inserted (``insert``) or left out."""
    pending = dict(sorted(values.items()))
    pieces, last = [], 0
    for cell in _CELL.finditer(body):
        column = _column(cell.group("attrs"))
        for missing in [c for c in pending if c < column and insert]:
            pieces.append(body[last:cell.start()] + _cell_xml(prefix, f' r="{get_column_letter(missing)}{row}"'.encode(),
                                                              pending.pop(missing)))
            last = cell.start()
        if column in pending and not _FORMULA.search(cell.group("body") or b""):
            pieces += [body[last:cell.start()], _cell_xml(prefix, cell.group("attrs"), pending.pop(column))]
            last = cell.end()
    pieces.append(body[last:])
    pieces += [_cell_xml(prefix, f' r="{get_column_letter(c)}{row}"'.encode(), v) for c, v in pending.items()
               if insert]
    return b"".join(pieces)


def _new_row(prefix: bytes, row: int, values: dict[int, Any]) -> bytes:
    body = _row_body(prefix, b"", row, values)
    return b"<" + prefix + b'row r="' + str(row).encode() + b'">' + body + b"</" + prefix + b"row>"


def _write_sheet(xml: bytes, values: Mapping[str, Any], insert: bool = True) -> bytes | None:
    """``xml`` with ``values`` (cell -> value) written, missing cells and rows inserted (``insert``)
    or left out; None where the sheet cannot be edited so."""
    data = _SHEET_DATA.search(xml)
    if data is None or _IMPLICIT.search(xml, *data.span()):
        return None
    rows: dict[int, dict[int, Any]] = {}
    for ref, value in values.items():
        min_col, min_row, _, _ = range_boundaries(ref)
        rows.setdefault(min_row, {})[min_col] = value
    section = xml[data.start():data.end()]
    prefix = re.match(rb"<((?:\w+:)?)", section).group(1)
    if section.rstrip().endswith(b"/>"):
        section = b"<" + prefix + b"sheetData></" + prefix + b"sheetData>"
    pending = dict(sorted(rows.items()))
    pieces, last = [], 0
    for row in _ROW.finditer(section):
        number = int(_R.search(row.group("attrs")).group(2))
        for missing in [r for r in pending if r < number and insert]:
            pieces.append(section[last:row.start()] + _new_row(prefix, missing, pending.pop(missing)))
            last = row.start()
        if number in pending:
            attrs = _SPANS.sub(b"", row.group("attrs")) if insert else row.group("attrs")  # spans: an optional
            body = _row_body(prefix, row.group("body") or b"", number, pending.pop(number), insert)  # hint
            pieces += [section[last:row.start()],
                       b"<" + prefix + b"row" + attrs + b">" + body + b"</" + prefix + b"row>"]
            last = row.end()
    close = section.rindex(b"</")
    pieces.append(section[last:close])
    pieces += [_new_row(prefix, r, cells) for r, cells in pending.items()] if insert else []
    pieces.append(section[close:])
    head = _widen_dimension(xml[:data.start()], values) if insert else xml[:data.start()]
    return head + b"".join(pieces) + xml[data.end():]


def _widen_dimension(head: bytes, values: Mapping[str, Any]) -> bytes:
    """The sheet's ``<dimension>`` (the used range, a hint readers may trust) widened over the new cells."""
    match = _DIMENSION.search(head)
    if match is None:
        return head
    try:
        bounds = [range_boundaries(match.group(2).decode("ascii"))]
    except (ValueError, TypeError):
        return head
    bounds += [range_boundaries(ref) for ref in values]
    low_col, low_row = min(b[0] for b in bounds), min(b[1] for b in bounds)
    high_col = max(b[2] or b[0] for b in bounds)
    high_row = max(b[3] or b[1] for b in bounds)
    ref = f"{get_column_letter(low_col)}{low_row}:{get_column_letter(high_col)}{high_row}".encode()
    return head[:match.start(2)] + ref + head[match.end(2):]


def write_spilled(data: bytes, parts: Parts, values: Mapping[Key, Any], *, insert: bool = True
                  ) -> tuple[bytes, list[str]]:
    """The package with the cached value of each spilled cell in ``values`` written, and the sheets
    left as they were because their rows or cells have no ``r`` attribute. ``insert=False`` only
    edits the cells the sheets have (with ``None`` values: clears them)."""
    by_sheet: dict[str, dict[str, Any]] = {}
    for (sheet, ref), value in values.items():
        by_sheet.setdefault(sheet, {})[ref] = value
    new, skipped = {}, []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for sheet, cells in by_sheet.items():
            part = parts[sheet]
            edited = _write_sheet(package.read(part), cells, insert)
            if edited is None:
                skipped.append(sheet)
            else:
                new[part] = edited
    return (_replace_parts(data, new) if new else data), skipped


def clear_spilled(data: bytes, parts: Parts, cells: list[Key]) -> bytes:
    """The package without the saved values of ``cells`` (those an array formula fills besides its
    own), for the formula engine, which would otherwise take them for constants blocking the spill."""
    return write_spilled(data, parts, dict.fromkeys(cells), insert=False)[0]
