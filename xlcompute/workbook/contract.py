"""The scenario-workbook contract: which sheets, named cells and quote table a workbook has.

A scenario workbook has three sheets:

- ``Inputs``: one input per row (label in A, value in B, unit in C, note in D); every value
  cell is a workbook-level defined name (``MODEL``, ``GPU``, ``MFU`` ...).
- ``Estimate``: one result per row, same columns; column B calls xlcompute functions
  (``=TRAIN_FLOPS(PARAMS, TRAIN_TOKENS)``) and the user's own Excel arithmetic. The names
  ``GPU_COUNT`` and ``DURATION_DAYS`` feed the proposal's summary.
- ``Quote``: quote metadata as named cells, the Excel table ``LineItems`` with the columns
  of :data:`LINE_ITEM_COLUMNS`, and the totals as named cells (:data:`QUOTE_NAMES`).

The contract is data; :mod:`~xlcompute.workbook.check` checks a workbook against it and
:mod:`~xlcompute.workbook.generate` writes workbooks that satisfy it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..locale import N_

INPUTS_SHEET = "Inputs"
ESTIMATE_SHEET = "Estimate"
QUOTE_SHEET = "Quote"
SHEETS = (INPUTS_SHEET, ESTIMATE_SHEET, QUOTE_SHEET)

LINE_ITEMS_TABLE = "LineItems"
#: Optional: a serving quote's options compared side by side (:mod:`.options_sheet`). When the
#: table is present, it must have the columns of :data:`OPTION_COLUMNS` and the workbook the
#: named cell RECOMMENDED (the option the quote prices).
OPTIONS_SHEET = "Options"
OPTIONS_TABLE = "Options"
OPTION_COLUMNS = ("Option", "GPU", "Provider", "Pricing", "GPUs", "Price per GPU-hour", "Monthly cost", "Meets SLA")
RECOMMENDED = "RECOMMENDED"
RECOMMENDED_ROW = "RECOMMENDED_ROW"
#: Header row of the line-item table, in order.
LINE_ITEM_COLUMNS = ("Description", "Quantity", "Unit", "Unit price", "Amount")


@dataclass(frozen=True)
class NamedCell:
    """A defined name the contract requires: where it lives and what it must hold.

    ``kind`` is ``"text"``, ``"number"``, ``"fraction"`` (0 <= x < 1), ``"date"`` or
    ``"currency"`` (an ISO 4217 code such as ``USD``). The bounds apply to the inputs that
    :func:`~xlcompute.workbook.check.input_problems` reads with
    :func:`~xlcompute.workbook.cells.read_number` (``minimum`` excluded when ``strict``) and
    :func:`~xlcompute.workbook.cells.read_text` (at most ``max_length`` characters).
    """

    name: str
    sheet: str
    kind: str
    description: str
    minimum: float | None = 0.0
    maximum: float | None = None
    strict: bool = True
    integer: bool = False
    max_length: int = 255
    choices: tuple[str, ...] = ()  # the texts a "text" input may hold (any when empty)


#: Named cells of the Quote sheet: metadata, pricing terms and totals.
QUOTE_NAMES = (
    NamedCell("CUSTOMER", QUOTE_SHEET, "text", "customer the quote is addressed to"),
    NamedCell("QUOTE_NUMBER", QUOTE_SHEET, "text", "quote number"),
    NamedCell("QUOTE_DATE", QUOTE_SHEET, "date", "date of the quote"),
    NamedCell("VALID_UNTIL", QUOTE_SHEET, "date", "last day the quote is valid"),
    NamedCell("PREPARED_BY", QUOTE_SHEET, "text", "author of the quote"),
    NamedCell("CURRENCY", QUOTE_SHEET, "currency", "ISO 4217 currency of every amount"),
    NamedCell("MARGIN", QUOTE_SHEET, "fraction", "margin on the cost subtotal"),
    NamedCell("DISCOUNT", QUOTE_SHEET, "fraction", "discount on the price after margin"),
    NamedCell("TAX_RATE", QUOTE_SHEET, "fraction", "tax rate on the net amount"),
    NamedCell("SUBTOTAL", QUOTE_SHEET, "number", "sum of the line-item amounts"),
    NamedCell("MARGIN_AMOUNT", QUOTE_SHEET, "number", "margin amount"),
    NamedCell("DISCOUNT_AMOUNT", QUOTE_SHEET, "number", "discount amount"),
    NamedCell("NET_AMOUNT", QUOTE_SHEET, "number", "amount before tax"),
    NamedCell("TAX_AMOUNT", QUOTE_SHEET, "number", "tax amount"),
    NamedCell("TOTAL", QUOTE_SHEET, "number", "total price including tax"),
)

#: The quote's range, optional: the total if the estimate's uncertain inputs (MFU, serving
#: speed) sit at the low or high end of the band validation measured; LOW <= TOTAL <= HIGH.
RANGE_NAMES = (
    NamedCell("TOTAL_LOW", QUOTE_SHEET, "number", "total at the low end of the estimate's validated band"),
    NamedCell("TOTAL_HIGH", QUOTE_SHEET, "number", "total at the high end of the estimate's validated band"),
)

#: The quote's exchange rate, beside CURRENCY: optional in a quote in the catalog's currency
#: (USD), required in any other that uses catalog prices (``quote_checks.currency_problems``).
EXCHANGE_NAMES = (
    NamedCell("EXCHANGE_RATE", QUOTE_SHEET, "number", "units of the quote's currency per USD, the catalog's currency"),
    NamedCell("RATE_DATE", QUOTE_SHEET, "date", "date of the exchange rate"),
    NamedCell("RATE_SOURCE", QUOTE_SHEET, "text", "where the exchange rate comes from"),
)

#: Longest text any named cell may hold: a customer name, a catalog id (Excel's own limit for
#: a defined name is 255 characters too); longer text breaks the PDF's layout.
MAX_TEXT = 255
#: Upper bounds that no real quote reaches, so a wrong unit or a stray exponent is caught:
#: 1e16 tokens is ~700x Llama 3's 15.6T training tokens; 1e6 GPUs is ~10x the largest
#: clusters announced (xAI Colossus ~1e5); 1e6 per GPU-hour is ~1e5x list prices.
MAX_TOKENS = 1e16
MAX_GPUS = 1e6
MAX_PRICE = 1e6
#: Rows of the LineItems table, checked before evaluation: a proposal lists tens of items
#: (1,000 is about 30 PDF pages); evaluation and layout time grow with each row.
MAX_LINE_ITEMS = 1_000
#: Characters in one line item's Description or Unit (a printed paragraph, not a document).
MAX_LINE_ITEM_TEXT = 1_000


#: What a serving quote's demand may be stated in (DEMAND_BASIS): daily users x requests a day
#: (PEAK_REQUESTS_PER_S), users at once (REQUESTS_FROM_USERS) or tokens a month (REQUESTS_FROM_TOKENS).
DEMAND_BASES = ("daily_users", "concurrent_users", "tokens_per_month")
#: How a reader is told each demand basis (the customer's proposal shows these, never the ids).
DEMAND_BASIS_NAMES = {"daily_users": N_("daily active users × requests per user"),
                      "concurrent_users": N_("users at once"), "tokens_per_month": N_("tokens per month")}
#: The inputs each demand basis reads (a customer's proposal leaves out those of the other bases).
DEMAND_BASIS_INPUTS = {"daily_users": ("DAILY_ACTIVE_USERS", "REQUESTS_PER_USER_PER_DAY"),
                       "concurrent_users": ("CONCURRENT_USERS", "THINK_TIME_S", "RESPONSE_TIME_S"),
                       "tokens_per_month": ("TOKENS_PER_MONTH",)}


def _text(name: str, description: str) -> NamedCell:
    return NamedCell(name, INPUTS_SHEET, "text", description)


def _number(name: str, description: str, minimum: float = 0.0, maximum: float | None = None, *,
            strict: bool = True, integer: bool = False) -> NamedCell:
    return NamedCell(name, INPUTS_SHEET, "number", description, minimum, maximum, strict, integer)


#: Named inputs of the Inputs sheet, for every kind of scenario (training, serving, both). A
#: workbook defines those its kind needs; each one it defines must hold a value of the right
#: kind within the bounds ("number" inputs are never dates). Catalog ids are checked against
#: the catalog by the xlcompute functions that use them.
INPUT_NAMES = (
    _text("MODEL", "catalog id of the trained model"),
    _text("GPU", "catalog id of the training GPU"),
    _text("PRECISION", "compute precision"),
    _number("TRAIN_TOKENS", "training tokens", 0, MAX_TOKENS),
    _number("FLOPS_PER_PARAM_TOKEN", "FLOPs per parameter per token", 0, 100),
    _number("MFU", "model FLOPs utilisation, a fraction of peak", 0, 1),
    _number("NUM_GPUS", "GPUs in the cluster", 0, MAX_GPUS, integer=True),
    _text("PROVIDER", "catalog id of the cloud provider"),
    _text("PRICING", "pricing (on_demand, spot or capacity_block)"),
    _number("GPU_HOUR_PRICE", "price per GPU-hour", 0, MAX_PRICE, strict=False),
    _number("CONTINGENCY", "contingency, a fraction of the GPU-hours", 0, 1, strict=False),
    _number("STORAGE_TB", "storage [TB]", 0, 1e6, strict=False),
    _number("STORAGE_PRICE", "storage price per TB-month", 0, MAX_PRICE, strict=False),
    _number("ENGINEERING_DAYS", "engineering days", 0, 1e4, strict=False),
    _number("ENGINEERING_RATE", "engineering day rate", 0, MAX_PRICE, strict=False),
    _text("SERVE_MODEL", "catalog id of the served model"),
    _text("SERVE_GPU", "catalog id of the serving GPU"),
    _text("WEIGHT_PRECISION", "precision of the served weights"),
    _text("KV_PRECISION", "precision of the KV cache"),
    _number("DAILY_ACTIVE_USERS", "daily active users", 0, 1e10),
    _number("REQUESTS_PER_USER_PER_DAY", "requests per user per day", 0, 1e6),
    _number("PEAK_TO_AVERAGE", "peak-to-average ratio of the request rate", 1, 100, strict=False),
    _number("HEADROOM", "share of capacity kept free, a fraction", 0, 0.95, strict=False),
    _number("SPARE_REPLICAS", "spare replicas (1 = N+1)", 0, 1e4, strict=False, integer=True),
    _number("TTFT_TARGET_MS", "time-to-first-token target [ms]", 0, 1e7),
    _number("TPOT_TARGET_MS", "time-per-output-token target [ms]", 0, 1e7),
    _text("SERVE_PRICING", "pricing of the serving GPUs (on_demand, spot, committed_use_1y ...)"),
    _number("PROMPT_TOKENS", "prompt tokens per request", 0, 1e7),
    _number("OUTPUT_TOKENS", "output tokens per request", 0, 1e7),
    _number("BATCH", "concurrent requests per replica", 0, 1e5, integer=True),
    _text("SERVE_PROVIDER", "catalog id of the serving provider"),
    _number("SERVE_GPU_HOUR_PRICE", "serving price per GPU-hour", 0, MAX_PRICE, strict=False),
    _number("TERM_MONTHS", "contract term [months]", 0, 1200),
    _number("HOURS_PER_MONTH", "hours per month", 0, 744),
    _number("SUPPORT_RATE", "support rate per month", 0, 1e8, strict=False),
    _number("SPOT_INTERRUPTIONS_PER_DAY", "interruptions of spot capacity per GPU-day", 0, 100, strict=False),
    _number("SERVE_INTERRUPTIONS_PER_DAY", "interruptions of the quoted capacity per GPU-day", 0, 100, strict=False),
    _number("SPOT_RESTART_MINUTES", "capacity lost per interruption [minutes]", 0, 1440, strict=False),
    NamedCell("DEMAND_BASIS", INPUTS_SHEET, "text", "what the serving demand is stated in", choices=DEMAND_BASES),
    _number("CONCURRENT_USERS", "users active at once", 0, 1e10, strict=False),
    _number("THINK_TIME_S", "think time between an answer and the next request [s]", 0, 1e6, strict=False),
    _number("TOKENS_PER_MONTH", "prompt and output tokens a month", 0, MAX_TOKENS, strict=False),
    _number("RESPONSE_TIME_S", "time to answer one request [s]", 0, 1e6, strict=False),
    _text("STORAGE_SERVICE", "catalog id of the object storage"),
)

#: Named cells of the Estimate sheet that the proposal's summary shows.
SUMMARY_NAMES = (
    NamedCell("GPU_COUNT", ESTIMATE_SHEET, "number", "GPUs the quote provisions"),
    NamedCell("DURATION_DAYS", ESTIMATE_SHEET, "number", "duration of the engagement [days]"),
)

REQUIRED_NAMES = QUOTE_NAMES + SUMMARY_NAMES

#: Optional named inputs the proposal states as conventions (name -> title, meaning) when no
#: formula step shows them already. Catalog ids (model, GPU, provider) need no name: the
#: sources appendix lists every catalog entry the xlcompute calls used.
CONVENTION_INPUTS = {
    "PRECISION": (N_("Compute precision"), N_("precision of the training matmuls; sets the peak FLOP/s used")),
    "WEIGHT_PRECISION": (N_("Weight precision"), N_("precision of the served weights; sets weight memory and peak FLOP/s")),
    "KV_PRECISION": (N_("KV-cache precision"), N_("precision of the KV cache; sets its memory")),
    "MFU": (N_("Model FLOPs utilisation"), N_("achieved share of the GPU's dense peak FLOP/s")),
    "FLOPS_PER_PARAM_TOKEN": (N_("Training FLOPs per parameter per token"), N_("FLOPs per parameter per training token")),
}
