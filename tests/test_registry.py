"""The Excel function registry: one declaration per function, read by every face."""

from __future__ import annotations

import inspect

import pytest

from xlcompute import udfs
from xlcompute.functions import REGISTRY, Argument, is_error
from xlcompute.functions.spec import ExcelFunction, excel_function


def test_every_function_declares_every_argument_once():
    for name, fn in REGISTRY.items():
        assert fn.name == name and fn.description
        assert [a.name for a in fn.arguments] == list(inspect.signature(fn.implementation).parameters)
        assert all(a.description for a in fn.arguments), name
        assert fn.returns in ("number", "text", "table")


def test_the_xlwings_functions_are_generated_from_the_registry():
    """Same names, signatures and docs: the adapter repeats nothing by hand."""
    assert set(udfs.FUNCTIONS) == set(REGISTRY)
    for name, udf in udfs.FUNCTIONS.items():
        assert inspect.signature(udf) == REGISTRY[name].signature
        assert udf.__doc__ == REGISTRY[name].description


def test_a_mismatch_between_declaration_and_signature_is_refused():
    def implementation(a, b=1):
        """Two arguments."""
        return a + b

    with pytest.raises(TypeError, match="do not match"):
        ExcelFunction("BROKEN", implementation, "x", (Argument("a", "first"),))


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        excel_function("TRAIN_FLOPS", [Argument("x", "x")])(lambda x: x)


def test_core_errors_name_the_excel_argument():
    """`num_gpus` in the core is `gpus` in TRAIN_DAYS; `batch` in the serving model is `concurrent_requests`."""
    out = REGISTRY["TRAIN_DAYS"](1e23, 0, "h100-sxm")
    assert is_error(out) and out.startswith("#VALUE! gpus:")
    out = REGISTRY["GPUS_NEEDED"]("llama-3.1-8b", "h100-sxm", "bf16", 4096, -1)
    assert is_error(out) and out.startswith("#VALUE! concurrent_requests:")


def test_run_returns_the_value_its_breakdown_and_the_catalog_rows_used():
    """TRAIN_COST on an H100 with blank MFU and price: one call gives the number, the steps and the sources."""
    outcome = REGISTRY["TRAIN_COST"].run(1e23, "h100-sxm")
    assert outcome.value == REGISTRY["TRAIN_COST"](1e23, "h100-sxm")
    assert outcome.error == ""
    names = [s.name for s in outcome.step.walk()]
    assert "gpu_hours" in names and "train_cost" in names
    resolved = {r.name: r for r in outcome.resolved}
    assert resolved["gpu"].value == "h100-sxm" and resolved["gpu"].date
    assert resolved["price"].value > 0 and resolved["price"].date and resolved["price"].source
    assert 0 < resolved["mfu"].value < 1 and "hopper" in resolved["mfu"].source


def test_run_of_a_failing_call_keeps_the_error_and_no_breakdown():
    outcome = REGISTRY["TRAIN_COST"].run(1e23, "h10")
    assert outcome.error.startswith("#VALUE! gpu: unknown gpu 'h10'")
    assert outcome.step is None and outcome.value == outcome.error


def test_given_values_are_not_reported_as_resolved():
    """An MFU and a price typed into the sheet are the user's, not a catalog row."""
    outcome = REGISTRY["TRAIN_COST"].run(1e23, "h100-sxm", 2.5, None, None, 0.45)
    assert {r.name for r in outcome.resolved} == {"gpu"}
    assert outcome.value == pytest.approx(1e23 / (989.4e12 * 0.45) / 3600 * 2.5, rel=1e-3)
