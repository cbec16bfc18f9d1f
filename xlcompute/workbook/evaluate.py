"""Evaluate a scenario workbook: cached values or the `formulas` engine, and the xlcompute cells.

Two modes, chosen by what the file holds:

- **cached**: Excel (or LibreOffice) saved the workbook, so formula cells carry cached
  values. Those are used as they are, and every *xlcompute* cell (a formula calling an
  xlcompute function) is recomputed with the core from the cached values of its inputs; a
  cell whose cached value differs is **stale** (someone changed an input and did not
  recalculate, or the workbook was saved by an older xlcompute).
- **headless**: no cached values (written by openpyxl or a script). The whole workbook is
  evaluated with the ``formulas`` package (a real Excel formula engine), with the xlcompute
  functions registered under their Excel names and the ``XLC.`` / ``_xldudf_`` aliases.

Either way every xlcompute cell is then evaluated on its own, with the same engine, from
the values of its inputs, while its calls of xlcompute functions are recorded; the report's
breakdown is ``explain(FUNCTIONS[name], *args)`` of each recorded call. A formula the
engine cannot parse, a function it does not know and a cell that evaluates to an Excel
error are all listed as :class:`CellIssue` with their sheet and cell.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import datetime as _dt
import importlib
import math
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.datetime import to_excel

from ..core.formula import Step, explain
from ..functions.excel_values import ExcelError, address, is_cell, is_name, parse_reference, split_book, split_sheet
from ..functions.excel_values import is_error as _is_error
from ..gc_tuning import fewer_collections
from .dependencies import find_external_links
from .errors import WorkbookError
from .guard import open_workbook

#: Relative difference above which a cached xlcompute value counts as stale.
STALE_TOLERANCE = 1e-9
#: Prefixes under which a saved workbook may carry an add-in function's name.
ALIAS_PREFIXES = ("XLC.", "_XLDUDF_", "_xldudf_")


@dataclass(frozen=True)
class CellIssue:
    """A problem found while evaluating: where, and what."""

    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        where = "!".join(part for part in (self.sheet, self.cell) if part and part != "-")  # "-": no sheet/cell
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Call:
    """One call of an xlcompute function made while evaluating a cell."""

    function: str
    args: tuple[Any, ...]
    result: Any


@dataclass
class XlcomputeCell:
    """A formula cell calling xlcompute functions, with its recomputation and breakdown."""

    sheet: str
    cell: str
    formula: str
    value: Any  # the value the workbook shows (cached, or from the headless engine)
    recomputed: Any = None  # the value the core gives from the cell's inputs
    stale: bool = False
    error: str = ""
    _calls: list[Call] | None = field(default=None, repr=False)
    _recompute: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.cell}"

    @property
    def calls(self) -> list[Call]:
        """The xlcompute calls the cell makes (recorded on first use in headless mode)."""
        if self._calls is None and self._recompute is not None:
            self._recompute()
        return self._calls or []

    def steps(self, functions: dict[str, Callable[..., Any]]) -> list[tuple[Call, Step]]:
        """The breakdown of every recorded call: ``explain`` runs the same functions again."""
        return [(call, explain(functions[call.function], *call.args)) for call in self.calls
                if call.function in functions]


@dataclass
class Evaluation:
    """Values of every cell of a workbook and what is known about its xlcompute cells."""

    path: Path
    mode: str  # "cached" or "headless"
    values: dict[tuple[str, str], Any]
    formulas: dict[tuple[str, str], str]
    names: dict[str, tuple[str, str]]  # single-cell defined names -> (sheet, cell)
    number_formats: dict[tuple[str, str], str]
    xlcompute_cells: list[XlcomputeCell]
    issues: list[CellIssue]
    functions: dict[str, Callable[..., Any]]
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # Excel tables -> (sheet, ref)
    sheets: list[str] = field(default_factory=list)

    @property
    def stale(self) -> list[XlcomputeCell]:
        return [c for c in self.xlcompute_cells if c.stale]

    def value(self, name: str, default: Any = None) -> Any:
        """The value of a single-cell defined name."""
        where = self.names.get(name.upper())
        return self.values.get(where, default) if where else default

    def where(self, name: str) -> str:
        sheet, cell = self.names[name.upper()]
        return f"{sheet}!{cell}"


# --------------------------------------------------------------------------------------------
# The xlcompute functions and their registration with the `formulas` engine
# --------------------------------------------------------------------------------------------

_RECORDER: contextvars.ContextVar[list[Call] | None] = contextvars.ContextVar("xlcompute_calls", default=None)
_REGISTERED: dict[str, Callable[..., Any]] = {}


#: scipy modules that ``formulas.functions.stat`` imports at load time but only uses inside
#: statistical functions (KURT, NORM.DIST, FORECAST ...): importing them costs about 1 s.
DEFERRED_SCIPY = ("scipy.stats", "scipy.linalg", "scipy.interpolate")


class _DeferredModule(types.ModuleType):
    """Stands in for a module while ``formulas`` loads its function table.

    A name imported from it (``from scipy.interpolate import interp1d``) becomes a forwarder
    and a module attribute (``stats.kurtosis``) is looked up in the real module, both imported
    on first use: a workbook that calls no statistical function never imports scipy.
    """

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        name = self.__name__
        if sys.modules.get(name) is self:  # still loading the table: hand out a forwarder
            def forward(*args: Any, **kwargs: Any) -> Any:
                return getattr(importlib.import_module(name), attr)(*args, **kwargs)

            forward.__name__ = attr
            return forward
        return getattr(importlib.import_module(name), attr)


@functools.lru_cache(maxsize=None)
def _formulas() -> Any:
    """The ``formulas`` package with its function table loaded, scipy deferred (see above)."""
    import formulas  # noqa: PLC0415

    stand_ins = {name: _DeferredModule(name) for name in DEFERRED_SCIPY if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        formulas.get_functions()  # lru-cached by formulas: loaded once per process
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return formulas


def xlcompute_functions() -> dict[str, Callable[..., Any]]:
    """The Excel functions by upper-case Excel name (from the registry, :mod:`xlcompute.functions`)."""
    from ..functions import REGISTRY  # noqa: PLC0415 - imports numpy; only when evaluating

    return dict(REGISTRY)


def _plain(value: Any) -> Any:
    """An engine value as a Python value: EMPTY -> None, numpy scalars -> float/int/str."""
    from schedula.utils.cst import EMPTY  # noqa: PLC0415

    if value is EMPTY:
        return None
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


def _recording(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        args = tuple(_plain(a) for a in args)
        try:
            result = fn(*args)
        except Exception as exc:  # noqa: BLE001 - an Excel function never crashes the engine
            result = ExcelError("#VALUE!", str(exc))
        if isinstance(result, int) and not isinstance(result, bool):
            result = float(result)  # Excel numbers are doubles; big ints overflow numpy's int64
        calls = _RECORDER.get()
        if calls is not None:
            calls.append(Call(name, args, result))  # an ExcelError keeps its message here
        return _engine_errors(result)

    call.__name__ = name
    return call


def _engine_errors(result: Any) -> Any:
    """``result`` with each :class:`ExcelError` as the engine's own error value, so that
    ISERROR, IFERROR and SUM over the cell see an error, as in Excel."""
    from formulas.tokens.operand import Error  # noqa: PLC0415 - the engine loads only when evaluating

    def engine(value: Any) -> Any:
        return Error.errors.get(value.code, Error.errors["#VALUE!"]) if isinstance(value, ExcelError) else value

    if isinstance(result, (list, tuple)):
        return [[engine(c) for c in row] if isinstance(row, (list, tuple)) else engine(row) for row in result]
    return engine(result)


def register(functions: dict[str, Callable[..., Any]]) -> None:
    """Register ``functions`` with the ``formulas`` engine (idempotent), with their aliases."""
    formulas = _formulas()
    from formulas.functions import wrap_ufunc  # noqa: PLC0415

    table = formulas.get_functions()
    for name, fn in functions.items():
        if _REGISTERED.get(name) is fn:
            continue
        # Arguments pass through unconverted: model and GPU ids are text.
        wrapped = wrap_ufunc(_recording(name, fn), input_parser=lambda *a: a, args_parser=lambda *a: a)
        for alias in (name, *(p + name for p in ALIAS_PREFIXES)):
            table[alias] = wrapped
        _REGISTERED[name] = fn


@contextlib.contextmanager
def _quiet_engine() -> Iterator[None]:
    """Silence the progress bar ``formulas`` prints while compiling a workbook."""
    from formulas.excel import ExcelModel  # noqa: PLC0415

    module = ExcelModel.complete.__globals__["tqdm"]
    original = module.tqdm

    class _Silent:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __enter__(self) -> "_Silent":
            return self

        def __exit__(self, *exc: Any) -> bool:
            return False

        def update(self, *args: Any, **kwargs: Any) -> None:
            return None

    module.tqdm = _Silent
    try:
        yield
    finally:
        module.tqdm = original


# --------------------------------------------------------------------------------------------
# Compiling each formula shape once
# --------------------------------------------------------------------------------------------
#
# A column of copied formulas (=TRAIN_FLOPS(A2,B2), =TRAIN_FLOPS(A3,B3), ...) is one formula
# in Excel's R1C1 notation. `formulas` parses and compiles every cell into its own schedula
# pipe (about 1.5 ms a cell: most of a headless evaluation). The engine below compiles the
# first cell of each shape with formulas' own parser and compiler, and gives every later copy
# the same compiled pipe with its own inputs: the pipe takes its inputs by position, so only
# which cell feeds which position changes. A shape is shared only when that is provably all
# that changes: no function that reads the formula's own position (ROW(), COLUMN(), @), every
# input of the compiled pipe matched one-to-one to a reference of the formula text.

def _formula_shape(tokens: list, row: int, col: int) -> tuple[str, list[str]] | None:
    """The formula in R1C1 form (the same text for every copy of it) and its cell references.

    None when a reference is anything but a plain cell, range or defined name (structured
    references, external books, ``@``): such a formula is compiled on its own.
    """
    shape, references = [], []
    for token in tokens:
        if token.type != Token.OPERAND or token.subtype != Token.RANGE:
            shape.append(token.value)
            continue
        reference = parse_reference(token.value)
        if reference is None:
            sheet, name = split_sheet(token.value)
            if not is_name(name) or (sheet is not None and split_book(sheet)[0] is not None):
                return None
            shape.append(f"{(sheet or '').upper()}!{name.upper()}")  # a defined name: the same input in every copy
            continue
        if reference.book is not None:
            return None
        ends = (reference.first,) if reference.last is None else (reference.first, reference.last)
        shape.append(f"{(reference.sheet or '').upper()}!{':'.join(end.relative_to(row, col) for end in ends)}")
        references.append(token.value)
    return "\x00".join(shape), references


class _SharedPipe:
    """A compiled formula pipe fed from one cell's inputs (same positions, the cell's names).

    ``run`` is the pipe itself or, where it is a plain chain of calls, :class:`_Steps`.
    """

    def __init__(self, pipe: Any, run: Callable[..., Any], inputs: dict, name: str) -> None:
        self.pipe, self.run, self.inputs, self.__name__ = pipe, run, inputs, name
        self.function_id, self.outputs, self.dsp = name, pipe.outputs, pipe.dsp

    def __call__(self, *args: Any) -> Any:
        return self.run(*args)


class _Steps:
    """A formula pipe's function calls in the pipe's own order, without schedula's bookkeeping.

    schedula runs a compiled pipe node by node, recording a workflow graph on the way (about
    0.15 ms a formula, more than most formulas' own arithmetic). For a pipe that is a plain
    chain (one solution, single-output functions, filters only on computed values) this runs
    the same calls with the same rules: NONE arguments dropped, each value through its data
    node's filters, a failure raised as schedula's DispatcherError (which formulas turns into
    #NAME? or a cell without value, as before).
    """

    DATA_KEYS = {"type", "wait_inputs", "index", "filters"}
    FUNCTION_KEYS = {"type", "inputs", "outputs", "function", "wait_inputs", "index", "solve_cycle"}

    def __init__(self, pipe: Any) -> None:
        import schedula as sh  # noqa: PLC0415
        from schedula.utils.dsp import SubDispatch, parent_func  # noqa: PLC0415

        self.error, self.none = sh.DispatcherError, sh.NONE
        nodes, solution = pipe.dsp.nodes, pipe._sol  # noqa: SLF001 - the pipe's own solution
        if pipe.dsp.raises is not True or len(pipe.outputs) != 1:
            raise ValueError("not a plain pipe")
        self.inputs = list(pipe.inputs)
        self.defaults = {k: v["value"] for k, v in pipe.dsp.default_values.items()}
        self.output = pipe.outputs[0]
        known, self.steps = set(self.inputs) | set(self.defaults), []
        for task, _, sub_dispatchers in pipe.pipe:
            node_id, owner = task[-1]
            node = nodes[node_id]
            if owner is not solution or sub_dispatchers:
                raise ValueError("nested dispatcher")
            if node["type"] == "data":
                if not set(node) <= self.DATA_KEYS or node_id not in known:
                    raise ValueError("data node")
                if node.get("filters") and (node_id in self.inputs or node_id in self.defaults):
                    raise ValueError("filtered input")
                continue
            function = node.get("function")
            if (node["type"] != "function" or not set(node) <= self.FUNCTION_KEYS or len(node["outputs"]) != 1
                    or not all(k in known for k in node["inputs"])
                    or isinstance(parent_func(function), (SubDispatch, type)) or hasattr(function, "dsp")):
                raise ValueError("function node")
            out = node["outputs"][0]
            if out in known:
                raise ValueError("two sources")
            known.add(out)
            self.steps.append((node_id, function, tuple(node["inputs"]), out, tuple(nodes[out].get("filters", ()))))
        if self.output not in known:
            raise ValueError("output not reached")

    def __call__(self, *args: Any) -> Any:
        values = dict(self.defaults)
        values.update(zip(self.inputs, args))
        none = self.none
        for node_id, function, inputs, out, filters in self.steps:
            try:
                value = function(*[v for v in map(values.__getitem__, inputs) if v is not none])
                if value is none:
                    raise self.error("The pipe is not respected.")
                for f in filters:
                    value = f(value)
            except self.error:
                raise
            except Exception as exc:  # noqa: BLE001 - as schedula reports it
                raise self.error("Failed DISPATCHING '%s' due to:\n  %r", node_id, exc, ex=exc) from exc
            values[out] = value
        return values[self.output]


@functools.lru_cache(maxsize=None)
def _excel_model_class() -> type:
    """``formulas.ExcelModel`` that compiles each formula shape of a sheet once (see above)."""
    formulas = _formulas()
    import schedula as sh  # noqa: PLC0415
    from formulas.cell import CELL, Cell, wrap_cell_func  # noqa: PLC0415
    from formulas.ranges import Ranges  # noqa: PLC0415

    def names(references: list[str], context: dict) -> list[str]:
        return [Ranges().push(ref, context=context).ranges[0]["name"] for ref in references]

    class ShapeSharingModel(formulas.ExcelModel):
        def __init__(self) -> None:
            super().__init__()
            self.shapes: dict[tuple, tuple[Any, Any, list[str]] | None] = {}  # None: compile each copy

        def compile_cell(self, cell: Any, context: dict, references: dict, formula_references: dict) -> Any:
            value = cell.value
            if (cell.data_type != "f" or not isinstance(value, str) or value.startswith("==")
                    or cell.coordinate in formula_references):
                return super().compile_cell(cell, context, references, formula_references)
            tokens = _tokens(value)
            found = tokens is not None and _formula_shape(tokens, cell.row, cell.column) or None
            if found is None:
                return super().compile_cell(cell, context, references, formula_references)
            shape, refs = found
            key = (context["excel"], context["sheet"], shape)
            if key not in self.shapes:
                compiled = Cell(cell.coordinate, value, context=context)  # as ExcelModel._compile_cell
                reads_position = compiled.builder is not None and CELL in compiled.builder.dsp.nodes
                compiled.compile(references=references, context=context)
                self.shapes[key] = None if reads_position else self._template(compiled, refs, context, references)
                return compiled
            template = self.shapes[key]
            shared = template and self._share(template, cell, refs, context, references)
            return shared or super().compile_cell(cell, context, references, formula_references)

        @staticmethod
        def _template(compiled: Any, refs: list[str], context: dict, references: dict) -> Any:
            """(pipe, how to run it, input names by reference) when copies of ``compiled`` can share
            its pipe; ``compiled`` then runs its pipe the same way."""
            pipe = getattr(compiled.func, "func", None)
            if not isinstance(pipe, sh.DispatchPipe):
                return None
            try:
                ref_names = names(refs, context)
            except Exception:  # noqa: BLE001
                return None
            own = {k for k, v in pipe.inputs.items() if isinstance(v, Ranges) and k not in references}
            if own != set(ref_names) or any(r.ranges[0].get("anchor") for r in pipe.inputs.values()
                                            if isinstance(r, Ranges) and r.ranges):
                return None
            try:
                run = _Steps(pipe)
            except ValueError:
                return pipe, pipe, ref_names
            compiled.func = wrap_cell_func(_SharedPipe(pipe, run, pipe.inputs, pipe.function_id), compiled._args)
            return pipe, run, ref_names

        @staticmethod
        def _share(template: tuple, cell: Any, refs: list[str], context: dict, references: dict) -> Any:
            pipe, run, template_names = template
            try:
                new_names = names(refs, context)
            except Exception:  # noqa: BLE001
                return None
            renamed: dict[str, str] = {}
            for old, new in zip(template_names, new_names):
                if renamed.setdefault(old, new) != new:
                    return None
            if len(set(renamed.values())) != len(renamed):  # two inputs became one cell
                return None
            inputs = {}
            for old, rng in pipe.inputs.items():
                new = renamed.get(old, old)
                if new in inputs:
                    return None
                inputs[new] = Ranges().push(new, context=context) if old in renamed else rng
            compiled = Cell(cell.coordinate, None, context=context, check_formula=False)
            compiled.func = wrap_cell_func(_SharedPipe(pipe, run, inputs, f"={compiled.output}"), compiled._args)
            compiled.update_inputs(references=references)
            return compiled

    return ShapeSharingModel


# --------------------------------------------------------------------------------------------
# Reading the workbook
# --------------------------------------------------------------------------------------------

def _tokens(formula: str) -> list | None:
    """The formula's tokens (openpyxl's Excel tokenizer), None when it cannot read it."""
    try:
        return Tokenizer(formula).items
    except Exception:  # noqa: BLE001 - an unreadable formula is reported by the engine
        return None


def _function_names(tokens: list | None) -> list[str]:
    return [t.value[:-1].upper() for t in tokens or () if t.type == Token.FUNC and t.subtype == Token.OPEN]


def functions_used(formula: str) -> list[str]:
    """Upper-case names of the functions a formula calls (openpyxl's Excel tokenizer)."""
    return _function_names(_tokens(formula))


def _base_name(function: str) -> str:
    for prefix in ALIAS_PREFIXES:
        if function.upper().startswith(prefix.upper()):
            return function[len(prefix):].upper()
    return function.upper()


def _excel_value(value: Any) -> Any:
    """A cell value as the engine sees it: dates and times as Excel serial numbers."""
    return to_excel(value) if isinstance(value, (_dt.datetime, _dt.date, _dt.time)) else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return False
        return math.isclose(a, b, rel_tol=STALE_TOLERANCE, abs_tol=1e-12)
    return str(a) == str(b)


@fewer_collections()
def evaluate(path: str | Path, functions: dict[str, Callable[..., Any]] | None = None, *,
             workbook: Any = None) -> Evaluation:
    """Evaluate the workbook at ``path`` (never modified); see the module docstring.

    ``workbook`` is the same file already opened (formulas, not values), to save a read.
    """
    path = Path(path)
    functions = xlcompute_functions() if functions is None else {k.upper(): v for k, v in functions.items()}
    register(functions)

    wb = workbook if workbook is not None else open_workbook(path)
    links = find_external_links(wb)
    if links:  # the formula engine would open the linked files: never read other files
        raise WorkbookError(path, "the workbook links to other files, which xlcompute never opens",
                            expected="a self-contained workbook", found=f"external links to {', '.join(links)}",
                            hint="Break the links in Excel (Data > Edit Links > Break Link) and save")
    cached = open_workbook(path, data_only=True)
    values: dict[tuple[str, str], Any] = {}
    formulas_: dict[tuple[str, str], str] = {}
    number_formats: dict[tuple[str, str], str] = {}
    has_cache = False
    for ws in wb.worksheets:
        cached_ws = cached[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                key = (ws.title, cell.coordinate)
                number_formats[key] = cell.number_format
                value = cell.value
                if isinstance(value, str) and value.startswith("=") and cell.data_type == "f":  # not text typed as '=...
                    formulas_[key] = value
                    value = cached_ws[cell.coordinate].value
                    has_cache = has_cache or value is not None
                elif hasattr(value, "text"):  # ArrayFormula / DataTableFormula
                    formulas_[key] = str(value.text)
                    value = cached_ws[cell.coordinate].value
                    has_cache = has_cache or value is not None
                values[key] = value
    ranges = _name_ranges(wb)
    names = {name: where for name, where in ranges.items() if ":" not in where[1]}
    sheet_titles = {ws.title.upper(): ws.title for ws in wb.worksheets}

    issues: list[CellIssue] = []
    known = _engine_functions()
    calls_xlcompute: set[tuple[str, str]] = set()
    for (sheet, cell), text in formulas_.items():
        for function in functions_used(text):
            if _base_name(function) in functions:
                calls_xlcompute.add((sheet, cell))
            elif function not in known:
                issues.append(CellIssue(sheet, cell, f"the formula engine has no function {function}() in {text}"))

    mode = "cached" if has_cache else "headless"
    if not has_cache and formulas_:
        issues.extend(_evaluate_headless(path, values, formulas_, sheet_titles))

    xl_cells: list[XlcomputeCell] = []
    for (sheet, cell), text in formulas_.items():
        if (sheet, cell) not in calls_xlcompute:
            continue
        value = values.get((sheet, cell))
        xl_cell = XlcomputeCell(sheet, cell, text, value, recomputed=value if mode == "headless" else None)
        xl_cell._recompute = functools.partial(_recompute, xl_cell, values, ranges, sheet_titles)
        # Headless: the engine computed the cell with the same functions; its calls are
        # recorded only when a breakdown asks (or to explain an error). Cached: recompute
        # now, to compare with what Excel saved.
        if mode == "cached" or _is_error(xl_cell.value):
            xl_cell._recompute()
        if mode == "cached" and not xl_cell.error and not _same(xl_cell.value, xl_cell.recomputed):
            xl_cell.stale = True
        xl_cells.append(xl_cell)
        if xl_cell.error:
            issues.append(CellIssue(sheet, cell, xl_cell.error))

    for (sheet, cell) in formulas_:
        value = values.get((sheet, cell))
        if _is_error(value) and not any(i.sheet == sheet and i.cell == cell for i in issues):
            issues.append(CellIssue(sheet, cell, f"evaluates to the error {value} ({formulas_[(sheet, cell)]})"))
    order = {title: i for i, title in enumerate(wb.sheetnames)}
    issues.sort(key=lambda i: (order.get(i.sheet, 99), _cell_order(i.cell)))
    tables = {name: (ws.title, ref) for ws in wb.worksheets for name, ref in ws.tables.items()}
    return Evaluation(path, mode, values, formulas_, names, number_formats, xl_cells, issues, functions,
                      tables, list(wb.sheetnames))


def _cell_order(cell: str) -> tuple[int, int]:
    reference = parse_reference(cell)
    return (reference.first.row or 0, reference.first.column or 0) if reference else (0, 0)


def _engine_functions() -> set[str]:
    formulas = _formulas()

    return {name.upper() for name in formulas.get_functions()}


def _name_ranges(wb: Any) -> dict[str, tuple[str, str]]:
    """Workbook-level names with one destination -> (sheet, cell or range), upper-case names."""
    ranges = {}
    for name, defined in wb.defined_names.items():
        destinations = list(defined.destinations)
        if len(destinations) == 1:
            sheet, ref = destinations[0]
            ranges[name.upper()] = (sheet, ref.replace("$", ""))
    return ranges


def _evaluate_headless(path: Path, values: dict, formulas_: dict, sheet_titles: dict) -> list[CellIssue]:
    """Evaluate every formula with the ``formulas`` engine; fill ``values`` in place."""
    formulas = _formulas()

    issues = []
    with _quiet_engine():
        try:
            model = _excel_model_class()().loads(str(path)).finish()
            solution = model.calculate()
        except Exception as exc:  # noqa: BLE001 - the engine's failure is the user's answer
            located = [CellIssue(sheet, cell, f"the formula engine cannot read {text} (structured references "
                                              "such as Table[Column] and some newer functions are not supported)")
                       for (sheet, cell), text in formulas_.items() if not _parses(text)]
            return located or [CellIssue(*next(iter(formulas_)), f"the formula engine could not evaluate the "
                                                                 f"workbook: {exc}")]
    for key, ranges in solution.items():
        reference = parse_reference(str(key))  # '[book.xlsx]SHEET'!A1
        if reference is None or not reference.is_cell or reference.sheet is None:
            continue
        sheet = sheet_titles.get(reference.sheet.upper())
        ref = reference.coordinate
        if sheet is None or (sheet, ref) not in formulas_:
            continue
        value = getattr(ranges, "value", ranges)
        try:
            value = value[0, 0]
        except (TypeError, IndexError):
            pass
        values[(sheet, ref)] = _engine_value(value)
    for key in formulas_:
        if values.get(key) is None:
            # A formula with no result: the engine could not compile it (e.g. a structured
            # reference or a function it lacks).
            try:
                formulas.Parser().ast(formulas_[key])[1].compile()
            except Exception as exc:  # noqa: BLE001
                issues.append(CellIssue(key[0], key[1], f"the formula engine cannot evaluate {formulas_[key]}: {exc}"))
    return issues


def _parses(text: str) -> bool:
    formulas = _formulas()

    try:
        formulas.Parser().ast(text)
    except Exception:  # noqa: BLE001
        return False
    return True


def _engine_value(value: Any) -> Any:
    value = _plain(value)
    return str(value) if type(value).__name__ == "XlError" else value


def _input_value(ref: str, sheet: str, values: dict, ranges: dict, sheet_titles: dict) -> Any:
    """The value(s) an engine input names: a cell, a range or a defined name."""
    import numpy as np  # noqa: PLC0415

    sheet_part, area = split_sheet(ref)
    if sheet_part is not None:
        sheet, ref = sheet_titles.get(sheet_part.upper(), sheet_part), area
    elif ref.upper() in ranges and not is_cell(ref):
        sheet, ref = ranges[ref.upper()]
    ref = ref.replace("$", "")
    if ":" not in ref:
        value = values.get((sheet, ref))
        return _blank() if value is None else _excel_value(value)
    min_col, min_row, max_col, max_row = parse_reference(ref).bounds()
    grid = [[_excel_value(values.get((sheet, address(c, r))))
             if values.get((sheet, address(c, r))) is not None else _blank()
             for c in range(min_col, max_col + 1)] for r in range(min_row, max_row + 1)]
    return np.array(grid, dtype=object)


def _blank() -> Any:
    from schedula.utils.cst import EMPTY  # noqa: PLC0415

    return EMPTY


def _recompute(xl_cell: XlcomputeCell, values: dict, ranges: dict, sheet_titles: dict) -> None:
    """Evaluate one xlcompute cell from its inputs' values, recording the calls it makes."""
    formulas = _formulas()

    xl_cell._calls = []
    calls: list[Call] = []
    token = _RECORDER.set(calls)  # from compiling on: a call with constant arguments runs there
    try:
        compiled = formulas.Parser().ast(xl_cell.formula)[1].compile()
    except Exception as exc:  # noqa: BLE001
        _RECORDER.reset(token)
        xl_cell.error = f"the formula engine cannot evaluate {xl_cell.formula}: {exc}"
        return
    args = [_input_value(ref, xl_cell.sheet, values, ranges, sheet_titles) for ref in compiled.inputs]
    try:
        result = compiled(*args)
    except Exception as exc:  # noqa: BLE001
        xl_cell.error = f"the formula engine failed on {xl_cell.formula}: {exc}"
        return
    finally:
        _RECORDER.reset(token)
    try:
        result = result[0, 0] if getattr(result, "shape", ()) else result
    except (TypeError, IndexError):
        pass
    xl_cell.recomputed = _engine_value(result)
    xl_cell._calls = calls
    failed = [c for c in calls if _is_error(c.result)]
    if failed:
        xl_cell.error = f"{failed[0].function}() returned {failed[0].result}"
    elif _is_error(xl_cell.recomputed):
        xl_cell.error = f"evaluates to the error {xl_cell.recomputed} ({xl_cell.formula})"
