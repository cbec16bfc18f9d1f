"""Properties of the formula core that must hold for every input (hypothesis).

Monotonicity (more tokens never cost less; more GPUs never take longer at constant MFU; more
context never gives a smaller KV cache), unit consistency (GB vs GiB, FLOP vs FLOP/s) and scale
invariance (2P with T/2 keeps C = 6PT). Inputs span realistic ranges: 1e6-1e13 parameters,
1e6-1e15 tokens, 1e12-1e16 FLOP/s per GPU, MFU 0.05-1.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcompute.core import communication, inference, memory, training
from xlcompute.core.architecture import ModelArch
from xlcompute.core.units import FLOP_PER_PF_DAY, GB, GIB, SECONDS_PER_HOUR, memory_unit_bytes


settings.register_profile("xlcompute", max_examples=150, deadline=None, derandomize=True)
settings.load_profile("xlcompute")

params_st = st.floats(1e6, 1e13)
tokens_st = st.floats(1e6, 1e15)
peak_st = st.floats(1e12, 1e16)
mfu_st = st.floats(0.05, 1.0)
gpus_st = st.integers(1, 100_000)
price_st = st.floats(0.01, 100.0)
REL = 1e-12


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel)


# --------------------------------------------------------------------------------------
# Training


@given(params_st, tokens_st, tokens_st, peak_st, mfu_st, price_st)
def test_more_tokens_never_cost_less(params, tokens_a, tokens_b, peak, mfu, price):
    low, high = sorted((tokens_a, tokens_b))

    def cost(tokens: float) -> float:
        flops = training.train_flops(params, tokens)
        return training.train_cost(training.gpu_hours(flops, peak, mfu), price)

    assert cost(low) <= cost(high)
    assert training.train_flops(params, low) <= training.train_flops(params, high)


@given(params_st, tokens_st, peak_st, mfu_st, gpus_st, gpus_st)
def test_more_gpus_never_take_longer_when_compute_bound(params, tokens, peak, mfu, n_a, n_b):
    few, many = sorted((n_a, n_b))
    flops = training.train_flops(params, tokens)
    assert training.training_time_s(flops, many, peak, mfu) <= training.training_time_s(flops, few, peak, mfu)
    # ... and at constant MFU the GPU-hours do not depend on the GPU count.
    for n in (few, many):
        hours = training.training_time_s(flops, n, peak, mfu) * n / SECONDS_PER_HOUR
        assert close(hours, training.gpu_hours(flops, peak, mfu))


@given(params_st, tokens_st, st.sampled_from([1, 2, 4, 8, 1024, 0.5, 0.25, 1 / 1024]))
def test_scale_invariance_of_train_flops(params, tokens, factor):
    # Scaling by a power of two is exact in binary floating point: equality, not closeness.
    assert training.train_flops(params * factor, tokens / factor) == training.train_flops(params, tokens)


@given(params_st, tokens_st, st.floats(0.1, 100.0))
def test_train_flops_is_proportional(params, tokens, factor):
    assert close(training.train_flops(params * factor, tokens), factor * training.train_flops(params, tokens))
    assert close(training.train_flops(params, tokens, 8.0) / training.train_flops(params, tokens, 6.0), 8 / 6)


@given(st.floats(1e18, 1e27), st.floats(1.0, 1000.0), st.floats(1.0, 1000.0), peak_st, mfu_st)
def test_a_shorter_deadline_never_needs_fewer_gpus_and_the_count_meets_it(flops, days_a, days_b, peak, mfu):
    short, long = sorted((days_a, days_b))
    n_short = training.gpus_for_deadline(flops, short, peak, mfu)
    assert n_short >= training.gpus_for_deadline(flops, long, peak, mfu)
    assert training.training_days(flops, n_short, peak, mfu) <= short * (1 + 1e-9)
    if n_short > 1:  # one GPU fewer would miss the deadline (up to the 1e-9 rounding tolerance)
        assert training.training_days(flops, n_short - 1, peak, mfu) > short * (1 - 1e-8)


# --------------------------------------------------------------------------------------
# Units: GB vs GiB, FLOP vs FLOP/s


@given(st.floats(1.0, 1e15))
def test_gb_and_gib_differ_by_exactly_two_to_the_thirty_over_a_billion(num_bytes):
    gb = memory.to_memory_unit(num_bytes, "GB")
    gib = memory.to_memory_unit(num_bytes, "GiB")
    assert close(gb / gib, 2**30 / 1e9, 1e-15)
    assert close(gb * GB, num_bytes) and close(gib * GIB, num_bytes)


def test_unit_constants():
    assert memory_unit_bytes("GiB") / memory_unit_bytes("GB") == 2**30 / 1e9 == 1.073741824
    assert memory_unit_bytes("gib") == 2**30 and memory_unit_bytes("MiB") * 1024 == memory_unit_bytes("GiB")
    assert FLOP_PER_PF_DAY == 8.64e19  # 1e15 FLOP/s for 86,400 s (GPT-3 paper, Table D.1 footnote)


@given(st.floats(1e15, 1e27), peak_st, mfu_st)
def test_flop_over_flop_per_second_is_seconds(flops, peak, mfu):
    # amount [FLOP] / rate [FLOP/s] = time [s]; time × rate gives the amount back.
    seconds = training.training_time_s(flops, 1, peak, mfu)
    assert close(seconds * peak * mfu, flops)
    assert close(training.gpu_hours(flops, peak, mfu) * SECONDS_PER_HOUR, seconds)
    assert close(training.pf_days(flops) * FLOP_PER_PF_DAY, flops)
    assert close(inference.compute_time_s(flops, peak, mfu) * peak * mfu, flops)


@given(params_st, st.sampled_from(["fp32", "bf16", "fp8", "int4"]), st.floats(1.0, 64.0))
def test_weights_bytes_are_parameters_times_bytes_per_element(params, precision, bits):
    per = {"fp32": 4, "bf16": 2, "fp8": 1, "int4": 0.5}[precision]
    assert memory.weights_bytes(params, precision) == params * per
    assert close(memory.weights_bytes(params, bits), params * bits / 8)


# --------------------------------------------------------------------------------------
# Memory


@st.composite
def archs(draw, sliding: bool = False):
    heads = draw(st.sampled_from([8, 16, 32, 64, 128]))
    kv_heads = draw(st.sampled_from([h for h in (1, 2, 4, 8, 16, 32, 64, 128) if heads % h == 0]))
    head_dim = draw(st.sampled_from([64, 96, 128, 256]))
    layers = draw(st.integers(1, 128))
    hidden = heads * head_dim
    extra = {}
    if sliding:
        extra = {"sliding_window": draw(st.integers(256, 32_768)), "sliding_window_layers": draw(st.integers(0, layers))}
    return ModelArch(id="prop", hidden_size=hidden, num_layers=layers, num_attention_heads=heads,
                     intermediate_size=4 * hidden, vocab_size=32_000, num_kv_heads=kv_heads, head_dim=head_dim, **extra)


@given(archs(sliding=True), st.integers(1, 1_000_000), st.integers(1, 1_000_000), st.integers(1, 256))
def test_more_context_never_gives_a_smaller_kv_cache(arch, ctx_a, ctx_b, batch):
    short, long = sorted((ctx_a, ctx_b))
    assert memory.kv_cache_bytes(arch, short, batch) <= memory.kv_cache_bytes(arch, long, batch)


@given(archs(), st.integers(1, 1_000_000), st.integers(1, 256))
def test_kv_cache_is_linear_in_batch_and_context_without_windows(arch, ctx, batch):
    one = memory.kv_cache_bytes(arch, ctx, 1)
    assert close(memory.kv_cache_bytes(arch, ctx, batch), batch * one)
    assert close(one, ctx * memory.kv_cache_bytes_per_token(arch))
    # 2 (K and V) · layers · kv heads · head dim · 2 bytes (bf16)
    assert memory.kv_cache_bytes_per_token(arch) == 2 * arch.num_layers * arch.num_kv_heads * arch.head_dim * 2


@given(params_st, st.integers(1, 4096), st.integers(1, 4096), st.sampled_from([16, 18]))
def test_zero_stages_and_more_gpus_never_increase_memory_per_gpu(params, n_a, n_b, convention):
    few, many = sorted((n_a, n_b))
    for stage in range(4):
        assert memory.training_memory_bytes(params, many, stage, convention) <= \
            memory.training_memory_bytes(params, few, stage, convention) * (1 + REL)
        if stage < 3:
            assert memory.training_memory_bytes(params, few, stage + 1, convention) <= \
                memory.training_memory_bytes(params, few, stage, convention) * (1 + REL)
    assert close(memory.training_memory_bytes(params, 1, 0, convention), convention * params)


# --------------------------------------------------------------------------------------
# Inference and communication


@given(params_st, st.floats(1, 1e6), st.floats(1, 1e6), price_st, peak_st, mfu_st)
def test_more_tokens_per_request_never_cost_less(params, io_a, io_b, price, peak, util):
    low, high = sorted((io_a, io_b))
    cost = [inference.cost_per_request(inference.request_flops(params, io), price, peak, util) for io in (low, high)]
    assert cost[0] <= cost[1]


@given(st.floats(1e9, 1e13), st.floats(1e10, 2e11), st.floats(1, 1e6), st.floats(1, 1e6),
       st.floats(1e9, 1e15), st.floats(0.01, 100), peak_st)
def test_gpus_needed_covers_both_constraints_and_grows_with_users(mem, gpu_mem, users_a, users_b, flops, secs, peak):
    few, many = sorted((users_a, users_b))
    n_few = inference.gpus_needed(mem, gpu_mem, few, flops, secs, peak)
    n_many = inference.gpus_needed(mem, gpu_mem, many, flops, secs, peak)
    assert n_few <= n_many
    assert n_few == max(inference.gpus_for_memory(mem, gpu_mem), inference.gpus_for_throughput(few, flops, secs, peak))


@given(st.integers(1, 100_000), st.integers(1, 100_000))
def test_ring_allreduce_factor_grows_towards_two(n_a, n_b):
    few, many = sorted((n_a, n_b))
    assert 0 <= communication.ring_allreduce_factor(few) <= communication.ring_allreduce_factor(many) < 2
