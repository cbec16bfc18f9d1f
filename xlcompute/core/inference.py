"""Inference: FLOPs per token, request FLOPs, demand, GPUs needed, cost, first-order roofline.

Seed 004 eqs. (10)-(12); seed 000 (demand = FLOPs per token × tokens × requests); seed 003
(2·P FLOPs per token, TTFT, TPOT, latency, tokens per second). The roofline primitives
(:func:`compute_time_s`, :func:`memory_time_s`) are what :mod:`xlcompute.core.serving` builds on.

MoE: FLOPs use *active* parameters; memory and (at large batch) weight reads use *total*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import check_fraction, check_number, check_positive
from .formula import formula
from .training import whole_count
from .units import SECONDS_PER_HOUR


@formula(
    title="Inference FLOPs per token",
    equation="c = 2 · P_active + 2 · 2 · L · ctx · d_attn",
    result=("c", "FLOP/token", "forward compute for one token"),
    terms={
        "active_params": ("P_active", "parameters", "parameters used per token (MoE: shared + top-k experts)"),
        "num_layers": ("L", "layers", "layers (0 leaves the attention term out)"),
        "context_tokens": ("ctx", "tokens", "tokens this token attends to (average context during generation)"),
        "attn_dim": ("d_attn", "-", "query heads × head dim (not the KV heads: GQA saves memory, not these FLOPs)"),
    },
    reference="Kaplan et al. 2020, arXiv:2001.08361 Table 1 (C_forward ≈ 2N + 2·L·n_ctx·d_attn); seed 003 §02 "
              "(2 FLOPs per parameter per token); attention counts QKᵀ and attention·V as in PaLM App. B",
    assumptions="Embedding lookups and softmax ignored; the logit layer is inside P_active when untied weights are "
                "counted. Sliding-window layers: pass the capped average context.",
)
def inference_flops_per_token(active_params: float, num_layers: float = 0, context_tokens: float = 0,
                              attn_dim: float = 0) -> float:
    """Forward FLOPs per token c = 2·P_active + 4·L·ctx·d_attn [FLOP/token].

    ``active_params`` [parameters], ``num_layers`` [layers], ``context_tokens`` [tokens],
    ``attn_dim`` [-]. Leave the last three at 0 for the parameter-only 2·P rule.
    """
    check_positive("active_params", active_params)
    check_number("num_layers", num_layers)
    check_number("context_tokens", context_tokens)
    check_number("attn_dim", attn_dim)
    return 2.0 * active_params + 2.0 * 2.0 * num_layers * context_tokens * attn_dim


@formula(
    title="Request FLOPs",
    equation="C_i = c · T_io = 2 · T_io · P",
    result=("C_i", "FLOP", "compute of one request"),
    terms={
        "active_params": ("P", "parameters", "parameters used per token (MoE: active)"),
        "io_tokens": ("T_io", "tokens", "input + output tokens of the request"),
    },
    reference="Seed 004 eq. (10); seed 003 §02 (推理总计算量 = 2 × 模型参数 × token 数)",
    assumptions="Parameter-only count (no attention term).",
)
def request_flops(active_params: float, io_tokens: float) -> float:
    """Request FLOPs C_i = 2·T_io·P [FLOP]; ``active_params`` [parameters], ``io_tokens`` [tokens]."""
    check_positive("io_tokens", io_tokens)
    return inference_flops_per_token(active_params) * io_tokens


@formula(
    title="Compute demand",
    equation="D = c · T_req · R",
    result=("D", "FLOP/s", "sustained compute demand"),
    terms={
        "flops_per_token": ("c", "FLOP/token", "compute per token"),
        "tokens_per_request": ("T_req", "tokens", "tokens per request (input + output, counted once)"),
        "requests_per_s": ("R", "requests/s", "request rate (QPS)"),
    },
    reference="Seed 000 §二.1 (总FLOPs = 单次推理FLOPs × Token数 × 并发请求数)",
    assumptions="A rate is needed for FLOP/s: the seed's 'concurrent requests' is used as requests per second (QPS), "
                "as in its own case 1.",
)
def compute_demand_flops_per_s(flops_per_token: float, tokens_per_request: float, requests_per_s: float) -> float:
    """Demand D = c · T_req · R [FLOP/s]; c [FLOP/token], T_req [tokens], R [requests/s]."""
    check_positive("flops_per_token", flops_per_token)
    check_positive("tokens_per_request", tokens_per_request)
    check_positive("requests_per_s", requests_per_s)
    return flops_per_token * tokens_per_request * requests_per_s


@formula(
    title="GPUs for memory",
    equation="n_mem = ⌈M / (G · f)⌉",
    result=("n_mem", "GPUs", "whole GPUs whose usable memory holds M"),
    terms={
        "memory_bytes": ("M", "B", "memory to hold (weights + KV + overhead)"),
        "gpu_memory_bytes": ("G", "B", "memory of one GPU (Accelerator.memory_bytes)"),
        "usable_fraction": ("f", "-", "share of GPU memory the runtime may use (vLLM default 0.9)"),
    },
    reference="Seed 003 §01 (685B × 2 B = 1370 GB over 80 GB H100s ≈ 18 GPUs)",
    assumptions="Memory splits evenly across GPUs (tensor/pipeline parallel), no per-GPU replication.",
)
def gpus_for_memory(memory_bytes: float, gpu_memory_bytes: float, usable_fraction: float = 0.9) -> int:
    """Whole GPUs for memory n = ⌈M / (G·f)⌉ [GPUs]; M, G [B], f [-].

    Seed 003's weights-over-memory count. GPUS_NEEDED uses the serving fit criterion instead
    (:func:`xlcompute.core.serving.gpus_for_batch`, the same rule as max_batch_size).
    """
    check_positive("memory_bytes", memory_bytes)
    check_positive("gpu_memory_bytes", gpu_memory_bytes)
    check_fraction("usable_fraction", usable_fraction)
    return whole_count(memory_bytes / (gpu_memory_bytes * usable_fraction))


@formula(
    title="GPUs for throughput",
    equation="n_tp = ⌈U · C_i / (X · U_gpu · t_c)⌉",
    result=("n_tp", "GPUs", "whole GPUs whose compute serves the demand"),
    terms={
        "users": ("U", "users", "concurrent users (each issuing one request per t_c)"),
        "request_flops": ("C_i", "FLOP", "compute of one request"),
        "seconds_per_request": ("t_c", "s", "average time of one user's request"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one GPU"),
        "utilization": ("U_gpu", "-", "achieved share of peak (1.0 = the seed's X as peak)"),
    },
    reference="Seed 004 eq. (11) n = U·C_i/(X·t_c)",
    assumptions="Compute-bound; decode at small batch is memory-bound, see tpot_s.",
)
def gpus_for_throughput(users: float, request_flops: float, seconds_per_request: float, peak_flops_per_gpu: float,
                        utilization: float = 0.4) -> int:
    """Whole GPUs for throughput n = ⌈U·C_i / (X·util·t_c)⌉ [GPUs] (seed 004 eq. 11).

    ``users`` U [users], ``request_flops`` C_i [FLOP], ``seconds_per_request`` t_c [s],
    ``peak_flops_per_gpu`` X [FLOP/s], ``utilization`` [-] (default 0.4; 1.0 reproduces the seed).
    """
    check_positive("users", users)
    check_positive("request_flops", request_flops)
    check_positive("seconds_per_request", seconds_per_request)
    check_positive("peak_flops_per_gpu", peak_flops_per_gpu)
    check_fraction("utilization", utilization)
    return whole_count(users * request_flops / (peak_flops_per_gpu * utilization * seconds_per_request))


_GPUS_NEEDED_TERMS = {
    "memory_bytes": ("M", "B", "memory to hold"),
    "gpu_memory_bytes": ("G", "B", "memory of one GPU"),
    "users": ("U", "users", "concurrent users"),
    "request_flops": ("C_i", "FLOP", "compute of one request"),
    "seconds_per_request": ("t_c", "s", "average time of one request"),
    "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one GPU"),
    "usable_fraction": ("f", "-", "usable share of GPU memory"),
    "utilization": ("U_gpu", "-", "achieved share of peak compute"),
}


@formula(
    title="GPUs needed",
    equation="n = max(n_mem, n_tp)",
    result=("n", "GPUs", "whole GPUs meeting both memory and throughput"),
    terms=_GPUS_NEEDED_TERMS,
    reference="Seed 004 eq. (11) and seed 003 §01 combined",
    assumptions="The binding constraint is reported by binding_constraint().",
)
def gpus_needed(memory_bytes: float, gpu_memory_bytes: float, users: float, request_flops: float,
                seconds_per_request: float, peak_flops_per_gpu: float, usable_fraction: float = 0.9,
                utilization: float = 0.4) -> int:
    """Whole GPUs n = max(gpus_for_memory, gpus_for_throughput) [GPUs]."""
    by_memory = gpus_for_memory(memory_bytes, gpu_memory_bytes, usable_fraction)
    by_throughput = gpus_for_throughput(users, request_flops, seconds_per_request, peak_flops_per_gpu, utilization)
    return by_memory + (by_throughput - by_memory) * (by_throughput > by_memory)


@dataclass(frozen=True)
class GpuRequirement:
    """GPUs needed and which constraint binds ("memory" or "throughput"; ties report "memory")."""

    gpus: int
    gpus_for_memory: int
    gpus_for_throughput: int
    binding: str

    def to_dict(self) -> dict[str, Any]:
        return {"gpus": self.gpus, "gpus_for_memory": self.gpus_for_memory,
                "gpus_for_throughput": self.gpus_for_throughput, "binding": self.binding}


@formula(
    title="Binding GPU constraint",
    equation="binding = 'throughput' if n_tp > n_mem else 'memory'",
    result=("binding", "-", "the constraint that sets the GPU count"),
    terms=_GPUS_NEEDED_TERMS,
    reference="Seed 004 eq. (11) and seed 003 §01 combined",
)
def binding_constraint(memory_bytes: float, gpu_memory_bytes: float, users: float, request_flops: float,
                       seconds_per_request: float, peak_flops_per_gpu: float, usable_fraction: float = 0.9,
                       utilization: float = 0.4) -> GpuRequirement:
    """Both GPU counts [GPUs] and the one that binds, as a :class:`GpuRequirement` (scalar inputs)."""
    by_memory = gpus_for_memory(memory_bytes, gpu_memory_bytes, usable_fraction)
    by_throughput = gpus_for_throughput(users, request_flops, seconds_per_request, peak_flops_per_gpu, utilization)
    binding = "throughput" if by_throughput > by_memory else "memory"
    return GpuRequirement(max(by_memory, by_throughput), by_memory, by_throughput, binding)


@formula(
    title="Cost per request",
    equation="E_i = C_i · E / (3600 · X · U_gpu)",
    result=("E_i", "USD", "GPU cost of one request"),
    terms={
        "request_flops": ("C_i", "FLOP", "compute of one request"),
        "usd_per_gpu_hour": ("E", "USD/(GPU·h)", "price of one GPU-hour"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one GPU"),
        "utilization": ("U_gpu", "-", "achieved share of peak (1.0 = the seed's X)"),
    },
    reference="Seed 004 eq. (12), corrected: the seed divides by n as well, which is right only if E is the hourly "
              "price of all n chips together",
    assumptions="Compute-bound; the GPU is busy with paid work; training cost not amortised (as in the seed).",
)
def cost_per_request(request_flops: float, usd_per_gpu_hour: float, peak_flops_per_gpu: float,
                     utilization: float = 0.4) -> float:
    """Cost of one request E_i = C_i·E / (3600·X·util) [USD].

    ``request_flops`` [FLOP], ``usd_per_gpu_hour`` E [USD/(GPU·h)], ``peak_flops_per_gpu`` X
    [FLOP/s]. Seed 004 eq. (12) writes C_i·E/(3600·n·X) with E per chip: on n chips the request
    takes C_i/(n·X) seconds but costs n·E per hour, so n cancels.
    """
    check_positive("request_flops", request_flops)
    check_number("usd_per_gpu_hour", usd_per_gpu_hour)
    check_positive("peak_flops_per_gpu", peak_flops_per_gpu)
    check_fraction("utilization", utilization)
    return request_flops * usd_per_gpu_hour / (SECONDS_PER_HOUR * peak_flops_per_gpu * utilization)


@formula(
    title="Cost per million tokens",
    equation="$/Mtok = n · E / (3600 · τ) · 10⁶",
    result=("$/Mtok", "USD/Mtoken", "GPU cost per million tokens"),
    terms={
        "usd_per_gpu_hour": ("E", "USD/(GPU·h)", "price of one GPU-hour"),
        "num_gpus": ("n", "GPUs", "GPUs of the serving replica"),
        "tokens_per_s": ("τ", "tokens/s", "tokens per second the replica delivers"),
    },
    reference="Hourly cost / hourly tokens (as in llm-analysis cost_per_1k_tokens and Epoch AI inference economics)",
    assumptions="The replica runs at τ for the whole hour (utilisation folded into τ).",
)
def cost_per_million_tokens(usd_per_gpu_hour: float, num_gpus: float, tokens_per_s: float) -> float:
    """Cost per million tokens = n·E / (3600·τ) · 1e6 [USD/Mtoken]; E [USD/(GPU·h)], τ [tokens/s]."""
    check_number("usd_per_gpu_hour", usd_per_gpu_hour)
    check_positive("num_gpus", num_gpus)
    check_positive("tokens_per_s", tokens_per_s)
    return num_gpus * usd_per_gpu_hour / (SECONDS_PER_HOUR * tokens_per_s) * 1e6


@formula(
    title="Compute time",
    equation="t = F / (X · η)",
    result=("t", "s", "time to execute the FLOPs"),
    terms={
        "flops": ("F", "FLOP", "work"),
        "peak_flops": ("X", "FLOP/s", "peak throughput of the devices doing it (n × per-GPU peak)"),
        "efficiency": ("η", "-", "achieved share of peak"),
    },
    reference="Williams et al. 2009, Roofline (CACM 52(4)); seed 002 (arithmetic time)",
)
def compute_time_s(flops: float, peak_flops: float, efficiency: float = 1.0) -> float:
    """Compute-bound time t = F / (X·η) [s]; F [FLOP], X [FLOP/s], η [-]."""
    check_number("flops", flops)
    check_positive("peak_flops", peak_flops)
    check_fraction("efficiency", efficiency)
    return flops / (peak_flops * efficiency)


@formula(
    title="Memory time",
    equation="t = M / (BW · η)",
    result=("t", "s", "time to stream the bytes from memory"),
    terms={
        "num_bytes": ("M", "B", "bytes read"),
        "bandwidth_bytes_per_s": ("BW", "B/s", "memory bandwidth of the devices (n × per-GPU HBM bandwidth)"),
        "efficiency": ("η", "-", "achieved share of bandwidth"),
    },
    reference="Williams et al. 2009, Roofline (CACM 52(4)); seed 002 (memory read/write time)",
)
def memory_time_s(num_bytes: float, bandwidth_bytes_per_s: float, efficiency: float = 1.0) -> float:
    """Memory-bound time t = M / (BW·η) [s]; M [B], BW [B/s], η [-]."""
    check_number("num_bytes", num_bytes)
    check_positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    check_fraction("efficiency", efficiency)
    return num_bytes / (bandwidth_bytes_per_s * efficiency)


@formula(
    title="Time to first token (prefill)",
    equation="TTFT = b · s_in · c(ctx = s_in/2) / (X · η)",
    result=("TTFT", "s", "time from request to first output token"),
    terms={
        "active_params": ("P_active", "parameters", "parameters used per token"),
        "prompt_tokens": ("s_in", "tokens", "prompt length"),
        "peak_flops": ("X", "FLOP/s", "peak throughput of the GPUs serving the request together"),
        "batch": ("b", "sequences", "prompts prefilled together"),
        "efficiency": ("η", "-", "achieved share of peak in prefill"),
        "num_layers": ("L", "layers", "layers, for the attention term (0 = leave it out)"),
        "attn_dim": ("d_attn", "-", "query heads × head dim, for the attention term"),
    },
    reference="Seed 003 §02 (TTFT = prefill time; prefill processes prompt tokens in parallel)",
    assumptions="Prefill is compute-bound; queueing, tokenisation and network time not included; causal attention "
                "(average context s_in/2).",
)
def ttft_s(active_params: float, prompt_tokens: float, peak_flops: float, batch: float = 1,
           efficiency: float = 0.5, num_layers: float = 0, attn_dim: float = 0) -> float:
    """TTFT = b·s_in·c / (X·η) [s], c from :func:`inference_flops_per_token` at context s_in/2.

    Seed 003's first-order formula, kept as the seed states it (``xlcompute calc ttft_s``). The
    Excel function TTFT_MS and the planner use the serving model instead
    (:func:`xlcompute.core.serving.prefill_time_s`: roofline with fitted efficiencies, network and
    fixed latency); the two are not mixed in any result.
    """
    check_positive("prompt_tokens", prompt_tokens)
    check_positive("batch", batch)
    per_token = inference_flops_per_token(active_params, num_layers, prompt_tokens / 2.0, attn_dim)
    return compute_time_s(batch * prompt_tokens * per_token, peak_flops, efficiency)


@formula(
    title="Time per output token (decode)",
    equation="TPOT = max(b · 2 · P_active / (X · η_c), (M_w + M_kv) / (BW · η_m))",
    result=("TPOT", "s", "time per output token after the first"),
    terms={
        "active_params": ("P_active", "parameters", "parameters used per token"),
        "weight_bytes": ("M_w", "B", "weight bytes read per step (MoE: active experts at batch 1, all at large batch)"),
        "kv_bytes": ("M_kv", "B", "KV-cache bytes read per step (whole batch)"),
        "peak_flops": ("X", "FLOP/s", "peak throughput of the GPUs serving together"),
        "bandwidth_bytes_per_s": ("BW", "B/s", "memory bandwidth of the GPUs serving together"),
        "batch": ("b", "sequences", "sequences decoded together"),
        "compute_efficiency": ("η_c", "-", "achieved share of peak compute"),
        "bandwidth_efficiency": ("η_m", "-", "achieved share of memory bandwidth"),
    },
    reference="Seed 003 §02 (TPOT); roofline: Williams et al. 2009; decode is memory-bound at small batch "
              "(Pope et al. 2022, arXiv:2211.05102 §2)",
    assumptions="Compute and memory traffic overlap perfectly; communication and kernel-launch latency not included "
                "(see core.serving).",
)
def tpot_s(active_params: float, weight_bytes: float, kv_bytes: float, peak_flops: float,
           bandwidth_bytes_per_s: float, batch: float = 1, compute_efficiency: float = 0.5,
           bandwidth_efficiency: float = 0.8) -> float:
    """TPOT = max(compute time of b·2·P_active, memory time of M_w + M_kv) [s].

    Seed 003's first-order roofline, kept as the seed states it. TPOT_MS and the planner use the
    serving model instead (:func:`xlcompute.core.serving.decode_step_time_s`: fitted efficiencies,
    MoE expert reads, all-reduce and fixed latency); the two are not mixed in any result.
    """
    check_positive("batch", batch)
    check_number("weight_bytes", weight_bytes)
    check_number("kv_bytes", kv_bytes)
    compute = compute_time_s(batch * inference_flops_per_token(active_params), peak_flops, compute_efficiency)
    memory = memory_time_s(weight_bytes + kv_bytes, bandwidth_bytes_per_s, bandwidth_efficiency)
    return compute + (memory - compute) * (memory > compute)


@formula(
    title="Request latency",
    equation="latency = TTFT + TPOT · (n − 1)",
    result=("latency", "s", "time from request to last output token"),
    terms={
        "ttft": ("TTFT", "s", "time to first token"),
        "tpot": ("TPOT", "s", "time per output token after the first"),
        "output_tokens": ("n", "tokens", "output tokens, the first included"),
    },
    reference="Seed 003 §02 (Latency = TTFT + TPOT × 生成 token 数); NVIDIA NIM benchmarking guide "
              "(TPOT = (latency − TTFT)/(n − 1))",
    assumptions="The first token arrives at TTFT, so n − 1 tokens follow at TPOT each; the seed's TPOT·n counts "
                "the first token twice.",
)
def latency_s(ttft: float, tpot: float, output_tokens: float) -> float:
    """Latency = TTFT + TPOT·(n − 1) [s]; ttft, tpot [s], output_tokens n [tokens] (n ≥ 1)."""
    check_number("ttft", ttft)
    check_number("tpot", tpot)
    check_number("output_tokens", output_tokens, minimum=1)
    return ttft + tpot * (output_tokens - 1)


@formula(
    title="Tokens per second",
    equation="TPS = n / latency",
    result=("TPS", "tokens/s", "output tokens per second of one request"),
    terms={
        "output_tokens": ("n", "tokens", "output tokens generated"),
        "latency": ("latency", "s", "time from request to last token"),
    },
    reference="Seed 003 §02 (TPS = 生成总 Token / 延迟)",
)
def tokens_per_second(output_tokens: float, latency: float) -> float:
    """Tokens per second TPS = n / latency [tokens/s]."""
    check_positive("output_tokens", output_tokens)
    check_positive("latency", latency)
    return output_tokens / latency


@formula(
    title="Transformer layer forward FLOPs",
    equation="F_layer = b · (8·s·h² + 4·s²·h + 2·k·s·h·f)",
    result=("F_layer", "FLOP", "forward compute of one layer over a sequence"),
    terms={
        "seq_len": ("s", "tokens", "sequence length"),
        "hidden_size": ("h", "-", "hidden size"),
        "intermediate_size": ("f", "-", "MLP width (None = 4h)"),
        "gated_mlp": ("gated", "-", "True for SwiGLU/GeGLU (k = 3 matrices), False for plain (k = 2)"),
        "batch": ("b", "sequences", "sequences"),
    },
    reference="Narayanan et al. 2021 (Megatron-LM, arXiv:2104.04473) §5.1: 24·b·s·h² + 4·b·s²·h per layer forward "
              "for f = 4h; seed 000 §二.1 (transformer_layer_flops, with errata)",
    assumptions="MHA projections (Q, K, V, O: 8·s·h²); non-causal scores (4·s²·h); norms and softmax ignored.",
)
def transformer_layer_flops(seq_len: float, hidden_size: float, intermediate_size: Any = None,
                            gated_mlp: bool = False, batch: float = 1) -> float:
    """Forward FLOPs of one layer [FLOP] = b·(8sh² + 4s²h + 2·k·s·h·f).

    Seed 000 writes 4·s²·h + 2·s·h², which undercounts the projections and MLP (24·s·h² for
    f = 4h) and then prints 1.2e11 for GPT-3, which is not even what its own expression gives.
    """
    check_positive("seq_len", seq_len)
    check_positive("hidden_size", hidden_size)
    check_positive("batch", batch)
    if intermediate_size is None:
        intermediate_size = 4 * hidden_size
    check_positive("intermediate_size", intermediate_size)
    matrices = 3.0 if gated_mlp else 2.0
    s, h = seq_len, hidden_size
    return batch * (8.0 * s * h * h + 4.0 * s * s * h + 2.0 * matrices * s * h * intermediate_size)
