"""Check a scenario workbook against the contract: every problem, with its sheet and cell.

:func:`check_workbook` opens and evaluates a workbook and returns a list of
:class:`~xlcompute.workbook.evaluate.CellIssue` (empty when the workbook is fine): missing
sheets, names and table columns; named cells holding the wrong kind of value; formulas the
engine cannot evaluate or that give Excel errors; links to other files, formulas reaching
outside the workbook or calling volatile functions, and circular references; the 1904 date
system, defined names that are not plain references, inputs on hidden sheets, too many line
items; text with control or bidirectional-override characters. Stale cached values are not
problems (the report flags them); they are returned separately by
:func:`~xlcompute.workbook.evaluate.Evaluation.stale`.

Model references in the workbook's cells resolve through the catalog only, never as a path
(:func:`~xlcompute.scenario.setups.workbook_text`), and the formula engine loads the bytes the
guard checked, never the path (see :func:`~xlcompute.workbook.evaluate.evaluate`).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Any

from ..functions.excel_values import address, error_code, is_error, parse_reference
from . import contract as c
from .causes import group_by_cause
from .cells import name_problems, read_number, read_text, resolve_cell, unsafe_characters, visible_text
from .dependencies import safety_problems
from .errors import WorkbookError, describe_value, shorten
from .evaluate import CellIssue, Evaluation, evaluate
from .guard import open_workbook, workbook_info
from .options_check import no_option_meets, options_problems
from .quote_checks import currency_problems, money_problems
from .range_block import range_problems


def _kind_problem(kind: str, value: Any, number_format: str) -> str:
    """What is wrong with ``value`` for a named cell of ``kind``, or ''."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if value is None or value == "":
        return "is empty"
    if kind == "text":
        return "" if isinstance(value, str) else f"expected text, found {describe_value(value)}"
    if kind == "currency":
        ok = isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value.strip())
        return "" if ok else f"expected a three-letter ISO 4217 code such as USD, found {describe_value(value)}"
    if kind == "date":
        from openpyxl.styles.numbers import is_date_format  # noqa: PLC0415

        if isinstance(value, (_dt.date, _dt.datetime)) or (is_number and is_date_format(number_format)):
            return ""
        return f"expected a date, found {describe_value(value)}"
    if not is_number:
        return f"expected a number, found {describe_value(value)}"
    if kind == "fraction" and not 0 <= value < 1:
        return f"expected a fraction from 0 to below 1 (e.g. 15% = 0.15), found {value:g}"
    return ""


def check_evaluation(ev: Evaluation) -> list[CellIssue]:
    """Contract problems and evaluation issues of an evaluated workbook, in sheet order."""
    problems: list[CellIssue] = []
    for sheet in c.SHEETS:
        if sheet not in ev.sheets:
            problems.append(CellIssue(sheet, "A1", f"missing sheet {sheet!r} (sheets found: {', '.join(ev.sheets)})"))
    for spec in c.REQUIRED_NAMES:
        where = ev.names.get(spec.name)
        if where is None:
            problems.append(CellIssue(spec.sheet, "-", f"no defined name {spec.name} ({spec.description}); "
                                                       "define it for a single cell (Formulas > Define Name)"))
            continue
        sheet, cell = where
        if sheet != spec.sheet:
            problems.append(CellIssue(sheet, cell, f"{spec.name} must be on the {spec.sheet} sheet"))
        message = _kind_problem(spec.kind, ev.values.get(where), ev.number_formats.get(where, "General"))
        if message:
            problems.append(CellIssue(sheet, cell, f"{spec.name} ({spec.description}) {message}"))
    problems.extend(_line_item_problems(ev))
    problems.extend(money_problems(ev))
    problems.extend(options_problems(ev))
    problems.extend(range_problems(ev))
    problems.extend(ev.issues)
    return problems


def _line_item_problems(ev: Evaluation) -> list[CellIssue]:
    if c.LINE_ITEMS_TABLE not in ev.tables:
        return [CellIssue(c.QUOTE_SHEET, "-", f"no Excel table named {c.LINE_ITEMS_TABLE} with the columns "
                                              f"{', '.join(c.LINE_ITEM_COLUMNS)} (Insert > Table, then Table Name)")]
    sheet, ref = ev.tables[c.LINE_ITEMS_TABLE]
    min_col, min_row, max_col, max_row = parse_reference(ref).bounds()
    problems = []
    header = {str(ev.values.get((sheet, address(col, min_row))) or "").strip().lower(): col
              for col in range(min_col, max_col + 1)}
    for title in c.LINE_ITEM_COLUMNS:
        if title.lower() not in header:
            problems.append(CellIssue(sheet, address(min_col, min_row),
                                      f"table {c.LINE_ITEMS_TABLE} has no column {title!r}"))
    if problems:
        return problems
    if max_row <= min_row:
        return [CellIssue(sheet, ref, f"table {c.LINE_ITEMS_TABLE} has no line items")]
    for row in range(min_row + 1, max_row + 1):
        for title in ("Description", "Unit"):
            cell = address(header[title.lower()], row)
            value = ev.values.get((sheet, cell))
            if isinstance(value, str) and len(value) > c.MAX_LINE_ITEM_TEXT:
                problems.append(CellIssue(sheet, cell, f"{title} expected at most {c.MAX_LINE_ITEM_TEXT:,} characters, "
                                                       f"found {len(value):,}"))
        for title in ("Quantity", "Unit price", "Amount"):
            cell = address(header[title.lower()], row)
            value = ev.values.get((sheet, cell))
            if value is None or is_error(value):
                continue  # empty rows are allowed; errors are listed by the evaluation
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(CellIssue(sheet, cell, f"{title} expected a number, found {describe_value(value)}"))
    return problems


def _is_formula(cell: Any) -> bool:
    value = getattr(cell, "value", None)
    return getattr(cell, "data_type", None) == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _issue(specs: list[c.NamedCell], error: WorkbookError) -> CellIssue:
    names = ", ".join(s.name for s in specs[:5]) + (f" and {len(specs) - 5} more" if len(specs) > 5 else "")
    return CellIssue(error.sheet or specs[0].sheet, error.cell or "-", f"{names}: {error.detail}")


def _read_input(wb: Any, spec: c.NamedCell, file: str) -> None:
    """Read one named input with :func:`read_number`/:func:`read_text`; raise WorkbookError if bad."""
    if spec.kind == "text":
        read_text(wb, spec.name, file=file, label=spec.description, max_length=spec.max_length,
                  choices=spec.choices or None)
        return
    read_number(wb, spec.name, file=file, label=spec.description, minimum=spec.minimum, strict=spec.strict,
                maximum=spec.maximum, integer=spec.integer)
    sheet, cell, target = resolve_cell(wb, spec.name, file=file)
    if getattr(target, "is_date", False):  # a date serial the reader did not turn into a date
        raise WorkbookError(file, sheet=sheet, cell=cell, name=spec.name, expected=f"a number ({spec.description})",
                            found=f"{describe_value(target.value)} formatted as a date ({target.number_format})",
                            hint="Format the cell as a number (Home > Number Format > General)")


def _evaluated_problem(spec: c.NamedCell, value: Any, number_format: str) -> str:
    """What is wrong with the computed value of a named input that is a formula, or ''
    (worded like :func:`read_number`: "expected ..., found ...")."""
    from openpyxl.styles.numbers import is_date_format  # noqa: PLC0415

    what = f"{'text' if spec.kind == 'text' else 'a number'} ({spec.description})"
    if is_error(value):
        return (f"expected {what}, found the Excel error {error_code(value)} from the cell's formula; "
                "fix the formula or type a value")
    if spec.kind == "text":
        too_long = isinstance(value, str) and len(value) > spec.max_length
        return f"expected {what} of at most {spec.max_length} characters, found {len(value):,} characters" if too_long else ""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected {what}, found {describe_value(value)} from the cell's formula"
    low_ok = spec.minimum is None or (value > spec.minimum if spec.strict else value >= spec.minimum)
    if not low_ok or (spec.maximum is not None and value > spec.maximum):
        bounds = f" {'above' if spec.strict else 'from'} {spec.minimum:g}" if spec.minimum is not None else ""
        bounds += f" up to {spec.maximum:g}" if spec.maximum is not None else ""
        return f"expected {what}{bounds}, found {value:g} from the cell's formula"
    if is_date_format(number_format):
        return f"expected {what}, found {value:g} formatted as a date ({number_format}); format the cell as a number"
    return ""


def input_problems(wb: Any, file: str | os.PathLike, ev: Evaluation | None = None) -> list[CellIssue]:
    """Problems of the named inputs of :data:`~xlcompute.workbook.contract.INPUT_NAMES` and the
    Quote sheet's text cells: wrong type, out of bounds, dates where numbers belong, text too long.

    Constant cells are read with :func:`read_number`/:func:`read_text`; cells holding a formula
    are checked on their computed value when ``ev`` is given (and skipped otherwise).
    """
    file = os.fspath(file)
    defined = {name.upper() for name in wb.defined_names}
    problems = []
    errors: list[tuple[WorkbookError, list[c.NamedCell]]] = []
    for spec in c.INPUT_NAMES + tuple(s for s in c.QUOTE_NAMES if s.kind == "text"):
        if spec.name not in defined:
            continue  # optional inputs; required names are checked by check_evaluation
        try:
            sheet, cell, target = resolve_cell(wb, spec.name, file=file)
            if not _is_formula(target):
                _read_input(wb, spec, file)
                continue
        except WorkbookError as error:
            same = next((i for i, (e, _) in enumerate(errors) if e.detail == error.detail), None)
            if same is None:
                errors.append((error, [spec]))
            else:
                errors[same][1].append(spec)  # one line for, say, fifteen names on a missing sheet
            continue
        if ev is not None:
            message = _evaluated_problem(spec, ev.values.get((sheet, cell)), ev.number_formats.get((sheet, cell), "General"))
            if message:
                problems.append(CellIssue(sheet, cell, f"{spec.name}: {message}."))
    return [_issue(specs, error) for error, specs in errors] + problems


def not_a_scenario(wb: Any) -> CellIssue | None:
    """One file-level problem if ``wb`` is not a scenario workbook at all (e.g. the Excel function
    demo), or None. It is not one when a contract sheet is missing and it has none of the
    contract's defined names: listing each missing name would bury the one thing to say."""
    sheets = list(wb.sheetnames)
    if all(sheet in sheets for sheet in c.SHEETS):
        return None
    defined = {name.upper() for name in wb.defined_names}
    for ws in wb.worksheets:
        defined.update(name.upper() for name in getattr(ws, "defined_names", {}) or {})
    if any(spec.name.upper() in defined for spec in c.REQUIRED_NAMES):
        return None  # a scenario with a sheet missing or renamed: list its problems one by one
    found = ", ".join(sheets) if sheets else "none"
    return CellIssue("", "", f"not a scenario workbook: it has sheets {found}; a scenario needs "
                             f"{', '.join(c.SHEETS[:-1])} and {c.SHEETS[-1]} — see README 'The workbook contract' "
                             "(`xlcompute new` writes one to start from)")


#: Cells with unsafe characters listed one by one; past this, one line counts the rest.
_LISTED_TEXT_CELLS = 20


def text_problems(ev: Evaluation) -> list[CellIssue]:
    """Cells whose text (typed, or computed by a formula) holds control or bidirectional-override
    characters (:data:`~xlcompute.workbook.cells.UNSAFE_TEXT`): printed, they can make one line
    read as another. Refused rather than cleaned, so the PDF shows what the workbook shows."""
    problems = []
    bad = [(key, value) for key, value in ev.values.items() if isinstance(value, str) and unsafe_characters(value)]
    for (sheet, cell), value in bad[:_LISTED_TEXT_CELLS]:
        problems.append(CellIssue(sheet, cell, f"the text {shorten(visible_text(value))!r} holds invisible control "
                                               f"characters ({', '.join(unsafe_characters(value))}), which can make "
                                               "printed text read differently; retype the cell or fix its formula"))
    if len(bad) > _LISTED_TEXT_CELLS:
        problems.append(CellIssue(*bad[_LISTED_TEXT_CELLS][0], f"and {len(bad) - _LISTED_TEXT_CELLS} more cell(s) "
                                                               "with such characters"))
    return problems


def _target(wb: Any, name: str) -> tuple[str, str] | None:
    """(sheet, cell) of a workbook-level defined name with one destination, else None."""
    dn = wb.defined_names.get(name)
    try:
        destinations = list(dn.destinations) if dn is not None else []
    except Exception:  # noqa: BLE001 - listed by name_problems
        return None
    return (destinations[0][0], destinations[0][1].replace("$", "")) if len(destinations) == 1 else None


def workbook_problems(wb: Any, file: str | os.PathLike) -> list[CellIssue]:
    """What must be fixed before a workbook is evaluated: the 1904 date system, defined names that
    are not plain references, contract names on hidden sheets, very hidden sheets, and more line
    items than :data:`~xlcompute.workbook.contract.MAX_LINE_ITEMS`."""
    problems = []
    info = workbook_info(wb)
    if (info is not None and info.date1904) or getattr(wb, "epoch", None) == _dt.datetime(1904, 1, 1):
        problems.append(CellIssue("", "", "the workbook uses the 1904 date system, so its dates and the serial numbers "
                                          "behind them are 4 years and 1 day apart from every other workbook's; "
                                          "xlcompute counts from 1900 and refuses rather than print shifted dates. In "
                                          "Excel: File > Options > Advanced, clear 'Use 1904 date system', then check "
                                          "every date (Paste Special > Add 1462 to shift them back) and save"))
    for error in name_problems(wb, file=file):
        problems.append(CellIssue("-", "-", f"name {error.name}: {error.detail}"))
    states = {ws.title: getattr(ws, "sheet_state", "visible") for ws in wb.worksheets}
    for spec in c.REQUIRED_NAMES + c.INPUT_NAMES + c.EXCHANGE_NAMES:
        where = _target(wb, spec.name)
        if where is not None and states.get(where[0], "visible") != "visible":
            problems.append(CellIssue(*where, f"{spec.name} ({spec.description}) is on the {states[where[0]]} sheet "
                                              f"{where[0]!r}: the value used is not one the workbook shows; move it "
                                              f"to the {spec.sheet} sheet"))
    for title, state in states.items():
        if state == "veryHidden":
            problems.append(CellIssue(title, "-", "the sheet is very hidden (only a macro can hide a sheet so that "
                                                  "Home > Format > Unhide does not list it); its cells could change "
                                                  "the figures unseen. Make it visible or delete it"))
    for ws in wb.worksheets:
        ref = ws.tables[c.LINE_ITEMS_TABLE].ref if c.LINE_ITEMS_TABLE in ws.tables else None
        reference = parse_reference(ref) if ref else None
        if reference is not None and not reference.is_cell:
            _, min_row, _, max_row = reference.bounds(ws.max_row or 1, ws.max_column or 1)
            if max_row - min_row > c.MAX_LINE_ITEMS:
                problems.append(CellIssue(ws.title, ref, f"table {c.LINE_ITEMS_TABLE} has {max_row - min_row:,} rows; "
                                                         f"a proposal lists at most {c.MAX_LINE_ITEMS:,} line items"))
    return problems


def check_workbook(path: str | os.PathLike) -> tuple[Evaluation | None, list[CellIssue]]:
    """Evaluate the workbook at ``path`` and list every problem: file-level ones first; then each
    error's root cause once, at the input cell it comes from, with the cells showing errors because
    of it counted in the same line (:func:`~.causes.group_by_cause`); then everything else.
    A workbook that is not a scenario workbook gets that one problem and is not evaluated."""
    wb = open_workbook(path)
    wrong_kind = not_a_scenario(wb)
    if wrong_kind is not None:
        return None, [wrong_kind]
    problems = [CellIssue(p.sheet or "-", p.cell or "-", p.detail if p.sheet or p.cell or not p.name
                          else f"name {p.name}: {p.detail}") for p in safety_problems(wb, file=path)]
    problems += workbook_problems(wb, path)
    if problems:
        return None, problems  # e.g. links to other files or cycles: the engine must not evaluate it
    ev = evaluate(path, workbook=wb)  # the engine loads the checked bytes; workbook text is never a path
    problems = text_problems(ev) + check_evaluation(ev)
    # A bad currency, or another currency without its exchange rate, makes every price an error: those first.
    currency = [p for p in problems if (p.sheet, p.cell) == ev.names.get("CURRENCY")]
    inputs = currency + currency_problems(ev) + input_problems(wb, path, ev)
    # No option meeting the service level: said at RECOMMENDED_ROW, the root of the #N/A it spreads.
    root = no_option_meets(ev)
    return ev, group_by_cause(wb, ev, root + inputs + [p for p in problems if p not in currency], inputs)
