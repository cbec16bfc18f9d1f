"""Number, money and date formatting for the proposal (Jinja filters).

Formatting only: every value shown was computed elsewhere (the workbook, the engine or a
recorded formula call).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

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


def display(value: Any) -> str:
    """Any recorded input or result: numbers via :func:`number`, objects by their id."""
    if isinstance(value, dict):
        return str(value.get("id") or value.get("name") or f"{len(value)} fields")
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value[:6]) + (" …" if len(value) > 6 else "")
    return number(value)


def money(value: Any) -> str:
    """An amount with two decimals and thousands separators: ``12,345.60`` (never ``-0.00``)."""
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        return str(value if value is not None else "")
    text = f"{value:,.2f}"
    return text[1:] if text == "-0.00" else text


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
        decimals = re.search(r"0\.(0+)", fmt)
        if decimals and abs(value) < 1e12:
            return f"{value:,.{len(decimals.group(1))}f}"
        if fmt.startswith("#,##0") and abs(value) < 1e12:
            return f"{value:,.0f}"
        return number(value)
    return str(value)


def superscript_units(unit: str) -> Markup:
    """A unit with ``^2`` written as a superscript, escaped."""
    return Markup(re.sub(r"\^(-?\d+)", lambda m: f"<sup>{m.group(1)}</sup>", str(escape(unit))))


def unit_price(value: Any, decimals: int = 2) -> str:
    """A unit price with the decimals it is charged at (at least two), thousands separated."""
    if isinstance(value, Decimal) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        text = f"{value:,.{max(int(decimals), 2)}f}"
        return text.lstrip("-") if value == 0 else text
    return "" if value is None else str(value)


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
    "unit_price": unit_price,
    "number": number,
    "display": display,
    "money": money,
    "percent": percent,
    "excel_date": excel_date,
    "cell_value": cell_value,
    "unit": superscript_units,
}
