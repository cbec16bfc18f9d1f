"""Efficiency defaults: how far real serving stacks and training runs fall short of the spec sheet.

Every constant here is a *global* physical parameter (one number for all models and GPUs),
fitted once on published measurements and documented with the data it came from. Nothing
is tuned per validation row. The fits are reproduced by ``xlcompute validate --fit``
(:mod:`xlcompute.validation.fit`), which prints the residuals; the numbers below are what it
returned, rounded.

Serving (decode and prefill): ``flops_fraction_*``, ``bandwidth_fraction``,
``kv_bandwidth_fraction``, ``layer_overhead_s``, ``step_overhead_s``, ``prefill_overhead_s``,
``allreduce_latency_s``, ``link_fraction`` and ``kv_memory_fraction`` are fitted (mean absolute
log error 0.12, median absolute error 10.5% over 414 rows) on ``xlcompute/validation/data/serving_measurements.csv``:
TensorRT-LLM 0.17 ``trtllm-bench`` offline throughput (Llama 3.1 8B/70B/405B, Mistral 7B,
Mixtral 8x7B/8x22B on H100/H200/L40S FP8 and A100 FP16, TP 1-8), TensorRT-LLM 0.14 online-serving TTFT
and inter-token latency at 2 requests/s (Llama 3.1 8B TP1 and 70B TP4, BF16, H100/H200),
TensorRT-LLM 0.6.1/0.5 static-batch throughput and batch-1 TTFT (GPT-J 6B, Llama 2 7B/70B) and the
Qwen2.5 vLLM 0.6.3 batch-1 speed benchmark (A100).
Not fitted (no multi-node or pipeline rows): ``allreduce_latency_internode_s`` (NCCL across
InfiniBand, tens of µs), ``internode_gbps`` (one 400 Gb/s NIC per GPU), ``gpus_per_node`` (HGX),
``pipeline_hop_s``; ``max_batch`` is TensorRT-LLM's runtime cap ("Max Runtime Batch Size: 4096"
in trtllm-bench's output). The fitted step overhead (2.3 ms) sits between TensorRT-LLM (~1 ms)
and vLLM 0.6.3 (~3 ms); pass ``efficiency={"step_overhead_s": ...}`` for a known stack.

Training MFU by regime (generation, precision, dense/MoE, scale): :mod:`xlcompute.core.training_efficiency`,
re-exported here.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from .errors import XlcomputeError, check_fraction, check_number
from .units import element_precision, normalise_precision


@dataclass(frozen=True)
class ServingEfficiency:
    """Achieved fractions of peak and fixed latencies of a serving stack.

    Fields (units in brackets):

    - ``flops_fraction_16bit`` [-]: achieved share of dense peak FLOP/s for bf16/fp16 GEMMs.
    - ``flops_fraction_8bit`` [-]: the same for fp8/int8 GEMMs (Hopper FP8 GEMMs reach a
      smaller share of their doubled peak than bf16 does of its own).
    - ``flops_fraction_4bit`` [-]: the same for fp4 GEMMs on chips with fp4 units (Blackwell NVFP4;
      attention still runs at fp8/bf16, so the whole step reaches a smaller share of the fp4 peak).
    - ``bandwidth_fraction`` [-]: achieved share of HBM/GDDR bandwidth when streaming
      weights and KV cache.
    - ``kv_bandwidth_fraction`` [-]: achieved share of bandwidth when attention kernels read
      the (paged) KV cache; lower than for weights because reads are scattered in small blocks.
    - ``prefill_overhead_s`` [s]: fixed time per prefill (request admission, tokenisation,
      first-token return); it adds to TTFT but overlaps with decoding in throughput.
    - ``layer_overhead_s`` [s]: fixed time per transformer layer per forward step (kernel
      launches, small non-GEMM kernels that never reach bandwidth).
    - ``step_overhead_s`` [s]: fixed time per forward step (sampling, scheduler, host sync).
    - ``allreduce_latency_s`` [s]: per-message latency of an intra-node (NVLink) all-reduce.
    - ``allreduce_latency_internode_s`` [s]: the same across nodes (InfiniBand/RoCE).
    - ``link_fraction`` [-]: achieved share of the per-direction link bandwidth in all-reduce.
    - ``internode_gbps`` [GB/s]: per-GPU scale-out bandwidth, one direction (400 Gb/s NIC = 50).
    - ``gpus_per_node`` [-]: tensor-parallel groups larger than this cross nodes.
    - ``kv_memory_fraction`` [-]: share of device memory the engine lets weights + KV cache
      use (vLLM ``gpu_memory_utilization`` 0.9; TensorRT-LLM 0.9-0.95 of what is free).
    - ``max_batch`` [sequences]: the engine's cap on concurrent sequences.
    - ``pipeline_hop_s`` [s]: latency of one pipeline stage-to-stage activation send.
    - ``reserved_gb`` [GB]: memory per GPU the engine keeps out of the KV pool on top of weights and
      one layer's activations (CUDA graphs, sampler and logits buffers, allocator slack).
    - ``alltoall_fraction`` [-]: achieved share of ``internode_gbps`` in expert-parallel dispatch and
      combine (DeepEP reaches ~40-46 of 50 GB/s per 400 Gb/s NIC).
    - ``quantized_bandwidth_fraction`` [-]: share of ``bandwidth_fraction`` that weight-only integer
      formats (int8/int4: GPTQ, AWQ, bitsandbytes) keep: their kernels unpack and rescale every weight
      before the multiply, so they stream it slower than a plain bf16/fp8 GEMM (1 = no loss; fitted
      per engine, 1 for TensorRT-LLM, whose int4 rows show none).
    - ``layer_split`` [-]: 0 = the N GPUs of a replica split every layer's tensors and work at once
      (tensor parallelism); 1 = the engine places whole layers on each GPU and runs them in turn
      (accelerate ``device_map="auto"`` in eager Transformers): one GPU works at a time.
    - ``blackwell_bandwidth_fraction`` [-]: share of ``bandwidth_fraction`` and ``kv_bandwidth_fraction``
      (fitted on Hopper and Ampere) that decode reaches on Blackwell GPUs (B200/GB200, 8 TB/s HBM3e).
      TensorRT-LLM 0.19 and 1.0 decode Llama 3.3 70B / 3.1 405B on B200 and GB200 at about a third of
      the spec bandwidth where H200 reaches about half; fitted on those tables (1 = as on Hopper). It
      lumps the chip's achievable bandwidth with the maturity of the Blackwell decode kernels.
    """

    flops_fraction_16bit: float = 0.54
    flops_fraction_8bit: float = 0.55
    flops_fraction_4bit: float = 0.55
    bandwidth_fraction: float = 0.825
    kv_bandwidth_fraction: float = 0.715
    prefill_overhead_s: float = 2e-3
    layer_overhead_s: float = 20e-6
    step_overhead_s: float = 2.3e-3
    allreduce_latency_s: float = 25e-6
    allreduce_latency_internode_s: float = 40e-6
    link_fraction: float = 0.41
    internode_gbps: float = 50.0
    gpus_per_node: int = 8
    kv_memory_fraction: float = 0.95
    max_batch: int = 4096
    pipeline_hop_s: float = 15e-6
    reserved_gb: float = 0.0
    alltoall_fraction: float = 0.85
    quantized_bandwidth_fraction: float = 1.0
    layer_split: float = 0.0
    blackwell_bandwidth_fraction: float = 1.0

    def flops_fraction(self, compute_precision: str) -> float:
        """Achieved share of peak for GEMMs run at ``compute_precision``."""
        name = element_precision(compute_precision, "compute_precision")
        if name in ("fp4", "int4"):
            return self.flops_fraction_4bit
        if name in ("fp8", "int8", "fp6"):
            return self.flops_fraction_8bit
        return self.flops_fraction_16bit

    def weight_bandwidth_fraction(self, weight_precision: str) -> float:
        """Achieved share of bandwidth when streaming weights stored at ``weight_precision``."""
        name = normalise_precision(weight_precision, "weight_precision")
        if name in ("int4", "int8"):
            return self.bandwidth_fraction * self.quantized_bandwidth_fraction
        return self.bandwidth_fraction

    def generation_bandwidth_share(self, generation: str) -> float:
        """Share of the (Hopper-fitted) bandwidth fractions a GPU of ``generation`` reaches [-]:
        ``blackwell_bandwidth_fraction`` on Blackwell parts, 1 elsewhere."""
        return self.blackwell_bandwidth_fraction if str(generation).strip().lower().startswith("blackwell") else 1.0

    def with_changes(self, **changes: Any) -> "ServingEfficiency":
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise XlcomputeError(
                f"efficiency: unknown setting(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}.",
                argument="efficiency",
            )
        for name, value in changes.items():
            if name.endswith("fraction") or name.startswith("flops_fraction"):
                check_fraction(name, value)
            elif name == "layer_split":
                check_number(name, value, minimum=0.0, maximum=1.0)
            else:
                check_number(name, value, minimum=0.0)
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The fitted defaults (see the module docstring for the data).
DEFAULT_SERVING_EFFICIENCY = ServingEfficiency()

# Training MFU lives in its own module (regimes, fitted table); re-exported for existing imports.
from .training_efficiency import DEFAULT_MFU, MfuRange, TRAINING_MFU, TRAINING_MFU_REGIMES, training_mfu  # noqa: E402,F401
