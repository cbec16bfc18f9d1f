"""Energy and CO2e in every quote (issue 13): the shipped samples' figures worked by hand from the
catalog's GPU board power and grid intensity, and the same ENERGY_KWH/CO2E_KG code path."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcompute.catalog import get_gpu, get_grid_intensity
from money_helpers import name_cell
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import build_workbook

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"


def test_training_quote_energy_counts_every_gpu_hour_the_program_bills():
    ev = evaluate(WORKBOOKS / "training_quote.xlsx")
    # gpus.csv, row h100-sxm: tdp_w 700 (NVIDIA H100 SXM5 datasheet: up to 700 W).
    assert get_gpu("h100-sxm").tdp_w == 700
    # The quote's GPU lines (xlcompute/workbook/program_lines.py), from the sample's inputs:
    #   final run   1,024 GPUs x 25 reserved days x 24 h           = 614,400
    #   experiments 0.25 x 614,400                                 = 153,600
    #   evaluation  0.05 x 614,400                                 =  30,720
    #   restarts    798,720 x (1 - 0.9) / 0.9 = 88,746.7           =  88,747
    #   contingency 0.05 x 798,720 / 0.9 = 44,373.3                =  44,373
    #                                                               = 931,840 GPU-hours
    assert ev.value("PROGRAM_BILLED_GPU_HOURS") == 931_840
    assert ev.value("PROGRAM_BILLED_GPU_HOURS") == sum(
        ev.values[(sheet, f"B{row}")] for sheet, row in _line_rows(ev) if ev.values[(sheet, f"C{row}")] == "GPU-hour")
    # 931,840 GPU-hours x 0.7 kW x 0.75 draw x 1.2 PUE = 587,059.2 kWh (the final run alone: 387,072).
    assert ev.value("PROGRAM_KWH") == pytest.approx(587_059.2, abs=0.01)
    # grid_intensity.csv, row us-central1: 0.41272 kg CO2e/kWh (Google Cloud region carbon data, 2024).
    assert get_grid_intensity("us-central1").kg_co2e_per_kwh == 0.41272
    # 587,059.2 kWh x 0.41272 = 242,291.07 kg CO2e.
    assert ev.value("PROGRAM_CO2E_KG") == pytest.approx(242_291.07, abs=0.01)


def _line_rows(ev):
    """(sheet, row) of each line of the LineItems table."""
    sheet, ref = ev.tables["LineItems"]
    first, last = (int("".join(ch for ch in end if ch.isdigit())) for end in ref.split(":"))
    return [(sheet, row) for row in range(first + 1, last + 1)]


def test_serving_quote_energy_and_emissions():
    ev = evaluate(WORKBOOKS / "serving_quote.xlsx")
    gpus, hours = ev.value("GPU_COUNT"), ev.value("TERM_MONTHS") * ev.value("HOURS_PER_MONTH")
    # GPUs x 8,760 h x 0.7 kW x 0.75 x 1.2 (on demand: no interruption allowance); the sample's 18 GPUs:
    # 157,680 h -> 99,338.4 kWh, x 0.41272 = 40,998.94 kg CO2e.
    assert (gpus, ev.value("SERVE_INTERRUPTION_ALLOWANCE")) == (18, 0)
    assert ev.value("TERM_KWH") == pytest.approx(99_338.4, abs=0.01)
    assert ev.value("TERM_KWH") == pytest.approx(gpus * hours * 0.7 * 0.75 * 1.2)
    assert ev.value("TERM_CO2E_KG") == pytest.approx(ev.value("TERM_KWH") * 0.41272)
    xl = {cell.address: cell for cell in ev.xlcompute_cells}
    assert any(call.function == "ENERGY_KWH" for cell in xl.values() for call in cell.calls)  # with its breakdown


def test_serving_energy_counts_the_spot_allowance_billed(tmp_path):
    # TTFT <= 250 ms recommends the spot H200 (tests/test_options.py): 11 GPUs x 730 h x 96/95 (one
    # interruption a day, 15 minutes lost) = 8,115 whole GPU-hours a month x 12 = 97,380 GPU-hours billed.
    wb = build_workbook("inference")
    sheet, cell = name_cell(wb, "TTFT_TARGET_MS")
    wb[sheet][cell] = 250
    wb.save(tmp_path / "spot.xlsx")
    ev = evaluate(tmp_path / "spot.xlsx")
    assert ev.value("SERVE_PRICING") == "spot" and ev.value("GPU_COUNT") == 11
    # gpus.csv, row h200: tdp_w 700 (NVIDIA H200 SXM). 97,380 x 0.7 x 0.75 x 1.2 = 61,349.4 kWh, not the
    # 60,706.8 of 96,360 GPU-hours without the allowance; x 0.41272 (us-central1) = 25,320.12 kg CO2e.
    assert get_gpu("h200").tdp_w == 700
    assert ev.value("TERM_KWH") == pytest.approx(61_349.4, abs=0.01)
    assert ev.value("TERM_CO2E_KG") == pytest.approx(25_320.12, abs=0.01)
