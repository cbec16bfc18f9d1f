"""The training program as priced line items: the quote is the program's budget, not only its final run.

Described as data, as :mod:`.ownership_scenario` is: Inputs and Estimate rows as ``(label, name,
value, unit, number_format, note, choices)`` tuples (``generate.Row``'s fields) and line items as
``(description, quantity, unit, unit_price, number_format)`` (``generate.LineItem``'s). This
module imports nothing from ``generate``, which builds the workbook from it.

Beside the final run's reservation (``BILLED_GPU_HOURS``, whole days) the quote prices, each at
the GPU price: experiments and ablations (a multiple of the final run), evaluation (a share of
it), the GPU-hours failures and restarts take (``RESTART_GPU_HOURS`` of that work at the goodput,
Llama Team 2024) and a contingency on the program's GPU-hours (``PROGRAM_GPU_HOURS``); and the
checkpoints kept (``CHECKPOINT_TB``) for the storage months at the storage catalog's price per
TB-month (``STORAGE_TB_PRICE``, with its source and date). Each quantity is whole GPU-hours (or
TB-months to 0.01), so each line multiplies out to the cent.

:data:`RANGE_LINES` gives the same quantities at the low and high end of the MFU band
(``BILLED_GPU_HOURS_LOW``/``_HIGH``, ``STORAGE_MONTHS_LOW``/``_HIGH``) for ``TOTAL_LOW`` and
``TOTAL_HIGH`` (:mod:`.range_block`): one template per line, ``{}`` standing for the case.
"""

from __future__ import annotations

from typing import Any

INT, DEC1, DEC2, PCT = "#,##0", "#,##0.0", "#,##0.00", "0.0%"
DEFAULT_STORAGE = "gcs-standard-us-central1"

INPUTS: tuple[tuple[Any, ...], ...] = (
    ("Experiments and ablations", "EXPERIMENTS_MULTIPLE", 0.25, "× final run", DEC2,
     "Smaller runs before the final one, as a multiple of its reserved GPU-hours (example)", ""),
    ("Evaluation", "EVALUATION_SHARE", 0.05, "of the final run", PCT, "Evaluation during and after training (example)",
     ""),
    ("Goodput", "GOODPUT", 0.9, "of reserved time", PCT, "Share of time that advances training; Llama 3 405B: "
     "above 90% (Llama Team 2024, §3.3.4)", ""),
    ("Checkpoints kept", "CHECKPOINTS_KEPT", 3, "checkpoints", INT, "Full checkpoints with optimizer states", ""),
    ("Object storage", "STORAGE_SERVICE", DEFAULT_STORAGE, "catalog id", "General",
     "Where data and checkpoints are kept (the storage catalog's id)", "storages"),
)

#: The storage price: the catalog's, in the quote's currency, unless a contracted one is typed over it.
STORAGE_PRICE = "=ROUND(STORAGE_TB_PRICE(STORAGE_SERVICE,CURRENCY,EXCHANGE_RATE),4)"

#: Quantity of each program line; ``{}`` is "" in the quote and "_{}" (then LOW or HIGH) in its range.
_QUANTITIES = {
    "Experiments and ablations": "=ROUND(BILLED_GPU_HOURS{}*EXPERIMENTS_MULTIPLE,0)",
    "Evaluation": "=ROUND(BILLED_GPU_HOURS{}*EVALUATION_SHARE,0)",
    "Failed runs and restarts":
        "=ROUND(RESTART_GPU_HOURS(BILLED_GPU_HOURS{}*(1+EXPERIMENTS_MULTIPLE+EVALUATION_SHARE),GOODPUT),0)",
    "Checkpoint storage": "=ROUND(CHECKPOINT_STORAGE_TB*STORAGE_MONTHS{},2)",
    "Contingency":
        "=ROUND(CONTINGENCY*PROGRAM_GPU_HOURS(BILLED_GPU_HOURS{},EXPERIMENTS_MULTIPLE,EVALUATION_SHARE,GOODPUT),0)",
}
_UNITS = {"Checkpoint storage": ("TB-month", "=STORAGE_PRICE", DEC2)}


def _line(description: str) -> tuple[str, str, str, str, str]:
    unit, price, number_format = _UNITS.get(description, ("GPU-hour", "=GPU_HOUR_PRICE", INT))
    return description, _QUANTITIES[description].format(""), unit, price, number_format


#: The program's GPU lines (after the final run) and its checkpoint storage and contingency (after
#: the other storage and engineering), in the order the quote lists them.
GPU_LINES = tuple(_line(d) for d in ("Experiments and ablations", "Evaluation", "Failed runs and restarts"))
CHECKPOINT_LINE = _line("Checkpoint storage")
CONTINGENCY_LINE = _line("Contingency")

#: The GPU-hours of the quote's GPU lines, summed from the same quantity formulas the lines use.
BILLED_HOURS_FORMULA = "=BILLED_GPU_HOURS+" + "+".join(
    _QUANTITIES[d].format("")[1:] for d in ("Experiments and ablations", "Evaluation", "Failed runs and restarts",
                                            "Contingency"))

ESTIMATE: tuple[tuple[Any, ...], ...] = (
    ("Program GPU-hours", "PROGRAM_GPU_HOURS_TOTAL",
     "=PROGRAM_GPU_HOURS(BILLED_GPU_HOURS,EXPERIMENTS_MULTIPLE,EVALUATION_SHARE,GOODPUT)", "GPU-hours", INT,
     "xlcompute: final run × (1 + experiments + evaluation) / goodput: the quote's GPU lines before contingency", ""),
    ("Program GPU-hours billed", "PROGRAM_BILLED_GPU_HOURS", BILLED_HOURS_FORMULA, "GPU-hours", INT,
     "The quote's GPU lines: final run, experiments, evaluation, restarts and contingency (the energy counts "
     "these)", ""),
    ("Checkpoint storage", "CHECKPOINT_STORAGE_TB", "=CHECKPOINT_TB(MODEL,CHECKPOINTS_KEPT)", "TB", DEC1,
     "xlcompute: parameters × 16 bytes × checkpoints kept; a line of the quote", ""),
)

RANGE_LINES = {description: (quantity.format("_{}"),) for description, quantity in _QUANTITIES.items()}
#: The quote's quantity formulas of the program's GPU lines (experiments, evaluation, restarts,
#: contingency) and checkpoint storage, in that order (the report's tornado reprices them).
TRAINING_QUANTITIES = tuple(_QUANTITIES[d].format("") for d in (
    "Experiments and ablations", "Evaluation", "Failed runs and restarts", "Contingency", "Checkpoint storage"))
