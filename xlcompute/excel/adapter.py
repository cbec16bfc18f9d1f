"""Generate xlwings functions from the registry: names, signatures, docs and converters from one place.

The registry returns a failure as an :class:`~xlcompute.functions.excel_values.ExcelError`
(text with a code and a message). Here, at the xlwings boundary, it becomes a real Excel
error value, so that ``ISERROR`` is TRUE and ``SUM`` over it is an error too:

- **Classic COM add-in**: the error VARIANT (``VT_ERROR`` with the code's SCODE, what VBA's
  ``CVErr`` makes), in a single cell or in any element of a range. The message is kept for
  the cell it lands in and ``=XLCOMPUTE_ERROR(C5)`` shows it (raising would not do: the VBA
  wrapper xlwings generates turns an exception into text).
- **xlwings Lite (Office.js)**: a ``#VALUE!`` of one cell is raised, and Excel shows
  ``#VALUE!`` with the message on the cell's error flag; any other code, and an error inside
  a range, is returned as its bare code (``"#N/A"``), which xlwings writes as that error.
- **Plain Python** (no Excel): the registry's values as they are.
"""

from __future__ import annotations

import inspect
import itertools
from collections import OrderedDict
from types import ModuleType
from typing import Any, Callable

import numpy as np

from ..core.errors import XlcomputeError
from ..functions import CATEGORY, REGISTRY, ExcelFunction
from ..functions.excel_values import COM_CODES, COM_ERRORS, ExcelError

#: Office.js (Lite/Server) hands over JSON (empty cells as null, errors as objects): xlwings
#: cleans it into a 2-D object array (empty -> NaN, errors -> "#N/A") and writes the result.
OFFICE_JS_RANGE: dict[str, Any] = {"convert": np.array, "ndim": 2, "dtype": object, "err_to_str": True}
#: Classic COM hands over rows of values (None = empty, int codes = errors) and takes rows of
#: Python values back; both are handled by the registry's calling code in bulk ("raw"):
#: xlwings' per-cell cleaning costs about 2 us a cell, more than the formulas themselves.
COM_RANGE: dict[str, Any] = {"convert": "raw"}
#: xlwings' reserved argument: classic xlwings passes the calling cell (a Range) in it.
CALLER = "caller"
#: The classic-only function that shows the message behind an error value.
ERROR_FUNCTION = "XLCOMPUTE_ERROR"
#: Messages kept for XLCOMPUTE_ERROR; past this many, the oldest go first.
MAX_MESSAGES = 100_000
#: VARTYPE of an error VARIANT (``pythoncom.VT_ERROR``).
VT_ERROR = 10


def is_office_js(xw: ModuleType) -> bool:
    """True under xlwings Lite/Server (Office.js decorators), False for classic COM and plain Python."""
    return getattr(xw.func, "__module__", "").endswith("udfs_officejs")


def is_classic_com(xw: ModuleType) -> bool:
    """True under the classic xlwings add-in (Windows COM decorators)."""
    return getattr(xw.func, "__module__", "") == "xlwings.udfs"


def converter_options(xw: ModuleType) -> tuple[dict[str, Any], dict[str, Any]]:
    """(options of every argument, options of every result) for this xlwings flavour."""
    if is_office_js(xw):
        return OFFICE_JS_RANGE, {}
    return COM_RANGE, {"convert": "raw"}


# --------------------------------------------------------------------------------------------
# Error values at the boundary
# --------------------------------------------------------------------------------------------

def _has_errors(rows: list) -> bool:
    """True when rows of a result hold an ExcelError (one pass over the types, no Python loop per cell)."""
    return ExcelError in set(map(type, itertools.chain.from_iterable(rows)))


def _map_rows(value: Any, convert: Callable[[ExcelError, int, int], Any]) -> Any:
    """``value`` with every ExcelError replaced by ``convert(error, row, column)``; others as they are."""
    if isinstance(value, ExcelError):
        return convert(value, 0, 0)
    if not isinstance(value, (list, tuple)) or not value:
        return value
    rows = value if isinstance(value[0], (list, tuple)) else [value]
    if not _has_errors(rows):
        return value
    converted = [tuple(convert(c, i, j) if isinstance(c, ExcelError) else c for j, c in enumerate(row))
                 for i, row in enumerate(rows)]
    return converted if rows is value else list(converted[0])


def office_js_value(value: Any) -> Any:
    """A registry result for xlwings Lite: a one-cell ``#VALUE!`` raised (Excel shows the message),
    other errors as their bare codes (xlwings writes them as real error values)."""
    if isinstance(value, ExcelError) and value.code == "#VALUE!":
        raise XlcomputeError(value.message or value.code)
    return _map_rows(value, lambda error, row, column: error.code)


class MessageBook:
    """The messages behind the error values the classic add-in wrote, by workbook, sheet and cell."""

    def __init__(self, size: int = MAX_MESSAGES) -> None:
        self.size = size
        self._messages: OrderedDict[tuple[str, str, int, int], str] = OrderedDict()

    @staticmethod
    def where(cell: Any) -> tuple[str, str, int, int]:
        """(workbook, sheet, row, column) of a Range's top-left cell."""
        sheet = cell.sheet
        return sheet.book.name, sheet.name, cell.row, cell.column

    def keep(self, caller: Any, errors: list[tuple[int, int, ExcelError]]) -> None:
        """Keep each error's text for the cell it lands in: ``caller``'s top-left plus its offset."""
        try:
            book, sheet, row, column = self.where(caller)
        except Exception:  # noqa: BLE001 - no calling cell (a direct call) or COM refused: nothing to keep
            return
        for i, j, error in errors:
            key = (book, sheet, row + i, column + j)
            self._messages.pop(key, None)
            self._messages[key] = str(error)
        while len(self._messages) > self.size:
            self._messages.popitem(last=False)

    def message(self, cell: Any) -> str:
        """What ``=XLCOMPUTE_ERROR(cell)`` shows: the message of the error in ``cell``, or ``""``."""
        if cell is None:  # a value, not a reference: xlwings reads no Range for it
            return "cell: expected a reference to a cell, e.g. =XLCOMPUTE_ERROR(C5)."
        value = cell.raw_value
        while isinstance(value, (list, tuple)) and value:  # a range: its top-left cell
            value = value[0]
        code = COM_ERRORS.get(value) if type(value) is int else None
        if code is None:
            return ""
        kept = self._messages.get(self.where(cell), "")
        if kept.startswith(code):
            return kept
        return (f"{code}: no xlcompute message for this cell: the error comes from another formula or an input, "
                "or was calculated before Python started (recalculate with Ctrl+Alt+F9).")


#: The messages of this Python process (the classic add-in's COM server).
MESSAGES = MessageBook()


def com_value(value: Any, caller: Any, messages: MessageBook = MESSAGES) -> Any:
    """A registry result for classic COM: every ExcelError as an error VARIANT, its message kept."""
    from win32com.client import VARIANT  # noqa: PLC0415 - pywin32 exists only under the classic add-in

    errors: list[tuple[int, int, ExcelError]] = []

    def to_variant(error: ExcelError, row: int, column: int) -> Any:
        errors.append((row, column, error))
        return VARIANT(VT_ERROR, COM_CODES.get(error.code, COM_CODES["#VALUE!"]))

    converted = _map_rows(value, to_variant)
    if errors and caller is not None:
        messages.keep(caller, errors)
    return converted


# --------------------------------------------------------------------------------------------
# The functions
# --------------------------------------------------------------------------------------------

def _named(udf: Callable[..., Any], name: str, doc: str, module: str) -> Callable[..., Any]:
    udf.__name__ = udf.__qualname__ = name
    udf.__doc__ = doc
    udf.__module__ = module
    udf.__annotations__ = {}  # xlwings turns a type hint into a converter
    return udf


def _plain_function(fn: ExcelFunction, module: str, flavour: str) -> Callable[..., Any]:
    """A function named and documented as the Excel function, with its signature, calling the registry.

    Under classic COM it takes xlwings' reserved ``caller`` argument last (the calling cell,
    left out of the Excel signature by xlwings), to know where its error values land. xlwings
    always passes it, positionally; a direct Python call without it gets the registry's values.
    """
    signature = fn.signature
    if flavour == "com":
        count = len(fn.arguments)

        def excel_function(*args: Any, **kwargs: Any) -> Any:
            if len(args) > count:  # called by xlwings for a cell: Excel gets error values
                return com_value(fn(*args[:count], **kwargs), args[count])
            return fn(*args, **kwargs)

        signature = signature.replace(parameters=[
            *signature.parameters.values(), inspect.Parameter(CALLER, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                              default=None)])
    elif flavour == "office_js":
        def excel_function(*args: Any, **kwargs: Any) -> Any:
            return office_js_value(fn(*args, **kwargs))
    else:
        def excel_function(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)
    excel_function.__signature__ = signature  # type: ignore[attr-defined]  # xlwings reads inspect.signature
    return _named(excel_function, fn.name, fn.description, module)


def _error_function(module: str) -> Callable[..., Any]:
    def error_function(cell: Any) -> str:
        return MESSAGES.message(cell)

    return _named(error_function, ERROR_FUNCTION, "The message behind an xlcompute error value in a cell (classic "
                                                   "add-in): =XLCOMPUTE_ERROR(C5); empty text when C5 holds no "
                                                   "error.", module)


def xlwings_functions(xw: ModuleType, module: str) -> dict[str, Callable[..., Any]]:
    """Every registry function decorated for xlwings, by Excel name (for ``module``'s namespace)."""
    arg_options, ret_options = converter_options(xw)
    flavour = "office_js" if is_office_js(xw) else "com" if is_classic_com(xw) else "python"
    out: dict[str, Callable[..., Any]] = {}
    for name, fn in sorted(REGISTRY.items()):
        udf = _plain_function(fn, module, flavour)
        if flavour == "com":
            udf = xw.arg(CALLER, vba="Nothing", doc="The calling cell, passed by xlwings.", **COM_RANGE)(udf)
        for argument in reversed(fn.arguments):  # applied bottom-up, as a stack of decorators would be
            udf = xw.arg(argument.name, doc=argument.description, **arg_options)(udf)
        udf = xw.ret(**ret_options)(udf)
        out[name] = xw.func(category=fn.category)(udf)
    if flavour == "com":
        udf = xw.arg("cell", "range", doc="A cell showing an xlcompute error value, e.g. C5.")(_error_function(module))
        out[ERROR_FUNCTION] = xw.func(category=CATEGORY)(xw.ret("raw")(udf))
    return out
