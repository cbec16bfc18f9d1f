"""Money: amounts to the cent, and prices converted between currencies.

A quote prints amounts in cents, so the arithmetic behind a printed line is done on the
printed figures: :func:`exact` turns a number into the decimal it shows (a float to Excel's
15 significant digits, so ``0.1`` is ``0.1``, not ``0.1000000000000000055...``, and ``1.1*3``
is ``3.3``, not ``3.3000000000000003``), and
:func:`cents` rounds it to the cent the way Excel's ``ROUND(x, 2)`` does (halves away from
zero; ``ROUND(2.675, 2)`` = 2.68, as Excel prints it, where binary ``round`` gives 2.67).

Catalog prices keep the currency they were quoted in (:data:`CATALOG_CURRENCY`);
:func:`convert_price` turns one into the quote's currency with a stated exchange rate.

Standard library only: the same code runs in xlwings Lite's Pyodide.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from .errors import XlcomputeError, check_positive
from .formula import formula

#: The currency of every shipped catalog price (GPU-hours, servers, API tokens): the
#: ``usd_*`` columns of the catalog files.
CATALOG_CURRENCY = "USD"
CENT = Decimal("0.01")
#: Enough digits to round any finite double to the cent exactly (1.8e308 has 309 digits).
WIDE = Context(prec=400)


def exact(value: Any) -> Decimal:
    """The decimal a number stands for: an int or Decimal as is, a float to the 15 significant
    digits Excel keeps (binary noise beyond them dropped), e.g. ``exact(6.155) == Decimal("6.155")``
    and ``exact(1.1 * 3) == Decimal("3.3")``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise XlcomputeError(f"amount: expected a number, found {value!r}.", argument="amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise XlcomputeError(f"amount: expected a finite number, found {value!r}.", argument="amount")
    try:
        if isinstance(value, float):
            return Decimal(f"{value:.15g}").normalize() if value else Decimal(0)
        return value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - every finite float has a decimal repr
        raise XlcomputeError(f"amount: not a decimal number: {value!r}.", argument="amount") from exc


def cents(value: Any) -> Decimal:
    """``value`` rounded to the cent as Excel's ``ROUND(value, 2)``: halves away from zero, and
    never a negative zero (``cents(-0.001) == Decimal("0.00")``)."""
    with localcontext(WIDE):
        rounded = exact(value).quantize(CENT, rounding=ROUND_HALF_UP)
        return rounded.copy_abs() if rounded.is_zero() else rounded


def is_cents(value: Any) -> bool:
    """True when ``value`` is a whole number of cents, up to the float noise of its magnitude
    (``0.1 + 0.2`` is 0.30; 2608263.0000000005, from 653,700 × 3.99 in binary, is 2,608,263.00)."""
    number = exact(value)
    with localcontext(WIDE):
        tolerance = max(Decimal("1e-9"), abs(number) * Decimal("1e-13"))
        return abs(number - cents(number)) <= tolerance


def decimals(value: Any) -> int:
    """How many decimals the number ``value`` is written with (``6.155`` -> 3, ``20.0`` -> 0)."""
    number = exact(value).normalize()
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@formula(
    title="Price in the quote's currency",
    equation="p_q = p_c · x",
    result=("p_q", "quote currency/unit", "price in the currency of the quote"),
    terms={
        "price": ("p_c", "catalog currency/unit", "price as the catalog quotes it (USD)"),
        "exchange_rate": ("x", "quote currency/catalog currency", "units of the quote's currency per unit of the "
                                                                   "catalog's (e.g. CNY per USD), as the workbook "
                                                                   "states it with its date and source"),
    },
    reference="The workbook's stated exchange rate (EXCHANGE_RATE, RATE_DATE, RATE_SOURCE)",
    assumptions="One rate for the whole quote; the rate's date and source are printed with the price table.",
)
def convert_price(price: float, exchange_rate: float) -> float:
    """Price p_q = p_c·x [quote currency/unit] of ``price`` p_c [catalog currency/unit] at
    ``exchange_rate`` x [quote currency per catalog currency]."""
    check_positive("exchange_rate", exchange_rate)
    return price * exchange_rate
