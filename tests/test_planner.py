"""The serving planner: cheapest configurations meeting an SLO, the Pareto frontier, table and CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from xlcompute.catalog import get_price
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.scenario.planner import COLUMNS, DEFAULT_BATCHES, pareto_mask, plan, plan_table
from xlcompute.scenario.planner_ep import (DEFAULT_ATTENTION_TP, DEFAULT_EP_GPUS, ep_layouts, evaluate_ep_grid,
                                          max_ep_gpus)
from xlcompute.scenario.serving_speed import ep_decode_tokens_per_s, tokens_per_s, tpot_ms, ttft_ms
from xlcompute.scenario.setups import serving_setup

GPUS = ["h100-sxm", "a100-80gb"]


@pytest.fixture(scope="module")
def result():
    return plan("llama-3.1-70b", 4, 1024, 256, ttft_ms_max=1000, tpot_ms_max=40, gpus=GPUS)


def test_pareto_mask_toy():
    cost = np.array([1.0, 2.0, 3.0, 2.0, 4.0])
    speed = np.array([10.0, 5.0, 20.0, 15.0, 20.0])
    # (2, 5) is beaten by (1, 10); (4, 20) by (3, 20)
    assert pareto_mask(cost, speed).tolist() == [True, False, True, True, False]


def test_cheapest_rows_meet_the_slo_and_are_sorted(result):
    assert result.cheapest and result.evaluated == len(GPUS) * 2 * 4 * len(DEFAULT_BATCHES)
    costs = [r.usd_per_million_tokens for r in result.cheapest]
    assert costs == sorted(costs)
    for r in result.cheapest:
        assert r.meets_slo and r.tpot_ms <= 40 and r.ttft_ms <= 1000
        assert r.gpus == r.tp * r.replicas and r.ep == 1 and r.attention_dp == 1  # dense: no expert parallelism
        # replicas deliver the rate: replicas x replica throughput >= rate x output tokens
        assert r.replicas * r.replica_tokens_per_s >= 4 * 256 * (1 - 1e-9)


def test_plan_row_agrees_with_the_point_functions(result):
    """The vectorised search evaluates the same formulas as TPOT_MS / TOKENS_PER_S."""
    r = result.cheapest[0]
    assert r.tpot_ms == pytest.approx(tpot_ms("llama-3.1-70b", r.gpu, r.tp, r.precision, 1024 + 128, r.batch))
    assert r.replica_tokens_per_s == pytest.approx(tokens_per_s("llama-3.1-70b", r.gpu, r.tp, r.precision, 1024, 256,
                                                                batch=r.batch))
    price = get_price(r.gpu).usd_per_gpu_hour
    assert r.usd_per_million_tokens == pytest.approx(r.gpus * price / (4 * 256 * 3600) * 1e6)
    # one TTFT definition: the prefill of one prompt, as TTFT_MS computes it
    for row in result.cheapest + result.frontier:
        assert row.ttft_ms == pytest.approx(ttft_ms("llama-3.1-70b", row.gpu, row.tp, row.precision, 1024))


def test_frontier_is_monotone(result):
    cost = [r.usd_per_million_tokens for r in result.frontier]
    speed = [r.tokens_per_s_per_request for r in result.frontier]
    assert len(result.frontier) >= 3
    assert cost == sorted(cost)
    assert all(b > a for a, b in zip(speed, speed[1:]))


def test_tighter_limits_cost_more_and_impossible_limits_return_nothing():
    loose = plan("llama-3.1-8b", 50, 1024, 256, tpot_ms_max=60, gpus=["h100-sxm"])
    tight = plan("llama-3.1-8b", 50, 1024, 256, tpot_ms_max=7, gpus=["h100-sxm"])
    assert tight.cheapest[0].usd_per_million_tokens > loose.cheapest[0].usd_per_million_tokens
    impossible = plan("llama-3.1-8b", 50, 1024, 256, tpot_ms_max=0.5, gpus=["h100-sxm"])
    assert impossible.cheapest == [] and impossible.frontier
    # twice the rate needs at least as many GPUs
    double = plan("llama-3.1-8b", 100, 1024, 256, tpot_ms_max=60, gpus=["h100-sxm"])
    assert double.cheapest[0].gpus >= loose.cheapest[0].gpus


def test_plan_table_for_excel():
    table = plan_table("llama-3.1-8b", 2, 512, 128, None, 30, "h100-sxm, a100-80gb", "bf16,fp8", top=3)
    assert table[0] == list(COLUMNS)
    assert len(table) == 4 and all(len(r) == len(COLUMNS) for r in table)
    frontier = plan_table("llama-3.1-8b", 2, 512, 128, None, 30, "h100-sxm", "fp8", frontier=True)
    assert len(frontier) > 2
    none = plan_table("llama-3.1-8b", 2, 512, 128, None, 0.1, "h100-sxm", "fp8")
    assert none[1][0] == "no configuration meets the limits"


def test_bad_input():
    with pytest.raises(XlcomputeError, match="requests_per_s"):
        plan("llama-3.1-8b", 0)
    with pytest.raises(XlcomputeError):
        plan("llama-3.1-8b", 1, gpus=["no-such-gpu"])


@pytest.mark.parametrize("options, expected", [
    (["--precision", "fp9"], "Error: --precision: unknown precision 'fp9'"),
    (["--pricing", "weekly"], "Error: --pricing: expected one of"),
    (["--provider", "nope"], "Error: --provider: no on_demand prices from 'nope'"),
    (["--rate", "0"], "Error: --rate: must be greater than 0"),
    (["--input", "0"], "Error: --input: must be greater than 0"),
    (["--output", "-1"], "Error: --output: must be greater than 0"),
])
def test_cli_plan_errors_once_naming_the_option(options, expected):
    args = ["plan", "llama-3.1-8b", "--rate", "1", *options]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.startswith(expected)
    assert result.output.count("Error") == 1 and len(result.output) < 600  # once, not once per GPU


def test_cli_plan_model_that_fits_nowhere():
    result = CliRunner().invoke(main, ["plan", "llama-3.1-405b", "--rate", "1", "--gpu", "l4"])
    assert result.exit_code == 2
    assert "llama-3.1-405b does not fit on up to 8 GPUs" in result.output
    assert "No configuration meets the service level" not in result.output and "frontier" not in result.output


def test_cli_plan_table_json_and_chart(tmp_path):
    runner = CliRunner()
    chart = tmp_path / "frontier.svg"
    out = runner.invoke(main, ["plan", "llama-3.1-8b", "--rate", "5", "--tpot-max", "30", "--gpu", "h100-sxm",
                               "--gpu", "a100-80gb", "--chart", str(chart)])
    assert out.exit_code == 0, out.output
    assert "Cheapest configurations" in out.output and "Pareto frontier" in out.output
    assert chart.read_text().lstrip().startswith("<?xml") and "<svg" in chart.read_text()
    js = runner.invoke(main, ["plan", "llama-3.1-8b", "--rate", "5", "--gpu", "h100-sxm", "--json"])
    payload = json.loads(js.output)
    assert payload["cheapest"] and payload["frontier"]
    bad = runner.invoke(main, ["plan", "llama-3.1-8b", "--rate", "5", "--gpu", "h100-sxm", "--chart",
                               str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and ".svg" in bad.output
    assert not (tmp_path / "x.txt").exists()


# ---------------------------------------------------------------------------------------------
# Expert-parallel layouts (MoE): EP over G GPUs, attention data-parallel in ranks of t GPUs
# ---------------------------------------------------------------------------------------------


def test_ep_layouts_are_every_divisor_pair():
    gpus, ranks = ep_layouts((8, 72))
    pairs = set(zip(gpus.tolist(), ranks.tolist()))
    assert pairs == {(8.0, 8.0), (8.0, 4.0), (8.0, 2.0), (8.0, 1.0), (72.0, 72.0), (72.0, 36.0), (72.0, 18.0),
                     (72.0, 9.0)}
    assert ep_layouts(())[0].size == 0


def test_moe_plan_searches_expert_parallel_layouts():
    """DeepSeek-V3 (671B, fp8) does not fit a tensor-parallel H100 node with a 5,000-token sequence; the planner
    serves it expert-parallel, as DeepSeek (EP144 on H800) and LMSYS (EP72 on H100) do."""
    r = plan("deepseek-v3", 50, 4000, 1000, ttft_ms_max=5000, tpot_ms_max=60, gpus=["h100-sxm"], precisions=["fp8"])
    layouts = len(ep_layouts(DEFAULT_EP_GPUS)[0])
    assert r.evaluated == 4 * len(DEFAULT_BATCHES) + layouts * len(DEFAULT_BATCHES)
    assert any("does not fit on up to 8 x h100-sxm" in s for s in r.skipped)
    assert r.cheapest and all(row.ep in DEFAULT_EP_GPUS for row in r.cheapest)
    for row in r.cheapest:
        assert row.meets_slo and row.tpot_ms <= 60 and row.ttft_ms <= 5000
        assert row.gpus == row.ep * row.replicas and row.ep == row.tp * row.attention_dp
        assert row.tp in DEFAULT_ATTENTION_TP and row.batch % row.attention_dp == 0
        assert row.replicas * row.replica_tokens_per_s >= 50 * 1000 * (1 - 1e-9)
    best = r.cheapest[0]
    # the same formulas as EP_DECODE (serving_speed.ep_decode_tokens_per_s), SGLang settings
    s = serving_setup("deepseek-v3", "h100-sxm", "fp8", engine="sglang")
    decode = ep_decode_tokens_per_s("deepseek-v3", "h100-sxm", best.ep, best.batch, 4500, best.attention_dp, "fp8",
                                    s.kv_precision, "sglang")
    assert best.batch * 1000 / best.tpot_ms == pytest.approx(decode)
    # ep_gpus=() turns the search off (dense models never get EP rows: test_cheapest_rows_meet_the_slo_and_are_sorted)
    assert plan("deepseek-v3", 1, gpus=["h200"], precisions=["fp8"], ep_gpus=()).cheapest[0].ep == 1
    with pytest.raises(XlcomputeError, match="ep_gpus"):
        plan("deepseek-v3", 1, gpus=["h200"], ep_gpus=[1])


def test_planner_times_deepseek_production_layout_within_25_percent():
    """DeepSeek "Day 6: DeepSeek-V3/R1 inference system overview" (deepseek-ai/open-infra-index, 2025-03-01):
    decode on EP144 / DP144 attention (18 H800 nodes), average KV length 4,989 tokens, ~14.8k output tokens/s
    per H800 node. The planner's grid at that layout (batch 128 per GPU, SGLang settings) within 25%."""
    s = serving_setup("deepseek-v3", "h800", "fp8", "bf16", engine="sglang")
    gpus, ranks = np.array([144.0]), np.array([144.0])
    grid = evaluate_ep_grid(s, gpus, ranks, np.array([128]), 4989.0, 2.0, 1.0, 1.0)
    # decode step at context 4,989 + 1 (mean of a 2-token output): per-node output rate
    per_node = float(grid["batch"][0, 0] * 1 / grid["tpot_s"][0, 0]) / 18
    assert bool(grid["fits"][0, 0])
    assert per_node == pytest.approx(14_800, rel=0.25)


def test_expert_parallel_never_spreads_over_more_gpus_than_experts():
    """Mixtral 8x7B has 8 experts (no redundant copies): EP8 is its only expert-parallel size; DeepSeek-V3's
    256 + 32 redundant experts allow all of 8-144."""
    assert max_ep_gpus(8) == 8 and max_ep_gpus(256) == 288
    r = plan("mixtral-8x7b", 5, gpus=["h100-sxm"], precisions=["fp8"])
    assert r.evaluated == 4 * len(DEFAULT_BATCHES) + len(ep_layouts([8])[0]) * len(DEFAULT_BATCHES)
    b200 = plan("deepseek-v3", 20, 2000, 500, tpot_ms_max=50, gpus=["b200"], precisions=["fp8"])
    assert b200.cheapest and b200.cheapest[0].gpus == b200.cheapest[0].replicas * max(b200.cheapest[0].ep,
                                                                                       b200.cheapest[0].tp)
    with pytest.raises(XlcomputeError, match="no GPU with a price"):
        plan("deepseek-v3", 5, gpus=["mi300x"], precisions=["fp8"])
