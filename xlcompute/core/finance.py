"""Energy, emissions and the money of owning versus renting: the formulas behind a rent-or-buy decision.

Energy and CO2e follow Patterson et al. 2021 ("Carbon Emissions and Large Neural Network
Training", arXiv:2104.10350, §2 and Table 4): energy = hours × processors × average power per
processor × PUE; emissions = energy × grid carbon intensity. Money over time uses the standard
present-value formulas (Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2-3):
an annual discount rate r becomes the monthly rate i = (1 + r)^(1/12) − 1.

Standard library only: the same code runs in xlwings Lite's Pyodide.
"""

from __future__ import annotations

from .errors import XlcomputeError, check_number, check_positive
from .formula import formula

KWH_PER_WH = 1e-3
MONTHS_PER_YEAR = 12
TOKENS_PER_MILLION = 1e6


@formula(
    title="Energy of a GPU fleet",
    equation="E = n · h · P · f · PUE / 1000",
    result=("E", "kWh", "facility energy, cooling and power delivery included"),
    terms={
        "num_gpus": ("n", "GPUs", "accelerators drawing power"),
        "hours": ("h", "h", "hours they run"),
        "board_power_w": ("P", "W", "board power (TDP) of one accelerator, from the spec sheet"),
        "power_fraction": ("f", "-", "average draw as a share of board power; 1 = board power, the conservative bound"),
        "pue": ("PUE", "-", "power usage effectiveness of the data centre (facility / IT energy)"),
    },
    reference="Patterson et al. 2021, arXiv:2104.10350, §2 (energy = hours × processors × average power × PUE)",
    assumptions="Accelerators only: host CPUs, memory, storage and network add to the draw unless folded into f.",
)
def energy_kwh(num_gpus: float, hours: float, board_power_w: float, power_fraction: float = 1.0,
               pue: float = 1.58) -> float:
    """Energy E = n·h·P·f·PUE/1000 [kWh].

    ``num_gpus`` n [GPUs], ``hours`` h [h], ``board_power_w`` P [W], ``power_fraction`` f [-]
    (1.0 = board power), ``pue`` [-] (default 1.58: the average of the Uptime Institute Global
    Data Center Survey 2023; hyperscale sites report about 1.1).
    """
    check_positive("num_gpus", num_gpus)
    check_number("hours", hours)
    check_positive("board_power_w", board_power_w)
    check_number("power_fraction", power_fraction, minimum=0.0, strict=True, maximum=1.5)
    check_number("pue", pue, minimum=1.0, maximum=5.0)
    return num_gpus * hours * board_power_w * power_fraction * pue * KWH_PER_WH


@formula(
    title="Operational emissions",
    equation="CO2e = E · g",
    result=("CO2e", "kg", "carbon-dioxide equivalent emitted by the electricity used"),
    terms={
        "energy_kwh": ("E", "kWh", "facility energy"),
        "grid_kg_per_kwh": ("g", "kg/kWh", "carbon intensity of the grid that supplies the site"),
    },
    reference="Patterson et al. 2021, arXiv:2104.10350, Table 4 (tCO2e = MWh × tCO2e/MWh)",
    assumptions="Operational (scope 2, location-based) emissions only: manufacturing is not included.",
)
def co2e_kg(energy_kwh: float, grid_kg_per_kwh: float) -> float:
    """Emissions CO2e = E·g [kg] for ``energy_kwh`` E [kWh] at ``grid_kg_per_kwh`` g [kg/kWh]."""
    check_number("energy_kwh", energy_kwh)
    check_number("grid_kg_per_kwh", grid_kg_per_kwh, maximum=2.0)
    return energy_kwh * grid_kg_per_kwh


@formula(
    title="Monthly discount rate",
    equation="i = (1 + r)^(1/12) − 1",
    result=("i", "1/month", "discount rate per month"),
    terms={"annual_rate": ("r", "1/year", "discount (or financing) rate per year, e.g. 0.08")},
    reference="Brealey, Myers & Allen, Principles of Corporate Finance, ch. 2 (compounding)",
)
def monthly_rate(annual_rate: float) -> float:
    """Monthly rate i = (1 + r)^(1/12) − 1 [1/month] equivalent to ``annual_rate`` r [1/year]."""
    check_number("annual_rate", annual_rate, maximum=1.0)
    return (1.0 + annual_rate) ** (1.0 / MONTHS_PER_YEAR) - 1.0


@formula(
    title="Present value of a monthly payment",
    equation="PV = C · (1 − (1 + i)^−m) / i   (PV = C · m when i = 0)",
    result=("PV", "money", "value today of paying C at the end of each of m months"),
    terms={
        "monthly_amount": ("C", "money/month", "amount paid each month"),
        "months": ("m", "months", "number of monthly payments"),
        "annual_rate": ("r", "1/year", "discount rate per year (0 = no discounting)"),
    },
    reference="Brealey, Myers & Allen, Principles of Corporate Finance, ch. 3 (annuity formula)",
)
def present_value_monthly(monthly_amount: float, months: float, annual_rate: float = 0.0) -> float:
    """PV = C·(1 − (1+i)^−m)/i [money] of ``monthly_amount`` C for ``months`` m at ``annual_rate`` r."""
    check_number("monthly_amount", monthly_amount, minimum=None)
    check_number("months", months)
    i = monthly_rate(annual_rate)
    if i == 0:
        return monthly_amount * months
    return monthly_amount * (1.0 - (1.0 + i) ** -months) / i


@formula(
    title="Straight-line value at the end of a term",
    equation="V = c − (c − v) · min(m, 12 · L) / (12 · L)",
    result=("V", "money", "book value of the purchase after m months"),
    terms={
        "purchase_price": ("c", "money", "purchase price of the servers"),
        "residual_value": ("v", "money", "value at the end of the useful life"),
        "useful_life_years": ("L", "years", "useful life over which the price is depreciated"),
        "months": ("m", "months", "months of use"),
    },
    reference="IAS 16 Property, Plant and Equipment, ¶62 (straight-line depreciation)",
)
def straight_line_value(purchase_price: float, residual_value: float, useful_life_years: float,
                        months: float) -> float:
    """Book value V after ``months`` m of straight-line depreciation from c to v over L years [money]."""
    check_positive("purchase_price", purchase_price)
    check_number("residual_value", residual_value, maximum=purchase_price)
    check_positive("useful_life_years", useful_life_years)
    check_number("months", months)
    life_months = MONTHS_PER_YEAR * useful_life_years
    return purchase_price - (purchase_price - residual_value) * min(months, life_months) / life_months


@formula(
    title="Net present cost of owning",
    equation="NPC = c + PV(C_own, m, r) − V_m / (1 + i)^m",
    result=("NPC", "money", "present cost of buying, running and reselling the servers over the term"),
    terms={
        "purchase_price": ("c", "money", "purchase price, paid at the start"),
        "monthly_running_cost": ("C_own", "money/month", "power, colocation and staff per month"),
        "months": ("m", "months", "term compared"),
        "value_at_end": ("V_m", "money", "what the servers are worth at the end of the term"),
        "annual_rate": ("r", "1/year", "discount or financing rate per year"),
    },
    reference="Brealey, Myers & Allen, Principles of Corporate Finance, ch. 6 (equivalent annual cost, lease vs buy)",
)
def ownership_present_cost(purchase_price: float, monthly_running_cost: float, months: float, value_at_end: float,
                           annual_rate: float = 0.0) -> float:
    """Present cost of owning over ``months`` [money]: purchase + PV of running costs − PV of the end value."""
    check_positive("purchase_price", purchase_price)
    check_number("value_at_end", value_at_end)
    running = present_value_monthly(monthly_running_cost, months, annual_rate)
    return purchase_price + running - value_at_end * (1.0 + monthly_rate(annual_rate)) ** -months


@formula(
    title="Break-even month of buying versus renting",
    equation="m* = c / (C_rent − C_own)",
    result=("m*", "months", "months after which owning has cost less than renting (undiscounted)"),
    terms={
        "purchase_price": ("c", "money", "upfront purchase"),
        "monthly_running_cost": ("C_own", "money/month", "running cost of owning per month"),
        "monthly_rent": ("C_rent", "money/month", "rent of the same capacity per month"),
    },
    reference="Brealey, Myers & Allen, Principles of Corporate Finance, ch. 5 (payback period)",
    assumptions="Payback ignores discounting and resale value; the net present costs compare both.",
)
def break_even_month(purchase_price: float, monthly_running_cost: float, monthly_rent: float) -> float:
    """Months m* = c/(C_rent − C_own) until owning has cost less than renting [months]."""
    check_positive("purchase_price", purchase_price)
    check_number("monthly_running_cost", monthly_running_cost)
    check_positive("monthly_rent", monthly_rent)
    saving = monthly_rent - monthly_running_cost
    if saving <= 0:
        raise XlcomputeError(
            f"monthly_rent: renting ({monthly_rent:,.2f} a month) costs no more than running owned servers "
            f"({monthly_running_cost:,.2f} a month), so buying never breaks even.", argument="monthly_rent")
    return purchase_price / saving


@formula(
    title="API cost of a monthly token volume",
    equation="A = (T_in · p_in + T_out · p_out) / 10⁶",
    result=("A", "money/month", "what a pay-per-token API charges for the volume"),
    terms={
        "input_tokens": ("T_in", "tokens/month", "prompt tokens per month"),
        "output_tokens": ("T_out", "tokens/month", "generated tokens per month"),
        "price_per_mtok_in": ("p_in", "money/Mtok", "list price per million input tokens"),
        "price_per_mtok_out": ("p_out", "money/Mtok", "list price per million output tokens"),
    },
    reference="Providers' list prices are per million tokens, input and output priced separately",
)
def api_cost(input_tokens: float, output_tokens: float, price_per_mtok_in: float, price_per_mtok_out: float) -> float:
    """Monthly API cost A = (T_in·p_in + T_out·p_out)/1e6 [money/month]."""
    for name, value in (("input_tokens", input_tokens), ("output_tokens", output_tokens),
                        ("price_per_mtok_in", price_per_mtok_in), ("price_per_mtok_out", price_per_mtok_out)):
        check_number(name, value)
    return (input_tokens * price_per_mtok_in + output_tokens * price_per_mtok_out) / TOKENS_PER_MILLION


@formula(
    title="Monthly volume at which self-hosting breaks even with an API",
    equation="T* = S / ((s · p_in + (1 − s) · p_out) / 10⁶)",
    result=("T*", "tokens/month", "tokens per month above which self-hosting costs less than the API"),
    terms={
        "self_host_monthly_cost": ("S", "money/month", "cost of the self-hosted deployment per month"),
        "price_per_mtok_in": ("p_in", "money/Mtok", "API list price per million input tokens"),
        "price_per_mtok_out": ("p_out", "money/Mtok", "API list price per million output tokens"),
        "input_share": ("s", "-", "share of input (prompt) tokens in the traffic"),
    },
    reference="Break-even of a fixed cost against a per-unit price (A = S solved for the volume)",
    assumptions="The self-hosted deployment must have the capacity for T*; its cost is fixed below that.",
)
def api_break_even_tokens(self_host_monthly_cost: float, price_per_mtok_in: float, price_per_mtok_out: float,
                          input_share: float) -> float:
    """Tokens per month T* at which the API costs as much as self-hosting [tokens/month]."""
    check_positive("self_host_monthly_cost", self_host_monthly_cost)
    check_number("price_per_mtok_in", price_per_mtok_in)
    check_number("price_per_mtok_out", price_per_mtok_out)
    check_number("input_share", input_share, maximum=1.0)
    blended = (input_share * price_per_mtok_in + (1.0 - input_share) * price_per_mtok_out) / TOKENS_PER_MILLION
    if blended <= 0:
        raise XlcomputeError("price_per_mtok_out: the API is free for this traffic, so self-hosting never breaks even.",
                             argument="price_per_mtok_out")
    return self_host_monthly_cost / blended
