"""Re-fit the global efficiency constants of :mod:`xlcompute.core.efficiency` from the validation data.

Serving: a bounded coordinate search over a handful of physical parameters, minimising the mean
absolute log error of all serving rows, each source's rows weighted 1/sqrt(count) so that one
large table (TensorRT-LLM's 342 throughput rows) does not drown the latency measurements.
Bounds keep every parameter physical (e.g. all-reduce latency 5-25 µs, per-layer overhead
2-20 µs). Training: the MFU regime table (:func:`xlcompute.validation.training.fit_regimes`).
"""

from __future__ import annotations

import collections
import math
from typing import Any

from ..core.efficiency import DEFAULT_SERVING_EFFICIENCY, MfuRange, ServingEfficiency
from . import predict_serving
from .serving import original_rows
from .training import fit_goodput, fit_regimes, training_rows

#: Parameters the serving fit moves, with their physical bounds.
SERVING_BOUNDS: dict[str, tuple[float, float]] = {
    "flops_fraction_16bit": (0.3, 0.9),
    "flops_fraction_8bit": (0.2, 0.8),
    "bandwidth_fraction": (0.5, 0.95),
    "kv_bandwidth_fraction": (0.2, 0.95),
    "layer_overhead_s": (2e-6, 20e-6),
    "step_overhead_s": (0.0, 5e-3),
    "allreduce_latency_s": (5e-6, 25e-6),
    "link_fraction": (0.2, 0.9),
    "prefill_overhead_s": (0.0, 15e-3),
    "kv_memory_fraction": (0.8, 0.95),
}


def serving_loss(efficiency: ServingEfficiency, rows: list[dict[str, str]] | None = None) -> float:
    """Weighted mean |log(predicted/measured)|; a configuration that does not fit counts as log 20."""
    rows = rows if rows is not None else original_rows()
    counts = collections.Counter(r["source"] for r in rows)
    total = weight_sum = 0.0
    for row in rows:
        weight = 1.0 / math.sqrt(counts[row["source"]])
        predicted = predict_serving(row, efficiency)
        total += weight * (abs(math.log(predicted / float(row["measured"]))) if predicted > 0 else 3.0)
        weight_sum += weight
    return total / weight_sum


def fit_serving(start: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY, rounds: int = 3) -> tuple[ServingEfficiency, float]:
    """Coordinate search from ``start``; returns the fitted settings and their loss."""
    rows = original_rows()
    best, loss = start, serving_loss(start, rows)
    for _ in range(rounds):
        for name, (low, high) in SERVING_BOUNDS.items():
            current = getattr(best, name)
            for factor in (0.6, 0.8, 0.9, 1.1, 1.25, 1.5):
                value = min(high, max(low, current * factor if current else 0.1 * (high - low)))
                candidate = best.with_changes(**{name: value})
                candidate_loss = serving_loss(candidate, rows)
                if candidate_loss < loss - 1e-6:
                    best, loss, current = candidate, candidate_loss, value
    return best, loss


def fit_training_mfu() -> dict[str, MfuRange]:
    """The training MFU regimes: base = median implied MFU, low/high = 80% band (see fit_regimes)."""
    return fit_regimes()


def report() -> dict[str, Any]:
    """Both fits, for ``xlcompute validate --fit``."""
    fitted, loss = fit_serving()
    return {
        "serving": {"fitted": fitted.to_dict(), "loss": loss, "default": DEFAULT_SERVING_EFFICIENCY.to_dict(),
                    "default_loss": serving_loss(DEFAULT_SERVING_EFFICIENCY)},
        "training_mfu": {gen: rng.to_dict() for gen, rng in fit_training_mfu().items()},
        "training_goodput": fit_goodput(training_rows()),
    }
