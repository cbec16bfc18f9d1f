"""The rent-or-buy scenario (``xlcompute new --kind ownership``): buy GPU servers or rent the same GPUs.

Described as data, as :mod:`~xlcompute.workbook.generate` describes the quote kinds: rows of
the Inputs and Estimate sheets as ``(label, name, value, unit, number_format, note, choices)``
tuples (``generate.Row``'s fields) and the Quote sheet's line items as ``(description,
quantity, unit, unit_price)`` (``generate.LineItem``'s). This module imports nothing from
``generate``, which builds the workbook from it; it adds the Schedule sheet itself.

Owning: the purchase price (SERVER_PRICE, overridable), resold at the end of the term at its
straight-line book value (BOOK_VALUE over the useful life down to the residual value); each
month power (ENERGY_KWH: GPU board power x average draw x PUE, times the tariff), colocation
(per kW of the server's power per month) and staff. Renting: the same GPUs for the same term
at a catalog price (GPU_PRICE with a pricing model, e.g. a 3-year commitment). Results: the
net present cost of each (OWNERSHIP_COST, PRESENT_VALUE of the rent), the payback month
(BREAK_EVEN_MONTH), the emissions of the owned servers (CO2E_KG with GRID_INTENSITY) and a
monthly cumulative-cost schedule of plain Excel formulas that reproduces both present costs.
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName

TITLE = "Rent or buy"
QUOTE_NUMBER = "Q-2025-0145"
CUSTOMER = "Example Research Ltd"
SCHEDULE_SHEET = "Schedule"
#: Months the schedule has rows for (month 0 = the purchase); a longer term shows #REF! in its checks.
SCHEDULE_MONTHS = 60

INT, DEC2, PCT, MONEY, SCI = "#,##0", "#,##0.00", "0.0%", "#,##0.00", "0.00E+00"
DEC4 = "0.0000"

INPUTS: tuple[tuple[Any, ...], ...] = (
    ("Server", "SERVER", "dgx-h100", "catalog id", "General", "GPU server bought (`xlcompute servers` lists them)",
     "servers"),
    ("Servers", "SERVER_COUNT", 1, "servers", INT, "Servers bought, and their GPUs rented instead"),
    ("GPU in the server", "SERVER_GPU", '=SERVER_PRICE(SERVER,"gpu")', "catalog id", "General",
     "From the server catalog; the same GPU is priced for renting"),
    ("Purchase price per server", "SERVER_UNIT_PRICE", "=SERVER_PRICE(SERVER)", "USD", MONEY,
     "Catalog list price (see its source); type your supplier's quote over it"),
    ("Useful life", "USEFUL_LIFE_YEARS", 5, "years", INT, "Straight-line depreciation period (IAS 16)"),
    ("Residual value", "RESIDUAL_FRACTION", 0.10, "of purchase price", PCT, "Value at the end of the useful life"),
    ("Term compared", "TERM_MONTHS", 36, "months", INT, "Owning and renting over the same months (schedule: up to 60)"),
    ("Discount rate", "ANNUAL_RATE", 0.08, "per year", PCT, "Cost of capital or financing rate"),
    ("Average GPU draw", "POWER_FRACTION", 0.75, "of board power", PCT, "Average power as a share of the GPUs' TDP"),
    ("PUE", "PUE", 1.58, "facility / IT", DEC2, "Uptime Institute 2023 survey average; about 1.1 at hyperscale sites"),
    ("Hours per month", "HOURS_PER_MONTH", 730, "hours", INT, "365 × 24 / 12"),
    ("Electricity tariff", "TARIFF", 0.10, "USD per kWh", DEC4, "Example: type the site's tariff"),
    ("Power contracted per server", "SERVER_POWER_KW", '=SERVER_PRICE(SERVER,"system_power_w")/1000', "kW", DEC2,
     "The server's published maximum (catalog); type a figure for a server without one"),
    ("Colocation", "COLO_PER_KW_MONTH", 150.0, "USD per kW-month", MONEY, "Example: space, cooling and power delivery"),
    ("Operations staff", "STAFF_PER_MONTH", 2000.0, "USD per month", MONEY, "Example: share of an engineer's time"),
    ("Grid region", "GRID_REGION", "us-central1", "catalog id", "General", "Region of the site's grid", "regions"),
    ("Grid carbon intensity", "GRID_KG_PER_KWH", "=GRID_INTENSITY(GRID_REGION)", "kg CO2e per kWh", DEC4,
     "Catalog figure for the region (see its source); type the utility's factor over it"),
    ("Cloud provider", "RENT_PROVIDER", "gcp", "catalog id", "General", "Provider whose price the rent uses",
     "providers"),
    ("Pricing", "RENT_PRICING", "committed_use_3y", "", "General",
     "on_demand, spot, reserved_1y/3y, committed_use_1y/3y ...", "pricings"),
    ("Rent per GPU-hour", "RENT_GPU_HOUR_PRICE", "=GPU_PRICE(SERVER_GPU,RENT_PROVIDER,RENT_PRICING)", "USD", MONEY,
     "Catalog price; type a contracted price over it"),
)

ESTIMATE: tuple[tuple[Any, ...], ...] = (
    ("GPUs per server", "GPUS_PER_SERVER", '=SERVER_PRICE(SERVER,"gpus_per_server")', "GPUs", INT, "From the catalog"),
    ("GPUs", "GPU_COUNT", "=SERVER_COUNT*GPUS_PER_SERVER", "GPUs", INT, "Shown on the cover"),
    ("Duration", "DURATION_DAYS", "=ROUND(TERM_MONTHS*HOURS_PER_MONTH/24,0)", "days", INT, "Shown on the cover"),
    ("Purchase price", "PURCHASE_PRICE", "=SERVER_COUNT*SERVER_UNIT_PRICE", "USD", MONEY, "Paid at the start"),
    ("Residual value", "RESIDUAL_VALUE", "=PURCHASE_PRICE*RESIDUAL_FRACTION", "USD", MONEY, "At the end of the life"),
    ("Value at the end of the term", "VALUE_AT_END",
     "=BOOK_VALUE(PURCHASE_PRICE,RESIDUAL_VALUE,USEFUL_LIFE_YEARS,TERM_MONTHS)", "USD", MONEY,
     "xlcompute: straight-line book value, taken as the resale value"),
    ("Energy per month", "MONTHLY_KWH", "=ENERGY_KWH(SERVER_GPU,GPU_COUNT,HOURS_PER_MONTH,POWER_FRACTION,PUE)", "kWh",
     INT, "xlcompute: GPUs × hours × board power × draw × PUE (host CPUs and network not included)"),
    ("Power per month", "MONTHLY_POWER_COST", "=MONTHLY_KWH*TARIFF", "USD", MONEY, "Energy × tariff"),
    ("Colocation per month", "MONTHLY_COLO_COST", "=SERVER_COUNT*SERVER_POWER_KW*COLO_PER_KW_MONTH", "USD", MONEY,
     "Contracted kW × price per kW-month"),
    ("Running cost per month", "MONTHLY_RUNNING_COST", "=MONTHLY_POWER_COST+MONTHLY_COLO_COST+STAFF_PER_MONTH", "USD",
     MONEY, "Power, colocation and staff"),
    ("Rent per month", "MONTHLY_RENT", "=GPU_COUNT*HOURS_PER_MONTH*RENT_GPU_HOUR_PRICE", "USD", MONEY,
     "The same GPUs rented around the clock"),
    ("Net present cost of owning", "OWN_NPV",
     "=OWNERSHIP_COST(PURCHASE_PRICE,MONTHLY_RUNNING_COST,TERM_MONTHS,VALUE_AT_END,ANNUAL_RATE)", "USD", MONEY,
     "xlcompute: purchase + PV of running costs − PV of the end value"),
    ("Net present cost of renting", "RENT_NPV", "=PRESENT_VALUE(MONTHLY_RENT,TERM_MONTHS,ANNUAL_RATE)", "USD", MONEY,
     "xlcompute: PV of the monthly rent"),
    ("Saving from buying", "NPV_SAVING", "=RENT_NPV-OWN_NPV", "USD", MONEY, "Positive: buying costs less"),
    ("Cheaper option", "DECISION", '=IF(OWN_NPV<=RENT_NPV,"buy","rent")', "", "General", "By net present cost"),
    ("Break-even month", "BREAK_EVEN_MONTHS", "=BREAK_EVEN_MONTH(PURCHASE_PRICE,MONTHLY_RUNNING_COST,MONTHLY_RENT)",
     "months", "0.0", "xlcompute: purchase / (rent − running cost), undiscounted"),
    ("Energy over the term", "TERM_KWH", "=MONTHLY_KWH*TERM_MONTHS", "kWh", INT, "Of the owned servers"),
    ("Emissions over the term", "TERM_CO2E_KG", "=CO2E_KG(TERM_KWH,GRID_KG_PER_KWH)", "kg CO2e", INT,
     "xlcompute: energy × grid intensity (location-based, operational only)"),
)

LINE_ITEMS: tuple[tuple[Any, ...], ...] = (
    ("GPU servers (purchase)", "=SERVER_COUNT", "server", "=SERVER_UNIT_PRICE"),
    ("Electricity over the term", "=TERM_KWH", "kWh", "=TARIFF"),
    ("Colocation over the term", "=SERVER_COUNT*SERVER_POWER_KW*TERM_MONTHS", "kW-month", "=COLO_PER_KW_MONTH"),
    ("Operations staff", "=TERM_MONTHS", "month", "=STAFF_PER_MONTH"),
)


def choices() -> dict[str, list[str]]:
    """Dropdown lists this scenario adds: server and grid-region ids from the catalog."""
    from ..catalog import list_grid_intensities, server_ids  # noqa: PLC0415 (catalog loads data files)

    return {"servers": sorted(server_ids()), "regions": sorted(g.id for g in list_grid_intensities())}


#: (header, width, number format, formula of month row r, formula of the first row if different)
_COLUMNS = (
    ("Month", 8, INT, None, None),
    ("Discount factor", 16, "0.0000", '=IF(A{r}>TERM_MONTHS,"",(1+ANNUAL_RATE)^(-A{r}/12))', None),
    ("Owning, cumulative", 20, MONEY, '=IF(A{r}>TERM_MONTHS,"",PURCHASE_PRICE+MONTHLY_RUNNING_COST*A{r})', None),
    ("Renting, cumulative", 20, MONEY, '=IF(A{r}>TERM_MONTHS,"",MONTHLY_RENT*A{r})', None),
    ("Renting − owning", 20, MONEY, '=IF(A{r}>TERM_MONTHS,"",D{r}-C{r})', None),
    ("Owning, cumulative PV", 22, MONEY, '=IF(A{r}>TERM_MONTHS,"",F{p}+MONTHLY_RUNNING_COST*B{r})', "=PURCHASE_PRICE"),
    ("Renting, cumulative PV", 22, MONEY, '=IF(A{r}>TERM_MONTHS,"",G{p}+MONTHLY_RENT*B{r})', "=0"),
)


def add_schedule_sheet(wb: Any) -> None:
    """The Schedule sheet: one row per month of plain Excel formulas (undiscounted and present
    values of owning and renting), and three named checks read from it: the present costs at
    the end of the term (equal to OWN_NPV and RENT_NPV) and the first month buying has cost less."""
    ws = wb.create_sheet(SCHEDULE_SHEET)
    ws["A1"] = f"{TITLE}: cumulative cost by month (month 0 = purchase; rows after the term are blank)"
    ws["A1"].font = Font(bold=True, size=14, color="1F3A5F")
    first, last = 9, 9 + SCHEDULE_MONTHS
    checks = (
        ("Net present cost of owning, from the schedule", "SCHEDULE_OWN_NPV",
         f"=INDEX(F{first}:F{last},TERM_MONTHS+1)-VALUE_AT_END*INDEX(B{first}:B{last},TERM_MONTHS+1)"),
        ("Net present cost of renting, from the schedule", "SCHEDULE_RENT_NPV", f"=INDEX(G{first}:G{last},TERM_MONTHS+1)"),
        ("First month buying has cost less", "SCHEDULE_BREAK_EVEN", f'=COUNTIF(E{first}:E{last},"<0")'),
    )
    for row, (label, name, formula) in enumerate(checks, start=3):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=row, column=5, value=formula)
        cell.number_format = INT if name == "SCHEDULE_BREAK_EVEN" else MONEY
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{SCHEDULE_SHEET}'!$E${row}")
    for col, (header, width, _, _, _) in enumerate(_COLUMNS, start=1):
        ws.cell(row=first - 1, column=col, value=header).font = Font(bold=True)
        ws.column_dimensions[chr(64 + col)].width = width
    for month in range(SCHEDULE_MONTHS + 1):
        r = first + month
        ws.cell(row=r, column=1, value=month).number_format = INT
        for col, (_, _, number_format, formula, first_formula) in enumerate(_COLUMNS[1:], start=2):
            text = first_formula if (month == 0 and first_formula) else formula.format(r=r, p=r - 1)
            ws.cell(row=r, column=col, value=text).number_format = number_format
    ws.freeze_panes = f"A{first}"
