"""Failures are Excel error values, cell values are taken as Excel has them, and the cost
functions share one argument order with the pricing choices the catalog really has."""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal

import pytest

from xlcompute import catalog, udfs
from xlcompute.functions.excel_values import ExcelError

F = udfs.FUNCTIONS


def test_an_error_is_text_with_its_code_and_message():
    import pickle

    out = F["TRAIN_FLOPS"](7e9, -5)
    assert isinstance(out, ExcelError) and out.code == "#VALUE!"
    assert out.message == "tokens: must be greater than 0, found -5."
    assert out == "#VALUE! tokens: must be greater than 0, found -5." and udfs.is_error(out)
    assert pickle.loads(pickle.dumps(out)) == out and pickle.loads(pickle.dumps(out)).message == out.message
    assert F["TRAIN_FLOPS"](7e9, 1e300 * 1e10).code == "#VALUE!"  # infinity: a bad input, not a crash
    assert F["KV_CACHE_GB"]("llama-3.1-8b", "#DIV/0!").code == "#DIV/0!"
    with pytest.raises(ValueError):
        ExcelError("#OOPS!", "not a code")


def test_cell_values_as_excel_has_them():
    """Currency cells (Decimal), dates (serial numbers) and TRUE/FALSE (1/0 where a number is expected)."""
    assert F["TRAIN_FLOPS"](Decimal("7E+9"), 2e12) == F["TRAIN_FLOPS"](7e9, 2e12)
    assert F["TRAIN_FLOPS"]([[Decimal("7E+9")], [Decimal("8E+9")]], 2e12) == [(8.4e22,), (9.6e22,)]
    assert F["TRAIN_COST"](1e23, "h100-sxm", Decimal("2.50")) == F["TRAIN_COST"](1e23, "h100-sxm", 2.5)
    # 2024-01-01 is Excel's day 45292; noon is half a day
    assert F["TRAIN_FLOPS"](1, dt.date(2024, 1, 1), 1) == 45292
    assert F["TRAIN_FLOPS"](1, dt.datetime(2024, 1, 1, 12), 1) == 45292.5
    assert F["TRAIN_FLOPS"](1, dt.time(18), 1) == 0.75
    assert F["TRAIN_DAYS"](1e24, True, "h100-sxm") == F["TRAIN_DAYS"](1e24, 1, "h100-sxm")
    assert F["TRAIN_FLOPS"](7e9, False).startswith("#VALUE! tokens: must be greater than 0")
    # a text argument does not take TRUE as a number: TRUE is no precision of 1 bit per weight
    assert F["WEIGHTS_GB"]("llama-3.1-8b", True).startswith("#VALUE! precision: unknown precision 'True'")
    # a TRUE/FALSE argument keeps them
    assert F["ACTIVATION_GB"]("llama-3.1-70b", 4096, 1, "none", 8, True) < F["ACTIVATION_GB"](
        "llama-3.1-70b", 4096, 1, "none", 8, False)


def test_cost_functions_take_the_price_in_one_place():
    """(..., gpu, usd_per_gpu_hour, provider, pricing, then the speed function's arguments)."""
    def names(name):
        return list(inspect.signature(F[name]).parameters)

    for name in ("TRAIN_COST", "COST_PER_MTOK", "COST_PER_REQUEST"):
        assert names(name)[1:5] == ["gpu", "usd_per_gpu_hour", "provider", "pricing"], name
    assert names("GPU_PRICE") == ["gpu", "provider", "pricing", "currency", "exchange_rate"]
    assert names("TRAIN_COST")[5:] == names("TRAIN_GPU_HOURS")[2:]
    assert names("COST_PER_MTOK")[5:] == names("TOKENS_PER_S")[2:]
    assert names("COST_PER_REQUEST")[5] == names("INFER_FLOPS")[1] == "tokens"


@pytest.mark.parametrize("call", [
    lambda: F["TRAIN_COST"](1e23, "h100-sxm", 2.5, 0.4),                         # was (flops, gpu, price, mfu)
    lambda: F["TRAIN_COST"](1e23, "h100-sxm", None, 0.4, "fp8"),                 # was (..., price, mfu, precision)
    lambda: F["COST_PER_MTOK"]("llama-3.1-8b", "h100-sxm", 1, "fp8"),            # was (..., gpus, precision)
    lambda: F["COST_PER_MTOK"]("llama-3.1-8b", "h100-sxm", 4, None, 1024, 256),  # was (..., gpus, precision, in, out)
    lambda: F["COST_PER_REQUEST"]("llama-3.1-8b", "h100-sxm", 2000, 2.5),        # was (..., io_tokens, price)
])
def test_calls_in_the_order_before_the_price_moved_fail_loudly(call):
    """A number or a precision where provider or pricing now sit is an error, even with a price
    typed (when neither is used): an old workbook must not change its quotes silently."""
    out = call()
    assert out.code == "#VALUE!" and "take the price third, then provider and pricing" in out.message
    assert out.message.startswith(("provider: ", "pricing: "))


def test_pricing_choices_are_the_ones_the_catalog_quotes(monkeypatch):
    from xlcompute.catalog.prices import PRICES_ENV, shipped_pricing_models
    from xlcompute.functions.arguments import PRICING

    monkeypatch.delenv(PRICES_ENV, raising=False)
    quoted = {p.pricing for p in catalog.list_prices()}
    assert set(shipped_pricing_models()) == quoted
    listed = PRICING.description.split(": ", 1)[1].split(" [")[0].split(", ")
    assert set(listed) == quoted  # reserved_1y appears only since the catalog quotes reserved rows
    for pricing in listed:  # each choice prices at least one GPU
        assert any(not udfs.is_error(F["GPU_PRICE"](gpu, None, pricing)) for gpu in catalog.gpu_ids()), pricing


def test_a_failing_cell_is_an_error_to_sum_iserror_and_iferror(tmp_path):
    """In a quoting sheet a failed line must not vanish from a total: SUM over it is an error,
    ISERROR sees it, and the message stays readable (evaluated through ``evaluate()`` only)."""
    from openpyxl import Workbook

    from xlcompute.workbook.evaluate import evaluate

    wb = Workbook()
    ws = wb.active
    ws.title = "Quote"
    ws["A1"] = 100
    ws["A2"] = '=TRAIN_COST(1E+23,"h100-sxn",2.5)'  # a typo in the GPU id
    ws["A3"] = '=TRAIN_COST(1E+23,"h100-sxm",2.5)'
    ws["B1"] = "=SUM(A1:A3)"
    ws["B2"] = "=ISERROR(A2)"
    ws["B3"] = "=ISERROR(A3)"
    ws["B4"] = "=IFERROR(A2,-1)"
    ws["B5"] = "=A1+A2"
    ws["C1"] = '=SUM(TRAIN_FLOPS(D1:D3,1E+12))'  # an element of a range fails
    for row, params in enumerate((7e9, -1, 8e9), start=1):
        ws.cell(row, 4, params)
    wb.save(tmp_path / "quote.xlsx")

    ev = evaluate(tmp_path / "quote.xlsx")
    value = {cell: ev.values[("Quote", cell)] for cell in ("A2", "A3", "B1", "B2", "B3", "B4", "B5", "C1")}
    assert udfs.is_error(value["B1"]) and udfs.is_error(value["B5"]) and udfs.is_error(value["C1"])
    assert value["B2"] is True and value["B3"] is False and value["B4"] == -1
    assert value["A3"] == pytest.approx(F["TRAIN_COST"](1e23, "h100-sxm", 2.5))
    messages = {(issue.sheet, issue.cell): issue.message for issue in ev.issues}
    assert "gpu: unknown gpu 'h100-sxn'" in messages[("Quote", "A2")]
    assert "params: must be greater than 0" in messages[("Quote", "C1")]
