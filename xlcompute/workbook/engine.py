"""The formula engine: ``formualizer`` (Rust, MIT/Apache-2.0), driven through its public API.

:class:`Engine` loads a workbook's bytes, registers the xlcompute functions as one workbook-local
function, :data:`CALL`, defines the workbook's Excel tables (the engine's loader does not import
them), evaluates every formula once and hands back each cell's value. A formula calling an
xlcompute function reaches it as ``XLCOMPUTE.CALL(<cell index>, "<NAME>", <arguments>)`` (see
:func:`xlcompute.workbook.evaluate.mark`), so every call is recorded, with its breakdown, for the
cell that made it.

Values cross over as plain Python values: numbers (dates as serial numbers), text, booleans,
None for blanks, ranges as rows, and Excel errors as their codes (``"#DIV/0!"``). An
xlcompute function's error value (``"#VALUE! gpu: unknown GPU 'h10'"``) reaches the engine as a
real ``#VALUE!``, which ``SUM`` propagates and ``ISERROR`` sees, while its text is kept in the
record.
"""

from __future__ import annotations

from typing import Any, Mapping

import formualizer as fz

from ..catalog import workbook_text

#: The one function the engine knows for every xlcompute call of a workbook.
CALL = "XLCOMPUTE.CALL"


def _code(kind: str) -> str:
    return str(fz.ExcelError(kind, None, None, None, None, None))


#: Excel's error values by the engine's error kinds.
ERROR_CODES = {kind: _code(kind) for kind in ("Null", "Div", "Value", "Ref", "Name", "Num", "Na", "Spill", "Calc")}
#: The engine's own failures (not values Excel would show), by the code it gives them, and why.
FAILURES = {_code("Error"): "the formula engine cannot parse it",
            _code("NImpl"): "the formula engine does not implement part of it",
            _code("Circ"): "it is part of, or depends on, a circular reference",
            _code("Cancelled"): "the evaluation was cancelled"}
_KINDS = {code: kind for kind, code in ERROR_CODES.items()}


def from_engine(value: Any) -> Any:
    """An engine value as a plain Python value: an error as its code (``"#N/A"``; the engine's
    own failures as one of :data:`FAILURES`), a range as rows."""
    if isinstance(value, dict) and value.get("type") == "Error":
        return _code(value.get("kind", "Error"))
    if isinstance(value, list):
        return [from_engine(v) for v in value]
    return value


def to_engine(value: Any) -> Any:
    """A function's result as the engine takes it: an error text as a real Excel error."""
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        rows = [row if isinstance(row, (list, tuple)) else [row] for row in value] if value else [[None]]
        return [[to_engine(v) for v in row] for row in rows]
    if isinstance(value, str) and value.startswith("#"):
        kind = _KINDS.get(value.split(" ", 1)[0])
        if kind:
            return {"type": "Error", "kind": kind}
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # Excel numbers are doubles; a big int would overflow the engine's
    return value


def failure(value: Any) -> str:
    """Why the engine could not evaluate a cell whose value is ``value`` (plain), or ''."""
    return FAILURES.get(value, "") if isinstance(value, str) else ""


class Engine:
    """One workbook loaded into the engine, with the xlcompute functions registered."""

    def __init__(self, data: bytes, functions: Mapping[str, Any], cells: int):
        self.functions = functions
        #: What each xlcompute cell (by index) called, in order: ``Outcome`` records.
        self.outcomes: list[list[Any]] = [[] for _ in range(cells)]
        self.book = fz.load_workbook_bytes(data)
        self.book.set_temporal_egress("serial")  # dates as serial numbers, as Excel stores them
        self.book.register_function(CALL, self._call, min_args=2)

    def _call(self, index: Any, name: Any, *args: Any) -> Any:
        fn = self.functions[str(name)]
        # Workbook text is never a path. Set here, per call: the engine may call from threads of
        # its own, which do not see the caller's context.
        with workbook_text():
            outcome = fn.run(*(from_engine(a) for a in args))
        self.outcomes[int(index)].append(outcome)
        return to_engine(outcome.value)

    def add_table(self, name: str, sheet: str, bounds: tuple[int, int, int, int], headers: list[str], *,
                  header_row: bool, totals_row: bool) -> None:
        """Define an Excel table (``bounds`` = first row, first column, last row, last column)."""
        self.book.add_table(name, sheet, bounds, headers, header_row=header_row, totals_row=totals_row)

    def evaluate(self) -> None:
        self.book.evaluate_all()

    def value(self, sheet: str, row: int, column: int) -> Any:
        """The engine's value of a cell, as a plain value (see :func:`from_engine`)."""
        return from_engine(self.book.get_value(sheet, row, column))
