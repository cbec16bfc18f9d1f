"""Calculated columns (issue 13): every generated table column that is one formula a row is marked
as an Excel calculated column, so that Excel fills it into a row a customer adds to the table.

Checked in the written XML (``xl/tables/tableN.xml``: a ``<calculatedColumnFormula>`` on exactly
the formula columns) and against the cells: the calculated formula, with each
``Table[[#This Row],[Column]]`` read as that column's cell in the row, is the formula of every data
row. Not checked in real Excel (no Excel here); LibreOffice opens and recalculates these workbooks
(tests/test_oracle_libreoffice.py builds them with these columns).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from xlcompute.functions.excel_values import column_letters
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.generate import KINDS, SHIPPED, write_workbook
from xlcompute.workbook.table_columns import this_row

REPO = Path(__file__).resolve().parents[1]
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
#: Table -> the columns whose data cells are formulas of their own row.
EXPECTED = {
    "LineItems": {"Amount"},
    "Options": {"GPUs per replica", "Tokens/s per replica", "TTFT [ms]", "TPOT [ms]", "Replicas", "GPUs",
                "Price per GPU-hour", "Interruptions per day", "Interruption allowance", "GPU-hours per month",
                "Monthly cost", "Meets SLA", "Term total", "Cost if meets SLA"},
}


def _calculated(path: Path) -> dict[str, dict[str, str | None]]:
    """Table name -> {column name: its calculatedColumnFormula or None}, read from the xlsx's XML."""
    tables = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"xl/tables/table\d+\.xml", name):
                root = ElementTree.fromstring(archive.read(name))
                tables[root.get("displayName")] = {
                    column.get("name"): column.findtext("x:calculatedColumnFormula", namespaces=NS)
                    for column in root.iterfind("x:tableColumns/x:tableColumn", NS)}
    return tables


def _in_row(formula: str, table: str, headers: list[str], row: int) -> str:
    """``formula`` with each own-row structured reference replaced by the cell it means in ``row``."""
    for col, header in enumerate(headers, start=1):
        formula = formula.replace(this_row(table, header), f"{column_letters(col)}{row}")
    return formula


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_formula_column_is_a_calculated_column_and_matches_every_row(kind, tmp_path):
    path = write_workbook(tmp_path / f"{kind}.xlsx", kind)
    tables = _calculated(path)
    assert "LineItems" in tables and ("Options" in tables) == KINDS[kind].compares_options
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for table in ws.tables.values():
            columns = tables[table.displayName]
            assert {name for name, formula in columns.items() if formula} == EXPECTED[table.displayName]
            headers = list(columns)
            first, last = openpyxl.utils.cell.range_boundaries(table.ref)[1::2]
            for col, (header, formula) in enumerate(columns.items(), start=1):
                assert ws.cell(row=first, column=col).value == header
                for row in range(first + 1, last + 1):
                    cell = ws.cell(row=row, column=col).value
                    if formula is None:  # an input or a per-line formula: not one formula a column
                        continue
                    assert "[#This Row]" in formula and "$" not in formula
                    assert f"={_in_row(formula, table.displayName, headers, row)}" == cell, (header, row)


def test_a_column_name_with_brackets_is_escaped_as_excel_does():
    # Excel escapes [ ] # and ' in a column specifier with a leading '.
    assert this_row("Options", "TTFT [ms]") == "Options[[#This Row],[TTFT '[ms']]]"
    assert this_row("LineItems", "Unit price") == "LineItems[[#This Row],[Unit price]]"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_shipped_workbooks_carry_them_and_check_accepts_them(name):
    path = REPO / "workbooks" / name
    assert _calculated(path)["LineItems"]["Amount"] == (
        "ROUND(LineItems[[#This Row],[Quantity]]*LineItems[[#This Row],[Unit price]],2)")
    _, problems = check_workbook(path)
    assert problems == []
