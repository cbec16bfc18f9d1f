"""``xlcompute calc``: values with breakdowns, JSON output, the formula list and clean errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from xlcompute.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["calc", *args])


def test_calc_prints_value_and_breakdown():
    result = run("train_flops", "--params", "7e10", "--tokens", "1.4e12")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("C = 5.88e+23 FLOP")
    assert "C = k · P · T" in result.output
    assert "source: Kaplan et al. 2020" in result.output


def test_calc_json_is_the_breakdown():
    result = run("training_days", "--flops=5.88e23", "--num-gpus", "2048", "--peak-flops-per-gpu", "312e12",
                 "--mfu", "0.4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["function"] == "training_days"
    assert data["result"]["value"] == pytest.approx(5.88e23 / (2048 * 312e12 * 0.4) / 86400)
    assert data["steps"][0]["function"] == "training_time_s"


def test_calc_accepts_strings_and_booleans():
    result = run("train_attention_flops", "--num-layers", "32", "--seq-len", "4096", "--attn-dim", "4096",
                 "--tokens", "1e12", "--causal", "true", "--json")
    assert json.loads(result.output)["result"]["value"] == pytest.approx(3 * 4 * 32 * 4096 * 4096 * 1e12 / 2)
    result = run("weights_bytes", "--params", "7e9", "--precision", "int4", "--json")
    assert json.loads(result.output)["result"]["value"] == pytest.approx(3.5e9)
    result = run("weights_bytes", "--params", "7e9", "--precision", "4.5", "--json")
    assert json.loads(result.output)["result"]["value"] == pytest.approx(7e9 * 4.5 / 8)


def test_calc_model_argument_takes_catalog_id():
    result = run("kv_cache_bytes_per_token", "--arch", "llama-3.1-70b", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["result"]["value"] == 327_680  # 2 x 80 layers x 8 KV heads x 128 x 2 B


def test_calc_list():
    result = run("--list")
    assert result.exit_code == 0
    assert "kv_cache_bytes" in result.output and "gpus_needed" in result.output
    listed = json.loads(run("--list", "--json").output)
    assert any(row["function"] == "train_flops" for row in listed)


@pytest.mark.parametrize(
    "args, message",
    [
        (["train_flop"], "Did you mean 'train_flops'"),
        (["train_flops", "--params", "7e10"], "missing --tokens"),
        (["train_flops", "--params", "7e10", "--tokens", "-5"], "tokens: must be greater than 0"),
        (["train_flops", "--parms", "7e10", "--tokens", "5"], "Did you mean --params?"),
        (["train_flops", "--params", "seven", "--tokens", "5"], "--params: expected a number or a catalog id"),
        (["train_flops", "--params", "7e10", "--tokens", "many"], "--tokens: expected a number"),
        (["training_time_s", "--flops", "1e23", "--num-gpus", "0", "--peak-flops-per-gpu", "1e15"], "--num-gpus: must"),
        (["gpus_for_throughput", "--users", "4", "--request-flops", "x", "--seconds-per-request", "1",
          "--peak-flops-per-gpu", "1e15"], "--request-flops: expected a number"),
        (["kv_cache_bytes", "--arch", "llama-70", "--context-tokens", "10"], "--arch: unknown model 'llama-70'"),
        (["kv_cache_bytes", "--arch", "llama-3.1-70b", "--context-tokens", "10", "--unit", "gigs"],
         "--unit: unknown memory unit 'gigs'"),
        (["gpus_needed", "--model", "llama-3.1-70b", "--gpu", "h100-sxx"], "--gpu: unknown gpu 'h100-sxx'"),
        ([], "name a formula"),
    ],
)
def test_calc_errors_are_clean(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_calc_numeric_arguments_take_catalog_ids():
    from xlcompute.catalog import get_gpu, get_model

    result = run("gpus_for_memory", "--memory-bytes", "1.4e11", "--gpu-memory-bytes", "h100-sxm", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    memory = next(i for i in data["inputs"] if i["name"] == "gpu_memory_bytes")
    assert memory["value"] == get_gpu("h100-sxm").memory_bytes
    assert data["result"]["value"] == 2
    result = run("request_flops", "--active-params", "mixtral-8x7b", "--io-tokens", "1000", "--json")
    assert json.loads(result.output)["result"]["value"] == pytest.approx(2000 * get_model("mixtral-8x7b").active_params)
    result = run("gpus_for_memory", "--memory-bytes", "1e11", "--gpu-memory-bytes", "h100-sxn")
    assert result.exit_code == 2 and "Did you mean 'h100-sxm'" in result.output


def test_calc_errors_print_options_as_typed():
    # Every option in a message is printed the way it is typed (dashes), never as the Python name.
    for args in (["gpus_for_throughput", "--users", "4", "--request-flops", "x", "--seconds-per-request", "1",
                  "--peak-flops-per-gpu", "1e15"],
                 ["gpus_for_throughput", "--users", "4", "--request-flops"],
                 ["training_time_s", "--flops", "1e23", "--num-gpus", "0", "--peak-flops-per-gpu", "1e15"],
                 ["gpus_needed"]):
        result = run(*args)
        assert result.exit_code == 2
        assert "request_flops" not in result.output and "num_gpus" not in result.output, result.output
    result = run("kv_cache_bytes", "--arch", "llama-70", "--context-tokens", "10")
    assert result.output.startswith("Error: --arch:") and "model:" not in result.output


def test_calc_memory_result_in_bytes_and_unit():
    # Llama-3.1-70B: 2 x 80 x 8 x 128 x 2 B = 327,680 B/token; x 131,072 tokens x 2 = 85,899,345,920 B
    # = 85.9 GB (decimal, the default) = 80 GiB.
    args = ("kv_cache_bytes", "--arch", "llama-3.1-70b", "--context-tokens", "131072", "--batch", "2")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "M_kv = 8.59e+10 B = 85.9 GB"
    assert run(*args, "--unit", "GiB").output.splitlines()[0] == "M_kv = 8.59e+10 B = 80 GiB"
    data = json.loads(run(*args, "--unit", "GiB", "--json").output)
    assert data["result"]["value"] == 2 * 131072 * 327_680
    assert data["result"]["in_unit"] == {"unit": "GiB", "value": 80.0}
    # Results not in bytes are not converted; to_memory_unit keeps its own --unit argument.
    assert "GB" not in run("train_flops", "--params", "7e10", "--tokens", "1.4e12").output.splitlines()[0]
    assert run("to_memory_unit", "--num-bytes", "1073741824", "--unit", "GiB", "--json").exit_code == 0
    assert json.loads(run("to_memory_unit", "--num-bytes", "1073741824", "--unit", "GiB",
                          "--json").output)["result"]["value"] == 1.0


def test_calc_gpus_needed_from_catalog_ids_matches_excel_function():
    from xlcompute.scenario import serving_speed as serving

    args = ["gpus_needed", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--context-tokens", "8192",
            "--concurrent-requests", "16"]
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = serving.gpus_to_serve("llama-3.1-70b", "h100-sxm", context_tokens=8192, batch=16)
    # Llama-3.1-70B bf16 weights are 141 GB: more than one 80 GB H100, fewer than four.
    assert data["result"]["value"] == expected and 2 <= expected <= 4
    text = run(*args).output
    assert text.startswith(f"n = {expected} GPUs")
    assert "KV elements per token" in text and "(as above)" in text  # memory from the core, repeats shown once
    usage = run("gpus_needed").output
    assert "--model ID --gpu ID" in usage and "--concurrent-requests" in usage


def test_calc_gpus_needed_matches_excel_gpus_needed():
    from xlcompute import udfs

    result = run("gpus_needed", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--context-tokens", "8192",
                 "--concurrent-requests", "16", "--json")
    excel = udfs.GPUS_NEEDED("llama-3.1-70b", "h100-sxm", "bf16", 8192, 16)
    assert json.loads(result.output)["result"]["value"] == excel
