"""Inference FLOPs, demand, GPUs needed, cost and the first-order roofline (TTFT, TPOT, latency)."""

from __future__ import annotations

import numpy as np
import pytest

from xlcompute.core import XlcomputeError, explain
from xlcompute.core.inference import (
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
from conftest import published_row

H100_BF16 = 989.5e12  # NVIDIA H100 SXM datasheet, dense BF16 [FLOP/s]
H100_BW = 3.35e12  # [B/s]
A100_BF16 = 312e12
A100_BW = 2.039e12


def test_flops_per_token_two_p_and_attention_term():
    assert inference_flops_per_token(7e9) == 14e9
    # Kaplan et al. Table 1 convention with both QKᵀ and AV: + 4·L·ctx·d_attn.
    assert inference_flops_per_token(7e9, 32, 4096, 4096) == 14e9 + 4 * 32 * 4096 * 4096


def test_flops_per_token_moe_uses_active_params():
    # Mixtral 8x7B: 46.7B total, 12.9B active (Jiang et al. 2024, arXiv:2401.04088 §2).
    assert inference_flops_per_token(12.9e9) == pytest.approx(2 * 12.9e9)


def test_request_flops_nests_flops_per_token():
    assert request_flops(32e9, 1000) == 6.4e13
    step = explain(request_flops, 32e9, 1000)
    assert [c.name for c in step.children] == ["inference_flops_per_token"]


def test_compute_demand():
    assert compute_demand_flops_per_s(2.6e10, 30, 100) == pytest.approx(7.8e13)


def test_gpus_for_memory_whole_and_usable_fraction():
    assert gpus_for_memory(1370e9, 80e9, 1.0) == 18
    assert gpus_for_memory(1370e9, 80e9, 0.9) == 20
    assert gpus_for_memory(160e9, 80e9, 1.0) == 2


def test_gpus_for_throughput_seed_eq_11():
    # n = U·C/(X·t_c): 100 users, 1e14 FLOP per request, 10 s per request, 1e15 FLOP/s at 100 % -> 1 GPU.
    assert gpus_for_throughput(100, 1e14, 10, 1e15, 1.0) == 1
    assert gpus_for_throughput(101, 1e14, 10, 1e15, 1.0) == 2
    assert gpus_for_throughput(100, 1e14, 10, 1e15, 0.5) == 2


def test_gpus_needed_and_binding_constraint():
    # Memory binds: 140 GB of weights on 80 GB GPUs (2) with tiny demand.
    assert gpus_needed(140e9, 80e9, 1, 1e12, 10, H100_BF16) == 2
    result = binding_constraint(140e9, 80e9, 1, 1e12, 10, H100_BF16)
    assert result == GpuRequirement(2, 2, 1, "memory")
    # Throughput binds: 10,000 users.
    result = binding_constraint(140e9, 80e9, 10_000, 1.4e14, 10, H100_BF16, utilization=0.5)
    assert result.binding == "throughput"
    assert result.gpus == gpus_needed(140e9, 80e9, 10_000, 1.4e14, 10, H100_BF16, utilization=0.5) == 283


def test_gpus_needed_vectorised():
    out = gpus_needed(np.array([140e9, 10e9]), 80e9, np.array([1.0, 10_000.0]), 1.4e14, 10, H100_BF16,
                      utilization=0.5)
    assert out.tolist() == [2, 283]


def test_cost_per_request_n_cancels():
    # Seed 004 eq. (12) with the n corrected: C·E/(3600·X·U). 1e15 FLOP at 1e15 FLOP/s = 1 s of a $3.6/h GPU.
    assert cost_per_request(1e15, 3.6, 1e15, 1.0) == pytest.approx(0.001)


def test_cost_per_million_tokens():
    # One $2/h GPU delivering 1000 tokens/s: 3.6M tokens per hour -> $0.556 per million.
    assert cost_per_million_tokens(2.0, 1, 1000) == pytest.approx(2 / 3.6)
    assert cost_per_million_tokens(2.0, 8, 8000) == pytest.approx(2 / 3.6)


def test_roofline_primitives():
    assert compute_time_s(1e15, 1e15, 0.5) == 2.0
    assert memory_time_s(16e9, 2e12, 0.8) == pytest.approx(0.01)


def test_tpot_memory_bound_at_batch_one_llama3_8b():
    # Llama-3-8B BF16 on one H100: 16.06 GB of weights per token at 3.35 TB/s -> 4.8 ms at 100 % bandwidth.
    t = tpot_s(8.03e9, 16.06e9, 0, H100_BF16, H100_BW, bandwidth_efficiency=1.0)
    assert t == pytest.approx(16.06e9 / 3.35e12)
    step = explain(tpot_s, 8.03e9, 16.06e9, 0, H100_BF16, H100_BW)
    assert {c.name for c in step.children} == {"compute_time_s", "memory_time_s", "inference_flops_per_token"}


def test_tpot_compute_bound_at_large_batch():
    t = tpot_s(8.03e9, 16.06e9, 0, H100_BF16, H100_BW, batch=1024, compute_efficiency=1.0)
    assert t == pytest.approx(1024 * 2 * 8.03e9 / H100_BF16)


def test_qwen_decode_speed_order_of_magnitude(published):
    # Qwen2.5-7B BF16 on A100-80GB, batch 1, vLLM: 84.28 tokens/s measured (2048 tokens incl. prefill).
    # Roofline at the default 0.8 bandwidth efficiency: 15.2 GB weights -> ~107 tokens/s, an upper bound;
    # the measurement must be below it and above half of it.
    row = [r for r in published["inference_measurements"]
           if r.get("framework", "").startswith("vLLM 0.6.3 (") and r["input_len"] == 1][0]
    t = tpot_s(7.62e9, 15.24e9, 0, A100_BF16, A100_BW)
    upper = 1 / t
    assert row["decode_speed_tokens_per_s"] < upper < 2 * row["decode_speed_tokens_per_s"]


def test_ttft_compute_bound_gptj_h100(published):
    # TensorRT-LLM: GPT-J 6B FP8 on one H100, batch 64 x 128 input tokens, TTFT 102 ms measured.
    # Roofline at fp8 peak 1979 TFLOP/s with 50 % efficiency: 64·128·2·6.05e9 / (1979e12·0.5) = 100 ms. 15 %.
    row = [r for r in published["inference_measurements"] if r["model"] == "GPT-J 6B" and r.get("batch_size") == 64
           and r["gpu"].startswith("H100")][0]
    t = ttft_s(6.05e9, row["input_len"], 1979e12, batch=row["batch_size"], efficiency=0.5)
    assert t * 1000 == pytest.approx(row["ttft_ms"], rel=0.15)


def test_ttft_attention_term_is_causal_average():
    t0 = ttft_s(7e9, 1000, 1e15, efficiency=1.0)
    t1 = ttft_s(7e9, 1000, 1e15, efficiency=1.0, num_layers=32, attn_dim=4096)
    assert t1 - t0 == pytest.approx(1000 * 4 * 32 * 500 * 4096 / 1e15)


def test_latency_and_tokens_per_second():
    # First token at TTFT, the other n − 1 at TPOT each.
    assert latency_s(0.2, 0.02, 101) == pytest.approx(2.2)
    assert latency_s(0.2, 0.02, 1) == pytest.approx(0.2)
    assert tokens_per_second(101, 2.2) == pytest.approx(45.909, rel=1e-4)


def test_transformer_layer_flops_megatron_form():
    # Narayanan et al. 2021: forward per layer 24·b·s·h² + 4·b·s²·h (f = 4h, plain MLP).
    s, h = 2048, 12288
    assert transformer_layer_flops(s, h) == pytest.approx(24 * s * h * h + 4 * s * s * h)
    # Gated MLP with f = 14336, h = 4096 (Llama-3-8B-like, MHA projections): 8sh² + 4s²h + 6shf.
    assert transformer_layer_flops(1, 4096, 14336, gated_mlp=True) == pytest.approx(
        8 * 4096 ** 2 + 4 * 4096 + 6 * 4096 * 14336)


def test_gpt3_forward_flops_consistent_with_two_p(published):
    # 96 layers of transformer_layer_flops over 2048 tokens ≈ 2·P·s (+ attention) for GPT-3. 3 %.
    row = published_row("training_runs", "GPT-3 175B")
    total = 96 * transformer_layer_flops(2048, 12288)
    assert total == pytest.approx(2 * row["params"] * 2048, rel=0.03)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: request_flops(7e9, -10), "io_tokens"),
        (lambda: inference_flops_per_token(0), "active_params"),
        (lambda: gpus_for_memory(1e9, 80e9, 0), "usable_fraction"),
        (lambda: gpus_for_memory(1e9, 0, 0.9), "gpu_memory_bytes"),
        (lambda: gpus_for_throughput(0, 1e12, 1, 1e15), "users"),
        (lambda: cost_per_million_tokens(2, 0, 100), "num_gpus"),
        (lambda: compute_time_s(1e12, 1e15, 0), "efficiency"),
        (lambda: latency_s(0.1, 0.01, 0), "output_tokens"),
        (lambda: tokens_per_second(10, 0), "latency"),
        (lambda: compute_demand_flops_per_s(1e10, 30, -1), "requests_per_s"),
    ],
)
def test_bad_input_names_argument(call, argument):
    with pytest.raises(XlcomputeError) as info:
        call()
    assert info.value.argument == argument
