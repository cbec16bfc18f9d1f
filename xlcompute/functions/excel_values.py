"""Excel's error values as xlcompute functions return and receive them.

Standard library only (runs in xlwings Lite's Pyodide).
"""

from __future__ import annotations

from typing import Any

#: Excel's error values; an argument holding one is passed through unchanged.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
                "#CALC!", "#BUSY!", "#FIELD!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#PYTHON!")

#: COM codes of Excel's error values as classic COM passes them (xlwings._xlwindows.cell_errors).
COM_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}


def is_error(value: Any) -> bool:
    """True for an Excel error value: text starting with an error code (``"#VALUE! gpu: ..."``)."""
    return isinstance(value, str) and value.startswith(EXCEL_ERRORS)


def error_code(value: Any) -> str | None:
    """The Excel error code a value holds (``"#N/A"``), from text or a COM integer code; else None."""
    if isinstance(value, str):
        return next((code for code in EXCEL_ERRORS if value.startswith(code)), None)
    if type(value) is int:  # COM passes error cells as int codes, numbers as floats
        return COM_ERRORS.get(value)
    return None
