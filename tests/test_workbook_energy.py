"""Energy and CO2e in every quote (issue 13): the shipped samples' figures worked by hand from the
catalog's GPU board power and grid intensity, and the same ENERGY_KWH/CO2E_KG code path."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcompute.catalog import get_gpu, get_grid_intensity
from xlcompute.workbook.evaluate import evaluate

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"


def test_training_quote_energy_and_emissions():
    ev = evaluate(WORKBOOKS / "training_quote.xlsx")
    assert get_gpu("h100-sxm").tdp_w == 700  # NVIDIA H100 SXM5 datasheet: up to 700 W
    # 1,024 GPUs x 25 reserved days x 24 h = 614,400 GPU-hours x 0.7 kW x 0.75 draw x 1.2 PUE = 387,072 kWh
    # (the final run's reservation).
    assert ev.value("RUN_KWH") == pytest.approx(387_072.0)
    # x 0.41272 kg/kWh (us-central1, the catalog's 2024 figure) = 159,752.4 kg CO2e.
    assert get_grid_intensity("us-central1").kg_co2e_per_kwh == 0.41272
    assert ev.value("RUN_CO2E_KG") == pytest.approx(159_752.36, abs=0.01)


def test_serving_quote_energy_and_emissions():
    ev = evaluate(WORKBOOKS / "serving_quote.xlsx")
    gpus, hours = ev.value("GPU_COUNT"), ev.value("TERM_MONTHS") * ev.value("HOURS_PER_MONTH")
    # GPUs x 8,760 h x 0.7 kW x 0.75 x 1.2; the sample's 10 GPUs: 87,600 h -> 55,188 kWh, 22,777.2 kg CO2e.
    assert ev.value("TERM_KWH") == pytest.approx(gpus * hours * 0.7 * 0.75 * 1.2)
    assert ev.value("TERM_CO2E_KG") == pytest.approx(ev.value("TERM_KWH") * 0.41272)
    xl = {cell.address: cell for cell in ev.xlcompute_cells}
    assert any(call.function == "ENERGY_KWH" for cell in xl.values() for call in cell.calls)  # with its breakdown
