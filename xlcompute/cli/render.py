"""Plain-text rendering of a formula breakdown (:class:`~xlcompute.core.formula.Step` tree).

Every CLI command that prints a breakdown uses :func:`render_step`; it formats the values the
formula call recorded and never recomputes anything.
"""

from __future__ import annotations

import math
from typing import Any

from ..core.formula import Step

_INDENT = "    "


def format_value(value: Any) -> str:
    """A short human-readable form of one input or result value."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e6:
            return f"{int(value):,}"
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    if hasattr(value, "shape") and hasattr(value, "size"):  # numpy array: summarise
        if getattr(value, "size", 0) <= 6:
            return "[" + ", ".join(format_value(v.item() if hasattr(v, "item") else v) for v in value.ravel()) + "]"
        return f"array of {value.size:,} values"
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalar
        return format_value(value.item())
    if hasattr(value, "id"):
        return str(value.id)
    if hasattr(value, "to_dict"):  # result dataclasses such as GpuRequirement
        return format_value(value.to_dict())
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def _unit(unit: str) -> str:
    return f" {unit}" if unit and unit != "-" else ""


def _lines(step: Step, depth: int, seen: set[tuple[str, ...]]) -> list[str]:
    pad = _INDENT * depth
    info = step.info
    lines: list[str] = []
    if not info.equation and not info.terms:  # synthetic root from explain() of a plain function
        lines.append(f"{pad}{info.title} = {format_value(step.result)}")
        for child in step.children:
            lines.extend(_lines(child, depth + 1, seen))
        return lines
    result = info.result
    headline = f"{pad}{info.title}: {result.symbol} = {format_value(step.result)}{_unit(result.unit)}"
    key = (info.name, *(f"{name}={format_value(value)}" for name, value in step.inputs.items()))
    if key in seen:  # the same call shown in full above (e.g. a parameter count used twice)
        return [f"{headline}  (as above)"]
    seen.add(key)
    lines.append(headline)
    lines.append(f"{pad}  {info.equation}")
    width = max((len(info.terms[n].symbol) if n in info.terms else len(n) for n in step.inputs), default=0)
    for name, value in step.inputs.items():
        term = info.terms.get(name)
        symbol = term.symbol if term else name
        unit = _unit(term.unit) if term and not isinstance(value, (str, bool)) and value is not None else ""
        description = f"  ({term.description})" if term and term.description else ""
        lines.append(f"{pad}  {symbol.ljust(width)} = {format_value(value)}{unit}{description}")
    if info.assumptions:
        lines.append(f"{pad}  assumes: {info.assumptions}")
    if info.reference:
        lines.append(f"{pad}  source: {info.reference}")
    for child in step.children:
        lines.extend(_lines(child, depth + 1, seen))
    return lines


def render_step(step: Step) -> str:
    """The breakdown as indented text: title, result, equation, inputs, source, nested steps.

    A step repeated with the same inputs is shown once in full, then as one line "(as above)".
    """
    return "\n".join(_lines(step, 0, set()))
