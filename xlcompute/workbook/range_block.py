"""The honest range of a generated quote: ``TOTAL_LOW`` and ``TOTAL_HIGH`` in plain Excel.

Training: the billed reservation is recomputed at the low and high end of the 80% band of MFU
that published runs like this one reached (``TYPICAL_MFU``, never narrower than the MFU the
workbook assumes): ``MFU_LOW = MIN(MFU, TYPICAL_MFU(..., "low"))`` gives the most reserved
days, hence ``TOTAL_HIGH``; ``MFU_HIGH`` the fewest, hence ``TOTAL_LOW``. Storage months follow
the reserved days. Serving: the replicas are recomputed with the engine's measured/predicted
speed at the slow and fast end of its held-out 80% band (``SPEED_BAND``).

The rows are appended to the Estimate sheet (no existing cell moves); the Quote sheet gets a
block below the totals that reprices the changed line amounts through margin, discount and
tax, each rounded to the cent as the totals above it are. :func:`range_problems` flags a
workbook whose ``TOTAL_LOW <= TOTAL <= TOTAL_HIGH`` does not hold, at the cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Font

from . import contract as c
from . import program_lines
from .evaluate import CellIssue, Evaluation

PCT, INT = "0.0%", "#,##0"
MONEY = "#,##0.00"
_TYPICAL = 'TYPICAL_MFU(GPU,PRECISION,MODEL,NUM_GPUS,"{}")'
_DAYS = "=ROUNDUP(TRAIN_GPU_HOURS(TOTAL_FLOPS,GPU,{},PRECISION)/NUM_GPUS/24,0)"
_REPLICAS = ('=REPLICAS_FOR_LOAD(REQUIRED_TOKENS_PER_S,REPLICA_TOKENS_PER_S*SPEED_BAND(SERVE_GPU,,"{}"),'
             'HEADROOM,SPARE_REPLICAS)')

#: Estimate rows of a training quote's range (label, name, formula, unit, format, note).
TRAINING_ROWS = (
    ("MFU, low end", "MFU_LOW", f"=MIN(MFU,{_TYPICAL.format('low')})", "fraction of peak", PCT,
     "Low end of the 80% band of published runs like this one (TYPICAL_MFU), or MFU when lower"),
    ("MFU, high end", "MFU_HIGH", f"=MAX(MFU,{_TYPICAL.format('high')})", "fraction of peak", PCT,
     "High end of the 80% band of published runs like this one (TYPICAL_MFU), or MFU when higher"),
    ("Reserved days at low MFU", "RESERVED_DAYS_HIGH", _DAYS.format("MFU_LOW"), "days", INT,
     "The most days the run may take: the high case"),
    ("Reserved days at high MFU", "RESERVED_DAYS_LOW", _DAYS.format("MFU_HIGH"), "days", INT,
     "The fewest days the run may take: the low case"),
    ("Billed GPU-hours, high case", "BILLED_GPU_HOURS_HIGH", "=NUM_GPUS*RESERVED_DAYS_HIGH*24", "GPU-hours", INT,
     "GPUs × reserved days at low MFU × 24 h"),
    ("Billed GPU-hours, low case", "BILLED_GPU_HOURS_LOW", "=NUM_GPUS*RESERVED_DAYS_LOW*24", "GPU-hours", INT,
     "GPUs × reserved days at high MFU × 24 h"),
    ("Storage months, high case", "STORAGE_MONTHS_HIGH", "=MAX(1,ROUNDUP(RESERVED_DAYS_HIGH/30,0))", "months", INT,
     "Whole months of the longest run"),
    ("Storage months, low case", "STORAGE_MONTHS_LOW", "=MAX(1,ROUNDUP(RESERVED_DAYS_LOW/30,0))", "months", INT,
     "Whole months of the shortest run"),
)

#: Estimate rows of a serving quote's range.
SERVING_ROWS = (
    ("Replicas at the slow end", "REPLICAS_HIGH", f"=MAX(REPLICAS,{_REPLICAS.format('low')[1:]})", "replicas", INT,
     "Replicas if the engine runs at the slow end of its held-out 80% band (SPEED_BAND low): the high case"),
    ("Replicas at the fast end", "REPLICAS_LOW", f"=MIN(REPLICAS,{_REPLICAS.format('high')[1:]})", "replicas", INT,
     "Replicas if the engine runs at the fast end of its held-out 80% band (SPEED_BAND high): the low case"),
    ("Serving GPUs, high case", "SERVE_GPUS_HIGH", "=WHOLE_NODES(REPLICAS_HIGH*GPUS_PER_REPLICA,SERVE_GPUS_PER_NODE)",
     "GPUs", INT, ""),
    ("Serving GPUs, low case", "SERVE_GPUS_LOW", "=WHOLE_NODES(REPLICAS_LOW*GPUS_PER_REPLICA,SERVE_GPUS_PER_NODE)",
     "GPUs", INT, ""),
)

#: Names of every range row (the customer's version shows the range in its own section instead).
ROW_NAMES = frozenset(row[1] for row in TRAINING_ROWS + SERVING_ROWS)

_TRAINING_LINES = {"GPU compute, final run": ("=BILLED_GPU_HOURS_{}",),
                   "Storage for data": ("=STORAGE_TB*STORAGE_MONTHS_{}",), **program_lines.RANGE_LINES}
#: GPU-hours a serving quote bills for ``{}`` GPUs: whole GPU-hours a month, a spot option's
#: interruption allowance included, over the term.
SERVING_GPU_HOURS = "=ROUNDUP({}*HOURS_PER_MONTH*(1+SERVE_INTERRUPTION_ALLOWANCE),0)*TERM_MONTHS"
_SERVING_LINES = {"Serving GPUs": (SERVING_GPU_HOURS.format("SERVE_GPUS_{}"),)}


@dataclass(frozen=True)
class RangeSpec:
    """Which Estimate rows a kind of quote adds and which line items' quantities they change
    (line description -> quantity formula with ``{}`` for ``LOW`` or ``HIGH``)."""

    rows: tuple[tuple, ...]
    lines: dict[str, tuple[str, ...]]


TRAINING = RangeSpec(TRAINING_ROWS, _TRAINING_LINES)
SERVING = RangeSpec(SERVING_ROWS, _SERVING_LINES)
BOTH = RangeSpec(TRAINING_ROWS + SERVING_ROWS, {**_TRAINING_LINES, **_SERVING_LINES})

#: Row labels of the Quote sheet's range block, from the subtotal to the total.
BLOCK_LABELS = ("Subtotal in the band", "Margin in the band", "Discount in the band", "Net in the band", "Tax in the band",
                "Total in the band")


def write_quote_block(ws: Any, top: int, spec: RangeSpec, lines: dict[str, int], define: Any) -> None:
    """The low and high totals in D{top}:F{top+7} of the Quote sheet: the subtotal with each
    changed line re-amounted (``ROUND(quantity × printed unit price, 2)`` in place of the printed
    amount), then margin, discount, net, tax and total as the quote computes them. ``lines``:
    line description -> its row in the LineItems table; ``define(name, coordinate)`` names a cell."""
    ws.cell(row=top, column=4, value="Range (80% band)").font = Font(bold=True)
    ws.cell(row=top, column=5, value="Low").font = Font(bold=True)
    ws.cell(row=top, column=6, value="High").font = Font(bold=True)
    ws.cell(row=top, column=7, value="Totals if the estimate's uncertain inputs sit at the ends of the band that "
                                      "validation measured (Estimate sheet, rows after Duration)")
    first = top + 1
    for col, case in ((5, "LOW"), (6, "HIGH")):
        letter = "EF"[col - 5]
        changes = "".join(f"+ROUND(({quantity.format(case)[1:]})*D{lines[name]},2)-E{lines[name]}"
                          for name, (quantity,) in spec.lines.items() if name in lines)
        s, m, d, n, t = (f"{letter}{first + i}" for i in range(5))
        formulas = (f"=SUBTOTAL{changes}", f"=ROUND({s}*MARGIN,2)", f"=ROUND(({s}+{m})*DISCOUNT,2)",
                    f"={s}+{m}-{d}", f"=ROUND({n}*TAX_RATE,2)", f"={n}+{t}")
        for i, formula in enumerate(formulas):
            cell = ws.cell(row=first + i, column=col, value=formula)
            cell.number_format = MONEY
            cell.font = Font(bold=i == len(formulas) - 1)
        define(f"TOTAL_{case}", ws.cell(row=first + len(formulas) - 1, column=col).coordinate)
    for i, label in enumerate(BLOCK_LABELS):
        ws.cell(row=first + i, column=4, value=label).font = Font(bold=i == len(BLOCK_LABELS) - 1)
    ws.column_dimensions["D"].width = 22
    ws.column_dimensions["F"].width = 18


def range_problems(ev: Evaluation) -> list[CellIssue]:
    """``TOTAL_LOW <= TOTAL <= TOTAL_HIGH``, flagged at the cell that breaks it (both names are
    optional; a workbook with neither has no range)."""
    total = ev.value("TOTAL")
    if not _number(total):
        return []
    problems = []
    for spec, bad in ((c.RANGE_NAMES[0], lambda v: v > total), (c.RANGE_NAMES[1], lambda v: v < total)):
        where = ev.names.get(spec.name)
        if where is None:
            continue
        value = ev.values.get(where)
        if not _number(value):
            problems.append(CellIssue(*where, f"{spec.name} ({spec.description}) expected a number, found {value!r}"))
        elif bad(value):
            side = "above" if spec.name == "TOTAL_LOW" else "below"
            problems.append(CellIssue(*where, f"{spec.name} {value:,.2f} is {side} TOTAL {total:,.2f}: the range must "
                                              "hold the total (TOTAL_LOW <= TOTAL <= TOTAL_HIGH)"))
    return problems


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
