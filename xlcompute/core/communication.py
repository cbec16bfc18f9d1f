"""Communication volume of data, pipeline and tensor parallelism, and the time it takes.

Seed 004 eqs. (7)-(9) count *elements* (gradients or activations); here they are converted to
bytes with an explicit ``precision`` (bf16 = 2 bytes by default, as Megatron-LM and DeepSpeed
communicate gradients and activations in bf16 for mixed-precision training).

Beyond the seed: :func:`ring_allreduce_factor` (bytes each GPU sends in a ring all-reduce,
2(n−1)/n times the payload; Patarasuk & Yuan 2009) and :func:`comm_time_s` (latency per message
plus bytes over bandwidth, the α-β model of Hockney 1994).
"""

from __future__ import annotations

from typing import Any

from .errors import check_number, check_positive
from .formula import formula
from .units import bytes_per_element


@formula(
    title="Data-parallel communication volume",
    equation="Q_data = T · P / (b · s) · B",
    result=("Q_data", "B", "gradient bytes all-reduced over training (payload, once per step)"),
    terms={
        "tokens": ("T", "tokens", "training tokens"),
        "params": ("P", "parameters", "parameters whose gradients are synchronised"),
        "batch_size": ("b", "sequences", "global batch (sequences per optimizer step)"),
        "seq_len": ("s", "tokens", "tokens per sequence"),
        "precision": ("B", "B/element", "gradient precision on the wire (bf16 2; fp32 4)"),
    },
    reference="Seed 004 eq. (7) Q_data = TP/(bs) (in gradient elements)",
    assumptions="One gradient all-reduce per optimizer step, T/(b·s) steps. Multiply by ring_allreduce_factor(n) "
                "for the bytes each GPU sends.",
)
def data_parallel_comm_volume(tokens: float, params: float, batch_size: float, seq_len: float,
                              precision: Any = "bf16") -> float:
    """Data-parallel gradient volume Q = T·P/(b·s) elements × B [B] (seed 004 eq. 7)."""
    check_positive("tokens", tokens)
    check_positive("params", params)
    check_positive("batch_size", batch_size)
    check_positive("seq_len", seq_len)
    return tokens * params / (batch_size * seq_len) * bytes_per_element(precision)


@formula(
    title="Pipeline-parallel communication volume",
    equation="Q_pipe = 2 · (n − 1) · h · T · B",
    result=("Q_pipe", "B", "activation and activation-gradient bytes sent between stages over training"),
    terms={
        "tokens": ("T", "tokens", "training tokens"),
        "hidden_size": ("h", "-", "hidden size"),
        "num_gpus": ("n", "stages", "pipeline stages (GPUs in the pipeline)"),
        "precision": ("B", "B/element", "activation precision on the wire (bf16 2)"),
    },
    reference="Seed 004 eq. (8) (2·b·s·h per batch per stage boundary), corrected: n stages have n − 1 boundaries, "
              "the seed's 2nhT overstates by n/(n − 1)",
    assumptions="One forward activation and one backward gradient of size b·s·h cross each boundary per batch.",
)
def pipeline_parallel_comm_volume(tokens: float, hidden_size: float, num_gpus: float, precision: Any = "bf16") -> float:
    """Pipeline volume Q = 2·(n−1)·h·T elements × B [B] over training (seed 004 eq. 8, corrected)."""
    check_positive("tokens", tokens)
    check_positive("hidden_size", hidden_size)
    check_number("num_gpus", num_gpus, minimum=1)
    return 2.0 * (num_gpus - 1) * hidden_size * tokens * bytes_per_element(precision)


@formula(
    title="Tensor-parallel communication volume",
    equation="Q_tensor = 4 · h · l · n · T · B",
    result=("Q_tensor", "B", "activation all-reduce payload over training, summed over the n GPUs"),
    terms={
        "tokens": ("T", "tokens", "tokens processed by the tensor-parallel group"),
        "hidden_size": ("h", "-", "hidden size"),
        "num_layers": ("l", "layers", "transformer layers"),
        "num_gpus": ("n", "GPUs", "tensor-parallel degree"),
        "precision": ("B", "B/element", "activation precision on the wire (bf16 2)"),
    },
    reference="Seed 004 eq. (9); Shoeybi et al. 2019 (Megatron-LM, arXiv:1909.08053) §3: 2 all-reduces forward and "
              "2 backward per layer",
    assumptions="Payload counted once per GPU (4·b·s·h per layer per batch on each of n GPUs). Bytes one GPU sends "
                "in a ring all-reduce: divide by n and multiply by ring_allreduce_factor(n).",
)
def tensor_parallel_comm_volume(tokens: float, hidden_size: float, num_layers: float, num_gpus: float,
                                precision: Any = "bf16") -> float:
    """Tensor-parallel volume Q = 4·h·l·n·T elements × B [B] (seed 004 eq. 9)."""
    check_positive("tokens", tokens)
    check_positive("hidden_size", hidden_size)
    check_positive("num_layers", num_layers)
    check_positive("num_gpus", num_gpus)
    return 4.0 * hidden_size * num_layers * num_gpus * tokens * bytes_per_element(precision)


@formula(
    title="Ring all-reduce factor",
    equation="k = 2 · (n − 1) / n",
    result=("k", "-", "bytes each GPU sends per byte of all-reduce payload"),
    terms={"num_gpus": ("n", "GPUs", "GPUs in the all-reduce")},
    reference="Patarasuk & Yuan 2009, J. Parallel Distrib. Comput. 69(2) (bandwidth-optimal all-reduce); "
              "our extension beyond seed 004",
    assumptions="Reduce-scatter then all-gather around a ring; tends to 2 for large n.",
)
def ring_allreduce_factor(num_gpus: float) -> float:
    """Ring all-reduce traffic factor 2·(n−1)/n [-]; ``num_gpus`` n ≥ 1 [GPUs]."""
    check_number("num_gpus", num_gpus, minimum=1)
    return 2.0 * (num_gpus - 1) / num_gpus


@formula(
    title="Communication time",
    equation="t = m · α + Q / β",
    result=("t", "s", "time to move the bytes"),
    terms={
        "num_bytes": ("Q", "B", "bytes sent by one GPU"),
        "bandwidth_bytes_per_s": ("β", "B/s", "link bandwidth per GPU, one direction"),
        "latency_s": ("α", "s", "fixed latency per message"),
        "messages": ("m", "messages", "number of messages (collectives)"),
    },
    reference="Hockney 1994, Parallel Computing 20(3) (α-β model); seed 002 (network latency often dominates "
              "small messages)",
    assumptions="No overlap with compute; vendors quote NVLink both directions, so halve it for β.",
)
def comm_time_s(num_bytes: float, bandwidth_bytes_per_s: float, latency_s: float = 0.0, messages: float = 1) -> float:
    """Communication time t = m·α + Q/β [s]; Q [B], β [B/s], α [s], m [messages]."""
    check_number("num_bytes", num_bytes)
    check_positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    check_number("latency_s", latency_s)
    check_number("messages", messages)
    return messages * latency_s + num_bytes / bandwidth_bytes_per_s
