"""Check a scenario workbook against the contract: every problem, with its sheet and cell.

:func:`check_workbook` opens and evaluates a workbook and returns a list of
:class:`~xlcompute.workbook.evaluate.CellIssue` (empty when the workbook is fine): missing
sheets, names and table columns; named cells holding the wrong kind of value; formulas the
engine cannot evaluate or that give Excel errors; links to other files and circular
references. Stale cached values are not problems (the report flags them); they are
returned separately by :func:`~xlcompute.workbook.evaluate.Evaluation.stale`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Any

from openpyxl.utils import range_boundaries
from openpyxl.utils.cell import get_column_letter

from . import contract as c
from .evaluate import CellIssue, Evaluation, evaluate
from .safe import describe_value, open_workbook, safety_problems


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
    problems.extend(ev.issues)
    return problems


def _line_item_problems(ev: Evaluation) -> list[CellIssue]:
    if c.LINE_ITEMS_TABLE not in ev.tables:
        return [CellIssue(c.QUOTE_SHEET, "-", f"no Excel table named {c.LINE_ITEMS_TABLE} with the columns "
                                              f"{', '.join(c.LINE_ITEM_COLUMNS)} (Insert > Table, then Table Name)")]
    sheet, ref = ev.tables[c.LINE_ITEMS_TABLE]
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    problems = []
    header = {str(ev.values.get((sheet, f"{get_column_letter(col)}{min_row}")) or "").strip().lower(): col
              for col in range(min_col, max_col + 1)}
    for title in c.LINE_ITEM_COLUMNS:
        if title.lower() not in header:
            problems.append(CellIssue(sheet, f"{get_column_letter(min_col)}{min_row}",
                                      f"table {c.LINE_ITEMS_TABLE} has no column {title!r}"))
    if problems:
        return problems
    if max_row <= min_row:
        return [CellIssue(sheet, ref, f"table {c.LINE_ITEMS_TABLE} has no line items")]
    for row in range(min_row + 1, max_row + 1):
        for title in ("Quantity", "Unit price", "Amount"):
            cell = f"{get_column_letter(header[title.lower()])}{row}"
            value = ev.values.get((sheet, cell))
            if value is None or (isinstance(value, str) and value.startswith("#")):
                continue  # empty rows are allowed; errors are listed by the evaluation
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(CellIssue(sheet, cell, f"{title} expected a number, found {describe_value(value)}"))
    return problems


def check_workbook(path: str | os.PathLike) -> tuple[Evaluation | None, list[CellIssue]]:
    """Evaluate the workbook at ``path`` and list every problem (file-level ones first)."""
    wb = open_workbook(path)
    problems = [CellIssue(p.sheet or "-", p.cell or "-", str(p)) for p in safety_problems(wb, file=path)]
    if problems:
        return None, problems  # external links or cycles: the engine must not evaluate it
    ev = evaluate(path, workbook=wb)
    return ev, check_evaluation(ev)
