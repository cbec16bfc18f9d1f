"""The core and catalog run unchanged in a real Pyodide (the Python of xlwings Lite), offline.

tests/pyodide_check.mjs loads Pyodide in Node.js, copies in only xlcompute/__init__.py,
xlcompute/core and xlcompute/catalog, and runs tests/pyodide_probe.py's probe(); here the same
probe runs in CPython and the two must agree. Needs `node` and the npm package `pyodide` in
$XLCOMPUTE_PYODIDE_DIR or build/pyodide/node_modules/pyodide (.ci/run installs it there);
skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, published_row
from xlcompute.catalog import CATALOG_DIR_ENV, PRICES_ENV
from tests.pyodide_probe import probe

pytestmark = pytest.mark.pyodide

PYODIDE_DIR_ENV = "XLCOMPUTE_PYODIDE_DIR"
DEFAULT_PYODIDE_DIR = REPO / "build" / "pyodide" / "node_modules" / "pyodide"
CHECK_SCRIPT = REPO / "tests" / "pyodide_check.mjs"
RESULT_PREFIX = "XLCOMPUTE_PYODIDE_RESULT "
REL_TOL = 1e-12  # WebAssembly libm may differ from the host's in the last bit


def pyodide_dir() -> Path:
    return Path(os.environ.get(PYODIDE_DIR_ENV) or DEFAULT_PYODIDE_DIR)


@pytest.fixture(scope="module")
def pyodide_result() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Pyodide check needs Node.js (`node` is not on PATH)")
    where = pyodide_dir()
    missing = [name for name in ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip") if not (where / name).is_file()]
    if missing:
        pytest.skip(f"Pyodide check needs the npm package `pyodide` in {where} (missing {', '.join(missing)}); "
                    f"install it with `npm install --prefix build/pyodide pyodide@VERSION` (VERSION as pinned "
                    f"in .ci/run) or set {PYODIDE_DIR_ENV}")
    run = subprocess.run([node, str(CHECK_SCRIPT), str(where), str(REPO)], capture_output=True, text=True,
                         timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert run.returncode == 0 and len(lines) == 1, (
        f"pyodide_check.mjs failed (exit {run.returncode}):\n{run.stderr[-4000:]}\n{run.stdout[-2000:]}")
    return json.loads(lines[0][len(RESULT_PREFIX):])


@pytest.fixture(scope="module")
def cpython_probe() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(PRICES_ENV, raising=False)  # Pyodide sees no user prices file either
        mp.delenv(CATALOG_DIR_ENV, raising=False)  # nor a user catalog directory
        return json.loads(json.dumps(probe()))  # same JSON round trip as the Pyodide side


def differences(ours: Any, theirs: Any, path: str = "probe") -> list[str]:
    """Where two JSON values differ; floats may differ by REL_TOL."""
    if isinstance(ours, float) or isinstance(theirs, float):
        if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)) and \
                math.isclose(ours, theirs, rel_tol=REL_TOL):
            return []
        return [f"{path}: CPython {ours!r}, Pyodide {theirs!r}"]
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if ours.keys() != theirs.keys():
            return [f"{path}: keys {sorted(ours)} vs {sorted(theirs)}"]
        return [d for key in ours for d in differences(ours[key], theirs[key], f"{path}.{key}")]
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [d for i, (a, b) in enumerate(zip(ours, theirs)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if ours == theirs else [f"{path}: CPython {ours!r}, Pyodide {theirs!r}"]


def test_pyodide_runs_a_supported_python(pyodide_result):
    major, minor = (int(part) for part in pyodide_result["python"].split(".")[:2])
    assert (major, minor) >= (3, 11), pyodide_result  # pyproject: requires-python >= 3.11


def test_core_and_catalog_agree_with_cpython(pyodide_result, cpython_probe):
    found = differences(cpython_probe, pyodide_result["probe"])
    assert not found, f"Pyodide {pyodide_result['pyodide']} differs from CPython:\n" + "\n".join(found)


def test_every_core_and_catalog_module_imports_in_pyodide(pyodide_result):
    modules = pyodide_result["probe"]["modules"]
    assert {"xlcompute.core.formula", "xlcompute.core.training", "xlcompute.catalog.models"} <= set(modules)
    assert all(m.startswith(("xlcompute.core", "xlcompute.catalog")) for m in modules)


def test_pyodide_values_match_published_numbers(pyodide_result):
    values = pyodide_result["probe"]
    # published.json models "Llama-3-70B": parameter count derived from the HF config
    # (Llama 3.1 70B has the same shape).
    assert values["params_total_llama_3.1_70b"] == published_row("models", "Llama-3-70B")["derived_params_from_config"]
    # published.json gpus "NVIDIA H100 SXM5 80GB": 989.5 TFLOPS dense BF16 (NVIDIA H100 page).
    h100 = published_row("gpus", "NVIDIA H100 SXM5 80GB")
    assert values["h100_sxm_bf16_peak_flops"] == pytest.approx(h100["bf16_dense"] * 1e12, rel=1e-12)
    # Llama 3.1 8B, 8192 tokens, bf16: 2 · 32 layers · 8 KV heads · 128 · 2 B · 8192 = 1 GiB.
    assert values["kv_cache_bytes_llama_3.1_8b_8k"] == 2 * 32 * 8 * 128 * 2 * 8192
    assert values["train_flops_70b_1.4t"] == pytest.approx(6 * 70e9 * 1.4e12, rel=1e-12)  # C = 6·P·T


def test_numpy_for_the_excel_functions(pyodide_result):
    """xlcompute/udfs.py needs numpy, a Pyodide-built package: checked only when its wheel is local."""
    if pyodide_result["numpy"].startswith("not shipped"):
        pytest.skip("numpy is not in the npm package `pyodide` (Pyodide fetches it from its CDN), so "
                    "xlcompute/udfs.py is not checked in Pyodide offline; point "
                    f"{PYODIDE_DIR_ENV} at a full Pyodide distribution to load numpy")
    major = int(pyodide_result["numpy"].split(".")[0])
    assert major >= 1, pyodide_result["numpy"]
