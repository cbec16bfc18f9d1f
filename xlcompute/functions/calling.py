"""How an Excel function is called: blanks, error values, ranges and broadcasting. No formulas here.

Conventions of every xlcompute Excel function (README, "Excel functions", and docs/excel.md):

- **Blank means default.** An omitted argument, an empty cell (``None`` from COM, ``NaN`` from
  xlwings' numpy converter, ``""``) and the COM "missing" marker take the documented default
  (``None`` in a signature: the setup's or the core's default, stated in the description).
- **Ranges.** Ranges of equal shape (or a range and single cells, or a column and a row) give
  one result of the broadcast shape. Plain-arithmetic functions (``vectorised``) get whole
  float arrays in one core call; the rest are mapped element by element.
- **Errors are values.** Bad input gives ``"#VALUE! <argument>: <what was wrong>"`` in the cell,
  or in the failing element of a range, never a traceback; an input holding an Excel error
  gives that error back.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import XlcomputeError
from .excel_values import COM_ERRORS, error_code

if TYPE_CHECKING:
    from .spec import ExcelFunction

#: What classic COM passes for an omitted ``Optional`` argument (DISP_E_PARAMNOTFOUND).
COM_MISSING = -2147352572


def is_blank(value: Any) -> bool:
    """True for an omitted argument or an empty cell in any xlwings flavour."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return value == COM_MISSING
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return type(value).__name__ == "JsNull"  # Pyodide's JS null (xlwings Lite)


def error_value(exc: BaseException, function: str = "") -> str:
    """The Excel-visible error text for an exception: ``"#VALUE! tokens: must be ..."``."""
    if isinstance(exc, XlcomputeError):
        return f"#VALUE! {exc}"
    if isinstance(exc, (ZeroDivisionError, OverflowError)):
        return f"#NUM! {function}: the result is not a finite number ({exc})."
    # A defect, not bad input: still a value in the cell, never a traceback.
    return f"#VALUE! {function}: unexpected {type(exc).__name__}: {exc}"


_CORE_DEFAULT = object()  # blank optional whose default the setup or core owns: leave the keyword out
_REQUIRED = object()  # blank required argument


def _filled(name: str, value: Any, defaults: dict[str, Any]) -> Any:
    """``value`` with a blank replaced by the documented default."""
    if is_blank(value):
        if name not in defaults:
            return _REQUIRED
        return _CORE_DEFAULT if defaults[name] is None else defaults[name]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _call_one(fn: ExcelFunction, kwargs: dict[str, Any]) -> Any:
    """One call with single values; any failure becomes an Excel error value."""
    defaults = fn.defaults
    call = {}
    for name, value in kwargs.items():
        value = _filled(name, value, defaults)
        if value is _REQUIRED:
            return f"#VALUE! {name}: required, found an empty cell."
        code = error_code(value)
        if code is not None:
            return f"{code} {name}: the input is the error value {code}."
        if value is not _CORE_DEFAULT:
            call[name] = value
    try:
        result = fn.implementation(**call)
    except XlcomputeError as exc:
        return error_value(fn.in_excel_terms(exc), fn.name)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a cell value (error_value)
        return error_value(exc, fn.name)
    # Excel numbers are doubles; a Python int above 2**31 would reach COM as a 64-bit integer.
    return float(result) if type(result) is int else result


_NUMERIC_TYPES = frozenset({float, int, type(None), np.float64})


def as_range(value: Any) -> Any:
    """A range (rows of values, a list, an ndarray) as an ndarray; one value as itself.

    Rows holding only numbers and empty cells become a float array (empty -> NaN) in one
    step; anything else an object array. A 1x1 range counts as one value."""
    if isinstance(value, (list, tuple)):
        rows = len(value)
        if rows and isinstance(value[0], (list, tuple)):  # rows, as COM passes a range
            columns = len(value[0])
            if columns == 1 and len(value[-1]) == 1:  # a column: the common case, 3x faster
                flat = [row[0] for row in value]
            else:
                flat = list(itertools.chain.from_iterable(value))
            shape = (rows, columns) if len(flat) == rows * columns else None
        else:
            flat, shape = list(value), (rows,)
        if shape is None:  # ragged rows: let numpy keep them as they are
            value = np.array(value, dtype=object)
        else:
            kinds = set(map(type, flat))
            numeric = kinds <= _NUMERIC_TYPES and not (int in kinds and not COM_ERRORS.keys().isdisjoint(flat))
            value = np.array(flat, dtype=float if numeric else object).reshape(shape)
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.reshape(-1)[0]
    return value


def _numbers(name: str, array: np.ndarray, defaults: dict[str, Any]) -> np.ndarray | None:
    """``array`` as float64 with blanks as the default; None unless every element is a number."""
    if array.dtype.kind in "fiu":
        values = array.astype(float, copy=False)
    else:
        return None  # text, booleans, error cells...: checked element by element
    blank = np.isnan(values)
    if blank.any():
        default = defaults.get(name)
        if not isinstance(default, (int, float)) or isinstance(default, bool):
            return None
        values = np.where(blank, float(default), values)
    return values


def _result(value: Any) -> Any:
    """A result as plain Python values for Excel: arrays as rows, numpy scalars as floats."""
    if isinstance(value, np.ndarray):
        if value.ndim != 2:
            return value.tolist()
        cells = iter(value.ravel().tolist())
        return list(zip(*[cells] * value.shape[1]))  # rows as tuples: the cheapest 2-D form for COM
    if isinstance(value, np.generic):
        return value.item()
    return value


def call_excel_function(fn: ExcelFunction, kwargs: dict[str, Any]) -> Any:
    """Call ``fn`` with its arguments as Excel passed them (single values or ranges).

    Single values give a single result; ranges give rows of results of the broadcast shape.
    A function that returns a table takes single cells only.
    """
    kwargs = {name: as_range(value) for name, value in kwargs.items()}
    arrays = {name: v for name, v in kwargs.items() if isinstance(v, np.ndarray)}
    if not arrays:
        return _result(_call_one(fn, kwargs))
    if fn.returns_table(kwargs):
        name = next(iter(arrays))
        return f"#VALUE! {name}: {fn.name} returns a table, so it takes one cell here, found a range."
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {'x'.join(map(str, a.shape))}" for name, a in arrays.items())
        return (f"#VALUE! {fn.name}: ranges must have the same shape (or be one row and one column), "
                f"found {shapes}.")
    if fn.vectorised:
        defaults = fn.defaults
        numbers = {name: _numbers(name, a, defaults) for name, a in arrays.items()}
        singles = {n: _filled(n, v, defaults) for n, v in kwargs.items() if n not in arrays}
        if all(v is not None for v in numbers.values()) and not any(
                v is _REQUIRED or error_code(v) for v in singles.values()):
            singles = {n: v for n, v in singles.items() if v is not _CORE_DEFAULT}
            try:
                return _result(np.broadcast_to(fn.implementation(**singles, **numbers), shape))
            except Exception:  # noqa: BLE001 - bad elements: located one by one below
                pass
    out = np.empty(shape, dtype=object)
    columns = {name: np.broadcast_to(a, shape) for name, a in arrays.items()}
    for index in np.ndindex(shape):
        row = {n: (columns[n][index] if n in columns else v) for n, v in kwargs.items()}
        out[index] = _call_one(fn, row)
    return _result(out)
