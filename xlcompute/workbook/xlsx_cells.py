"""Formula cells of an .xlsx package at the XML level: read their cached values, replace their
formulas or write new cached values, leaving every other byte of each sheet as it was.

A workbook saved by openpyxl or an engine loses what that library does not model (charts,
slicers, extension lists ...). Here only the ``<c>`` elements of a sheet's ``<sheetData>`` that
hold a formula are touched: their ``t`` attribute and ``<v>`` child (cached values) or their
``<f>`` child (formulas); every other part of the package is copied unchanged.
"""

from __future__ import annotations

import html
import io
import math
import re
import zipfile
from typing import Any, Callable, Iterator, Mapping

from openpyxl.utils.cell import get_column_letter

from ..functions.excel_values import EXCEL_ERRORS

#: Sheet name -> part name of every worksheet (``WorkbookInfo.sheets`` from the guarded opener).
Parts = Mapping[str, str]
Key = tuple[str, str]  # (sheet, cell such as "B5")

_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData[\s>].*?</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>", re.S)
#: A cell holding a formula: ``<f>`` comes first among a cell's children (ECMA-376 CT_Cell).
_FORMULA_CELL = re.compile(rb"<(?P<p>(?:\w+:)?)c(?P<attrs>\s[^>]*?)?>"
                           rb"(?P<f>\s*<(?:\w+:)?f(?=[\s/>])[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))(?P<rest>.*?)</(?P=p)c>", re.S)
#: Rows and cells, for sheets where some have no ``r`` attribute (their place follows the one before).
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?row(?=[\s/>])(?P<row>[^>]*)>|<(?:\w+:)?c(?=[\s/>])(?P<attrs>[^>]*)>")
_IMPLICIT = re.compile(rb"<(?:\w+:)?(?:c|row)(?=[\s/>])(?![^>]*\sr\s*=)")
_R = re.compile(rb"""\sr\s*=\s*["']\$?([A-Z]{0,3})\$?(\d*)["']""")
_T = re.compile(rb"""\st\s*=\s*["']([^"']*)["']""")
_REF_ATTRIBUTE = re.compile(rb"""\sref\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v(?=[\s/>])[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_INLINE = re.compile(rb"<(?:\w+:)?is(?=[\s>]).*?</(?:\w+:)?is>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_SHARED_ITEM = re.compile(rb"<(?:\w+:)?si(?:\s[^>]*)?>(.*?)</(?:\w+:)?si>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh(?=[\s>]).*?</(?:\w+:)?rPh>", re.S)


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _formula_cells(xml: bytes) -> Iterator[tuple[str, re.Match]]:
    """(cell reference, match of :data:`_FORMULA_CELL`) of every formula cell of a sheet."""
    data = _SHEET_DATA.search(xml)
    if data is None:
        return
    start, end = data.span()
    if _IMPLICIT.search(xml, start, end):
        yield from _formula_cells_by_place(xml, start, end)
        return
    for match in _FORMULA_CELL.finditer(xml, start, end):
        ref = _R.search(match.group("attrs"))
        yield (ref.group(1) + ref.group(2)).decode("ascii"), match


def _formula_cells_by_place(xml: bytes, start: int, end: int) -> Iterator[tuple[str, re.Match]]:
    """As :func:`_formula_cells`, where some rows or cells have no ``r``: counted as Excel does."""
    row = column = 0
    for tag in _ROW_OR_CELL.finditer(xml, start, end):
        ref = _R.search(tag.group("row") if tag.group("row") is not None else tag.group("attrs"))
        if tag.group("row") is not None:
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            column = 0
            continue
        if ref and ref.group(1):
            column, row = _column_number(ref.group(1)), int(ref.group(2) or row)
        else:
            column += 1
        match = _FORMULA_CELL.match(xml, tag.start())
        if match:
            yield f"{get_column_letter(column)}{row}", match


def _edit_sheet(xml: bytes, edit: Callable[[str, re.Match], bytes | None]) -> bytes:
    """``xml`` with each formula cell replaced by ``edit(ref, match)`` (None: left as it is)."""
    pieces, last = [], 0
    for ref, match in _formula_cells(xml):
        new = edit(ref, match)
        if new is not None:
            pieces += [xml[last:match.start()], new]
            last = match.end()
    if not pieces:
        return xml
    pieces.append(xml[last:])
    return b"".join(pieces)


def _replace_parts(data: bytes, new: dict[str, bytes]) -> bytes:
    """The package ``data`` with the parts in ``new`` replaced, every other entry as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, new[info.filename] if info.filename in new else source.read(info),
                            compress_type=info.compress_type)
    return out.getvalue()


def _edit_package(data: bytes, parts: Parts, edit: Callable[[str, str, re.Match], bytes | None],
                  sheets: set[str] | None = None) -> bytes:
    new = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for sheet, part in parts.items():
            if sheets is not None and sheet not in sheets:
                continue
            xml = package.read(part)
            edited = _edit_sheet(xml, lambda ref, match, sheet=sheet: edit(sheet, ref, match))
            if edited is not xml:
                new[part] = edited
    return _replace_parts(data, new) if new else data


# --------------------------------------------------------------------------------------------
# Cached values
# --------------------------------------------------------------------------------------------


def _shared_strings(package: zipfile.ZipFile) -> list[str]:
    name = next((n for n in package.namelist() if n.lower().endswith("sharedstrings.xml")), None)
    if name is None:
        return []
    return [html.unescape(b"".join(_TEXT.findall(_PHONETIC.sub(b"", item))).decode("utf-8"))
            for item in _SHARED_ITEM.findall(package.read(name))]


def _cached(kind: bytes, rest: bytes, strings: Callable[[], list[str]]) -> Any:
    """A cell's cached value from its ``t`` attribute and what follows its ``<f>``."""
    if kind == b"inlineStr":
        inline = _INLINE.search(rest)
        return html.unescape(b"".join(_TEXT.findall(inline.group(0))).decode("utf-8")) if inline else None
    value = _VALUE.search(rest)
    if value is None or value.group(1) is None:
        return None
    text = html.unescape(value.group(1).decode("utf-8"))
    if kind in (b"str", b"e", b"d"):
        return text
    if kind == b"b":
        return text.strip() in ("1", "true")
    if kind == b"s":
        index = int(text) if text.strip().isdigit() else -1
        table = strings()
        return table[index] if 0 <= index < len(table) else None
    text = text.strip()
    if not text:
        return None
    try:
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    except ValueError:
        return None


def read_cached(data: bytes, parts: Parts) -> dict[Key, Any]:
    """The cached value of every formula cell that has one, as openpyxl's ``data_only`` reads
    it (numbers stay numbers: a date is its serial number)."""
    values: dict[Key, Any] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        strings: list[list[str]] = []

        def shared() -> list[str]:
            if not strings:
                strings.append(_shared_strings(package))
            return strings[0]

        for sheet, part in parts.items():
            for ref, match in _formula_cells(package.read(part)):
                kind = _T.search(match.group("attrs") or b"")
                value = _cached(kind.group(1) if kind else b"n", match.group("rest"), shared)
                if value is not None:
                    values[(sheet, ref)] = value
    return values


# --------------------------------------------------------------------------------------------
# Writing formulas and cached values
# --------------------------------------------------------------------------------------------


def _escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")


def _cell(match: re.Match, attrs: bytes, body: bytes) -> bytes:
    prefix = match.group("p")
    return b"<" + prefix + b"c" + attrs + b">" + body + b"</" + prefix + b"c>"


def replace_formulas(data: bytes, parts: Parts, formulas: Mapping[Key, str]) -> bytes:
    """The package with the formula of each cell in ``formulas`` replaced (text with its ``=``).
    A shared formula becomes the cell's own; an array formula keeps its range."""
    def edit(sheet: str, ref: str, match: re.Match) -> bytes | None:
        text = formulas.get((sheet, ref))
        if text is None:
            return None
        head = match.group("f").strip().split(b">", 1)[0]
        array = _REF_ATTRIBUTE.search(head) if b'"array"' in head or b"'array'" in head else None
        prefix = match.group("p")
        formula = (b"<" + prefix + b"f" + (b' t="array" ref="' + array.group(1) + b'"' if array else b"") + b">"
                   + _escape(text.removeprefix("=")) + b"</" + prefix + b"f>")
        return _cell(match, match.group("attrs") or b"", formula + match.group("rest"))

    return _edit_package(data, parts, edit, {sheet for sheet, _ in formulas})


def _typed(value: Any) -> tuple[bytes | None, bytes | None]:
    """(``t`` attribute, ``<v>`` text) of a cached value; (None, None) for no value."""
    if isinstance(value, (list, tuple)):  # a table result: the anchor cell shows its first value
        first = value[0] if value else None
        return _typed(first[0] if isinstance(first, (list, tuple)) and first else first)
    if value is None:
        return None, None
    if isinstance(value, bool):
        return b"b", b"1" if value else b"0"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return b"e", b"#NUM!"
        return None, repr(float(value) if isinstance(value, float) else int(value)).encode("ascii")
    text = str(value)
    if text.split(" ", 1)[0] in EXCEL_ERRORS:
        return b"e", text.split(" ", 1)[0].encode("ascii")
    return b"str", _escape(text)


def write_values(data: bytes, parts: Parts, values: Mapping[Key, Any]) -> bytes:
    """The package with the cached value of each formula cell in ``values`` replaced; formulas,
    styles and everything else stay as they were."""
    def edit(sheet: str, ref: str, match: re.Match) -> bytes | None:
        key = (sheet, ref)
        if key not in values:
            return None
        kind, text = _typed(values[key])
        prefix = match.group("p")
        attrs = match.group("attrs") or b""
        if b"t" in attrs:
            attrs = _T.sub(b"", attrs)
        if kind is not None:
            attrs += b' t="' + kind + b'"'
        rest = match.group("rest")
        if rest:
            rest = _INLINE.sub(b"", _VALUE.sub(b"", rest))
        value = b"" if text is None else b"<" + prefix + b"v>" + text + b"</" + prefix + b"v>"
        return _cell(match, attrs, match.group("f") + value + rest)

    return _edit_package(data, parts, edit)
