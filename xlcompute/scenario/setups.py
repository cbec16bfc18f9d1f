"""Setups: the one place where ids, prices, precisions and defaults are resolved.

In the spirit of pvlib's ModelChain: the core formulas take plain numbers; a *setup* turns
what a user wrote (a model id, a GPU name, a blank MFU, a provider) into those numbers once,
and records every choice it made, with the catalog row's source and date, as
:class:`Resolved` items. Every face (Excel functions, workbook evaluation, report, CLI,
planner, validation) calls these functions, so a default has one definition:

- MFU: the typical MFU of the run's regime: GPU generation, precision, dense or MoE, GPU count
  (:func:`training_mfu_for`).
- Price: the catalog's median quote of the pricing model, or a provider's cheapest
  (:func:`price_per_gpu_hour`).
- KV-cache precision: follows the weights (:func:`xlcompute.core.serving.default_kv_precision`).
- GEMM precision: the weights' where the chip has the units (``compute_precision_for``).
- Serving engine: TensorRT-LLM on NVIDIA GPUs, vLLM elsewhere (:func:`engine_for`); its fitted
  efficiencies, memory reservation and error band (:mod:`xlcompute.core.serving_engines`).

:func:`recording` collects what the setups resolved during one call, so a breakdown lists
the sources of exactly the rows that call used. Standard library only (runs in Pyodide).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from .. import catalog
from ..catalog import Model
from ..core import serving as core_serving
from ..core import serving_engines
from ..core.architecture import ModelArch
from ..core.efficiency import DEFAULT_SERVING_EFFICIENCY, ServingEfficiency, training_mfu
from ..core.training import attention_share
from ..core.training_efficiency import DEFAULT_ATTENTION_SHARE, DEFAULT_TRAIN_SEQ_LEN, MfuRange
from ..core.errors import XlcomputeError, check_choice
from ..core.hardware import Accelerator
from ..core.money import CATALOG_CURRENCY, convert_price
from ..core.units import normalise_precision

#: Precisions a serving setup accepts for weights.
PRECISIONS = ("bf16", "fp16", "fp8", "int8", "int4", "fp4", "nvfp4", "mxfp4")


@dataclass(frozen=True)
class Resolved:
    """One thing a setup resolved: what (``name``), to what (``value``), and on whose word."""

    name: str  # "model", "gpu", "price", "mfu", "kv_precision", ...
    value: Any
    source: str  # the catalog row's citation, or how a default was chosen
    date: str = ""
    label: str = ""  # the catalog row's display name ("Llama 3.1 70B"), where it has one

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "source": self.source, "date": self.date, "label": self.label}


_RECORD: contextvars.ContextVar[list[Resolved] | None] = contextvars.ContextVar("xlcompute_resolved", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[Resolved]]:
    """Collect the :class:`Resolved` items of the setups made inside the block (no duplicates)."""
    found: list[Resolved] = []
    token = _RECORD.set(found)
    try:
        yield found
    finally:
        _RECORD.reset(token)


def _note(item: Resolved) -> None:
    found = _RECORD.get()
    if found is not None and item not in found:
        found.append(item)


# --------------------------------------------------------------------------------------------
# Single resolutions
# --------------------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    """True for a count or array given directly (not a catalog id)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or hasattr(value, "dtype")


#: The switch for evaluating a workbook headlessly: inside ``with workbook_text():`` a model
#: reference is workbook text and resolves through the catalog only, never as a path
#: (:func:`xlcompute.catalog.models.workbook_text`). The user's own Excel and the CLI allow paths.
workbook_text = catalog.workbook_text


def resolve_model(model: Any, *, allow_paths: bool | None = None) -> Model:
    """A catalog :class:`Model` from an id, alias, Hugging Face repo name or, where paths are
    allowed (not inside :func:`workbook_text`, not ``allow_paths=False``), a ``config.json`` path."""
    if isinstance(model, Model):
        found = model
    else:
        found = catalog.get_model(model, allow_paths=allow_paths)
    _note(Resolved("model", found.id, found.source or found.params_source, found.date, found.name))
    return found


def resolve_arch(model: Any) -> tuple[str, ModelArch]:
    """(id, architecture) of a model reference or a :class:`ModelArch` passed through."""
    if isinstance(model, ModelArch):
        return model.id, model
    found = resolve_model(model)
    return found.id, found.arch


def resolve_gpu(gpu: Any) -> Accelerator:
    """An :class:`Accelerator` from a catalog id or name (or one passed through)."""
    found = gpu if isinstance(gpu, Accelerator) else catalog.get_gpu(gpu)
    _note(Resolved("gpu", found.id, found.source, found.date, found.name))
    return found


def params_of(model: Any, which: str = "total") -> Any:
    """A parameter count: the number itself, or the catalog model's total or active count."""
    if is_number(model):
        return model
    found = resolve_model(model)
    return found.active_params if which == "active" else found.total_params


def is_moe(model: Any) -> bool:
    """True for a catalog mixture-of-experts model (active parameters below the total); False for a count."""
    if model is None or is_number(model):
        return False
    found = resolve_model(model)
    return found.active_params < found.total_params


def training_mfu_for(gpu: Accelerator, mfu: Any = None, precision: Any = "bf16", model: Any = None,
                     gpus: Any = None) -> Any:
    """The MFU given, or the base MFU of the run's regime (generation, precision, MoE, GPU count)."""
    if mfu is not None:
        return mfu
    return training_mfu_range(gpu, precision, model, gpus).base


def training_attention_share(model: Any = None) -> float:
    """Attention share of a catalog model's training compute at the default training sequence length;
    the published runs' median for a bare parameter count (module docstring of
    :mod:`xlcompute.core.training_efficiency`)."""
    if model is None or is_number(model):
        return DEFAULT_ATTENTION_SHARE
    found = resolve_model(model)
    return attention_share(found.arch.num_layers, DEFAULT_TRAIN_SEQ_LEN, found.arch.attention_width, found.active_params)


def training_mfu_range(gpu: Accelerator, precision: Any = "bf16", model: Any = None, gpus: Any = None) -> MfuRange:
    """The MFU on 6·P·D of the run's regime (generation, precision, MoE, GPU count) and attention share: low,
    base and high, the 80% band of the published runs it was fitted on (recorded as a Resolved item)."""
    count = float(gpus) if is_number(gpus) and getattr(gpus, "ndim", 0) == 0 else None  # an array: scale unknown
    fitted = training_mfu(gpu.generation, precision, is_moe(model), count, training_attention_share(model))
    _note(Resolved("mfu", fitted.base, f"typical training MFU of regime {fitted.regime} "
                                       f"(generation/precision/architecture/scale; steady state, counted on 6PD "
                                       f"with the attention share {fitted.attention_share:.2f} taken out; 80% band "
                                       f"{fitted.low:.3g}-{fitted.high:.3g}, fitted on {fitted.runs} published runs; "
                                       f"docs/validation.md)"))
    return fitted


def price_per_gpu_hour(gpu: Accelerator, usd_per_gpu_hour: Any = None, provider: Any = None,
                       pricing: Any = "on_demand") -> Any:
    """The price given, or the catalog's quote: the median over providers, or ``provider``'s cheapest."""
    if usd_per_gpu_hour is not None:
        return usd_per_gpu_hour
    quote = catalog.get_price(gpu, provider, "on_demand" if pricing is None else pricing)
    where = f"{quote.provider} {quote.pricing}" + (f" {quote.region}" if quote.region else "")
    _note(Resolved("price", quote.usd_per_gpu_hour, f"{where}: {quote.source}", quote.date))
    return quote.usd_per_gpu_hour


def in_currency(amount: Any, currency: Any = None, exchange_rate: Any = None) -> Any:
    """A catalog amount (quoted in :data:`~xlcompute.core.money.CATALOG_CURRENCY`) in ``currency``
    at ``exchange_rate`` [``currency`` per catalog currency]; recorded as a Resolved
    ``exchange_rate`` (value the rate, label the currency) so a quote can check every price it
    prints is in its own currency. ``currency`` None or the catalog's: the amount as quoted."""
    code = CATALOG_CURRENCY if currency is None else str(currency).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise XlcomputeError(f"currency: expected a three-letter ISO 4217 code such as USD, found {currency!r}.",
                             argument="currency")
    if code == CATALOG_CURRENCY:
        if exchange_rate is not None and exchange_rate != 1:
            raise XlcomputeError(f"exchange_rate: the catalog's prices are in {CATALOG_CURRENCY} and so is this price: "
                                 f"expected no rate (or 1), found {exchange_rate!r}.", argument="exchange_rate")
        return amount
    if exchange_rate is None:
        raise XlcomputeError(f"exchange_rate: the catalog's prices are in {CATALOG_CURRENCY}; a price in {code} needs "
                             f"the rate the quote uses ({code} per {CATALOG_CURRENCY}), found none.",
                             argument="exchange_rate")
    converted = convert_price(amount, exchange_rate)
    _note(Resolved("exchange_rate", exchange_rate, f"{code} per {CATALOG_CURRENCY}", "", code))
    return converted


def resolve_server(server: Any) -> catalog.Server:
    """A catalog :class:`~xlcompute.catalog.Server` (purchase price, GPUs, power) from an id or name."""
    found = catalog.get_server(server)
    _note(Resolved("server", found.id, f"{found.name}, {found.usd_price:,.2f} USD: {found.source}", found.date,
                   found.name))
    return found


def api_price_per_mtok(model: Any, provider: Any = None, direction: Any = "output") -> float:
    """An API list price per million ``direction`` ("input" or "output") tokens: ``provider``'s,
    or the median over the providers of ``model``."""
    key = str("output" if direction is None else direction).strip().lower()
    check_choice("direction", key, catalog.api_prices.DIRECTIONS)
    quote = catalog.get_api_price(model, provider)
    value = quote.usd_per_mtok(key)
    _note(Resolved(f"api_price_{key}", value, f"{quote.provider} {quote.model} ({quote.api_model or quote.model}): "
                                              f"{quote.source}", quote.date))
    return value


def grid_intensity(region: Any) -> float:
    """The catalog's grid carbon intensity of ``region`` [kg CO2e/kWh]."""
    found = catalog.get_grid_intensity(region)
    _note(Resolved("grid_intensity", found.kg_co2e_per_kwh, f"{found.id} ({found.location}, {found.year}): "
                                                            f"{found.source}", found.date))
    return found.kg_co2e_per_kwh


def storage_price_per_tb_month(storage: Any) -> float:
    """The catalog's object storage list price of ``storage`` [USD per TB-month]."""
    found = catalog.get_storage_price(storage)
    _note(Resolved("storage_price", found.usd_per_tb_month, f"{found.id} ({found.service}, {found.region}): "
                                                            f"{found.source}", found.date))
    return found.usd_per_tb_month


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSetup:
    """A training run's hardware numbers: GPU, peak at the precision, MFU and (if priced) the price."""

    gpu: Accelerator
    precision: str
    peak_flops: float
    mfu: Any
    usd_per_gpu_hour: Any = None


def training_setup(gpu: Any, mfu: Any = None, precision: Any = "bf16", *, priced: bool = False,
                   usd_per_gpu_hour: Any = None, provider: Any = None, pricing: Any = "on_demand", model: Any = None,
                   gpus: Any = None) -> TrainingSetup:
    """Resolve the GPU, its dense peak at ``precision``, the MFU default (regime of ``model`` on ``gpus``
    GPUs, either may be None) and, with ``priced``, the price."""
    accelerator = resolve_gpu(gpu)
    name = normalise_precision("bf16" if precision is None else precision)
    price = price_per_gpu_hour(accelerator, usd_per_gpu_hour, provider, pricing) if priced else None
    return TrainingSetup(accelerator, name, accelerator.peak_flops(name),
                         training_mfu_for(accelerator, mfu, name, model, gpus), price)


# --------------------------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServingSetup:
    """A model on a GPU at given precisions: what every serving formula needs."""

    model_id: str
    shape: core_serving.ServingShape
    gpu: Accelerator
    weight_precision: str
    kv_precision: str
    compute_precision: str
    efficiency: ServingEfficiency
    engine: str = "tensorrt-llm"

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model_id, "gpu": self.gpu.id, "weight_precision": self.weight_precision,
                "kv_precision": self.kv_precision, "compute_precision": self.compute_precision,
                "engine": self.engine, "efficiency": self.efficiency.to_dict()}


def engine_for(gpu: Accelerator, engine: Any = None) -> serving_engines.ServingEngine:
    """The engine named, or the default for the GPU's vendor (TensorRT-LLM on NVIDIA, vLLM elsewhere)."""
    if engine is not None and engine != "":
        return serving_engines.get_engine(engine, gpu.vendor)
    chosen = serving_engines.get_engine(serving_engines.default_engine_id(gpu.vendor), gpu.vendor)
    why = ("NVIDIA's own engine, whose published tables the constants were first fitted on" if chosen.id == "tensorrt-llm"
           else "the engine AMD and other vendors publish their serving figures with")
    _note(Resolved("engine", chosen.id, f"default for {gpu.vendor} GPUs: {chosen.name}, {why}; "
                                        f"80% band x{chosen.band_low:.2f}-x{chosen.band_high:.2f} (docs/validation.md)",
                   label=chosen.name))
    return chosen


def serving_efficiency(efficiency: Any = None, base: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> ServingEfficiency:
    """The engine's fitted serving efficiency (``base``), with any changes given as a mapping."""
    if efficiency is None:
        return base
    if isinstance(efficiency, ServingEfficiency):
        return efficiency
    if isinstance(efficiency, Mapping):
        return base.with_changes(**dict(efficiency))
    raise XlcomputeError("efficiency: expected a ServingEfficiency or a mapping of settings.", argument="efficiency")


def kv_precision_for(weight_precision: str, kv_precision: Any = None) -> str:
    """The KV-cache precision given, or the one that follows the weights."""
    if kv_precision is not None:
        return normalise_precision(kv_precision, "kv_precision")
    chosen = core_serving.default_kv_precision(weight_precision)
    _note(Resolved("kv_precision", chosen, f"follows the {weight_precision} weights (fp8 for fp8/fp4 weights, "
                                           "fp16 for fp16, otherwise bf16)"))
    return chosen


def serving_setup(model: Any, gpu: Any, precision: Any = "bf16", kv_precision: Any = None,
                  compute_precision: Any = None, efficiency: Any = None, engine: Any = None) -> ServingSetup:
    """Resolve model, GPU, weight/KV/GEMM precisions, the serving engine and its efficiency once.

    ``engine`` None = TensorRT-LLM on NVIDIA GPUs, vLLM on others (recorded as a Resolved item);
    ``efficiency`` changes apply on top of the engine's fitted settings.
    """
    model_id, arch = resolve_arch(model)
    accelerator = resolve_gpu(gpu)
    weight = normalise_precision("bf16" if precision is None else precision)
    kv = kv_precision_for(weight, kv_precision)
    compute = (normalise_precision(compute_precision, "compute_precision") if compute_precision
               else core_serving.compute_precision_for(weight, accelerator))
    chosen = engine_for(accelerator, engine)
    return ServingSetup(model_id, core_serving.serving_shape(arch), accelerator, weight, kv, compute,
                        serving_efficiency(efficiency, chosen.efficiency), chosen.id)


__all__ = ["PRECISIONS", "Resolved", "ServingSetup", "TrainingSetup", "api_price_per_mtok", "engine_for", "grid_intensity", "in_currency",
           "is_moe", "is_number", "kv_precision_for", "params_of", "price_per_gpu_hour", "recording", "resolve_arch",
           "resolve_gpu", "resolve_model", "resolve_server", "serving_efficiency", "serving_setup",
           "storage_price_per_tb_month", "training_attention_share", "training_mfu_for", "training_setup", "workbook_text"]
