"""TYPICAL_MFU and SPEED_BAND: the low/base/high values a workbook's range is built from come
from the same fitted regimes and engine bands the estimates use (docs/validation.md)."""

from __future__ import annotations

import pytest

from xlcompute.core.serving_engines import get_engine
from xlcompute.core.training_efficiency import training_mfu
from xlcompute.functions import REGISTRY
from xlcompute.scenario.setups import training_attention_share


def test_typical_mfu_is_the_regime_fit_with_its_band():
    values = {case: REGISTRY["TYPICAL_MFU"].run("h100-sxm", "bf16", "llama-3.1-70b", 1024, case) for case in
              ("low", "base", "high")}
    fitted = training_mfu("hopper", "bf16", False, 1024, training_attention_share("llama-3.1-70b"))
    assert [values[c].value for c in ("low", "base", "high")] == [fitted.low, fitted.base, fitted.high]
    assert 0 < fitted.low < fitted.base < fitted.high < 1
    assert any("typical training MFU of regime" in r.source for r in values["low"].resolved)  # cited in the PDF


def test_speed_band_is_the_engines_held_out_band():
    engine = get_engine("tensorrt-llm", "nvidia")
    assert REGISTRY["SPEED_BAND"].run("h100-sxm", None, "low").value == engine.band_low
    assert REGISTRY["SPEED_BAND"].run("h100-sxm", None, "high").value == engine.band_high
    assert REGISTRY["SPEED_BAND"].run("h100-sxm", None, "base").value == 1.0
    assert engine.band_low < 1 < engine.band_high
    vllm = get_engine("vllm", "amd")
    assert REGISTRY["SPEED_BAND"].run("mi300x", None, "low").value == vllm.band_low  # vLLM is AMD's default


@pytest.mark.parametrize("function", ["TYPICAL_MFU", "SPEED_BAND"])
def test_an_unknown_case_is_an_excel_error_naming_the_choices(function):
    outcome = REGISTRY[function].run("h100-sxm", None, None, None, "worst") if function == "TYPICAL_MFU" else \
        REGISTRY[function].run("h100-sxm", None, "worst")
    assert str(outcome.value).startswith("#VALUE!") and "low" in outcome.error and "high" in outcome.error
