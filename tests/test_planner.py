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
from xlcompute.scenario.serving_speed import tokens_per_s, tpot_ms, ttft_ms

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
        assert r.gpus == r.tp * r.replicas
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
    result = CliRunner().invoke(main, ["plan", "deepseek-v3", "--rate", "1", "--gpu", "l4"])
    assert result.exit_code == 2
    assert "deepseek-v3 does not fit on up to 8 GPUs" in result.output
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
