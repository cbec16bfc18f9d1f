"""Evaluating scenario workbooks: headless with the `formulas` engine, cached values, stale cells, errors."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from xlcompute.core.training import train_flops
from xlcompute.workbook.evaluate import evaluate, functions_used
from xlcompute.workbook.generate import SHIPPED, write_workbook

REPO = Path(__file__).resolve().parents[1]


def _gpt3_workbook(path: Path) -> Path:
    """GPT-3 175B: 174.6e9 parameters, 300e9 tokens (Brown et al. 2020, Table D.1: 3.14e23 FLOP)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws["A1"], ws["B1"] = "Parameters", 174.6e9
    ws["A2"], ws["B2"] = "Tokens", 300e9
    ws["A3"], ws["B3"] = "Price per PF-day", 100.0
    for name, cell in (("PARAMS", "B1"), ("TOKENS", "B2"), ("PF_DAY_PRICE", "B3")):
        wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!${cell[0]}${cell[1:]}")
    est = wb.create_sheet("Estimate")
    est["B1"] = "=TRAIN_FLOPS(PARAMS,TOKENS)"
    est["B2"] = "=B1/(1E+15*86400)"  # PF-days
    est["B3"] = "=ROUND(B2*PF_DAY_PRICE,2)"
    est["B4"] = "=SUM(XLC.TRAIN_FLOPS(PARAMS,TOKENS,8),B1)"  # namespaced alias, 8PD
    wb.save(path)
    return path


def _with_cached_values(source: Path, target: Path, values: dict[tuple[int, str], object]) -> Path:
    """Copy an openpyxl-written workbook adding cached values, as Excel does when it saves.

    ``values`` maps (sheet index from 1, cell) to the value to cache in that formula cell.
    """
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if match:
                text = data.decode("utf-8")
                for (sheet, cell), value in values.items():
                    if sheet != int(match.group(1)):
                        continue
                    pattern = re.compile(rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/>')
                    kind = ' t="str"' if isinstance(value, str) else ""
                    text, n = pattern.subn(lambda m: f'<c r="{cell}"{m.group(1)}{kind}><f>{m.group(2)}</f>'
                                                     f"<v>{value}</v>", text)
                    assert n == 1, f"no formula cell {cell} in sheet {sheet}"
                data = text.encode("utf-8")
            zout.writestr(item, data)
    return target


def test_headless_evaluation_matches_the_core_and_gpt3_published_compute(tmp_path):
    ev = evaluate(_gpt3_workbook(tmp_path / "gpt3.xlsx"))
    assert ev.mode == "headless"
    assert ev.issues == []
    flops = ev.values[("Estimate", "B1")]
    assert flops == train_flops(174.6e9, 300e9)
    # Brown et al. 2020 (GPT-3), Table D.1: 3.14e23 FLOP; 6PD agrees within 1 %.
    assert flops == pytest.approx(3.14e23, rel=0.01)
    # PF-days: GPT-3 Table D.1 gives 3.64e3 PF-days.
    assert ev.values[("Estimate", "B2")] == pytest.approx(3640, rel=0.01)
    assert ev.values[("Estimate", "B3")] == round(flops / 8.64e19 * 100, 2)
    assert ev.values[("Estimate", "B4")] == pytest.approx(14 * 174.6e9 * 300e9)


def test_every_xlcompute_cell_has_its_calls_recorded_for_the_breakdown(tmp_path):
    ev = evaluate(_gpt3_workbook(tmp_path / "gpt3.xlsx"))
    cells = {c.address: c for c in ev.xlcompute_cells}
    assert set(cells) == {"Estimate!B1", "Estimate!B4"}
    assert [call.function for call in cells["Estimate!B4"].calls] == ["TRAIN_FLOPS"]
    assert cells["Estimate!B4"].calls[0].args == (174.6e9, 300e9, 8.0)
    (call,) = cells["Estimate!B1"].calls  # recorded while the engine evaluated: no second run
    step = call.step
    core = step.children[0] if not step.info.equation else step
    assert core.info.equation == "C = k · P · T"
    assert core.inputs == {"params": 174.6e9, "tokens": 300e9, "flops_per_param_token": 6.0}
    assert core.result == call.value == ev.values[("Estimate", "B1")]


def test_cached_values_are_used_and_stale_xlcompute_cells_flagged(tmp_path):
    source = _gpt3_workbook(tmp_path / "gpt3.xlsx")
    flops = train_flops(174.6e9, 300e9)
    fresh = _with_cached_values(source, tmp_path / "saved.xlsx", {
        (2, "B1"): flops, (2, "B2"): flops / 8.64e19, (2, "B3"): 363.67, (2, "B4"): 14 * 174.6e9 * 300e9})
    ev = evaluate(fresh)
    assert ev.mode == "cached"
    assert ev.stale == []
    assert ev.values[("Estimate", "B3")] == 363.67  # the cached value, not recomputed

    # Someone edits B1's cached value (as if an input changed and Excel did not recalculate).
    stale = _with_cached_values(source, tmp_path / "stale.xlsx", {
        (2, "B1"): 1.0e23, (2, "B2"): 1.0e23 / 8.64e19, (2, "B3"): 115.74, (2, "B4"): 8 * 174.6e9 * 300e9 + 1.0e23})
    ev = evaluate(stale)
    # Recomputed is what recalculating the workbook gives: B1 from its inputs, and B4, which adds
    # B1, with the recomputed B1. Native cells (B2, B3) keep their cached values and are not flagged.
    assert [c.address for c in ev.stale] == ["Estimate!B1", "Estimate!B4"]
    assert ev.stale[0].value == 1.0e23
    assert ev.stale[0].recomputed == flops
    assert ev.stale[1].recomputed == pytest.approx(8 * 174.6e9 * 300e9 + flops)
    assert ev.values[("Estimate", "B3")] == 115.74


def test_formulas_the_engine_cannot_evaluate_are_reported_with_their_cell(tmp_path):
    path = _gpt3_workbook(tmp_path / "bad.xlsx")
    wb = openpyxl.load_workbook(path)
    est = wb["Estimate"]
    est["C1"] = "=NOT_A_FUNCTION(B1)"
    est["C2"] = "=TRAIN_FLOPS(-5,TOKENS)"
    est["C3"] = "=B1/0"
    wb.save(path)
    ev = evaluate(path)
    issues = {f"{i.sheet}!{i.cell}": i.message for i in ev.issues}
    assert "NOT_A_FUNCTION" in issues["Estimate!C1"]
    assert "params" in issues["Estimate!C2"] and "greater than 0" in issues["Estimate!C2"]
    assert "#DIV/0!" in issues["Estimate!C3"]


def test_functions_used_reads_names_with_excels_tokenizer():
    assert functions_used('=ROUND(TRAIN_FLOPS(A1,"x(y)"),2)+_xldudf_KV_CACHE_GB(M,1)') == [
        "ROUND", "TRAIN_FLOPS", "_XLDUDF_KV_CACHE_GB"]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_evaluation_never_modifies_the_workbook(tmp_path, name):
    path = tmp_path / name
    shutil.copy(REPO / "workbooks" / name, path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    evaluate(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_shipped_training_quote_totals_follow_from_the_line_items(tmp_path):
    ev = evaluate(write_workbook(tmp_path / "t.xlsx", "training"))
    assert ev.issues == []
    value = ev.value
    hours = value("GPU_HOURS")
    assert value("TOTAL_FLOPS") == train_flops(value("PARAMS"), value("TRAIN_TOKENS"), value("FLOPS_PER_PARAM_TOKEN"))
    assert value("BILLED_GPU_HOURS") >= hours
    # The program's GPU-hours (final run, experiments, evaluation, restarts) and contingency at the GPU
    # price, data and checkpoint storage at the storage price, engineering at the day rate (each line to
    # whole GPU-hours or 0.01 TB-month, hence the tolerance).
    program = value("PROGRAM_GPU_HOURS_TOTAL") * (1 + value("CONTINGENCY"))
    assert value("SUBTOTAL") == pytest.approx(
        program * value("GPU_HOUR_PRICE") + (value("STORAGE_TB") + value("CHECKPOINT_STORAGE_TB"))
        * value("STORAGE_MONTHS") * value("STORAGE_PRICE") + value("ENGINEERING_DAYS") * value("ENGINEERING_RATE"),
        abs=2 * value("GPU_HOUR_PRICE") + value("STORAGE_PRICE"))
    net = value("SUBTOTAL") * (1 + value("MARGIN")) * (1 - value("DISCOUNT"))
    assert value("TOTAL") == pytest.approx(net * (1 + value("TAX_RATE")))
