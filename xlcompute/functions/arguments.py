"""Arguments shared by several Excel functions: one description each, shown in Excel's wizard."""

from __future__ import annotations

from typing import Any

from ..catalog.prices import PRICING_MODELS, list_prices, shipped_pricing_models
from ..core.efficiency import DEFAULT_SERVING_EFFICIENCY, TRAINING_MFU
from ..core.errors import XlcomputeError, check_choice
from .spec import Argument

MODEL = Argument("model", "Model: catalog id (e.g. llama-3.1-70b), Hugging Face repo name or path to a config.json. "
                          "Cell or range.", core_names=("params", "active_params", "arch"))
MODEL_OR_PARAMS = Argument(
    "model", "Model: catalog id (e.g. llama-3.1-70b), Hugging Face repo name, config.json path, or a parameter "
             "count. Cell or range.", core_names=("params", "active_params", "arch"))
GPU = Argument("gpu", "GPU: catalog id, e.g. h100-sxm, a100-80gb, mi300x. Cell or range.")
REPLICA_GPUS = Argument("gpus", "GPUs of one replica (tensor parallel) [optional, default 1].", "GPUs",
                        core_names=("num_gpus", "tp"))
FLOPS = Argument("flops", "Training compute in FLOP, e.g. from TRAIN_FLOPS. Cell or range.", "FLOP")
TRAINING_TOKENS = Argument("tokens", "Training tokens, e.g. 2E+12. Cell or range.", "tokens")
MFU = Argument("mfu", "Model FLOPs utilisation, 0-1 [optional, default: the typical MFU of the run's regime (GPU "
                      "generation, precision, dense or MoE, GPU count; docs/validation.md), for a dense bf16 run "
               + ", ".join(f"{m.base:.2f} on {name}" for name, m in TRAINING_MFU.items()) + "].", number=True)
PRECISION = Argument("precision", 'Precision: bf16, fp16, fp8, int8, int4, nvfp4 (4.5 bits with its scales), '
                                  'mxfp4 (4.25 bits) or bits per weight [optional, default "bf16"].', core_names=("weight_precision",))
KV_FOLLOWS = Argument("kv_precision", "KV-cache precision [optional, default: follows the weights, fp8 for fp8 or "
                                      "fp4 weights, fp16 for fp16, otherwise bf16].")
USABLE_FRACTION = Argument(
    "usable_fraction", f"Share of GPU memory the serving engine uses for weights, activations and KV cache "
                       f"[optional, default {DEFAULT_SERVING_EFFICIENCY.kv_memory_fraction:g}, as in TOKENS_PER_S].",
    core_names=("kv_memory_fraction",), number=True)
UNIT = Argument("unit", 'Memory unit: GB (1e9 bytes), GiB, MB, MiB or TB [optional, default "GB"].')
# Every cost function takes the price third, then provider and pricing: (..., gpu, price, provider, pricing, ...).
PRICE = Argument("usd_per_gpu_hour", "Price per GPU-hour in USD; when given, provider and pricing are not used "
                                     "[optional, default: the catalog's price for provider and pricing, as GPU_PRICE "
                                     "gives it].", "USD/GPU-h")
PROVIDER = Argument("provider", "Cloud provider for the catalog price, e.g. aws [optional, default: median over "
                                "providers].")
# The choices are the pricing models the shipped price rows quote (a prices file may add others).
PRICING = Argument("pricing", f"Pricing model: {', '.join(shipped_pricing_models())} [optional, default "
                              f'"on_demand"].')
CURRENCY = Argument("currency", "ISO 4217 code of the currency to give the price in, e.g. EUR; the catalog's prices "
                                "are in USD [optional, default USD: no conversion].")
EXCHANGE_RATE = Argument("exchange_rate", "Units of that currency per USD (e.g. 0.92 EUR per USD), as the quote states "
                                          "it with its date and source [optional, default: none; required when currency is not USD].",
                         "currency/USD", number=True)
UTILIZATION = Argument("utilization", "Achieved share of peak compute [optional, default 0.4].", number=True)
INPUT_TOKENS = Argument("input_tokens", "Prompt tokens per request [optional, default 1024].", "tokens")
OUTPUT_TOKENS = Argument("output_tokens", "Output tokens per request [optional, default 256].", "tokens")
FIT_BATCH = Argument("batch", "Concurrent sequences [optional, default: the largest batch that fits in memory].",
                     number=True)


_PRICE_ORDER = "cost functions take the price third, then provider and pricing"


def check_price_source(provider: Any, pricing: Any) -> None:
    """Raise unless ``provider`` (when given) names a provider with a catalog price and ``pricing``
    a pricing model, even when a price is typed and neither is used: a number or another id
    there is an argument written for the order before the price moved third, and must not
    change a quote silently."""
    if provider is not None:
        providers = sorted({p.provider for p in list_prices()})
        if not isinstance(provider, str) or provider.strip().lower() not in {p.lower() for p in providers}:
            found = f"the text {provider!r}" if isinstance(provider, str) else f"{provider!r}"
            raise XlcomputeError(f"provider: expected a provider with a catalog price ({', '.join(providers)}), "
                                 f"found {found}; {_PRICE_ORDER}.", argument="provider")
    if pricing is not None:
        key = str(pricing).strip().lower().replace("-", "_").replace(" ", "_")
        try:
            check_choice("pricing", key, PRICING_MODELS)
        except XlcomputeError as exc:
            raise XlcomputeError(f"{exc} ({_PRICE_ORDER}.)", argument="pricing",
                                 suggestions=exc.suggestions) from exc
