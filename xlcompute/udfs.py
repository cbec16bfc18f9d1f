"""Excel functions for xlwings: name this module, ``xlcompute.udfs``, in the add-in's "UDF Modules".

Classic COM add-in (Windows): set "UDF Modules" to ``xlcompute.udfs`` and Import Functions.
xlwings Lite (Excel on Windows, Mac and the web): ``from xlcompute.udfs import *`` in ``main.py``.
Elsewhere (Linux, tests) the decorators do nothing and every function is plain Python.

The functions are generated from the registry (:mod:`xlcompute.functions`) by the adapter
(:mod:`xlcompute.excel`): names, arguments, defaults, docs and categories live there. A failure
is a real Excel error value in Excel (its message: ``=XLCOMPUTE_ERROR(cell)`` in the classic
add-in, the cell's error flag in Lite) and an ``ExcelError`` (text with ``code`` and
``message``) in plain Python.
"""

from __future__ import annotations

from typing import Any, Callable

import xlwings as xw

from .excel import xlwings_functions
from .functions import COM_MISSING, is_blank, is_error

#: Every Excel function by its Excel name, decorated for this xlwings flavour.
FUNCTIONS: dict[str, Callable[..., Any]] = xlwings_functions(xw, __name__)
globals().update(FUNCTIONS)

__all__ = sorted(FUNCTIONS) + ["COM_MISSING", "FUNCTIONS", "is_blank", "is_error"]
