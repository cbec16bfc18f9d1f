"""``xlcompute calc``: evaluate any core formula from the command line, with its breakdown.

    xlcompute calc train_flops --params 7e10 --tokens 1.4e12
    xlcompute calc kv_cache_bytes --arch llama-3.1-70b --context-tokens 8192 --json
    xlcompute calc --list
"""

from __future__ import annotations

import inspect
import json
import math
import re
from typing import Any, Callable

import click

from ..core import REGISTRY
from ..core.errors import XlcomputeError, closest
from ..core.formula import explain
from ..core.memory import to_memory_unit
from . import main
from .render import format_value, render_step

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _flag(name: str) -> str:
    """The option as the user types it: ``request_flops`` -> ``--request-flops``."""
    return "--" + name.replace("_", "-")


def _relabel(exc: XlcomputeError, name: str) -> XlcomputeError:
    """``exc`` reported against option ``--name`` ("model: unknown model ..." -> "--arch: unknown model ...")."""
    relabelled = exc.for_argument(_flag(name))
    relabelled.argument = name
    return relabelled


def _formula(name: str) -> Callable[..., Any]:
    key = name.strip().replace("-", "_")
    if key in REGISTRY:
        return REGISTRY[key]
    hints = closest(key, REGISTRY)
    hint = f" Did you mean {', '.join(repr(h) for h in hints)}?" if hints else ""
    raise XlcomputeError(f"formula: unknown formula {name!r}.{hint} Run `xlcompute calc --list` to list them.",
                         argument="formula", suggestions=hints)


def _split_args(tokens: list[str]) -> dict[str, str]:
    """``--name value`` / ``--name=value`` pairs; dashes in names become underscores."""
    values: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("--") or token == "--":
            raise XlcomputeError(f"calc: expected an option like --params, found {token!r}.", argument=token)
        name, sep, value = token[2:].partition("=")
        if not sep:
            if i + 1 >= len(tokens):
                raise XlcomputeError(f"{_flag(name)}: no value given.", argument=name)
            value = tokens[i + 1]
            i += 1
        values[name.replace("-", "_")] = value
        i += 1
    return values


def _kind(parameter: inspect.Parameter) -> str:
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if "ModelArch" in text:
        return "arch"
    if "Accelerator" in text:
        return "gpu"
    if text == "bool" or isinstance(parameter.default, bool):
        return "bool"
    if text in ("float", "int"):
        return "number"
    return "any"


# Numeric arguments that may also be given as a catalog id: --params llama-3.1-70b, --peak-flops-per-gpu h100-sxm.
_FROM_MODEL = {"params": "total_params", "active_params": "active_params"}
_FROM_GPU = {
    "peak_flops_per_gpu": lambda gpu: gpu.peak_flops("bf16"),
    "peak_flops": lambda gpu: gpu.peak_flops("bf16"),
    "gpu_memory_bytes": lambda gpu: gpu.memory_bytes,
    "bandwidth_bytes_per_s": lambda gpu: gpu.bandwidth_bytes_per_s,
}


def _from_catalog(name: str, text: str) -> float | None:
    """The number a catalog id stands for in argument ``name``, or None if ``name`` takes no ids."""
    if name in _FROM_MODEL:
        from ..catalog import get_model

        return float(getattr(get_model(text), _FROM_MODEL[name]))
    if name in _FROM_GPU:
        from ..catalog import get_gpu

        return float(_FROM_GPU[name](get_gpu(text)))
    return None


def _number(name: str, text: str) -> float | int:
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError as exc:
        raise XlcomputeError(f"{_flag(name)}: expected a number, found {text!r}.", argument=name) from exc
    return int(value) if value.is_integer() and abs(value) < 2**53 and "." not in text and "e" not in text.lower() \
        else value


def _convert(name: str, parameter: inspect.Parameter, text: str) -> Any:
    kind = _kind(parameter)
    if kind in ("arch", "gpu"):
        from ..catalog import get_gpu, get_model  # lazy: the catalog layer sits above the core

        try:
            return get_model(text).arch if kind == "arch" else get_gpu(text)
        except XlcomputeError as exc:
            raise _relabel(exc, name) from None
    if kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise XlcomputeError(f"{_flag(name)}: expected true or false, found {text!r}.", argument=name)
    if kind == "number":
        try:
            return _number(name, text)
        except XlcomputeError as not_a_number:
            try:
                from_catalog = _from_catalog(name, text)
            except XlcomputeError as not_an_id:
                raise XlcomputeError(f"{_flag(name)}: expected a number or a catalog id, found {text!r}. "
                                     f"{not_an_id}", argument=name, suggestions=not_an_id.suggestions) from None
            if from_catalog is None:
                raise not_a_number
            return from_catalog
    try:  # untyped (e.g. precision may be a name or a number of bits)
        return _number(name, text)
    except XlcomputeError:
        return None if text.lower() == "none" else text


# Formulas that also run from catalog ids, through the registry's Excel function (same
# arguments, same setup): `calc gpus_needed --model llama-3.1-70b --gpu h100-sxm` (GPUS_NEEDED).
_BY_ID = {"gpus_needed": "GPUS_NEEDED"}
_ID_HINTS = {"model": "a model id, e.g. llama-3.1-70b", "gpu": "a GPU id, e.g. h100-sxm"}


def _excel_function(name: str) -> Any:
    """The registry's Excel function that runs formula ``name`` from catalog ids."""
    from ..functions import REGISTRY as EXCEL_FUNCTIONS  # noqa: PLC0415 - numpy; only for id-level calls

    return EXCEL_FUNCTIONS[_BY_ID[name]]


def _by_id(name: str) -> Callable[..., Any]:
    return _excel_function(name).implementation


def _usage(fn: Callable[..., Any]) -> str:
    info = getattr(fn, "__formula__", None)
    title = info.title if info else re.sub(r":\w+:`([^`]*)`|``([^`]*)``", r"\1\2", (inspect.getdoc(fn) or "").split("\n")[0])
    lines = [f"{fn.__name__}: {title}"] + ([f"  {info.equation}"] if info else []) + ["  arguments:"]
    for name, parameter in inspect.signature(fn).parameters.items():
        term = info.terms[name] if info else None
        default = "" if parameter.default is inspect.Parameter.empty else f" (default {parameter.default!r})"
        kind = _kind(parameter)
        what = {"arch": _ID_HINTS["model"], "gpu": _ID_HINTS["gpu"]}.get(kind, term.unit if term else "")
        what = _ID_HINTS.get(name, what)
        described = f"{term.symbol} [{what}] {term.description}" if term else f"[{what}]" if what else ""
        lines.append(f"    {_flag(name)}" + (f"  {described}" if described else "") + default)
    if info and info.name in _BY_ID:
        by_id = _by_id(info.name)
        flags = " ".join(f"[{_flag(n)} ...]" for n, p in inspect.signature(by_id).parameters.items()
                         if p.default is not inspect.Parameter.empty)
        lines.append(f"  or from catalog ids (as the Excel function does): xlcompute calc {info.name} "
                     f"--model ID --gpu ID {flags}")
    return "\n".join(lines)


def _arguments(fn: Callable[..., Any], raw: dict[str, str]) -> dict[str, Any]:
    parameters = inspect.signature(fn).parameters
    unknown = [n for n in raw if n not in parameters]
    if unknown:
        hints = closest(unknown[0], parameters)
        hint = f" Did you mean {_flag(hints[0])}?" if hints else ""
        raise XlcomputeError(f"{_flag(unknown[0])}: {fn.__name__} has no such argument.{hint}\n"
                             + _usage(fn), argument=unknown[0], suggestions=hints)
    missing = [n for n, p in parameters.items() if p.default is inspect.Parameter.empty and n not in raw]
    if missing:
        flags = ", ".join(_flag(n) for n in missing)
        raise XlcomputeError(f"{fn.__name__}: missing {flags}.\n" + _usage(fn), argument=missing[0])
    converted = {name: _convert(name, parameters[name], text) for name, text in raw.items()}
    # A GPU id given for the peak also sets the default MFU, through the same setup the Excel functions use.
    peak = raw.get("peak_flops_per_gpu")
    if "mfu" in parameters and "mfu" not in raw and peak is not None:
        try:
            _number("peak_flops_per_gpu", peak)
        except XlcomputeError:  # not a number, so a catalog id (already resolved above)
            from ..scenario.setups import training_setup  # noqa: PLC0415

            converted["mfu"] = training_setup(peak).mfu
    return converted


def _out_of_range(name: str) -> XlcomputeError:
    return XlcomputeError(f"{name}: the inputs are too large or too small to compute with: a product passes the "
                          "largest number a double holds (about 1.8e308) or a quotient's divisor rounds to 0 "
                          "(below about 1e-308); check their units.", argument=name)


def _check_finite(name: str, result: Any) -> None:
    """Refuse a result that overflowed a double (inf) or is undefined (NaN), e.g. 1e300 x 1e300."""
    values = result if isinstance(result, (list, tuple)) else [result]
    if any(isinstance(value, float) and not math.isfinite(value) for value in values):
        raise _out_of_range(name)


def _list(as_json: bool) -> None:
    rows = [(name, fn.__formula__) for name, fn in sorted(REGISTRY.items())]
    if as_json:
        click.echo(json.dumps([{"function": n, "title": i.title, "equation": i.equation, "unit": i.result.unit,
                                "reference": i.reference} for n, i in rows], indent=2, ensure_ascii=False))
        return
    width = max(len(n) for n, _ in rows)
    for name, info in rows:
        click.echo(f"{name.ljust(width)}  {info.title} [{info.result.unit}]: {info.equation}")


@main.command(
    "calc",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("formula_name", metavar="FORMULA", required=False)
@click.option("--list", "list_formulas", is_flag=True, help="List every formula.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the breakdown as JSON).")
@click.pass_context
def calc(ctx: click.Context, formula_name: str | None, list_formulas: bool, as_json: bool) -> None:
    """Evaluate FORMULA with --argument value pairs and print the value with its breakdown.

    Example: xlcompute calc train_flops --params 7e10 --tokens 1.4e12

    Arguments that take a model architecture accept catalog ids (--arch llama-3.1-70b);
    so do --params/--active-params (the model's counts) and --peak-flops-per-gpu,
    --peak-flops, --gpu-memory-bytes, --bandwidth-bytes-per-s (a GPU's bf16 dense peak,
    memory and bandwidth, e.g. h100-sxm). Run with only FORMULA to see its arguments.

    Results in bytes are also shown in --unit (GB = 1e9 bytes by default; GiB, MB, MiB, TB).
    gpus_needed also runs from catalog ids, as the Excel GPUS_NEEDED does:
    xlcompute calc gpus_needed --model llama-3.1-70b --gpu h100-sxm --context-tokens 8192
    --concurrent-requests 16
    """
    if list_formulas:
        _list(as_json)
        return
    if not formula_name:
        raise XlcomputeError("calc: name a formula (e.g. `xlcompute calc train_flops --params 7e10 --tokens 1.4e12`)"
                             " or use --list.", argument="formula")
    fn = _formula(formula_name)
    info = fn.__formula__
    raw = _split_args(list(ctx.args))
    target = fn
    if info.name in _BY_ID and "model" in raw:
        target = _by_id(info.name)
    memory_unit = raw.pop("unit", "GB") if "unit" not in inspect.signature(target).parameters else None
    kwargs = _arguments(target, raw)
    try:
        step = explain(target, **kwargs)
        in_unit = None
        if info.result.unit == "B" and memory_unit is not None:
            in_unit = to_memory_unit(step.result, memory_unit)
    except XlcomputeError as exc:
        if target is not fn:  # the Excel function: its errors name its own arguments
            exc = _excel_function(info.name).in_excel_terms(exc)
        if exc.argument in kwargs or exc.argument == "unit":
            raise _relabel(exc, exc.argument) from None
        raise
    except (ArithmeticError, ValueError) as exc:  # a double overflowed to inf or underflowed to 0 on the way
        if isinstance(exc, ValueError) and not re.search(r"\b(NaN|infinity)\b", str(exc)):
            raise
        raise _out_of_range(info.name) from None
    _check_finite(info.name, step.result)
    if as_json:
        data = step.to_dict()
        if in_unit is not None:
            data["result"]["in_unit"] = {"unit": memory_unit, "value": in_unit}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    unit = "" if info.result.unit == "-" else info.result.unit
    shown = f" = {format_value(in_unit)} {memory_unit}" if in_unit is not None else ""
    click.echo(f"{info.result.symbol} = {format_value(step.result)} {unit}{shown}".rstrip())
    click.echo()
    click.echo(render_step(step))
