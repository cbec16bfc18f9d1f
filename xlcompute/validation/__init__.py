"""Predicted vs measured: the serving model against published benchmarks, training MFU against published runs.

Data (one row per measurement, each with its source and exact setup):

- ``data/serving_measurements.csv`` and ``data/serving_engine_measurements.csv``: serving
  benchmarks by engine (:mod:`xlcompute.validation.serving`). ``model`` is a
  catalog id, a Hugging Face repo or a ``configs/*.json`` path (relative to ``data/``); ``batch``
  empty means the engine chose it (the model uses the largest batch that fits); ``metric`` is
  ``output_tokens_per_s`` (aggregate, all GPUs), ``tpot_ms``, ``ttft_ms`` or
  ``e2e_tokens_per_s`` (output tokens / wall time of one request, prefill included).
- ``data/training_runs.csv``: published pre-training runs (GPU-hours or GPUs × days) and
  throughput benchmarks (tokens/s per GPU), with the dense peak the MFU is measured against; the
  MFU regime fit and its leave-one-source-out check are in :mod:`xlcompute.validation.training`.

``xlcompute validate`` prints both tables; :mod:`xlcompute.validation.fit` re-fits the global
efficiency constants of :mod:`xlcompute.core.efficiency` from the same files.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any, Iterable

from ..core.efficiency import ServingEfficiency, TRAINING_MFU_REGIMES
from .records import Comparison
from .serving import METRICS, predict_serving, serving_rows
from .training import (band_summary, implied_mfu, out_of_source_table, render_training_markdown,
                       row_attention_share, training_implied_mfu, training_rows, training_table)



def serving_table(efficiency: ServingEfficiency | None = None) -> list[Comparison]:
    """Predicted vs measured for every serving measurement."""
    table = []
    for row in serving_rows():
        predicted = predict_serving(row, efficiency)
        model = Path(row["model"]).stem if row["model"].startswith("configs/") else row["model"].split("/")[-1]
        batch = row["batch"] or "max"
        gpus = f"x{row['ep']} EP/DP{row['dp']}" if row.get("ep") else f"x{row['tp']}"
        case = (f"{model} {row['gpu']} {gpus} {row['precision']} in {row['input_tokens']} out {row['output_tokens']} "
                f"batch {batch} ({row['framework']})")
        table.append(Comparison(row["id"], "serving", case, row["metric"], float(row["measured"]), predicted,
                                row["source"], row["setup"]))
    return table


# ---------------------------------------------------------------------------------------------
# Summaries and rendering
# ---------------------------------------------------------------------------------------------


def summary(table: Iterable[Comparison]) -> dict[str, Any]:
    """Median absolute error, share within 20%, and the worst row (by ratio)."""
    table = list(table)
    rows = [c for c in table if c.predicted == c.predicted]
    missing = [c.id for c in table if c.predicted != c.predicted]
    if not rows:
        return {"rows": 0}
    worst = max(rows, key=lambda c: c.ratio)
    errors = [abs(c.error) for c in rows]
    return {
        "rows": len(rows),
        "median_abs_error": statistics.median(errors),
        "mean_abs_log_error": statistics.fmean(abs(math.log(c.predicted / c.measured)) for c in rows),
        "within_20pct": sum(e <= 0.2 for e in errors) / len(rows),
        "within_factor_2": sum(c.ratio <= 2 for c in rows) / len(rows),
        "worst": worst.to_dict(),
        "not_fitting": missing,
    }


def _fmt(value: float) -> str:
    if value != value:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def grouped(table: list[Comparison]) -> list[dict[str, Any]]:
    """Rows grouped by framework, metric, model, GPU, TP and precision: count, median and worst error."""
    groups: dict[tuple[str, str, str], list[Comparison]] = {}
    for c in table:
        tail = c.case.rsplit(" batch ", 1)[-1]  # "max (TensorRT-LLM 0.14 (Triton))": the framework may nest parentheses
        framework = tail.split(" (", 1)[1][:-1] if " (" in tail else ""
        groups.setdefault((framework, c.metric, c.case.split(" in ")[0]), []).append(c)
    out = []
    for (framework, metric, setup), rows in groups.items():
        worst = max(rows, key=lambda c: c.ratio)
        out.append({"framework": framework, "metric": metric, "setup": setup, "rows": len(rows),
                    "median_error": statistics.median(c.error for c in rows), "worst_error": worst.error,
                    "worst_id": worst.id})
    return out


def render(serving: list[Comparison], training: list[Comparison], fmt: str = "text") -> str:
    """The validation tables as plain text or Markdown (Markdown adds a grouped summary of the serving rows)."""
    lines: list[str] = []
    md = fmt == "markdown"
    if md:
        lines += ["Serving rows grouped (+ = the model predicts more than was measured):", "",
                  "| framework | metric | model, GPU, TP, precision | rows | median error | worst |", "|---|---|---|---|---|---|"]
        lines += [f"| {g['framework']} | {g['metric']} | {g['setup']} | {g['rows']} | {g['median_error']:+.0%} | "
                  f"{g['worst_error']:+.0%} ({g['worst_id']}) |" for g in grouped(serving)]
        lines.append("")
    for title, table in (("Serving: predicted vs measured", serving), ("Training: predicted vs published", training)):
        s = summary(table)
        head = (f"{title} — {s['rows']} rows, median |error| {s['median_abs_error']:.1%}, "
                f"{s['within_20pct']:.0%} within 20%, {s['within_factor_2']:.0%} within 2x, "
                f"worst {s['worst']['id']} ({s['worst']['error']:+.0%})")
        lines.append(f"### {head}" if md else head)
        lines.append("")
        if md and table is training:
            lines += render_training_markdown(training, out_of_source_table())
            lines += ["", "In-sample rows (the table fitted on all rows):", ""]
        if md:
            cols = ("id", "case", "metric", "measured", "predicted", "error", "source")
            lines.append("| " + " | ".join(cols) + " |")
            lines.append("|" + "---|" * len(cols))
            for c in table:
                cells = (c.id, c.case, c.metric, _fmt(c.measured), _fmt(c.predicted), _error(c), c.source)
                lines.append("| " + " | ".join(cells) + " |")
        else:
            lines += _text_table(table, "measured" if title.endswith("measured") else "published")
        lines.append("")
    return "\n".join(lines)


def _error(c: Comparison) -> str:
    return f"{c.error:+.0%}" if c.predicted == c.predicted else "n/a"


def _text_table(table: list[Comparison], reference: str) -> list[str]:
    """Aligned columns with a header, predicted before measured as in the title ("predicted vs measured")."""
    header = ("id", "case", "metric", "predicted", reference, "error", "source")
    rows = [(c.id, c.case, c.metric, _fmt(c.predicted), _fmt(c.measured), _error(c), f"[{c.source}]") for c in table]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    numeric = {3, 4, 5}
    return ["  ".join([*(cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths))),
                       r[-1]]).rstrip() for r in [header, *rows]]


def mfu_defaults() -> dict[str, dict[str, Any]]:
    """The default MFU ranges per regime (for display)."""
    return {name: rng.to_dict() for name, rng in TRAINING_MFU_REGIMES.items()}


__all__ = ["METRICS", "Comparison", "band_summary", "grouped", "implied_mfu", "mfu_defaults", "out_of_source_table", "predict_serving",
           "render", "row_attention_share", "serving_rows", "serving_table", "summary", "training_implied_mfu", "training_rows", "training_table"]
