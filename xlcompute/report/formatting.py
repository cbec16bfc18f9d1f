"""Number, money and date formatting for the proposal (Jinja filters).

Formatting only: every value shown was computed elsewhere (the workbook, the engine or a
recorded formula call).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
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
    """An amount with two decimals and thousands separators: ``12,345.60``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value if value is not None else "")
    return f"{value:,.2f}"


def percent(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value if value is not None else "")
    return f"{value * 100:.4g} %"


def excel_date(value: Any) -> str:
    """An Excel serial date or a datetime as ``2025-06-02``."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel  # noqa: PLC0415

        return from_excel(value).strftime("%Y-%m-%d")
    return str(value if value is not None else "")


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


FILTERS = {
    "number": number,
    "display": display,
    "money": money,
    "percent": percent,
    "excel_date": excel_date,
    "cell_value": cell_value,
    "unit": superscript_units,
}
