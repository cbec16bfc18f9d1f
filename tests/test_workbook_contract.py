"""The scenario-workbook contract: generator, shipped workbooks, `xlcompute new` and `xlcompute check`."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from xlcompute.functions import is_error
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
    assert evaluation.mode == "cached" and evaluation.stale == []  # issue 12: every formula carries its value
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
    # The bad CURRENCY comes first: GPU_PRICE converts into it, so the price and every cell after
    # it (Estimate!B30 too) show errors, summarised after it.
    assert text.index("Quote!B9: CURRENCY") < text.index("Estimate!B30")
    assert "no column 'Unit price'" in text

    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
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


# --------------------------------------------------------------------------------------
# Named inputs: type and bounds (contract.INPUT_NAMES), checked by `check` and `report`


def test_every_generated_input_has_a_contract_rule():
    from xlcompute.workbook.generate import INFERENCE_INPUTS, TRAINING_INPUTS

    rules = {spec.name: spec for spec in c.INPUT_NAMES}
    for row in TRAINING_INPUTS + INFERENCE_INPUTS:
        assert row.name in rules, f"{row.name} has no rule in contract.INPUT_NAMES"
        # text: a dropdown of catalog ids, or a General cell (the recommended option's GPU, provider, pricing)
        assert rules[row.name].kind == ("text" if row.choices or row.number_format == "General" else "number"), row.name
    assert all(spec.sheet == c.INPUTS_SHEET for spec in c.INPUT_NAMES)


def _with_inputs(tmp_path, values: dict, formats: dict | None = None, kind: str = "training"):
    wb = build_workbook(kind)
    for name, value in values.items():
        (title, coord), = list(wb.defined_names[name].destinations)
        cell = wb[title][coord.replace("$", "")]
        cell.value = value
        if formats and name in formats:
            cell.number_format = formats[name]
    path = tmp_path / f"{kind}.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("name, value, number_format, expected", [
    ("MFU", 1.5, None, "at most 1, found 1.5"),
    ("MFU", 0, None, "greater than 0, found 0"),
    ("NUM_GPUS", 10.5, None, "expected a whole number"),
    ("NUM_GPUS", 2e6, None, "at most 1e+06, found 2e+06"),
    ("TRAIN_TOKENS", 1e17, None, "at most 1e+16"),
    # a number typed into a date-formatted cell reads as a date, never as a serial number
    ("TRAIN_TOKENS", 45296, "yyyy-mm-dd", "found the date/time 2024-01-05"),
    ("CONTINGENCY", -0.1, None, "at least 0, found -0.1"),
    ("STORAGE_PRICE", True, None, "found the boolean TRUE"),
    ("GPU_HOUR_PRICE", "=2000*1000", None, "expected a number (price per GPU-hour) from 0 up to 1e+06, found 2e+06 from the cell's formula"),
    ("GPU_HOUR_PRICE", "=1/0", None, "found the Excel error #DIV/0! from the cell's formula"),
    ("PREPARED_BY", "x" * 300, None, "at most 255 characters, found 300 characters"),
])
def test_check_rejects_named_inputs_of_the_wrong_type_or_out_of_bounds(tmp_path, name, value, number_format, expected):
    path = _with_inputs(tmp_path, {name: value}, {name: number_format} if number_format else None)
    wb = openpyxl.load_workbook(path)
    (title, coord), = list(wb.defined_names[name].destinations)
    _, problems = check_workbook(path)
    first = problems[0]
    assert (first.sheet, first.cell) == (title, coord.replace("$", "")), problems
    assert name in first.message and expected in first.message, first.message
    # the Excel errors it causes downstream are counted in its line, not listed one line each
    assert not [p for p in problems[1:] if "#" in p.message], problems

    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{path}: {title}!{coord.replace('$', '')}: {name}")


def test_serving_inputs_are_checked_too(tmp_path):
    path = _with_inputs(tmp_path, {"BATCH": 0.5, "HOURS_PER_MONTH": 10_000}, kind="inference")
    text = "\n".join(str(p) for p in check_workbook(path)[1])
    assert "Inputs!B11: BATCH: expected a whole number (concurrent requests per replica), found 0.5" in text
    assert "HOURS_PER_MONTH" in text and "at most 744" in text


def test_a_bad_input_is_reported_once_with_its_downstream_errors_counted(tmp_path):
    path = _with_inputs(tmp_path, {"TRAIN_TOKENS": "fifteen trillion"})
    ev, problems = check_workbook(path)
    assert len(problems) == 1, problems
    assert str(problems[0]).startswith("Inputs!B7: TRAIN_TOKENS: expected a number (training tokens), "
                                       "found the text 'fifteen trillion'")
    # Counted by hand from the shipped formulas: Estimate B5 B6 B7 B8 B9 B11 B12 B13 B14 (energy and emissions
    # over the reserved days), Quote B15 E15 B16 E16 (storage months follow the duration) and E19..E24;
    # Estimate!B10 (=NUM_GPUS) does not depend on it; then the Range block's low/high rows. Every cell
    # showing an error is counted under the one cause, none besides.
    count = int(re.search(r"; (\d+) cell\(s\) depend on it", problems[0].message).group(1))
    errors = {(sheet, cell) for (sheet, cell), value in ev.values.items() if is_error(value)} - {("Inputs", "B7")}
    assert {("Estimate", c) for c in ("B5", "B6", "B9", "B12", "B13", "B14")} <= errors and ("Estimate", "B10") not in errors
    assert count == len(errors) > 19 and "Estimate!B5" in problems[0].message, problems[0].message


# --------------------------------------------------------------------------------------
# Workbooks that are not scenario workbooks (e.g. the Excel function demo): one clear line


def test_function_demo_is_not_a_scenario_workbook_one_problem():
    demo = WORKBOOKS / "excel_functions.xlsx"
    evaluation, problems = check_workbook(demo)
    assert evaluation is None and len(problems) == 1
    text = str(problems[0])
    assert text.startswith("not a scenario workbook: it has sheets Inputs, Functions")
    assert "a scenario needs Inputs, Estimate and Quote" in text and "The workbook contract" in text
    assert "-!-" not in text
    result = CliRunner().invoke(main, ["check", str(demo)])
    assert result.exit_code == 2
    assert "1 problem(s)" in result.output and "no defined name" not in result.output


def test_report_refuses_a_non_scenario_workbook_in_one_line(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = "=1+1"
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "plain.pdf")])
    assert result.exit_code != 0
    assert "not a scenario workbook: it has sheets Sheet1;" in result.output
    assert "missing sheet" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "plain.pdf").exists()


def test_a_scenario_missing_one_sheet_still_lists_its_problems(tmp_path):
    # A real scenario with a renamed sheet keeps its defined names: report the details, not "not a scenario".
    wb = build_workbook("training")
    wb[c.QUOTE_SHEET].title = "Quotes"
    path = tmp_path / "renamed.xlsx"
    wb.save(path)
    _, problems = check_workbook(path)
    text = "\n".join(str(p) for p in problems)
    assert "not a scenario workbook" not in text
    assert "missing sheet 'Quote'" in text


def test_cell_issue_without_a_place_prints_only_its_message():
    from xlcompute.workbook.evaluate import CellIssue

    assert str(CellIssue("-", "-", "external link to a.xlsx")) == "external link to a.xlsx"
    assert str(CellIssue("", "", "m")) == "m"
    assert str(CellIssue("Quote", "-", "no table")) == "Quote: no table"
    assert str(CellIssue("Quote", "B9", "bad")) == "Quote!B9: bad"
