"""Excel's error values and A1 cell references: the one place xlcompute reads either.

Standard library only: it also runs in xlwings Lite's Pyodide.

**Error values.** :data:`EXCEL_ERRORS` are the codes Excel shows in a cell; classic COM hands
error cells to Python as the integers of :data:`COM_ERRORS`. :func:`is_error` is the one rule
for "this value is an Excel error", :func:`error_code` says which. An xlcompute function that
fails returns an :class:`ExcelError`: text such as ``"#VALUE! tokens: must be ..."`` that also
carries its ``code`` and ``message``, so each face can turn it into a real error value (the
xlwings adapter for Excel, the workbook evaluator for its formula engine).

**References.** :func:`parse_reference` reads ``A1``, ``$A$1``, ``A1:B3``, whole columns
(``A:C``) and rows (``1:3``), each with an optional sheet (``Data!A1``, ``'My Sheet'!A1``, with
``''`` for a quote in the name) and workbook (``'[Book1.xlsx]Data'!A1``, ``[1]Data!A1``) into
a :class:`Reference`; :func:`address` and :func:`quote_sheet` write them back. Columns are
numbered from 1 (``A``), rows from 1, as in Excel and openpyxl.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

__all__ = [
    "COM_CODES",
    "COM_ERRORS",
    "EXCEL_ERRORS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Corner",
    "ExcelError",
    "Reference",
    "address",
    "column_index",
    "column_letters",
    "error_code",
    "is_cell",
    "is_error",
    "is_name",
    "parse_reference",
    "quote_sheet",
    "split_book",
    "split_sheet",
    "split_union",
]

# --------------------------------------------------------------------------------------------
# Error values
# --------------------------------------------------------------------------------------------

#: The error values Excel shows in cells (and stores with ``t="e"``). No code is a prefix of
#: another, so a text names at most one.
EXCEL_ERRORS: tuple[str, ...] = (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#BUSY!", "#FIELD!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#PYTHON!",
)

#: Error values as classic COM passes them to Python: int codes (``xlwings._xlwindows.cell_errors``).
COM_ERRORS: dict[int, str] = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}


#: Excel's error codes by the integer classic COM uses for them (``CVErr``'s SCODE).
COM_CODES: dict[str, int] = {code: number for number, code in COM_ERRORS.items()}


class ExcelError(str):
    """An Excel error value with its reason: ``ExcelError("#VALUE!", "tokens: must be ...")``.

    It *is* the text ``"#VALUE! tokens: must be ..."`` (so :func:`is_error`, comparisons and
    messages built from it keep working in plain Python) and carries ``code`` (``"#VALUE!"``)
    and ``message`` (``"tokens: must be ..."``) for the faces that write a real error value.
    """

    code: str
    message: str

    def __new__(cls, code: str, message: str = "") -> "ExcelError":
        if code not in EXCEL_ERRORS:
            raise ValueError(f"not an Excel error code: {code!r}")
        self = super().__new__(cls, f"{code} {message}" if message else code)
        self.code, self.message = code, message
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickles as itself (reports run in worker processes)
        return (ExcelError, (self.code, self.message))

    def __repr__(self) -> str:
        return f"ExcelError({self.code!r}, {self.message!r})"


def is_error(value: Any) -> bool:
    """True for text that starts with an Excel error code: ``"#N/A"``, ``"#VALUE! tokens: ..."``.

    One rule for every caller. It must accept what each of them meets: an error cell as
    openpyxl reads it (the bare code), the ``formulas`` engine's ``XlError`` (a ``str``
    subclass), and the ``"#VALUE! <argument>: <why>"`` text an xlcompute function returns, so
    an exact match is too strict. It must not take ordinary text for an error, so "starts
    with ``#``" is too loose (``"#1 model"``). Leading blanks are not skipped: no error value
    has them (callers that strip a cell's text do so first). Upper case only, as Excel, COM
    and Office.js all write the codes. COM's integer codes are not errors here, since a
    workbook cell may hold that very integer; :func:`error_code` reads them for COM inputs.
    """
    return isinstance(value, str) and value.startswith(EXCEL_ERRORS)


def error_code(value: Any) -> str | None:
    """The error code ``value`` holds (``"#N/A"``), or None.

    Text follows :func:`is_error`; an ``int`` (not a float or bool: COM passes numbers as
    floats) is looked up in :data:`COM_ERRORS`.
    """
    if isinstance(value, str):
        if not value.startswith(EXCEL_ERRORS):
            return None
        return next(code for code in EXCEL_ERRORS if value.startswith(code))
    if type(value) is int:
        return COM_ERRORS.get(value)
    return None


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

#: The size of an Excel sheet (XFD1048576). Parsing does not enforce it: a hostile file may
#: name cells past it, and the workbook guards must still see how far they reach.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

_LETTERS = re.compile(r"[A-Za-z]{1,3}")


def column_index(letters: str) -> int:
    """The number of a column: ``"A"`` -> 1, ``"AB"`` -> 28 (one to three letters, any case)."""
    if not _LETTERS.fullmatch(letters):
        raise ValueError(f"not a column: {letters!r}")
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


@functools.lru_cache(maxsize=MAX_COLUMNS)
def column_letters(index: int) -> str:
    """The letters of column ``index``: 1 -> ``"A"``, 28 -> ``"AB"``."""
    if index < 1:
        raise ValueError(f"not a column number: {index!r}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------------------------
# Sheets and workbooks
# --------------------------------------------------------------------------------------------

# A sheet before "!": quoted (quotes doubled inside) or bare (no quote or "!"; blanks are
# taken, though Excel would quote them, as users type ``My Sheet!B4``).
_SHEET_PREFIX = re.compile(r"'((?:[^']|'')+)'!|([^'!]+)!")
_BOOK = re.compile(r"(.*)\[([^\[\]]*)\](.*)", re.S)
# A name that needs no quotes: letters, digits, "_" and "." not starting with a digit, and
# not readable as a cell (A1) or an R1C1 reference.
_BARE_SHEET = re.compile(r"[A-Za-z_][\w.]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc]?[0-9]*|[Cc][0-9]*", re.ASCII)


def split_sheet(text: str) -> tuple[str | None, str]:
    """The sheet and the rest: ``"'It''s'!A1"`` -> ``("It's", "A1")``; ``(None, text)`` without one.

    A workbook prefix stays with the sheet (``"[Book1.xlsx]Data"``); :func:`split_book` takes it off.
    """
    match = _SHEET_PREFIX.match(text)
    if match is None:
        return None, text
    quoted, bare = match.groups()
    return (bare if quoted is None else quoted.replace("''", "'")), text[match.end():]


def split_book(sheet: str) -> tuple[str | None, str]:
    """The workbook and the sheet: ``"[Book1.xlsx]Data"`` -> ``("Book1.xlsx", "Data")``.

    A path before the brackets is kept with the book (``C:\\dir\\Book1.xlsx``); ``(None, sheet)``
    for a sheet of this workbook. Sheet names cannot hold brackets, so any bracket is a book.
    """
    match = _BOOK.fullmatch(sheet)
    if match is None:
        return None, sheet
    return match[1] + match[2], match[3]


def quote_sheet(sheet: str) -> str:
    """``sheet`` as a formula writes it: bare when it can be (``Data``), else quoted (``'My Sheet'``)."""
    if _BARE_SHEET.fullmatch(sheet) and not _CELL_LIKE.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------

_CORNER = re.compile(r"(?:(\$?)([A-Za-z]{1,3}))?(?:(\$?)([0-9]{1,7}))?")
_NAME = re.compile(r"[A-Za-z_\\][\w.]*")


class Corner(NamedTuple):
    """One end of a reference: a cell, or a column (``row`` None) or row (``column`` None) of a
    whole-column or whole-row range; ``$`` makes a part absolute."""

    column: int | None
    row: int | None
    column_absolute: bool = False
    row_absolute: bool = False

    def __str__(self) -> str:
        column = "" if self.column is None else ("$" if self.column_absolute else "") + column_letters(self.column)
        row = "" if self.row is None else ("$" if self.row_absolute else "") + str(self.row)
        return column + row

    @property
    def coordinate(self) -> str:
        """This end without ``$``: ``"B3"``, ``"B"`` or ``"3"``."""
        return (column_letters(self.column) if self.column is not None else "") + (
            str(self.row) if self.row is not None else "")

    def relative_to(self, row: int, column: int) -> str:
        """This end in R1C1 notation seen from (``row``, ``column``): ``B3`` from C1 is ``R[2]C[-1]``."""
        r = "" if self.row is None else (f"R{self.row}" if self.row_absolute else f"R[{self.row - row}]")
        c = "" if self.column is None else (f"C{self.column}" if self.column_absolute else f"C[{self.column - column}]")
        return r + c


class Reference(NamedTuple):
    """A parsed A1 reference: one cell (``last`` None), a range, whole columns or whole rows."""

    first: Corner
    last: Corner | None = None
    sheet: str | None = None  #: without quotes; None: the formula's own sheet
    book: str | None = None  #: another workbook (external reference), or None

    @property
    def is_cell(self) -> bool:
        return self.last is None

    @property
    def coordinate(self) -> str:
        """The reference without sheet or ``$``: ``"B3"``, ``"A1:B3"``, ``"A:C"``."""
        return self.first.coordinate + ("" if self.last is None else ":" + self.last.coordinate)

    def bounds(self, max_row: int | None = None, max_column: int | None = None) -> tuple[int, int, int, int]:
        """(min_col, min_row, max_col, max_row), ends in either order.

        Whole columns run to ``max_row`` and whole rows to ``max_column`` (the sheet's extent);
        ValueError if the one needed is not given.
        """
        last = self.last or self.first
        cols = (self.first.column, last.column)
        rows = (self.first.row, last.row)
        if cols[0] is None or cols[1] is None:
            if max_column is None:
                raise ValueError(f"{self.coordinate} is a whole row: give max_column")
            cols = (1, max_column)
        if rows[0] is None or rows[1] is None:
            if max_row is None:
                raise ValueError(f"{self.coordinate} is a whole column: give max_row")
            rows = (1, max_row)
        return min(cols), min(rows), max(cols), max(rows)

    def __str__(self) -> str:
        prefix = ""
        if self.sheet is not None or self.book is not None:
            sheet = self.sheet or ""
            if self.book is not None:
                prefix = "'" + f"[{self.book}]{sheet}".replace("'", "''") + "'!"
            else:
                prefix = quote_sheet(sheet) + "!"
        return prefix + str(self.first) + ("" if self.last is None else f":{self.last}")


def _corner(text: str) -> Corner | None:
    match = _CORNER.fullmatch(text)
    if match is None or not text:
        return None
    column_dollar, letters, row_dollar, digits = match.groups()
    if digits is not None and int(digits) < 1:
        return None
    return Corner(None if letters is None else column_index(letters), None if digits is None else int(digits),
                  bool(column_dollar), bool(row_dollar))


@functools.lru_cache(maxsize=8192)
def parse_reference(text: str) -> Reference | None:
    """``text`` as a :class:`Reference`, or None when it is not one (a defined name, a
    structured reference such as ``Table1[Col]``, a union ``A1,B2``, malformed text).

    A single end must be a cell; a range joins two cells, two columns or two rows. Blanks
    around the text are not allowed, matching what formulas and openpyxl hand over.
    Results are cached (they are immutable): a workbook names the same cells again and again.
    """
    sheet, area = split_sheet(text)
    book = None
    if sheet is not None:
        book, sheet = split_book(sheet)
        if not sheet and book is None:
            return None
    first_text, colon, last_text = area.partition(":")
    first = _corner(first_text)
    if first is None:
        return None
    if not colon:
        if first.column is None or first.row is None:
            return None
        return Reference(first, None, sheet, book)
    last = _corner(last_text)
    if last is None or (first.column is None) != (last.column is None) or (first.row is None) != (last.row is None):
        return None
    return Reference(first, last, sheet, book)


def is_cell(text: str) -> bool:
    """True for a single-cell reference (``B3``, ``$B$3``, ``Data!B3``)."""
    reference = parse_reference(text)
    return reference is not None and reference.is_cell


def is_name(text: str) -> bool:
    """True for text that can be a defined name (``tokens``, ``_x.y``), not a cell reference."""
    return bool(_NAME.fullmatch(text)) and not is_cell(text)


def address(column: int, row: int, sheet: str | None = None) -> str:
    """The A1 address of a cell: ``address(2, 3)`` -> ``"B3"``; with ``sheet``, ``"'My Sheet'!B3"``."""
    cell = f"{column_letters(column)}{row}"
    return cell if sheet is None else f"{quote_sheet(sheet)}!{cell}"


# A comma outside quotes: the separator of a union (``Data!A1,'A, B'!C3``).
_UNION_COMMA = re.compile(r",(?![^']*'(?:[^']*'[^']*')*[^']*$)")


def split_union(text: str) -> list[str]:
    """The parts of a reference union, as a defined name may hold one: ``"A1,B2"`` -> ``["A1", "B2"]``."""
    return _UNION_COMMA.split(text)
