"""Issue 12: errors reported at their root cause, once; `check` and `report` exit 2; missing files.

Each case edits one input of the generated training workbook and counts, by hand from its
formulas (xlcompute/workbook/generate.py), which cells show an error because of it.
"""

from __future__ import annotations

import re

import openpyxl
import pytest

from xlcompute.functions import is_error
from click.testing import CliRunner

from xlcompute.catalog.prices import list_prices
from xlcompute.cli import main
from xlcompute.workbook.causes import argument_text, group_by_cause
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.evaluate import CellIssue, evaluate
from xlcompute.workbook.generate import build_workbook
from xlcompute.workbook.guard import open_workbook


def _training(tmp_path, cells: dict[str, object], name: str = "quote.xlsx"):
    """The generated training workbook with ``cells`` ("Inputs!B5": value) changed."""
    wb = build_workbook("training")
    for where, value in cells.items():
        sheet, cell = where.split("!")
        wb[sheet][cell] = value
    path = tmp_path / name
    wb.save(path)
    return path


def _dependents(message: str) -> int:
    return int(re.search(r"; (\d+) cell\(s\) depend on it", message).group(1))


def _other_error_cells(ev, cause: str) -> set[str]:
    """Every cell the evaluation shows an error in, except the cause: what one cause must account for."""
    return {f"{sheet}!{cell}" for (sheet, cell), value in ev.values.items() if is_error(value)} - {cause}


def test_a_gpu_typo_is_reported_at_the_gpu_cell_with_the_closest_ids(tmp_path):
    path = _training(tmp_path, {"Inputs!B5": "h100-sxn"})
    ev, problems = check_workbook(path)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.sheet, problem.cell) == ("Inputs", "B5")  # the GPU cell, not the price cell (B13)
    assert problem.message.startswith("GPU: unknown gpu 'h100-sxn'. Did you mean 'h100-sxm'")
    assert "the gpu of GPU_PRICE in Inputs!B13" in problem.message
    assert "the gpu of TRAIN_GPU_HOURS in Estimate!B6" in problem.message
    assert "fix the formula" not in problem.message
    # By hand: Inputs!B13 (price) and Estimate!B6 (GPU-hours) fail on the GPU; from them Estimate B7 (wall
    # clock) B8 (reserved days) B9 (billed GPU-hours) B11 (duration) B12 (storage months) B13 B14 (energy and
    # emissions: the GPU's board power and the program's billed GPU-hours) B15 B16 (the program's GPU-hours,
    # before contingency and billed), Quote B15..B18 D15..D18 E15..E18 (the final run, experiments,
    # evaluation, restarts: billed hours x GPU price), B22 D22 E22 (contingency), B19 E19 B20 E20 (storage
    # months follow the duration) and E24..E29. Not Estimate!B10 (=NUM_GPUS), B17 (checkpoint TB),
    # Quote!E21 (engineering days x day rate) nor Estimate!B4/B5 (the model's parameters and FLOPs).
    expected = {"Inputs!B13", "Estimate!B6", "Estimate!B7", "Estimate!B8", "Estimate!B9", "Estimate!B11",
                "Estimate!B12", "Estimate!B13", "Estimate!B14", "Estimate!B15", "Estimate!B16", "Quote!B19",
                "Quote!E19",
                "Quote!B20", "Quote!E20", "Quote!B22", "Quote!D22", "Quote!E22"}
    expected |= {f"Quote!{col}{row}" for col in "BDE" for row in range(15, 19)}
    expected |= {f"Quote!E{row}" for row in range(24, 30)}
    assert not {"Estimate!B10", "Estimate!B17", "Quote!E21", "Estimate!B4", "Estimate!B5"} & _other_error_cells(
        ev, "Inputs!B5")
    # ... and the Range block's low/high rows (MFU band, reserved days, billed hours, TOTAL_LOW/HIGH).
    others = _other_error_cells(ev, "Inputs!B5")
    assert expected < others and _dependents(problem.message) == len(others)


def test_a_model_typo_is_one_problem_not_twenty_four(tmp_path):
    """The issue's count: 24 problems before, the useful one eighth of them."""
    path = _training(tmp_path, {"Inputs!B4": "llama-3.1-70x"})
    ev, problems = check_workbook(path)
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B4")], problems
    message = problems[0].message
    assert message.startswith("MODEL: unknown model 'llama-3.1-70x'. Did you mean 'llama-3.1-70b'")
    # Estimate B4 (params) B5 B6 B7 B8 B9 B11 B12 B13 B14 (energy, emissions), Quote B15 E15 B16 E16 E19..E24: 20;
    # the price does not depend on it.
    # ... and the Range block's rows: every cell showing an error, none besides.
    others = _other_error_cells(ev, "Inputs!B4")
    assert "Inputs!B13" not in others and _dependents(message) == len(others) > 20 and "Inputs!B13" not in message


def test_the_functions_own_reason_is_the_message(tmp_path):
    """No on-demand H200 at RunPod: the provider cell is the cause, and the providers that have one are named."""
    path = _training(tmp_path, {"Inputs!B5": "h200", "Inputs!B11": "runpod"})
    ev, problems = check_workbook(path)
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B11")], problems
    with_one = sorted({p.provider for p in list_prices() if p.gpu_id == "h200" and p.pricing == "on_demand"})
    assert with_one and "runpod" not in with_one
    message = problems[0].message
    assert message.startswith("PROVIDER: no on_demand price for h200 from 'runpod'; providers with one: "
                              + ", ".join(with_one)), message
    # Only the price and what is priced with it: Inputs!B13, Quote D15 E15 and E19..E24, and the
    # Range block's repricing of the GPU line (no estimate row).
    others = _other_error_cells(ev, "Inputs!B11")
    assert {"Inputs!B13", "Quote!D15", "Quote!E15", "Quote!E24"} <= others
    assert not {c for c in others if c.startswith("Estimate!")} and _dependents(message) == len(others)


def test_an_error_starting_in_a_formula_is_reported_there(tmp_path):
    """A native error (=1/0) has no input to blame: its own cell, with the contract's reading of it."""
    path = _training(tmp_path, {"Inputs!B13": "=1/0"})
    ev, problems = check_workbook(path)
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B13")], problems
    assert "GPU_HOUR_PRICE" in problems[0].message and "#DIV/0!" in problems[0].message
    others = _other_error_cells(ev, "Inputs!B13")  # Quote D15 E15 E19..E24 and the Range block's repricing
    assert {"Quote!D15", "Quote!E15", "Quote!E24"} <= others and _dependents(problems[0].message) == len(others)


def test_two_causes_are_two_lines_and_shared_cells_are_counted_under_each(tmp_path):
    path = _training(tmp_path, {"Inputs!B4": "no-such-model", "Inputs!B5": "no-such-gpu"})
    _, problems = check_workbook(path)
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B4"), ("Inputs", "B5")], problems
    assert all("Quote!E24" in p.message or "more" in p.message for p in problems)


def test_unrelated_problems_are_kept(tmp_path):
    path = _training(tmp_path, {"Inputs!B5": "h100-sxn", "Quote!B9": "dollars"})
    _, problems = check_workbook(path)
    where = [(p.sheet, p.cell) for p in problems]
    assert ("Inputs", "B5") in where and ("Quote", "B9") in where and len(problems) == 2, problems


def test_error_cells_without_a_cause_keep_their_own_lines(tmp_path):
    """Nothing is hidden: an error cell the grouping cannot place (here: no formula graph) stays listed."""
    path = _training(tmp_path, {"Inputs!B5": "h100-sxn"})
    wb = open_workbook(path)
    ev = evaluate(path, workbook=wb)
    problems = [CellIssue(*key, "x") for key in ev.formulas if str(ev.values[key]).startswith("#")]

    class NoFormulas:  # a workbook whose cells the graph cannot read: every error cell is its own root
        worksheets: list = []
        sheetnames: list = []
        defined_names: dict = {}

    grouped = group_by_cause(NoFormulas(), ev, problems)
    assert len(grouped) >= 2  # the GPU cell's line for the calls that fail on it, and the rest kept
    assert {(p.sheet, p.cell) for p in grouped} >= {("Inputs", "B5")}


@pytest.mark.parametrize("formula, function, position, expected", [
    ("=GPU_PRICE(GPU,PROVIDER,PRICING)", "GPU_PRICE", 0, "GPU"),
    ("=GPU_PRICE(GPU, PROVIDER ,PRICING)", "GPU_PRICE", 1, "PROVIDER"),
    ("=GPU_PRICE(Inputs!B5)", "GPU_PRICE", 0, "Inputs!B5"),
    ("=GPU_PRICE(\"h100\"&\"-sxm\")", "GPU_PRICE", 0, None),  # an expression: no one cell
    ("=GPU_PRICE(GPU,,PRICING)", "GPU_PRICE", 1, None),  # omitted
    ("=2*_xldudf_GPU_PRICE(MAX(A1,A2),B1)", "GPU_PRICE", 1, "B1"),  # nested commas are not separators
    ("=SUM(A1)", "GPU_PRICE", 0, None),
])
def test_argument_text(formula, function, position, expected):
    assert argument_text(formula, function, position) == expected


# --------------------------------------------------------------------------------------------
# Exit codes and missing files


def test_check_exits_2_like_report(tmp_path):
    path = _training(tmp_path, {"Inputs!B5": "h100-sxn"})
    checked = CliRunner().invoke(main, ["check", str(path)])
    reported = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "q.pdf")])
    assert checked.exit_code == reported.exit_code == 2
    assert "Inputs!B5: GPU: unknown gpu 'h100-sxn'" in checked.output
    assert "Inputs!B5: GPU: unknown gpu 'h100-sxn'" in reported.output and "Traceback" not in reported.output
    assert not (tmp_path / "q.pdf").exists()


@pytest.mark.parametrize("command", [["check"], ["report"], ["recalc"], ["report", "OTHER"]])
def test_a_missing_file_is_one_clear_message_and_exit_2(tmp_path, command):
    other = _training(tmp_path, {}, "other.xlsx")
    missing = tmp_path / "qoute.xlsx"
    args = [str(other) if a == "OTHER" else a for a in command]
    result = CliRunner().invoke(main, [*args, str(missing)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {missing}: the file does not exist"), result.output
    assert "Usage:" not in result.output and "Traceback" not in result.output
    assert not list(tmp_path.glob("*.pdf"))  # a batch with one missing file starts nothing


def test_a_folder_is_one_clear_message_and_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder, not a workbook file" in result.output, result.output


def test_a_sound_workbook_still_checks_ok(tmp_path):
    path = _training(tmp_path, {})
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0 and "OK" in result.output, result.output
    assert openpyxl.load_workbook(path)  # unchanged and readable


def test_an_error_typed_into_an_input_is_the_cause_of_what_uses_it(tmp_path):
    """#N/A pasted as a value into the storage size: the storage input is the one line, and the
    native formula using it (Quote!B19 = STORAGE_TB * STORAGE_MONTHS) is counted under it."""
    wb = build_workbook("training")
    wb["Inputs"]["B15"] = "#N/A"
    wb["Inputs"]["B15"].data_type = "e"
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    ev, problems = check_workbook(path)
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B15")], problems
    assert problems[0].message.startswith("STORAGE_TB") and "#N/A" in problems[0].message
    others = _other_error_cells(ev, "Inputs!B15")  # Quote B19 E19 E24..E29 and the Range block's repricing
    assert {"Quote!B19", "Quote!E19", "Quote!E29"} <= others and _dependents(problems[0].message) == len(others)


def test_structured_references_carry_the_cause(tmp_path):
    """Totals written with the table's column names (=SUM(LineItems[Amount]), =[@Quantity]*...)
    still fold under the one cause: the grouping reads structured references too."""
    path = _training(tmp_path, {"Inputs!B5": "h100-sxn", "Quote!E15": "=[@Quantity]*[@[Unit price]]",
                                "Quote!E24": "=SUM(LineItems[Amount])"})
    ev, problems = check_workbook(path)
    assert ev is not None and str(ev.values[("Quote", "E24")]).startswith("#VALUE!")  # the engine followed them
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B5")], problems
    assert _dependents(problems[0].message) == len(_other_error_cells(ev, "Inputs!B5"))  # as with plain references


def test_a_missing_templates_folder_is_one_clear_message_and_exit_2(tmp_path):
    path = _training(tmp_path, {})
    result = CliRunner().invoke(main, ["report", str(path), "--templates", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "Usage:" not in result.output, result.output
    assert result.output.startswith(f"Error: --templates {tmp_path / 'nowhere'}: expected a directory of templates")
    assert not list(tmp_path.glob("*.pdf"))


def test_an_ownership_workbook_with_a_server_typo_is_one_problem(tmp_path):
    """Four SERVER_PRICE calls and the monthly schedule below them fail on one typo: one line."""
    wb = build_workbook("ownership")
    wb["Inputs"]["B4"] = "dgx-h10"
    path = tmp_path / "own.xlsx"
    wb.save(path)
    _, problems = check_workbook(path)
    assert [(p.sheet, p.cell) for p in problems] == [("Inputs", "B4")], problems
    message = problems[0].message
    assert message.startswith("SERVER: unknown server 'dgx-h10'. Did you mean 'dgx-h100'")
    assert "(it is the server of SERVER_PRICE in Inputs!B6, Inputs!B7, " in message
    assert _dependents(message) > 100  # the schedule's rows
