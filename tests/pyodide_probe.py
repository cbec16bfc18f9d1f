"""Values that the Pyodide check computes in both interpreters and compares.

Run by ``tests/test_pyodide.py`` in CPython and by ``tests/pyodide_check.mjs`` inside Pyodide
(where only ``xlcompute/__init__.py``, ``xlcompute/core`` and ``xlcompute/catalog`` are copied in),
so both sides run the very same calls. Standard library only, like the code it probes.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

# The layers promised to run in xlwings Lite's Pyodide without third-party packages.
PYODIDE_PACKAGES = ("xlcompute.core", "xlcompute.catalog")


def import_all() -> list[str]:
    """Import every module of the Pyodide-safe packages; their sorted names."""
    names = []
    for package_name in PYODIDE_PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for module in pkgutil.iter_modules(package.__path__, package_name + "."):
            importlib.import_module(module.name)
            names.append(module.name)
    return sorted(names)


def probe() -> dict[str, Any]:
    """A few formula, catalog and breakdown results, JSON-ready."""
    from xlcompute.catalog import get_gpu, get_model, get_price
    from xlcompute.core import XlcomputeError, explain, kv_cache_bytes, params_total, train_flops

    llama_8b = get_model("llama-3.1-8b").arch
    try:
        get_model("llama-9-zzz")
        unknown_model_error = None
    except XlcomputeError as exc:  # the did-you-mean message uses difflib and the catalog index
        unknown_model_error = str(exc)
    return {
        "modules": import_all(),
        "train_flops_70b_1.4t": train_flops(70e9, 1.4e12),
        "params_total_llama_3.1_70b": params_total(get_model("llama-3.1-70b").arch),
        "kv_cache_bytes_llama_3.1_8b_8k": kv_cache_bytes(llama_8b, 8192),
        "h100_sxm_bf16_peak_flops": get_gpu("h100-sxm").peak_flops("bf16"),
        "h100_sxm_usd_per_gpu_hour": get_price("h100-sxm").usd_per_gpu_hour,
        "explain_kv_cache_bytes": explain(kv_cache_bytes, llama_8b, 8192).to_dict(),
        "explain_train_flops": explain(train_flops, 70e9, 1.4e12).to_dict(),
        "unknown_model_error": unknown_model_error,
    }
