"""TEMPORARY stand-in for the function registry (the lead's ``xlcompute/functions/`` replaces it at merge).

It builds the registry's interface from today's :data:`xlcompute.udfs.FUNCTIONS`, so that the
workbook and report layers can be written against it now:

- ``REGISTRY[name]`` is an :class:`ExcelFunction` keyed by Excel name (``TRAIN_COST`` ...);
- ``fn(*args)`` gives the value Excel shows (an error as text starting with its code);
- ``fn.run(*args)`` gives an :class:`Outcome`: the same single call with its formula breakdown
  (``explain``) and the catalog rows it used (here looked up from the ``model``/``gpu``
  arguments and GPU_PRICE's arguments; the real registry's setups report what they resolved).

Because this stand-in wraps ``udfs``, importing it imports xlwings; the real registry does not.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from ..core.formula import Step, explain


@dataclass(frozen=True)
class Argument:
    name: str
    description: str = ""
    default: Any = inspect.Parameter.empty
    unit: str = ""


@dataclass(frozen=True)
class Resolved:
    """What a setup resolved for a call: ``gpu`` -> ``h100-sxm`` from a cited catalog row."""

    name: str
    value: Any
    source: str = ""
    date: str = ""


@dataclass(frozen=True)
class Outcome:
    """One call of an Excel function: its value, its breakdown and what it resolved."""

    function: str
    args: tuple[Any, ...]
    value: Any
    step: Step | None = None
    resolved: tuple[Resolved, ...] = ()
    error: str = ""


#: Functions whose result is a table (rows), and those whose result is text.
_TABLES = {"MODEL_INFO", "GPU_SPEC", "PLAN"}
_TEXTS = {"XLCOMPUTE_VERSION"}


def _is_error(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("#")


class ExcelFunction:
    """One Excel function of the registry (temporary: wraps an ``xlcompute.udfs`` function)."""

    def __init__(self, udf: Callable[..., Any]):
        self._udf = udf
        self.name = udf.__name__
        self.category = "xlcompute"
        self.returns = "table" if self.name in _TABLES else "text" if self.name in _TEXTS else "number"
        self.arguments = tuple(Argument(p.name, default=p.default)
                               for p in inspect.signature(udf).parameters.values())

    def __repr__(self) -> str:
        return f"<ExcelFunction {self.name}>"

    def __call__(self, *args: Any) -> Any:
        try:
            return self._udf(*args)
        except Exception as exc:  # noqa: BLE001 - e.g. too many arguments: a value, never a raise
            return f"#VALUE! {self.name}: {exc}"

    def run(self, *args: Any) -> Outcome:
        """The same single call as ``fn(*args)``, with its formula breakdown."""
        try:
            step = explain(self._udf, *args)
        except Exception as exc:  # noqa: BLE001
            return Outcome(self.name, args, f"#VALUE! {self.name}: {exc}", None, (), f"#VALUE! {self.name}: {exc}")
        value = step.result
        if _is_error(value):
            return Outcome(self.name, args, value, step, (), value)
        return Outcome(self.name, args, value, step, self._resolved(args), "")

    def _resolved(self, args: tuple[Any, ...]) -> tuple[Resolved, ...]:
        """Catalog rows behind the call's text ids (temporary; the setups know what they used)."""
        from .. import catalog  # noqa: PLC0415

        named = {a.name: v for a, v in zip(self.arguments, args)}
        found = []
        for argument, lookup in (("model", catalog.get_model), ("gpu", catalog.get_gpu)):
            value = named.get(argument)
            if isinstance(value, str) and value.strip():
                try:
                    item = lookup(value)
                except Exception:  # noqa: BLE001 - a number of parameters, a config path ...
                    continue
                found.append(Resolved(argument, item.id, str(item.source or ""), str(item.date or "")))
        if self.name == "GPU_PRICE":
            try:
                price = catalog.get_price(*(a for a in args if a is not None))
            except Exception:  # noqa: BLE001
                price = None
            if price is not None:
                label = " / ".join(str(v) for v in (price.gpu_id, price.provider, price.pricing) if v)
                found.append(Resolved("price", label, str(price.source or ""), str(price.date or "")))
        return tuple(found)


def _build() -> dict[str, ExcelFunction]:
    from ..udfs import FUNCTIONS  # noqa: PLC0415 - temporary: the real registry needs no xlwings

    return {name.upper(): ExcelFunction(fn) for name, fn in FUNCTIONS.items()}


REGISTRY: dict[str, ExcelFunction] = _build()

__all__ = ["REGISTRY", "ExcelFunction", "Outcome", "Resolved", "Argument"]
