"""Number, money and date formatting for the proposal (Jinja filters).

Formatting only: every value shown was computed elsewhere (the workbook, the engine or a
recorded formula call).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal, localcontext
from typing import Any

from markupsafe import Markup, escape

from ..core.money import WIDE, cents, decimals, exact

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: Any, digits: int = 4) -> str:
    """A number for reading: ``1,234``, ``0.4``, ``3.15 × 10²³`` (``digits`` significant)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        value = value.item()
    if not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e7 or (0 < magnitude < 1e-3):
        mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    if float(value).is_integer():
        return f"{int(value):,}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(magnitude)))) if magnitude else 0
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Significant digits up to which :func:`display` prints a number in full (an exchange rate of
#: 7.1234, a price of 43.8445), not rounded to four.
FULL_DIGITS = 6


def display(value: Any) -> str:
    """Any recorded input or result: numbers via :func:`number` (in full when they have at most
    :data:`FULL_DIGITS` significant digits), objects by their id."""
    if _is_number(value) and not isinstance(value, Decimal) and 1e-3 <= abs(value) < 1e7:
        digits = len(exact(value).normalize().as_tuple().digits)
        if digits <= FULL_DIGITS:
            return number(value, digits)
    if isinstance(value, dict):
        return str(value.get("id") or value.get("name") or f"{len(value)} fields")
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value[:6]) + (" …" if len(value) > 6 else "")
    return number(value)


def money(value: Any, negate: bool = False) -> str:
    """An amount as printed in a quote: rounded to the cent as Excel's ROUND(x, 2) does (halves
    away from zero, on the decimal the number stands for), thousands separators, a real minus
    sign and never a negative zero: ``12,345.60``, ``−0.50``, ``0.00``. ``negate`` prints the
    amount subtracted (a discount of 5.00 as ``−5.00``; of 0 as ``0.00``)."""
    if not _is_number(value):
        return str(value if value is not None else "")
    amount = cents(value)
    amount = -amount if negate else amount
    return f"{amount:,.2f}".replace("-", "−") if amount < 0 else f"{abs(amount):,.2f}"


def price(value: Any) -> str:
    """A unit price with the decimals it was computed with, at least two: ``3.99``, ``6.155``,
    ``1,200.00`` (so that quantity × unit price, as printed, gives the printed amount)."""
    if not _is_number(value):
        return str(value if value is not None else "")
    number = exact(value)
    return _grouped(number, max(2, decimals(number)))


def quantity(value: Any, number_format: str = "General") -> str:
    """A line item's quantity in full (its decimals, at least those of its number format):
    ``663,552``, ``87,600.5``; never rounded to what the cell's format shows."""
    if not _is_number(value):
        return cell_value(value, number_format)
    number = exact(value)
    shown = re.search(r"0\.(0+)", number_format or "")
    return _grouped(number, max(len(shown.group(1)) if shown else 0, decimals(number)))


def rate(value: Any) -> str:
    """A margin, discount or tax rate as a percentage in full: ``15 %``, ``12.345 %``."""
    if not _is_number(value):
        return str(value if value is not None else "")
    scaled = exact(value) * 100
    return f"{_grouped(scaled, decimals(scaled))} %"


def _is_number(value: Any) -> bool:
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        value = value.item()
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


def _grouped(number: Decimal, places: int) -> str:
    with localcontext(WIDE):
        text = f"{number.quantize(Decimal(1).scaleb(-places)):,.{places}f}"
    return "0" + text[2:] if text.startswith("-0") and not any(ch in "123456789" for ch in text) else text


def percent(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value if value is not None else "")
    return f"{value * 100:.4g} %"


def as_date(value: Any) -> _dt.date | None:
    """An Excel serial date or a datetime as a date; None for anything else."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel  # noqa: PLC0415

        return from_excel(value).date()
    return None


def excel_date(value: Any) -> str:
    """An Excel serial date or a datetime as ``2025-06-02``."""
    found = as_date(value)
    return found.strftime("%Y-%m-%d") if found else str(value if value is not None else "")


def cell_value(value: Any, number_format: str = "General") -> str:
    """A cell value shown the way its Excel number format asks (the formats xlcompute writes)."""
    if value is None:
        return ""
    fmt = number_format or "General"
    if isinstance(value, (int, float, _dt.date)) and not isinstance(value, bool):
        from openpyxl.styles.numbers import is_date_format  # noqa: PLC0415

        if isinstance(value, _dt.date) or is_date_format(fmt):
            return excel_date(value)
        if "%" in fmt:
            return percent(value)
        if "E+" in fmt.upper():
            return number(value, 3)
        places = re.search(r"0\.(0+)(#*)", fmt)
        if places and abs(value) < 1e12:
            least, most = len(places.group(1)), len(places.group(1)) + len(places.group(2))
            return _grouped(exact(value), min(max(least, decimals(round(value, most))), most))
        if fmt.startswith("#,##0") and abs(value) < 1e12:
            return f"{value:,.0f}"
        return number(value)
    return str(value)


def superscript_units(unit: str) -> Markup:
    """A unit with ``^2`` written as a superscript, escaped."""
    return Markup(re.sub(r"\^(-?\d+)", lambda m: f"<sup>{m.group(1)}</sup>", str(escape(unit))))


def css_string(text: Any) -> Markup:
    """``text`` as a quoted CSS string (for ``content:``): quotes, backslashes and line breaks
    escaped, so no text can close the string or the rule."""
    body = "".join(ch if ch.isalnum() or ch in " .,·:;()[]-_/%&+'" or ord(ch) > 127 else f"\\{ord(ch):x} "
                   for ch in str(text))
    return Markup(f'"{body}"')


def css_page_counter(text: Any) -> Markup:
    """A CSS ``content`` value from ``Page {page} of {pages}`` as translated: the text around
    the placeholders quoted, the placeholders as CSS page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", str(text))
    values = [f"counter({part[1:-1]})" if part in ("{page}", "{pages}") else str(css_string(part))
              for part in parts if part]
    return Markup(" ".join(values))


FILTERS = {
    "css_string": css_string,
    "css_page_counter": css_page_counter,
    "number": number,
    "display": display,
    "money": money,
    "price": price,
    "quantity": quantity,
    "rate": rate,
    "percent": percent,
    "excel_date": excel_date,
    "cell_value": cell_value,
    "unit": superscript_units,
}
