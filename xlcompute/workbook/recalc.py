"""``xlcompute recalc``: evaluate any workbook and write each formula's value back as its cached value.

The workbook is opened through the guarded opener (with limits for large workbooks) and
evaluated once (:func:`.evaluate.evaluate`, which refuses links to other files; the engine finds
circular references itself, in time linear in the workbook).
The computed values are then written into the sheets' XML: the cached values of formula cells
(:mod:`.xlsx_cells`) and of every cell an array formula fills besides its own (:mod:`.xlsx_spill`;
missing cells are inserted). The calculation settings lose ``fullCalcOnLoad`` and get a current
engine id (:func:`keep_values_on_load`), so that Excel opens the file showing those values.
Formulas, defined names, tables, formats, data validation, comments, charts, other sheets and
every other part of the package stay byte for byte. The output replaces its target
atomically: a complete new file or the old one, never half of one.

A cell the engine cannot evaluate (a formula it cannot parse, a function or name it does not
know, a circular reference) stops the run before anything is written: its cached value would be wrong where Excel
knows better. Cells showing Excel errors that follow from the workbook itself (``#DIV/0!``,
an xlcompute function's ``#VALUE!``) are written, as Excel would show them, and listed.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from .engine import failure
from .evaluate import CellIssue, evaluate
from .errors import WorkbookError
from .guard import Limits, checked_bytes, open_workbook, workbook_info
from .print_setup import CALC_ID
from .xlsx_cells import _replace_parts, write_values
from .xlsx_spill import write_spilled

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
    spilled: int = 0  # cells filled by an array formula besides its own, written too


def _refusal(source: Path, problems: list[CellIssue], what: str) -> WorkbookError:
    first = problems[0]
    more = f" (and {len(problems) - 1} more cell(s))" if len(problems) > 1 else ""
    return WorkbookError(source, f"{what}: {first.message}{more}; nothing was written",
                         sheet=first.sheet or None, cell=first.cell or None)


def recalculated(source: str | os.PathLike, limits: Limits = RECALC_LIMITS) -> tuple[bytes, RecalcResult]:
    """The bytes of ``source`` with every formula's value, and every value an array formula spills,
    stored as cached values; and what was done (``output`` is ``source``)."""
    source = Path(source)
    wb = open_workbook(source, limits=limits)
    ev = evaluate(source, workbook=wb, cached_values=False)
    unknown = []
    for (sheet, cell), text in ev.formulas.items():
        value = ev.computed[(sheet, cell)]
        why = failure(value) or ("the formula engine does not know a function or name in it" if value == "#NAME?" else "")
        if why:
            unknown.append(CellIssue(sheet, cell, f"{text} evaluates to {value}: {why}"))
    if unknown:
        raise _refusal(source, unknown, "a formula cannot be evaluated here")
    sheets = workbook_info(wb).sheets
    data = write_values(checked_bytes(wb) or source.read_bytes(), sheets, ev.computed)
    data = keep_values_on_load(data)
    data, skipped = write_spilled(data, sheets, ev.spilled)
    if skipped:
        raise WorkbookError(source, "the cells an array formula fills cannot be located: the sheet's rows or cells "
                            "carry no reference (r attribute); nothing was written", sheet=skipped[0],
                            expected="rows and cells with r attributes, as Excel writes them")
    return data, RecalcResult(source, source, len(ev.formulas), ev.issues, len(ev.spilled))


_CALC_PR = re.compile(rb"<(?P<p>(?:\w+:)?)calcPr(?=[\s/>])(?P<attrs>[^>]*?)(?P<end>/?>)")
_CALC_ID = re.compile(rb"""\scalcId\s*=\s*["'](\d*)["']""")
_FULL_CALC = re.compile(rb"""\sfullCalcOnLoad\s*=\s*["'][^"']*["']""")
#: Elements of a workbook part after which ``calcPr`` comes (ECMA-376 CT_Workbook), the last first.
_BEFORE_CALC_PR = (b"definedNames", b"externalReferences", b"functionGroups", b"sheets")


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship(?=\s)[^>]*>")
_TYPE = re.compile(rb"""\sType\s*=\s*["']([^"']*)["']""")
_TARGET = re.compile(rb"""\sTarget\s*=\s*["']/?([^"']*)["']""")


def _workbook_part(package: zipfile.ZipFile) -> str:
    """The package's workbook part: the target of the officeDocument relationship of ``_rels/.rels``."""
    for tag in _RELATIONSHIP.findall(package.read("_rels/.rels")):
        kind, target = _TYPE.search(tag), _TARGET.search(tag)
        if kind and target and kind.group(1).endswith(b"/officeDocument"):
            return target.group(1).decode("utf-8")
    return "xl/workbook.xml"


def keep_values_on_load(data: bytes) -> bytes:
    """The package with its calculation settings (``calcPr``) asking for no recalculation on opening:
    ``fullCalcOnLoad`` removed and the engine id at least :data:`~.print_setup.CALC_ID` (Excel
    recalculates every formula of a file last calculated by an older version). With the values
    fresh, Excel without the add-in then shows them instead of ``#NAME?``; with the add-in, Excel
    recalculates as usual when an input changes."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        part = _workbook_part(package)
        xml = package.read(part)
    match = _CALC_PR.search(xml)
    if match is None:  # none: one goes after the elements that come before it
        for element in _BEFORE_CALC_PR:
            close = re.search(rb"</(\w+:)?" + element + rb">|<(\w+:)?" + element + rb"(?:\s[^>]*)?/>", xml)
            if close:
                prefix = close.group(1) or close.group(2) or b""
                new = xml[:close.end()] + b"<" + prefix + b'calcPr calcId="' + str(CALC_ID).encode() + b'"/>' \
                    + xml[close.end():]
                return _replace_parts(data, {part: new})
        return data
    attrs = _FULL_CALC.sub(b"", match.group("attrs")).rstrip()
    calc_id = _CALC_ID.search(attrs)
    if calc_id is None or int(calc_id.group(1) or 0) < CALC_ID:
        attrs = _CALC_ID.sub(b"", attrs) + b' calcId="' + str(CALC_ID).encode() + b'"'
    new = xml[:match.start()] + b"<" + match.group("p") + b"calcPr" + attrs + match.group("end") + xml[match.end():]
    return data if new == xml else _replace_parts(data, {part: new})


def recalc(source: str | os.PathLike, output: str | os.PathLike | None = None) -> RecalcResult:
    """Recalculate ``source`` into ``output`` (default: ``source`` itself, replaced atomically)."""
    source = Path(source)
    target = Path(output) if output is not None else source
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(target, "the output must be an Excel workbook", expected="a name ending in .xlsx",
                            found=f"{target.name!r}")
    data, result = recalculated(source)
    with atomic_write(target) as tmp:
        tmp.write_bytes(data)
    result.output = target
    return result


def store_cached_values(path: str | os.PathLike) -> RecalcResult:
    """Store in the workbook at ``path`` (written by openpyxl, without cached values) the value of
    every formula cell, so that a program that does not compute them (Excel without the add-in,
    LibreOffice, WPS, a file viewer) shows the numbers. For a file being written inside
    :func:`~xlcompute.atomic.atomic_write`: the bytes are replaced in place."""
    path = Path(path)
    data, result = recalculated(path)
    path.write_bytes(data)
    return result
