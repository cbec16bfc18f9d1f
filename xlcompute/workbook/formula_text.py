"""Formula text from an untrusted workbook, read before any formula engine sees it.

A formula can reach outside its workbook without any external-link part: a book prefix
(``='[other.xlsx]Prices'!B1``, ``[1]Prices!A1``), a path (``'../x/[a.xlsx]S'!A1``,
``'C:\\dir\\[a.xlsx]S'!A1``), a file name before ``!`` (``=other.xlsx!Price``), a DDE call
(``=cmd|'/c calc'!A0``) or a function that opens, fetches or calls something (``INDIRECT``,
``WEBSERVICE``, ``CALL`` ...). A formula engine would follow them. :func:`formula_findings`
finds them with a small lexer that knows Excel's string literals and quoted sheet names, so a
``[`` inside ``"text"`` or a structured reference (``Items[Amount]``) is not taken for a book.
It also finds volatile functions (a new value on every calculation) and measures a formula
against Excel's own limits (:func:`limit_problem`).

:class:`PartScanner` reads a sheet part or the shared-strings part as the guard streams it,
before openpyxl reads the file: each formula with its cell, and every text against Excel's
32,767-character cell limit.

Limits are Excel's own ("Excel specifications and limits", Microsoft Support,
https://support.microsoft.com/en-us/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3):
a formula of 8,192 characters, 64 nested levels of functions, 32,767 characters in a cell.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Collection

__all__ = ["FORBIDDEN_FUNCTIONS", "MAX_CELL_TEXT", "MAX_FORMULA_CHARS", "MAX_NESTING", "VOLATILE_FUNCTIONS",
           "FormulaFinding", "LocatedFormula", "PartScanner", "formula_findings", "limit_problem", "scan_formula"]

#: Excel's limits (see the module docstring): formula length, nesting, text in one cell.
MAX_FORMULA_CHARS = 8_192
MAX_NESTING = 64
MAX_CELL_TEXT = 32_767

#: Functions that reach outside the workbook, and why each is refused.
FORBIDDEN_FUNCTIONS = {
    "INDIRECT": "builds a reference from text when it runs, which can name another workbook",
    "HYPERLINK": "links to a file or web address",
    "WEBSERVICE": "downloads from the network",
    "FILTERXML": "parses XML (the companion of WEBSERVICE)",
    "IMAGE": "downloads a picture from the network",
    "STOCKHISTORY": "downloads market data",
    "RTD": "calls a real-time data server, a program on this computer",
    "CALL": "calls a function in a DLL",
    "REGISTER": "loads a function from a DLL",
    "REGISTER.ID": "loads a function from a DLL",
    "EXEC": "runs a program (an Excel 4.0 macro function)",
    "FOPEN": "opens a file (an Excel 4.0 macro function)",
    "FILES": "lists a folder (an Excel 4.0 macro function)",
    "DIRECTORY": "reads the current folder (an Excel 4.0 macro function)",
    "INFO": "reports this computer's folder and system",
    "CELL": "reports the workbook's own file path (CELL(\"filename\"))",
}

#: Functions whose value changes on every calculation: each report would show other figures.
#: (OFFSET is volatile in Excel's recalculation sense only: its value is the same each time.)
VOLATILE_FUNCTIONS = {
    "RAND": "a new random number", "RANDBETWEEN": "a new random number", "RANDARRAY": "new random numbers",
    "NOW": "the current date and time", "TODAY": "the current date",
}

#: Prefixes a saved workbook puts before newer or add-in function names.
_FUNCTION_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.", "_XLUDF.")
#: Characters that end a word (an operand or function name) outside brackets.
_DELIMITERS = set("\"'(),;{}+-*/^&=<>% \t\r\n|!")
#: A file name before "!": a sheet name never ends in an extension like ".xlsx".
_FILE_LIKE = re.compile(r".*\.[A-Za-z][A-Za-z0-9]{1,5}")


@dataclass(frozen=True)
class FormulaScan:
    """What one pass over a formula found (see :func:`scan_formula`)."""

    length: int
    depth: int  #: deepest nesting of parentheses
    functions: tuple[str, ...]  #: upper case, without _xlfn. prefixes
    prefixes: tuple[str, ...]  #: what stands before each "!", unquoted
    dde: bool  #: a "|" outside text: app|topic!item
    open_bracket_before_bang: bool  #: "]...!" seen anywhere outside text (a fallback for odd spellings)


def scan_formula(text: str) -> FormulaScan:
    """Lex ``text`` (with or without its leading ``=``) once: functions, sheet prefixes, nesting."""
    n = len(text)
    i = 1 if text.startswith("=") else 0
    depth = deepest = 0
    functions: list[str] = []
    prefixes: list[str] = []
    dde = bracket_bang = False
    seen_bracket = False
    while i < n:
        ch = text[i]
        if ch == '"':  # a string literal
            i = _closing(text, i) + 1
            continue
        if ch == "'":  # a quoted sheet (or book and sheet) name
            start, i = i + 1, _closing(text, i)
            name = text[start:i].replace("''", "'")
            i += 1
            if i < n and text[i] == "!":
                prefixes.append(name)
                bracket_bang = bracket_bang or "]" in name
            continue
        if ch in "({":
            depth += 1
            deepest = max(deepest, depth)
            i += 1
            continue
        if ch in ")}":
            depth = max(depth - 1, 0)
            i += 1
            continue
        if ch == "|":
            dde = True
            i += 1
            continue
        if ch == "!":
            bracket_bang = bracket_bang or seen_bracket
            i += 1
            continue
        if ch in _DELIMITERS:
            if ch not in " \t\r\n":
                seen_bracket = False
            i += 1
            continue
        start, brackets = i, 0
        while i < n and (brackets or text[i] not in _DELIMITERS):  # a word; [..] groups may hold anything
            if text[i] == "[":
                brackets += 1
                seen_bracket = True
            elif text[i] == "]":
                brackets = max(brackets - 1, 0)
            elif brackets and text[i] == '"':  # text inside brackets (structured refs never have it): skip it
                i += 1
                while i < n and text[i] != '"':
                    i += 1
            i += 1
        word = text[start:i]
        j = i
        while j < n and text[j] in " \t\r\n":
            j += 1
        if i < n and text[i] == "!":
            prefixes.append(word)
        elif j < n and text[j] == "(" and word:
            functions.append(_function_name(word))
    return FormulaScan(n, deepest, tuple(functions), tuple(prefixes), dde, bracket_bang)


def _closing(text: str, start: int) -> int:
    """Where the quote opened at ``start`` closes (a doubled quote inside is one character), or the end."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == quote:
            if text[i + 1:i + 2] != quote:
                return i
            i += 1
        i += 1
    return len(text)


def _function_name(word: str) -> str:
    name = word.upper().lstrip("@")
    for prefix in _FUNCTION_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def limit_problem(text: str, scan: FormulaScan | None = None) -> tuple[str, str] | None:
    """(expected, found) when ``text`` is over Excel's length or nesting limit, else None."""
    if len(text) > MAX_FORMULA_CHARS:
        return f"a formula of at most {MAX_FORMULA_CHARS:,} characters (Excel's limit)", f"{len(text):,} characters"
    scan = scan or scan_formula(text)
    if scan.depth > MAX_NESTING:
        return (f"formulas nested at most {MAX_NESTING} levels deep (Excel's limit)",
                f"{scan.depth} levels of parentheses")
    return None


@dataclass(frozen=True)
class FormulaFinding:
    """Something in a formula that xlcompute refuses: what, and why.

    ``kind``: ``"workbook"`` (another workbook or a path), ``"dde"``, ``"function"`` (reaches
    outside: :data:`FORBIDDEN_FUNCTIONS`) or ``"volatile"`` (:data:`VOLATILE_FUNCTIONS`).
    """

    kind: str
    what: str
    message: str
    hint: str

    @property
    def foreign(self) -> bool:
        """True when a formula engine following it would read or run something outside the workbook."""
        return self.kind != "volatile"


def _foreign_prefix(prefix: str, sheets: dict[str, str]) -> bool:
    if any(ch in prefix for ch in "[]/\\"):
        return True
    if prefix.lower() in sheets:
        return False
    if ":" in prefix:  # a 3-D reference Jan:Dec!B2 names two sheets of this workbook; C:x.xlsx does not
        return not all(part.lower() in sheets for part in prefix.split(":"))
    return bool(_FILE_LIKE.fullmatch(prefix))


def formula_findings(text: str, sheets: Collection[str] = (), scan: FormulaScan | None = None) -> list[FormulaFinding]:
    """What in formula ``text`` xlcompute refuses: references to other workbooks or paths, DDE,
    functions that reach outside, volatile functions. ``sheets`` are this workbook's sheet names."""
    scan = scan or scan_formula(text)
    known = {s.lower(): s for s in sheets}
    out: list[FormulaFinding] = []
    copy_values = "Copy the values into this workbook (Paste Special > Values) and refer to them there"
    for prefix in () if scan.dde else dict.fromkeys(scan.prefixes):  # DDE: app|'topic'!item is one finding
        if _foreign_prefix(prefix, known):
            out.append(FormulaFinding("workbook", prefix, f"the formula refers to another file ({prefix!r}), "
                                      "which xlcompute never opens", copy_values))
    if scan.open_bracket_before_bang and not scan.dde and not any(f.kind == "workbook" for f in out):
        out.append(FormulaFinding("workbook", "[...]", "the formula refers to another workbook (a [book] prefix), "
                                  "which xlcompute never opens", copy_values))
    if scan.dde:
        out.append(FormulaFinding("dde", "|", "the formula is a DDE call to another program (app|topic!item), "
                                  "which xlcompute never runs",
                                  "Replace it with the value it returned"))
    for name in dict.fromkeys(scan.functions):
        if name in FORBIDDEN_FUNCTIONS:
            out.append(FormulaFinding("function", name, f"{name}() {FORBIDDEN_FUNCTIONS[name]}; xlcompute never "
                                      "evaluates it", "Replace it with the value or a direct cell reference"))
        elif name in VOLATILE_FUNCTIONS:
            out.append(FormulaFinding("volatile", name, f"{name}() gives {VOLATILE_FUNCTIONS[name]} on every "
                                      "calculation, so each report would show other figures",
                                      "Type the value instead" + (" (Ctrl+; types today's date)"
                                                                  if name in ("NOW", "TODAY") else "")))
    return out


# --------------------------------------------------------------------------------------------
# Reading the parts as they stream (the guard feeds every chunk it reads, before openpyxl)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocatedFormula:
    """A formula's text and where it is: a cell of a sheet, or a defined name."""

    text: str
    sheet: str | None = None
    cell: str | None = None
    name: str | None = None


_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix (x:c)


def _patterns(prefix: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """A cell whose first child is a formula with text (shared-formula copies have none), and a
    value or string run of at least MAX_CELL_TEXT bytes (a candidate, counted exactly after)."""
    formula = rb"<" + prefix + rb"c\b([^>]*)>\s*<" + prefix + rb"f\b[^>]*>([^<]*)</" + prefix + rb"f\s*>"
    text = rb"<" + prefix + rb"(?:v|t)\b[^>]*>([^<]{%d,})<" % MAX_CELL_TEXT
    return re.compile(formula), re.compile(text)


#: Without namespace prefixes (what Excel writes: fast) and with them (x:c, as some tools write).
_PLAIN, _PREFIXED = _patterns(b""), _patterns(_P)
_CELL_REF = re.compile(rb'\br\s*=\s*"([^"]{1,32})"')
#: Where a new cell (sheet) or shared string starts: a chunk is read up to the last one.
_ELEMENT_START = re.compile(rb"<" + _P + rb"(?:c|si)[\s>]")
#: Longest run of bytes without "<" in a sheet or shared-strings part: a 32,767-character text
#: written as character references (&#x10FFFF;) is 328 kB; a longer run is over Excel's limits.
MAX_TEXT_RUN_BYTES = 400_000


class PartScanner:
    """Reads a sheet or shared-strings part chunk by chunk (:meth:`feed`, then :meth:`close`):
    each formula goes to ``on_formula`` with its cell, each text over :data:`MAX_CELL_TEXT`
    characters to ``on_long_text(cell or None, length)``. Byte patterns, not an XML parser:
    the guard has rejected DTDs already, and a regular expression over the bytes is ten times
    faster than building elements (openpyxl parses the part properly afterwards).

    Each chunk is read up to the start of the last cell in it, the rest carried over; a formula
    cell spans at most three runs without "<" (the cell's tag, the formula's tag, its text), so
    the carry stays under ``3 * MAX_TEXT_RUN_BYTES`` once longer runs are refused.
    """

    def __init__(self, sheet: str | None, on_formula: Callable[[LocatedFormula], None],
                 on_long_text: Callable[[str | None, int], None]) -> None:
        self.sheet, self.on_formula, self.on_long_text = sheet, on_formula, on_long_text
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        buffer = self.carry + chunk
        last_tag = buffer.rfind(b"<")
        if len(buffer) - max(last_tag, 0) > MAX_TEXT_RUN_BYTES:
            self.on_long_text(None, len(buffer) - max(last_tag, 0))  # raises: more text than any cell holds
        cut = _last_element_start(buffer, max(0, len(buffer) - 3 * MAX_TEXT_RUN_BYTES))
        if cut is None:
            cut = max(last_tag, 0)
        self._scan(buffer, cut)
        self.carry = buffer[cut:]

    def close(self) -> None:
        self._scan(self.carry, len(self.carry))
        self.carry = b""

    def _scan(self, buffer: bytes, end: int) -> None:
        prefixed = b":c " in buffer or b":c>" in buffer or b":si" in buffer
        cell_formula, long_text = _PREFIXED if prefixed else _PLAIN
        for match in cell_formula.finditer(buffer, 0, end) if b"f" in buffer else ():
            if match[2].strip():
                ref = _CELL_REF.search(match[1])
                text = _unescape(match[2])
                self.on_formula(LocatedFormula(text if text.startswith("=") else "=" + text, self.sheet,
                                               ref[1].decode("ascii", "replace") if ref else None))
        for match in long_text.finditer(buffer, 0, end):
            length = len(_unescape(match[1]))
            if length > MAX_CELL_TEXT:
                start = buffer.rfind(b"<", 0, match.start())
                while start > 0 and not _ELEMENT_START.match(buffer, start):
                    start = buffer.rfind(b"<", 0, start)
                ref = _CELL_REF.search(buffer, start, match.start()) if start >= 0 else None
                self.on_long_text(ref[1].decode("ascii", "replace") if ref else None, length)


_STARTS = (b"<c ", b"<c>", b"<si>", b"<si ", b":c ", b":c>", b":si>", b":si ")


def _last_element_start(buffer: bytes, floor: int) -> int | None:
    """Where the last cell or shared string starting at or after ``floor`` begins (its "<"), or None.
    A few ``rfind`` calls: iterating over every cell of a megabyte chunk would cost ten times more."""
    best = None
    for pattern in _STARTS:
        at = buffer.rfind(pattern, floor)
        if at >= 0 and pattern[0:1] == b":":  # <x:c ...: back to the "<" of the prefix
            at = buffer.rfind(b"<", floor, at)
            if at < 0 or not _ELEMENT_START.match(buffer, at):
                continue
        if at >= 0 and (best is None or at > best):
            best = at
    return best


def _unescape(data: bytes) -> str:
    return html.unescape(data.decode("utf-8", "replace"))
