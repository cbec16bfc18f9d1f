"""Excel functions for the rent-or-buy decision: energy, emissions, present values, break-even, API cost.

Each function resolves what it needs through a setup and calls core formulas
(:mod:`xlcompute.core.finance`); no arithmetic here.
"""

from __future__ import annotations

from ..core import finance
from ..scenario.setups import resolve_gpu
from .arguments import GPU
from .spec import Argument, excel_function

MONTHS = Argument("months", "Months of the term compared, e.g. 36.", "months")
ANNUAL_RATE = Argument("annual_rate", "Discount or financing rate per year, e.g. 0.08 [optional, default 0 = no "
                                      "discounting].", "1/year")
PURCHASE_PRICE = Argument("purchase_price", "Purchase price of the servers, paid at the start.", "money")
RUNNING_COST = Argument("monthly_running_cost", "Running cost of owning per month: power, colocation and staff.",
                        "money/month")
PRICE_IN = Argument("price_per_mtok_in", "API list price per million input tokens.", "money/Mtok")
PRICE_OUT = Argument("price_per_mtok_out", "API list price per million output tokens.", "money/Mtok")


@excel_function("ENERGY_KWH", [
    GPU,
    Argument("gpus", "Number of GPUs drawing power. Cell or range.", "GPUs", ("num_gpus",)),
    Argument("hours", "Hours they run, e.g. GPU-hours / GPUs. Cell or range.", "h"),
    Argument("power_fraction", "Average draw as a share of the GPU's board power (TDP) [optional, default 1 = "
                               "board power, the conservative bound].", "-"),
    Argument("pue", "Power usage effectiveness of the data centre [optional, default 1.58, the Uptime Institute "
                    "2023 survey average].", "-"),
], vectorised=True)
def energy_kwh(gpu, gpus, hours, power_fraction=1.0, pue=1.58):
    """Facility energy [kWh] = GPUs x hours x board power x power fraction x PUE / 1000 (Patterson et al. 2021)."""
    accelerator = resolve_gpu(gpu)
    return finance.energy_kwh(gpus, hours, accelerator.tdp_w, power_fraction, pue)


@excel_function("CO2E_KG", [
    Argument("kwh", "Energy in kWh, e.g. from ENERGY_KWH. Cell or range.", "kWh", ("energy_kwh",)),
    Argument("grid_kg_per_kwh", "Carbon intensity of the grid in kg CO2e per kWh, with its source and date in the "
                                "workbook. Cell or range.", "kg/kWh"),
], vectorised=True)
def co2e_kg(kwh, grid_kg_per_kwh):
    """Operational emissions [kg CO2e] = energy x grid carbon intensity (Patterson et al. 2021, Table 4)."""
    return finance.co2e_kg(kwh, grid_kg_per_kwh)


@excel_function("PRESENT_VALUE", [
    Argument("monthly_amount", "Amount paid at the end of each month.", "money/month"), MONTHS, ANNUAL_RATE,
], vectorised=True)
def present_value(monthly_amount, months, annual_rate=0.0):
    """Value today of a monthly payment over a term [money] (annuity formula)."""
    return finance.present_value_monthly(monthly_amount, months, annual_rate)


@excel_function("BOOK_VALUE", [
    PURCHASE_PRICE,
    Argument("residual_value", "Value at the end of the useful life.", "money"),
    Argument("useful_life_years", "Useful life in years over which the price is depreciated, e.g. 5.", "years"),
    Argument("months", "Months of use so far.", "months"),
], vectorised=True)
def book_value(purchase_price, residual_value, useful_life_years, months):
    """Straight-line book value of the servers after some months [money] (IAS 16)."""
    return finance.straight_line_value(purchase_price, residual_value, useful_life_years, months)


@excel_function("OWNERSHIP_COST", [
    PURCHASE_PRICE, RUNNING_COST, MONTHS,
    Argument("value_at_end", "What the servers are worth at the end of the term, e.g. from BOOK_VALUE.", "money"),
    ANNUAL_RATE,
], vectorised=True)
def ownership_cost(purchase_price, monthly_running_cost, months, value_at_end, annual_rate=0.0):
    """Net present cost of buying, running and reselling the servers over the term [money]."""
    return finance.ownership_present_cost(purchase_price, monthly_running_cost, months, value_at_end, annual_rate)


@excel_function("BREAK_EVEN_MONTH", [
    PURCHASE_PRICE, RUNNING_COST,
    Argument("monthly_rent", "Rent of the same capacity per month.", "money/month"),
], vectorised=True)
def break_even_month(purchase_price, monthly_running_cost, monthly_rent):
    """Months after which buying has cost less than renting (payback, undiscounted)."""
    return finance.break_even_month(purchase_price, monthly_running_cost, monthly_rent)


@excel_function("API_COST", [
    Argument("input_tokens", "Prompt tokens per month.", "tokens/month"),
    Argument("output_tokens", "Generated tokens per month.", "tokens/month"),
    PRICE_IN, PRICE_OUT,
], vectorised=True)
def api_cost(input_tokens, output_tokens, price_per_mtok_in, price_per_mtok_out):
    """What a pay-per-token API charges for a monthly volume [money/month], input and output priced separately."""
    return finance.api_cost(input_tokens, output_tokens, price_per_mtok_in, price_per_mtok_out)


@excel_function("API_BREAK_EVEN_TOKENS", [
    Argument("self_host_monthly_cost", "Cost of the self-hosted deployment per month.", "money/month"),
    PRICE_IN, PRICE_OUT,
    Argument("input_share", "Share of input (prompt) tokens in the traffic, e.g. input / (input + output).", "-"),
], vectorised=True)
def api_break_even_tokens(self_host_monthly_cost, price_per_mtok_in, price_per_mtok_out, input_share):
    """Tokens per month above which self-hosting costs less than the API [tokens/month]."""
    return finance.api_break_even_tokens(self_host_monthly_cost, price_per_mtok_in, price_per_mtok_out, input_share)
