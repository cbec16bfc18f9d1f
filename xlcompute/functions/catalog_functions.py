"""Excel functions that read the catalogs: parameter counts, model facts, GPU specs, GPU and storage prices, version."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..core.errors import XlcomputeError, check_choice, unknown_id
from ..scenario.setups import in_currency, price_per_gpu_hour, resolve_gpu, resolve_model, storage_price_per_tb_month
from .arguments import CURRENCY, EXCHANGE_RATE, GPU, PRICING, PROVIDER
from .spec import Argument, excel_function

MODEL_PARAM_KINDS = ("total", "active", "non_embedding", "official_total", "official_active")


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


@excel_function("MODEL_PARAMS", [
    Argument("model", "Model: catalog id (e.g. llama-3.1-70b), Hugging Face repo name or path to a config.json. "
                      "Cell or range."),
    Argument("which", 'total, active (MoE: per token), non_embedding, official_total or official_active '
                      '[optional, default "total"].'),
])
def model_params(model, which="total"):
    """Parameters of a model, counted from its architecture (or the officially published count)."""
    key = str(which).strip().lower().replace("-", "_").replace(" ", "_")
    check_choice("which", key, MODEL_PARAM_KINDS)
    found = resolve_model(model)
    value = getattr(found, f"{key}_params")
    if value is None:
        raise XlcomputeError(f"which: {found.id} has no published {key.replace('_', ' ')} count.", argument="which")
    return value


def model_fields(model: Any) -> dict[str, Any]:
    """Every catalog fact of a model, flat (MODEL_INFO's table)."""
    found = resolve_model(model)
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


@excel_function("MODEL_INFO", [
    Argument("model", "Model: catalog id, Hugging Face repo name or path to a config.json."),
    Argument("field", "Field, e.g. name, num_layers, hidden_size, num_kv_heads, source, date [optional, default: "
                      "a two-column table of all fields]."),
], returns="table", single_with="field")
def model_info(model, field=None):
    """A model's catalog facts: one field, or all fields as a spilled two-column table."""
    if field is None:
        return _table(list(model_fields(model).items()))
    return _field("model", model_fields(model), field)


def gpu_fields(gpu: Any, precision: Any) -> dict[str, Any]:
    """Every spec-sheet figure of a GPU, flat (GPU_SPEC's table)."""
    accelerator = resolve_gpu(gpu)
    fields = {k: v for k, v in accelerator.to_dict().items() if not isinstance(v, dict)}
    fields["peak_flops"] = accelerator.peak_flops(precision)
    for name, tflops in accelerator.dense_tflops.items():
        fields[f"{name}_tflops"] = tflops
    return fields


@excel_function("GPU_SPEC", [
    Argument("gpu", "GPU: catalog id, e.g. h100-sxm."),
    Argument("field", "Field, e.g. memory_gb, memory_bandwidth_gbps, peak_flops, bf16_tflops, tdp_w, source "
                      "[optional, default: a two-column table of all fields]."),
    Argument("precision", 'Precision of peak_flops [optional, default "bf16"].'),
], returns="table", single_with="field")
def gpu_spec(gpu, field=None, precision="bf16"):
    """An accelerator's spec-sheet figures: one field, or all fields as a spilled two-column table."""
    if field is None:
        return _table(list(gpu_fields(gpu, precision).items()))
    return _field("gpu", gpu_fields(gpu, precision), field)


@excel_function("GPU_PRICE", [GPU, PROVIDER, PRICING, CURRENCY, EXCHANGE_RATE])
def gpu_price(gpu, provider=None, pricing="on_demand", currency=None, exchange_rate=None):
    """Price of one GPU-hour from the price catalog (or the file named by XLCOMPUTE_PRICES), in USD or
    converted at the exchange rate given."""
    return in_currency(price_per_gpu_hour(resolve_gpu(gpu), None, provider, pricing), currency, exchange_rate)


@excel_function("STORAGE_TB_PRICE", [
    Argument("storage", "Object storage: catalog id or alias, e.g. gcs-standard-us-central1 or gcp. Cell or range."),
    CURRENCY, EXCHANGE_RATE,
])
def storage_tb_price(storage, currency=None, exchange_rate=None):
    """List price of one TB-month of object storage (10^12 bytes) from the storage catalog, in USD or
    converted at the exchange rate given."""
    return in_currency(storage_price_per_tb_month(storage), currency, exchange_rate)


@excel_function("XLCOMPUTE_VERSION", [], returns="text")
def xlcompute_version():
    """The installed xlcompute version, e.g. 0.1.0."""
    return __version__
