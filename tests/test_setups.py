"""Setups: ids, prices, precisions and defaults resolved once, with what was resolved recorded."""

from __future__ import annotations

import pytest

from xlcompute import catalog
from xlcompute.core.efficiency import training_mfu
from xlcompute.scenario.setups import recording, serving_setup, training_setup


def test_training_setup_defaults_mfu_by_generation_and_records_it():
    with recording() as resolved:
        s = training_setup("a100-80gb")
    assert s.mfu == training_mfu("ampere").base
    assert s.peak_flops == pytest.approx(312e12)  # A100 dense bf16, NVIDIA A100 datasheet
    assert [r.name for r in resolved] == ["gpu", "mfu"]
    assert s.usd_per_gpu_hour is None  # not priced unless asked


def test_training_setup_prices_from_the_catalog_median_or_a_provider():
    median = training_setup("h100-sxm", priced=True).usd_per_gpu_hour
    assert median == catalog.get_price("h100-sxm").usd_per_gpu_hour
    quotes = catalog.list_prices("h100-sxm")
    provider = next(p.provider for p in quotes if p.pricing == "on_demand")
    with recording() as resolved:
        chosen = training_setup("h100-sxm", priced=True, provider=provider).usd_per_gpu_hour
    assert chosen == catalog.get_price("h100-sxm", provider).usd_per_gpu_hour
    price = next(r for r in resolved if r.name == "price")
    assert provider in price.source and price.date


def test_given_price_and_mfu_win_and_are_not_recorded():
    with recording() as resolved:
        s = training_setup("h100-sxm", 0.5, priced=True, usd_per_gpu_hour=2.0)
    assert (s.mfu, s.usd_per_gpu_hour) == (0.5, 2.0)
    assert [r.name for r in resolved] == ["gpu"]


@pytest.mark.parametrize("weights, kv", [("bf16", "bf16"), ("fp8", "fp8"), ("fp16", "fp16"), ("int4", "bf16"),
                                         ("fp4", "fp8")])
def test_serving_setup_kv_precision_follows_the_weights(weights, kv):
    with recording() as resolved:
        s = serving_setup("llama-3.1-8b", "b200", weights)
    assert s.kv_precision == kv
    assert {r.name for r in resolved} == {"model", "gpu", "kv_precision", "engine"}


def test_recording_is_scoped_and_outside_it_nothing_is_kept():
    training_setup("h100-sxm")  # outside any recording: no error, nothing collected
    with recording() as outer:
        with recording() as inner:
            training_setup("h100-sxm")
        assert outer == [] and len(inner) == 2
