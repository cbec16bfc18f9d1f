"""xlwings' real COM registration and conversion code, run on Linux against xlcompute.udfs.

How: stub the three pywin32 modules so that
``xlwings.udfs`` imports, swap ``xw.func/arg/ret`` for its COM decorators, reload
``xlcompute.udfs`` (decorators bind at import) and then

- compare the ``__xlfunc__`` metadata of every function with ``tests/golden/udf_registration.json``;
- run the real ``xlwings.udfs.import_udfs`` ("Import Functions" in the ribbon) against a fake
  workbook that captures the VBA module it imports and the ``MacroOptions`` calls that put the
  descriptions and the category into Excel's function wizard; compare with
  ``tests/golden/xlwings_udfs.bas``;
- pass COM-style arguments (floats, tuples of rows, None for empty cells, the "missing" marker,
  error codes) through ``xlwings.conversion.read`` / ``write`` with a fake "excel" engine, as
  ``xlwings.udfs.call_udf`` does for every call.

Everything is undone afterwards (monkeypatch, then a plain reload), so other tests see the
module with the do-nothing decorators. Regenerate the goldens with
``XLCOMPUTE_UPDATE_GOLDEN=1 pytest tests/test_udf_registration.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import types
from decimal import Decimal
from pathlib import Path

import numpy as np

import xlcompute
import pytest

from xlcompute import catalog, udfs as xlc_udfs
from xlcompute.core.errors import XlcomputeError
from xlcompute.excel import OFFICE_JS_RANGE, xlwings_functions
from xlwings_harness import (MISSING, NA, FakeRange, call_like_com, com_udfs, fake_excel_engine, import_functions,
                             is_error_variant)

#: COM's codes of #VALUE! and #DIV/0! (xlwings._xlwindows.cell_errors)
VALUE, DIV0 = -2146826273, -2146826281

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("XLCOMPUTE_UPDATE_GOLDEN") == "1"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stubs pywin32; on Windows use the real add-in")


@pytest.fixture(scope="module")
def com():
    """``(xlwings.udfs, xlcompute.udfs)`` with the COM decorators applied; undone afterwards."""
    with com_udfs("xlcompute.udfs") as pair:
        yield pair
    assert not hasattr(xlc_udfs.TRAIN_FLOPS, "__xlfunc__"), "COM registration leaked out of this module"


def _plain(value):
    """JSON form of converter options (``np.array`` -> ``"numpy.array"``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if value is np.array:
        return "numpy.array"
    if isinstance(value, type):
        return value.__name__
    return value


def _metadata(module) -> dict:
    functions = {}
    for name, fn in sorted(module.FUNCTIONS.items()):
        info = fn.__xlfunc__
        functions[name] = {
            "category": info["category"],
            "volatile": info["volatile"],
            "call_in_wizard": info["call_in_wizard"],
            "async_mode": info["async_mode"],
            "doc": info["ret"]["doc"],
            "ret_options": _plain(info["ret"]["options"]),
            "args": [
                {"name": a["name"], "doc": a["doc"], "vararg": a["vararg"], "options": _plain(a["options"]),
                 **({"optional": a["optional"]} if "optional" in a else {})}
                for a in info["args"]
            ],
        }
    return functions


def _check_golden(path: Path, text: str) -> None:
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing golden file {path}; run with XLCOMPUTE_UPDATE_GOLDEN=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs from what xlwings generates now; if the change is intended, "
        "regenerate with XLCOMPUTE_UPDATE_GOLDEN=1")


def test_registration_metadata_matches_golden(com):
    _, module = com
    metadata = {"module": "xlcompute.udfs", "functions": _metadata(module)}
    _check_golden(GOLDEN / "udf_registration.json", json.dumps(metadata, indent=1, ensure_ascii=False) + "\n")


def test_import_functions_vba_and_wizard_match_golden(com):
    xl_udfs, module = com
    vba, macro_options = import_functions(xl_udfs, module)
    _check_golden(GOLDEN / "xlwings_udfs.bas", vba)
    _check_golden(GOLDEN / "udf_macro_options.json", json.dumps(macro_options, indent=1, ensure_ascii=False) + "\n")


def test_every_function_is_registered_in_category_with_docs(com):
    xl_udfs, module = com
    vba, macro_options = import_functions(xl_udfs, module)
    registered = {m["Macro"].split("!")[1]: m for m in macro_options}
    assert set(registered) == set(module.FUNCTIONS)
    for name, fn in module.FUNCTIONS.items():
        info = fn.__xlfunc__
        assert info["category"] == "xlcompute", name
        assert f"Function {name}(" in vba
        # Excel's function wizard shows at most 255 characters per description.
        assert info["ret"]["doc"] and len(info["ret"]["doc"]) <= 255, name
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), f"{name}.{arg['name']} has no doc"
            assert len(arg["doc"]) <= 255, f"{name}.{arg['name']}"
            if arg["vba"]:  # xlwings' reserved caller: filled in by the VBA wrapper, not typed in Excel
                assert arg["name"] == "caller" and f"{arg['name']})" not in vba.split(f"Function {name}(")[1]
                continue
            if "optional" in arg:
                assert "default" in arg["doc"], f"{name}.{arg['name']}: doc must state the default"
                assert f"Optional {arg['name']}" in vba
        assert registered[name]["Category"] == "xlcompute"


# --- the converter pipeline, as xlwings.udfs.call_udf runs it for each argument and result ---


def test_scalar_cells(com):
    _, module = com
    assert call_like_com(module.TRAIN_FLOPS, 7e9, 2e12) == pytest.approx(8.4e22)
    assert call_like_com(module.TRAIN_FLOPS, 7e9, 2e12, 8.0) == pytest.approx(1.12e23)
    assert call_like_com(module.XLCOMPUTE_VERSION) == xlcompute.__version__


def test_column_gives_a_column_and_grid_broadcasts(com):
    _, module = com
    column = ((1e9,), (2e9,), (3e9,))
    assert call_like_com(module.TRAIN_FLOPS, column, ((1e12,), (1e12,), (2e12,))) == [(6e21,), (1.2e22,), (3.6e22,)]
    # one column of sizes x one row of token budgets -> a 3x2 grid, one call
    grid = call_like_com(module.TRAIN_FLOPS, column, ((1e12, 2e12),))
    assert np.allclose(grid, [[6e21, 1.2e22], [1.2e22, 2.4e22], [1.8e22, 3.6e22]])


def test_two_d_range_and_row(com):
    _, module = com
    out = call_like_com(module.TRAIN_FLOPS, ((1e9, 2e9), (3e9, 4e9)), 1e12)
    assert np.allclose(out, [[6e21, 1.2e22], [1.8e22, 2.4e22]])
    assert call_like_com(module.TRAIN_FLOPS, ((1e9, 2e9),), 1e12) == [(6e21, 1.2e22)]


def test_omitted_and_empty_optionals_take_the_default(com):
    _, module = com
    expected = pytest.approx(8.4e22)
    assert call_like_com(module.TRAIN_FLOPS, 7e9, 2e12, MISSING) == expected  # omitted in the formula
    assert call_like_com(module.TRAIN_FLOPS, 7e9, 2e12, None) == expected  # empty cell
    assert call_like_com(module.TRAIN_FLOPS, 7e9, 2e12, "") == expected
    # empty cells inside a range of the optional argument
    assert call_like_com(module.TRAIN_FLOPS, ((1e9,), (1e9,)), 1e12, ((None,), (8.0,))) == [(6e21,), (8e21,)]


def test_bad_element_carries_its_own_error(com):
    _, module = com
    top = FakeRange(3, 2)  # the formula sits in B3 and spills down
    out = call_like_com(module.TRAIN_FLOPS, ((1e9,), (-5.0,), ("abc",), (None,), (True,)), 1e12, caller=top)
    assert out[0][0] == pytest.approx(6e21) and out[4][0] == 6e12  # TRUE counts as 1, as in Excel's arithmetic
    assert all(is_error_variant(row[0], "#VALUE!") for row in out[1:4])
    # each element's message, for the cell it landed in (B4, B5 ...)
    assert [why(module, FakeRange(row, 2, VALUE)) for row in (4, 5, 6)] == [
        "#VALUE! params: must be greater than 0, found -5.",
        "#VALUE! params: expected a number, found the text 'abc'.",
        "#VALUE! params: required, found an empty cell."]


def why(module, cell):
    """What =XLCOMPUTE_ERROR(cell) shows, called as COM calls it."""
    return call_like_com(module.XLCOMPUTE_ERROR, cell)


def test_a_failure_is_a_real_error_value_and_its_message_is_readable(com):
    """Excel's ISERROR is TRUE and SUM propagates only for a real error value: the VARIANT of
    type VT_ERROR that VBA's CVErr makes (text starting with "#VALUE!" is just text)."""
    _, module = com
    c5 = FakeRange(5, 3, sheet="Quote")
    out = call_like_com(module.GPUS_NEEDED, "llama-3.1-70b", "h100-sxn", caller=c5)
    assert is_error_variant(out, "#VALUE!")
    assert why(module, FakeRange(5, 3, VALUE, sheet="Quote")).startswith(
        "#VALUE! gpu: unknown gpu 'h100-sxn'. Did you mean 'h100-sxm'")
    # the same cell fixed: no error, no message; another cell's error is not this one's
    assert why(module, FakeRange(5, 3, 2.0, sheet="Quote")) == ""
    assert why(module, FakeRange(5, 3, VALUE, sheet="Other")).startswith("#VALUE!: no xlcompute message")
    assert why(module, None).startswith("cell: expected a reference")
    # an input holding #DIV/0! gives #DIV/0! back, as Excel's own functions do
    assert is_error_variant(call_like_com(module.TRAIN_FLOPS, DIV0, 1e12), "#DIV/0!")
    # called from Python rather than by xlwings for a cell: the registry's ExcelError, as on Linux
    assert module.GPUS_NEEDED("llama-3.1-70b", "h100-sxn").startswith("#VALUE! gpu: unknown gpu")


def test_excel_cell_types_are_accepted(com):
    """Currency/Accounting cells arrive as Decimal, dates as datetime, TRUE/FALSE as bool."""
    _, module = com
    priced = call_like_com(module.TRAIN_COST, 1e23, "h100-sxm", Decimal("2.50"))
    assert priced == pytest.approx(call_like_com(module.TRAIN_COST, 1e23, "h100-sxm", 2.5), rel=1e-15)
    assert call_like_com(module.TRAIN_FLOPS, ((Decimal("7e9"),), (7e9,)), 2e12) == [(8.4e22,), (8.4e22,)]
    # a date is its serial number: 2024-01-01 is day 45292 in Excel
    assert call_like_com(module.TRAIN_FLOPS, 1.0, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)) == 6 * 45292
    # TRUE counts as 1 where a number is expected; a TRUE/FALSE argument keeps it
    assert call_like_com(module.TRAIN_DAYS, 1e23, True, "h100-sxm") == call_like_com(module.TRAIN_DAYS, 1e23, 1.0,
                                                                                     "h100-sxm")
    assert call_like_com(module.ACTIVATION_GB, "llama-3.1-8b", 4096.0, 1.0, "selective", 8.0, True) < \
        call_like_com(module.ACTIVATION_GB, "llama-3.1-8b", 4096.0, 1.0, "selective", 8.0, False)


def test_tables_hold_floats_and_short_text(com):
    """Classic Excel shows #VALUE! for a whole array holding a string over 255 characters, and
    pywin32 passes a Python int above 2**31 as a 64-bit integer."""
    _, module = com
    for gpu in catalog.gpu_ids():
        table = call_like_com(module.GPU_SPEC, gpu)
        cells = [cell for row in table for cell in row]
        assert all(len(c) <= 255 for c in cells if isinstance(c, str)), gpu
        assert not any(type(c) is int for c in cells), gpu
    full = call_like_com(module.GPU_SPEC, "h100-sxm", "source")  # one cell: the whole text
    assert len(full) > 255 and dict(call_like_com(module.GPU_SPEC, "h100-sxm"))["source"] == full[:254] + "\u2026"
    plan = call_like_com(module.PLAN, "llama-3.1-8b", 10.0, 1024.0, 256.0, None, None, "h100-sxm", "bf16", 2.0)
    assert plan[1][2] == 1.0 and type(plan[1][2]) is float and isinstance(plan[1][-1], bool)
    counts = call_like_com(module.MODEL_PARAMS, (("llama-3.1-405b",), ("deepseek-v3",)))
    assert [type(c) for (c,) in counts] == [float, float]


def test_error_cells_pass_through(com):
    _, module = com
    assert is_error_variant(call_like_com(module.TRAIN_FLOPS, NA, 1e12), "#N/A")
    out = call_like_com(module.TRAIN_FLOPS, ((1e9,), (NA,)), 1e12, caller=FakeRange(1, 1))
    assert out[0][0] == pytest.approx(6e21) and is_error_variant(out[1][0], "#N/A")
    assert why(module, FakeRange(2, 1, NA)) == "#N/A params: the input is the error value #N/A."


def test_mismatched_ranges_give_one_error(com):
    _, module = com
    out = call_like_com(module.TRAIN_FLOPS, ((1e9,), (2e9,)), ((1e12,), (1e12,), (1e12,)), caller=FakeRange(9, 9))
    assert is_error_variant(out, "#VALUE!")
    assert why(module, FakeRange(9, 9, VALUE)) == (
        "#VALUE! TRAIN_FLOPS: ranges must have the same shape (or be one row and one column), "
        "found params 2x1, tokens 3x1.")


def office_js_functions() -> dict:
    """xlcompute's functions as the adapter makes them for xlwings Lite (decorators that only mark)."""
    def marking(*args, **kwargs):
        return lambda f: f

    marking.__module__ = "xlwings.pro.udfs_officejs"
    return xlwings_functions(types.SimpleNamespace(func=marking, arg=marking, ret=marking), "xlcompute.udfs")


def test_office_js_converter_options_give_the_same_results():
    """Lite/Server read ranges with xlwings' numpy converter (empty -> NaN, errors -> text); an
    error inside a range comes back as its bare code, which xlwings writes as that error value,
    and a one-cell #VALUE! is raised, which Excel shows as #VALUE! with the message."""
    from xlwings import conversion

    lite = office_js_functions()
    with fake_excel_engine():
        def read(value):
            return conversion.read(None, value, OFFICE_JS_RANGE)

        single = read(7e9)
        assert single.shape == (1, 1)
        assert lite["TRAIN_FLOPS"](single, read(2e12)) == pytest.approx(8.4e22)
        out = lite["TRAIN_FLOPS"](read([[1e9], [None], [NA], [2e9]]), read(1e12), read([[None], [8.0], [6.0], [None]]))
        assert out[0][0] == pytest.approx(6e21)
        assert out[1][0] == "#VALUE!" and out[2][0] == "#N/A"
        assert out[3][0] == pytest.approx(1.2e22)
        with pytest.raises(XlcomputeError, match="^gpu: unknown gpu 'h100-sxn'"):
            lite["GPUS_NEEDED"](read("llama-3.1-70b"), read("h100-sxn"))
        assert lite["TRAIN_FLOPS"](read(NA), read(1e12)) == "#N/A"
        assert "XLCOMPUTE_ERROR" not in lite


def test_text_ranges_tables_and_grids_through_the_converters(com):
    _, module = com
    out = call_like_com(module.GPUS_NEEDED, (("llama-3.1-8b",), ("llama-3.1-70b",), ("nope",)), "h100-sxm",
                        caller=FakeRange(2, 4))
    # 70B bf16: 141 GB of weights + KV + activations fit in 2 x 0.95 x 80 GiB (test_udfs.test_infer_memory_and_gpus_needed)
    assert out[0] == (1,) and out[1] == (2,) and is_error_variant(out[2][0], "#VALUE!")
    assert why(module, FakeRange(4, 4, VALUE)).startswith("#VALUE! model: unknown model 'nope'")
    table = call_like_com(module.GPU_SPEC, "h100-sxm")
    assert table[0] == ["field", "value"] and ["memory_gb", 80.0] in table
    assert call_like_com(module.GPU_SPEC, "h100-sxm", "memory_gb", MISSING) == 80.0
    grid = call_like_com(module.KV_CACHE_GB, "llama-3.1-8b", ((1024.0,), (8192.0,)), ((1.0, 8.0, 32.0),))
    assert len(grid) == 2 and len(grid[0]) == 3
    assert grid[1][2] == pytest.approx(module.KV_CACHE_GB("llama-3.1-8b", 8192, 32))
    # every number arrives as a float from COM, including whole counts
    assert call_like_com(module.TRAIN_MEMORY_GB, 7.5e9, 64.0, 3.0, 16.0) == pytest.approx(1.875)
    assert call_like_com(module.TTFT_MS, "llama-3.1-8b", "h100-sxm", 2.0, "fp8", 512.0, 4.0) == pytest.approx(
        module.TTFT_MS("llama-3.1-8b", "h100-sxm", 2, "fp8", 512, 4))
