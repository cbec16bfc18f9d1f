"""Print setup of the workbooks xlcompute writes, and the calculation settings that let a program
without the add-in show their stored values.

Print: each visible sheet prints its used range (the print area), one page wide and as many
pages tall as it needs (``fitToWidth=1``, ``fitToHeight=0``), landscape when its columns are
wider than a portrait page, with its header rows repeated on every page, gridlines off and the
sheet name and page number in the footer.

Calculation: openpyxl marks a workbook for a full recalculation on load (``fullCalcOnLoad``,
and the calculation-engine id of Excel 2007, which makes later Excel recalculate everything on
opening too). A workbook whose formulas carry their values (:func:`.recalc.store_cached_values`)
needs neither: Excel then shows the stored numbers, also without the add-in, and recalculates
when an input changes. :data:`CALC_ID` is the id Excel 2019 and Microsoft 365 write.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries

#: Calculation-engine id of Excel 2019 / Microsoft 365 (``calcPr calcId``, ECMA-376 18.2.2).
CALC_ID = 191029
#: Sum of column widths (characters) above which a sheet prints landscape (A4/Letter portrait
#: holds about 90 characters of the default font at 100 %).
LANDSCAPE_WIDTH = 90
DEFAULT_WIDTH = 8.43  # Excel's default column width, in characters


def _width(ws: Any, last_column: int) -> float:
    total = 0.0
    for column in range(1, last_column + 1):
        dimension = ws.column_dimensions.get(get_column_letter(column))
        total += dimension.width if dimension is not None and dimension.width else DEFAULT_WIDTH
    return total


def used_range(ws: Any) -> tuple[int, int]:
    """(last row, last column) of what ``ws`` shows: its cells and the ranges its array formulas fill."""
    rows, columns = ws.max_row, ws.max_column
    for row in ws.iter_rows():
        for cell in row:
            ref = getattr(cell.value, "ref", None)  # an ArrayFormula: its result fills ref
            if ref:
                _, _, last_column, last_row = range_boundaries(str(ref).replace("$", ""))
                rows, columns = max(rows, last_row), max(columns, last_column)
    return rows, columns


def setup_sheet(ws: Any, title_rows: str | None = None) -> None:
    """Print ``ws``'s used range one page wide; ``title_rows`` ("3:3", by default the row above the
    frozen pane) repeat on every page."""
    rows, columns = used_range(ws)
    ws.print_area = f"A1:{get_column_letter(columns)}{rows}"
    ws.page_setup.orientation = "landscape" if _width(ws, columns) > LANDSCAPE_WIDTH else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.oddFooter.left.text = "&A"  # sheet name
    ws.oddFooter.right.text = "Page &P of &N"
    if title_rows is None and ws.freeze_panes:  # the row above the frozen pane: the column headers
        frozen = range_boundaries(ws.freeze_panes)[1] - 1
        title_rows = f"{frozen}:{frozen}" if frozen > 0 else None
    if title_rows:
        ws.print_title_rows = title_rows


def setup_workbook(wb: Any, title_rows: dict[str, str] | None = None) -> None:
    """Print setup of every visible sheet of ``wb`` (``title_rows``: sheet -> rows repeated on each
    page), and calculation settings that keep stored values on opening."""
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":
            setup_sheet(ws, (title_rows or {}).get(ws.title))
    wb.calculation.calcId = CALC_ID
    wb.calculation.fullCalcOnLoad = False
