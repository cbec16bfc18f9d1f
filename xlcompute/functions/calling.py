"""How an Excel function is called: blanks, error values, ranges and broadcasting. No formulas here.

Conventions of every xlcompute Excel function (README, "Excel functions", and docs/excel.md):

- **Blank means default.** An omitted argument, an empty cell (``None`` from COM, ``NaN`` from
  xlwings' numpy converter, ``""``) and the COM "missing" marker take the documented default
  (``None`` in a signature: the setup's or the core's default, stated in the description).
- **Cell values as Excel has them.** A Currency- or Accounting-formatted number (``Decimal``
  from COM) is a number, a date or time is its serial number (days since 1899-12-30), and
  TRUE/FALSE count as 1/0 where a number is expected, as in Excel's own arithmetic.
- **Ranges.** Ranges of equal shape (or a range and single cells, or a column and a row) give
  one result of the broadcast shape. Plain-arithmetic functions (``vectorised``) get whole
  float arrays in one core call; the rest are mapped element by element.
- **Errors are error values.** Bad input gives an :class:`ExcelError`, ``"#VALUE! <argument>:
  <what was wrong>"``, in the cell or in the failing element of a range, never a traceback;
  an input holding an Excel error gives that error back. The xlwings adapter turns it into a
  real error value (``ISERROR`` is TRUE, ``SUM`` propagates it), keeping the message readable.
- **Results Excel can hold.** Numbers are floats (a Python int above 2**31 would reach COM as
  a 64-bit integer), and text inside a multi-cell result is cut to :data:`MAX_ARRAY_TEXT`
  characters (classic Excel turns a whole array holding a longer string into ``#VALUE!``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import XlcomputeError
from .excel_values import COM_ERRORS, ExcelError, error_code

if TYPE_CHECKING:
    from .spec import ExcelFunction

#: What classic COM passes for an omitted ``Optional`` argument (DISP_E_PARAMNOTFOUND).
COM_MISSING = -2147352572
#: The longest text an element of an array result may hold in classic Excel.
MAX_ARRAY_TEXT = 255
#: Day 0 of Excel's serial dates (1900 date system, from March 1900 on).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


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


def error_value(exc: BaseException, function: str = "") -> ExcelError:
    """The Excel error value for an exception: ``#VALUE!`` with ``"tokens: must be ..."``."""
    if isinstance(exc, XlcomputeError):
        return ExcelError("#VALUE!", str(exc))
    if isinstance(exc, (ZeroDivisionError, OverflowError)):
        return ExcelError("#NUM!", f"{function}: the result is not a finite number ({exc}).")
    # A defect, not bad input: still a value in the cell, never a traceback.
    return ExcelError("#VALUE!", f"{function}: unexpected {type(exc).__name__}: {exc}")


def serial_date(value: dt.datetime | dt.date | dt.time) -> float:
    """A date or time as Excel's serial number: days since 1899-12-30, time as a fraction of a day."""
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return (value.replace(tzinfo=None) - EXCEL_EPOCH) / dt.timedelta(days=1)  # pywin32 marks dates UTC


def cell_value(value: Any, numeric: bool) -> Any:
    """A cell's value as the formulas take it: Decimal as float, dates as serial numbers, and
    booleans as 1/0 where the argument is a number (``numeric``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return float(value) if numeric else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.time)):
        return serial_date(value)
    return value


_CORE_DEFAULT = object()  # blank optional whose default the setup or core owns: leave the keyword out
_REQUIRED = object()  # blank required argument


def _filled(name: str, value: Any, fn: ExcelFunction) -> Any:
    """``value`` with a blank replaced by the documented default, as the formulas take it."""
    if is_blank(value):
        defaults = fn.defaults
        if name not in defaults:
            return _REQUIRED
        return _CORE_DEFAULT if defaults[name] is None else defaults[name]
    return cell_value(value, name in fn.numeric_arguments)


def _call_one(fn: ExcelFunction, kwargs: dict[str, Any]) -> Any:
    """One call with single values; any failure becomes an Excel error value."""
    call = {}
    for name, value in kwargs.items():
        value = _filled(name, value, fn)
        if value is _REQUIRED:
            return ExcelError("#VALUE!", f"{name}: required, found an empty cell.")
        code = error_code(value)
        if code is not None:
            return ExcelError(code, f"{name}: the input is the error value {code}.")
        if value is not _CORE_DEFAULT:
            call[name] = value
    try:
        result = fn.implementation(**call)
    except XlcomputeError as exc:
        return error_value(fn.in_excel_terms(exc), fn.name)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a cell value (error_value)
        return error_value(exc, fn.name)
    if isinstance(result, (list, tuple)):  # a table
        return [[_element(cell) for cell in row] for row in result]
    return _number(result)


def _number(value: Any) -> Any:
    """Numbers as floats (Excel's doubles): numpy scalars and ints, not booleans."""
    if isinstance(value, np.generic):
        value = value.item()
    return float(value) if type(value) is int else value


def _element(value: Any) -> Any:
    """One cell of a multi-cell result: a float for a number, text within :data:`MAX_ARRAY_TEXT`."""
    value = _number(value)
    if type(value) is str and len(value) > MAX_ARRAY_TEXT:  # an ExcelError stays whole: it becomes an error
        return value[:MAX_ARRAY_TEXT - 1] + "\u2026"
    return value


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
    """A result as plain Python values for Excel: arrays as rows of floats, text and errors."""
    if not isinstance(value, np.ndarray):
        return _number(value)
    if value.dtype.kind in "iu":
        value = value.astype(float)
    cells = value.ravel().tolist()
    if value.dtype == object:
        cells = [_element(cell) for cell in cells]
    if value.ndim != 2:
        return cells if value.ndim == 1 else value.tolist()
    rows = iter(cells)
    return list(zip(*[rows] * value.shape[1]))  # rows as tuples: the cheapest 2-D form for COM


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
        return ExcelError("#VALUE!", f"{name}: {fn.name} returns a table, so it takes one cell here, found a range.")
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {'x'.join(map(str, a.shape))}" for name, a in arrays.items())
        return ExcelError("#VALUE!", f"{fn.name}: ranges must have the same shape (or be one row and one column), "
                                     f"found {shapes}.")
    if fn.vectorised:
        defaults = fn.defaults
        numbers = {name: _numbers(name, a, defaults) for name, a in arrays.items()}
        singles = {n: _filled(n, v, fn) for n, v in kwargs.items() if n not in arrays}
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
