"""The serving model (xlcompute.core.serving) and its id-level API (xlcompute.serving)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import published_row
from xlcompute.core import serving as core
from xlcompute.core.architecture import ModelArch
from xlcompute.core.efficiency import DEFAULT_SERVING_EFFICIENCY as EFF, ServingEfficiency
from xlcompute.core.errors import XlcomputeError
from xlcompute.core.formula import explain
from xlcompute.core.hardware import Accelerator
from xlcompute.scenario import serving_speed as serving
from xlcompute.scenario.serving_speed import max_batch, tokens_per_s, tpot_ms, ttft_ms
from xlcompute.scenario.setups import serving_setup as setup
from xlcompute.udfs import FUNCTIONS as F

# A tiny dense model and GPU whose step times can be computed by hand.
TOY = ModelArch("toy", hidden_size=1024, num_layers=10, num_attention_heads=8, intermediate_size=4096,
                vocab_size=1000, num_kv_heads=2, tie_word_embeddings=True)
TOY_GPU = Accelerator("toy-gpu", "toy", memory_gb=10, memory_bandwidth_gbps=1000, dense_tflops={"bf16": 100.0},
                      interconnect_gbps=200)


def test_moe_unique_experts_limits():
    # one token touches exactly k experts; many tokens touch all of them; E(1-(1-k/E)^T) in between
    assert core.moe_unique_experts(8, 2, 1) == pytest.approx(2.0)
    assert core.moe_unique_experts(8, 2, 1000) == pytest.approx(8.0)
    assert core.moe_unique_experts(8, 2, 4) == pytest.approx(8 * (1 - 0.75 ** 4))


def test_decode_step_by_hand_memory_bound():
    shape = core.serving_shape(TOY)
    # tied embeddings: nothing is left unread; KV per token = 2 * 10 layers * 2 heads * 128 dims
    assert shape.unread_params == 0 and shape.kv_elements_per_token == 2 * 10 * 2 * 128
    t = core.decode_step_time_s(shape, TOY_GPU, 1, 1, 100, "bf16", "bf16", "bf16", EFF)
    weights = shape.dense_params * 2
    kv = 100 * shape.kv_elements_per_token * 2
    memory = (weights / EFF.bandwidth_fraction + kv / EFF.kv_bandwidth_fraction) / 1e12
    arithmetic = (2 * shape.active_params + 4 * 10 * 1024 * 100) / (100e12 * EFF.flops_fraction_16bit)
    assert memory > arithmetic
    assert t == pytest.approx(memory + 10 * EFF.layer_overhead_s + EFF.step_overhead_s)


def test_allreduce_adds_latency_per_layer_and_only_with_tensor_parallelism():
    assert core.allreduce_time_s(1e6, 1, TOY_GPU, EFF) == 0
    t2 = core.allreduce_time_s(1e6, 2, TOY_GPU, EFF)
    # ring: α + 2(N-1)/N · m / (β_per_direction · f)
    assert t2 == pytest.approx(EFF.allreduce_latency_s + 1e6 / (100e9 * EFF.link_fraction))
    # beyond one node the slower, higher-latency network is used
    assert core.allreduce_time_s(1e3, 16, TOY_GPU, EFF) > EFF.allreduce_latency_internode_s


def test_layer_split_runs_the_gpus_one_after_another():
    """accelerate device_map (eager Transformers): 2 GPUs hold the weights, one works at a time, one hop."""
    shape = core.serving_shape(TOY)
    split = EFF.with_changes(layer_split=1.0)
    one = core.decode_step_time_s(shape, TOY_GPU, 1, 1, 100, "bf16", "bf16", "bf16", split)
    two = core.decode_step_time_s(shape, TOY_GPU, 2, 1, 100, "bf16", "bf16", "bf16", split)
    assert two == pytest.approx(one + EFF.pipeline_hop_s)
    assert core.prefill_time_s(shape, TOY_GPU, 3, 1, 100, "bf16", "bf16", split) == pytest.approx(
        core.prefill_time_s(shape, TOY_GPU, 1, 1, 100, "bf16", "bf16", split) + 2 * EFF.pipeline_hop_s)
    # tensor parallelism (the default): both GPUs stream half the weights at once, 2 all-reduces per layer
    tensor = core.decode_step_time_s(shape, TOY_GPU, 2, 1, 100)
    assert tensor == pytest.approx(one - (one - 10 * EFF.layer_overhead_s - EFF.step_overhead_s) / 2
                                   + 20 * core.allreduce_time_s(1024 * 2, 2, TOY_GPU, EFF))
    with pytest.raises(XlcomputeError, match="layer_split"):
        EFF.with_changes(layer_split=2.0)


def test_weight_only_int_weights_stream_at_their_own_share():
    shape = core.serving_shape(TOY)
    slow = EFF.with_changes(quantized_bandwidth_fraction=0.5)
    bf16 = core.decode_step_time_s(shape, TOY_GPU, 1, 1, 0, "bf16", "bf16", "bf16", slow)
    int4 = core.decode_step_time_s(shape, TOY_GPU, 1, 1, 0, "int4", "bf16", "bf16", slow)
    fixed = 10 * EFF.layer_overhead_s + EFF.step_overhead_s
    # a quarter of the bytes at half the rate: half the weight time
    assert int4 - fixed == pytest.approx((bf16 - fixed) / 2)


def test_formulas_accept_arrays_like_scalars():
    shape = core.serving_shape(TOY)
    batches = np.array([1.0, 8.0, 64.0])
    vector = core.decode_step_time_s(shape, TOY_GPU, 2, batches, 512)
    scalars = [core.decode_step_time_s(shape, TOY_GPU, 2, float(b), 512) for b in batches]
    assert vector == pytest.approx(scalars)


def test_explain_breaks_the_decode_step_into_its_terms():
    shape = core.serving_shape(TOY)
    step = explain(core.decode_step_time_s, shape, TOY_GPU, 2, 4, 256)
    names = {s.name for s in step.walk()}
    assert {"decode_step_time_s", "weight_bytes_read", "allreduce_time_s", "fixed_time_s"} <= names
    assert step.result == pytest.approx(core.decode_step_time_s(shape, TOY_GPU, 2, 4, 256))


def test_max_batch_by_hand():
    shape = core.serving_shape(TOY)
    per_sequence = shape.kv_elements_per_token * 2 * 2048
    # one live layer of a 2048-token prefill chunk, FlashAttention: s·h·34 bytes (Korthikanti et al. 2022, Table 2)
    activations = 2048 * TOY.hidden_size * 34
    free = EFF.kv_memory_fraction * 10 * 2**30 - shape.total_params * 2 - activations  # a vendor GB of HBM is a GiB
    assert core.max_batch_size(shape, TOY_GPU, 1, 2048) == min(EFF.max_batch, int(free // per_sequence))
    # fp8 KV halves the bytes per sequence
    assert core.max_batch_size(shape, TOY_GPU, 1, 2048, kv_precision="fp8") >= 2 * core.max_batch_size(
        shape, TOY_GPU, 1, 2048) - 1


def test_trt_llm_llama31_8b_h100_fp8_throughput():
    """published.json: TensorRT-LLM 0.17, Llama 3.1 8B FP8 on one H100, 128 in / 128 out: 28,836.77 output tok/s.
    The model (largest batch that fits, fitted efficiencies) is within 25%."""
    row = published_row("inference_measurements", "Llama 3.1 8B")
    got = tokens_per_s("llama-3.1-8b", "h100-sxm", 1, "fp8", row["input_len"], row["output_len"])
    assert got == pytest.approx(row["output_throughput_tokens_per_s"], rel=0.25)


def test_qwen25_7b_vllm_batch1_speed():
    """published.json: Qwen2.5-7B-Instruct BF16, vLLM 0.6.3, A100 80GB, batch 1, 2048 tokens from a 1-token prompt:
    84.28 tok/s including prefill. Model within 20%."""
    got = tokens_per_s("qwen2.5-7b", "a100-80gb", 1, "bf16", 1, 2048, batch=1)
    assert got == pytest.approx(84.28, rel=0.20)


def test_trt_llm_online_ttft_and_tpot_llama31_8b():
    """TensorRT-LLM perf-overview (v0.14 online table, BF16, H100, 2 req/s): Llama 3.1 8B, 467 in / 16 out:
    mean TTFT 19 ms, mean ITL 7 ms. Model within 35%."""
    assert ttft_ms("llama-3.1-8b", "h100-sxm", 1, "bf16", 467, 1) == pytest.approx(19, rel=0.35)
    assert tpot_ms("llama-3.1-8b", "h100-sxm", 1, "bf16", 475, 1) == pytest.approx(7, rel=0.35)


def test_precisions_are_separate_and_change_speed_as_physics_says():
    bf16 = tpot_ms("llama-3.1-70b", "h100-sxm", 4, "bf16", 1024, 1)
    fp8 = tpot_ms("llama-3.1-70b", "h100-sxm", 4, "fp8", 1024, 1)
    int4 = tpot_ms("llama-3.1-70b", "h100-sxm", 4, "int4", 1024, 1)
    assert 1.3 < bf16 / fp8 < 2.0  # memory-bound: half the weight bytes, fixed latency unchanged
    assert int4 < fp8
    s = setup("llama-3.1-70b", "h100-sxm", "int4")
    assert (s.weight_precision, s.kv_precision, s.compute_precision) == ("int4", "bf16", "bf16")
    assert setup("llama-3.1-70b", "a100-80gb", "fp8").compute_precision == "bf16"  # no FP8 units on Ampere
    # an fp8 KV cache holds twice the sequences
    assert max_batch("llama-3.1-8b", "h100-sxm", 1, "bf16", 1024, 1024, kv_precision="fp8") > 1.9 * max_batch(
        "llama-3.1-8b", "h100-sxm", 1, "bf16", 1024, 1024)


def test_moe_reads_more_experts_as_the_batch_grows():
    s = setup("mixtral-8x7b", "h100-sxm", "bf16")
    one = core.weight_bytes_read(s.shape, 1, 2)
    many = core.weight_bytes_read(s.shape, 512, 2)
    # batch 1 reads about the active parameters (12.9B), a large batch every expert (46.7B), minus the embedding
    assert one / 2 == pytest.approx(s.shape.active_params - s.shape.unread_params, rel=0.01)
    assert many / 2 == pytest.approx(s.shape.total_params - s.shape.unread_params, rel=0.01)
    # compute follows active parameters: the per-token FLOPs of Mixtral are those of a 13B model
    assert s.shape.active_params == pytest.approx(12.9e9, rel=0.01)


def test_throughput_grows_with_batch_and_latency_with_it():
    speeds = [tokens_per_s("llama-3.1-8b", "h100-sxm", 1, "fp8", 1024, 256, batch=b) for b in (1, 16, 256)]
    assert speeds == sorted(speeds)
    latencies = [tpot_ms("llama-3.1-8b", "h100-sxm", 1, "fp8", 1024, b) for b in (1, 16, 256)]
    assert latencies == sorted(latencies)
    assert tokens_per_s("llama-3.1-8b", "h100-sxm", 1, "fp8", 1024, 256, replicas=3) == pytest.approx(
        3 * tokens_per_s("llama-3.1-8b", "h100-sxm", 1, "fp8", 1024, 256))


def test_efficiency_overrides_and_bad_input():
    faster = tpot_ms("llama-3.1-8b", "h100-sxm", efficiency={"bandwidth_fraction": 0.95})
    assert faster < tpot_ms("llama-3.1-8b", "h100-sxm")
    assert isinstance(EFF.with_changes(step_overhead_s=0), ServingEfficiency)
    with pytest.raises(XlcomputeError, match="unknown setting"):
        tpot_ms("llama-3.1-8b", "h100-sxm", efficiency={"warp_speed": 2})
    with pytest.raises(XlcomputeError, match="gpus"):
        tpot_ms("llama-3.1-8b", "h100-sxm", gpus=0)
    with pytest.raises(XlcomputeError, match="precision"):
        tpot_ms("llama-3.1-8b", "h100-sxm", precision="fp7")
    with pytest.raises(XlcomputeError):
        tpot_ms("no-such-model", "h100-sxm")


# --- one fit criterion: GPUs needed, max batch, TTFT/TPOT refuse what does not fit ---------------------------


@pytest.mark.parametrize("model, gpu, precision, tokens, batch", [
    ("llama-3.1-70b", "h100-sxm", "fp8", 1800, 120),
    ("llama-3.1-70b", "h100-sxm", "bf16", 4096, 1),
    ("llama-3.1-8b", "a100-80gb", "bf16", 8192, 64),
    ("mixtral-8x7b", "h100-sxm", "fp8", 2048, 300),
    ("deepseek-v3", "h200", "fp8", 4096, 16),
])
def test_gpus_needed_and_max_batch_agree(model, gpu, precision, tokens, batch):
    """GPUS_NEEDED's memory answer is the fewest GPUs on which max_batch admits the batch (one criterion)."""
    n = serving.gpus_to_fit(model, gpu, precision, tokens, batch)
    s = setup(model, gpu, precision)

    def fits(gpus: int) -> float:
        return core.kv_batch_capacity(s.shape, s.gpu, gpus, tokens, s.weight_precision, s.kv_precision, s.efficiency)

    assert fits(n) >= batch
    assert n == 1 or fits(n - 1) < batch
    assert n == 1 or serving.max_batch(model, gpu, n - 1, precision, tokens - 1, 1) < batch
    # the Excel face gives the same number with the same default KV precision (fp8 weights -> fp8 cache)
    assert F["GPUS_NEEDED"](model, gpu, precision, tokens, batch) == n


def test_default_kv_precision_is_one_rule():
    assert [core.default_kv_precision(p) for p in ("bf16", "fp16", "fp8", "int8", "int4", "fp4")] == \
        ["bf16", "fp16", "fp8", "bf16", "bf16", "fp8"]
    assert setup("llama-3.1-70b", "h100-sxm", "fp8").kv_precision == "fp8"
    assert setup("llama-3.1-70b", "h100-sxm", "bf16", kv_precision="fp8").kv_precision == "fp8"


def test_issue_example_70b_fp8_two_h100():
    """70B fp8 on 2 x H100 at 1,800 tokens: the batch that fits and the GPUs for it are the same statement."""
    fits = serving.max_batch("llama-3.1-70b", "h100-sxm", 2, "fp8", 1000, 800)
    assert F["GPUS_NEEDED"]("llama-3.1-70b", "h100-sxm", "fp8", 1800, fits) == 2
    assert F["GPUS_NEEDED"]("llama-3.1-70b", "h100-sxm", "fp8", 1800, fits + 1) == 3


@pytest.mark.parametrize("call", [
    lambda: serving.tpot_ms("llama-3.1-70b", "h100-sxm", 1),
    lambda: serving.ttft_ms("llama-3.1-70b", "h100-sxm", 1),
    lambda: serving.tokens_per_s("llama-3.1-70b", "h100-sxm", 1),
    lambda: serving.tpot_ms("llama-3.1-8b", "h100-sxm", 1, "bf16", 128_000, 64),
])
def test_speed_refuses_what_does_not_fit(call):
    with pytest.raises(XlcomputeError, match=r"^gpus: .*does not fit on .*use more GPUs, a lower precision"):
        call()


def test_speed_functions_work_where_the_batch_fits():
    fits = serving.max_batch("llama-3.1-8b", "h100-sxm", 1, "bf16", 128_000, 1)
    assert serving.tpot_ms("llama-3.1-8b", "h100-sxm", 1, "bf16", 128_001, fits) > 0
    assert F["TPOT_MS"]("llama-3.1-70b", "h100-sxm", 1).startswith("#VALUE! gpus:")


# ---------------------------------------------------------------------------------------------
# Engines, bands and expert parallelism (issue 14)
# ---------------------------------------------------------------------------------------------


def test_engine_is_an_input_with_a_named_default():
    from xlcompute.scenario.setups import recording

    with recording() as found:
        s = setup("llama-3.1-8b", "h100-sxm")
    assert s.engine == "tensorrt-llm"
    assert any(r.name == "engine" and r.value == "tensorrt-llm" for r in found)
    assert setup("llama-3.1-8b", "mi300x").engine == "vllm@amd"  # AMD: vLLM with its ROCm figures
    assert setup("llama-3.1-8b", "h100-sxm", engine="vLLM").engine == "vllm"
    with pytest.raises(XlcomputeError):
        setup("llama-3.1-8b", "h100-sxm", engine="no-such-engine")


def test_engines_differ_where_the_data_differ():
    """Qwen2.5 speed benchmark (QwenLM/Qwen2.5 docs/source/benchmark/speed_benchmark.rst @010c37c3, A100 80GB,
    batch 1): Qwen2.5-7B BF16 decodes at 84.28 tok/s in vLLM 0.6.3 and 40.38 tok/s in Transformers 4.46.0.
    TPOT within 15% (vLLM) and 35% (Transformers: its median in-sample error is 26%) of 1000/speed."""
    for engine, speed, tolerance in (("vllm", 84.28, 0.15), ("transformers", 40.38, 0.35)):
        assert tpot_ms("qwen2.5-7b", "a100-80gb", 1, "bf16", 1025, 1, engine=engine) == pytest.approx(
            1000 / speed, rel=tolerance)
    assert F["TPOT_MS"]("qwen2.5-7b", "a100-80gb", 1, "bf16", 1024, 1, "transformers") > 1.5 * F["TPOT_MS"](
        "qwen2.5-7b", "a100-80gb", 1, "bf16", 1024, 1, "vllm")


def test_band_brackets_the_estimate():
    low, base, high = serving.tpot_ms_band("llama-3.1-8b", "h100-sxm")
    assert low < base < high
    assert base == pytest.approx(tpot_ms("llama-3.1-8b", "h100-sxm"))
    low, base, high = serving.tokens_per_s_band("llama-3.1-8b", "h100-sxm", 1, "fp8", 128, 128, engine="sglang")
    assert low < base < high


def test_vllm_memory_reservation_shrinks_the_kv_pool():
    """vLLM keeps gpu_memory_utilization 0.9 of memory (and CUDA-graph buffers out of it); TensorRT-LLM 0.95."""
    trt = max_batch("llama-3.1-8b", "h100-sxm", 1, "bf16", 1024, 1024, engine="tensorrt-llm")
    vllm = max_batch("llama-3.1-8b", "h100-sxm", 1, "bf16", 1024, 1024, engine="vllm")
    assert vllm < trt * 0.93


def test_deepseek_v3_production_layout_is_sized_and_timed():
    """DeepSeek "Day 6: DeepSeek-V3/R1 inference system overview" (deepseek-ai/open-infra-index, 2025-03-01, numbers
    as tabulated in lm-sys/lm-sys.github.io blog/2025-05-05-large-scale-ep.md): decode units of 18 H800 nodes,
    routed experts EP144 and MLA/shared experts DP144, 128 sequences per GPU at mean KV length 4,989, ~14.8k output
    tok/s per node. The MLA cache stays on its rank: the layout fits, and the time per node is within 25%."""
    gpus, per_gpu, context = 144, 128, 4989
    assert serving.ep_max_batch("deepseek-v3", "h800", gpus, sequence_tokens=context + 100) >= gpus * per_gpu
    per_node = serving.ep_decode_tokens_per_s("deepseek-v3", "h800", gpus, gpus * per_gpu, context) / 18
    assert per_node == pytest.approx(14_800, rel=0.25)
    # LMSYS (same blog): SGLang on 9 x 8 H100, EP72, 256 sequences per GPU at KV 2,000: 22,282 tok/s per node
    per_node = serving.ep_decode_tokens_per_s("deepseek-v3", "h100-sxm", 72, 72 * 256, 2000) / 9
    assert per_node == pytest.approx(22_282, rel=0.25)
    # and prefill, EP32 on 4 x 8 H100, 16,384 tokens per GPU of 4K prompts: 50,302 input tok/s per node
    assert serving.ep_prefill_tokens_per_s("deepseek-v3", "h100-sxm", 32, 4096) / 4 == pytest.approx(50_302, rel=0.25)


def test_mla_cache_is_sharded_by_attention_ranks_not_replicated():
    """Tensor parallelism copies an MLA cache to every GPU; data-parallel attention keeps each sequence on one rank."""
    from xlcompute.core import expert_parallel as ep

    s = setup("deepseek-v3", "h800", "fp8", "bf16", engine="sglang")
    dp = ep.ep_batch_capacity(s.shape, s.gpu, 16, 16, 4096, "fp8", "bf16", s.efficiency)
    tp = ep.ep_batch_capacity(s.shape, s.gpu, 16, 1, 4096, "fp8", "bf16", s.efficiency)
    assert dp > 5 * tp > 0  # 736 vs 102 sequences of 4,096 tokens on 16 H800
