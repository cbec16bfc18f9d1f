"""Memory formulas: weights, ZeRO model states, activations, KV cache (MHA/GQA/MQA/MLA/sliding window)."""

from __future__ import annotations

import numpy as np
import pytest

from xlcompute.core import ModelArch, XlcomputeError, explain
from xlcompute.core.memory import (
    activation_memory_bytes,
    inference_activation_bytes,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    serving_memory_bytes,
    to_memory_unit,
    training_memory_bytes,
    training_total_memory_bytes,
    weights_bytes,
)
from conftest import published_row


def _arch(name: str, **extra) -> ModelArch:
    """A ModelArch from a published.json model row (HF config fields)."""
    row = published_row("models", name)
    return ModelArch(
        id=name, hidden_size=row["hidden_size"], num_layers=row["num_layers"],
        num_attention_heads=row["num_attention_heads"], num_kv_heads=row["num_key_value_heads"],
        head_dim=row["head_dim"], intermediate_size=row["intermediate_size"],
        vocab_size=row.get("vocab_size", 0), **extra)


OPT_13B = ModelArch(id="opt-13b", hidden_size=5120, num_layers=40, num_attention_heads=40, intermediate_size=20480,
                    vocab_size=50272, mlp="plain", norm="layernorm")
# DeepSeek-V3 config.json (deepseek-ai/DeepSeek-V3): 61 layers, kv_lora_rank 512, qk_rope_head_dim 64.
DEEPSEEK_V3 = ModelArch(id="deepseek-v3", hidden_size=7168, num_layers=61, num_attention_heads=128,
                        intermediate_size=18432, vocab_size=129280, q_lora_rank=1536, kv_lora_rank=512,
                        qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128)


@pytest.mark.parametrize("precision, expected", [("fp32", 4), ("bf16", 2), ("fp16", 2), ("fp8", 1), ("int8", 1),
                                                 ("int4", 0.5), (4.5, 0.5625)])
def test_weights_bytes_by_precision(precision, expected):
    assert weights_bytes(1e9, precision) == pytest.approx(expected * 1e9)


def test_block_scaled_fp4_formats_count_their_scales():
    """NVFP4 (NVIDIA technical blog "Introducing NVFP4 for efficient and accurate low-precision inference", 2025):
    E2M1 values with one FP8 E4M3 scale per 16-value block, 4 + 8/16 = 4.5 bits per weight. MXFP4 (OCP Microscaling
    Formats (MX) Specification v1.0, 2023, section 5: one E8M0 scale per 32-value block); the gpt-oss model card
    (OpenAI, 2025-08-05) states its MXFP4 MoE weights take 4.25 bits per parameter. Exact: storage widths."""
    assert weights_bytes(1e9, "nvfp4") == pytest.approx(4.5 / 8 * 1e9)
    assert weights_bytes(1e9, "NVFP4") == weights_bytes(1e9, 4.5)
    assert weights_bytes(1e9, "mxfp4") == pytest.approx(4.25 / 8 * 1e9)
    assert weights_bytes(1e9, "fp4") == pytest.approx(0.5e9)  # bare E2M1 elements, no scales


def test_block_scaled_formats_run_on_fp4_units():
    from xlcompute.catalog import get_gpu
    from xlcompute.core.efficiency import DEFAULT_SERVING_EFFICIENCY
    from xlcompute.core.serving import compute_precision_for, default_kv_precision
    from xlcompute.core.training_efficiency import precision_class

    b200, h100 = get_gpu("b200"), get_gpu("h100-sxm")
    for name in ("nvfp4", "mxfp4"):
        assert b200.peak_flops(name) == b200.peak_flops("fp4")
        assert h100.peak_flops(name) == h100.peak_flops("fp8")  # no fp4 units: the next wider float units
        assert compute_precision_for(name, b200) == name and compute_precision_for(name, h100) == "bf16"
        assert default_kv_precision(name) == "fp8"
        assert DEFAULT_SERVING_EFFICIENCY.flops_fraction(name) == DEFAULT_SERVING_EFFICIENCY.flops_fraction_4bit
        assert precision_class(name) == "fp8"


def test_weights_vectorised():
    assert weights_bytes(np.array([1e9, 7e9]), "int4").tolist() == [0.5e9, 3.5e9]


def test_memory_units_gb_and_gib():
    assert to_memory_unit(2e9) == 2.0
    assert to_memory_unit(2 ** 30, "GiB") == 1.0
    assert to_memory_unit(2e9, "GiB") == pytest.approx(1.8626, rel=1e-4)


def test_zero_stages_match_zero_paper_example():
    # Rajbhandari et al. 2020 (ZeRO) Fig. 1: Ψ = 7.5B, N_d = 64, K = 12: baseline 120 GB, P_os 31.4 GB,
    # P_os+g 16.6 GB, P_os+g+p 1.9 GB. Tolerance: half a unit of the last printed digit.
    psi = 7.5e9
    expected = {0: 120e9, 1: 31.4e9, 2: 16.6e9, 3: 1.9e9}
    for stage, value in expected.items():
        assert training_memory_bytes(psi, 64, stage) == pytest.approx(value, abs=0.05e9), stage


def test_zero_seed_equations_with_a_and_b():
    # Seed 004 eqs. (3)-(6) with a = 2, b = 12, P = 1, n = 4.
    assert training_memory_bytes(1, 4, 0) == 2 * 2 + 12
    assert training_memory_bytes(1, 4, 1) == 2 * 2 + 12 / 4
    assert training_memory_bytes(1, 4, 2) == 2 + (2 + 12) / 4
    assert training_memory_bytes(1, 4, 3) == (2 * 2 + 12) / 4


def test_megatron_18_bytes_convention():
    assert training_memory_bytes(1e9, bytes_per_param=18) == 18e9
    assert training_memory_bytes(1e9, 8, 2, bytes_per_param=18) == pytest.approx(2e9 + 16e9 / 8)


def test_activation_memory_korthikanti_gpt3_table():
    # Korthikanti et al. 2022 Table 2 forms; GPT-3 175B layer (s=2048, b=1, h=12288, a=96):
    # no parallelism 34 + 5as/h = 34 + 80 = 114 bytes per s·b·h.
    sbh = 2048 * 12288
    assert activation_memory_bytes(2048, 1, 12288, 96) == pytest.approx(sbh * 114)
    assert activation_memory_bytes(2048, 1, 12288, 96, recompute="selective") == pytest.approx(sbh * 34)
    assert activation_memory_bytes(2048, 1, 12288, 96, recompute="full") == pytest.approx(sbh * 2)
    # Tensor parallel t = 8: sbh(10 + 24/8 + 5as/(8h)); with sequence parallelism everything / 8.
    assert activation_memory_bytes(2048, 1, 12288, 96, tensor_parallel=8) == pytest.approx(sbh * (10 + 3 + 10))
    assert activation_memory_bytes(2048, 1, 12288, 96, tensor_parallel=8, sequence_parallel=True) == \
        pytest.approx(sbh * 114 / 8)
    assert activation_memory_bytes(2048, 1, 12288, 96, 96, "selective", 8, True) == pytest.approx(sbh * 34 / 8 * 96)


def test_activation_memory_gpt3_per_gpu_fits_paper_figure():
    # Korthikanti et al. 2022 Fig. 7 / §5: 175B with t=8, sequence parallel + selective recompute needs
    # about 10 GB of activations per GPU for 96 layers at micro-batch 1 (sbhL·34/t = 10.3 GB). 5 %.
    assert activation_memory_bytes(2048, 1, 12288, 96, 96, "selective", 8, True) / 1e9 == pytest.approx(10.3, rel=0.05)


def test_training_total_memory_adds_states_and_activations():
    arch = _arch("Llama-2-7B")
    total = training_total_memory_bytes(arch, 6.74e9, 4096, 1, data_parallel=8, zero_stage=3)
    step = explain(training_total_memory_bytes, arch, 6.74e9, 4096, 1, data_parallel=8, zero_stage=3)
    states, acts = (c.result for c in step.children)
    assert total == pytest.approx(states + acts)
    assert states == pytest.approx(16 * 6.74e9 / 8)
    assert acts == pytest.approx(4096 * 4096 * 34 * 32)


def test_kv_cache_opt_13b_matches_vllm_paper(published):
    # Kwon et al. 2023 (vLLM) §3: OPT-13B KV cache 800 KB per token (2 x 5120 x 40 x 2 B = 819,200 B),
    # 1.6 GB at 2048 tokens. Exact.
    row = published_row("kv_cache", "OPT-13B")
    assert kv_cache_bytes_per_token(OPT_13B, "fp16") == row["kv_bytes_per_token"]
    assert kv_cache_bytes(OPT_13B, 2048) / 1e9 == pytest.approx(1.68, abs=0.01)


def test_kv_cache_gqa_llama2_70b():
    # Llama-2-70B (GQA, 8 KV heads): 2 x 80 x 8 x 128 x 2 B = 327,680 B/token, 8x less than MHA.
    arch = _arch("Llama-2-70B")
    assert kv_cache_bytes_per_token(arch) == 327_680
    assert kv_cache_bytes_per_token(arch.with_changes(num_kv_heads=64)) == 8 * 327_680


def test_kv_cache_mqa():
    arch = _arch("Llama-2-7B").with_changes(num_kv_heads=1)
    assert kv_cache_bytes_per_token(arch) == 2 * 32 * 1 * 128 * 2


def test_kv_cache_mla_deepseek_v3():
    # DeepSeek-V2 paper §2.1.3: MLA caches (d_c + d_h^R) per layer; V3: (512 + 64) x 61 layers x 2 B = 70,272 B.
    assert kv_cache_bytes_per_token(DEEPSEEK_V3) == 70_272
    assert kv_cache_bytes_per_token(DEEPSEEK_V3, "fp8") == 35_136


def test_kv_cache_sliding_window_caps_at_window():
    # Mistral-7B-v0.1: window 4096 on all 32 layers (rolling buffer, Jiang et al. 2023 §2).
    arch = _arch("Mistral-7B-v0.1", sliding_window=4096)
    per_token = kv_cache_bytes_per_token(arch)
    assert per_token == 131_072
    assert kv_cache_bytes(arch, 2000) == 2000 * per_token
    assert kv_cache_bytes(arch, 32768) == 4096 * per_token
    # Hybrid: 16 windowed layers of 32 (e.g. Gemma-2 style alternation).
    hybrid = arch.with_changes(sliding_window_layers=16)
    assert kv_cache_bytes(hybrid, 32768) == per_token / 2 * (32768 + 4096)


def test_kv_cache_vectorised_context_and_batch():
    arch = _arch("Mistral-7B-v0.1", sliding_window=4096)
    out = kv_cache_bytes(arch, np.array([1000.0, 8192.0]), batch=2)
    assert out.tolist() == [2 * 1000 * 131_072, 2 * 4096 * 131_072]


def test_kv_precision_separate_from_weights():
    arch = _arch("Llama-3-8B")
    assert kv_cache_bytes(arch, 8192, kv_precision="fp8") * 2 == kv_cache_bytes(arch, 8192)


def test_inference_activation_seed_formula():
    # Seed 003: 激活内存 = b·s·h·(34 + 5·s·a/h).
    b, s, h, a = 2, 1024, 5120, 40
    assert inference_activation_bytes(s, b, h, a) == pytest.approx(b * s * h * (34 + 5 * s * a / h))
    assert inference_activation_bytes(s, b, h, a, flash_attention=True) == pytest.approx(b * s * h * 34)


def test_serving_memory_sums_components_with_overhead():
    arch = _arch("Llama-3-8B")
    step = explain(serving_memory_bytes, 8.03e9, arch, 8192, 4)
    weights, kv, act = (c.result for c in step.children)
    assert weights == pytest.approx(16.06e9)
    assert kv == pytest.approx(4 * 8192 * 131_072)
    assert act == pytest.approx(2048 * 4096 * 34)
    assert step.result == pytest.approx((weights + kv + act) * 1.1)
    assert serving_memory_bytes(8.03e9, arch, 8192, 4, overhead_fraction=0) == pytest.approx(weights + kv + act)


def test_serving_memory_qwen_measured(published):
    # Qwen speed benchmark: Qwen2.5-7B BF16 with HF transformers, batch 1, 1 input + 2048 output tokens,
    # measured 14.38 GB peak GPU memory. Qwen2.5-7B: 7.62B params, 28 layers, 4 KV heads, head dim 128.
    # Our estimate (10 % overhead) is within 10 %.
    arch = ModelArch(id="qwen2.5-7b", hidden_size=3584, num_layers=28, num_attention_heads=28, num_kv_heads=4,
                     intermediate_size=18944, vocab_size=152064)
    measured = [r for r in published["inference_measurements"] if r.get("measured_gpu_memory_gb")][0]
    estimate = serving_memory_bytes(7.62e9, arch, 2049, 1, overhead_fraction=0.0) / 1e9
    assert estimate == pytest.approx(measured["measured_gpu_memory_gb"], rel=0.10)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: weights_bytes(-7e9), "params"),
        (lambda: weights_bytes(7e9, "fp7.5x"), "precision"),
        (lambda: training_memory_bytes(7e9, 0, 3), "num_gpus"),
        (lambda: training_memory_bytes(7e9, 8, 4), "zero_stage"),
        (lambda: training_memory_bytes(7e9, 8, 1, bytes_per_param=17), "bytes_per_param"),
        (lambda: activation_memory_bytes(2048, 1, 4096, 32, recompute="partial"), "recompute"),
        (lambda: kv_cache_bytes(OPT_13B, -5), "context_tokens"),
        (lambda: kv_cache_bytes_per_token("llama"), "arch"),
        (lambda: kv_cache_bytes_per_token(OPT_13B, "fp3x"), "kv_precision"),
        (lambda: to_memory_unit(1e9, "gigs"), "unit"),
    ],
)
def test_bad_input_names_argument(call, argument):
    with pytest.raises(XlcomputeError) as info:
        call()
    assert info.value.argument == argument


def test_encoder_only_has_no_kv_cache():
    arch = OPT_13B.with_changes(encoder_only=True)
    with pytest.raises(XlcomputeError, match="encoder-only"):
        kv_cache_bytes_per_token(arch)


from hypothesis import given, strategies as st  # noqa: E402


@given(params=st.floats(1e6, 1e13), gpus=st.integers(1, 4096))
def test_zero_stages_never_increase_memory(params, gpus):
    values = [training_memory_bytes(params, gpus, stage) for stage in range(4)]
    assert all(a >= b * (1 - 1e-12) for a, b in zip(values, values[1:]))
    assert values[3] * gpus == pytest.approx(values[0])


@given(context=st.floats(1, 1e6), window=st.integers(1, 1 << 17), windowed=st.integers(0, 32))
def test_sliding_window_never_exceeds_full_attention(context, window, windowed):
    full = _arch("Mistral-7B-v0.1")
    capped = full.with_changes(sliding_window=window, sliding_window_layers=windowed)
    assert kv_cache_bytes(capped, context) <= kv_cache_bytes(full, context) * (1 + 1e-12)
    assert kv_cache_bytes(capped, context) >= kv_cache_bytes(full, min(context, window)) * (1 - 1e-12)


# --- Breakdowns show the resolved numbers (L, n_kv, d_head, bytes per element), not only names ---------------------


def _inputs(step) -> dict:
    return {step.info.terms[name].symbol: value for name, value in step.inputs.items()}


def test_kv_per_token_breakdown_shows_layers_heads_head_dim_and_bytes():
    # Llama-2-70B (published config): 80 layers, 8 KV heads, head dim 128; bf16 = 2 bytes.
    arch = _arch("Llama-2-70B")
    step = explain(kv_cache_bytes_per_token, arch, "bf16")
    elements, precision = step.children
    assert precision.name == "precision_bytes" and precision.inputs == {"element_precision": "bf16"} and precision.result == 2
    (gqa,) = elements.children
    assert gqa.name == "kv_elements_per_token_gqa"
    assert _inputs(gqa) == {"L": 80, "n_kv": 8, "d_head": 128}
    assert gqa.result == elements.result == 163_840
    assert step.result == 327_680


def test_kv_per_token_breakdown_mla():
    step = explain(kv_cache_bytes_per_token, DEEPSEEK_V3, "fp8")
    elements, precision = step.children
    assert precision.result == 1.0
    (mla,) = elements.children
    assert mla.name == "kv_elements_per_token_mla"
    assert _inputs(mla) == {"L": 61, "d_c": 512, "d_rope": 64}
    assert mla.result == step.result == 35_136  # fp8: one byte per element


def test_kv_cache_breakdown_shows_sliding_window_split():
    arch = _arch("Mistral-7B-v0.1", sliding_window=4096, sliding_window_layers=16)
    step = explain(kv_cache_bytes, arch, 32768, 2)
    per_token, window = step.children
    assert per_token.name == "kv_cache_bytes_per_token"
    assert window.name == "kv_cache_bytes_sliding_window"
    assert _inputs(window) == {"m_kv": 131_072, "L": 32, "L_w": 16, "W": 4096, "ctx": 32768, "b": 2}
    assert window.result == step.result == 2 * 131_072 / 2 * (32768 + 4096)
    # Without a window there is no split step: M_kv = b · ctx · m_kv.
    plain = explain(kv_cache_bytes, _arch("Llama-2-70B"), 1000, 2)
    assert [c.name for c in plain.children] == ["kv_cache_bytes_per_token"]
    assert plain.result == 2 * 1000 * 327_680


def test_weights_breakdown_resolves_precision_to_bytes():
    step = explain(weights_bytes, 7e10, "fp8")
    assert [(c.name, c.inputs, c.result) for c in step.children] == [("precision_bytes", {"element_precision": "fp8"}, 1.0)]
    assert step.result == 7e10
    assert explain(weights_bytes, 7e9, 4.5).children[0].result == 0.5625


def test_rendered_breakdowns_show_numbers_not_only_names():
    from xlcompute.cli.render import render_step

    text = render_step(explain(kv_cache_bytes_per_token, _arch("Llama-2-70B")))
    assert "Bytes per element: B = 2 B/element" in text
    assert "precision = bf16" in text
    for line in ("L      = 80 layers", "n_kv   = 8 heads", "d_head = 128"):
        assert line in text
    assert "bf16 B/element" not in text  # a name is never printed with a unit
    assert "fp8 B/parameter" not in render_step(explain(weights_bytes, 7e10, "fp8"))


def test_new_memory_formulas_have_complete_metadata():
    import inspect

    from xlcompute.core import REGISTRY

    for name in ("precision_bytes", "kv_elements_per_token", "kv_elements_per_token_gqa", "kv_elements_per_token_mla",
                 "kv_cache_bytes_sliding_window"):
        fn = REGISTRY[name]
        info = fn.__formula__
        assert info.title and info.equation and info.reference and info.result.unit
        assert set(info.terms) == set(inspect.signature(fn).parameters)
        assert all(t.symbol and t.unit and t.description for t in info.terms.values())
        assert "[" in inspect.getdoc(fn)


def test_kv_breakdown_keeps_arrays_vectorised():
    arch = _arch("Llama-2-70B")
    contexts = np.array([1024.0, 8192.0, 131072.0])
    assert (kv_cache_bytes(arch, contexts) == contexts * 327_680).all()
    windowed = _arch("Mistral-7B-v0.1", sliding_window=4096)
    assert kv_cache_bytes(windowed, contexts).tolist() == [1024 * 131_072, 4096 * 131_072, 4096 * 131_072]
