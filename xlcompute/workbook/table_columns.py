"""Calculated columns of the generated Excel tables: the formula Excel fills into a row added to a table.

A column whose every data cell is the same formula of its own row is marked, in the table's part
(``xl/tables/tableN.xml``), with a ``<calculatedColumnFormula>``: Excel fills it into a row a
customer adds to the table (typing below it or Insert > Table Rows). The formula refers to its
own row by structured reference (``Options[[#This Row],[GPU]]``, Excel 2007's form of
``[@GPU]``), as Excel writes it. The cells themselves keep the equivalent A1 formulas, which every
engine that reads the workbook (LibreOffice, the report's formula engine) evaluates.
"""

from __future__ import annotations

from typing import Mapping

from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableFormula

#: Characters a column name escapes with ``'`` inside a structured reference.
_SPECIAL = "'[]#"


def this_row(table: str, header: str) -> str:
    """The structured reference to column ``header`` in the formula's own row of ``table``."""
    escaped = "".join(f"'{ch}" if ch in _SPECIAL else ch for ch in header)
    return f"{table}[[#This Row],[{escaped}]]"


def set_columns(table: Table, headers: tuple[str, ...], formulas: Mapping[str, str]) -> None:
    """The columns of ``table``, named ``headers`` in order; a column in ``formulas`` (header ->
    formula with or without its ``=``) is a calculated column."""
    unknown = set(formulas) - set(headers)
    if unknown:
        raise ValueError(f"calculated columns not in the table: {sorted(unknown)}")
    table.tableColumns = [
        TableColumn(id=i, name=header, calculatedColumnFormula=(
            TableFormula(attr_text=formulas[header].removeprefix("=")) if header in formulas else None))
        for i, header in enumerate(headers, start=1)]
    if table.autoFilter is None:  # what openpyxl adds when it makes the columns itself: the filter buttons
        table.autoFilter = AutoFilter(ref=table.ref)
