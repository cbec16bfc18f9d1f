"""Checks of the optional Options table (:mod:`.options_sheet`), run by ``check`` when present.

A workbook without a table named ``Options`` has nothing checked here. One with it must give
the table the columns of :data:`~.contract.OPTION_COLUMNS` and at least one row, hold a number
in each row's GPUs, price and monthly cost and TRUE or FALSE in "Meets SLA" (cells showing an
Excel error are listed by the evaluation), and define RECOMMENDED. When no row meets the
service level, :func:`no_option_meets` says so at RECOMMENDED_ROW, first, rather than a bare ``#N/A``
in every cell that prices the recommended option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..functions.excel_values import address, is_error, parse_reference
from . import contract as c
from .errors import describe_value
from .evaluate import CellIssue, Evaluation

NUMBER_COLUMNS = ("GPUs", "Price per GPU-hour", "Monthly cost")


@dataclass(frozen=True)
class OptionsTable:
    """Where the Options table is: its sheet, header row, data rows and column of each header."""

    sheet: str
    header_row: int
    rows: range
    columns: dict[str, int]  # header in lower case -> column number

    def cell(self, header: str, row: int) -> str:
        return address(self.columns[header.lower()], row)

    def value(self, ev: Evaluation, header: str, row: int) -> Any:
        return ev.values.get((self.sheet, self.cell(header, row)))


def find_table(ev: Evaluation) -> OptionsTable | None:
    """The Options table of an evaluated workbook, or None when it has none."""
    if c.OPTIONS_TABLE not in ev.tables:
        return None
    sheet, ref = ev.tables[c.OPTIONS_TABLE]
    min_col, min_row, max_col, max_row = parse_reference(ref).bounds()
    columns = {str(ev.values.get((sheet, address(col, min_row))) or "").strip().lower(): col
               for col in range(min_col, max_col + 1)}
    return OptionsTable(sheet, min_row, range(min_row + 1, max_row + 1), columns)


def options_problems(ev: Evaluation) -> list[CellIssue]:
    """Contract problems of the Options table ([] when the workbook has none)."""
    table = find_table(ev)
    if table is None:
        return []
    corner = address(min(table.columns.values()), table.header_row)
    missing = [title for title in c.OPTION_COLUMNS if title.lower() not in table.columns]
    if missing:
        return [CellIssue(table.sheet, corner, f"table {c.OPTIONS_TABLE} has no column {title!r}") for title in missing]
    if not table.rows:
        return [CellIssue(table.sheet, corner, f"table {c.OPTIONS_TABLE} has no options")]
    problems = []
    for row in table.rows:
        for title in NUMBER_COLUMNS:
            value = table.value(ev, title, row)
            if value is not None and not is_error(value) and (isinstance(value, bool) or not isinstance(value, (int, float))):
                problems.append(CellIssue(table.sheet, table.cell(title, row),
                                          f"{title} expected a number, found {describe_value(value)}"))
        meets = table.value(ev, "Meets SLA", row)
        if not is_error(meets) and not isinstance(meets, bool):
            problems.append(CellIssue(table.sheet, table.cell("Meets SLA", row),
                                      f"Meets SLA expected TRUE or FALSE, found {describe_value(meets)}"))
    if c.RECOMMENDED not in ev.names:
        problems.append(CellIssue(table.sheet, corner, f"no defined name {c.RECOMMENDED} (the option the quote "
                                                       f"prices) beside table {c.OPTIONS_TABLE}"))
    return problems


def no_option_meets(ev: Evaluation) -> list[CellIssue]:
    """The root cause when RECOMMENDED_ROW is an error because no option meets the service level
    (every formula pricing the recommended option then shows the error too): one problem there."""
    table = find_table(ev)
    where = ev.names.get(c.RECOMMENDED_ROW) or ev.names.get(c.RECOMMENDED)
    if table is None or where is None or "meets sla" not in table.columns or not is_error(ev.values.get(where)):
        return []
    if any(table.value(ev, "Meets SLA", row) is True for row in table.rows):
        return []
    return [CellIssue(where[0], where[1], f"{c.RECOMMENDED_ROW}: no option meets the service level (every row's "
                                          "Meets SLA is FALSE); relax TTFT_TARGET_MS or TPOT_TARGET_MS, or add an "
                                          "option with a faster GPU")]
