"""The scenario-workbook contract: generator, shipped workbooks, `xlcompute new` and `xlcompute check`."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlcompute.catalog import gpu_ids, model_ids
from xlcompute.cli import main
from xlcompute.workbook import contract as c
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.generate import KINDS, SHIPPED, build_workbook, write_workbook

REPO = Path(__file__).resolve().parents[1]
WORKBOOKS = REPO / "workbooks"


def _snapshot(wb: openpyxl.Workbook) -> dict:
    """What a user sees and what the report reads: cells, formats, styles, names, tables, validations."""
    sheets = {}
    for ws in wb.worksheets:
        cells = {cell.coordinate: (cell.value, cell.number_format, cell.style)
                 for row in ws.iter_rows() for cell in row if cell.value is not None}
        sheets[ws.title] = {
            "cells": cells,
            "state": ws.sheet_state,
            "tables": {name: ref for name, ref in ws.tables.items()},
            "validations": sorted((dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation),
        }
    names = {name: d.attr_text for name, d in wb.defined_names.items()}
    return {"order": wb.sheetnames, "sheets": sheets, "names": names}


@pytest.mark.parametrize("name,kind", sorted(SHIPPED.items()))
def test_shipped_workbook_is_up_to_date_with_the_generator(name, kind):
    shipped = openpyxl.load_workbook(WORKBOOKS / name)
    assert _snapshot(shipped) == _snapshot(build_workbook(kind)), (
        f"workbooks/{name} is out of date: run "
        "`python -c 'from xlcompute.workbook.generate import write_shipped; write_shipped(\"workbooks\")'`")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_workbook_satisfies_the_contract(tmp_path, kind):
    path = write_workbook(tmp_path / f"{kind}.xlsx", kind)
    evaluation, problems = check_workbook(path)
    assert problems == []
    assert evaluation.mode == "headless"
    assert evaluation.xlcompute_cells, "a starter workbook demonstrates xlcompute functions"
    for spec in c.REQUIRED_NAMES:
        assert evaluation.names[spec.name][0] == spec.sheet


def test_starter_workbook_has_catalog_dropdowns_and_styled_inputs():
    wb = build_workbook("both")
    inputs = wb[c.INPUTS_SHEET]
    lists = wb["Lists"]
    column = {lists.cell(row=1, column=col).value: [lists.cell(row=r, column=col).value
                                                   for r in range(2, lists.max_row + 1)]
              for col in range(1, lists.max_column + 1)}
    assert set(model_ids()) <= set(column["models"])
    assert set(gpu_ids()) <= set(column["gpus"])
    dropdowns = {dv.formula1: str(dv.sqref) for dv in inputs.data_validations.dataValidation}
    model_cell = wb.defined_names["MODEL"].attr_text.split("!")[1].replace("$", "")
    gpu_cell = wb.defined_names["GPU"].attr_text.split("!")[1].replace("$", "")
    assert model_cell in dropdowns["LIST_MODELS"].split()
    assert gpu_cell in dropdowns["LIST_GPUS"].split()
    assert inputs[model_cell].style == "Input"
    assert inputs[wb.defined_names["MFU"].attr_text.split("!")[1].replace("$", "")].number_format == "0.0%"
    assert lists.sheet_state == "hidden"


def test_line_items_are_an_excel_table_with_the_contract_columns():
    wb = build_workbook("training")
    quote = wb[c.QUOTE_SHEET]
    ref = quote.tables[c.LINE_ITEMS_TABLE].ref
    first_row = list(quote[ref])[0]
    assert tuple(cell.value for cell in first_row) == c.LINE_ITEM_COLUMNS


def test_new_writes_a_workbook_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    out = tmp_path / "mine.xlsx"
    result = runner.invoke(main, ["new", "--kind", "inference", str(out)])
    assert result.exit_code == 0, result.output
    assert "SERVE_MODEL" in openpyxl.load_workbook(out).defined_names
    again = runner.invoke(main, ["new", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output
    assert runner.invoke(main, ["new", "--force", str(out)]).exit_code == 0


def _broken(tmp_path: Path) -> Path:
    wb = build_workbook("training")
    quote = wb[c.QUOTE_SHEET]
    where = {name: wb.defined_names[name].attr_text.split("!")[1].replace("$", "") for name in wb.defined_names}
    quote[where["CURRENCY"]] = "dollars"
    quote[where["MARGIN"]] = 1.5
    del wb.defined_names["TOTAL"]
    estimate = wb[c.ESTIMATE_SHEET]
    estimate["B30"] = "=NO_SUCH_FUNCTION(1)"
    table = quote.tables[c.LINE_ITEMS_TABLE]
    header_cell = quote[table.ref.split(":")[0]]
    quote.cell(row=header_cell.row, column=header_cell.column + 3, value="Price each")
    path = tmp_path / "broken.xlsx"
    wb.save(path)
    return path


def test_check_lists_every_problem_with_sheet_and_cell(tmp_path):
    path = _broken(tmp_path)
    _, problems = check_workbook(path)
    text = "\n".join(str(p) for p in problems)
    assert "Quote!B9: CURRENCY" in text and "'dollars'" in text
    assert "Quote!B10: MARGIN" in text and "1.5" in text
    assert "no defined name TOTAL" in text
    assert "Estimate!B30" in text and "NO_SUCH_FUNCTION" in text
    assert "no column 'Unit price'" in text

    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "Estimate!B30" in result.output and "problem(s)" in result.output


def test_check_passes_the_shipped_workbooks():
    for name in SHIPPED:
        result = CliRunner().invoke(main, ["check", str(WORKBOOKS / name)])
        assert result.exit_code == 0, result.output
        assert "OK" in result.output


def test_check_names_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("customer,total\nacme,1\n")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert "notes.xlsx" in result.output
    assert "Traceback" not in result.output
