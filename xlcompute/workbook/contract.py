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

INPUTS_SHEET = "Inputs"
ESTIMATE_SHEET = "Estimate"
QUOTE_SHEET = "Quote"
SHEETS = (INPUTS_SHEET, ESTIMATE_SHEET, QUOTE_SHEET)

LINE_ITEMS_TABLE = "LineItems"
#: Header row of the line-item table, in order.
LINE_ITEM_COLUMNS = ("Description", "Quantity", "Unit", "Unit price", "Amount")


@dataclass(frozen=True)
class NamedCell:
    """A defined name the contract requires: where it lives and what it must hold.

    ``kind`` is ``"text"``, ``"number"``, ``"fraction"`` (0 <= x < 1), ``"date"`` or
    ``"currency"`` (an ISO 4217 code such as ``USD``).
    """

    name: str
    sheet: str
    kind: str
    description: str


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
    "PRECISION": ("Compute precision", "precision of the training matmuls; sets the peak FLOP/s used"),
    "WEIGHT_PRECISION": ("Weight precision", "precision of the served weights; sets weight memory and peak FLOP/s"),
    "MFU": ("Model FLOPs utilisation", "achieved share of the GPU's dense peak FLOP/s"),
}
