"""The error of a workbook that cannot be used, and how cell values read in its messages.

Every workbook module raises :class:`WorkbookError`; this module imports nothing else from
``xlcompute.workbook``, so each of them can import it without a cycle.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from typing import Any, Iterable

from ..core.errors import XlcomputeError
from ..functions.excel_values import is_error

__all__ = ["WorkbookError", "describe_value", "shorten"]


class WorkbookError(XlcomputeError):
    """A workbook that cannot be used, and why: file, sheet, cell, expected, found.

    ``str(error)`` is one paragraph: ``"<file>, sheet 'Inputs', cell B4 (name 'tokens'):
    expected <expected>, found <found>. <hint>"``.
    """

    def __init__(self, file: str | os.PathLike | None, message: str | None = None, *,
                 sheet: str | None = None, cell: str | None = None, name: str | None = None,
                 expected: str | None = None, found: str | None = None, hint: str | None = None,
                 suggestions: Iterable[str] = ()):
        self.file = os.fspath(file) if file is not None else None
        self.sheet = sheet
        self.cell = cell
        self.name = name
        self.expected = expected
        self.found = found
        self.hint = hint
        where = [f"{self.file}" if self.file else "workbook"]
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if cell is not None:
            where.append(f"cell {cell}")
        location = ", ".join(where) + (f" (name {name!r})" if name else "")
        parts = []
        if message:
            parts.append(message.rstrip("."))
        if expected is not None or found is not None:
            parts.append(f"expected {expected or 'a valid value'}, found {found or 'something else'}")
        detail = f"{'; '.join(parts) or 'cannot be used'}."
        if hint:
            detail += f" {hint}" + ("" if hint.endswith((".", "?", "!")) else ".")
        #: The message without the location, for listings that print sheet and cell themselves.
        self.detail = " ".join(detail.split())
        super().__init__(f"{location}: {self.detail}", argument=name, suggestions=suggestions)


def describe_value(value: Any) -> str:
    """How a cell value reads in an error message ("the text 'ten'", "the date 2024-01-05")."""
    if value is None:
        return "an empty cell"
    if isinstance(value, bool):
        return f"the boolean {str(value).upper()}"
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return f"the date/time {value.isoformat()} (a number formatted as a date)"
    if isinstance(value, _dt.timedelta):
        return f"the duration {value}"
    if isinstance(value, str):
        if is_error(value.strip()):
            return f"the Excel error {value.strip()}"
        if value.startswith("="):
            return f"the formula {shorten(value)} without a computed value"
        return f"the text {shorten(value)!r}"
    if isinstance(value, float) and math.isnan(value):
        return "NaN (not a number)"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    name = type(value).__name__
    if name in ("ArrayFormula", "DataTableFormula"):
        text = getattr(value, "text", "")
        return f"the array formula {shorten(str(text))} without a computed value"
    return f"a {name} value"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
