"""The catalogs (models, accelerators, prices), config.json import and the catalog CLI commands.

Spec-sheet values are checked against tests/data/published.json (each GPU row there
cites its datasheet); config.json fixtures in tests/data/ copy the published configs.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import xlcompute.catalog
from conftest import published_row
from xlcompute.catalog import (
    PRICES_ENV,
    get_gpu,
    get_model,
    get_price,
    list_gpus,
    list_models,
    list_prices,
)
from xlcompute.catalog.hf_config import arch_from_config
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.core.params import params_total

DATA = Path(__file__).parent / "data"

REQUIRED_MODELS = {
    "llama-2-7b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
    "mistral-7b", "mixtral-8x7b", "mixtral-8x22b", "qwen2.5-7b", "qwen2.5-32b", "qwen2.5-72b", "deepseek-v3",
    "deepseek-v2", "deepseek-r1", "gemma-2-9b", "gemma-2-27b", "phi-3-mini", "gpt-3-175b", "falcon-40b", "bert-large",
    # models named in published.json training_runs / inference_measurements / kv_cache
    "llama-7b", "llama-13b", "llama-33b", "llama-65b", "palm-540b", "gopher-280b", "chinchilla-70b", "mt-nlg-530b",
    "mpt-7b", "tinyllama-1.1b", "bloomberggpt-50b", "glm-130b", "phi-3-medium", "nemotron-4-340b", "qwen-72b",
    "gpt-j-6b", "opt-13b", "megatron-lm-1t",
}
REQUIRED_GPUS = {
    "a100-40gb", "a100-80gb", "a100-80gb-pcie", "h100-sxm", "h100-pcie", "h100-nvl", "h200", "h800", "h20", "b200",
    "gb200", "l40s", "l4", "a10", "rtx-4090", "rtx-3090", "v100", "mi300x", "mi325x", "tpu-v4", "tpu-v5e", "tpu-v5p",
    "ascend-910b", "a10g", "ascend-910", "v100-16gb", "v100-pcie",
}


def _iso(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- models --------------------------------------------------------------------------------


def test_model_catalog_has_the_required_models_with_sources_and_dates():
    models = list_models()
    assert len(models) >= 20
    assert REQUIRED_MODELS <= {m.id for m in models}
    for m in models:
        assert m.source and m.params_source, m.id
        _iso(m.date)


@pytest.mark.parametrize("ref, expected", [
    ("llama-3.1-70b", "llama-3.1-70b"),
    ("Llama-3.1-70B", "llama-3.1-70b"),
    ("llama3.1-70b", "llama-3.1-70b"),
    ("LLAMA 3.1 70B", "llama-3.1-70b"),
    ("meta-llama/Meta-Llama-3-8B", "llama-3-8b"),
    ("meta-llama/Llama-3.1-70B-Instruct", "llama-3.1-70b"),
    ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b"),
    ("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b"),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b"),
    ("mistralai/Mistral-7B-v0.1", "mistral-7b"),
    ("Qwen/Qwen2.5-72B-Instruct", "qwen2.5-72b"),
    ("deepseek-ai/DeepSeek-V3", "deepseek-v3"),
    ("deepseek-ai/DeepSeek-R1", "deepseek-r1"),
    ("google/gemma-2-9b-it", "gemma-2-9b"),
    ("microsoft/Phi-3-mini-4k-instruct", "phi-3-mini"),
    ("openai/gpt-oss-120b", "gpt-oss-120b"),
    ("meta-llama/Llama-3.2-3B-Instruct", "llama-3.2-3b"),
    ("meta-llama/Llama-3.2-1B", "llama-3.2-1b"),
    ("Llama 3.2 1B", "llama-3.2-1b"),
    ("Qwen/Qwen2.5-14B-Instruct", "qwen2.5-14b"),
    ("Qwen/Qwen2.5-3B", "qwen2.5-3b"),
    ("Qwen/Qwen3-14B", "qwen3-14b"),
    ("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b"),
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", "qwen3-30b-a3b"),
    ("google/gemma-3-27b-it", "gemma-3-27b"),
    ("google/gemma-3-12b-pt", "gemma-3-12b"),
    ("microsoft/phi-4", "phi-4"),
    ("mistralai/Mistral-Small-24B-Instruct-2501", "mistral-small-3"),
    ("moonshotai/Kimi-K2-Instruct", "kimi-k2"),
    ("Kimi K2", "kimi-k2"),
    ("gpt-3", "gpt-3-175b"),
    ("bert-large-uncased", "bert-large"),
])
def test_forgiving_model_lookup(ref, expected):
    assert get_model(ref).id == expected


def test_unknown_model_names_the_argument_and_suggests_ids():
    with pytest.raises(XlcomputeError) as err:
        get_model("llama-3.1-7b")
    assert err.value.argument == "model"
    assert "llama-3.1-8b" in err.value.suggestions or "llama-3.1-70b" in err.value.suggestions
    assert "xlcompute models" in str(err.value)
    with pytest.raises(XlcomputeError):
        get_model("")


def test_instruct_variants_share_the_base_architecture():
    assert get_model("meta-llama/Llama-3.1-70B-Instruct") is get_model("llama-3.1-70b")


# config.json fixtures (tests/data/<name>/config.json) copy the Hugging Face configs named in
# models.csv column config_source; each must give the catalog row's parameter count exactly.
FIXTURE_TO_CATALOG = {
    "llama-3.1-8b": "llama-3.1-8b", "mistral-7b": "mistral-7b", "mixtral-8x7b": "mixtral-8x7b",
    "qwen2.5-7b": "qwen2.5-7b", "qwen3-235b-a22b": "qwen3-235b-a22b", "deepseek-v3": "deepseek-v3",
    "deepseek-v2": "deepseek-v2", "gemma-2-9b": "gemma-2-9b", "phi-3-mini": "phi-3-mini",
    "falcon-40b": "falcon-40b", "gpt-oss-20b": "gpt-oss-20b", "bert-large": "bert-large",
    "llama-3.2-3b": "llama-3.2-3b", "qwen3-30b-a3b": "qwen3-30b-a3b", "gemma-3-12b": "gemma-3-12b",
    "kimi-k2": "kimi-k2",
}


@pytest.mark.parametrize("fixture, catalog_id", sorted(FIXTURE_TO_CATALOG.items()))
def test_config_json_import_matches_the_catalog_row(fixture, catalog_id):
    from_file = get_model(DATA / fixture / "config.json")
    catalog = get_model(catalog_id)
    assert from_file.total_params == catalog.total_params
    assert from_file.arch.num_kv_heads == catalog.arch.num_kv_heads
    assert from_file.arch.sliding_window_layers == catalog.arch.sliding_window_layers
    if catalog.arch.is_moe:
        assert from_file.active_params == catalog.active_params  # same vendor convention for "active"
        assert from_file.arch.num_moe_layers == catalog.arch.num_moe_layers
        assert from_file.arch.experts_per_token == catalog.arch.experts_per_token


def test_config_directory_and_gpt2_config():
    model = get_model(DATA / "gpt2")  # a directory holding config.json
    assert model.total_params == 124_439_808  # HF openai-community/gpt2 parameter count
    assert model.arch.position_embedding == "learned"


def test_bad_config_files_give_clear_errors(tmp_path):
    bad_json = tmp_path / "bad" / "config.json"
    bad_json.parent.mkdir()
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(XlcomputeError, match="not valid JSON"):
        get_model(bad_json)
    missing = tmp_path / "missing.json"
    with pytest.raises(XlcomputeError, match="does not exist"):
        get_model(missing)
    with pytest.raises(XlcomputeError, match="missing key 'num_hidden_layers'"):
        arch_from_config({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
                          "intermediate_size": 128, "vocab_size": 100})
    with pytest.raises(XlcomputeError, match="not supported"):
        arch_from_config({"model_type": "mamba", "d_model": 768})


# --- accelerators ------------------------------------------------------------------------


def test_gpu_catalog_has_the_required_accelerators_with_sources_and_dates():
    gpus = list_gpus()
    assert len(gpus) >= 15
    assert REQUIRED_GPUS <= {g.id for g in gpus}
    for g in gpus:
        assert g.source and g.vendor and g.generation, g.id
        assert g.memory_gb > 0 and g.memory_bandwidth_gbps > 0, g.id
        assert g.dense_tflops, g.id
        _iso(g.date)


PUBLISHED_GPU = {
    "NVIDIA A100 40GB SXM4": "a100-40gb", "NVIDIA A100 80GB SXM4": "a100-80gb",
    "NVIDIA A100 80GB PCIe": "a100-80gb-pcie", "NVIDIA H100 SXM5 80GB": "h100-sxm",
    "NVIDIA H100 PCIe 80GB": "h100-pcie", "NVIDIA H200 SXM 141GB": "h200",
    "NVIDIA B200 (HGX/DGX B200, per GPU)": "b200", "NVIDIA L40S": "l40s", "NVIDIA L4": "l4", "NVIDIA A10": "a10",
    "NVIDIA GeForce RTX 3090": "rtx-3090", "NVIDIA GeForce RTX 4090": "rtx-4090", "AMD Instinct MI300X": "mi300x",
    "Google TPU v4": "tpu-v4", "Google TPU v5e": "tpu-v5e",
}


@pytest.mark.parametrize("name, gpu_id", sorted(PUBLISHED_GPU.items()))
def test_gpu_specs_equal_published_datasheet_values(name, gpu_id):
    """Dense TFLOPS, bandwidth, NVLink and TDP as in published.json (datasheets cited there)."""
    row = published_row("gpus", name)
    gpu = get_gpu(gpu_id)
    assert gpu.memory_bandwidth_gbps == row["memory_bandwidth_gbps"]
    if "memory_unit_note" not in row:  # TPU v4 is quoted in GiB (converted to GB in the catalog)
        assert gpu.memory_gb == row["memory_gb"]
    for column, key in (("bf16", "bf16_dense"), ("fp16", "fp16_dense"), ("fp8", "fp8_dense"),
                        ("int8", "int8_dense_tops"), ("tf32", "tf32_dense"), ("fp32", "fp32"), ("fp4", "fp4_dense")):
        if row.get(key):
            # MI300X fp8/int8: published.json keeps stas00's rounded 2610/2600; AMD's page lists 2614.9
            assert gpu.dense_tflops.get(column) == pytest.approx(row[key], rel=0.006), (gpu_id, column)
    if row.get("nvlink_gbps_bidirectional"):
        assert gpu.interconnect_gbps == row["nvlink_gbps_bidirectional"]
    if row.get("tdp_w"):
        assert gpu.tdp_w == row["tdp_w"]


def test_tpu_v4_memory_is_the_vendor_figure_and_binary():
    # docs.cloud.google.com/tpu/docs/v4: "32 GiB HBM2"; vendor capacity figures are binary, and
    # Accelerator.memory_bytes converts them once (a second conversion overstated it by 7.4%).
    tpu = get_gpu("tpu-v4")
    assert tpu.memory_gb == 32
    assert tpu.memory_bytes == 32 * 2**30


def test_dense_is_half_of_the_sparse_datasheet_figure():
    # nvidia.com H100 page prints 1,979 BF16* and 3,958 FP8* with sparsity (published.json h100_page)
    h100 = published_row("gpus", "NVIDIA H100 SXM5 80GB")
    assert get_gpu("h100-sxm").dense_tflops["bf16"] == h100["bf16_sparse"] / 2
    assert get_gpu("h100-sxm").dense_tflops["fp8"] == h100["fp8_sparse"] / 2


@pytest.mark.parametrize("ref, expected", [
    ("H100", "h100-sxm"), ("h100 sxm", "h100-sxm"), ("NVIDIA H100 SXM5 80GB", "h100-sxm"), ("h100-sxm5", "h100-sxm"),
    ("A100", "a100-80gb"), ("a100 40gb", "a100-40gb"), ("NVIDIA A100 80GB PCIe", "a100-80gb-pcie"),
    ("MI300X", "mi300x"), ("AMD Instinct MI300X", "mi300x"), ("TPU v5e", "tpu-v5e"),
    ("GeForce RTX 4090", "rtx-4090"), ("4090", "rtx-4090"), ("H200", "h200"), ("Ascend 910B", "ascend-910b"),
    ("B300", "b300"), ("HGX B300", "b300"), ("GB300 NVL72", "gb300"), ("AMD Instinct MI355X", "mi355x"),
    ("MI250X", "mi250x"), ("Intel Gaudi 3", "gaudi-3"), ("Trillium", "tpu-v6e"), ("TPU v6e", "tpu-v6e"),
    ("GeForce RTX 5090", "rtx-5090"), ("5090", "rtx-5090"),
])
def test_forgiving_gpu_lookup(ref, expected):
    assert get_gpu(ref).id == expected


def test_unknown_gpu_names_the_argument():
    with pytest.raises(XlcomputeError) as err:
        get_gpu("h300")
    assert err.value.argument == "gpu" and err.value.suggestions


def test_unreliable_figures_say_so():
    for gpu_id in ("ascend-910b", "h20", "h800", "b300", "gb300", "mi355x", "mi250x", "rtx-5090"):
        assert "UNRELIABLE" in get_gpu(gpu_id).notes


def test_tpu_v6e_and_gaudi_3_equal_their_vendor_tables():
    # docs.cloud.google.com/tpu/docs/v6e: 918 TFLOPs bf16, 1836 TOPs int8, 32 GB, 1638 GBps, ICI 800 GBps
    tpu = get_gpu("tpu-v6e")
    assert (tpu.dense_tflops["bf16"], tpu.dense_tflops["int8"]) == (918, 1836)
    assert (tpu.memory_gb, tpu.memory_bandwidth_gbps, tpu.interconnect_gbps) == (32, 1638, 800)
    # Intel Hot Chips 2024 Gaudi 3 slides: BF16 = FP8 matrix 1835 TFLOPs, 128 GB, 3.67 TB/s, 900 W (air),
    # 24x 200GbE = 1200 GB/s bidirectional
    gaudi = get_gpu("gaudi-3")
    assert gaudi.dense_tflops["bf16"] == gaudi.dense_tflops["fp8"] == 1835
    assert (gaudi.memory_gb, gaudi.memory_bandwidth_gbps, gaudi.tdp_w) == (128, 3670, 900)
    assert gaudi.interconnect_gbps == 24 * 200 / 8 * 2
    assert gaudi.peak_flops("fp16") == 1835e12  # no separate FP16 figure: runs at the BF16 rate


def test_blackwell_ultra_rows_are_per_gpu_and_dense():
    # GB300 NVL72 (glennklockwood.com): 360 PF FP8 and 576 TB/s HBM over 72 GPUs
    assert get_gpu("gb300").dense_tflops["fp8"] == 360_000 / 72
    assert get_gpu("gb300").memory_bandwidth_gbps == 576_000 / 72
    # HGX B300 sparse FP4 18,000 per GPU (144 PF / 8); dense 13,125
    assert get_gpu("b300").dense_tflops["fp4"] < 144_000 / 8
    assert get_gpu("b300").peak_flops("int8") == 2250e12  # INT8 figure in conflict: bf16 rate
    # RTX 5090: NVIDIA's "3352 AI TOPS" is sparse FP4; dense = half
    assert get_gpu("rtx-5090").dense_tflops["fp4"] == 3352 / 2


def test_peak_flops_falls_back_for_missing_precisions():
    assert get_gpu("v100").peak_flops("bf16") == 125e12  # no bf16 on Volta: the FP16 tensor rate
    # No fp8 on Ampere: fp8 weights are dequantised and run on the bf16 units, never at int8 TOPS.
    assert get_gpu("a100-80gb").peak_flops("fp8") == 312e12
    assert get_gpu("a100-80gb").peak_flops("int8") == 624e12
    assert get_gpu("a100-80gb").peak_flops("int4") == 624e12  # int4 runs on int8 units here
    assert get_gpu("b200").peak_flops("fp4") == 9000e12


# --- prices --------------------------------------------------------------------------------

PRICES_CSV = Path(xlcompute.catalog.__file__).parent / "data" / "prices.csv"
GPUS_CSV = PRICES_CSV.with_name("gpus.csv")
PRICE_TERMS = {"on_demand", "spot", "capacity_block", "reserved_1y", "reserved_3y", "committed_use_1y",
               "committed_use_3y", "savings_plan_1y", "savings_plan_3y"}
AS_READ = dt.date(2026, 11, 21)  # the day the shipped rows were last checked against their sources


def _shipped_price_rows() -> list[dict[str, str]]:
    with PRICES_CSV.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_price_rows_are_sourced_dated_and_per_gpu():
    rows = _shipped_price_rows()
    assert len(rows) >= 40
    with GPUS_CSV.open(newline="", encoding="utf-8") as fh:
        gpu_ids = {row["id"] for row in csv.DictReader(fh)}
    for row in rows:
        label = (row["gpu_id"], row["provider"], row["pricing"], row["region"])
        assert row["gpu_id"] in gpu_ids, label  # a catalog id, not an alias
        assert row["pricing"] in PRICE_TERMS, label
        assert "http" in row["source"] and row["provider"] and row["region"] and row["instance"], label
        assert _iso(row["date"]) <= AS_READ, label
        gpus, per_gpu, instance = int(row["gpus_per_instance"]), float(row["usd_per_gpu_hour"]), float(row["usd_per_instance_hour"])
        # per-GPU price x GPUs = instance price, to the rounding of a 4-decimal per-GPU figure (AWS prints 3)
        assert per_gpu * gpus == pytest.approx(instance, abs=0.005 * gpus), label
        if gpus > 1:
            assert "per-gpu" in row["notes"].lower() or "per gpu" in row["notes"].lower(), label


def test_price_keys_are_unique_and_unverified_rows_say_so():
    rows = _shipped_price_rows()
    keys = [(r["gpu_id"], r["provider"], r["pricing"], r["region"]) for r in rows]
    assert len(keys) == len(set(keys))
    unverified = [r for r in rows if "UNVERIFIED" in r["notes"]]
    assert all(r["notes"].startswith("UNVERIFIED:") for r in unverified)
    # default (on-demand) quotes are all verified; only secondary-source spot rows remain unverified
    assert {r["pricing"] for r in unverified} <= {"spot"}
    assert {"aws", "azure", "gcp", "coreweave", "lambda", "runpod"} <= {r["provider"] for r in rows}
    assert {"committed_use_1y", "committed_use_3y"} <= {r["pricing"] for r in rows}


def test_aws_p5_price_is_after_the_june_2025_cut_and_divided_by_eight():
    # p5.48xlarge us-east-1 $55.04/h: datareceipts/data-receipts 109-gpu-pricing/hyperscalers.json
    # (retrieved 2026-11-09) and tsaol/aws-gpu data/p5_instances.js (instances.vantage.sh, 2026-08-26);
    # the pre-cut list price was $98.32/h (nextplatform.com, 2023-07-27).
    price = get_price("h100", "aws")
    assert price.instance == "p5.48xlarge" and price.gpus_per_instance == 8
    assert price.usd_per_instance_hour == 55.04 and price.usd_per_gpu_hour == pytest.approx(6.88)
    assert price.usd_per_instance_hour < 98.32 * (1 - 0.40)  # "up to 45%" cut
    # p4d.24xlarge $21.957642/h over 8 A100 40GB (same two sources)
    assert get_price("a100-40gb", "aws").usd_per_gpu_hour == pytest.approx(21.957642 / 8, abs=1e-4)


@pytest.mark.parametrize("gpu, provider, pricing, region, usd_per_gpu_hour", [
    ("h100-sxm", "azure", "on_demand", None, 12.29),        # datareceipts README: ND96isr_H100_v5 $12.29
    ("h100-sxm", "gcp", "on_demand", None, 88.49 / 8),      # Cyclenerd pricing.yml a3-highgpu-8g us-central1 hour
    ("h100-sxm", "lambda", "on_demand", None, 3.99),        # lambda.ai/instances "8x NVIDIA H100 SXM $3.99"
    ("h100-sxm", "runpod", "on_demand", None, 2.69),        # runpod.io/pricing Community Cloud (vendors.json)
    ("h100-sxm", "runpod", "on_demand", "secure-cloud", 3.99),
    ("h100-sxm", "aws", "capacity_block", None, 4.916),     # aws.amazon.com/ec2/capacityblocks/pricing/
    ("l40s", "aws", "on_demand", None, 30.13118 / 8),       # tsaol/aws-gpu g6e_instances.js g6e.48xlarge
    ("b200", "lambda", "on_demand", None, 6.69),            # lambda.ai/instances "8x NVIDIA B200 SXM6 $6.69"
])
def test_spot_checks_of_verified_prices(gpu, provider, pricing, region, usd_per_gpu_hour):
    price = get_price(gpu, provider, pricing, region=region)
    assert price.usd_per_gpu_hour == pytest.approx(usd_per_gpu_hour, abs=1e-4)
    assert not price.notes.startswith("UNVERIFIED")


def test_gcp_committed_use_rows_are_month_prices_over_730_hours():
    # Cyclenerd pricing.yml (2025-03-06) a3-highgpu-8g us-central1: month_1y 44810.08, month_3y 28370.998
    on_demand = get_price("h100", "gcp")
    one_year = get_price("h100", "gcp", "committed-use-1y")
    three_year = get_price("h100", "gcp", "committed_use_3y")
    assert one_year.usd_per_instance_hour == pytest.approx(44810.08066464 / 730, abs=1e-4)
    assert three_year.usd_per_instance_hour == pytest.approx(28370.99821392 / 730, abs=1e-4)
    assert three_year.usd_per_gpu_hour < one_year.usd_per_gpu_hour < on_demand.usd_per_gpu_hour


def test_default_price_is_the_median_on_demand_quote():
    quotes = sorted(p.usd_per_gpu_hour for p in list_prices("h100-sxm") if p.pricing == "on_demand")
    assert len(quotes) % 2 == 1 and get_price("h100-sxm").usd_per_gpu_hour == quotes[(len(quotes) - 1) // 2]
    even = sorted(p.usd_per_gpu_hour for p in list_prices("a100-40gb") if p.pricing == "on_demand")
    assert len(even) % 2 == 0 and get_price("a100-40gb").usd_per_gpu_hour == even[len(even) // 2 - 1]
    assert get_price("h100-sxm", pricing="capacity_block").usd_per_gpu_hour == 4.916  # AWS Capacity Blocks page


def test_price_errors_name_the_argument():
    with pytest.raises(XlcomputeError) as err:
        get_price("rtx-4090")  # only spot quotes
    assert "spot" in str(err.value)
    with pytest.raises(XlcomputeError) as err:
        get_price("h100", "nosuchcloud")
    assert err.value.argument == "provider"
    with pytest.raises(XlcomputeError) as err:
        get_price("h100", pricing="ondemand")
    assert err.value.argument == "pricing"
    with pytest.raises(XlcomputeError) as err:
        get_price("h100", "runpod", region="mars")
    assert err.value.argument == "gpu" and "mars" in str(err.value)


USER_CSV = """gpu_id,provider,pricing,region,usd_per_gpu_hour,source,date
H100,lambda,on_demand,us,1.50,our negotiated quote Q-123,2026-01-05
mi300x,acme,on_demand,eu,1.99,acme offer 7,2026-02-01
"""


def test_user_prices_override_matching_rows_and_add_new_ones(tmp_path, monkeypatch):
    path = tmp_path / "my_prices.csv"
    path.write_text(USER_CSV, encoding="utf-8")
    lambda_quote = get_price("h100", "lambda", prices_file=path)
    assert lambda_quote.usd_per_gpu_hour == 1.50 and lambda_quote.origin == str(path)
    assert get_price("mi300x", prices_file=path).provider == "acme"
    assert get_price("h100", "lambda").usd_per_gpu_hour == 3.99  # shipped value without the override
    monkeypatch.setenv(PRICES_ENV, str(path))
    assert get_price("h100", "lambda").usd_per_gpu_hour == 1.50
    rows = [p for p in list_prices("h100") if p.provider == "lambda" and p.pricing == "on_demand"]
    assert len(rows) == 1  # replaced, not duplicated


def test_bad_user_price_file_names_the_file(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("gpu_id,provider\nh100,x\n", encoding="utf-8")
    with pytest.raises(XlcomputeError, match="broken.csv.*missing column"):
        list_prices(prices_file=path)
    path.write_text(USER_CSV.replace("1.50", "-1"), encoding="utf-8")
    with pytest.raises(XlcomputeError, match="must be > 0"):
        list_prices(prices_file=path)
    path.write_text(USER_CSV.replace("on_demand,us", "reserved-1yr,us"), encoding="utf-8")
    with pytest.raises(XlcomputeError, match=r"broken.csv.*line 2.*pricing 'reserved-1yr'") as err:
        list_prices(prices_file=path)
    assert "reserved_1y" in err.value.suggestions
    with pytest.raises(XlcomputeError, match="cannot be read"):
        list_prices(prices_file=tmp_path / "nope.csv")


# --- CLI -----------------------------------------------------------------------------------


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_cli_models_table_and_json():
    result = _run("models")
    assert result.exit_code == 0, result.output
    assert "llama-3.1-70b" in result.output and "deepseek-v3" in result.output
    data = json.loads(_run("models", "--json").output)
    assert len(data) == len(list_models())
    v3 = next(d for d in data if d["id"] == "deepseek-v3")
    assert v3["total_params"] == get_model("deepseek-v3").total_params


def test_cli_one_model_shows_its_breakdown():
    result = _run("models", "Qwen/Qwen2.5-72B-Instruct")
    assert result.exit_code == 0, result.output
    assert "qwen2.5-72b" in result.output and f"{params_total(get_model('qwen2.5-72b').arch):,}" in result.output
    assert "P_attn" in result.output and "P_mlp" in result.output
    data = json.loads(_run("models", "mixtral-8x7b", "--json").output)
    assert data["breakdown"]["total"]["result"]["value"] == data["total_params"]
    assert data["breakdown"]["active"]["result"]["value"] == data["active_params"]


def test_cli_gpus_and_prices():
    result = _run("gpus")
    assert result.exit_code == 0 and "h100-sxm" in result.output
    assert json.loads(_run("gpus", "--json").output)[0]["id"] == list_gpus()[0].id
    result = _run("prices", "--gpu", "h100")
    assert result.exit_code == 0 and "p5.48xlarge" in result.output and "median" in result.output
    data = json.loads(_run("prices", "--gpu", "h100", "--json").output)
    assert data["default"]["usd_per_gpu_hour"] == get_price("h100").usd_per_gpu_hour


def test_cli_unknown_ids_exit_2_with_a_message():
    result = _run("models", "llama-9")
    assert result.exit_code == 2 and "unknown model" in result.output and "Traceback" not in result.output
    result = _run("prices", "--gpu", "h1000")
    assert result.exit_code == 2 and "unknown gpu" in result.output


def test_catalog_imports_only_core_and_the_standard_library():
    """The catalog must run in xlwings Lite's Pyodide: no third-party or higher-layer imports."""
    import ast
    import sys

    import xlcompute.catalog as catalog_pkg

    for path in Path(catalog_pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 or (node.module or "").startswith("core"), (path.name, node.module)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                for name in names:
                    assert name.split(".")[0] in sys.stdlib_module_names, (path.name, name)
