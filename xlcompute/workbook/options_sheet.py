"""The Options sheet of a serving quote: several ways to serve the same demand, priced alike.

One row per option of the Excel table ``Options`` (:data:`~.contract.OPTIONS_TABLE`): the
option's name, GPU, provider and pricing (catalog ids, inputs) and the size of the unit the
provider rents (GPUs per node: 8 for an HGX node, 1 where single GPUs are rented). Every other
column is a formula: the same xlcompute functions the Estimate sheet calls, with the option's
GPU, give GPUs per replica, output tokens/s per replica, time to first token (TTFT), time per
output token (TPOT), replicas for the peak load with headroom and spares, GPUs in whole nodes,
the catalog price per GPU-hour, the monthly and term cost, and whether TTFT and TPOT meet the
targets (``TTFT_TARGET_MS``, ``TPOT_TARGET_MS``).

``RECOMMENDED_ROW`` is plain Excel: the position of the lowest monthly cost among the rows that
meet the service level (MIN and MATCH over the column "Cost if meets SLA", blank for a row that
misses), ``#N/A`` when none meets it; ``RECOMMENDED`` is that row's name. The Inputs sheet's
``SERVE_GPU``, ``SERVE_PROVIDER`` and ``SERVE_PRICING`` read the recommended row
(:func:`recommended`), so the Estimate sheet and the quote's line items price that option.

This module imports nothing from ``generate``, which calls :func:`add_options_sheet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from . import contract as c

INT, DEC1, PRICE, MONEY = "#,##0", "#,##0.0", "#,##0.00##", "#,##0.00"


@dataclass(frozen=True)
class Option:
    """One way to serve the demand: its name, catalog GPU, provider, pricing and rental unit."""

    name: str
    gpu: str
    provider: str
    pricing: str
    gpus_per_node: int


#: The shipped serving quote's options: RunPod rents single H100s on demand; its H200 at the spot
#: price is cheaper a month but prefills slower (TTFT above the 150 ms target); GCP's 1-year
#: committed H100s come in 8-GPU a3-highgpu-8g nodes.
DEFAULT_OPTIONS = (
    Option("H100 on-demand (RunPod)", "h100-sxm", "runpod", "on_demand", 1),
    Option("H200 spot (RunPod)", "h200", "runpod", "spot", 1),
    Option("H100 1-year committed (GCP)", "h100-sxm", "gcp", "committed_use_1y", 8),
)

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 4
FIRST_ROW = HEADER_ROW + 1

#: Columns: header, width, number format, formula (``{r}``: the row) or None for an input.
COLUMNS: tuple[tuple[str, int, str, str | None], ...] = (
    ("Option", 30, "General", None),
    ("GPU", 12, "General", None),
    ("Provider", 12, "General", None),
    ("Pricing", 18, "General", None),
    ("GPUs per node", 9, INT, None),
    ("GPUs per replica", 9, INT, "=GPUS_NEEDED(SERVE_MODEL,B{r},WEIGHT_PRECISION,SEQUENCE_TOKENS,BATCH,,KV_PRECISION)"),
    ("Tokens/s per replica", 11, INT,
     "=TOKENS_PER_S(SERVE_MODEL,B{r},F{r},WEIGHT_PRECISION,PROMPT_TOKENS,OUTPUT_TOKENS,BATCH)"),
    ("TTFT [ms]", 9, INT, "=TTFT_MS(SERVE_MODEL,B{r},F{r},WEIGHT_PRECISION,PROMPT_TOKENS)"),
    ("TPOT [ms]", 9, DEC1, "=TPOT_MS(SERVE_MODEL,B{r},F{r},WEIGHT_PRECISION,SEQUENCE_TOKENS,BATCH)"),
    ("Replicas", 9, INT, "=REPLICAS_FOR_LOAD(REQUIRED_TOKENS_PER_S,G{r},HEADROOM,SPARE_REPLICAS)"),
    ("GPUs", 8, INT, "=WHOLE_NODES(J{r}*F{r},E{r})"),
    ("Price per GPU-hour", 11, PRICE, "=ROUND(GPU_PRICE(B{r},C{r},D{r},CURRENCY,EXCHANGE_RATE),4)"),
    ("Monthly cost", 13, MONEY, "=ROUND(K{r}*L{r}*HOURS_PER_MONTH,2)"),
    ("Meets SLA", 9, "General", "=AND(H{r}<=TTFT_TARGET_MS,I{r}<=TPOT_TARGET_MS)"),
    ("Term total", 14, MONEY, "=ROUND(M{r}*TERM_MONTHS,2)"),
    ("Cost if meets SLA", 13, MONEY, '=IF(N{r},M{r},"")'),
)
HEADERS = tuple(column[0] for column in COLUMNS)


def _letter(header: str) -> str:
    return chr(ord("A") + HEADERS.index(header))


def column_range(header: str, count: int = len(DEFAULT_OPTIONS)) -> str:
    """The absolute range of one column's data rows, e.g. ``Options!$B$5:$B$7``."""
    letter = _letter(header)
    return f"{c.OPTIONS_SHEET}!${letter}${FIRST_ROW}:${letter}${FIRST_ROW + count - 1}"


def recommended(header: str) -> str:
    """A formula reading the recommended option's cell of one column (``=INDEX(...)``)."""
    return f"=INDEX({column_range(header)},{c.RECOMMENDED_ROW})"


def add_options_sheet(wb: Any, options: tuple[Option, ...] = DEFAULT_OPTIONS) -> None:
    """The Options sheet: the table of options and the named cells RECOMMENDED_ROW and RECOMMENDED."""
    if len(options) != len(DEFAULT_OPTIONS):  # the Inputs sheet's INDEX ranges are laid out for these rows
        raise ValueError(f"expected {len(DEFAULT_OPTIONS)} options, found {len(options)}")
    ws = wb.create_sheet(c.OPTIONS_SHEET)
    ws.cell(row=TITLE_ROW, column=1, value="Options compared").font = Font(bold=True, size=14, color="1F3A5F")
    ws.cell(row=NOTE_ROW, column=1, value=(
        "Each row serves the same demand (Inputs) with its GPU, provider and pricing. The recommended option is the "
        "cheapest per month among those meeting TTFT_TARGET_MS and TPOT_TARGET_MS; the quote prices it (Inputs: "
        "SERVE_GPU, SERVE_PROVIDER and SERVE_PRICING read it; type over them to quote another)."))
    for col, (header, width, _, _) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
        ws.column_dimensions[chr(64 + col)].width = width
    last = FIRST_ROW + len(options) - 1
    for r, option in enumerate(options, start=FIRST_ROW):
        values = (option.name, option.gpu, option.provider, option.pricing, option.gpus_per_node)
        for col, (_, _, number_format, formula) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=r, column=col, value=values[col - 1] if formula is None else formula.format(r=r))
            cell.number_format = number_format
            cell.style = "Input" if formula is None else "Calculation"
            cell.number_format = number_format
    table = Table(displayName=c.OPTIONS_TABLE, ref=f"A{HEADER_ROW}:{chr(64 + len(COLUMNS))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    for key, header in (("gpus", "GPU"), ("providers", "Provider"), ("pricings", "Pricing")):
        dv = DataValidation(type="list", formula1=f"LIST_{key.upper()}", allow_blank=False, showErrorMessage=True,
                            errorTitle="Not in the catalog", error=f"Pick one of the {key} in the list.")
        dv.add(f"{_letter(header)}{FIRST_ROW}:{_letter(header)}{last}")
        ws.add_data_validation(dv)

    eligible = column_range("Cost if meets SLA", len(options)).split("!", 1)[1]
    named = (
        ("Recommended row", c.RECOMMENDED_ROW, f"=MATCH(MIN({eligible}),{eligible},0)", INT,
         "Row of the cheapest option that meets the SLA; an error when none does"),
        ("Recommended option", c.RECOMMENDED, f"=INDEX({column_range('Option', len(options))},{c.RECOMMENDED_ROW})",
         "General", "The option the quote prices"),
    )
    for row, (label, name, formula, number_format, note) in enumerate(named, start=last + 2):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=row, column=2, value=formula)
        cell.number_format = number_format
        cell.font = Font(bold=True)
        ws.cell(row=row, column=4, value=note)
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{c.OPTIONS_SHEET}'!$B${row}")
    ws.freeze_panes = f"B{FIRST_ROW}"
