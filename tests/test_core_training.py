"""Training compute, time, GPU-hours, PF-days and cost, checked against published runs."""

from __future__ import annotations

import numpy as np
import pytest

from xlcompute.core import XlcomputeError, explain
from xlcompute.core.training import (
    gpu_hours,
    gpus_for_deadline,
    implied_mfu,
    pf_days,
    train_attention_flops,
    train_cost,
    train_flops,
    training_days,
    training_time_s,
    whole_count,
)
from conftest import published_row

A100_BF16 = 312e12  # NVIDIA A100 datasheet, dense BF16 [FLOP/s]


def test_train_flops_gpt3_matches_table_d1(published):
    # Brown et al. 2020 (GPT-3) Table D.1: 174,600M params, 300B tokens -> 3.14e23 FLOPs. Tolerance 0.5 %.
    row = published_row("training_runs", "GPT-3 175B")
    assert train_flops(row["params"], row["tokens"]) == pytest.approx(row["total_flops"], rel=5e-3)


def test_train_flops_chinchilla_and_gopher_budget():
    # Hoffmann et al. 2022: Chinchilla (70B, 1.4T) and Gopher (280B, 300B) share a 5.76e23 FLOP budget.
    # 6PT gives 5.88e23 and 5.04e23; the paper's budget uses its own FLOP count (incl. attention), so 15 %.
    budget = published_row("training_runs", "Chinchilla 70B")["total_flops"]
    assert train_flops(70e9, 1.4e12) == pytest.approx(budget, rel=0.03)
    gopher = published_row("training_runs", "Gopher 280B")
    assert train_flops(gopher["params"], gopher["tokens"]) == pytest.approx(gopher["total_flops"], rel=0.15)


def test_train_flops_recompute_convention_is_eight():
    # Seed 004 eq. (1): C ≈ 8TP with full recomputation.
    assert train_flops(1e9, 1e9, 8) == 8e18


def test_train_flops_vectorised_over_100k_rows():
    params = np.linspace(1e9, 1e11, 100_000)
    out = train_flops(params, 1e12)
    assert out.shape == (100_000,)
    assert out[-1] == pytest.approx(6e23)


def test_train_attention_flops_palm_convention():
    # PaLM App. B: model FLOPs per token = 6N + 12·L·H·Q·T; the attention part is 12·L·d·s per token.
    # PaLM 540B: L = 118, H·Q = 48·256 = 12288, T = 2048.
    per_token = train_attention_flops(118, 2048, 48 * 256, 1)
    assert per_token == 12 * 118 * 12288 * 2048
    assert train_attention_flops(118, 2048, 12288, 1, causal=True) == per_token / 2
    assert train_attention_flops(118, 2048, 12288, 1, passes=4) == per_token * 4 / 3


def test_palm_mfu_with_attention(published):
    # PaLM: 238.3k tokens/s on 6144 TPU v4 (275 TFLOP/s) = 46.2 % MFU with attention, 45.7 % without.
    # The 540.35B parameter count gives 45.6 % / 46.3 %; tolerance 0.5 percentage points.
    row = published_row("training_runs", "PaLM 540B")
    tokens_per_hour = row["throughput_tokens_per_s"] * 3600
    hours = row["accelerator_count"]  # GPU-hours for one hour of training
    params_only = implied_mfu(train_flops(row["params"], tokens_per_hour), hours, 275e12)
    with_attention = implied_mfu(
        train_flops(row["params"], tokens_per_hour) + train_attention_flops(118, 2048, 12288, tokens_per_hour),
        hours, 275e12)
    assert params_only == pytest.approx(row["mfu_without_attention_flops"], abs=0.005)
    assert with_attention == pytest.approx(row["mfu"], abs=0.005)


def test_llama_65b_days_and_gpu_hours(published):
    # Touvron et al. 2023 (LLaMA) §2.4: ~380 tokens/s/GPU on 2048 A100-80GB -> 1.4T tokens in ~21 days;
    # Table 15: 1,022,362 GPU-hours. 2048 x 21 days = 1,032,192 GPU-hours (within 1 %).
    row = published_row("training_runs", "LLaMA-65B")
    flops = train_flops(row["params"], row["tokens"])
    mfu = implied_mfu(train_flops(row["params"], row["throughput_tokens_per_s_per_gpu"] * 3600), 1, A100_BF16)
    assert mfu == pytest.approx(0.477, abs=0.002)
    assert training_days(flops, row["accelerator_count"], A100_BF16, mfu) == pytest.approx(row["wall_clock_days"],
                                                                                           rel=0.02)
    assert gpu_hours(flops, A100_BF16, mfu) == pytest.approx(row["gpu_hours"], rel=0.02)
    assert row["accelerator_count"] * row["wall_clock_days"] * 24 == pytest.approx(row["gpu_hours"], rel=0.01)
    assert gpus_for_deadline(flops, row["wall_clock_days"], A100_BF16, mfu) == pytest.approx(2048, rel=0.02)


def test_llama_family_gpu_hours_imply_consistent_mfu(published):
    # LLaMA Table 15 GPU-hours for 7B/13B/33B/65B imply MFU between 0.40 and 0.52 under 6PT.
    for name in ("LLaMA-7B", "LLaMA-13B", "LLaMA-33B", "LLaMA-65B"):
        row = published_row("training_runs", name)
        mfu = implied_mfu(train_flops(row["params"], row["tokens"]), row["gpu_hours"], A100_BF16)
        assert 0.40 < mfu < 0.52, name


def test_training_time_seconds():
    assert training_time_s(1e21, 10, 1e15, 0.5) == pytest.approx(2e5)
    assert training_days(8.64e20, 10, 1e15, 1.0) == pytest.approx(1.0)


def test_pf_days_gpt3(published):
    # GPT-3 Table D.1: 3.14e23 FLOPs = 3640 PF-days (their rounding; exact 3634). Tolerance 0.5 %.
    row = published_row("training_runs", "GPT-3 175B")
    assert pf_days(row["total_flops"]) == pytest.approx(row["total_pf_days"], rel=5e-3)


def test_gpus_for_deadline_is_whole_and_rounds_up():
    assert gpus_for_deadline(8.64e19 * 10.5, 1, 1e15, 1.0) == 11
    assert gpus_for_deadline(8.64e19 * 10, 1, 1e15, 1.0) == 10  # no extra GPU from float noise
    assert isinstance(gpus_for_deadline(1e23, 30, 312e12), int)


def test_whole_count_arrays():
    assert whole_count(np.array([0.2, 2.0, 2.0000001])).tolist() == [1.0, 2.0, 3.0]


def test_train_cost_mpt7b(published):
    # MosaicML MPT-7B: 440 A100-40GB for 9.5 days, ~$200k at ~$2/A100-hour. Tolerance 5 %.
    row = published_row("training_runs", "MPT-7B")
    hours = row["accelerator_count"] * row["wall_clock_days"] * 24
    assert train_cost(hours, 2.0) == pytest.approx(row["cost_usd_approx"], rel=0.05)


def test_training_days_breakdown_nests_training_time():
    step = explain(training_days, 1e23, 1000, 312e12, 0.4)
    assert step.name == "training_days"
    assert [c.name for c in step.children] == ["training_time_s"]
    assert step.children[0].result == pytest.approx(step.result * 86400)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: train_flops(7e9, -1), "tokens"),
        (lambda: training_time_s(1e23, 0, 312e12), "num_gpus"),
        (lambda: training_time_s(1e23, 8, 312e12, mfu=1.5), "mfu"),
        (lambda: gpus_for_deadline(1e23, 0, 312e12), "days"),
        (lambda: train_attention_flops(0, 2048, 4096, 1e9), "num_layers"),
        (lambda: train_cost(100, -2), "usd_per_gpu_hour"),
        (lambda: implied_mfu(1e23, 0, 312e12), "gpu_hours"),
        (lambda: pf_days("lots"), "flops"),
    ],
)
def test_bad_input_names_argument(call, argument):
    with pytest.raises(XlcomputeError) as info:
        call()
    assert info.value.argument == argument
    assert argument in str(info.value)
