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

:func:`scan_sheet_xml` and :func:`scan_shared_strings` walk a sheet part and the
shared-strings part as they stream (the guard calls them before openpyxl reads the file):
each formula with its cell, and every text against Excel's 32,767-character cell limit.

Limits are Excel's own ("Excel specifications and limits", Microsoft Support,
https://support.microsoft.com/en-us/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3):
a formula of 8,192 characters, 64 nested levels of functions, 32,767 characters in a cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Callable, Collection, Iterator

__all__ = ["FORBIDDEN_FUNCTIONS", "MAX_CELL_TEXT", "MAX_FORMULA_CHARS", "MAX_NESTING", "VOLATILE_FUNCTIONS",
           "FormulaFinding", "LocatedFormula", "formula_findings", "limit_problem", "scan_formula",
           "scan_shared_strings", "scan_sheet_xml"]

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
        if ch == '"':  # a string literal, "" inside for a quote
            i += 1
            while i < n:
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        i += 2
                        continue
                    break
                i += 1
            i += 1
            continue
        if ch == "'":  # a quoted sheet (or book and sheet) name, '' inside for a quote
            start = i + 1
            i += 1
            while i < n:
                if text[i] == "'":
                    if i + 1 < n and text[i + 1] == "'":
                        i += 2
                        continue
                    break
                i += 1
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
        out.append(FormulaFinding("dde", "|", "the formula is a DDE call to another program (app|topic!item)",
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
# Walking the parts as they stream (called by the guard, before openpyxl reads the file)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocatedFormula:
    """A formula's text and where it is: a cell of a sheet, or a defined name."""

    text: str
    sheet: str | None = None
    cell: str | None = None
    name: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def scan_sheet_xml(stream: IO[bytes], sheet: str,
                   on_text_too_long: Callable[[str, int], None]) -> Iterator[LocatedFormula]:
    """The formulas of a sheet part, each with its cell, as the XML streams; every cell text
    (inline string or cached formula text) longer than :data:`MAX_CELL_TEXT` goes to
    ``on_text_too_long(cell, length)``. The part must have passed the guard's DTD check."""
    from defusedxml.ElementTree import iterparse  # noqa: PLC0415

    for _, element in iterparse(stream, events=("end",)):
        tag = _local(element.tag)
        if tag == "c":
            cell = element.get("r") or "?"
            for child in element.iter():
                local = _local(child.tag)
                text = child.text or ""
                if local == "f" and text:
                    yield LocatedFormula(text if text.startswith("=") else "=" + text, sheet, cell)
                elif local in ("v", "t") and len(text) > MAX_CELL_TEXT:
                    on_text_too_long(cell, len(text))
            element.clear()
        elif tag == "row":
            element.clear()


def scan_shared_strings(stream: IO[bytes]) -> int | None:
    """The length of the first shared string longer than :data:`MAX_CELL_TEXT`, else None."""
    from defusedxml.ElementTree import iterparse  # noqa: PLC0415

    for _, element in iterparse(stream, events=("end",)):
        if _local(element.tag) == "si":
            length = sum(len(t.text or "") for t in element.iter() if _local(t.tag) == "t")
            if length > MAX_CELL_TEXT:
                return length
            element.clear()
    return None
