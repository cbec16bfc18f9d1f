"""Every name in tests/data/published.json resolves to the right catalog row, and the
row's figures equal the published ones (each published row cites its sources by key in its
"sources" list; the assertion messages repeat those keys).

GPUs: memory, bandwidth, dense throughput per precision, NVLink and TDP as the datasheets give
them. Models: the derived parameter count against the official count (within the row's
tolerance) or, where published.json derives a count from the config, exactly.
"""

from __future__ import annotations

import json

import pytest

from conftest import PUBLISHED_JSON
from xlcompute.catalog import get_gpu, get_model
from xlcompute.core.errors import XlcomputeError

PUBLISHED = json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))

# --- GPUs ----------------------------------------------------------------------------------

GPU_IDS = {
    "NVIDIA A100 40GB SXM4": "a100-40gb",
    "NVIDIA A100 80GB SXM4": "a100-80gb",
    "NVIDIA A100 80GB PCIe": "a100-80gb-pcie",
    "NVIDIA H100 SXM5 80GB": "h100-sxm",
    "NVIDIA H100 PCIe 80GB": "h100-pcie",
    "NVIDIA H200 SXM 141GB": "h200",
    "NVIDIA H800 SXM 80GB": "h800",
    "NVIDIA B200 (HGX/DGX B200, per GPU)": "b200",
    "NVIDIA L40S": "l40s",
    "NVIDIA L4": "l4",
    "NVIDIA A10": "a10",
    "NVIDIA A10G (AWS G5)": "a10g",
    "NVIDIA GeForce RTX 3090": "rtx-3090",
    "NVIDIA GeForce RTX 4090": "rtx-4090",
    "NVIDIA V100 SXM2 (16/32GB)": "v100",
    "NVIDIA V100 PCIe (16/32GB)": "v100-pcie",
    "AMD Instinct MI300X": "mi300x",
    "Google TPU v4": "tpu-v4",
    "Google TPU v5e": "tpu-v5e",
    "Huawei Ascend 910 (2019)": "ascend-910",
    "Huawei Ascend 910B": "ascend-910b",
}

# published.json field -> catalog dense-throughput column
DENSE_FIELDS = {
    "fp32": "fp32", "tf32_dense": "tf32", "bf16_dense": "bf16", "fp16_dense": "fp16", "fp8_dense": "fp8",
    "int8_dense_tops": "int8", "fp4_dense": "fp4",
    "fp16_tensor_dense": "fp16",  # V100: mixed-precision FP16 tensor throughput is the fp16 column
}
# Where published.json rounds: MI300X fp8/int8 are stas00's rounded 2610/2600 (AMD's page: 2614.9).
ROUNDED = {("AMD Instinct MI300X", "fp8_dense"): 0.006, ("AMD Instinct MI300X", "int8_dense_tops"): 0.006}
# Published rows that carry no figures to compare (910B: "no reliable figures", conflicting claims).
WITHOUT_FIGURES = {"Huawei Ascend 910B"}


def test_every_published_gpu_is_mapped():
    assert {row["name"] for row in PUBLISHED["gpus"]} == set(GPU_IDS)


@pytest.mark.parametrize("row", PUBLISHED["gpus"], ids=[row["name"] for row in PUBLISHED["gpus"]])
def test_published_gpu_resolves_by_its_name_with_its_datasheet_figures(row):
    name, cited = row["name"], ", ".join(row["sources"])
    gpu = get_gpu(name)
    assert gpu.id == GPU_IDS[name], f"{name!r} -> {gpu.id} (sources: {cited})"
    if name in WITHOUT_FIGURES:
        return
    checked = 0
    memory = row.get("memory_gb")
    if memory is not None:
        allowed = memory if isinstance(memory, list) else [memory]
        assert gpu.memory_gb in allowed, f"{name}: memory {gpu.memory_gb} vs {memory} ({cited})"
        checked += 1
    if row.get("memory_bandwidth_gbps"):
        assert gpu.memory_bandwidth_gbps == row["memory_bandwidth_gbps"], f"{name}: bandwidth ({cited})"
        checked += 1
    for field, column in DENSE_FIELDS.items():
        if row.get(field):
            rel = ROUNDED.get((name, field), 1e-9)
            assert gpu.dense_tflops.get(column) == pytest.approx(row[field], rel=rel), f"{name}: {field} ({cited})"
            checked += 1
    interconnect = row.get("nvlink_gbps_bidirectional") or row.get("ici_gbps_bidirectional")
    if interconnect:
        assert gpu.interconnect_gbps == interconnect, f"{name}: interconnect ({cited})"
        checked += 1
    if row.get("tdp_w"):
        assert gpu.tdp_w == row["tdp_w"], f"{name}: TDP ({cited})"
        checked += 1
    assert checked, f"{name}: nothing compared"


def test_a10g_is_not_the_a10():
    # published.json aws_g5: AWS-only SKU, 24 GB; "do NOT assume A10 datasheet values"
    a10g, a10 = get_gpu("NVIDIA A10G (AWS G5)"), get_gpu("NVIDIA A10")
    assert a10g.id != a10.id and a10g.memory_gb == 24
    assert a10g.dense_tflops["bf16"] != a10.dense_tflops["bf16"]
    assert "UNRELIABLE" in a10g.notes
    assert get_gpu("A10G").id == "a10g" and get_gpu("A10").id == "a10"


def test_ascend_910_and_910b_are_different_rows():
    # published.json ascend910: 2019 Ascend 910 256 TFLOPS FP16, 512 TOPS INT8, 310 W
    assert get_gpu("Ascend 910").id == "ascend-910"
    assert get_gpu("Ascend 910B").id == "ascend-910b"
    assert "UNRELIABLE" in get_gpu("ascend-910").notes


@pytest.mark.parametrize("ref, expected", [
    # nvidia-smi names
    ("NVIDIA A100-SXM4-40GB", "a100-40gb"), ("NVIDIA A100-SXM4-80GB", "a100-80gb"),
    ("NVIDIA A100 80GB PCIe", "a100-80gb-pcie"), ("NVIDIA H100 80GB HBM3", "h100-sxm"),
    ("NVIDIA H100 PCIe", "h100-pcie"), ("NVIDIA H100 NVL", "h100-nvl"), ("NVIDIA A10G", "a10g"),
    ("Tesla V100-SXM2-16GB", "v100-16gb"), ("Tesla V100-SXM2-32GB", "v100"), ("NVIDIA L4", "l4"),
    # words in any order, form factors and sizes the row implies, remarks
    ("A100 40GB SXM4", "a100-40gb"), ("A100 SXM4 40GB", "a100-40gb"), ("A100 (40GB)", "a100-40gb"),
    ("H100 SXM5 80GB HBM3", "h100-sxm"), ("H200 SXM 141GB", "h200"), ("NVIDIA L40S PCIe 48GB", "l40s"),
    ("B200 SXM 192GB", "b200"), ("MI300X OAM", "mi300x"), ("NVIDIA GeForce RTX 4090 24GB", "rtx-4090"),
    ("Huawei Ascend 910 (2019)", "ascend-910"), ("V100 16GB", "v100-16gb"),
    # documented defaults stay
    ("A100", "a100-80gb"), ("H100", "h100-sxm"), ("V100", "v100"), ("A100 SXM", "a100-80gb"),
    ("H100 PCIe", "h100-pcie"), ("H100 80GB", "h100-sxm"),
])
def test_forgiving_gpu_names(ref, expected):
    assert get_gpu(ref).id == expected


@pytest.mark.parametrize("ref", [
    "A100 40GB PCIe",  # no such row: neither a100-40gb (SXM) nor a100-80gb-pcie (80 GB)
    "V100 PCIe 16GB",  # only the 32 GB PCIe card is catalogued
    "H100 PCIe SXM",  # contradictory form factors
    "H100 PCIe 94GB",
    "Ascend 910C",
])
def test_ambiguous_or_contradictory_gpu_names_are_errors_not_guesses(ref):
    with pytest.raises(XlcomputeError) as err:
        get_gpu(ref)
    assert err.value.argument == "gpu"


# --- models --------------------------------------------------------------------------------

MODEL_IDS = {
    "GPT-3 175B": "gpt-3-175b", "BERT-large (uncased)": "bert-large", "Llama-2-7B": "llama-2-7b",
    "Llama-2-70B": "llama-2-70b", "Llama-3-8B": "llama-3-8b", "Llama-3-70B": "llama-3-70b",
    "Llama-3.1-405B": "llama-3.1-405b", "Mistral-7B-v0.1": "mistral-7b", "Qwen2.5-32B": "qwen2.5-32b",
    "QwQ-32B": "qwq-32b", "Llama-3.1-8B": "llama-3.1-8b",
}


def test_every_published_model_is_mapped():
    assert {row["name"] for row in PUBLISHED["models"]} == set(MODEL_IDS)


@pytest.mark.parametrize("row", PUBLISHED["models"], ids=[row["name"] for row in PUBLISHED["models"]])
def test_published_model_resolves_by_its_name_and_its_count_matches(row):
    name, cited = row["name"], ", ".join(row["sources"])
    model = get_model(name)
    assert model.id == MODEL_IDS[name], f"{name!r} -> {model.id} (sources: {cited})"
    if row.get("hf_id"):
        assert get_model(row["hf_id"]).id == model.id
    if "derived_params_from_config" in row:  # arithmetic on the cited config: exact
        assert model.total_params == row["derived_params_from_config"], f"{name} ({cited})"
    official = row.get("official_total_params")
    if official:
        deviation = abs(model.total_params / official - 1)
        allowed = max(model.allowed_deviation("total"), 0.01)  # Qwen2.5/QwQ card vs config conflict is 0.8 %
        assert deviation <= allowed, f"{name}: derived {model.total_params:,} vs {official:,.0f} ({cited})"
    for key, attr in (("num_layers", "num_layers"), ("num_attention_heads", "num_attention_heads"),
                      ("num_key_value_heads", "num_kv_heads"), ("hidden_size", "hidden_size"),
                      ("intermediate_size", "intermediate_size"), ("vocab_size", "vocab_size"), ("head_dim", "head_dim")):
        if key in row:
            assert getattr(model.arch, attr) == row[key], f"{name}: {key} ({cited})"


# Training runs (and serving / KV-cache rows) that name a model with a published architecture:
# run name -> catalog id. Runs left out: PanGu-Sigma (random-routed-expert sparse model, not
# representable) and Falcon-40B's nominal-only count (checked by resolution only).
RUN_MODEL_IDS = {
    "GPT-3 175B": "gpt-3-175b", "PaLM 540B": "palm-540b", "Gopher 280B": "gopher-280b",
    "Chinchilla 70B": "chinchilla-70b", "LLaMA-7B": "llama-7b", "LLaMA-13B": "llama-13b",
    "LLaMA-33B": "llama-33b", "LLaMA-65B": "llama-65b",
    "MT-NLG 530B throughput (280 DGX A100 nodes)": "mt-nlg-530b",
    "MT-NLG 530B throughput (350 DGX A100 nodes)": "mt-nlg-530b",
    "MT-NLG 530B throughput (420 DGX A100 nodes)": "mt-nlg-530b",
    "Megatron-LM 1T-parameter GPT benchmark": "megatron-lm-1t",
    "Falcon-40B": "falcon-40b", "MPT-7B": "mpt-7b", "TinyLlama 1.1B": "tinyllama-1.1b",
    "BloombergGPT 50B": "bloomberggpt-50b", "GLM-130B": "glm-130b",
    "Phi-3-mini (June 2024 update, 128k)": "phi-3-mini", "Phi-3-medium 14B": "phi-3-medium",
    "NeMo 24.07 pre-training benchmark: GPT3-175B on 512x H100": "gpt-3-175b",
    "NeMo 24.07 pre-training benchmark: LLAMA2-7B on 8x H100": "llama-2-7b",
    "NeMo 24.07 pre-training benchmark: LLAMA2-70B on 64x H100": "llama-2-70b",
    "NeMo 24.07 pre-training benchmark: LLAMA3-8B on 8x H100": "llama-3-8b",
    "NeMo 24.07 pre-training benchmark: LLAMA3-70B on 64x H100": "llama-3-70b",
    "NeMo 24.07 pre-training benchmark: Nemotron-340B on 128x H100": "nemotron-4-340b",
    "Training compute per token: DeepSeek-V2 (MoE, 236B)": "deepseek-v2",
    "Training compute per token: DeepSeek-V3 (MoE, 671B)": "deepseek-v3",
    "Training compute per token: Qwen-72B (dense)": "qwen-72b",
    "Training compute per token: LLaMA-405B (dense)": "llama-3.1-405b",
}
RUNS = [row for row in PUBLISHED["training_runs"] if row["name"] in RUN_MODEL_IDS]


def test_run_map_names_real_runs():
    names = {row["name"] for row in PUBLISHED["training_runs"]}
    assert set(RUN_MODEL_IDS) <= names
    assert names - set(RUN_MODEL_IDS) <= {"PanGu-Σ", "BERT-large pre-training",
                                          "NeMo 24.07 pre-training benchmark: GPT3-175B on 128x H100"}


@pytest.mark.parametrize("row", RUNS, ids=[row["name"] for row in RUNS])
def test_training_run_model_resolves_and_matches_the_published_params(row):
    name, cited = row["name"], ", ".join(row["sources"])
    model = get_model(name)
    assert model.id == RUN_MODEL_IDS[name], f"{name!r} -> {model.id} (sources: {cited})"
    if row.get("params"):
        deviation = abs(model.total_params / row["params"] - 1)
        # the run's params are the paper's printed count; the row's own tolerance applies
        # (widened only where the architecture columns cannot express the model; see its notes)
        allowed = max(model.allowed_deviation("total"), 0.01)
        if model.arch.is_moe:  # DeepSeek rows: total parameters
            allowed = max(allowed, 0.005)
        assert deviation <= allowed, f"{name}: derived {model.total_params:,} vs {row['params']:,.0f} ({cited})"


def test_bert_large_pre_training_run_uses_the_bert_row():
    row = next(r for r in PUBLISHED["training_runs"] if r["name"] == "BERT-large pre-training")
    model = get_model("BERT-large")
    assert model.id == "bert-large"
    assert abs(model.total_params / row["params"] - 1) <= model.allowed_deviation("total")


@pytest.mark.parametrize("section, name, expected", [
    ("inference_measurements", "GPT-J 6B", "gpt-j-6b"),
    ("inference_measurements", "Llama 3.1 8B", "llama-3.1-8b"),
    ("inference_measurements", "Qwen2.5-7B-Instruct", "qwen2.5-7b"),
    ("kv_cache", "OPT-13B", "opt-13b"),
    ("kv_cache", "LLaMA-13B", "llama-13b"),
])
def test_serving_and_kv_cache_models_resolve(section, name, expected):
    assert any(row.get("model") == name for row in PUBLISHED[section])
    assert get_model(name).id == expected


def test_kv_cache_rows_have_the_published_shapes():
    # vllm_paper: OPT-13B 2 (K,V) x 5120 x 40 layers x 2 bytes = 819,200 bytes per token;
    # vllm_launch_blog: LLaMA-13B the same 2 x 40 x 5120 x 2 bytes
    for name in ("OPT-13B", "LLaMA-13B"):
        arch = get_model(name).arch
        per_token = 2 * arch.num_layers * arch.num_kv_heads * arch.head_dim * 2
        assert per_token == 819_200, name


def test_gpt_j_count_equals_its_model_card():
    # huggingface.co/EleutherAI/gpt-j-6b card: n_parameters 6,053,381,344 (the lm_head bias and
    # buffers the columns do not hold make up the 0.04 % difference)
    model = get_model("GPT-J 6B")
    assert model.official_total_params == 6_053_381_344
    assert abs(model.total_params / 6_053_381_344 - 1) < 0.001


def test_palm_and_nemotron_match_their_papers_to_the_printed_digits():
    # PaLM arXiv:2204.02311: 540.35B; Nemotron-4 340B arXiv:2406.11704: 331.6B non-embedding
    assert round(get_model("PaLM 540B").total_params / 1e9, 2) in (540.35, 540.36)
    assert round(get_model("Nemotron-4 340B").non_embedding_params / 1e9, 1) == 331.6
    # BLOOM card 176,247,271,424 minus the embedding LayerNorm (2 x 14336) the columns leave out
    assert get_model("bigscience/bloom").total_params == 176_247_271_424 - 2 * 14336


def test_gopher_family_gap_is_the_relative_position_projection():
    """Gopher/Chinchilla (arXiv:2112.11446, 2203.15556): Transformer-XL relative positions add a
    d_model x d_model projection per layer; with it the derived counts reach the published ones."""
    for name, official in (("Gopher 280B", 280e9), ("Chinchilla 70B", 70e9)):
        model = get_model(name)
        with_w_r = model.total_params + model.arch.num_layers * model.arch.hidden_size ** 2
        assert abs(with_w_r / official - 1) < 0.002, name
        assert "relative position" in model.notes and model.tolerance == 0.08


def test_shorter_name_fallback_does_not_invent_models():
    for ref in ("Llama 3", "llama-3.1-7b", "Megatron-LM", "PanGu-Σ", "BERT-large pre-training data"):
        with pytest.raises(XlcomputeError):
            get_model(ref)


# --- the catalog contract ------------------------------------------------------------------


@pytest.mark.parametrize("file", ["models.csv", "gpus.csv"])
def test_rows_keep_the_catalog_contract(file):
    """Every row has a source and an ISO date; ids are lower-case and hyphenated; lists are ;-separated."""
    import csv
    import datetime as dt
    import re
    from pathlib import Path

    import xlcompute.catalog

    path = Path(xlcompute.catalog.__file__).parent / "data" / file
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    source = "config_source" if file == "models.csv" else "source"
    for row in rows:
        assert re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", row["id"]), row["id"]
        assert row[source].strip() and row["date"], row["id"]
        dt.date.fromisoformat(row["date"])
        for column in ("aliases", "hf_repos"):
            assert "," not in row.get(column, ""), (row["id"], column)
        if file == "models.csv":
            assert row["params_source"].strip(), row["id"]
