"""Evaluate a workbook once: the value of every cell and a record of every xlcompute call.

``evaluate(path)`` opens the workbook with the guarded opener (or takes it already opened),
reads its cells, defined names, number formats and Excel tables, and has the formula engine
(:mod:`.engine`) evaluate every formula once. Each call of an xlcompute function is recorded for
the cell that made it, as the registry's ``Outcome``: value, formula breakdown and the catalog
rows it used. The report formats those records; nothing is computed again.

Two modes, chosen by what the file holds:

- **cached**: Excel (or LibreOffice) saved the workbook, so formula cells carry cached values
  (read from the sheets' XML, :mod:`.xlsx_cells`). Those are the values shown. An *xlcompute*
  cell (a formula calling an xlcompute function) whose cached value differs from what the
  engine computes from the workbook's current inputs is **stale**: an input changed and Excel
  did not recalculate, or a catalog row changed since.
- **headless**: no cached values (written by openpyxl or a script); the engine's values are shown.

Formulas the engine cannot evaluate, functions or names it does not know and cells showing
Excel errors are listed as :class:`CellIssue` with their sheet and cell. Where the engine
differs from Excel: comparisons of fractions are exact (``=0.1+0.2=0.3`` is FALSE; Excel, which
compares 15 significant digits, says TRUE), and it passes an omitted argument of its own
functions as 0 (:func:`mark` passes a blank to xlcompute functions, as Excel does).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils import get_column_letter, range_boundaries

from ..functions import REGISTRY, Outcome
from ..functions.excel_values import is_error
from .dependencies import refuse_foreign_references
from .engine import CALL, Engine, failure
from .guard import checked_bytes, open_workbook, workbook_info
from .xlsx_cells import read_cached, replace_formulas
from .xlsx_spill import clear_spilled

#: Relative difference above which a cached xlcompute value counts as stale.
STALE_TOLERANCE = 1e-9
#: Prefixes under which a saved workbook may carry an add-in function's name.
ALIAS_PREFIXES = ("XLC.", "_XLDUDF_", "_xldudf_")
#: Text that may call an xlcompute function (in upper case): only such formulas are tokenized,
#: not every formula of a large workbook.
_MAY_CALL = re.compile(r"(?:%s)\s*\(" % "|".join(map(re.escape, sorted(REGISTRY, key=len, reverse=True))))

@dataclass(frozen=True)
class CellIssue:
    """A problem found while evaluating: where, and what."""

    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        where = "!".join(part for part in (self.sheet, self.cell) if part and part != "-")  # "-": no sheet/cell
        return f"{where}: {self.message}" if where else self.message


@dataclass
class XlcomputeCell:
    """A formula cell calling xlcompute functions, with the calls it made."""

    sheet: str
    cell: str
    formula: str
    value: Any  # the value the workbook shows (cached, or the engine's)
    recomputed: Any = None  # the engine's value from the workbook's current inputs
    stale: bool = False
    error: str = ""
    calls: list[Outcome] = field(default_factory=list)  # each call: value, breakdown, catalog rows

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass
class Evaluation:
    """Values of every cell of a workbook and what is known about its xlcompute cells."""

    path: Path
    mode: str  # "cached" or "headless"
    values: dict[tuple[str, str], Any]  # what the workbook shows
    formulas: dict[tuple[str, str], str]
    names: dict[str, tuple[str, str]]  # single-cell defined names -> (sheet, cell)
    number_formats: dict[tuple[str, str], str]
    xlcompute_cells: list[XlcomputeCell]
    issues: list[CellIssue]
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # Excel tables -> (sheet, ref)
    sheets: list[str] = field(default_factory=list)
    computed: dict[tuple[str, str], Any] = field(default_factory=dict)  # the engine's value of every formula
    #: Cells a program without the add-in saved as #NAME? and the evaluation computed ("Sheet!B5").
    recomputed_names: list[str] = field(default_factory=list)
    #: The engine's value of every cell an array formula fills besides its own (its spill).
    spilled: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def stale(self) -> list[XlcomputeCell]:
        return [c for c in self.xlcompute_cells if c.stale]

    def value(self, name: str, default: Any = None) -> Any:
        """The value of a single-cell defined name."""
        where = self.names.get(name.upper())
        return self.values.get(where, default) if where else default

    def where(self, name: str) -> str:
        sheet, cell = self.names[name.upper()]
        return f"{sheet}!{cell}"


# --------------------------------------------------------------------------------------------
# Formulas: which functions they call, and the xlcompute calls marked with their cell
# --------------------------------------------------------------------------------------------


def _tokens(formula: str) -> list | None:
    """The formula's tokens (openpyxl's Excel tokenizer), None when it cannot read it."""
    try:
        return Tokenizer(formula).items
    except Exception:  # noqa: BLE001 - an unreadable formula is reported by the engine
        return None


def _opens_function(token: Any) -> bool:
    return token.type == Token.FUNC and token.subtype == Token.OPEN


def functions_used(formula: str) -> list[str]:
    """Upper-case names of the functions a formula calls (openpyxl's Excel tokenizer)."""
    return [t.value[:-1].upper() for t in _tokens(formula) or () if _opens_function(t)]


def base_name(function: str) -> str:
    """The Excel name under an add-in prefix: ``_xldudf_TRAIN_FLOPS`` -> ``TRAIN_FLOPS``."""
    for prefix in ALIAS_PREFIXES:
        if function.upper().startswith(prefix.upper()):
            return function[len(prefix):].upper()
    return function.upper()


def mark(formula: str, index: int) -> str | None:
    """``formula`` with each xlcompute call ``NAME(args)`` written ``XLCOMPUTE.CALL(index,"NAME",args)``,
    so that the engine's call reaches the registry together with the cell it is made for; None
    when the formula calls none (or cannot be read). An omitted argument (``NAME(a,,c)``) becomes
    ``""``, a blank, as Excel passes it to an add-in function (the engine would pass 0)."""
    items = _tokens(formula) if _MAY_CALL.search(formula.upper()) else None
    if not items or not any(_opens_function(t) and base_name(t.value[:-1]) in REGISTRY for t in items):
        return None
    out: list[str] = []
    stack: list[list[str | None]] = []  # per open group: where an xlcompute call's argument list stands
    for token in items:
        state = stack[-1][0] if stack else None
        if state is not None and token.type != Token.WSPACE:
            if token.subtype == Token.CLOSE:
                out.append('""' if state == "comma" else "")
            elif token.type == Token.SEP and token.subtype == Token.ARG:
                out.append(',""' if state == "open" else '""' if state == "comma" else "")
                stack[-1][0] = "comma"
            else:  # an argument starts (or goes on)
                out.append("," if state == "open" else "")
                stack[-1][0] = "arg"
        if token.subtype == Token.OPEN:
            name = base_name(token.value[:-1]) if token.type == Token.FUNC else ""
            stack.append(["open" if name in REGISTRY else None])
            if name in REGISTRY:
                out.append(f'{CALL}({index},"{name}"')
                continue
        elif token.subtype == Token.CLOSE and stack:
            stack.pop()
        out.append(token.value)
    return "=" + "".join(out)


# --------------------------------------------------------------------------------------------
# Evaluating
# --------------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return False
        return math.isclose(a, b, rel_tol=STALE_TOLERANCE, abs_tol=1e-12)
    return str(a) == str(b)


def _cell_order(cell: str) -> tuple[int, int]:
    min_col, min_row, _, _ = range_boundaries(cell)
    return (min_row or 0, min_col or 0)


def _name_ranges(wb: Any) -> dict[str, tuple[str, str]]:
    """Workbook-level names with one destination -> (sheet, cell or range), upper-case names."""
    ranges = {}
    for name, defined in wb.defined_names.items():
        try:
            destinations = list(defined.destinations)
        except Exception:  # noqa: BLE001 - a name that names another name has no cell of its own (check refuses it)
            continue
        if len(destinations) == 1:
            sheet, ref = destinations[0]
            ranges[name.upper()] = (sheet, ref.replace("$", ""))
    return ranges


@dataclass
class _Cells:
    """What openpyxl read: constants and formulas, number formats, formula positions."""

    values: dict[tuple[str, str], Any] = field(default_factory=dict)
    formulas: dict[tuple[str, str], str] = field(default_factory=dict)
    number_formats: dict[tuple[str, str], str] = field(default_factory=dict)
    positions: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    arrays: dict[tuple[str, str], str] = field(default_factory=dict)  # array formula -> the range it fills


def _read_cells(wb: Any) -> _Cells:
    cells = _Cells()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if value is None:
                    continue
                key = (ws.title, cell.coordinate)
                cells.number_formats[key] = cell.number_format
                if isinstance(value, str) and value.startswith("=") and cell.data_type == "f":  # not text typed '=...
                    cells.formulas[key] = value
                elif hasattr(value, "text"):  # ArrayFormula
                    cells.formulas[key] = str(value.text)
                    cells.arrays[key] = str(value.ref or cell.coordinate).replace("$", "")
                else:
                    cells.values[key] = value
                    continue
                cells.positions[key] = (cell.row, cell.column)
    return cells


def _define_tables(engine: Engine, wb: Any) -> list[CellIssue]:
    """Give the engine the workbook's Excel tables (its loader does not read them)."""
    issues = []
    for ws in wb.worksheets:
        for table in ws.tables.values():
            name = table.displayName or table.name
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            try:
                engine.add_table(name, ws.title, (min_row, min_col, max_row, max_col),
                                 [str(column.name) for column in table.tableColumns],
                                 header_row=table.headerRowCount != 0, totals_row=bool(table.totalsRowCount))
            except Exception as exc:  # noqa: BLE001 - the engine says why; formulas using it then fail
                issues.append(CellIssue(ws.title, table.ref.split(":")[0],
                                        f"the formula engine cannot define the Excel table {name} ({table.ref}): {exc}"))
    return issues


def _native_issue(text: str, value: Any) -> str:
    """What is wrong with a formula cell showing ``value``, or ''."""
    why = failure(value)
    if why:
        return f"the formula engine cannot evaluate {text}: {why}"
    if value == "#NAME?":
        unknown = [f"{f}()" for f in functions_used(text) if base_name(f) not in REGISTRY]
        what = f"a function ({', '.join(unknown)}) or a name" if unknown else "a name"
        return f"evaluates to #NAME?: the formula engine does not know {what} in {text}"
    if is_error(value):
        return f"evaluates to the error {value} ({text})"
    return ""


def _saved_mismatch(text: str, shown: Any, value: Any, mode: str) -> str:
    """Why a formula's saved value cannot be shown: it is not what the formula gives from the
    workbook's own inputs (a total typed over, or inputs changed without recalculating), or ''."""
    if mode != "cached" or _same(shown, value) or is_error(value):
        return ""
    return (f"the saved value {shown!r} is not what its formula {text} gives from the workbook's inputs "
            f"({value!r}); recalculate (Ctrl+Alt+F9) and save, or run `xlcompute recalc`, so that the figures "
            "shown are the figures used")


def evaluate(path: str | Path, *, workbook: Any = None, cached_values: bool = True) -> Evaluation:
    """Evaluate the workbook at ``path`` (never modified); see the module docstring.

    ``workbook`` is the same file already opened with :func:`~.guard.open_workbook` (formulas,
    not values), to save a read. ``cached_values=False`` ignores the values the file caches
    (headless mode), for a caller that only wants fresh ones.
    """
    path = Path(path)
    wb = workbook if workbook is not None else open_workbook(path)
    refuse_foreign_references(wb, file=path)  # before the engine sees a byte: it never opens another file
    parts = workbook_info(wb).sheets
    data = checked_bytes(wb) or path.read_bytes()  # the bytes the guard checked, not the path again
    cells = _read_cells(wb)
    cached = read_cached(data, parts) if cached_values else {}

    marked: dict[tuple[str, str], str] = {}
    xl_keys: list[tuple[str, str]] = []
    for key, text in cells.formulas.items():
        rewritten = mark(text, len(xl_keys))
        if rewritten is not None:
            marked[key] = rewritten
            xl_keys.append(key)
    spill = _spill_cells(cells)
    engine_data = replace_formulas(data, parts, marked) if marked else data
    engine_data = clear_spilled(engine_data, parts, list(spill)) if spill else engine_data
    engine = Engine(engine_data, REGISTRY, len(xl_keys))
    issues = _define_tables(engine, wb)
    engine.evaluate()  # each xlcompute call runs inside workbook_text(): a model cell is never a path

    mode = "cached" if cached else "headless"
    values = dict(cells.values)
    computed: dict[tuple[str, str], Any] = {}
    xl_index = {key: i for i, key in enumerate(xl_keys)}
    xl_cells = []
    recomputed_names: list[str] = []
    for key, text in cells.formulas.items():
        computed[key] = value = engine.value(key[0], *cells.positions[key])
        shown = values[key] = cached.get(key, value) if mode == "cached" else value
        if shown == "#NAME?" and value != "#NAME?" and mode == "cached":
            # Saved by a program without the add-in: the engine knows the function, so its value is shown.
            shown = values[key] = value
            recomputed_names.append(f"{key[0]}!{key[1]}")
        index = xl_index.get(key)
        if index is None:
            message = _native_issue(text, shown) or _saved_mismatch(text, shown, value, mode)
        else:
            calls = engine.outcomes[index]
            failed = next((c for c in calls if c.error), None)  # the likely cause of an error value
            message = (f"{failed.function}() returned {failed.error}" if failed and is_error(value)
                       else _native_issue(text, value) or _native_issue(text, shown))
            stale = mode == "cached" and not message and key in cached and not _same(shown, value)
            xl_cells.append(XlcomputeCell(key[0], key[1], text, shown, value, stale, message, calls))
        if message:
            issues.append(CellIssue(key[0], key[1], message))

    spilled = {key: engine.value(key[0], *position) for key, position in spill.items()}
    order = {title: i for i, title in enumerate(wb.sheetnames)}
    issues.sort(key=lambda i: (order.get(i.sheet, 99), _cell_order(i.cell)))
    ranges = _name_ranges(wb)
    names = {name: where for name, where in ranges.items() if ":" not in where[1]}
    tables = {name: (ws.title, ref) for ws in wb.worksheets for name, ref in ws.tables.items()}
    return Evaluation(path, mode, values, cells.formulas, names, cells.number_formats, xl_cells, issues,
                      tables, list(wb.sheetnames), computed, recomputed_names, spilled)


def _spill_cells(cells: _Cells) -> dict[tuple[str, str], tuple[int, int]]:
    """Each cell of an array formula's range other than the formula's own, with its (row, column)."""
    spill = {}
    for (sheet, anchor), ref in cells.arrays.items():
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        for row in range(min_row, max_row + 1):
            for column in range(min_col, max_col + 1):
                key = (sheet, f"{get_column_letter(column)}{row}")
                if key[1] != anchor and key not in cells.formulas:
                    spill[key] = (row, column)
    return spill
