"""Energy, emissions and rent-or-buy money (xlcompute.core.finance), against published and hand-worked figures."""

from __future__ import annotations

import pytest

from xlcompute.core import XlcomputeError, explain
from xlcompute.core.finance import (
    api_break_even_tokens,
    api_cost,
    break_even_month,
    co2e_kg,
    energy_kwh,
    ownership_present_cost,
    present_value_monthly,
    straight_line_value,
)
from xlcompute.functions import REGISTRY, is_error

# Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training", arXiv:2104.10350, Table 4:
# (processors, days, average system power per processor [W], PUE, energy [MWh], grid [kg/kWh], tCO2e)
PATTERSON_TABLE_4 = {
    "GPT-3 (V100)": (10_000, 14.8, 330, 1.10, 1_287, 0.429, 552),
    "T5 (TPU v3)": (512, 20, 310, 1.12, 85.7, 0.545, 46.7),
}


@pytest.mark.parametrize("run", sorted(PATTERSON_TABLE_4))
def test_energy_and_emissions_of_published_training_runs(run):
    """Energy within 1 % of the table (it rounds days and watts); CO2e = the table's energy x its grid factor."""
    processors, days, watts, pue, mwh, grid, tonnes = PATTERSON_TABLE_4[run]
    assert energy_kwh(processors, days * 24, watts, 1.0, pue) / 1e3 == pytest.approx(mwh, rel=0.01)
    assert co2e_kg(mwh * 1e3, grid) / 1e3 == pytest.approx(tonnes, rel=0.002)


def test_energy_excel_function_uses_the_catalog_board_power():
    """ENERGY_KWH on 8 H100 SXM (700 W TDP, NVIDIA H100 datasheet) for 24 h at PUE 1.2: 8 x 24 x 700 x 1.2 Wh."""
    assert REGISTRY["ENERGY_KWH"]("h100-sxm", 8, 24, 1.0, 1.2) == pytest.approx(161.28)
    outcome = REGISTRY["ENERGY_KWH"].run("h100-sxm", 8, 24)
    assert [r.name for r in outcome.resolved] == ["gpu"]
    assert outcome.step.children[0].inputs["board_power_w"] == 700


def test_present_value_against_the_annuity_table():
    """1,000 a month for 12 months at 1 % a month: annuity factor 11.2551 (standard PV annuity tables)."""
    annual = 1.01 ** 12 - 1
    assert present_value_monthly(1000, 12, annual) == pytest.approx(11_255.08, abs=0.01)
    assert present_value_monthly(1000, 12, 0.0) == 12_000


def test_book_value_and_ownership_cost_hand_worked():
    """300,000 of servers, 30,000 residual after 5 years: 138,000 after 36 months; undiscounted cost adds up."""
    assert straight_line_value(300_000, 30_000, 5, 36) == pytest.approx(138_000)
    assert straight_line_value(300_000, 30_000, 5, 90) == pytest.approx(30_000)  # not below the residual
    assert ownership_present_cost(300_000, 4_000, 36, 138_000, 0.0) == pytest.approx(300_000 + 144_000 - 138_000)
    discounted = ownership_present_cost(300_000, 4_000, 36, 138_000, 0.08)
    assert 300_000 + 144_000 - 138_000 < discounted < 300_000 + 144_000


def test_break_even_month_and_when_it_never_comes():
    assert break_even_month(300_000, 4_000, 12_000) == pytest.approx(37.5)
    with pytest.raises(XlcomputeError, match="never breaks even"):
        break_even_month(300_000, 12_000, 4_000)
    assert is_error(REGISTRY["BREAK_EVEN_MONTH"](300_000, 12_000, 4_000))


def test_api_cost_and_self_host_break_even_hand_worked():
    """1e9 input + 2.5e8 output tokens at 0.60/2.40 per Mtok = 600 + 600; break-even of 1,200 a month is that volume."""
    assert api_cost(1e9, 2.5e8, 0.60, 2.40) == pytest.approx(1_200)
    assert api_break_even_tokens(1_200, 0.60, 2.40, 0.8) == pytest.approx(1.25e9)


def test_breakdowns_come_from_the_same_call():
    step = explain(ownership_present_cost, 300_000, 4_000, 36, 138_000, 0.08)
    assert step.name == "ownership_present_cost"
    assert {c.name for c in step.walk()} >= {"present_value_monthly", "monthly_rate"}
    assert step.result == ownership_present_cost(300_000, 4_000, 36, 138_000, 0.08)
