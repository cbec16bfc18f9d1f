"""The registry's building blocks: an Excel function's declaration and the outcome of one call.

An :class:`ExcelFunction` is plain Python: its Excel name, its implementation (whose signature
*is* the Excel signature, defaults included), a description per argument, its category and
what it returns. The xlwings adapter (:mod:`xlcompute.excel`), the headless workbook evaluator
and the CLI all read the same declarations; none of them repeats a name, a default or a doc.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.errors import XlcomputeError
from ..core.formula import Step, explain
from ..scenario.setups import Resolved, recording
from .calling import call_excel_function, is_blank
from .excel_values import ExcelError, is_error

#: Excel function category shown in the function wizard.
CATEGORY = "xlcompute"


@dataclass(frozen=True)
class Argument:
    """One argument of an Excel function as Excel users see it.

    ``core_names`` lists the argument names of setups and core formulas that this argument
    feeds, so an error raised there names the argument the user typed (``num_gpus`` -> ``gpus``).
    ``number`` marks an argument that takes only numbers (so TRUE/FALSE count as 1/0, as in
    Excel's arithmetic); one with a ``unit`` or a numeric default is a number without saying so.
    """

    name: str
    description: str
    unit: str = ""
    core_names: tuple[str, ...] = ()
    number: bool = False

    def renamed(self, name: str) -> "Argument":
        """The same description under another Excel name."""
        return Argument(name, self.description, self.unit, self.core_names, self.number)


@dataclass(frozen=True)
class Outcome:
    """One call of an Excel function: its value, its breakdown and what its setups resolved."""

    function: str
    args: tuple[Any, ...]
    value: Any
    step: Step | None
    resolved: tuple[Resolved, ...]
    error: str = ""


@dataclass(frozen=True)
class ExcelFunction:
    """An Excel function: name, implementation, argument descriptions, category and return shape."""

    name: str
    implementation: Callable[..., Any]
    description: str
    arguments: tuple[Argument, ...]
    returns: str = "number"  # "number", "text" or "table"
    vectorised: bool = False  # numeric ranges go to the implementation as arrays in one call
    single_with: str = ""  # for a table function: the argument that, when given, asks for one value
    category: str = CATEGORY
    _names: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        parameters = list(self.signature.parameters)
        declared = [a.name for a in self.arguments]
        if parameters != declared:
            raise TypeError(f"{self.name}: arguments {declared} do not match the implementation's {parameters}")
        for argument in self.arguments:
            for core_name in argument.core_names:
                self._names.setdefault(core_name, argument.name)

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - as a function's: breakdowns are titled by it
        return self.name

    @property
    def __signature__(self) -> inspect.Signature:  # noqa: PLW3201 - inspect.signature(fn) gives the Excel signature
        return self.signature

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        """The Excel signature: the implementation's, defaults included."""
        return inspect.signature(self.implementation)

    @functools.cached_property
    def defaults(self) -> dict[str, Any]:
        """Defaults of the optional arguments (None: the setup's or core's default applies)."""
        return {name: p.default for name, p in self.signature.parameters.items()
                if p.default is not inspect.Parameter.empty}

    @functools.cached_property
    def numeric_arguments(self) -> frozenset[str]:
        """Arguments that take only numbers: declared so, with a unit, or with a numeric default."""
        defaults = self.defaults
        return frozenset(a.name for a in self.arguments if a.number or a.unit or (
            isinstance(defaults.get(a.name), (int, float)) and not isinstance(defaults.get(a.name), bool)))

    def returns_table(self, kwargs: dict[str, Any]) -> bool:
        """True when this call spills a table (then every argument must be one cell)."""
        if self.returns != "table":
            return False
        return not self.single_with or is_blank(kwargs.get(self.single_with))

    def in_excel_terms(self, exc: XlcomputeError) -> XlcomputeError:
        """``exc`` with a setup's or core's argument name replaced by this function's Excel argument."""
        core_name = exc.argument or str(exc).split(":", 1)[0]
        if core_name in self.signature.parameters:
            return exc
        excel_name = self._names.get(core_name)
        if excel_name is None or not str(exc).startswith(core_name + ":"):
            return exc
        return exc.for_argument(excel_name)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Arguments by name as Excel passed them (omitted trailing arguments are blank)."""
        bound = self.signature.bind_partial(*args, **kwargs)
        return {name: bound.arguments.get(name) for name in self.signature.parameters}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The value Excel shows: a number, text, rows of a table, or an :class:`ExcelError` (never raises)."""
        try:
            named = self.bind(args, kwargs)
        except TypeError as exc:
            return ExcelError("#VALUE!", f"{self.name}: {exc}.")
        return call_excel_function(self, named)

    def run(self, *args: Any, **kwargs: Any) -> Outcome:
        """The same single call, with its formula breakdown and the catalog rows its setups used."""
        with recording() as resolved:
            step = explain(self, *args, **kwargs)
        value = step.result
        if is_error(value):
            return Outcome(self.name, args, value, None, tuple(resolved), value)
        return Outcome(self.name, args, value, step, tuple(resolved), first_error(value))


def first_error(value: Any) -> str:
    """The first error value inside a spilled result (rows of values), or ''."""
    if isinstance(value, (list, tuple)):
        for item in value:
            found = first_error(item)
            if found:
                return found
        return ""
    return value if is_error(value) else ""


#: Every Excel function by its Excel name, in registration order.
REGISTRY: dict[str, ExcelFunction] = {}


def excel_function(name: str, arguments: list[Argument], *, returns: str = "number", vectorised: bool = False,
                   single_with: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``implementation`` as the Excel function ``name`` (its docstring is the description)."""

    def register(implementation: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"Excel function {name} is registered twice")
        description = inspect.cleandoc(implementation.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        REGISTRY[name] = ExcelFunction(name, implementation, description, tuple(arguments), returns, vectorised,
                                       single_with)
        return implementation

    return register
