"""Expert parallelism with data-parallel attention: how DeepSeek-style MoE deployments are served.

A deployment of G GPUs runs the routed experts expert-parallel over all G (each GPU holds
(E + redundant)/G experts of every MoE layer) and attention data-parallel in D ranks of
t = G/D GPUs (each rank holds the attention and shared weights, split t ways, and the KV
cache of its own sequences: an MLA cache is never copied to the other ranks). Tokens reach
their experts by an all-to-all dispatch (fp8) and come back by a combine (bf16) in every MoE
layer. DeepSeek's published layouts: prefill EP32 / DP32 attention, decode EP144 / DP144 on H800
(DeepSeek "Day 6: DeepSeek-V3/R1 inference system overview", 2025); SGLang: EP32 prefill and EP72
decode on H100 (LMSYS, "Deploying DeepSeek with PD disaggregation and large-scale expert
parallelism on 96 H100 GPUs", 2025).

Same shape of formula as :mod:`xlcompute.core.serving` (t = max(arithmetic, memory) +
network + fixed), evaluated per GPU. Numbers or numpy arrays. Standard library only.
"""

from __future__ import annotations

from typing import Any

from .efficiency import DEFAULT_SERVING_EFFICIENCY, ServingEfficiency
from .errors import check_number, check_positive
from .formula import formula
from .hardware import Accelerator
from .inference import compute_time_s, inference_flops_per_token, memory_time_s
from .memory import activation_memory_bytes
from .serving import (GIB, PREFILL_CHUNK_TOKENS, ServingShape, _effective_context, _max, _min, _peak,
                      achieved_bandwidth_bytes_per_s,
                      fixed_time_s, moe_unique_experts)
from .units import bytes_per_element

REFERENCE = ("DeepSeek 2025, 'Day 6: DeepSeek-V3/R1 inference system overview' (EP32/DP32 prefill, EP144/DP144 "
             "decode); DeepSeek-AI 2024, DeepSeek-V3 technical report (arXiv:2412.19437) §3.4; LMSYS 2025, "
             "'Deploying DeepSeek with PD disaggregation and large-scale expert parallelism on 96 H100 GPUs'")
DISPATCH_BYTES = 1.0  # DeepEP dispatches fp8 activations
COMBINE_BYTES = 2.0  # and combines in bf16
#: Nodes a token's experts may span in prefill, where DeepEP's normal kernels cross the network once
#: per node and forward over NVLink (DeepSeek-V3 node-limited routing, M = 4; arXiv:2412.19437 §2.1.2).
PREFILL_NODES_PER_TOKEN = 4

_SHAPE = ("shape", "", "the model's serving counts (parameters, experts, attention width, KV elements)")
_GPU = ("gpu", "", "accelerator spec (peak FLOP/s, bandwidth, memory, interconnect)")
_GPUS = ("G", "GPUs", "GPUs of the deployment; routed experts are spread over all of them")
_DP = ("D", "ranks", "attention data-parallel ranks; each holds the attention weights over t = G/D GPUs")
_EFF = ("η", "", "efficiency settings (xlcompute.core.efficiency.ServingEfficiency)")
_WP = ("w", "", "weight precision (bytes per parameter)")
_KP = ("kv", "", "KV-cache precision")
_CP = ("c", "", "precision the matrix multiplications run at")
_RED = ("E_red", "experts", "redundant copies of busy experts per MoE layer (DeepSeek: 32)")


def _resident_dense(shape: ServingShape) -> float:
    """Parameters every attention rank holds: all but the routed experts."""
    return shape.total_params - shape.moe_layers * shape.num_experts * shape.expert_params


def _local_experts(shape: ServingShape, gpus: Any, redundant_experts: Any) -> Any:
    return (shape.num_experts + redundant_experts) / gpus


@formula(
    title="All-to-all time of one MoE layer (dispatch + combine)",
    equation="t_A2A = 2·α + T·c·h·(1 + 2 bytes)·(1 − n/G) / (β_net·η_A2A) + T·c·h·3·n/G / β_NVLink",
    result=("t_A2A", "s", "time to send a GPU's tokens to their experts and the results back, one MoE layer"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "gpus": _GPUS,
        "tokens": ("T", "tokens", "tokens on the GPU in the step"),
        "copies": ("c", "copies", "copies of a token that leave the GPU (k in decode; nodes spanned in prefill)"),
        "efficiency": _EFF,
    },
    reference=REFERENCE + "; DeepEP README (low-latency kernels: pure RDMA to each expert's GPU; normal kernels: "
                          "RDMA to each node, NVLink within it)",
    assumptions=("Experts are spread evenly (EPLB balances the load); a share n/G of a token's experts sit on its own "
                 "node (n = GPUs per node) and go over NVLink; the rest cross the network at the per-GPU NIC rate."),
)
def alltoall_time_s(shape: ServingShape, gpu: Accelerator, gpus: Any, tokens: Any, copies: Any,
                    efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY) -> Any:
    check_number("gpus", gpus, minimum=1.0)
    volume = tokens * copies * shape.hidden_size * (DISPATCH_BYTES + COMBINE_BYTES)
    local = _min(efficiency.gpus_per_node / gpus, 1.0)
    network = efficiency.internode_gbps * 1e9 * efficiency.alltoall_fraction
    nvlink = (gpu.interconnect_gbps / 2 or gpu.pcie_gbps or 25.0) * 1e9 * efficiency.link_fraction
    crosses = gpus > efficiency.gpus_per_node
    latency = crosses * efficiency.allreduce_latency_internode_s + (1 - crosses) * efficiency.allreduce_latency_s
    return (gpus > 1) * (2 * latency + volume * (1 - local) / network + volume * local / nvlink)


@formula(
    title="Decode step time with expert parallelism and data-parallel attention",
    equation=("t = max(B·(2·P_act + 4·L·A·S) / (G·F·η_F),  ((P_dense − P_emb)·w/t + L_moe·e·u·P_exp·w)/(BW·η_BW)"
              " + (B/D)·S·K·r/t/(BW·η_KV)) + L_moe·t_A2A(B/G, k) + L·t_layer + t_step"),
    result=("t_step", "s", "time of one decode step of the whole deployment"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "gpus": _GPUS,
        "attention_dp": _DP,
        "batch": ("B", "sequences", "sequences in the deployment (B/D per attention rank)"),
        "context_tokens": ("S", "tokens", "tokens already in each sequence's KV cache"),
        "weight_precision": _WP,
        "kv_precision": _KP,
        "compute_precision": _CP,
        "efficiency": _EFF,
        "redundant_experts": _RED,
    },
    reference=REFERENCE,
    assumptions=("e = (E + E_red)/G experts per GPU and layer, of which a share u = 1 − (1 − k/E)^B is touched; "
                 "r = max(t, KV heads)/KV heads (an MLA cache is replicated only inside a rank's t GPUs, never "
                 "across ranks); all-to-all is not hidden behind compute (two-batch overlap trades it for smaller "
                 "GEMMs)."),
)
def ep_decode_step_time_s(shape: ServingShape, gpu: Accelerator, gpus: Any = 8, attention_dp: Any = 8, batch: Any = 1,
                          context_tokens: Any = 1024, weight_precision: str = "fp8", kv_precision: str = "bf16",
                          compute_precision: str = "fp8", efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY,
                          redundant_experts: Any = 0) -> Any:
    check_number("gpus", gpus, minimum=1.0)
    check_number("attention_dp", attention_dp, minimum=1.0)
    check_number("batch", batch, minimum=0.0)
    rank_gpus = gpus / attention_dp
    context = _effective_context(shape, context_tokens)
    flops = batch * inference_flops_per_token(shape.active_params, shape.num_layers, context, shape.attention_width)
    t_arith = compute_time_s(flops, gpus * _peak(gpu, compute_precision), efficiency.flops_fraction(compute_precision))
    w = bytes_per_element(weight_precision, "weight_precision")
    touched = moe_unique_experts(shape.num_experts, shape.experts_per_token, batch) / max(shape.num_experts, 1)
    experts = shape.moe_layers * _local_experts(shape, gpus, redundant_experts) * touched * shape.expert_params * w
    dense = (shape.dense_params - shape.unread_params) * w / rank_gpus
    replication = _max(rank_gpus, shape.kv_shards) / shape.kv_shards
    kv = (batch / attention_dp) * context * shape.kv_elements_per_token * bytes_per_element(kv_precision, "kv_precision")
    bandwidth = achieved_bandwidth_bytes_per_s(gpu, efficiency)
    t_mem = (memory_time_s(dense + experts, bandwidth, efficiency.bandwidth_fraction)
             + memory_time_s(kv * replication / rank_gpus, bandwidth, efficiency.kv_bandwidth_fraction))
    t_net = shape.moe_layers * alltoall_time_s(shape, gpu, gpus, batch / gpus, shape.experts_per_token, efficiency)
    return _max(t_arith, t_mem) + t_net + fixed_time_s(shape.num_layers, efficiency)


@formula(
    title="Prefill time with expert parallelism and data-parallel attention",
    equation=("t = max(B·(2·P_act·S + 2·L·A·S²) / (G·F·η_F),  weights per GPU/(BW·η_BW)) "
              "+ L_moe·t_A2A(B·S/G, min(k, 4)) + L·t_layer + t_step + t_admit"),
    result=("t_prefill", "s", "time to prefill B prompts of S tokens on the deployment"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "gpus": _GPUS,
        "attention_dp": _DP,
        "batch": ("B", "sequences", "prompts prefilled together (B/D per attention rank)"),
        "prompt_tokens": ("S", "tokens", "prompt length"),
        "weight_precision": _WP,
        "compute_precision": _CP,
        "efficiency": _EFF,
        "redundant_experts": _RED,
    },
    reference=REFERENCE + "; causal attention 4·L·A·S²/2 FLOPs per prompt",
    assumptions="A token's experts span at most 4 nodes (node-limited routing); the prefill stream is compute-bound.",
)
def ep_prefill_time_s(shape: ServingShape, gpu: Accelerator, gpus: Any = 8, attention_dp: Any = 8, batch: Any = 1,
                      prompt_tokens: Any = 1024, weight_precision: str = "fp8", compute_precision: str = "fp8",
                      efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY, redundant_experts: Any = 0) -> Any:
    check_number("gpus", gpus, minimum=1.0)
    check_number("attention_dp", attention_dp, minimum=1.0)
    check_positive("prompt_tokens", prompt_tokens)
    context = _effective_context(shape, prompt_tokens)
    flops = batch * prompt_tokens * inference_flops_per_token(shape.active_params, shape.num_layers, context / 2.0,
                                                              shape.attention_width)
    t_arith = compute_time_s(flops, gpus * _peak(gpu, compute_precision), efficiency.flops_fraction(compute_precision))
    w = bytes_per_element(weight_precision, "weight_precision")
    resident = (_resident_dense(shape) * w * attention_dp / gpus
                + shape.moe_layers * _local_experts(shape, gpus, redundant_experts) * shape.expert_params * w)
    t_mem = memory_time_s(resident, achieved_bandwidth_bytes_per_s(gpu, efficiency), efficiency.bandwidth_fraction)
    copies = _min(shape.experts_per_token, PREFILL_NODES_PER_TOKEN)
    t_net = shape.moe_layers * alltoall_time_s(shape, gpu, gpus, batch * prompt_tokens / gpus, copies, efficiency)
    return (_max(t_arith, t_mem) + t_net + fixed_time_s(shape.num_layers, efficiency)
            + efficiency.prefill_overhead_s)


@formula(
    title="Sequences whose KV cache fits with expert parallelism and data-parallel attention",
    equation="B_fit = D · ⌊(f·M − R − W_GPU − A) / (K · S · r / t)⌋,  W_GPU = P_dense·w/t + L_moe·e·P_exp·w",
    result=("B_fit", "sequences", "concurrent sequences the deployment holds (0: the weights do not fit)"),
    terms={
        "shape": _SHAPE,
        "gpu": _GPU,
        "gpus": _GPUS,
        "attention_dp": _DP,
        "sequence_tokens": ("S", "tokens", "tokens each sequence holds at the end"),
        "weight_precision": _WP,
        "kv_precision": _KP,
        "efficiency": _EFF,
        "redundant_experts": _RED,
    },
    reference=REFERENCE + "; Kwon et al. 2023 (vLLM) and SGLang mem_fraction_static: weights and workspace first, "
                          "the rest to the KV pool",
    assumptions=("Per GPU: its experts and its share of the dense weights; a rank's KV cache is split over its t GPUs "
                 "(replicated only where t exceeds the KV heads; MLA: within the rank); A = one layer's activations "
                 "of a 2,048-token prefill chunk."),
)
def ep_batch_capacity(shape: ServingShape, gpu: Accelerator, gpus: Any = 8, attention_dp: Any = 8,
                      sequence_tokens: Any = 2048, weight_precision: str = "fp8", kv_precision: str = "bf16",
                      efficiency: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY, redundant_experts: Any = 0) -> Any:
    check_number("gpus", gpus, minimum=1.0)
    check_positive("sequence_tokens", sequence_tokens)
    rank_gpus = gpus / attention_dp
    w = bytes_per_element(weight_precision, "weight_precision")
    weights = (_resident_dense(shape) * w / rank_gpus
               + shape.moe_layers * _local_experts(shape, gpus, redundant_experts) * shape.expert_params * w)
    chunk = _min(sequence_tokens, PREFILL_CHUNK_TOKENS)
    activations = activation_memory_bytes(chunk, 1, shape.hidden_size, shape.num_heads, 1, "selective", 1)
    free = efficiency.kv_memory_fraction * gpu.memory_bytes - efficiency.reserved_gb * GIB - weights - activations
    replication = _max(rank_gpus, shape.kv_shards) / shape.kv_shards
    held = _effective_context(shape, sequence_tokens)
    per_sequence = shape.kv_elements_per_token * bytes_per_element(kv_precision, "kv_precision") * held * replication
    return attention_dp * (_max(free, 0.0) * rank_gpus / per_sequence // 1)


__all__ = ["PREFILL_NODES_PER_TOKEN", "alltoall_time_s", "ep_batch_capacity",
           "ep_decode_step_time_s", "ep_prefill_time_s"]
