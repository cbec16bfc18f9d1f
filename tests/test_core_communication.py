"""Communication volumes (seed 004 eqs. 7-9), ring all-reduce factor and communication time."""

from __future__ import annotations

import numpy as np
import pytest

from xlcompute.core import XlcomputeError, explain
from xlcompute.core.communication import (
    comm_time_s,
    data_parallel_comm_volume,
    pipeline_parallel_comm_volume,
    ring_allreduce_factor,
    tensor_parallel_comm_volume,
)


def test_data_parallel_volume_is_gradients_per_step_times_steps():
    # Seed 004 eq. (7): Q = TP/(bs) elements. LLaMA-65B: 1.4T tokens, batch 4M tokens (Touvron et al. 2023
    # Table 2: 4M tokens = 2048 x 2048) -> 341,797 steps x 65.2B gradients x 2 B.
    steps = 1.4e12 / (2048 * 2048)
    assert data_parallel_comm_volume(1.4e12, 65.2e9, 2048, 2048) == pytest.approx(steps * 65.2e9 * 2)
    assert data_parallel_comm_volume(1.4e12, 65.2e9, 2048, 2048, "fp32") == pytest.approx(steps * 65.2e9 * 4)


def test_pipeline_volume_counts_stage_boundaries():
    # Seed 004 eq. (8) writes 2nhT; n stages have n − 1 boundaries, each carrying h·T forward and h·T backward.
    assert pipeline_parallel_comm_volume(1e9, 4096, 4) == pytest.approx(2 * 3 * 4096 * 1e9 * 2)
    assert pipeline_parallel_comm_volume(1e9, 4096, 1) == 0


def test_tensor_volume_seed_eq_9():
    # Seed 004 eq. (9): Q = 4hlnT elements (4 all-reduces of b·s·h per layer per batch, on each of n GPUs).
    assert tensor_parallel_comm_volume(1e6, 8192, 80, 8, "bf16") == pytest.approx(4 * 8192 * 80 * 8 * 1e6 * 2)


def test_volumes_vectorised_over_tokens():
    out = tensor_parallel_comm_volume(np.array([1e6, 2e6]), 8192, 80, 8)
    assert out[1] == pytest.approx(2 * out[0])


def test_ring_allreduce_factor():
    assert ring_allreduce_factor(1) == 0
    assert ring_allreduce_factor(2) == 1
    assert ring_allreduce_factor(8) == pytest.approx(1.75)


def test_comm_time_alpha_beta():
    # 14 GB of bf16 gradients (7B) over 8 GPUs with a ring at 450 GB/s per direction (H100 NVLink 900 GB/s
    # both directions): 14e9 x 1.75 / 450e9 = 54.4 ms, plus 2 x 7 steps x 10 us latency.
    payload = 14e9 * ring_allreduce_factor(8)
    assert comm_time_s(payload, 450e9, 10e-6, 14) == pytest.approx(payload / 450e9 + 14e-5)


def test_comm_breakdown_is_traceable():
    step = explain(comm_time_s, 1e9, 1e11, 1e-5, 2)
    assert step.result == pytest.approx(0.01 + 2e-5)
    assert step.to_dict()["equation"] == "t = m · α + Q / β"


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: data_parallel_comm_volume(-1, 7e9, 1024, 2048), "tokens"),
        (lambda: data_parallel_comm_volume(1e12, 7e9, 0, 2048), "batch_size"),
        (lambda: pipeline_parallel_comm_volume(1e12, 4096, 0), "num_gpus"),
        (lambda: tensor_parallel_comm_volume(1e12, 4096, 32, 0), "num_gpus"),
        (lambda: ring_allreduce_factor(0), "num_gpus"),
        (lambda: comm_time_s(1e9, 0), "bandwidth_bytes_per_s"),
        (lambda: data_parallel_comm_volume(1e12, 7e9, 1024, 2048, "fp12x"), "precision"),
    ],
)
def test_bad_input_names_argument(call, argument):
    with pytest.raises(XlcomputeError) as info:
        call()
    assert info.value.argument == argument
