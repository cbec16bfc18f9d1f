"""``xlcompute recalc``: evaluate any workbook and write each formula's value back as its cached value.

The workbook is opened through the guarded opener (with limits for large workbooks) and
evaluated once (:func:`.evaluate.evaluate`, which refuses links to other files; the engine finds
circular references itself, in time linear in the workbook).
The computed values are then written into the sheets' XML (:mod:`.xlsx_cells`): only the cached
values of formula cells change; formulas, defined names, tables, formats, data validation, other
sheets and every other part of the package stay byte for byte. The output replaces its target
atomically: a complete new file or the old one, never half of one.

A cell the engine cannot evaluate (a formula it cannot parse, a function or name it does not
know, a circular reference) stops the run before anything is written: its cached value would be wrong where Excel
knows better. Cells showing Excel errors that follow from the workbook itself (``#DIV/0!``,
an xlcompute function's ``#VALUE!``) are written, as Excel would show them, and listed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from .engine import failure
from .evaluate import CellIssue, evaluate
from .errors import WorkbookError
from .guard import Limits, checked_bytes, open_workbook, workbook_info
from .xlsx_cells import write_values

#: Limits for ``recalc``: any workbook up to Excel's sheet size and two million cells in all
#: (scenario workbooks for reports keep the stricter defaults).
RECALC_LIMITS = Limits(max_file_bytes=100_000_000, max_uncompressed_bytes=1_000_000_000,
                       max_part_bytes=500_000_000, max_rows_per_sheet=1_048_576, max_cells=2_000_000,
                       max_sheet_area=50_000_000, max_formulas=1_000_000)


@dataclass
class RecalcResult:
    source: Path
    output: Path
    formulas: int
    errors: list[CellIssue]  # cells written with an Excel error value, and why


def _refusal(source: Path, problems: list[CellIssue], what: str) -> WorkbookError:
    first = problems[0]
    more = f" (and {len(problems) - 1} more cell(s))" if len(problems) > 1 else ""
    return WorkbookError(source, f"{what}: {first.message}{more}; nothing was written",
                         sheet=first.sheet or None, cell=first.cell or None)


def recalc(source: str | os.PathLike, output: str | os.PathLike | None = None) -> RecalcResult:
    """Recalculate ``source`` into ``output`` (default: ``source`` itself, replaced atomically)."""
    source = Path(source)
    target = Path(output) if output is not None else source
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(target, "the output must be an Excel workbook", expected="a name ending in .xlsx",
                            found=f"{target.name!r}")
    wb = open_workbook(source, limits=RECALC_LIMITS)
    ev = evaluate(source, workbook=wb, cached_values=False)
    unknown = []
    for (sheet, cell), text in ev.formulas.items():
        value = ev.computed[(sheet, cell)]
        why = failure(value) or ("the formula engine does not know a function or name in it" if value == "#NAME?" else "")
        if why:
            unknown.append(CellIssue(sheet, cell, f"{text} evaluates to {value}: {why}"))
    if unknown:
        raise _refusal(source, unknown, "a formula cannot be evaluated here")
    data = write_values(checked_bytes(wb) or source.read_bytes(), workbook_info(wb).sheets, ev.computed)
    with atomic_write(target) as tmp:
        tmp.write_bytes(data)
    return RecalcResult(source, target, len(ev.formulas), ev.issues)
