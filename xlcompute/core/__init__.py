"""The formula core: pure, typed functions, standard library only.

Each formula is one function decorated with :func:`~xlcompute.core.formula.formula`; its
docstring metadata gives the equation, units and reference, and
:func:`~xlcompute.core.formula.explain` returns its breakdown from the same call.
"""

from .architecture import ModelArch
from .errors import XlcomputeError
from .formula import REGISTRY, Step, explain, formula
from .hardware import Accelerator
from .communication import (
    comm_time_s,
    data_parallel_comm_volume,
    pipeline_parallel_comm_volume,
    ring_allreduce_factor,
    tensor_parallel_comm_volume,
)
from .money import convert_price
from .finance import (
    api_break_even_tokens,
    api_cost,
    break_even_month,
    co2e_kg,
    energy_kwh,
    monthly_rate,
    ownership_present_cost,
    present_value_monthly,
    straight_line_value,
)
from .inference import (
    GpuRequirement,
    binding_constraint,
    compute_demand_flops_per_s,
    compute_time_s,
    cost_per_million_tokens,
    cost_per_request,
    gpus_for_memory,
    gpus_for_throughput,
    gpus_needed,
    inference_flops_per_token,
    latency_s,
    memory_time_s,
    request_flops,
    tokens_per_second,
    tpot_s,
    transformer_layer_flops,
    ttft_s,
)
from .memory import (
    activation_memory_bytes,
    inference_activation_bytes,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    serving_memory_bytes,
    to_memory_unit,
    training_memory_bytes,
    training_total_memory_bytes,
    weights_bytes,
)
from .params import (
    params_active,
    params_attention_per_layer,
    params_embedding,
    params_layers,
    params_mla_per_layer,
    params_mlp,
    params_moe_block,
    params_non_embedding,
    params_norms,
    params_output_head,
    params_pooler,
    params_router,
    params_total,
)
from .training import (
    gpu_hours,
    gpus_for_deadline,
    implied_mfu,
    pf_days,
    train_attention_flops,
    train_cost,
    train_flops,
    training_days,
    training_time_s,
)

__all__ = ["Accelerator", "ModelArch", "REGISTRY", "Step", "XlcomputeError", "explain", "formula"]
# Formula exports: every name imported from a formula module above.
__all__ += [
    "comm_time_s", "data_parallel_comm_volume", "pipeline_parallel_comm_volume", "ring_allreduce_factor",
    "tensor_parallel_comm_volume",
    "GpuRequirement", "binding_constraint", "compute_demand_flops_per_s", "compute_time_s", "cost_per_million_tokens",
    "cost_per_request", "gpus_for_memory", "gpus_for_throughput", "gpus_needed", "inference_flops_per_token",
    "latency_s", "memory_time_s", "request_flops", "tokens_per_second", "tpot_s", "transformer_layer_flops", "ttft_s",
    "activation_memory_bytes", "inference_activation_bytes", "kv_cache_bytes", "kv_cache_bytes_per_token",
    "serving_memory_bytes", "to_memory_unit", "training_memory_bytes", "training_total_memory_bytes", "weights_bytes",
    "gpu_hours", "gpus_for_deadline", "implied_mfu", "pf_days", "train_attention_flops", "train_cost", "train_flops",
    "training_days", "training_time_s",
]
__all__ += [
    "params_active", "params_attention_per_layer", "params_embedding", "params_layers", "params_mla_per_layer",
    "params_mlp", "params_moe_block", "params_non_embedding", "params_norms", "params_output_head", "params_pooler",
    "params_router", "params_total",
]
__all__ += [
    "api_break_even_tokens", "api_cost", "break_even_month", "co2e_kg", "energy_kwh", "monthly_rate",
    "ownership_present_cost", "present_value_monthly", "straight_line_value",
]
__all__ += ["convert_price"]
