"""Validation of the serving model and training MFU against published measurements."""

from __future__ import annotations

import json
import math
import statistics

import pytest
from click.testing import CliRunner

from xlcompute.cli import main
from xlcompute.core.efficiency import DEFAULT_SERVING_EFFICIENCY, TRAINING_MFU_REGIMES, training_mfu
from xlcompute.core.training import attention_share
from xlcompute.core.training_efficiency import DEFAULT_ATTENTION_SHARE, DEFAULT_TRAIN_SEQ_LEN, REGIMES_CSV
from xlcompute.scenario.setups import params_of, resolve_gpu, resolve_model, training_mfu_range
from xlcompute.validation import (band_summary, out_of_source_table, serving_rows, serving_table, summary,
                                  training_implied_mfu, training_rows, training_table)
from xlcompute.validation.fit import fit_serving, fit_training_mfu, serving_loss
from xlcompute.validation.training import (fit_goodput, goodput_pairs, regimes_csv_text, row_attention_share,
                                           steady_mfu)
from xlcompute.core.serving_engines import ENGINES, ENGINES_CSV
from xlcompute.validation.engines_table import engines_csv_text
from xlcompute.validation.serving import engine_prior, original_rows, out_of_source, predict_serving, \
    refit_engines, render_engines, rows_by_engine, source_balanced_band, source_key, speed_ratio, validation_by_engine


@pytest.fixture(scope="module")
def serving():
    return serving_table()


def test_serving_model_meets_the_accuracy_target(serving):
    """Issue 5 target: median |error| <= 20% and every row within a factor of 2 (414 published measurements:
    TensorRT-LLM 0.17/0.14/0.6.1/0.5, vLLM 0.6.3; Llama 2 and 3.1 7B-405B, Mistral, Mixtral, Qwen2.5, GPT-J; A100-H200, L40S)."""
    s = summary(serving)
    assert s["rows"] == len(serving_rows()) >= 800
    assert not s["not_fitting"]
    assert s["median_abs_error"] <= 0.20
    # eager Transformers on 2-3 GPUs splits layers (accelerate device_map), not tensors: up to 2.9x over
    assert s["within_factor_2"] >= 0.95, s["worst"]


def test_every_row_has_source_and_setup():
    for row in serving_rows():
        assert row["source"].strip() and row["setup"].strip() and row["framework"].strip(), row["id"]
        assert float(row["measured"]) > 0
    for row in training_rows():
        assert row["source"].strip(), row["id"]


def test_published_json_measurements_are_all_in_the_table(published):
    """Every inference measurement of published.json has a row with the same setup and value."""
    rows = serving_rows()
    for m in published["inference_measurements"]:
        value = m.get("output_throughput_tokens_per_s") or m.get("decode_speed_tokens_per_s") or m.get("ttft_ms")
        if m["framework"].startswith("HF transformers"):
            continue  # eager transformers is not a serving engine; the model targets serving stacks
        matches = [r for r in rows if abs(float(r["measured"]) - value) < 1e-6
                   and int(r["input_tokens"]) == m["input_len"]]
        assert matches, m


def test_each_metric_and_framework_is_unbiased(serving):
    """No metric is systematically off by more than 25% (median signed error per metric)."""
    for metric in ("output_tokens_per_s", "tpot_ms", "ttft_ms", "e2e_tokens_per_s"):
        errors = [c.error for c in serving if c.metric == metric]
        assert errors, metric
        assert abs(statistics.median(errors)) <= 0.25, (metric, statistics.median(errors))


def test_defaults_are_the_fit():
    """One more round of the documented fit does not improve the defaults' loss by more than 0.01."""
    rows = original_rows()
    default_loss = serving_loss(DEFAULT_SERVING_EFFICIENCY, rows)
    _, fitted_loss = fit_serving(DEFAULT_SERVING_EFFICIENCY, rounds=1)
    assert fitted_loss <= default_loss
    assert default_loss - fitted_loss < 0.01


def test_training_mfu_regimes_are_the_fit():
    """core/data/training_mfu_regimes.csv is what fit_regimes returns on training_runs.csv (rewrite it with
    xlcompute.validation.training.write_regimes())."""
    assert REGIMES_CSV.read_text(encoding="utf-8") == regimes_csv_text(fit_training_mfu())
    for name, rng in TRAINING_MFU_REGIMES.items():
        assert 0 < rng.low < rng.base < rng.high < 1, name
        assert rng.runs >= 2 and rng.fitted_on, name


def test_regimes_pick_fp8_moe_blackwell_and_scale():
    """Each finding of issue 14 has its own regime: FP8 against its own peak, MoE on active parameters,
    Blackwell fitted from NVIDIA's Megatron-Bridge tables, tuned node-scale A100 runs above the cluster ones."""
    assert training_mfu("hopper", "fp8").regime == "hopper/fp8/dense/any"
    assert training_mfu("hopper", "fp8", moe=True).regime == "hopper/fp8/moe/any"
    assert training_mfu("blackwell", "fp8", gpus=64).regime == "blackwell/fp8/dense/node"
    assert training_mfu("blackwell-ultra", "fp8").regime == "blackwell/fp8/dense/any"
    assert training_mfu("blackwell", "bf16").regime == "hopper/16bit/dense/any"  # no Blackwell BF16 dense runs
    assert training_mfu("ampere", gpus=8).base > training_mfu("ampere", gpus=2048).base
    assert training_mfu("hopper", moe=True).base < training_mfu("hopper").base
    assert training_mfu("ada").regime == "any/16bit/dense/any"


def test_training_out_of_source_accuracy_and_band_coverage():
    """Leave-one-source-out: each source group predicted by the regimes and goodput fitted without it.
    Issue 14 goal: median |error| of GPU-hours <= 15% and 80% bands holding >= 80%. Reached (docs/validation.md):
    12.9% and 86% out of source over 63 rows, 6.5% and 90% in sample (20.1% and 81% over 54 rows before the
    attention share, the goodput and the Megatron-LM rows); the test holds that with a point of tolerance on the
    medians and one row on the coverage."""
    inside = band_summary(training_table())
    outside = band_summary(out_of_source_table())
    assert inside["rows"] == outside["rows"] == len(training_rows()) >= 60
    assert inside["median_abs_error"] <= 0.075 and inside["inside_band"] >= 0.88
    assert outside["median_abs_error"] <= 0.14
    assert outside["inside_band"] >= 0.84
    assert len({r["source_group"] for r in training_rows()}) >= 15


@pytest.mark.parametrize(("model", "layers", "attn_dim", "seq_len", "tokens_per_s", "model_tflops", "tolerance"), [
    # Megatron-Bridge performance-summary-archive.md, 25.11 container, DGX-GB200 table @067f987d:
    # tokens/s/GPU and "Model TFLOP/sec/GPU"; NVIDIA counts causal attention (half the PaLM term).
    ("llama-3.1-405b", 126, 16384, 8192, 813, 2053, 0.01),
    ("llama-3-70b", 80, 8192, 8192, 4312, 1937, 0.02),
    ("deepseek-v3", 61, 20480, 4096, 3139, 782, 0.01),  # MLA: mean of q/k (192) and v (128) head widths
    ("qwen3-235b-a22b", 94, 8192, 4096, 4916, 728, 0.03),
])
def test_attention_share_reproduces_nvidia_model_flops(model, layers, attn_dim, seq_len, tokens_per_s, model_tflops,
                                                       tolerance):
    """6·P·(1 + a) per token, a = 2·L·s·d_attn/P halved for causal attention, is NVIDIA's published model FLOPs per
    token within 1-3%; the widths are the catalog's."""
    arch = resolve_model(model).arch
    params = params_of(model, "active")
    assert (arch.num_layers, arch.attention_width) == (layers, attn_dim)
    per_token = 6 * params * (1 + attention_share(layers, seq_len, attn_dim, params, causal=True))
    assert per_token == pytest.approx(model_tflops * 1e12 / tokens_per_s, rel=tolerance)


@pytest.mark.parametrize(("run_id", "nominal_params", "published_mfu"), [
    ("T55", 1.7e9, 0.41), ("T59", 70e9, 0.42), ("T63", 462e9, 0.47),
])
def test_megatron_lm_rows_reproduce_the_table(run_id, nominal_params, published_mfu):
    """NVIDIA/Megatron-LM README model table (images/model_table.png @f2e5db40): the parameters of each row are
    the table's model size within 3%, and its steady-state model-FLOPs MFU (6·P + 12·L·s·d per token, the same
    count as Megatron's) is the published MFU within a point, up to the input embedding the 6·P count includes
    (15% of the 1.7B model's parameters)."""
    row = next(r for r in training_rows() if r["id"] == run_id)
    assert "NVIDIA/Megatron-LM" in row["source"]
    assert float(row["params"]) == pytest.approx(nominal_params, rel=0.03)
    embedding_share = 131072 * float(row["attn_dim"]) / float(row["params"])
    assert steady_mfu(row, 1.0) * (1 - embedding_share) == pytest.approx(published_mfu, abs=0.011)


def test_goodput_from_runs_that_publish_both():
    """Llama 3.1 405B: 30.84M GPU-hours imply 37.4% model-FLOPs MFU against the 41% of Table 4 on 16,384 GPUs, a
    goodput of 0.91; Meta reports 'higher than 90% effective training time' (arXiv:2407.21783 Sec. 3.3.4). PaLM's
    chip-hours (with restarts and repeated steps) give 0.67 against its 46.2%."""
    pairs = goodput_pairs(training_rows())
    assert pairs["Llama 3.1 405B"] == pytest.approx(0.91, abs=0.02)
    assert pairs["PaLM 540B"] == pytest.approx(0.665, abs=0.02)
    assert 0.75 <= fit_goodput(training_rows()) <= 0.95
    assert len(pairs) >= 4


def test_default_attention_share_and_sequence_are_the_runs_medians():
    """The defaults for a budget without a model shape or sequence length are the medians of the published runs."""
    rows = training_rows()
    assert DEFAULT_ATTENTION_SHARE == pytest.approx(statistics.median(row_attention_share(r) for r in rows), abs=0.005)
    assert DEFAULT_TRAIN_SEQ_LEN == statistics.median(float(r["seq_len"]) for r in rows)


def test_typical_mfu_takes_the_models_attention_out():
    """Same regime, counted on 6·P·D: Llama 3 8B (a = 0.13 at 4,096 tokens) gets a lower MFU than Llama 3.1 405B
    (a = 0.04) by the ratio of (1 + a)."""
    gpu = resolve_gpu("h100-sxm")
    small, large = training_mfu_range(gpu, "bf16", "llama-3-8b", 1024), training_mfu_range(gpu, "bf16",
                                                                                           "llama-3.1-405b", 1024)
    assert small.regime == large.regime == "hopper/16bit/dense/cluster"
    assert small.base / large.base == pytest.approx((1 + large.attention_share) / (1 + small.attention_share),
                                                    abs=0.005)  # both rounded to three decimals
    assert small.attention_share == pytest.approx(0.134, abs=0.005)
    assert TRAINING_MFU_REGIMES[small.regime].base == pytest.approx(small.base * (1 + small.attention_share),
                                                                    abs=0.001)


@pytest.mark.parametrize(("run_id", "mfu", "tolerance", "citation"), [
    # LLaMA-65B: 6 x 65.2e9 x 1.4e12 / (1,022,362 h x 3600 x 312e12) = 47.7% (Touvron et al. 2023 Table 15)
    ("T05", 0.477, 0.001, "arXiv:2302.13971"),
    # Llama 2 70B: 6 x 68.98e9 x 2e12 / (1,720,320 h x 3600 x 312e12) = 42.8% (llama MODEL_CARD.md)
    ("T23", 0.428, 0.002, "meta-llama/llama MODEL_CARD.md"),
    # Llama 3 8B: 6 x 8.03e9 x 15e12 / (1.3M H100 h x 3600 x 989.5e12) = 15.6% (llama3 MODEL_CARD.md)
    ("T24", 0.156, 0.002, "meta-llama/llama3 MODEL_CARD.md"),
    # DeepSeek-V3: 6 x 37e9 x 14.8e12 / (2,664K H800 h x 3600 x 1979e12 FP8) = 17.3% (arXiv:2412.19437 Table 1)
    ("T26", 0.173, 0.002, "arXiv:2412.19437"),
    # BLOOM: 6 x 176.2e9 x 366e9 / (1,082,990 h x 3600 x 312e12) = 31.8% (arXiv:2211.02001 Table 1)
    ("T29", 0.318, 0.002, "arXiv:2211.02001"),
    # Megatron-Bridge 25.11: Llama 3.1 405B on 256 GB200 FP8, 813 tokens/s/GPU: 6 x 405.85e9 x 813 / 5000e12 = 39.6%
    ("T41", 0.396, 0.002, "NVIDIA-NeMo/Megatron-Bridge performance-summary-archive.md"),
    # MPT-70B on 512 H100 BF16, 1007 tokens/s/GPU: 6 x 64.86e9 x 1007 / 989.5e12 = 39.6% (llm-foundry benchmarks)
    ("T33", 0.396, 0.002, "mosaicml/llm-foundry scripts/train/benchmarking/README.md"),
])
def test_published_runs_implied_mfu(run_id, mfu, tolerance, citation):
    row = next(r for r in training_rows() if r["id"] == run_id)
    assert citation.split()[0] in row["source"]
    assert training_implied_mfu(row) == pytest.approx(mfu, abs=tolerance)


def test_published_runs_inside_their_regime_band():
    """Llama 3.1 405B (30.84M H100 GPU-hours) and the GB200 Llama 3.1 405B benchmark fall inside their regime's 80%
    band and within 30% of its base; DeepSeek-V3 (2.664M H800 GPU-hours, FP8 MoE) inside its band, +38%: its
    regime pairs it with NVIDIA's Qwen3-235B FP8 benchmark at 10.6%."""
    rows = {r["id"]: r for r in training_rows()}
    table = {c.id: c for c in training_table()}
    for run_id in ("T14", "T26", "T41"):
        assert table[run_id].inside_band, table[run_id].case
    for run_id in ("T14", "T41"):
        assert abs(table[run_id].error) <= 0.30, table[run_id].case
    assert "moe" in table["T26"].case and rows["T26"]["peak_precision"] == "fp8"


def test_training_implied_mfu_matches_published_mfu_where_reported():
    """TinyLlama README: 24k tokens/s per A100-40G = 56% MFU (our 6PD count: 51%);
    MT-NLG: PaLM paper gives 29.7% without attention FLOPs (ours 29.8%)."""
    rows = {r["id"]: r for r in training_rows()}
    assert training_implied_mfu(rows["T11"]) == pytest.approx(0.297, abs=0.005)
    assert training_implied_mfu(rows["T09"]) == pytest.approx(0.56, rel=0.12)


def test_validate_cli_text_markdown_json(tmp_path):
    runner = CliRunner()
    text = runner.invoke(main, ["validate"])
    assert text.exit_code == 0, text.output
    assert "median |error|" in text.output and "S001" in text.output
    md = runner.invoke(main, ["validate", "--format", "markdown"])
    assert "| id | case | metric | measured | predicted | error | source |" in md.output
    out = tmp_path / "v.json"
    js = runner.invoke(main, ["validate", "--json", "--output", str(out)])
    assert js.exit_code == 0, js.output
    payload = json.loads(out.read_text())
    assert payload["serving"]["summary"]["median_abs_error"] <= 0.2
    assert "hopper/fp8/dense/any" in payload["mfu_defaults"]


def test_mfu_cli():
    runner = CliRunner()
    listing = runner.invoke(main, ["mfu"])
    assert "LLaMA-65B" in listing.output
    one = runner.invoke(main, ["mfu", "LLaMA-65B", "--json"])
    assert json.loads(one.output)["implied_mfu"] == pytest.approx(0.477, abs=0.001)
    # Llama 3.1 405B: 6 x 405e9 x 15.6e12 / (30.84e6 h x 3600 x 989.5e12) = 34.5%
    given = runner.invoke(main, ["mfu", "--params", "405e9", "--tokens", "15.6e12", "--gpu", "h100-sxm",
                                 "--gpu-hours", "30.84e6", "--json"])
    assert given.exit_code == 0, given.output
    assert json.loads(given.output)["implied_mfu"] == pytest.approx(0.345, abs=0.002)
    bad = runner.invoke(main, ["mfu", "no such run"])
    assert bad.exit_code == 2 and "no published run" in bad.output


def test_validate_text_has_headers_and_predicted_before_measured():
    from xlcompute.validation import _fmt, render, serving_table, training_table

    serving, training = serving_table(), training_table()
    lines = render(serving, training).splitlines()
    assert lines[0].startswith("Serving: predicted vs measured")
    header = lines[2].split()
    assert header == ["id", "case", "metric", "predicted", "measured", "error", "source"]
    first = serving[0]
    row = next(line for line in lines if line.startswith(first.id + " "))
    numbers = row.split("[")[0].split()[-3:]
    assert numbers == [_fmt(first.predicted), _fmt(first.measured), f"{first.error:+.0%}"]
    # Columns line up under their headers.
    assert row.index(numbers[1]) + len(numbers[1]) == lines[2].index("measured") + len("measured")
    training_head = next(i for i, line in enumerate(lines) if line.startswith("Training: predicted vs published"))
    assert lines[training_head + 2].split()[3:6] == ["predicted", "published", "error"]


@pytest.fixture(scope="module")
def by_engine():
    return validation_by_engine()


def test_out_of_source_accuracy_and_band_coverage(by_engine):
    """Issue 14: each source (a publisher's table) predicted by a fit made without it. Target: median |error| <= 15%
    and 80% bands holding >= 80%. Reached (docs/validation.md): 14.1% and 82.8% over 986 rows of 17 sources, 81.2%
    on average over the sources (15.1% and 78.9% before NVFP4 weights counted their scales and the bands weighted
    each source equally with the finite-sample correction; 14.1% and 79.6%, 72.0% over sources, with the scales
    and the old row-pooled bands)."""
    held = by_engine["all"]["out_of_source"]
    assert held["rows"] >= 980 and held["sources"] >= 17
    assert held["band_coverage"] >= 0.80
    assert held["source_coverage"] >= 0.80
    assert held["median_abs_error"] <= 0.15
    assert by_engine["tensorrt-llm"]["out_of_source"]["median_abs_error"] <= 0.12
    assert by_engine["vllm"]["out_of_source"]["sources"] == 2  # Qwen2 (vLLM 0.4.2) and Qwen2.5 (vLLM 0.6.3)


def test_band_counts_each_source_once_with_the_finite_sample_correction():
    """Ten one-row sources at log ratios 0.0 ... 0.9 and one 100-row source at 0.45. Each source weighs 1 (its rows
    1/100 each): 11 in all, effective size 11**2 / (10 + 100 * 0.01**2) = 12.09 -> 12, levels floor(13 * 0.1) / 12
    = 1/12 and ceil(13 * 0.9) / 12 -> 1 (the largest). The 1/12 level lies between the mid-points of the first two
    rows' weights (0.5/11 and 1.5/11): log 0.1 * (11/12 - 0.5) = 1/24. Pooling the 110 rows instead would give
    x1.57 at both ends (the big table's 0.45). Exact up to float rounding."""
    rows = [({"engine": "vllm", "source": f"table{i} x"}, math.exp(i / 10)) for i in range(10)]
    rows += [({"engine": "vllm", "source": "big table"}, math.exp(0.45))] * 100
    low, high = source_balanced_band(rows)
    assert low == pytest.approx(math.exp(1 / 24), rel=1e-12)
    assert high == pytest.approx(math.exp(0.9), rel=1e-12)


def test_blackwell_decode_reaches_a_smaller_share_of_its_bandwidth():
    """TensorRT-LLM 0.19 (nvidia.github.io/TensorRT-LLM/0.19.0 perf-overview) and 1.0 (perf-overview.md @00f37686)
    decode Llama 3.3 70B / 3.1 405B NVFP4 on B200 and GB200 far below 8 TB/s: e.g. 9,922 output tok/s at 128/2048 on
    one B200 (1.0) against 4,336 on one H200 FP8, 2.3x for 1.7x the bandwidth and half the weight bytes. With
    Blackwell's own bandwidth share the 0.19 table, predicted by a fit made without it, is within 25% (median; 68%
    when the fp4 share was its only Blackwell setting)."""
    assert 0.3 <= ENGINES["tensorrt-llm"].efficiency.blackwell_bandwidth_fraction <= 0.7
    assert ENGINES["tensorrt-llm"].efficiency.generation_bandwidth_share("hopper") == 1.0
    pairs = [(row, ratio) for row, ratio in out_of_source("tensorrt-llm") if "0.19.0" in source_key(row)]
    assert len(pairs) == 14
    assert statistics.median(abs(1 / ratio - 1) for _, ratio in pairs) <= 0.25


def test_mi300x_batch_sweep_out_of_source():
    """Oracle's vLLM latency sweep of Llama 3.1 405B FP8 on 8 MI300X (36 tok/s at batch 1 ... 1,846 at 256), predicted
    from AMD's own MI300X page (throughput and batch-1/2/4 latency rows) without Oracle's: median within 30% (56%
    off when AMD's page had no low-batch rows and the fit traded launch overheads for throughput)."""
    pairs = [(row, ratio) for row, ratio in out_of_source("vllm@amd") if "oracle" in source_key(row)]
    assert len(pairs) == 11
    assert statistics.median(abs(1 / ratio - 1) for _, ratio in pairs) <= 0.30


def test_engine_settings_are_the_fit():
    """core/serving_engines.csv holds what the per-engine fits give (documented rows kept); rewrite it with
    xlcompute.validation.engines_table.write_engines()."""
    assert engines_csv_text(refit_engines()) == ENGINES_CSV.read_text(encoding="utf-8").replace("\r\n", "\n") \
        .replace("\n", "\r\n")


def test_open_engines_start_from_the_pooled_prior_of_the_others():
    """vLLM's prior is fitted on TensorRT-LLM, SGLang, llama.cpp and vLLM-on-AMD rows, none of its own: it predicts
    its NVIDIA tables (Qwen2 with vLLM 0.4.2, Qwen2.5 with vLLM 0.6.3) better than the TensorRT-LLM settings do."""
    rows = rows_by_engine()["vllm"]
    errors = {}
    for name, eff in (("prior", engine_prior("vllm")), ("trt", DEFAULT_SERVING_EFFICIENCY.with_changes(
            kv_memory_fraction=0.9, reserved_gb=1.5))):
        errors[name] = statistics.median(abs(1 / speed_ratio(r, predict_serving(r, eff)) - 1) for r in rows)
    assert errors["prior"] < errors["trt"] - 0.03, errors
    assert engine_prior("tensorrt-llm") == DEFAULT_SERVING_EFFICIENCY.with_changes(kv_memory_fraction=0.95)


def test_weight_only_int_formats_stream_slower_in_eager_transformers():
    """Eager Transformers' GPTQ/AWQ kernels (Qwen2.5 and Qwen3 speed tables) stream int4/int8 weights well below
    bf16 speed; TensorRT-LLM (whose int4 rows show no loss) keeps 1."""
    assert ENGINES["transformers"].efficiency.quantized_bandwidth_fraction < 0.5
    assert ENGINES["tensorrt-llm"].efficiency.quantized_bandwidth_fraction == 1.0
    eff = ENGINES["transformers"].efficiency
    assert eff.weight_bandwidth_fraction("int4") == pytest.approx(eff.bandwidth_fraction
                                                                  * eff.quantized_bandwidth_fraction)
    assert eff.weight_bandwidth_fraction("bf16") == eff.bandwidth_fraction == eff.weight_bandwidth_fraction("fp8")


def test_each_engine_fits_its_own_data(by_engine):
    """In sample, every engine with data of its own: median |error| <= 30% (eager Transformers is the loosest)."""
    for engine, table in by_engine.items():
        assert table["in_sample"]["median_abs_error"] <= 0.30, (engine, table)
    assert {"tensorrt-llm", "vllm", "vllm@amd", "sglang", "llama.cpp", "transformers"} <= set(by_engine)


def test_deepseek_production_decode_out_of_source():
    """DeepSeek 'Day 6' (deepseek-ai/open-infra-index, 2025-03-01): decode EP144 / DP144 attention on 18 H800 nodes,
    ~14.8k output tok/s per node at 128 sequences per GPU, KV length 4,989. Predicted by the SGLang fit made
    WITHOUT DeepSeek's rows: within 25%."""
    pairs = out_of_source("sglang")
    rows = [(row, ratio) for row, ratio in pairs if "open-infra-index" in source_key(row)
            and row["metric"] == "decode_tokens_per_s"]
    assert len(rows) == 1
    assert abs(1 / rows[0][1] - 1) <= 0.25, rows[0][1]


def test_validate_prints_the_engine_table():
    text = render_engines(validation_by_engine())
    assert "out-of-source median abs. error" in text and "vllm@amd" in text
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "out-of-source" in result.output
