"""The @formula decorator: one function per formula, and its breakdown from the same call.

Every core formula is a plain, typed function. ``@formula`` attaches its metadata
(equation, symbols, units, reference) and nothing else: calling the function runs the
arithmetic once and returns a number. ``explain(fn, ...)`` runs *the same call* with a
trace switched on and returns a :class:`Step` tree: the equation in symbols, every input
with its value and unit, the result, the reference, and the steps of any formulas the
function called. Display code (CLI, report) renders that tree; it never redoes arithmetic.

Standard library only: the same code runs in xlwings Lite (Pyodide).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Term:
    """One named quantity of a formula: its symbol, unit and meaning."""

    symbol: str
    unit: str
    description: str


@dataclass(frozen=True)
class FormulaInfo:
    """Metadata of one formula function."""

    name: str
    title: str
    equation: str
    result: Term
    terms: dict[str, Term]
    reference: str
    assumptions: str = ""


@dataclass
class Step:
    """One evaluated formula: inputs as called, result as returned, and nested steps."""

    info: FormulaInfo
    inputs: dict[str, Any]
    result: Any = None
    children: list["Step"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.info.name

    def walk(self):
        """This step and every nested step, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (values converted with ``_plain``)."""
        info = self.info
        return {
            "function": info.name,
            "title": info.title,
            "equation": info.equation,
            "inputs": [
                {
                    "name": name,
                    "symbol": info.terms[name].symbol if name in info.terms else name,
                    "unit": info.terms[name].unit if name in info.terms else "",
                    "description": info.terms[name].description if name in info.terms else "",
                    "value": _plain(value),
                }
                for name, value in self.inputs.items()
            ],
            "result": {
                "symbol": info.result.symbol,
                "unit": info.result.unit,
                "description": info.result.description,
                "value": _plain(self.result),
            },
            "reference": info.reference,
            "assumptions": info.assumptions,
            "steps": [child.to_dict() for child in self.children],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "id"):
        return str(value.id)
    return str(value)


# The list that collects steps of the formula being explained; None when not tracing.
_TRACE: contextvars.ContextVar[list[Step] | None] = contextvars.ContextVar("xlcompute_trace", default=None)

REGISTRY: dict[str, Callable[..., Any]] = {}


def formula(
    *,
    title: str,
    equation: str,
    result: tuple[str, str, str],
    terms: dict[str, tuple[str, str, str]],
    reference: str,
    assumptions: str = "",
) -> Callable[[F], F]:
    """Declare a core formula.

    ``result`` and each entry of ``terms`` are ``(symbol, unit, description)``; ``terms``
    is keyed by the function's argument names (every argument must be described).
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        missing = [p for p in signature.parameters if p not in terms]
        if missing:
            raise TypeError(f"formula {fn.__name__}: no term for argument(s) {missing}")
        info = FormulaInfo(
            name=fn.__name__,
            title=title,
            equation=equation,
            result=Term(*result),
            terms={name: Term(*t) for name, t in terms.items()},
            reference=reference,
            assumptions=assumptions,
        )

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            parent = _TRACE.get()
            if parent is None:
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            step = Step(info=info, inputs=dict(bound.arguments))
            token = _TRACE.set(step.children)
            try:
                step.result = fn(*bound.args, **bound.kwargs)
            finally:
                _TRACE.reset(token)
            parent.append(step)
            return step.result

        wrapper.__formula__ = info  # type: ignore[attr-defined]
        wrapper.explain = functools.partial(explain, wrapper)  # type: ignore[attr-defined]
        REGISTRY[fn.__name__] = wrapper
        return wrapper  # type: ignore[return-value]

    return decorate


def explain(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Step:
    """Call ``fn(*args, **kwargs)`` once and return its breakdown.

    ``fn`` may be a formula or any function that calls formulas; in the latter case the
    returned step is a synthetic root whose children are the formulas called.
    """
    root: list[Step] = []
    token = _TRACE.set(root)
    try:
        value = fn(*args, **kwargs)
    finally:
        _TRACE.reset(token)
    if len(root) == 1 and getattr(fn, "__formula__", None) is root[0].info:
        return root[0]
    info = FormulaInfo(
        name=getattr(fn, "__name__", "calculation"),
        title=getattr(fn, "__name__", "calculation"),
        equation="",
        result=Term("", "", ""),
        terms={},
        reference="",
    )
    return Step(info=info, inputs={}, result=value, children=root)
