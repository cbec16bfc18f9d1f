"""The Options sheet of a serving quote: several ways to serve the same demand, priced alike.

One row per option of the Excel table ``Options`` (:data:`~.contract.OPTIONS_TABLE`): the
option's name, GPU, provider and pricing (catalog ids, inputs) and the size of the unit the
provider rents (GPUs per node: 8 for an HGX node, 1 where single GPUs are rented). Every other
column is a formula: the same xlcompute functions the Estimate sheet calls, with the option's
GPU, give GPUs per replica, output tokens/s per replica, time to first token (TTFT), time per
output token (TPOT), replicas for the peak load with headroom and spares, GPUs in whole nodes,
the catalog price per GPU-hour, the interruptions a day of a spot row and the allowance they
cost (``SPOT_HOURS``, Young 1974: each interruption loses the restart, ``SPOT_RESTART_MINUTES``),
the GPU-hours billed a month, the monthly and term cost, and whether TTFT and TPOT meet the
targets (``TTFT_TARGET_MS``, ``TPOT_TARGET_MS``).

The table may hold any number of rows: every formula outside it reads it by structured
reference (``Options[GPU]``), which Excel and LibreOffice grow and shrink with the table; each
computed column is a calculated column (:mod:`.table_columns`), which Excel fills into an added row.
``RECOMMENDED_ROW``, above the table so that a row added below it moves nothing, is plain Excel:
the position of the lowest monthly cost among the rows that meet the service level (MIN and
MATCH over the column "Cost if meets SLA", blank for a row that misses), ``#N/A`` when none
meets it; ``RECOMMENDED`` is that row's name. The Inputs sheet's ``SERVE_GPU``,
``SERVE_PROVIDER``, ``SERVE_PRICING`` and ``SERVE_INTERRUPTIONS_PER_DAY`` read the recommended
row (:func:`recommended`), so the Estimate sheet and the quote's line items price that option.

This module imports nothing from ``generate``, which calls :func:`add_options_sheet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..core.errors import XlcomputeError
from ..functions.excel_values import column_letters
from . import contract as c
from .table_columns import set_columns, this_row

INT, DEC1, DEC2, PCT, PRICE, MONEY = "#,##0", "#,##0.0", "#,##0.00", "0.00%", "#,##0.00##", "#,##0.00"


@dataclass(frozen=True)
class Option:
    """One way to serve the demand: its name, catalog GPU, provider, pricing and rental unit."""

    name: str
    gpu: str
    provider: str
    pricing: str
    gpus_per_node: int


#: The shipped serving quote's options: RunPod rents single H100s on demand; its H200 at the spot
#: price is cheaper a month, its interruption allowance included, but prefills slower (TTFT above
#: the 150 ms target); GCP's 1-year committed H100s come in 8-GPU a3-highgpu-8g nodes.
DEFAULT_OPTIONS = (
    Option("H100 on-demand (RunPod)", "h100-sxm", "runpod", "on_demand", 1),
    Option("H200 spot (RunPod)", "h200", "runpod", "spot", 1),
    Option("H100 1-year committed (GCP)", "h100-sxm", "gcp", "committed_use_1y", 8),
)

TITLE_ROW, NOTE_ROW, RECOMMENDED_ROW_AT, HEADER_ROW = 1, 2, 4, 7
FIRST_ROW = HEADER_ROW + 1


@dataclass(frozen=True)
class Column:
    """A column of the table: header, key its formula is written with, width, number format, and
    formula (``{key}``: that column's cell in the same row) or None for an input."""

    header: str
    key: str
    width: int
    number_format: str
    formula: str | None = None


COLUMNS = (
    Column("Option", "name", 30, "General"),
    Column("GPU", "gpu", 12, "General"),
    Column("Provider", "provider", 12, "General"),
    Column("Pricing", "pricing", 18, "General"),
    Column("GPUs per node", "node", 9, INT),
    Column("GPUs per replica", "per_replica", 9, INT,
           "=GPUS_NEEDED(SERVE_MODEL,{gpu},WEIGHT_PRECISION,SEQUENCE_TOKENS,BATCH,,KV_PRECISION)"),
    Column("Tokens/s per replica", "speed", 11, INT,
           "=TOKENS_PER_S(SERVE_MODEL,{gpu},{per_replica},WEIGHT_PRECISION,PROMPT_TOKENS,OUTPUT_TOKENS,BATCH)"),
    Column("TTFT [ms]", "ttft", 9, INT, "=TTFT_MS(SERVE_MODEL,{gpu},{per_replica},WEIGHT_PRECISION,PROMPT_TOKENS)"),
    Column("TPOT [ms]", "tpot", 9, DEC1,
           "=TPOT_MS(SERVE_MODEL,{gpu},{per_replica},WEIGHT_PRECISION,SEQUENCE_TOKENS,BATCH)"),
    Column("Replicas", "replicas", 9, INT, "=REPLICAS_FOR_LOAD(REQUIRED_TOKENS_PER_S,{speed},HEADROOM,SPARE_REPLICAS)"),
    Column("GPUs", "gpus", 8, INT, "=WHOLE_NODES({replicas}*{per_replica},{node})"),
    Column("Price per GPU-hour", "price", 11, PRICE, "=ROUND(GPU_PRICE({gpu},{provider},{pricing},CURRENCY,EXCHANGE_RATE),4)"),
    # Spot capacity is taken back now and then; the hours lost restarting are paid for (Young 1974).
    Column("Interruptions per day", "interruptions", 12, DEC2, '=IF({pricing}="spot",SPOT_INTERRUPTIONS_PER_DAY,0)'),
    Column("Interruption allowance", "allowance", 12, PCT, "=SPOT_HOURS(1,{interruptions},0,SPOT_RESTART_MINUTES/60)-1"),
    Column("GPU-hours per month", "hours", 12, INT, "=ROUNDUP({gpus}*HOURS_PER_MONTH*(1+{allowance}),0)"),
    Column("Monthly cost", "monthly", 13, MONEY, "=ROUND({hours}*{price},2)"),
    Column("Meets SLA", "meets", 9, "General", "=AND({ttft}<=TTFT_TARGET_MS,{tpot}<=TPOT_TARGET_MS)"),
    Column("Term total", "term", 14, MONEY, "=ROUND({monthly}*TERM_MONTHS,2)"),
    Column("Cost if meets SLA", "eligible", 13, MONEY, '=IF({meets},{monthly},"")'),
)
HEADERS = tuple(column.header for column in COLUMNS)


def _letter(header: str) -> str:
    return column_letters(HEADERS.index(header) + 1)


def column_range(header: str) -> str:
    """The structured reference to one column's data rows, e.g. ``Options[GPU]``: it follows
    the table when rows are added or deleted."""
    return f"{c.OPTIONS_TABLE}[{header}]"


def recommended(header: str) -> str:
    """A formula reading the recommended option's cell of one column (``=INDEX(Options[GPU],...)``)."""
    return f"=INDEX({column_range(header)},{c.RECOMMENDED_ROW})"


def row_formulas(row: int) -> dict[str, str]:
    """The formula of each computed column in table row ``row``."""
    return _formulas({column.key: f"{_letter(column.header)}{row}" for column in COLUMNS})


def calculated_formulas() -> dict[str, str]:
    """The formula of each computed column with structured references to its own row
    (``Options[[#This Row],[GPU]]``): the calculated column formula Excel fills into an added row."""
    return _formulas({column.key: this_row(c.OPTIONS_TABLE, column.header) for column in COLUMNS})


def _formulas(cells: dict[str, str]) -> dict[str, str]:
    return {column.header: column.formula.format(**cells) for column in COLUMNS if column.formula}


def parse_option(text: str) -> Option:
    """An option from ``GPU:PROVIDER:PRICING[:GPUS_PER_NODE]`` (``xlcompute new --option``), checked
    against the price catalog; GPUs per node default to the catalog instance's GPUs."""
    from ..catalog import get_price  # noqa: PLC0415 (the catalog loads data files)

    parts = [part.strip() for part in str(text).split(":")]
    if len(parts) not in (3, 4) or not all(parts):
        raise XlcomputeError(f"--option: expected GPU:PROVIDER:PRICING[:GPUS_PER_NODE], e.g. h100-sxm:runpod:on_demand, "
                             f"found {text!r}.", argument="option")
    try:
        price = get_price(parts[0], parts[1], parts[2])
    except XlcomputeError as exc:
        raise XlcomputeError(f"--option {text}: {exc}", argument="option") from exc
    node = price.gpus_per_instance
    if len(parts) == 4:
        if not parts[3].isdigit() or int(parts[3]) < 1:
            raise XlcomputeError(f"--option {text}: expected a whole number of GPUs per node of 1 or more, found "
                                 f"{parts[3]!r}.", argument="option")
        node = int(parts[3])
    return Option(f"{price.gpu_id} {price.pricing} ({price.provider})", price.gpu_id, price.provider, price.pricing,
                  node)


def add_options_sheet(wb: Any, options: tuple[Option, ...] = DEFAULT_OPTIONS) -> None:
    """The Options sheet: the table of options and the named cells RECOMMENDED_ROW and RECOMMENDED."""
    if not options:
        raise XlcomputeError("options: expected at least one option to compare.", argument="option")
    ws = wb.create_sheet(c.OPTIONS_SHEET)
    ws.cell(row=TITLE_ROW, column=1, value="Options compared").font = Font(bold=True, size=14, color="1F3A5F")
    ws.cell(row=NOTE_ROW, column=1, value=(
        "Each row serves the same demand (Inputs) with its GPU, provider and pricing. The recommended option is the "
        "cheapest per month among those meeting TTFT_TARGET_MS and TPOT_TARGET_MS; the quote prices it (Inputs: "
        "SERVE_GPU, SERVE_PROVIDER and SERVE_PRICING read it; type over them to quote another). Add a row below the "
        "table or delete one: the recommendation reads every row."))
    ws.cell(row=NOTE_ROW + 1, column=1, value=(
        "Spot rows pay for the hours lost to interruptions: each of SPOT_INTERRUPTIONS_PER_DAY loses "
        "SPOT_RESTART_MINUTES of capacity (provisioning and model load), billed on top (SPOT_HOURS, Young 1974); "
        "type a provider's own figure over a row's interruptions."))
    eligible = column_range("Cost if meets SLA")
    named = (
        ("Recommended row", c.RECOMMENDED_ROW, f"=MATCH(MIN({eligible}),{eligible},0)", INT,
         "Row of the cheapest option that meets the SLA; an error when none does"),
        ("Recommended option", c.RECOMMENDED, f"=INDEX({column_range('Option')},{c.RECOMMENDED_ROW})",
         "General", "The option the quote prices"),
    )
    for row, (label, name, formula, number_format, note) in enumerate(named, start=RECOMMENDED_ROW_AT):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=row, column=2, value=formula)
        cell.number_format = number_format
        cell.font = Font(bold=True)
        ws.cell(row=row, column=4, value=note)
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{c.OPTIONS_SHEET}'!$B${row}")
    for col, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=column.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
        ws.column_dimensions[column_letters(col)].width = column.width
    last = FIRST_ROW + len(options) - 1
    for r, option in enumerate(options, start=FIRST_ROW):
        values = dict(zip(HEADERS, (option.name, option.gpu, option.provider, option.pricing, option.gpus_per_node)))
        values.update(row_formulas(r))
        for col, column in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=r, column=col, value=values[column.header])
            cell.style = "Input" if column.formula is None else "Calculation"
            cell.number_format = column.number_format  # after the style, which sets its own
    table = Table(displayName=c.OPTIONS_TABLE, ref=f"A{HEADER_ROW}:{column_letters(len(COLUMNS))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    set_columns(table, HEADERS, calculated_formulas())
    ws.add_table(table)
    for key, header in (("gpus", "GPU"), ("providers", "Provider"), ("pricings", "Pricing")):
        dv = DataValidation(type="list", formula1=f"LIST_{key.upper()}", allow_blank=False, showErrorMessage=True,
                            errorTitle="Not in the catalog", error=f"Pick one of the {key} in the list.")
        dv.add(f"{_letter(header)}{FIRST_ROW}:{_letter(header)}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = f"B{FIRST_ROW}"
