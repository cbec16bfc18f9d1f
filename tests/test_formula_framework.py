"""The @formula framework over every registered formula: metadata, breakdowns, JSON, rendering."""

from __future__ import annotations

import inspect
import json

import pytest

import xlcompute.core  # noqa: F401  (registers every formula)
from xlcompute.cli.render import format_value, render_step
from xlcompute.core import REGISTRY, ModelArch, explain, formula
from xlcompute.core.inference import request_flops, ttft_s
from xlcompute.core.memory import kv_cache_bytes, serving_memory_bytes
from xlcompute.core.training import train_flops, training_days

MY_FORMULAS = {
    "train_flops", "train_attention_flops", "training_time_s", "training_days", "gpu_hours", "gpus_for_deadline",
    "pf_days", "train_cost", "implied_mfu",
    "weights_bytes", "to_memory_unit", "training_memory_bytes", "training_total_memory_bytes",
    "activation_memory_bytes", "kv_cache_bytes_per_token", "kv_cache_bytes", "inference_activation_bytes",
    "serving_memory_bytes",
    "data_parallel_comm_volume", "pipeline_parallel_comm_volume", "tensor_parallel_comm_volume",
    "ring_allreduce_factor", "comm_time_s",
    "inference_flops_per_token", "request_flops", "compute_demand_flops_per_s", "gpus_for_memory",
    "gpus_for_throughput", "gpus_needed", "binding_constraint", "cost_per_request", "cost_per_million_tokens",
    "compute_time_s", "memory_time_s", "ttft_s", "tpot_s", "latency_s", "tokens_per_second",
    "transformer_layer_flops",
}

LLAMA3_8B = ModelArch(id="llama-3-8b", hidden_size=4096, num_layers=32, num_attention_heads=32, num_kv_heads=8,
                      intermediate_size=14336, vocab_size=128256)


def test_every_formula_is_registered():
    assert MY_FORMULAS <= set(REGISTRY)


@pytest.mark.parametrize("name", sorted(MY_FORMULAS))
def test_formula_metadata_complete(name):
    fn = REGISTRY[name]
    info = fn.__formula__
    assert info.title and info.equation and info.reference
    assert info.result.unit, f"{name}: result has no unit"
    assert set(info.terms) == set(inspect.signature(fn).parameters)
    for term in info.terms.values():
        assert term.symbol and term.unit and term.description
    doc = inspect.getdoc(fn)
    assert doc and "[" in doc, f"{name}: docstring must give units in brackets"


def test_decorator_rejects_undescribed_argument():
    with pytest.raises(TypeError, match="no term"):
        @formula(title="t", equation="y = x", result=("y", "-", "y"), terms={}, reference="r")
        def undocumented(x: float) -> float:
            return x


def test_explain_returns_same_value_as_call():
    args = (8.03e9, LLAMA3_8B, 8192, 4)
    assert explain(serving_memory_bytes, *args).result == serving_memory_bytes(*args)


def test_nested_breakdown_three_levels():
    step = explain(serving_memory_bytes, 8.03e9, LLAMA3_8B, 8192, 4)
    names = [s.name for s in step.walk()]
    assert names[0] == "serving_memory_bytes"
    assert {"weights_bytes", "kv_cache_bytes", "kv_cache_bytes_per_token", "inference_activation_bytes",
            "activation_memory_bytes"} <= set(names)
    kv = next(s for s in step.walk() if s.name == "kv_cache_bytes")
    assert kv.result == kv_cache_bytes(LLAMA3_8B, 8192, 4)
    assert kv.children[0].name == "kv_cache_bytes_per_token"


def test_explain_of_plain_function_collects_formulas():
    def scenario():
        return training_days(train_flops(7e10, 1.4e12), 1024, 989.5e12)

    step = explain(scenario)
    assert [c.name for c in step.children] == ["train_flops", "training_days"]
    assert step.result == pytest.approx(step.children[1].result)


def test_to_dict_is_json_ready():
    step = explain(ttft_s, 7e9, 1000, 1e15, num_layers=32, attn_dim=4096)
    data = json.loads(json.dumps(step.to_dict()))
    assert data["function"] == "ttft_s"
    assert data["result"]["unit"] == "s"
    assert [s["function"] for s in data["steps"]] == ["inference_flops_per_token", "compute_time_s"]
    prompt = next(i for i in data["inputs"] if i["name"] == "prompt_tokens")
    assert prompt == {"name": "prompt_tokens", "symbol": "s_in", "unit": "tokens", "description": "prompt length",
                      "value": 1000}


def test_arch_input_serialises_as_id():
    data = explain(kv_cache_bytes, LLAMA3_8B, 1000).to_dict()
    arch = next(i for i in data["inputs"] if i["name"] == "arch")
    assert arch["value"]["id"] == "llama-3-8b"
    json.dumps(data)


def test_render_step_shows_equation_inputs_result_and_source():
    text = render_step(explain(request_flops, 32e9, 1000))
    assert "Request FLOPs: C_i = 6.4e+13 FLOP" in text
    assert "C_i = c · T_io = 2 · T_io · P" in text
    assert "T_io = 1,000 tokens" in text
    assert "source: Seed 004 eq. (10)" in text
    assert "\n    Inference FLOPs per token: c = 6.4e+10 FLOP/token" in text  # nested step indented


def test_format_value():
    assert format_value(3.0) == "3"
    assert format_value(1234567.0) == "1.235e+06"
    assert format_value(0.4) == "0.4"
    assert format_value("bf16") == "bf16"
    assert format_value(LLAMA3_8B) == "llama-3-8b"
    np = pytest.importorskip("numpy")
    assert format_value(np.arange(10.0)) == "array of 10 values"
    assert format_value(np.float64(2.5)) == "2.5"
