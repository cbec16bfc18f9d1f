"""Serving engines as an input: each engine's efficiencies, memory reservation and error band.

TensorRT-LLM, vLLM, SGLang, llama.cpp (and MLC, which we group with it) and plain Hugging Face
Transformers reach different shares of the same GPU: compiled graphs and fused kernels against
eager PyTorch, different schedulers and different shares of memory for the KV pool. The
constants live in ``serving_engines.csv`` beside this module, one row per engine per setting
with its basis ("fitted" on that engine's published measurements by
:func:`xlcompute.validation.serving.fit_engine`, or "documented" engine defaults such as vLLM's
``gpu_memory_utilization`` 0.9) and its source. Settings an engine does not list are the
TensorRT-LLM fit (:data:`xlcompute.core.efficiency.DEFAULT_SERVING_EFFICIENCY`).

An engine may carry figures of its own for one GPU vendor, fitted on that vendor's data: the
row key ``vllm@amd`` holds vLLM on AMD Instinct (ROCm), used whenever vLLM runs on an AMD GPU.

Error band: ``band_low`` and ``band_high`` are the 10th and 90th percentiles of the engine's
out-of-source speed ratios (measured / predicted, each source predicted by a fit without it),
each source weighted equally and the levels corrected for the sample's size
(``xlcompute.validation.serving.source_balanced_band``), so an 80% band is meant to hold 80%
of measurements from a source the fit has not seen.
Standard library only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .efficiency import DEFAULT_SERVING_EFFICIENCY, ServingEfficiency
from .errors import XlcomputeError

ENGINES_CSV = Path(__file__).resolve().parent / "serving_engines.csv"
#: Names people write for each engine.
ALIASES = {
    "tensorrt-llm": ("tensorrt-llm", "tensorrt_llm", "trt-llm", "trtllm", "tensorrt", "trt"),
    "vllm": ("vllm",),
    "sglang": ("sglang",),
    "llama.cpp": ("llama.cpp", "llamacpp", "llama-cpp", "ggml", "mlc", "mlc-llm", "mlc_llm", "ollama"),
    "transformers": ("transformers", "hf", "huggingface", "hf-transformers", "pytorch"),
}
_EFFICIENCY_FIELDS = {f.name for f in fields(ServingEfficiency)}


@dataclass(frozen=True)
class ServingEngine:
    """One serving engine: its efficiency settings, its 80% band and where the numbers come from."""

    id: str
    name: str
    efficiency: ServingEfficiency
    band_low: float  # 10th percentile of measured/predicted speed, out of source [-]
    band_high: float  # 90th percentile [-]
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "efficiency": self.efficiency.to_dict(),
                "band_low": self.band_low, "band_high": self.band_high, "sources": list(self.sources)}


def _load() -> dict[str, ServingEngine]:
    try:
        with ENGINES_CSV.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:  # pragma: no cover - packaging error
        raise XlcomputeError(f"serving engines: cannot read {ENGINES_CSV} ({exc}).") from exc
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = table.setdefault(row["engine"], {"changes": {}, "name": row["engine"], "band": [0.8, 1.25],
                                                 "sources": []})
        setting, value = row["setting"], row["value"]
        if setting == "name":
            entry["name"] = value
        elif setting in ("band_low", "band_high"):
            entry["band"][setting == "band_high"] = float(value)
        elif setting in _EFFICIENCY_FIELDS:
            number = float(value)
            entry["changes"][setting] = int(number) if setting in ("gpus_per_node", "max_batch") else number
        else:
            raise XlcomputeError(f"{ENGINES_CSV.name}: engine {row['engine']}: unknown setting {setting!r}.")
        if row["source"] and row["source"] not in entry["sources"]:
            entry["sources"].append(row["source"])
    return {key: ServingEngine(key, e["name"], DEFAULT_SERVING_EFFICIENCY.with_changes(**e["changes"]),
                               e["band"][0], e["band"][1], tuple(e["sources"])) for key, e in table.items()}


#: The engines, by id.
ENGINES: dict[str, ServingEngine] = _load()


def engine_id(name: Any) -> str:
    """The engine id for a name or alias ("TRT-LLM" -> "tensorrt-llm"); raises for an unknown engine."""
    key = str(name or "").strip().lower()
    for engine, names in ALIASES.items():
        if key in names:
            return engine
    raise XlcomputeError(f"engine: unknown serving engine {name!r}; expected one of {', '.join(ALIASES)}.",
                         argument="engine")


def engine_key(engine: str, vendor: str = "") -> str:
    """The table key of ``engine`` on a ``vendor``'s GPU: ``vllm@amd`` where that has figures of its own."""
    qualified = f"{engine}@{str(vendor).strip().lower()}"
    return qualified if qualified in ENGINES else engine


def get_engine(name: Any, vendor: str = "") -> ServingEngine:
    """The :class:`ServingEngine` called ``name`` (any alias, or a table key such as ``vllm@amd``), with its
    figures for ``vendor``'s GPUs if it has them."""
    key = str(name or "").strip().lower()
    return ENGINES[key] if key in ENGINES and "@" in key else ENGINES[engine_key(engine_id(name), vendor)]


def default_engine_id(vendor: str) -> str:
    """TensorRT-LLM on NVIDIA (NVIDIA's own engine, the one its published tables use); vLLM elsewhere
    (AMD publishes its MI300X figures with vLLM; TensorRT-LLM does not run there)."""
    return "tensorrt-llm" if str(vendor).strip().lower() == "nvidia" else "vllm"


__all__ = ["ALIASES", "ENGINES", "ENGINES_CSV", "ServingEngine", "default_engine_id", "engine_id", "engine_key",
           "get_engine"]
