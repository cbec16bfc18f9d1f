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

import json
import os
import sys
from pathlib import Path

import numpy as np

import xlcompute
import pytest

from xlcompute import udfs as xlc_udfs
from xlcompute.excel import OFFICE_JS_RANGE
from xlwings_harness import MISSING, NA, call_like_com, com_udfs, fake_excel_engine, import_functions

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
    out = call_like_com(module.TRAIN_FLOPS, ((1e9,), (-5.0,), ("abc",), (None,), (True,)), 1e12)
    assert out[0][0] == pytest.approx(6e21)
    assert out[1][0] == "#VALUE! params: must be greater than 0, found -5."
    assert out[2][0] == "#VALUE! params: expected a number, found the text 'abc'."
    assert out[3][0] == "#VALUE! params: required, found an empty cell."
    assert out[4][0] == "#VALUE! params: expected a number, found the boolean True."


def test_error_cells_pass_through(com):
    _, module = com
    assert call_like_com(module.TRAIN_FLOPS, NA, 1e12) == "#N/A params: the input is the error value #N/A."
    out = call_like_com(module.TRAIN_FLOPS, ((1e9,), (NA,)), 1e12)
    assert out[0][0] == pytest.approx(6e21) and out[1][0].startswith("#N/A params")


def test_mismatched_ranges_give_one_error(com):
    _, module = com
    out = call_like_com(module.TRAIN_FLOPS, ((1e9,), (2e9,)), ((1e12,), (1e12,), (1e12,)))
    assert out == ("#VALUE! TRAIN_FLOPS: ranges must have the same shape (or be one row and one column), "
                   "found params 2x1, tokens 3x1.")


def test_office_js_converter_options_give_the_same_results():
    """Lite/Server read ranges with xlwings' numpy converter (empty -> NaN, errors -> text)."""
    from xlwings import conversion

    with fake_excel_engine():
        def read(value):
            return conversion.read(None, value, OFFICE_JS_RANGE)

        single = read(7e9)
        assert single.shape == (1, 1)
        assert xlc_udfs.TRAIN_FLOPS(single, read(2e12)) == pytest.approx(8.4e22)
        out = xlc_udfs.TRAIN_FLOPS(read([[1e9], [None], [NA], [2e9]]), read(1e12), read([[None], [8.0], [6.0], [None]]))
        assert out[0][0] == pytest.approx(6e21)
        assert out[1][0] == "#VALUE! params: required, found an empty cell."
        assert out[2][0].startswith("#N/A params")
        assert out[3][0] == pytest.approx(1.2e22)
        assert conversion.write(out, None, {})[2][0].startswith("#N/A")


def test_text_ranges_tables_and_grids_through_the_converters(com):
    _, module = com
    out = call_like_com(module.GPUS_NEEDED, (("llama-3.1-8b",), ("llama-3.1-70b",), ("nope",)), "h100-sxm")
    # 70B bf16: 141 GB of weights + KV + activations fit in 2 x 0.95 x 80 GiB (test_udfs.test_infer_memory_and_gpus_needed)
    assert out[0] == (1,) and out[1] == (2,) and out[2][0].startswith("#VALUE! model: unknown model 'nope'")
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
