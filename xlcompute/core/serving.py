"""Serving model: decode step time, prefill time, the batch that fits, throughput, parallelism.

Seed 002 (推理经济学, after Erdil, "Inference economics of language models", Epoch AI 2025,
arXiv:2506.04645): one forward step costs arithmetic time, memory time, network time and
fixed latency; arithmetic and memory overlap (max), network and fixed latency add:

    t_step = max(t_arith, t_mem) + t_net + t_fixed

Every function takes plain numbers *or numpy arrays* for the batch, context and GPU counts
(no numpy import here: ``_max``/``_min`` work on both), so the planner evaluates the same
formulas over a whole grid of configurations at once. Standard library only.

Efficiency constants (achieved share of peak FLOP/s and bandwidth, per-layer and per-step
overheads, all-reduce latency) come from :mod:`xlcompute.core.efficiency`, fitted on
published measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .architecture import ModelArch
from .efficiency import DEFAULT_SERVING_EFFICIENCY, ServingEfficiency
from .errors import XlcomputeError, check_number, check_positive
from .formula import formula
from .hardware import Accelerator
from .inference import compute_time_s, inference_flops_per_token, memory_time_s
from .memory import activation_memory_bytes, kv_elements_per_token
from .params import params_active, params_embedding, params_mlp, params_output_head, params_total
from .units import bytes_per_element, element_precision, normalise_precision

REFERENCE = ("Seed 002 (推理经济学); Erdil 2025, 'Inference economics of language models', arXiv:2506.04645 §2 "
             "(time = max(arithmetic, memory) + network + fixed latency)")
GIB = 2.0 ** 30  # bytes per GB as device memory counts it (an "80 GB" H100 shows 81,559 MiB)
ACTIVATION_BYTES = 2.0  # activations and all-reduce messages stay in bf16 in every stack we model


def _max(a: Any, b: Any) -> Any:
    """Element-wise maximum of numbers or arrays (no numpy import)."""
    return (a + b + abs(a - b)) / 2


def _min(a: Any, b: Any) -> Any:
    return (a + b - abs(a - b)) / 2


# ---------------------------------------------------------------------------------------------
# The model's shape as serving needs it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServingShape:
    """Counts a serving step needs, derived once from a :class:`ModelArch`.

    ``dense_params`` are the parameters every token passes through except routed experts;
    ``expert_params`` is one routed expert of one layer; ``unread_params`` is the input
    embedding table when the output head is separate (a step reads only B rows of it).
    ``kv_elements_per_token`` counts K and V (or MLA latent) elements over all layers;
    ``kv_shards`` is how many ways tensor parallelism can split the cache (KV heads; 1 for MLA).
    """

    id: str
    total_params: float
    active_params: float
    dense_params: float
    expert_params: float
    num_experts: int
    experts_per_token: int
    moe_layers: int
    unread_params: float
    head_params: float
    num_layers: int
    hidden_size: int
    num_heads: int
    attention_width: int
    kv_elements_per_token: float
    kv_shards: int
    sliding_window: int
    sliding_window_layers: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def serving_shape(arch: ModelArch) -> ServingShape:
    """Parameter, attention and KV-cache counts of ``arch`` (counts from :mod:`xlcompute.core.params`)."""
    total = float(params_total(arch))
    active = float(params_active(arch))
    expert = 0.0
    if arch.is_moe:
        width = arch.moe_intermediate_size or arch.intermediate_size
        expert = float(params_mlp(arch.hidden_size, width, arch.mlp == "gated", arch.mlp_bias))
    moe_layers = arch.num_moe_layers
    dense = active - moe_layers * arch.experts_per_token * expert
    head = float(params_output_head(arch.vocab_size, arch.hidden_size, arch.tie_word_embeddings))
    if head == 0:  # tied: the embedding table is the output head and is read every step
        head, unread = float(arch.vocab_size * arch.hidden_size), 0.0
    else:
        unread = float(params_embedding(arch.vocab_size, arch.hidden_size))
    kv_elements = kv_elements_per_token(arch)
    if arch.is_mla:
        kv_shards = 1
        width = arch.num_attention_heads * (arch.qk_nope_head_dim + arch.qk_rope_head_dim)
    else:
        kv_shards = arch.num_kv_heads
        width = arch.num_attention_heads * arch.head_dim
    # a window with no layer count means every layer is windowed (Mistral-7B-v0.1), as in core.memory
    windowed = (arch.sliding_window_layers or arch.num_layers) if arch.sliding_window else 0
    return ServingShape(
        id=arch.id, total_params=total, active_params=active, dense_params=dense, expert_params=expert,
        num_experts=arch.num_experts, experts_per_token=arch.experts_per_token, moe_layers=moe_layers,
        unread_params=unread, head_params=head, num_layers=arch.num_layers, hidden_size=arch.hidden_size,
        num_heads=arch.num_attention_heads, attention_width=width, kv_elements_per_token=float(kv_elements), kv_shards=max(1, kv_shards),
        sliding_window=arch.sliding_window, sliding_window_layers=windowed,
    )


_SHAPE = ("shape", "", "the model's serving counts (parameters, experts, attention width, KV elements)")
_GPU = ("gpu", "", "accelerator spec (peak FLOP/s, bandwidth, memory, interconnect)")
_TP = ("N", "GPUs", "tensor-parallel degree of one replica")
_BATCH = ("B", "sequences", "concurrent sequences in the step")
_EFF = ("η", "", "efficiency settings (xlcompute.core.efficiency.ServingEfficiency)")
_WP = ("w", "", "weight precision (bytes per parameter)")
_KP = ("kv", "", "KV-cache precision")
_CP = ("c", "", "precision the matrix multiplications run at")


def default_kv_precision(weight_precision: str) -> str:
    """KV-cache precision a serving stack uses with ``weight_precision`` weights (the one default rule).

    fp8 engines keep an fp8 cache (TensorRT-LLM and vLLM FP8 recipes quantise the KV cache with
    the weights); fp4 weights (Blackwell NVFP4) pair with an fp8 cache; fp16 weights keep fp16;
    bf16 and weight-only int8/int4 (AWQ, GPTQ) keep a bf16 cache. Every face uses this rule:
    TTFT_MS & co., the planner, GPUS_NEEDED and INFER_MEMORY_GB (KV_CACHE_GB alone takes the cache
    precision directly, default bf16).
    """
    name = element_precision(weight_precision)
    return {"fp8": "fp8", "fp16": "fp16", "fp4": "fp8"}.get(name, "bf16")


def compute_precision_for(precision: str, gpu: Accelerator) -> str:
    """The precision GEMMs run at for ``precision`` weights on ``gpu``.

    fp8/int8 run at that rate where the chip has it; weight-only int4/fp4 (AWQ, GPTQ)
    dequantise to bf16 unless the chip has fp4 units; fp8 weights on a chip without fp8
    (A100) dequantise to bf16 (vLLM's Marlin kernels do this).
    """
    name = normalise_precision(precision)
    if name in ("fp8", "int8", "fp4", "nvfp4", "mxfp4") and gpu.dense_tflops.get(element_precision(name)):
        return name
    if name in ("fp16",):
        return "fp16"
    return "bf16"


def _peak(gpu: Accelerator, compute_precision: str) -> float:
    return gpu.peak_flops(normalise_precision(compute_precision, "compute_precision"))


def achieved_bandwidth_bytes_per_s(gpu: Accelerator, efficiency: ServingEfficiency) -> float:
    """BW_gen = BW_spec · g(generation) [B/s]: the spec bandwidth of one GPU scaled by its generation's share
    (:meth:`ServingEfficiency.generation_bandwidth_share`; the bandwidth fractions apply on top)."""
    return gpu.bandwidth_bytes_per_s * efficiency.generation_bandwidth_share(gpu.generation)


def _effective_context(shape: ServingShape, context_tokens: Any) -> Any:
    """Mean tokens attended per layer: sliding-window layers see at most the window."""
    if not shape.sliding_window or not shape.sliding_window_layers:
        return context_tokens
    windowed = shape.sliding_window_layers / shape.num_layers
    return (1 - windowed) * context_tokens + windowed * _min(context_tokens, shape.sliding_window)


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


@formula(
    title="Expected distinct experts touched by a batch",
    equation="E_u = E · (1 − (1 − k/E)^T)",
    result=("E_u", "experts", "expected distinct routed experts one MoE layer reads"),
    terms={
        "num_experts": ("E", "experts", "routed experts per MoE layer"),
        "experts_per_token": ("k", "experts", "routed experts per token (top-k)"),
        "tokens": ("T", "tokens", "tokens in the step (batch × tokens per sequence)"),
    },
    reference="Balls-into-bins occupancy with uniform routing; cf. Epoch AI inference-economics notebook (MoE weight reads grow with batch)",
    assumptions="Routing independent and uniform across experts; all experts resident in memory.",
)
def moe_unique_experts(num_experts: float, experts_per_token: float, tokens: Any) -> Any:
    check_positive("num_experts", num_experts)
    check_number("experts_per_token", experts_per_token, minimum=0.0, maximum=num_experts)
    check_number("tokens", tokens, minimum=0.0)
    return num_experts * (1.0 - (1.0 - experts_per_token / num_experts) ** tokens)


@formula(
    title="Weight bytes read per forward step",
    equation="W_read = (P_dense − P_unread + L_moe · E_u(T) · P_expert) · w",
    result=("W_read", "bytes", "weight bytes streamed from memory by one step, all GPUs of a replica"),
    terms={
        "shape": _SHAPE,
        "tokens": ("T", "tokens", "tokens processed in the step"),
        "weight_bytes": ("w", "bytes/parameter", "bytes per stored weight"),
    },
    reference=REFERENCE,
    assumptions="The input-embedding table is not streamed (only T rows are gathered); the output head is.",
)
def weight_bytes_read(shape: ServingShape, tokens: Any, weight_bytes: float) -> Any:
    params = shape.dense_params - shape.unread_params
    if shape.moe_layers:
        experts = moe_unique_experts(shape.num_experts, shape.experts_per_token, tokens)
        params = params + shape.moe_layers * experts * shape.expert_params
    return params * weight_bytes


@formula(
    title="Tensor-parallel all-reduce time",
    equation="t_AR = α + 2 · (N − 1)/N · m / (β · f)   (0 when N = 1; α, β inter-node when N > GPUs per node)",
    result=("t_AR", "s", "time of one ring all-reduce"),
    terms={
        "message_bytes": ("m", "bytes", "message size (tokens × hidden × 2 bytes)"),
        "tp": _TP,
        "gpu": _GPU,
        "efficiency": _EFF,
    },
    reference="Patarasuk & Yuan 2009 (ring all-reduce 2(N−1)/N · m/β); seed 002 (per-message latency dominates small messages)",
    assumptions="β is the per-direction NVLink bandwidth (half the vendor's bidirectional figure) within a node, "
                "the per-GPU NIC bandwidth across nodes.",
)
def allreduce_time_s(message_bytes: Any, tp: Any, gpu: Accelerator, efficiency: ServingEfficiency) -> Any:
    check_number("tp", tp, minimum=1.0)
    intra_bw = (gpu.interconnect_gbps / 2 or gpu.pcie_gbps or 25.0) * 1e9 * efficiency.link_fraction
    inter_bw = efficiency.internode_gbps * 1e9 * efficiency.link_fraction
    intra = tp <= efficiency.gpus_per_node
    latency = intra * efficiency.allreduce_latency_s + (1 - intra) * efficiency.allreduce_latency_internode_s
    bandwidth = intra * intra_bw + (1 - intra) * inter_bw
    multi = tp > 1
    return multi * (latency + 2.0 * (tp - 1) / tp * message_bytes / bandwidth)


def working_gpus(tp: Any, efficiency: ServingEfficiency) -> tuple[Any, Any]:
    """(GPUs that work at the same time, pipeline-hop time) for a replica of N GPUs.

    N·(1 − s) + s with s = ``efficiency.layer_split``: 0 for tensor parallelism (all N at once), 1 for
    an engine that places whole layers on each GPU and runs them one after another (Hugging Face
    accelerate ``device_map="auto"``, as eager Transformers does): one GPU works at a time, the
    activations hop N − 1 times per step.
    """
    split = efficiency.layer_split
    return tp - (tp - 1) * split, (tp - 1) * split * efficiency.pipeline_hop_s


@formula(
    title="Fixed latency of a forward step",
    equation="t_fixed = L · t_layer + t_step",
    result=("t_fixed", "s", "kernel-launch and host overhead of one step"),
    terms={
        "num_layers": ("L", "layers", "transformer layers the step runs"),
        "efficiency": _EFF,
    },
    reference="Seed 002 (固定延迟: kernel launches and collective start-up); Erdil 2025 §2.4",
)
def fixed_time_s(num_layers: Any, efficiency: ServingEfficiency) -> Any:
    return num_layers * efficiency.layer_overhead_s + efficiency.step_overhead_s


# ---------------------------------------------------------------------------------------------
# Decode and prefill
# ---------------------------------------------------------------------------------------------


@formula(
    title="Decode step time (one new token per sequence)",
    equation=("t = max(B·q·(2·P_act + 4·L·A·S) / (N·F·η_F),  (W_read(B·q)/η_BW + B·S·K·r/η_KV) / (N·BW))"
              " + 2·L·t_AR(B·q·h·2) + L·t_layer + t_step"),
    result=("t_step", "s", "time of one decode step of the whole batch"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "tp": _TP,
        "batch": _BATCH,
        "context_tokens": ("S", "tokens", "tokens already in each sequence's KV cache"),
        "weight_precision": _WP,
        "kv_precision": _KP,
        "compute_precision": _CP,
        "efficiency": _EFF,
        "tokens_per_sequence": ("q", "tokens", "tokens scored per sequence (1; γ+1 when verifying a speculative draft)"),
    },
    reference=REFERENCE + "; Kaplan et al. 2020 Table 1 (2·P + 2·L·n_ctx·d_attn forward FLOPs per token, ×2 for QKᵀ and AV)",
    assumptions=("K = KV bytes per token; r = max(N, KV heads)/KV heads (KV heads are replicated when N exceeds them). "
                 "BW = spec bandwidth × the generation's share (achieved_bandwidth_bytes_per_s). "
                 "Weights and KV shard evenly over N GPUs. Arithmetic and memory traffic overlap; "
                 "network and fixed latency do not. An engine that splits layers rather than tensors "
                 "(layer_split = 1: eager Transformers with accelerate device_map) runs its N GPUs one after "
                 "another: N counts as 1 GPU at a time plus N − 1 activation hops."),
)
def decode_step_time_s(shape: ServingShape, gpu: Accelerator, tp: Any = 1, batch: Any = 1, context_tokens: Any = 1024,
                       weight_precision: str = "bf16", kv_precision: str = "bf16", compute_precision: str = "bf16",
                       efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY, tokens_per_sequence: Any = 1) -> Any:
    check_number("tp", tp, minimum=1.0)
    check_number("batch", batch, minimum=0.0)
    check_number("context_tokens", context_tokens, minimum=0.0)
    tokens = batch * tokens_per_sequence
    context = _effective_context(shape, context_tokens)
    width, hops = working_gpus(tp, efficiency)
    flops = tokens * inference_flops_per_token(shape.active_params, shape.num_layers, context, shape.attention_width)
    t_arith = compute_time_s(flops, width * _peak(gpu, compute_precision), efficiency.flops_fraction(compute_precision))
    replication = _max(width, shape.kv_shards) / shape.kv_shards
    kv_read = batch * context * shape.kv_elements_per_token * bytes_per_element(kv_precision, "kv_precision") * replication
    weights = weight_bytes_read(shape, tokens, bytes_per_element(weight_precision, "weight_precision"))
    bandwidth = width * achieved_bandwidth_bytes_per_s(gpu, efficiency)
    t_mem = (memory_time_s(weights, bandwidth, efficiency.weight_bandwidth_fraction(weight_precision))
             + memory_time_s(kv_read, bandwidth, efficiency.kv_bandwidth_fraction))
    t_net = 2 * shape.num_layers * allreduce_time_s(tokens * shape.hidden_size * ACTIVATION_BYTES, width, gpu,
                                                    efficiency) + hops
    return _max(t_arith, t_mem) + t_net + fixed_time_s(shape.num_layers, efficiency)


@formula(
    title="Prefill time (time to first token)",
    equation=("t = max(B·(2·(P_act − P_head)·S + 2·P_head + 2·L·A·S²) / (N·F·η_F),  W_read(B·S) / (N·BW·η_BW))"
              " + 2·L·t_AR(B·S·h·2) + L·t_layer + t_step + t_admit"),
    result=("t_prefill", "s", "time to process the prompts of B sequences and emit each one's first token"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "tp": _TP,
        "batch": _BATCH,
        "prompt_tokens": ("S", "tokens", "prompt length of each sequence"),
        "weight_precision": _WP,
        "compute_precision": _CP,
        "efficiency": _EFF,
    },
    reference=REFERENCE + "; causal attention: 4·L·A·S²/2 FLOPs per sequence (QKᵀ and AV over the lower triangle)",
    assumptions="The output head runs on the last prompt token only; prompts of the batch are processed together.",
)
def prefill_time_s(shape: ServingShape, gpu: Accelerator, tp: Any = 1, batch: Any = 1, prompt_tokens: Any = 1024,
                   weight_precision: str = "bf16", compute_precision: str = "bf16",
                   efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    check_number("tp", tp, minimum=1.0)
    check_number("batch", batch, minimum=0.0)
    check_positive("prompt_tokens", prompt_tokens)
    context = _effective_context(shape, prompt_tokens)
    # causal attention: the mean token attends to half the (effective) prompt; the head runs on the last token
    per_sequence = (prompt_tokens * inference_flops_per_token(shape.active_params - shape.head_params,
                                                              shape.num_layers, context / 2.0, shape.attention_width)
                    + inference_flops_per_token(shape.head_params))
    width, hops = working_gpus(tp, efficiency)
    t_arith = compute_time_s(batch * per_sequence, width * _peak(gpu, compute_precision),
                             efficiency.flops_fraction(compute_precision))
    weights = weight_bytes_read(shape, batch * prompt_tokens, bytes_per_element(weight_precision, "weight_precision"))
    t_mem = memory_time_s(weights, width * achieved_bandwidth_bytes_per_s(gpu, efficiency),
                          efficiency.weight_bandwidth_fraction(weight_precision))
    message = batch * prompt_tokens * shape.hidden_size * ACTIVATION_BYTES
    t_net = 2 * shape.num_layers * allreduce_time_s(message, width, gpu, efficiency) + hops
    return _max(t_arith, t_mem) + t_net + fixed_time_s(shape.num_layers, efficiency) + efficiency.prefill_overhead_s


# ---------------------------------------------------------------------------------------------
# Memory: the batch that fits
# ---------------------------------------------------------------------------------------------


#: Tokens of the largest prefill forward pass the engine plans activation memory for (vLLM
#: max_num_batched_tokens with chunked prefill, 2048 in vLLM 0.6; TensorRT-LLM max_num_tokens is larger).
PREFILL_CHUNK_TOKENS = 2048

_FIT_TERMS = {
    "shape": _SHAPE,
    "gpu": _GPU,
    "tp": _TP,
    "sequence_tokens": ("S", "tokens", "tokens each sequence holds at the end (prompt + output)"),
    "weight_precision": _WP,
    "kv_precision": _KP,
    "efficiency": _EFF,
}


@formula(
    title="Sequences whose KV cache fits (the fit criterion)",
    equation="B_fit = ⌊(N · (f · M − R) − P · w − N · A(min(S, s_chunk), t = N)) / (r · K · S)⌋",
    result=("B_fit", "sequences", "concurrent sequences whose full KV cache fits beside the weights and activations "
                                  "(0: does not fit; no engine cap)"),
    terms=_FIT_TERMS,
    reference=("Kwon et al. 2023, vLLM (arXiv:2309.06180) §3 and gpu_memory_utilization (default 0.9): the engine "
               "takes f of device memory, puts the weights and the profiled activation workspace in it and gives the "
               "rest to the KV cache; TensorRT-LLM kv_cache_free_gpu_mem_fraction; activations: Korthikanti et al. "
               "2022 (arXiv:2205.05198) Table 2, selective (FlashAttention) case, one layer live"),
    assumptions=("M = vendor GB × 2^30 bytes (an '80 GB' H100 shows 81,559 MiB); f = kv_memory_fraction (the "
                 "engine's share of device memory; the rest is CUDA context, NCCL buffers, fragmentation); R = reserved_gb, "
                 "what the engine keeps per GPU for CUDA graphs and sampler buffers (xlcompute.core.serving_engines); "
                 "K = KV bytes per token, r = max(N, KV heads)/KV heads (replicated KV heads); A = one layer's "
                 "activations of a prefill chunk of s_chunk = 2048 tokens per GPU; every expert resident; "
                 "each sequence reserves its final length (no eviction)."),
)
def kv_batch_capacity(shape: ServingShape, gpu: Accelerator, tp: Any = 1, sequence_tokens: Any = 2048,
                      weight_precision: str = "bf16", kv_precision: str = "bf16",
                      efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    check_number("tp", tp, minimum=1.0)
    check_positive("sequence_tokens", sequence_tokens)
    capacity = tp * (efficiency.kv_memory_fraction * gpu.memory_bytes - efficiency.reserved_gb * GIB)
    chunk = _min(sequence_tokens, PREFILL_CHUNK_TOKENS)
    activations = tp * activation_memory_bytes(chunk, 1, shape.hidden_size, shape.num_heads, 1, "selective", tp)
    free = capacity - shape.total_params * bytes_per_element(weight_precision, "weight_precision") - activations
    replication = _max(tp, shape.kv_shards) / shape.kv_shards
    held = _effective_context(shape, sequence_tokens)  # sliding-window layers keep at most the window
    per_sequence = replication * shape.kv_elements_per_token * bytes_per_element(kv_precision, "kv_precision") * held
    return _max(free, 0.0) / per_sequence // 1


@formula(
    title="Largest batch whose KV cache fits",
    equation="B_max = min(B_cap, B_fit(N, S_in + S_out))",
    result=("B_max", "sequences", "concurrent sequences whose full KV cache fits beside the weights (0: does not fit)"),
    terms={**_FIT_TERMS, "sequence_tokens": ("S_in + S_out", "tokens", "tokens each sequence holds at the end "
                                                                       "(prompt + output)")},
    reference="kv_batch_capacity; B_cap = the engine's batch cap (TensorRT-LLM max runtime batch size 4096)",
)
def max_batch_size(shape: ServingShape, gpu: Accelerator, tp: Any = 1, sequence_tokens: Any = 2048,
                   weight_precision: str = "bf16", kv_precision: str = "bf16",
                   efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    fits = kv_batch_capacity(shape, gpu, tp, sequence_tokens, weight_precision, kv_precision, efficiency)
    return _min(fits, efficiency.max_batch)


#: Largest GPU count :func:`gpus_for_batch` searches (a few HGX racks).
MAX_GPUS_SEARCHED = 4096


@formula(
    title="GPUs whose memory holds the weights and the batch's KV cache",
    equation="n_mem = min{N ≥ 1 : B_fit(N, S) ≥ B}",
    result=("n_mem", "GPUs", "fewest GPUs (one tensor-parallel group) on which weights, activations and B sequences' "
                             "KV cache fit"),
    terms={**{k: v for k, v in _FIT_TERMS.items() if k != "tp"},
           "batch": ("B", "sequences", "concurrent sequences held in memory")},
    reference="kv_batch_capacity (the same fit criterion as max_batch_size); seed 003 §01 (GPUs = memory / GPU memory)",
    assumptions="KV heads are replicated when N exceeds them, as in kv_batch_capacity.",
)
def gpus_for_batch(shape: ServingShape, gpu: Accelerator, batch: float = 1, sequence_tokens: float = 4096,
                   weight_precision: str = "bf16", kv_precision: str = "bf16",
                   efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> int:
    check_positive("batch", batch)
    check_positive("sequence_tokens", sequence_tokens)
    # B_fit grows with N (a replicated KV head costs less than the N·f·M it comes with), so bisect.
    low, high = 1, 1
    while kv_batch_capacity(shape, gpu, high, sequence_tokens, weight_precision, kv_precision, efficiency) < batch:
        if high >= MAX_GPUS_SEARCHED:
            raise XlcomputeError(
                f"batch: {shape.id} with {batch:g} sequences of {sequence_tokens:g} tokens does not fit on "
                f"{MAX_GPUS_SEARCHED} x {gpu.id}.", argument="batch")
        low, high = high + 1, min(2 * high, MAX_GPUS_SEARCHED)
    while low < high:
        middle = (low + high) // 2
        if kv_batch_capacity(shape, gpu, middle, sequence_tokens, weight_precision, kv_precision, efficiency) >= batch:
            high = middle
        else:
            low = middle + 1
    return high


# ---------------------------------------------------------------------------------------------
# Throughput, speculative decoding, pipeline parallelism
# ---------------------------------------------------------------------------------------------


@formula(
    title="Output throughput of one replica",
    equation="X = B · S_out / (t_prefill(B, S_in) + S_out · t_step(B, S_in + S_out/2))",
    result=("X", "tokens/s", "output tokens per second of one replica (all its GPUs)"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "tp": _TP,
        "batch": _BATCH,
        "input_tokens": ("S_in", "tokens", "prompt tokens per request"),
        "output_tokens": ("S_out", "tokens", "generated tokens per request"),
        "weight_precision": _WP,
        "kv_precision": _KP,
        "compute_precision": _CP,
        "efficiency": _EFF,
    },
    reference=REFERENCE + "; continuous (in-flight) batching, Yu et al. 2022 (Orca, OSDI'22)",
    assumptions="Steady state: B sequences in flight, each prefilled once and decoded S_out steps at the mean context.",
)
def throughput_tokens_per_s(shape: ServingShape, gpu: Accelerator, tp: Any = 1, batch: Any = 1, input_tokens: Any = 1024,
                            output_tokens: Any = 256, weight_precision: str = "bf16", kv_precision: str = "bf16",
                            compute_precision: str = "bf16",
                            efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    check_positive("output_tokens", output_tokens)
    prefill = prefill_time_s(shape, gpu, tp, batch, input_tokens, weight_precision, compute_precision, efficiency)
    step = decode_step_time_s(shape, gpu, tp, batch, input_tokens + output_tokens / 2, weight_precision, kv_precision,
                              compute_precision, efficiency)
    return batch * output_tokens / (prefill + output_tokens * step)


@formula(
    title="Tokens accepted per speculative step",
    equation="n = (1 − α^(γ+1)) / (1 − α)",
    result=("n", "tokens", "expected tokens emitted per target-model verification"),
    terms={
        "acceptance": ("α", "", "probability that the target accepts a draft token"),
        "draft_tokens": ("γ", "tokens", "draft tokens proposed per step"),
    },
    reference="Leviathan et al. 2023, 'Fast Inference from Transformers via Speculative Decoding' (arXiv:2211.17192) eq. (1)",
)
def speculative_tokens_per_step(acceptance: float, draft_tokens: float) -> float:
    check_number("acceptance", acceptance, minimum=0.0, maximum=1.0)
    check_number("draft_tokens", draft_tokens, minimum=0.0, integer=True)
    if acceptance >= 1.0:
        return draft_tokens + 1.0
    return (1.0 - acceptance ** (draft_tokens + 1)) / (1.0 - acceptance)


@formula(
    title="Time per output token with speculative decoding",
    equation="t_tok = (γ · t_draft + t_verify(γ+1)) / n(α, γ)",
    result=("t_tok", "s", "mean time per emitted token"),
    terms={
        "verify_step_s": ("t_verify", "s", "target-model step scoring γ+1 tokens per sequence"),
        "draft_step_s": ("t_draft", "s", "draft-model step (one token per sequence)"),
        "acceptance": ("α", "", "acceptance probability per draft token"),
        "draft_tokens": ("γ", "tokens", "draft length"),
    },
    reference="Leviathan et al. 2023 (arXiv:2211.17192) §3.4; seed 002 (投机解码 amortises fixed and network latency, up to ~2×)",
)
def speculative_time_per_token_s(verify_step_s: Any, draft_step_s: Any, acceptance: float, draft_tokens: float) -> Any:
    check_number("verify_step_s", verify_step_s, minimum=0.0)
    check_number("draft_step_s", draft_step_s, minimum=0.0)
    return (draft_tokens * draft_step_s + verify_step_s) / speculative_tokens_per_step(acceptance, draft_tokens)


@formula(
    title="Decode time per token with pipeline stages",
    equation="t_tok = t_step(B/p on N = p·t GPUs holding L/p layers each) summed over p stages + (p − 1)·t_hop",
    result=("t_tok", "s", "time between tokens of one sequence with p pipeline stages of t-way tensor parallelism"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "tp": _TP,
        "stages": ("p", "stages", "pipeline stages (each holds L/p layers)"),
        "batch": ("B", "sequences", "sequences in flight, split into p micro-batches"),
        "context_tokens": ("S", "tokens", "context per sequence"),
        "weight_precision": _WP,
        "kv_precision": _KP,
        "compute_precision": _CP,
        "efficiency": _EFF,
    },
    reference="Huang et al. 2019 (GPipe); Erdil 2025 §3 (pipeline vs data parallel); seed 002 (数据并行通常更优)",
    assumptions=("Micro-batch B/p per stage keeps every stage busy; a stage reads 1/p of the weights and of the KV "
                 "cache, so the p stage times sum to one replica's step at batch B/p, plus p − 1 activation hops."),
)
def pipeline_time_per_token_s(shape: ServingShape, gpu: Accelerator, tp: Any = 1, stages: Any = 1, batch: Any = 1,
                              context_tokens: Any = 1024, weight_precision: str = "bf16", kv_precision: str = "bf16",
                              compute_precision: str = "bf16",
                              efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    check_number("stages", stages, minimum=1.0)
    micro = _max(batch / stages, 1.0)
    step = decode_step_time_s(shape, gpu, tp, micro, context_tokens, weight_precision, kv_precision, compute_precision,
                              efficiency)
    return step + (stages - 1) * efficiency.pipeline_hop_s


def pipeline_max_batch(shape: ServingShape, gpu: Accelerator, tp: Any, stages: Any, sequence_tokens: Any,
                       weight_precision: str, kv_precision: str,
                       efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    """Largest batch of a p-stage pipeline: the weights spread over p·t GPUs, KV sharded t ways per stage."""
    return max_batch_size(shape, gpu, tp * stages, sequence_tokens, weight_precision, kv_precision, efficiency)


__all__ = [
    "MAX_GPUS_SEARCHED", "PREFILL_CHUNK_TOKENS", "ServingShape", "achieved_bandwidth_bytes_per_s", "allreduce_time_s",
    "compute_precision_for",
    "decode_step_time_s", "default_kv_precision", "fixed_time_s", "gpus_for_batch", "kv_batch_capacity",
    "max_batch_size", "moe_unique_experts", "pipeline_max_batch", "pipeline_time_per_token_s", "prefill_time_s",
    "serving_shape", "speculative_time_per_token_s", "speculative_tokens_per_step", "throughput_tokens_per_s",
    "weight_bytes_read", "working_gpus",
]
