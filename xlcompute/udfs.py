"""Excel functions (xlwings): thin adapters over the xlcompute core, catalog and serving model.

Name this module, ``xlcompute.udfs``, in the xlwings add-in's "UDF Modules" setting (classic
COM add-in on Windows), or load it from an xlwings Lite ``main.py`` with
``from xlcompute.udfs import *`` (Excel on Windows, Mac and the web). ``import xlwings as xw``
picks the right decorators for each flavour; elsewhere (Linux, tests, the headless workbook
evaluator) they do nothing and every function is a plain Python function.

Conventions of every function (see the README section "Excel functions" and docs/excel.md):

- **No arithmetic here.** Each function resolves catalog ids, fills documented defaults and
  calls one core/serving function; unit conversions are core functions too.
- **Ranges.** Every argument accepts one cell or a range (except in the functions that return
  a table: MODEL_INFO and GPU_SPEC without a field, PLAN). Ranges of equal shape (or a range
  and single cells, or a column and a row) give one spilled result of the broadcast shape in a
  single call. Plain-arithmetic formulas get whole float arrays in one core call; the rest are
  mapped element by element. Classic COM ranges are converted here in bulk ("raw"), Office.js
  ranges by xlwings' numpy converter.
- **Blank means default.** An omitted argument, an empty cell (``None`` from COM, ``NaN`` from
  xlwings' numpy converter, ``""``) and the COM "missing" marker all take the documented default
  (``None`` in a signature: the core's own default, stated in the argument's description).
- **Errors are values.** Bad input gives the text ``"#VALUE! <argument>: <what was wrong>"``
  (with the closest valid ids for unknown ids) in the cell, or in the failing element of a
  spilled range, never a traceback. An input cell holding an Excel error (``#N/A``...) gives
  that error back. Use :func:`is_error` to recognise them.

``FUNCTIONS`` maps every Excel name to its function for the headless formula engine, and
``xlcompute.core.formula.explain(FUNCTIONS[name], *args)`` gives the breakdown of the core
formulas one call used.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
from typing import Any, Callable

import numpy as np
import xlwings as xw

from . import __version__, catalog, planner, serving
from .core import communication, inference, memory, training
from .core.efficiency import DEFAULT_SERVING_EFFICIENCY, TRAINING_MFU, training_mfu
from .core.errors import XlcomputeError, check_choice, check_number, unknown_id
from .core.hardware import Accelerator

CATEGORY = "xlcompute"

#: What classic COM passes for an omitted ``Optional`` argument (DISP_E_PARAMNOTFOUND).
COM_MISSING = -2147352572

#: Excel's error values; an argument holding one is passed through unchanged.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
                "#CALC!", "#BUSY!", "#FIELD!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#PYTHON!")

#: COM codes of Excel's error values as classic COM passes them (xlwings._xlwindows.cell_errors).
COM_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}

#: True under xlwings Lite/Server (Office.js decorators), False for classic COM and plain Python.
OFFICE_JS = getattr(xw.func, "__module__", "").endswith("udfs_officejs")

#: Office.js (Lite/Server) hands over JSON (empty cells as null, errors as objects): xlwings
#: cleans it into a 2-D object array (empty -> NaN, errors -> "#N/A") and writes the result.
OFFICE_JS_RANGE: dict[str, Any] = {"convert": np.array, "ndim": 2, "dtype": object, "err_to_str": True}
#: Classic COM hands over rows of values (None = empty, int codes = errors) and takes rows of
#: Python values back; both are handled here in bulk ("raw"): xlwings' per-cell cleaning costs
#: about 2 us a cell, more than the formulas themselves.
COM_RANGE: dict[str, Any] = {"convert": "raw"}

#: Converter options of every argument (one cell or a range) and of every result.
RANGE = OFFICE_JS_RANGE if OFFICE_JS else COM_RANGE
RESULT: dict[str, Any] = {} if OFFICE_JS else {"convert": "raw"}


# --------------------------------------------------------------------------------------------
# Adapter machinery: blanks, errors, broadcasting. No formulas here.
# --------------------------------------------------------------------------------------------


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


def is_error(value: Any) -> bool:
    """True for an Excel error value returned by (or passed to) an xlcompute function."""
    return isinstance(value, str) and value.startswith(EXCEL_ERRORS)


def _excel_error(value: Any) -> str | None:
    """The Excel error code an input holds (``"#N/A"``), or None."""
    if isinstance(value, str):
        return next((code for code in EXCEL_ERRORS if value.startswith(code)), None)
    if type(value) is int:  # COM passes error cells as int codes, numbers as floats
        return COM_ERRORS.get(value)
    return None


#: Core argument names as the Excel functions call them (an error names what the user typed).
EXCEL_ARGUMENT_NAMES: dict[str, str] = {
    "num_gpus": "gpus", "tp": "gpus", "params": "model", "active_params": "model", "arch": "model",
    "weight_precision": "precision", "kv_memory_fraction": "usable_fraction", "users": "requests_per_s",
    "sequence_tokens": "context_tokens",
}
#: Per-function exceptions to :data:`EXCEL_ARGUMENT_NAMES`.
EXCEL_ARGUMENT_NAMES_BY_FUNCTION: dict[str, dict[str, str]] = {
    "GPUS_NEEDED": {"batch": "concurrent_requests"},
    "INFER_FLOPS": {"io_tokens": "tokens"},
}


def excel_argument(function: str, argument: str, excel_arguments: Any = ()) -> str:
    """The Excel argument of ``function`` a core ``argument`` stands for (itself if the Excel function has it)."""
    special = EXCEL_ARGUMENT_NAMES_BY_FUNCTION.get(function, {})
    if argument in special:
        return special[argument]
    if argument in excel_arguments:
        return argument
    return EXCEL_ARGUMENT_NAMES.get(argument, argument)


def _renamed(exc: XlcomputeError, function: str, excel_arguments: Any) -> XlcomputeError:
    """``exc`` with its core argument name replaced by the Excel function's."""
    core_name = exc.argument or str(exc).split(":", 1)[0]
    excel_name = excel_argument(function, core_name, excel_arguments)
    message = str(exc)
    if excel_name == core_name or not message.startswith(core_name + ":"):
        return exc
    return exc.for_argument(excel_name)


def error_value(exc: BaseException, function: str = "") -> str:
    """The Excel-visible error text for an exception: ``"#VALUE! tokens: must be ..."``."""
    if isinstance(exc, XlcomputeError):
        return f"#VALUE! {exc}"
    if isinstance(exc, (ZeroDivisionError, OverflowError)):
        return f"#NUM! {function}: the result is not a finite number ({exc})."
    # A defect, not bad input: still a value in the cell, never a traceback.
    return f"#VALUE! {function}: unexpected {type(exc).__name__}: {exc}"


@functools.lru_cache(maxsize=None)
def _defaults(udf: Callable[..., Any]) -> dict[str, Any]:
    """Defaults of an Excel function's optional arguments (None: the core's default applies)."""
    return {name: p.default for name, p in inspect.signature(udf).parameters.items()
            if p.default is not inspect.Parameter.empty}


_CORE_DEFAULT = object()  # blank optional whose default the core owns: leave the keyword out
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


def _call_one(core: Callable[..., Any], udf: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """One call of ``core`` with single values; any failure becomes an Excel error value."""
    defaults = _defaults(udf)
    call = {}
    for name, value in kwargs.items():
        value = _filled(name, value, defaults)
        if value is _REQUIRED:
            return f"#VALUE! {name}: required, found an empty cell."
        code = _excel_error(value)
        if code is not None:
            return f"{code} {name}: the input is the error value {code}."
        if value is not _CORE_DEFAULT:
            call[name] = value
    try:
        result = core(**call)
    except XlcomputeError as exc:
        return error_value(_renamed(exc, udf.__name__, defaults.keys() | kwargs.keys()), udf.__name__)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a cell value (error_value)
        return error_value(exc, udf.__name__)
    # Excel numbers are doubles; a Python int above 2**31 would reach COM as a 64-bit integer.
    return float(result) if type(result) is int else result


_NUMERIC_TYPES = frozenset({float, int, type(None), np.float64})


def _as_range(value: Any) -> Any:
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


def _shape_error(udf: Callable[..., Any], arrays: dict[str, np.ndarray]) -> str:
    shapes = ", ".join(f"{name} {'x'.join(map(str, a.shape))}" for name, a in arrays.items())
    return (f"#VALUE! {udf.__name__}: ranges must have the same shape (or be one row and one column), "
            f"found {shapes}.")


def _result(value: Any) -> Any:
    """A result as plain Python values for Excel: arrays as rows (lists), numpy scalars as floats."""
    if isinstance(value, np.ndarray):
        if value.ndim != 2:
            return value.tolist()
        cells = iter(value.ravel().tolist())
        return list(zip(*[cells] * value.shape[1]))  # rows as tuples: the cheapest 2-D form for COM
    if isinstance(value, np.generic):
        return value.item()
    return value


def call(core: Callable[..., Any], udf: Callable[..., Any], *, vectorised: bool = False, table: bool = False,
         **kwargs: Any) -> Any:
    """Call ``core`` for the Excel function ``udf`` with the arguments as Excel passed them.

    Keyword names are the core's argument names; the Excel function uses the same names, so
    its signature gives the defaults of blank arguments (None: the core's own default). Single
    values give a single result. Ranges give rows of results of the broadcast shape (equal
    shapes, or a column and a row for a grid). With ``vectorised=True`` numeric ranges go to
    ``core`` as float arrays in one call (plain-arithmetic formulas); if that call rejects the
    input, or a range holds text, blanks without a numeric default or error cells, the ranges
    are mapped element by element so each failing element carries its own error. With
    ``table=True`` the result is itself a table (rows), so every argument must be one cell.
    """
    kwargs = {name: _as_range(value) for name, value in kwargs.items()}
    arrays = {name: v for name, v in kwargs.items() if isinstance(v, np.ndarray)}
    if not arrays:
        return _result(_call_one(core, udf, kwargs))
    if table:
        name = next(iter(arrays))
        return f"#VALUE! {name}: {udf.__name__} returns a table, so it takes one cell here, found a range."
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        return _shape_error(udf, arrays)
    if vectorised:
        defaults = _defaults(udf)
        numbers = {name: _numbers(name, a, defaults) for name, a in arrays.items()}
        singles = {n: _filled(n, v, defaults) for n, v in kwargs.items() if n not in arrays}
        if all(v is not None for v in numbers.values()) and not any(
                v is _REQUIRED or _excel_error(v) for v in singles.values()):
            singles = {n: v for n, v in singles.items() if v is not _CORE_DEFAULT}
            try:
                return _result(np.broadcast_to(core(**singles, **numbers), shape))
            except Exception:  # noqa: BLE001 - bad elements: located one by one below
                pass
    out = np.empty(shape, dtype=object)
    columns = {name: np.broadcast_to(a, shape) for name, a in arrays.items()}
    for index in np.ndindex(shape):
        row = {n: (columns[n][index] if n in columns else v) for n, v in kwargs.items()}
        out[index] = _call_one(core, udf, row)
    return _result(out)


# --------------------------------------------------------------------------------------------
# Resolving what a cell names (catalog look-ups, core defaults). No formulas here.
# --------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.ndarray, np.number)) and not isinstance(value, bool)


def _model(model: Any) -> catalog.Model:
    return catalog.get_model(model)


def _params(model: Any, which: str = "total") -> Any:
    """A parameter count: the number itself, or the catalog model's total/active count."""
    if _is_number(model):
        return model
    found = _model(model)
    return found.active_params if which == "active" else found.total_params


def _gpu(gpu: Any) -> Accelerator:
    return catalog.get_gpu(gpu)


def _mfu(mfu: Any, gpu: Accelerator) -> Any:
    """The MFU given, or the typical MFU of the GPU's generation (core.efficiency.training_mfu)."""
    return training_mfu(gpu.generation).base if mfu is None else mfu


def _price(usd_per_gpu_hour: Any, gpu: Accelerator, provider: Any = None, pricing: Any = "on_demand") -> Any:
    """The price given, or the catalog's (median on-demand) price of the GPU."""
    if usd_per_gpu_hour is not None:
        return usd_per_gpu_hour
    return catalog.get_price(gpu, provider, pricing).usd_per_gpu_hour


def _in_unit(num_bytes: Any, unit: Any) -> Any:
    return memory.to_memory_unit(num_bytes, "GB" if unit is None else unit)


def _require(argument: str, value: Any, why: str) -> None:
    if value is None:
        raise XlcomputeError(f"{argument}: required {why}.", argument=argument)


def _table(pairs: list[tuple[str, Any]]) -> list[list[Any]]:
    """Field/value rows for a spilled two-column table (empty values as blanks)."""
    return [["field", "value"]] + [[k, "" if v is None else v] for k, v in pairs]


def _field(kind: str, fields: dict[str, Any], field: str) -> Any:
    key = str(field).strip().lower()
    if key not in fields:
        raise unknown_id(f"{kind} field", "field", field, list(fields))
    value = fields[key]
    if value is None or value == "":
        raise XlcomputeError(f"field: {kind} has no published {key}.", argument="field")
    return value


# Core calls behind each Excel function (resolve ids, then call the core; nothing else).

def _train_gpu_hours(flops, gpu, mfu=None, precision="bf16"):
    accelerator = _gpu(gpu)
    return training.gpu_hours(flops, accelerator.peak_flops(precision), _mfu(mfu, accelerator))


def _train_days(flops, gpus, gpu, mfu=None, precision="bf16"):
    accelerator = _gpu(gpu)
    return training.training_days(flops, gpus, accelerator.peak_flops(precision), _mfu(mfu, accelerator))


def _gpus_for_deadline(flops, days, gpu, mfu=None, precision="bf16"):
    accelerator = _gpu(gpu)
    return training.gpus_for_deadline(flops, days, accelerator.peak_flops(precision), _mfu(mfu, accelerator))


def _train_cost(flops, gpu, usd_per_gpu_hour=None, mfu=None, precision="bf16", provider=None, pricing="on_demand"):
    accelerator = _gpu(gpu)
    hours = training.gpu_hours(flops, accelerator.peak_flops(precision), _mfu(mfu, accelerator))
    return training.train_cost(hours, _price(usd_per_gpu_hour, accelerator, provider, pricing))


def _train_memory(model, gpus=1, zero_stage=0, bytes_per_param=16, unit=None):
    return _in_unit(memory.training_memory_bytes(_params(model), gpus, zero_stage, bytes_per_param), unit)


def _activation(model, seq_len, micro_batch=1, recompute=None, tensor_parallel=1, sequence_parallel=False, unit=None):
    arch = _model(model).arch
    options = {} if recompute is None else {"recompute": recompute}
    return _in_unit(memory.activation_memory_bytes(
        seq_len, micro_batch, arch.hidden_size, arch.num_attention_heads, arch.num_layers,
        tensor_parallel=tensor_parallel, sequence_parallel=sequence_parallel, **options), unit)


def _comm_volume(model, parallelism, tokens, gpus=None, batch_size=None, seq_len=None, precision="bf16", unit=None):
    check_choice("parallelism", parallelism, ("data", "pipeline", "tensor"))
    arch = _model(model).arch
    if parallelism == "data":
        _require("batch_size", batch_size, "for data parallelism (sequences per optimizer step)")
        _require("seq_len", seq_len, "for data parallelism (tokens per sequence)")
        volume = communication.data_parallel_comm_volume(tokens, _params(model), batch_size, seq_len, precision)
    else:
        _require("gpus", gpus, f"for {parallelism} parallelism")
        if parallelism == "pipeline":
            volume = communication.pipeline_parallel_comm_volume(tokens, arch.hidden_size, gpus, precision)
        else:
            volume = communication.tensor_parallel_comm_volume(tokens, arch.hidden_size, arch.num_layers, gpus,
                                                                precision)
    return _in_unit(volume, unit)


def _infer_flops(model, tokens=1):
    return inference.request_flops(_params(model, "active"), tokens)


def _weights(model, precision="bf16", unit=None):
    return _in_unit(memory.weights_bytes(_params(model), precision), unit)


def _kv_cache(model, context_tokens, batch=1, kv_precision="bf16", unit=None):
    return _in_unit(memory.kv_cache_bytes(_model(model).arch, context_tokens, batch, kv_precision), unit)


def _serving_memory(model, context_tokens, batch=1, precision="bf16", kv_precision=None):
    found = _model(model)
    kv = serving.default_kv_precision(precision) if kv_precision is None else kv_precision
    # No multiplicative overhead: the runtime's share is the GPU memory outside the usable fraction (GPUS_NEEDED).
    return memory.serving_memory_bytes(found.total_params, found.arch, context_tokens, batch, precision, kv,
                                       overhead_fraction=0.0)


def _infer_memory(model, context_tokens, batch=1, precision="bf16", kv_precision=None, unit=None):
    return _in_unit(_serving_memory(model, context_tokens, batch, precision, kv_precision), unit)


def _gpus_needed(model, gpu, precision="bf16", context_tokens=4096, concurrent_requests=1, requests_per_s=None,
                 kv_precision=None, usable_fraction=None, utilization=None):
    options = {} if utilization is None else {"utilization": utilization}
    return serving.gpus_needed(model, _gpu(gpu), precision, context_tokens, concurrent_requests, requests_per_s,
                               kv_precision, usable_fraction, **options)


def _cost_per_mtok(model, gpu, gpus=1, precision="bf16", input_tokens=1024, output_tokens=256, batch=None,
                   usd_per_gpu_hour=None, provider=None, pricing="on_demand"):
    accelerator = _gpu(gpu)
    speed = serving.tokens_per_s(model, accelerator, gpus, precision, input_tokens, output_tokens, batch)
    return inference.cost_per_million_tokens(_price(usd_per_gpu_hour, accelerator, provider, pricing), gpus, speed)


def _cost_per_request(model, gpu, io_tokens=1280, usd_per_gpu_hour=None, precision="bf16", utilization=None,
                      provider=None, pricing="on_demand"):
    accelerator = _gpu(gpu)
    options = {} if utilization is None else {"utilization": utilization}
    return inference.cost_per_request(inference.request_flops(_params(model, "active"), io_tokens),
                                      _price(usd_per_gpu_hour, accelerator, provider, pricing),
                                      accelerator.peak_flops(precision), **options)


MODEL_PARAM_KINDS = ("total", "active", "non_embedding", "official_total", "official_active")


def _model_params(model, which="total"):
    key = str(which).strip().lower().replace("-", "_").replace(" ", "_")
    check_choice("which", key, MODEL_PARAM_KINDS)
    value = getattr(_model(model), f"{key}_params")
    if value is None:
        raise XlcomputeError(f"which: {_model(model).id} has no published {key.replace('_', ' ')} count.",
                             argument="which")
    return value


def _model_fields(model: Any) -> dict[str, Any]:
    found = _model(model)
    fields = {k: v for k, v in found.to_dict().items() if not isinstance(v, (dict, list))}
    fields.update({k: v for k, v in found.arch.to_dict().items() if k not in ("id", "name")})
    fields["hf_repos"] = "; ".join(found.hf_repos)
    arch = found.arch
    if arch.is_mla:  # hidden / heads means nothing for MLA: report the query/key head dim, as attention uses it
        fields["head_dim"] = arch.qk_nope_head_dim + arch.qk_rope_head_dim
        fields["mla_head_dims"] = (f"MLA: query/key head dim {fields['head_dim']} ({arch.qk_nope_head_dim} no-RoPE + "
                                   f"{arch.qk_rope_head_dim} RoPE), value head dim {arch.v_head_dim}, KV cache "
                                   f"latent {arch.kv_lora_rank} + RoPE key {arch.qk_rope_head_dim} per token per layer")
    return fields


def _model_info(model, field=None):
    if field is None:
        return _table(list(_model_fields(model).items()))
    return _field("model", _model_fields(model), field)


def _gpu_fields(gpu: Any, precision: Any) -> dict[str, Any]:
    accelerator = _gpu(gpu)
    fields = {k: v for k, v in accelerator.to_dict().items() if not isinstance(v, dict)}
    fields["peak_flops"] = accelerator.peak_flops(precision)
    for name, tflops in accelerator.dense_tflops.items():
        fields[f"{name}_tflops"] = tflops
    return fields


def _gpu_spec(gpu, field=None, precision="bf16"):
    if field is None:
        return _table(list(_gpu_fields(gpu, precision).items()))
    return _field("gpu", _gpu_fields(gpu, precision), field)


def _gpu_price(gpu, provider=None, pricing="on_demand"):
    return catalog.get_price(gpu, provider, pricing).usd_per_gpu_hour


def _plan(model, requests_per_s, input_tokens=1024, output_tokens=256, ttft_ms_max=None, tpot_ms_max=None,
          gpus=None, precisions="bf16,fp8", top=10, frontier=False):
    check_number("top", top, minimum=1.0, integer=True)
    return planner.plan_table(model, requests_per_s, input_tokens, output_tokens, ttft_ms_max, tpot_ms_max, gpus,
                              precisions, int(top), bool(frontier))  # COM passes 10.0; a slice needs 10


def _version():
    return __version__


# --------------------------------------------------------------------------------------------
# Excel functions. Argument names are the core's; docs show in Excel's function wizard.
# --------------------------------------------------------------------------------------------

_MODEL_DOC = "Model: catalog id (e.g. llama-3.1-70b), Hugging Face repo name or path to a config.json. Cell or range."
_MODEL_OR_PARAMS_DOC = ("Model: catalog id (e.g. llama-3.1-70b), Hugging Face repo name, config.json path, or a "
                        "parameter count. Cell or range.")
_GPU_DOC = "GPU: catalog id, e.g. h100-sxm, a100-80gb, mi300x. Cell or range."
_REPLICA_DOC = "GPUs of one replica (tensor parallel) [optional, default 1]."
_MFU_DOC = ("Model FLOPs utilisation, 0-1 [optional, default: the typical MFU fitted for the GPU's generation, "
            + ", ".join(f"{m.base:.2f} for {name}" for name, m in TRAINING_MFU.items()) + "].")
_PRECISION_DOC = 'Precision: bf16, fp16, fp8, int8, int4 or bits per weight [optional, default "bf16"].'
_KV_FOLLOWS_DOC = ('KV-cache precision [optional, default: follows the weights, fp8 for fp8 or fp4 weights, fp16 for '
                   'fp16, otherwise bf16].')
_USABLE_DOC = (f"Share of GPU memory the serving engine uses for weights, activations and KV cache [optional, "
               f"default {DEFAULT_SERVING_EFFICIENCY.kv_memory_fraction:g}, as in TOKENS_PER_S].")
_UNIT_DOC = 'Memory unit: GB (1e9 bytes), GiB, MB, MiB or TB [optional, default "GB"].'
_PRICE_DOC = ("Price per GPU-hour in USD [optional, default: the catalog's median on-demand price of the GPU; "
              "see GPU_PRICE].")
_PROVIDER_DOC = "Cloud provider for the catalog price, e.g. aws [optional, default: median over providers]."
_PRICING_DOC = 'Pricing model: on_demand, spot, reserved_1y, reserved_3y, capacity_block [optional, default "on_demand"].'


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("params", doc="Parameters trained (for MoE: active parameters), e.g. 7E+09. Cell or range.", **RANGE)
@xw.arg("tokens", doc="Training tokens, e.g. 2E+12. Cell or range.", **RANGE)
@xw.arg("flops_per_param_token",
        doc="FLOP per parameter per token [optional, default 6 = forward 2 + backward 4; 8 with full "
            "activation recomputation].", **RANGE)
def TRAIN_FLOPS(params, tokens, flops_per_param_token=6.0):
    """Training compute [FLOP] = k x parameters x tokens (Kaplan et al. 2020, C = 6PT)."""
    return call(training.train_flops, TRAIN_FLOPS, vectorised=True, params=params, tokens=tokens,
                flops_per_param_token=flops_per_param_token)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("flops", doc="Training compute in FLOP, e.g. from TRAIN_FLOPS. Cell or range.", **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("mfu", doc=_MFU_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
def TRAIN_GPU_HOURS(flops, gpu, mfu=None, precision="bf16"):
    """GPU-hours to train [GPU-h] = FLOP / (GPU dense peak x MFU x 3600)."""
    return call(_train_gpu_hours, TRAIN_GPU_HOURS, vectorised=True, flops=flops, gpu=gpu, mfu=mfu, precision=precision)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("flops", doc="Training compute in FLOP, e.g. from TRAIN_FLOPS. Cell or range.", **RANGE)
@xw.arg("gpus", doc="Number of GPUs training together. Cell or range.", **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("mfu", doc=_MFU_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
def TRAIN_DAYS(flops, gpus, gpu, mfu=None, precision="bf16"):
    """Wall-clock training days = FLOP / (GPUs x dense peak x MFU) / 86400 (seed 004 eq. 2)."""
    return call(_train_days, TRAIN_DAYS, vectorised=True, flops=flops, gpus=gpus, gpu=gpu, mfu=mfu,
                precision=precision)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("flops", doc="Training compute in FLOP, e.g. from TRAIN_FLOPS. Cell or range.", **RANGE)
@xw.arg("days", doc="Deadline in days of wall-clock training. Cell or range.", **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("mfu", doc=_MFU_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
def GPUS_FOR_DEADLINE(flops, days, gpu, mfu=None, precision="bf16"):
    """Whole GPUs to finish training within the deadline = ceiling(FLOP / (days x 86400 x peak x MFU))."""
    return call(_gpus_for_deadline, GPUS_FOR_DEADLINE, vectorised=True, flops=flops, days=days, gpu=gpu, mfu=mfu,
                precision=precision)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("flops", doc="Training compute in FLOP, e.g. from TRAIN_FLOPS. Cell or range.", **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("usd_per_gpu_hour", doc=_PRICE_DOC, **RANGE)
@xw.arg("mfu", doc=_MFU_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("provider", doc=_PROVIDER_DOC, **RANGE)
@xw.arg("pricing", doc=_PRICING_DOC, **RANGE)
def TRAIN_COST(flops, gpu, usd_per_gpu_hour=None, mfu=None, precision="bf16", provider=None, pricing="on_demand"):
    """GPU rental cost of training [USD] = GPU-hours x price per GPU-hour (accelerators only)."""
    return call(_train_cost, TRAIN_COST, vectorised=True, flops=flops, gpu=gpu, usd_per_gpu_hour=usd_per_gpu_hour,
                mfu=mfu, precision=precision, provider=provider, pricing=pricing)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_OR_PARAMS_DOC, **RANGE)
@xw.arg("gpus", doc="Data-parallel GPUs the ZeRO states are sharded over [optional, default 1].", **RANGE)
@xw.arg("zero_stage", doc="ZeRO stage: 0 none, 1 optimizer states, 2 +gradients, 3 +parameters [optional, "
                          "default 0].", **RANGE)
@xw.arg("bytes_per_param", doc="Bytes per parameter of mixed-precision Adam: 16 (ZeRO paper) or 18 (Megatron-LM) "
                               "[optional, default 16].", **RANGE)
@xw.arg("unit", doc=_UNIT_DOC, **RANGE)
def TRAIN_MEMORY_GB(model, gpus=1, zero_stage=0, bytes_per_param=16, unit="GB"):
    """Training model-state memory per GPU (parameters, gradients, Adam states) with ZeRO sharding; add ACTIVATION_GB."""
    return call(_train_memory, TRAIN_MEMORY_GB, vectorised=True, model=model, gpus=gpus, zero_stage=zero_stage,
                bytes_per_param=bytes_per_param, unit=unit)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("seq_len", doc="Training sequence length in tokens, e.g. 4096. Cell or range.", **RANGE)
@xw.arg("micro_batch", doc="Micro-batch size per GPU in sequences [optional, default 1].", **RANGE)
@xw.arg("recompute", doc='Activation recomputation: none, selective or full [optional, default "none"].', **RANGE)
@xw.arg("tensor_parallel", doc="Tensor-parallel degree [optional, default 1].", **RANGE)
@xw.arg("sequence_parallel", doc="TRUE for Megatron sequence parallelism [optional, default FALSE].", **RANGE)
@xw.arg("unit", doc=_UNIT_DOC, **RANGE)
def ACTIVATION_GB(model, seq_len, micro_batch=1, recompute=None, tensor_parallel=1, sequence_parallel=False,
                  unit="GB"):
    """Training activation memory per GPU, all layers (Korthikanti et al. 2022, Table 2)."""
    return call(_activation, ACTIVATION_GB, vectorised=True, model=model, seq_len=seq_len, micro_batch=micro_batch,
                recompute=recompute, tensor_parallel=tensor_parallel, sequence_parallel=sequence_parallel, unit=unit)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("parallelism", doc="Which traffic: data (gradients), pipeline (stage activations) or tensor (layer "
                           "all-reduces). Cell or range.", **RANGE)
@xw.arg("tokens", doc="Training tokens, e.g. 2E+12. Cell or range.", **RANGE)
@xw.arg("gpus", doc="GPUs in the pipeline or tensor-parallel group [optional, default: none; required for "
                    "pipeline and tensor].", **RANGE)
@xw.arg("batch_size", doc="Global batch in sequences per optimizer step [optional, default: none; required for "
                          "data].", **RANGE)
@xw.arg("seq_len", doc="Tokens per sequence [optional, default: none; required for data].", **RANGE)
@xw.arg("precision", doc='Precision on the wire [optional, default "bf16"].', **RANGE)
@xw.arg("unit", doc=_UNIT_DOC, **RANGE)
def COMM_VOLUME_GB(model, parallelism, tokens, gpus=None, batch_size=None, seq_len=None, precision="bf16",
                   unit="GB"):
    """Communication volume over a training run for data, pipeline or tensor parallelism (seed 004 eqs. 7-9)."""
    return call(_comm_volume, COMM_VOLUME_GB, vectorised=True, model=model, parallelism=parallelism, tokens=tokens,
                gpus=gpus, batch_size=batch_size, seq_len=seq_len, precision=precision, unit=unit)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_OR_PARAMS_DOC + " MoE: active parameters count.", **RANGE)
@xw.arg("tokens", doc="Tokens processed, input + output [optional, default 1 = FLOP per token].", **RANGE)
def INFER_FLOPS(model, tokens=1):
    """Inference compute [FLOP] = 2 x active parameters x tokens (seed 004 eq. 10)."""
    return call(_infer_flops, INFER_FLOPS, vectorised=True, model=model, tokens=tokens)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_OR_PARAMS_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("unit", doc=_UNIT_DOC, **RANGE)
def WEIGHTS_GB(model, precision="bf16", unit="GB"):
    """Memory to hold the weights = parameters (MoE: all experts) x bytes per parameter."""
    return call(_weights, WEIGHTS_GB, vectorised=True, model=model, precision=precision, unit=unit)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("context_tokens", doc="Tokens in context per sequence (prompt + generated). Cell or range.", **RANGE)
@xw.arg("batch", doc="Sequences held at once [optional, default 1].", **RANGE)
@xw.arg("kv_precision", doc='KV-cache precision: bf16, fp16, fp8, int8 [optional, default "bf16"].', **RANGE)
@xw.arg("unit", doc=_UNIT_DOC, **RANGE)
def KV_CACHE_GB(model, context_tokens, batch=1, kv_precision="bf16", unit="GB"):
    """KV-cache memory = batch x context x 2 x layers x KV heads x head dim x bytes (GQA, MLA, sliding window aware)."""
    return call(_kv_cache, KV_CACHE_GB, vectorised=True, model=model, context_tokens=context_tokens, batch=batch,
                kv_precision=kv_precision, unit=unit)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("context_tokens", doc="Tokens in context per sequence [optional, default 4096].", **RANGE)
@xw.arg("batch", doc="Concurrent sequences [optional, default 1].", **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("kv_precision", doc=_KV_FOLLOWS_DOC, **RANGE)
@xw.arg("unit", doc=_UNIT_DOC, **RANGE)
def INFER_MEMORY_GB(model, context_tokens=4096, batch=1, precision="bf16", kv_precision=None, unit="GB"):
    """Memory the serving engine must hold = weights + KV cache + activations (seed 003); fits in the usable share of GPU memory."""
    return call(_infer_memory, INFER_MEMORY_GB, vectorised=True, model=model, context_tokens=context_tokens,
                batch=batch, precision=precision, kv_precision=kv_precision, unit=unit)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("context_tokens", doc="Tokens per request, prompt + output [optional, default 4096].", **RANGE)
@xw.arg("concurrent_requests", doc="Requests held in memory at once [optional, default 1].", **RANGE)
@xw.arg("requests_per_s", doc="Request rate; given, compute can bind too [optional, default: none, "
                              "memory only].", **RANGE)
@xw.arg("kv_precision", doc=_KV_FOLLOWS_DOC, **RANGE)
@xw.arg("usable_fraction", doc=_USABLE_DOC, **RANGE)
@xw.arg("utilization", doc="Achieved share of peak compute [optional, default 0.4].", **RANGE)
def GPUS_NEEDED(model, gpu, precision="bf16", context_tokens=4096, concurrent_requests=1, requests_per_s=None,
                kv_precision=None, usable_fraction=None, utilization=None):
    """Whole GPUs to serve: memory (weights + activations + KV cache in the usable share), or compute at a request rate."""
    return call(_gpus_needed, GPUS_NEEDED, model=model, gpu=gpu, precision=precision, context_tokens=context_tokens,
                concurrent_requests=concurrent_requests, requests_per_s=requests_per_s, kv_precision=kv_precision,
                usable_fraction=usable_fraction, utilization=utilization)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("gpus", doc=_REPLICA_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("prompt_tokens", doc="Prompt tokens [optional, default 1024].", **RANGE)
@xw.arg("batch", doc="Prompts prefilled together [optional, default 1].", **RANGE)
def TTFT_MS(model, gpu, gpus=1, precision="bf16", prompt_tokens=1024, batch=1):
    """Time to first token [ms]: prefill time of the prompt(s) on the replica (roofline, fitted efficiencies)."""
    return call(serving.ttft_ms, TTFT_MS, model=model, gpu=gpu, gpus=gpus, precision=precision,
                prompt_tokens=prompt_tokens, batch=batch)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("gpus", doc=_REPLICA_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("context_tokens", doc="Tokens in context while decoding [optional, default 1024].", **RANGE)
@xw.arg("batch", doc="Sequences decoded together [optional, default 1].", **RANGE)
def TPOT_MS(model, gpu, gpus=1, precision="bf16", context_tokens=1024, batch=1):
    """Time per output token [ms] of one sequence: one decode step (weights + KV cache read, compute, overheads)."""
    return call(serving.tpot_ms, TPOT_MS, model=model, gpu=gpu, gpus=gpus, precision=precision,
                context_tokens=context_tokens, batch=batch)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("gpus", doc=_REPLICA_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("input_tokens", doc="Prompt tokens per request [optional, default 1024].", **RANGE)
@xw.arg("output_tokens", doc="Output tokens per request [optional, default 256].", **RANGE)
@xw.arg("batch", doc="Concurrent sequences [optional, default: the largest batch that fits in memory].", **RANGE)
def TOKENS_PER_S(model, gpu, gpus=1, precision="bf16", input_tokens=1024, output_tokens=256, batch=None):
    """Output tokens per second of one replica at the batch, prefill included."""
    return call(serving.tokens_per_s, TOKENS_PER_S, model=model, gpu=gpu, gpus=gpus, precision=precision,
                input_tokens=input_tokens, output_tokens=output_tokens, batch=batch)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("gpus", doc=_REPLICA_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("input_tokens", doc="Prompt tokens per request [optional, default 1024].", **RANGE)
@xw.arg("output_tokens", doc="Output tokens per request [optional, default 256].", **RANGE)
@xw.arg("batch", doc="Concurrent sequences [optional, default: the largest batch that fits in memory].", **RANGE)
@xw.arg("usd_per_gpu_hour", doc=_PRICE_DOC, **RANGE)
@xw.arg("provider", doc=_PROVIDER_DOC, **RANGE)
@xw.arg("pricing", doc=_PRICING_DOC, **RANGE)
def COST_PER_MTOK(model, gpu, gpus=1, precision="bf16", input_tokens=1024, output_tokens=256, batch=None,
                  usd_per_gpu_hour=None, provider=None, pricing="on_demand"):
    """GPU cost per million output tokens [USD] = GPUs x price / (3600 x tokens per second) x 1e6."""
    return call(_cost_per_mtok, COST_PER_MTOK, model=model, gpu=gpu, gpus=gpus, precision=precision,
                input_tokens=input_tokens, output_tokens=output_tokens, batch=batch,
                usd_per_gpu_hour=usd_per_gpu_hour, provider=provider, pricing=pricing)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_OR_PARAMS_DOC, **RANGE)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("io_tokens", doc="Input + output tokens of one request [optional, default 1280].", **RANGE)
@xw.arg("usd_per_gpu_hour", doc=_PRICE_DOC, **RANGE)
@xw.arg("precision", doc=_PRECISION_DOC, **RANGE)
@xw.arg("utilization", doc="Achieved share of peak compute [optional, default 0.4].", **RANGE)
@xw.arg("provider", doc=_PROVIDER_DOC, **RANGE)
@xw.arg("pricing", doc=_PRICING_DOC, **RANGE)
def COST_PER_REQUEST(model, gpu, io_tokens=1280, usd_per_gpu_hour=None, precision="bf16", utilization=None,
                     provider=None, pricing="on_demand"):
    """GPU cost of one request [USD] = request FLOP x price / (3600 x peak x utilisation) (seed 004 eq. 12)."""
    return call(_cost_per_request, COST_PER_REQUEST, vectorised=True, model=model, gpu=gpu, io_tokens=io_tokens,
                usd_per_gpu_hour=usd_per_gpu_hour, precision=precision, utilization=utilization, provider=provider,
                pricing=pricing)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc=_MODEL_DOC, **RANGE)
@xw.arg("which", doc='total, active (MoE: per token), non_embedding, official_total or official_active '
                     '[optional, default "total"].', **RANGE)
def MODEL_PARAMS(model, which="total"):
    """Parameters of a model, counted from its architecture (or the officially published count)."""
    return call(_model_params, MODEL_PARAMS, model=model, which=which)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc="Model: catalog id, Hugging Face repo name or path to a config.json.", **RANGE)
@xw.arg("field", doc="Field, e.g. name, num_layers, hidden_size, num_kv_heads, source, date [optional, default: "
                     "a two-column table of all fields].", **RANGE)
def MODEL_INFO(model, field=None):
    """A model's catalog facts: one field, or all fields as a spilled two-column table."""
    return call(_model_info, MODEL_INFO, table=field is None or is_blank(field), model=model, field=field)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("gpu", doc="GPU: catalog id, e.g. h100-sxm.", **RANGE)
@xw.arg("field", doc="Field, e.g. memory_gb, memory_bandwidth_gbps, peak_flops, bf16_tflops, tdp_w, source "
                     "[optional, default: a two-column table of all fields].", **RANGE)
@xw.arg("precision", doc='Precision of peak_flops [optional, default "bf16"].', **RANGE)
def GPU_SPEC(gpu, field=None, precision="bf16"):
    """An accelerator's spec-sheet figures: one field, or all fields as a spilled two-column table."""
    return call(_gpu_spec, GPU_SPEC, table=field is None or is_blank(field), gpu=gpu, field=field,
                precision=precision)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("gpu", doc=_GPU_DOC, **RANGE)
@xw.arg("provider", doc=_PROVIDER_DOC, **RANGE)
@xw.arg("pricing", doc=_PRICING_DOC, **RANGE)
def GPU_PRICE(gpu, provider=None, pricing="on_demand"):
    """Price of one GPU-hour [USD] from the price catalog (or the file named by XLCOMPUTE_PRICES)."""
    return call(_gpu_price, GPU_PRICE, gpu=gpu, provider=provider, pricing=pricing)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
@xw.arg("model", doc="Model: catalog id, Hugging Face repo name or path to a config.json.", **RANGE)
@xw.arg("requests_per_s", doc="Requests per second to serve.", **RANGE)
@xw.arg("input_tokens", doc="Prompt tokens per request [optional, default 1024].", **RANGE)
@xw.arg("output_tokens", doc="Output tokens per request [optional, default 256].", **RANGE)
@xw.arg("ttft_ms_max", doc="Limit on time to first token in ms [optional, default: no limit].", **RANGE)
@xw.arg("tpot_ms_max", doc="Limit on time per output token in ms [optional, default: no limit].", **RANGE)
@xw.arg("gpus", doc='GPU ids to consider, comma-separated, e.g. "h100-sxm,a100-80gb" [optional, default: every '
                    'GPU with a price].', **RANGE)
@xw.arg("precisions", doc='Precisions to consider, comma-separated [optional, default "bf16,fp8"].', **RANGE)
@xw.arg("top", doc="Rows to return [optional, default 10].", **RANGE)
@xw.arg("frontier", doc="TRUE for the cost/speed Pareto frontier instead of the cheapest rows [optional, default "
                        "FALSE].", **RANGE)
def PLAN(model, requests_per_s, input_tokens=1024, output_tokens=256, ttft_ms_max=None, tpot_ms_max=None, gpus=None,
         precisions="bf16,fp8", top=10, frontier=False):
    """Cheapest serving set-ups (GPU, precision, tensor parallel, batch, replicas) meeting the limits: a spilled table."""
    return call(_plan, PLAN, table=True, model=model, requests_per_s=requests_per_s, input_tokens=input_tokens,
                output_tokens=output_tokens, ttft_ms_max=ttft_ms_max, tpot_ms_max=tpot_ms_max, gpus=gpus,
                precisions=precisions, top=top, frontier=frontier)


@xw.func(category=CATEGORY)
@xw.ret(**RESULT)
def XLCOMPUTE_VERSION():
    """The installed xlcompute version, e.g. 0.1.0."""
    return call(_version, XLCOMPUTE_VERSION)


#: Every Excel function by its Excel name: plain Python callables, scalar in, scalar out.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: fn for name, fn in sorted(globals().items())
    if name.isupper() and callable(fn) and getattr(fn, "__module__", None) == __name__
}

__all__ = sorted(FUNCTIONS) + ["FUNCTIONS", "is_error", "is_blank"]
