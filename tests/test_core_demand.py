"""Demand in business terms: users and tokens to request rates, replicas, whole nodes and unit
costs, against hand-worked figures (equations from the cited references in xlcompute.core.demand)."""

from __future__ import annotations

import pytest

from xlcompute.core import demand
from xlcompute.core.errors import XlcomputeError
from xlcompute.functions import REGISTRY


def test_peak_rate_from_daily_users():
    # 1,000,000 users x 20 requests/day = 2e7 requests/day = 231.48/s on average; x3 at the peak = 694.44/s.
    assert demand.peak_requests_per_s(1_000_000, 20, 3) == pytest.approx(694.444, rel=1e-5)
    assert demand.peak_requests_per_s(86_400, 1) == pytest.approx(1.0)


def test_peak_rate_from_monthly_tokens():
    # 5e9 tokens/month in requests of 1,800 tokens: 2.778e6 requests over 730 h x 3600 s = 1.057/s; x2 = 2.114/s.
    assert demand.requests_per_s_from_tokens(5e9, 1800, 2) == pytest.approx(2.11399, rel=1e-5)


def test_interactive_response_time_law():
    # Jain 1991 §33.3: X = N/(Z + R); 500 users thinking 30 s, answers in 10 s -> 12.5 requests/s.
    assert demand.requests_per_s_from_users(500, 30, 10) == pytest.approx(12.5)
    with pytest.raises(XlcomputeError):
        demand.requests_per_s_from_users(10, 0, 0)


@pytest.mark.parametrize(("load", "per_replica", "headroom", "spares", "expected"), [
    (694.44, 100, 0.2, 1, 10),   # 694.44 / 80 = 8.68 -> 9, plus one spare
    (800, 100, 0.2, 0, 10),      # exactly 10 at 80% busy: no eleventh replica from float noise
    (0.3, 100, 0, 0, 1),
    (0, 100, 0, 1, 1),
])
def test_replicas_with_headroom_and_spares(load, per_replica, headroom, spares, expected):
    assert demand.replicas_for_load(load, per_replica, headroom, spares) == expected


def test_whole_nodes_and_unit_costs():
    assert [demand.whole_units(g, 8) for g in (0, 1, 8, 9, 10, 16)] == [0, 8, 8, 16, 16, 16]
    assert demand.cost_per_user(23_000, 10_000) == pytest.approx(2.3)
    assert demand.cost_per_million_tokens(23_000, 5e9) == pytest.approx(4.6)  # 23,000 / 5,000 Mtok


def test_excel_functions_call_the_same_formulas_with_breakdown():
    outcome = REGISTRY["REPLICAS_FOR_LOAD"].run(694.44, 100, 0.2, 1)
    assert outcome.value == 10 and not outcome.error
    assert any(step.info.equation == "n = ⌈λ / (μ · (1 − h))⌉ + s" for step in outcome.step.walk())
    failed = REGISTRY["REPLICAS_FOR_LOAD"].run(1, 0)
    assert str(failed.value).startswith("#VALUE!") and "per_replica" in failed.error
    assert REGISTRY["PEAK_REQUESTS_PER_S"].run(1_000_000, 20, 3).value == pytest.approx(694.444, rel=1e-5)
