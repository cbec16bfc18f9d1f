"""Every worked example of the five seed articles, recomputed with the core formulas.

Each test quotes the seed's claim, then asserts the correct value. Where the seed's arithmetic
is wrong the test says so ("ERRATUM") and asserts the corrected figure; docs/formulas.md, section
"Errata in the seeds", lists the same items.

Seeds (the five source articles, quoted in each test): 000 token-based demand; 001 BERT/PaLM
training cost; 002 inference economics; 003 memory and output speed; 004 Liu et al. 2024,
大语言模型算力度量模型, eqs. (1)-(12).
"""

from __future__ import annotations

import pytest

from xlcompute.core import ModelArch
from xlcompute.core.communication import (
    comm_time_s,
    data_parallel_comm_volume,
    pipeline_parallel_comm_volume,
    ring_allreduce_factor,
    tensor_parallel_comm_volume,
)
from xlcompute.core.inference import (
    compute_demand_flops_per_s,
    cost_per_request,
    gpus_for_memory,
    gpus_for_throughput,
    inference_flops_per_token,
    latency_s,
    request_flops,
    tokens_per_second,
    tpot_s,
    transformer_layer_flops,
    ttft_s,
)
from xlcompute.core.memory import (
    activation_memory_bytes,
    inference_activation_bytes,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    to_memory_unit,
    training_memory_bytes,
    weights_bytes,
)
from xlcompute.core.training import (
    implied_mfu,
    pf_days,
    train_attention_flops,
    train_cost,
    train_flops,
    training_days,
    training_time_s,
)
from conftest import published_row

A100_BF16 = 312e12  # published.json "NVIDIA A100 80GB SXM4" bf16_dense 312 TFLOP/s
A100_80_BW = 2039e9  # published.json, 2039 GB/s
H100_MEMORY = 80e9  # published.json "NVIDIA H100 SXM5 80GB"


# ----------------------------------------------------------------------------------------- seed 000
class TestSeed000:
    def test_attention_quadratic_growth(self):
        # Claim: "当n从512扩展至4096时,计算量将增长64倍" (attention O(n²)). Correct for the s² term: (4096/512)² = 64.
        per_seq = lambda s: train_attention_flops(1, s, 4096, s, passes=1)  # noqa: E731
        assert per_seq(4096) / per_seq(512) == pytest.approx(64)

    def test_gpt3_layer_flops(self):
        # Claim: transformer_layer_flops(12288, 2048, 96) = 4·s²·h + 2·s·h² "输出约1.2e11 FLOPs".
        # ERRATUM 1: the seed's own expression evaluates to 8.25e11, not 1.2e11.
        s, h = 2048, 12288
        seed_expression = 4 * s ** 2 * h + 2 * s * h ** 2
        assert seed_expression == pytest.approx(8.246e11, rel=1e-3)
        # ERRATUM 2: the FFN and projections are 24·s·h² (Megatron), not 2·s·h²: one GPT-3 layer's forward pass
        # over 2048 tokens is 7.63e12 FLOP.
        assert transformer_layer_flops(s, h) == pytest.approx(7.628e12, rel=1e-3)

    def test_case1_chat_demand_and_gpus(self):
        # Claim: 13B model, 30 tokens per dialogue (input + reply), QPS 100: per-token FLOPs ≈ 2.5e10;
        # tokens/s = 30 × 100 × 2 = 6000; demand = 1.5e14 FLOP/s; at 3.12e11 FLOP/s per GPU "需约48张GPU".
        per_token = inference_flops_per_token(13e9)
        assert per_token == pytest.approx(2.6e10)  # the seed's 2.5e10 is within 4 %
        # ERRATUM: the ×2 double-counts (30 tokens already include input and reply): 3000 tokens/s,
        # demand 7.8e13 FLOP/s (7.5e13 with the seed's 2.5e10).
        demand = compute_demand_flops_per_s(per_token, 30, 100)
        assert demand == pytest.approx(7.8e13)
        assert compute_demand_flops_per_s(2.5e10, 30, 100) == pytest.approx(7.5e13)
        # ERRATUM: 1.5e14 / 3.12e11 is 481 GPUs, not 48; and an A100's FP16 dense peak is 3.12e14 FLOP/s,
        # not 3.12e11. At 3.12e14 and 100 % utilisation the demand needs 1 GPU (0.25 of one); at 40 %, still 1.
        assert 1.5e14 / 3.12e11 == pytest.approx(480.8, rel=1e-3)
        assert gpus_for_throughput(100, request_flops(13e9, 30), 1.0, A100_BF16, 1.0) == 1
        assert gpus_for_throughput(100, request_flops(13e9, 30), 1.0, A100_BF16, 0.4) == 1
        assert demand / A100_BF16 == pytest.approx(0.25, rel=1e-2)

    def test_case2_long_document_attention(self):
        # Claim: 20,000-token summary with a 7B model: "自注意力计算量 = 4 × (20000²) × 4096 ≈ 6.5e14 FLOPs".
        # ERRATUM: 4 × 20000² × 4096 = 6.55e12 (per layer); over the 32 layers of a 7B model 2.1e14.
        per_layer = train_attention_flops(1, 20_000, 4096, 20_000, passes=1)
        assert per_layer == pytest.approx(6.5536e12)
        assert train_attention_flops(32, 20_000, 4096, 20_000, passes=1) == pytest.approx(2.097e14, rel=1e-3)


# ----------------------------------------------------------------------------------------- seed 001
class TestSeed001:
    def test_bert_large_flops(self, published):
        # Claim: 6 × 3.4e8 = 2.04e9 FLOPs per token; 128亿 (1.28e10) tokens "如BERT原始设定" -> 2.61e19 FLOPs.
        assert train_flops(3.4e8, 1) == pytest.approx(2.04e9)
        assert train_flops(3.4e8, 1.28e10) == pytest.approx(2.61e19, rel=2e-3)
        # ERRATUM: BERT's original setting is 1M steps × 128,000 tokens = 1.28e11 tokens (Devlin et al. 2019
        # App. A.2), ten times more: 2.61e20 FLOPs.
        row = published_row("training_runs", "BERT-large pre-training")
        tokens = row["steps"] * row["batch_tokens"]
        assert tokens == pytest.approx(1.28e11)
        assert train_flops(row["params"], tokens) == pytest.approx(2.61e20, rel=2e-3)

    def test_rtx3090_years(self):
        # Claim: on one RTX 3090 (~33 TFLOPS) 2.61e19 FLOPs "连续满负荷运行25年".
        # ERRATUM: 2.61e19 / 33e12 = 7.9e5 s = 9.2 days at full load (92 days with the correct 2.61e20).
        assert training_days(2.61e19, 1, 33e12, mfu=1.0) == pytest.approx(9.15, rel=0.01)
        assert training_days(2.61e20, 1, 33e12, mfu=1.0) == pytest.approx(91.5, rel=0.01)

    def test_palm_flops_time_cost(self):
        # Claim: 6 × 5.4e11 × 7.8e11 = 2.53e24 FLOPs (correct; PaLM paper 2.56e24, within 1.5 %).
        row = published_row("training_runs", "PaLM 540B")
        assert train_flops(5.4e11, 7.8e11) == pytest.approx(2.53e24, rel=2e-3)
        assert train_flops(row["params"], row["tokens"]) == pytest.approx(row["total_flops"], rel=0.015)
        # Claim: at 1e18 FLOP/s "2.53e24 / 1e18 = 253,000 秒 ≈ 70小时".
        # ERRATUM: 2.53e24 / 1e18 = 2.53e6 s = 703 hours (29 days).
        t = training_time_s(2.53e24, 1, 1e18, mfu=1.0)
        assert t == pytest.approx(2.53e6)
        assert t / 3600 == pytest.approx(702.8, rel=1e-3)
        # Claim: "对应云成本 ≈ 70 × $40 ≈ $2800". ERRATUM: 703 pod-hours × $40 = $28,100.
        assert train_cost(t / 3600, 40) == pytest.approx(28_111, rel=1e-3)

    def test_palm_real_chip_hours(self):
        # Cross-check against the PaLM paper: 8,404,992 TPU v4 chip-hours at MFU 46.2 % -> the 2.56e24 FLOPs
        # would take 5.6M chip-hours of pure compute; the rest is downtime and repeated steps.
        row = published_row("training_runs", "PaLM 540B")
        mfu = implied_mfu(row["total_flops"], row["accelerator_hours"], row["peak_flops_per_chip_used_for_mfu"])
        assert 0.25 < mfu < row["mfu"]


# ----------------------------------------------------------------------------------------- seed 002
class TestSeed002:
    def test_network_latency_dominates_small_messages(self):
        # Claim: in fast decoding, network latency (not bandwidth) limits multi-GPU inference.
        # Llama-2-70B decode, TP 8, batch 1: each all-reduce carries h × 2 B = 16 KB; 2 per layer x 80 layers.
        payload = 8192 * 2 * ring_allreduce_factor(8)
        bandwidth_part = comm_time_s(payload * 160, 450e9)
        total = comm_time_s(payload * 160, 450e9, latency_s=10e-6, messages=160)
        assert bandwidth_part / total < 0.01


# ----------------------------------------------------------------------------------------- seed 003
class TestSeed003:
    def test_weights_by_precision(self):
        # Claim: 1B params × 2 B = 2 GB; 32B -> 64 GB; 32B in fp32 128 GB, 16-bit 64 GB, 8-bit 32 GB.
        assert to_memory_unit(weights_bytes(1e9, "bf16")) == 2.0
        assert to_memory_unit(weights_bytes(32e9, "bf16")) == 64.0
        assert [to_memory_unit(weights_bytes(32e9, p)) for p in ("fp32", "fp16", "int8", "int4")] == [128, 64, 32, 16]
        # The seed's note: 1 KB is 1024 bytes in binary units; 2e9 B = 1.86 GiB.
        assert to_memory_unit(2e9, "GiB") == pytest.approx(1.863, rel=1e-3)

    def test_deepseek_r1_h100_count(self):
        # Claim: 685B × 2 B = 1370 GB; on 80 GB H100s "接近18" GPUs. Correct (17.1 -> 18) for weights alone at
        # 100 % usable memory; with a 90 % usable share it is 20, before any KV cache.
        weights = weights_bytes(685e9, "bf16")
        assert to_memory_unit(weights) == 1370
        assert gpus_for_memory(weights, H100_MEMORY, 1.0) == 18
        assert gpus_for_memory(weights, H100_MEMORY, 0.9) == 20

    def test_kv_formula_is_mha_only(self):
        # Claim: KV缓存 = 2 × 批次 × 序列长度 × 层数 × 隐藏大小 × 精度, shown with QwQ-32B's model card.
        # It is exact for MHA (OPT-13B, checked in test_core_memory). ERRATUM: for GQA models it overstates:
        # QwQ-32B (64 layers, 40 heads, 8 KV heads, head dim 128, hidden 5120) caches 262,144 B/token,
        # not 2 × 64 × 5120 × 2 = 1,310,720 (5×).
        qwq = ModelArch(id="qwq-32b", hidden_size=5120, num_layers=64, num_attention_heads=40, num_kv_heads=8,
                        intermediate_size=27648, vocab_size=152064)
        seed_formula = 2 * 1 * 1 * 64 * 5120 * 2
        assert kv_cache_bytes_per_token(qwq) == 262_144
        assert seed_formula / kv_cache_bytes_per_token(qwq) == 5
        mha = qwq.with_changes(num_kv_heads=40)
        assert kv_cache_bytes(mha, 1000, batch=2) == 2 * 2 * 1000 * 64 * 5120 * 2

    def test_activation_formula_is_per_layer_16_bit(self):
        # Claim: 激活内存 = b × s × h × (34 + 5·s·a/h), "数据保存在 FP32 中".
        # The formula is Korthikanti et al.'s per-layer byte count with 16-bit activations; it applies per layer.
        b, s, h, a = 1, 4096, 5120, 40
        assert inference_activation_bytes(s, b, h, a) == pytest.approx(b * s * h * (34 + 5 * s * a / h))
        per_layer = b * s * h * (34 + 5 * s * a / h)
        assert activation_memory_bytes(s, b, h, a, num_layers=64) == pytest.approx(64 * per_layer)

    def test_training_memory_rule(self):
        # Claim: training ≈ model size + (12~20 B) × params ≈ (4~6) × model size. True when "model size" is fp32
        # (4 B/param): 16 B/param (ZeRO paper) = 4×, 18 B/param (Megatron) = 4.5×, 24 B/param = 6×.
        fp32_size = weights_bytes(32e9, "fp32")
        assert training_memory_bytes(32e9) / fp32_size == 4
        assert training_memory_bytes(32e9, bytes_per_param=18) / fp32_size == 4.5

    def test_prompt_flops(self):
        # Claim: 推理总计算量 = 2 × 模型参数 × 提示词token数: 32B, 1000 tokens -> 6.4E+13.
        assert request_flops(32e9, 1000) == pytest.approx(6.4e13)

    def test_a100_speed_example(self):
        # Claim: 10 × A100 (312 TFLOPS), utilisation 46.2 %, 32B BF16, prompt 1K: "0.0444s/Token",
        # "一秒钟生成的 Token 数为 22.5225 个".
        # ERRATUM: 6.4e13 / (10 × 312e12 × 0.462) = 0.0444 s is one pass over the whole 1000-token prompt: the
        # prefill (TTFT when compute-bound), or the per-token time only if the KV cache is switched off.
        ttft = ttft_s(32e9, 1000, 10 * A100_BF16, efficiency=0.462)
        assert ttft == pytest.approx(0.0444, rel=1e-3)
        # One output token costs 2 × 32e9 FLOP: 4.44e-5 s of compute. Decoding is memory-bound: every token reads
        # the 64 GB of weights, over 10 × 2039 GB/s = 3.14 ms at full bandwidth, i.e. ~319 tokens/s at batch 1
        # (an upper bound: tensor-parallel communication is not included).
        tpot = tpot_s(32e9, weights_bytes(32e9), 0, 10 * A100_BF16, 10 * A100_80_BW, compute_efficiency=0.462,
                      bandwidth_efficiency=1.0)
        assert tpot == pytest.approx(3.139e-3, rel=1e-3)
        assert 1 / tpot == pytest.approx(318.6, rel=1e-3)

    def test_latency_and_tps_definitions(self):
        # Claim: Latency = TTFT + TPOT × 生成 token 数; TPS = 生成总 Token / 延迟.
        # TPOT excludes the first token (the seed's own definition), so n tokens take TTFT + TPOT·(n − 1).
        latency = latency_s(0.0444, 0.00314, 256)
        assert latency == pytest.approx(0.0444 + 0.00314 * 255)
        assert tokens_per_second(256, latency) == pytest.approx(256 / latency)


# ----------------------------------------------------------------------------------------- seed 004
class TestSeed004:
    def test_eq1_eq2_llama_65b(self):
        # Claim (§1): LLaMA 65B, 1.4T tokens, 2048 A100-80G, 21 days. Eq. (1) C ≈ 8TP, eq. (2) t = C/(nX).
        row = published_row("training_runs", "LLaMA-65B")
        c8 = train_flops(row["params"], row["tokens"], 8)
        c6 = train_flops(row["params"], row["tokens"])
        # At 21 days the 6PT model FLOPs imply 47 % MFU; 8PT (with recomputation) implies 63 % hardware use.
        hours = row["accelerator_count"] * row["wall_clock_days"] * 24
        assert implied_mfu(c6, hours, A100_BF16) == pytest.approx(0.473, abs=0.005)
        assert implied_mfu(c8, hours, A100_BF16) == pytest.approx(0.631, abs=0.005)
        assert training_days(c6, 2048, A100_BF16, 0.473) == pytest.approx(21, rel=0.01)

    def test_eq1_pangu_sigma_needs_active_params(self):
        # Claim (§1): PanGu-Σ 1085B params, 329B tokens, 512 Ascend 910, 100 days.
        # With total parameters the implied utilisation of 512 × 256 TFLOP/s is above 100 %: impossible,
        # because PanGu-Σ is sparse (random-routed experts). Compute must use active parameters (MoE).
        row = published_row("training_runs", "PanGu-Σ")
        hours = row["accelerator_count"] * row["wall_clock_days_approx"] * 24
        assert implied_mfu(train_flops(row["params"], row["tokens"]), hours, 256e12) > 1.0

    def test_pf_days_definition(self):
        # §2.1.2.1: PF-days = days of 1e15 FLOP/s. GPT-3: 3.14e23 FLOPs = 3640 PF-days (Table D.1).
        assert pf_days(published_row("training_runs", "GPT-3 175B")["total_flops"]) == pytest.approx(3640, rel=5e-3)

    def test_eqs3_to_6_zero(self):
        # Eqs. (3)-(6) with a = 2 (fp16), b = 12, for the ZeRO paper's 7.5B model on 64 GPUs (ref. [15], Fig. 1):
        # 120 GB, 31.4 GB, 16.6 GB, 1.9 GB.
        values = [training_memory_bytes(7.5e9, 64, stage) / 1e9 for stage in range(4)]
        assert values == pytest.approx([120, 31.4, 16.6, 1.9], abs=0.05)

    def test_eqs7_to_9_volumes(self):
        # Eq. (7) Q = TP/(bs); eq. (8) 2bsh per batch per boundary; eq. (9) 4bsh per layer per batch.
        # 1 step of b·s = 4M tokens: data parallel sends P gradients once.
        assert data_parallel_comm_volume(4_194_304, 7e9, 2048, 2048, "fp32") == pytest.approx(7e9 * 4)
        # ERRATUM (eq. 8): n pipeline stages have n − 1 boundaries: 2(n−1)hT, not 2nhT.
        assert pipeline_parallel_comm_volume(4_194_304, 8192, 8, "bf16") == pytest.approx(2 * 7 * 8192 * 4_194_304 * 2)
        assert tensor_parallel_comm_volume(4_194_304, 8192, 80, 8, "bf16") == \
            pytest.approx(4 * 8192 * 80 * 8 * 4_194_304 * 2)

    def test_eq10_to_12_inference(self):
        # Eq. (10) C = 2·T_io·P; eq. (11) n = U·C/(X·t_c); eq. (12) E_i = C·E/(3600·n·X).
        c = request_flops(70e9, 2000)
        assert c == pytest.approx(2.8e14)
        assert gpus_for_throughput(1000, c, 20, 989.5e12, 1.0) == 15  # 14.15 -> 15 whole GPUs
        # ERRATUM (eq. 12): with E the price of one chip-hour, the n in the denominator must go: a request on n
        # chips runs n times faster but costs n chips. At $2/h, 2.8e14 FLOP on a 989.5 TFLOP/s GPU: $0.000157.
        assert cost_per_request(c, 2.0, 989.5e12, 1.0) == pytest.approx(2.8e14 * 2 / (3600 * 989.5e12))
