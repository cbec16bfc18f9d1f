"""Generate xlwings functions from the registry: names, signatures, docs and converters from one place."""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

import numpy as np

from ..functions import REGISTRY, ExcelFunction

#: Office.js (Lite/Server) hands over JSON (empty cells as null, errors as objects): xlwings
#: cleans it into a 2-D object array (empty -> NaN, errors -> "#N/A") and writes the result.
OFFICE_JS_RANGE: dict[str, Any] = {"convert": np.array, "ndim": 2, "dtype": object, "err_to_str": True}
#: Classic COM hands over rows of values (None = empty, int codes = errors) and takes rows of
#: Python values back; both are handled by the registry's calling code in bulk ("raw"):
#: xlwings' per-cell cleaning costs about 2 us a cell, more than the formulas themselves.
COM_RANGE: dict[str, Any] = {"convert": "raw"}


def is_office_js(xw: ModuleType) -> bool:
    """True under xlwings Lite/Server (Office.js decorators), False for classic COM and plain Python."""
    return getattr(xw.func, "__module__", "").endswith("udfs_officejs")


def converter_options(xw: ModuleType) -> tuple[dict[str, Any], dict[str, Any]]:
    """(options of every argument, options of every result) for this xlwings flavour."""
    if is_office_js(xw):
        return OFFICE_JS_RANGE, {}
    return COM_RANGE, {"convert": "raw"}


def _plain_function(fn: ExcelFunction, module: str) -> Callable[..., Any]:
    """A function named and documented as the Excel function, with its signature, calling the registry."""

    def excel_function(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    excel_function.__name__ = excel_function.__qualname__ = fn.name
    excel_function.__doc__ = fn.description
    excel_function.__module__ = module
    excel_function.__signature__ = fn.signature  # type: ignore[attr-defined]  # xlwings reads inspect.signature
    return excel_function


def xlwings_functions(xw: ModuleType, module: str) -> dict[str, Callable[..., Any]]:
    """Every registry function decorated for xlwings, by Excel name (for ``module``'s namespace)."""
    arg_options, ret_options = converter_options(xw)
    out: dict[str, Callable[..., Any]] = {}
    for name, fn in sorted(REGISTRY.items()):
        udf = _plain_function(fn, module)
        for argument in reversed(fn.arguments):  # applied bottom-up, as a stack of decorators would be
            udf = xw.arg(argument.name, doc=argument.description, **arg_options)(udf)
        udf = xw.ret(**ret_options)(udf)
        out[name] = xw.func(category=fn.category)(udf)
    return out
