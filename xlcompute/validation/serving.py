"""Serving validation by engine: predictions, per-engine fits, out-of-source checks and error bands.

Data: ``data/serving_measurements.csv`` (TensorRT-LLM tables and the Qwen2.5 vLLM rows the
global constants were first fitted on) and ``data/serving_engine_measurements.csv`` (vLLM,
SGLang, Transformers, llama.cpp, TensorRT-LLM on Blackwell/GeForce, AMD MI300X and the
expert-parallel DeepSeek-V3 deployments), same columns plus ``engine``, ``ep`` and ``dp``;
``data/h200_transformers_measurements.csv`` when present. Rows with ``ep`` set are
expert-parallel deployments: ``ep`` GPUs, ``dp`` attention ranks, ``batch`` sequences in all.

Metrics: ``output_tokens_per_s`` (aggregate), ``tpot_ms``, ``ttft_ms``, ``e2e_tokens_per_s``
(output tokens / wall time of one request), ``e2e_total_tokens_per_s`` ((prompt + output) /
wall time), ``prefill_tokens_per_s`` and ``decode_tokens_per_s`` (aggregate input / output tokens
per second of a deployment at a fixed batch).

Honesty check: :func:`out_of_source` refits an engine without one source (a publisher's table)
and predicts that source, for every source; the 80% band of an engine is the 10th-90th
percentile of those out-of-source speed ratios, each source weighted equally and the levels
corrected for the sample's size (:func:`source_balanced_band`, :func:`engine_bands`). :func:`band_coverage`
then asks, source by source, whether a band built without the source holds its measurements.
"""

from __future__ import annotations

import collections
import math
import statistics
from pathlib import Path
from typing import Any, Iterable

from ..core import expert_parallel as ep_core
from ..core import serving as core
from ..core.efficiency import DEFAULT_SERVING_EFFICIENCY, ServingEfficiency
from ..core.errors import XlcomputeError
from ..core.serving_engines import ENGINES
from ..scenario.setups import ServingSetup, serving_setup
from .records import read_csv

DATA = Path(__file__).resolve().parent / "data"
SERVING_CSV = DATA / "serving_measurements.csv"
ENGINE_CSV = DATA / "serving_engine_measurements.csv"
H200_TRANSFORMERS_CSV = DATA / "h200_transformers_measurements.csv"
METRICS = ("output_tokens_per_s", "tpot_ms", "ttft_ms", "e2e_tokens_per_s", "e2e_total_tokens_per_s",
           "prefill_tokens_per_s", "decode_tokens_per_s")
TIME_METRICS = ("tpot_ms", "ttft_ms")
#: Settings an engine fit moves, with their physical bounds.
ENGINE_BOUNDS: dict[str, tuple[float, float]] = {
    "flops_fraction_16bit": (0.15, 0.8),  # cuBLAS reaches ~75-80% of dense peak on large GEMMs
    "flops_fraction_8bit": (0.15, 0.8),
    "flops_fraction_4bit": (0.1, 0.8),
    "bandwidth_fraction": (0.3, 0.95),
    "kv_bandwidth_fraction": (0.2, 0.95),
    "layer_overhead_s": (1e-6, 2e-3),
    "step_overhead_s": (0.0, 50e-3),
    "prefill_overhead_s": (0.0, 50e-3),
    "quantized_bandwidth_fraction": (0.1, 1.0),
    "blackwell_bandwidth_fraction": (0.3, 1.0),
}
BAND_QUANTILES = (0.1, 0.9)
MIN_BAND_ROWS = 20  # an engine with fewer out-of-source rows borrows the band of all engines


def engine_of(row: dict[str, str]) -> str:
    """The engine of a measurement: its ``engine`` column, or the one its ``framework`` names."""
    if row.get("engine"):
        return row["engine"]
    framework = row.get("framework", "").lower()
    for engine in ("tensorrt-llm", "vllm", "sglang", "llama.cpp"):
        if engine in framework:
            return engine
    return "transformers"


def source_key(row: dict[str, str]) -> str:
    """One publisher's table: the engine and the first two words of the citation (repository/site and file)."""
    return f"{engine_of(row)} | {' '.join(row['source'].split()[:2])}"


def serving_rows() -> list[dict[str, str]]:
    """All published serving measurements, as strings, each with its ``engine``."""
    rows = read_csv(SERVING_CSV) + read_csv(ENGINE_CSV)
    if H200_TRANSFORMERS_CSV.exists():
        rows += read_csv(H200_TRANSFORMERS_CSV)
    return [{**row, "engine": engine_of(row), "ep": row.get("ep") or "", "dp": row.get("dp") or ""} for row in rows]


def original_rows() -> list[dict[str, str]]:
    """The 414 rows the global (TensorRT-LLM) constants were fitted on (``serving_measurements.csv``)."""
    return [{**row, "engine": engine_of(row), "ep": "", "dp": ""} for row in read_csv(SERVING_CSV)]


def _model_ref(ref: str) -> str:
    return str(DATA / ref) if ref.startswith("configs/") else ref


_SETUPS: dict[tuple[str, ...], ServingSetup] = {}


def _setup(row: dict[str, str]) -> ServingSetup:
    key = (row["model"], row["gpu"], row["precision"], row["kv_precision"], row["engine"])
    found = _SETUPS.get(key)
    if found is None:
        found = serving_setup(_model_ref(row["model"]), row["gpu"], row["precision"], row["kv_precision"] or None,
                              engine=row["engine"])
        _SETUPS[key] = found
    return found


def _predict_expert_parallel(row: dict[str, str], s: ServingSetup, eff: ServingEfficiency) -> float:
    gpus, ranks, batch, n_in = int(row["ep"]), int(row["dp"] or row["ep"]), int(row["batch"]), int(row["input_tokens"])
    redundant = 32 if s.shape.num_experts >= 64 else 0  # DeepSeek's EPLB keeps 32 redundant experts
    if row["metric"] == "decode_tokens_per_s":
        step = ep_core.ep_decode_step_time_s(s.shape, s.gpu, gpus, ranks, batch, n_in, s.weight_precision,
                                             s.kv_precision, s.compute_precision, eff, redundant)
        return batch / step
    if row["metric"] == "prefill_tokens_per_s":
        return batch * n_in / ep_core.ep_prefill_time_s(s.shape, s.gpu, gpus, ranks, batch, n_in, s.weight_precision,
                                                        s.compute_precision, eff, redundant)
    raise XlcomputeError(f"row {row['id']}: expert-parallel rows measure prefill_ or decode_tokens_per_s.")


def predict_serving(row: dict[str, str], efficiency: ServingEfficiency | None = None) -> float:
    """The model's value for one measurement row with its engine's settings (``nan`` when it does not fit)."""
    row = row if "engine" in row and row["engine"] else {**row, "engine": engine_of(row)}
    s = _setup(row)
    eff = efficiency or s.efficiency
    if row.get("ep"):
        return _predict_expert_parallel(row, s, eff)
    tp, n_in, n_out = int(row["tp"]), int(row["input_tokens"]), int(row["output_tokens"])
    batch = int(row["batch"]) if row["batch"] else core.max_batch_size(
        s.shape, s.gpu, tp, n_in + n_out, s.weight_precision, s.kv_precision, eff)
    if batch < 1:
        return math.nan
    metric = row["metric"]
    args = (s.shape, s.gpu, tp, batch)
    if metric == "tpot_ms":
        return 1000 * core.decode_step_time_s(*args, n_in + n_out / 2, s.weight_precision, s.kv_precision,
                                              s.compute_precision, eff)
    if metric == "ttft_ms":
        return 1000 * core.prefill_time_s(*args, n_in, s.weight_precision, s.compute_precision, eff)
    if metric in ("output_tokens_per_s", "e2e_tokens_per_s", "e2e_total_tokens_per_s", "decode_tokens_per_s"):
        rate = core.throughput_tokens_per_s(*args, n_in, n_out, s.weight_precision, s.kv_precision,
                                            s.compute_precision, eff)
        return rate * (n_in + n_out) / n_out if metric == "e2e_total_tokens_per_s" else rate
    if metric == "prefill_tokens_per_s":
        return batch * n_in / core.prefill_time_s(*args, n_in, s.weight_precision, s.compute_precision, eff)
    raise XlcomputeError(f"row {row['id']}: unknown metric {metric!r}; expected one of {METRICS}.")


def speed_ratio(row: dict[str, str], predicted: float) -> float:
    """Measured speed over predicted speed (> 1: the engine is faster than the model says)."""
    measured = float(row["measured"])
    return predicted / measured if row["metric"] in TIME_METRICS else measured / predicted


# ---------------------------------------------------------------------------------------------
# Per-engine fits
# ---------------------------------------------------------------------------------------------


def engine_loss(efficiency: ServingEfficiency, rows: list[dict[str, str]]) -> float:
    """Mean |log(predicted/measured)|, each source weighted 1/sqrt(its rows); a row that does not fit counts 3."""
    counts = collections.Counter(source_key(r) for r in rows)
    total = weight_sum = 0.0
    for row in rows:
        weight = 1.0 / math.sqrt(counts[source_key(row)])
        predicted = predict_serving(row, efficiency)
        total += weight * (abs(math.log(speed_ratio(row, predicted))) if predicted > 0 else 3.0)
        weight_sum += weight
    return total / weight_sum if weight_sum else 0.0


#: TensorRT-LLM keeps the GEMM and bandwidth shares of the global fit of :mod:`xlcompute.core.efficiency`;
#: its fp4 share and Blackwell's bandwidth share (B200/GB200 rows) and its launch overheads are fitted on its own rows (the global fit's
#: ~2.3 ms step overhead is pulled up by the vLLM 0.6.3 rows among the 414; TensorRT-LLM's own is ~1 ms).
#: Eager Transformers runs the same cuBLAS GEMMs and FlashAttention kernels: only its launch overheads,
#: KV reads (no paged kernels) and weight-only int kernels are its own.
FITTED_SETTINGS = {"tensorrt-llm": ("blackwell_bandwidth_fraction", "flops_fraction_4bit", "layer_overhead_s",
                                    "step_overhead_s", "prefill_overhead_s"),
                   "transformers": ("layer_overhead_s", "step_overhead_s", "prefill_overhead_s", "kv_bandwidth_fraction",
                                    "quantized_bandwidth_fraction")}


def fit_engine(rows: list[dict[str, str]], start: ServingEfficiency = DEFAULT_SERVING_EFFICIENCY,
               rounds: int = 2, names: Iterable[str] | None = None) -> ServingEfficiency:
    """Coordinate search over :data:`ENGINE_BOUNDS` (or ``names`` of them) from ``start`` on one engine's rows."""
    best = start
    if not rows:
        return best
    loss = engine_loss(best, rows)
    chosen = list(names) if names is not None else list(ENGINE_BOUNDS)
    for _ in range(rounds):
        for name in chosen:
            low, high = ENGINE_BOUNDS[name]
            for factor in (0.5, 0.75, 0.9, 1.1, 1.33, 2.0):
                current = getattr(best, name)
                value = min(high, max(low, current * factor if current else 0.05 * (high - low)))
                candidate = best.with_changes(**{name: value})
                candidate_loss = engine_loss(candidate, rows)
                if candidate_loss < loss - 1e-6:
                    best, loss = candidate, candidate_loss
    return best


def _engine_start(engine: str) -> ServingEfficiency:
    """Where an engine's fit starts: the TensorRT-LLM fit with the engine's documented memory settings and
    parallelism (``layer_split``)."""
    documented = ENGINES[engine].efficiency
    return DEFAULT_SERVING_EFFICIENCY.with_changes(kv_memory_fraction=documented.kv_memory_fraction,
                                                   reserved_gb=documented.reserved_gb,
                                                   layer_split=documented.layer_split)


#: Engines that serve from compiled or graph-captured kernels with a paged KV cache: each one's fit starts
#: from the pooled fit of the others (:func:`engine_prior`). Eager Transformers is not one of them.
GRAPH_ENGINES = ("tensorrt-llm", "vllm", "vllm@amd", "sglang", "llama.cpp")
_PRIORS: dict[str, ServingEfficiency] = {}


def engine_prior(engine: str) -> ServingEfficiency:
    """Where an engine's fit starts, and what it predicts with no rows of its own.

    A compiled engine other than TensorRT-LLM (:data:`GRAPH_ENGINES`) starts from the fit of its
    settings on every *other* compiled engine's rows (a pooled prior: what the model knows of
    serving engines in general, none of this engine's measurements in it), with its own documented
    memory settings; TensorRT-LLM keeps the global fit; Transformers starts from the global fit.
    """
    found = _PRIORS.get(engine)
    if found is None:
        found = _engine_start(engine)
        if engine in GRAPH_ENGINES and engine != "tensorrt-llm":
            others = [r for e, rows in rows_by_engine().items() if e in GRAPH_ENGINES and e != engine for r in rows]
            found = fit_engine(others, found, names=FITTED_SETTINGS.get(engine))
        _PRIORS[engine] = found
    return found


def refit_engines() -> dict[str, dict[str, Any]]:
    """Each engine's fitted settings and its 80% band, as ``core/serving_engines.csv`` records them."""
    grouped = rows_by_engine()
    cross = {engine: out_of_source(engine, rows) for engine, rows in grouped.items()}
    bands = engine_bands(cross)
    out = {}
    for engine, rows in grouped.items():
        names = FITTED_SETTINGS.get(engine, tuple(ENGINE_BOUNDS))
        fitted = fit_engine(rows, engine_prior(engine), names=names)
        out[engine] = {"settings": {n: getattr(fitted, n) for n in names}, "band": bands[engine], "rows": len(rows),
                       "sources": sorted({source_key(r) for r in rows})}
    return out


def rows_by_engine(rows: Iterable[dict[str, str]] | None = None) -> dict[str, list[dict[str, str]]]:
    """Rows by engine table key (``vllm@amd`` for vLLM on AMD GPUs)."""
    grouped: dict[str, list[dict[str, str]]] = collections.defaultdict(list)
    for row in rows if rows is not None else serving_rows():
        grouped[_setup(row).engine].append(row)
    return dict(grouped)


def out_of_source(engine: str, rows: list[dict[str, str]] | None = None) -> list[tuple[dict[str, str], float]]:
    """(row, speed ratio) for every row of ``engine``, each predicted by a fit made without the row's source.

    A source that is the engine's only one is predicted from the engine's prior
    (:func:`engine_prior`: the pooled fit of the other compiled engines, or the TensorRT-LLM fit):
    what a user gets for an engine the model has no data for.
    """
    rows = rows if rows is not None else rows_by_engine()[engine]
    out = []
    for source in sorted({source_key(r) for r in rows}):
        held = [r for r in rows if source_key(r) == source]
        fitted = fit_engine([r for r in rows if source_key(r) != source], engine_prior(engine),
                            names=FITTED_SETTINGS.get(engine))
        out += [(r, speed_ratio(r, predict_serving(r, fitted))) for r in held]
    return out


def source_balanced_band(pairs: list[tuple[dict[str, str], float]],
                         quantiles: tuple[float, float] = BAND_QUANTILES) -> tuple[float, float]:
    """Band of speed ratios that a table from a source not seen should fall in, ``quantiles`` of the time.

    Each source counts once: a row of a source with n rows weighs 1/n (the "CDF pooling" of Dunn,
    Wasserman & Ramdas 2023, JASA 118:2491, for observations in groups), so that the 454-row
    TensorRT-LLM table does not make the band of the next publisher. The levels get the conformal
    finite-sample correction, upper ⌈(m+1)·q⌉/m and lower ⌊(m+1)·q⌋/m (Vovk et al. 2005), with m the
    effective sample size of the weighted rows, (Σw)²/Σw² (Kish 1965): between the number of sources
    (whose correction would take the extremes for fewer than ten) and the number of rows.
    Quantiles of log ratios, interpolated between the mid-points of the cumulative weights.
    """
    counts = collections.Counter(source_key(row) for row, ratio in pairs if ratio > 0)
    points = sorted((math.log(ratio), 1.0 / counts[source_key(row)]) for row, ratio in pairs if ratio > 0)
    total = sum(weight for _, weight in points)
    effective = int(total**2 / sum(weight**2 for _, weight in points))
    low = max(0.0, math.floor((effective + 1) * quantiles[0]) / effective)
    high = min(1.0, math.ceil((effective + 1) * quantiles[1]) / effective)
    cumulative, mids = 0.0, []
    for _, weight in points:
        mids.append((cumulative + weight / 2) / total)
        cumulative += weight
    logs = [value for value, _ in points]
    return math.exp(_interpolate(mids, logs, low)), math.exp(_interpolate(mids, logs, high))


def _interpolate(xs: list[float], ys: list[float], x: float) -> float:
    """Linear interpolation of ``ys`` at ``x`` over increasing ``xs``, flat beyond the ends."""
    if x <= xs[0]:
        return ys[0]
    for i in range(1, len(xs)):
        if x <= xs[i]:
            return ys[i - 1] + (x - xs[i - 1]) / (xs[i] - xs[i - 1]) * (ys[i] - ys[i - 1])
    return ys[-1]


def engine_bands(cross: dict[str, list[tuple[dict[str, str], float]]]) -> dict[str, tuple[float, float]]:
    """80% band of out-of-source speed ratios per engine (:func:`source_balanced_band`); the band of all
    engines where an engine has too few rows or sources."""
    pooled = source_balanced_band([pair for pairs in cross.values() for pair in pairs])
    return {engine: (source_balanced_band(pairs) if _own_band(pairs) else pooled) for engine, pairs in cross.items()}


def _own_band(pairs: list[tuple[dict[str, str], float]]) -> bool:
    """An engine has a band of its own with enough rows from at least two sources (one source's
    out-of-source error is that of the starting point, not of the fitted engine)."""
    return len(pairs) >= MIN_BAND_ROWS and len({source_key(row) for row, _ in pairs}) >= 2


def band_coverage(cross: dict[str, list[tuple[dict[str, str], float]]]) -> dict[str, dict[str, Any]]:
    """Per engine: share of out-of-source rows inside a band built without their source, the mean of that
    share over the engine's sources, and median |error|."""
    report = {}
    everything = [pair for pairs in cross.values() for pair in pairs]
    for engine, pairs in cross.items():
        inside, shares = 0, []
        for source in sorted({source_key(row) for row, _ in pairs}):
            rest = [(row, r) for row, r in pairs if source_key(row) != source]
            others = rest if _own_band(rest) else [(row, r) for row, r in everything if source_key(row) != source]
            low, high = source_balanced_band(others)
            held = [r for row, r in pairs if source_key(row) == source]
            inside += sum(low <= r <= high for r in held)
            shares.append(sum(low <= r <= high for r in held) / len(held))
        errors = [abs(1 / r - 1) for _, r in pairs]
        report[engine] = {"rows": len(pairs), "sources": len(shares), "median_abs_error": statistics.median(errors),
                          "band_coverage": inside / len(pairs), "source_coverage": statistics.mean(shares),
                          "source_shares": shares}
    return report


def in_sample(engine: str, rows: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Median |error| and share inside the shipped band for the engine's own rows with its shipped settings."""
    rows = rows if rows is not None else rows_by_engine()[engine]
    ratios = [speed_ratio(r, predict_serving(r)) for r in rows]
    shipped = ENGINES[engine]
    return {"rows": len(rows), "median_abs_error": statistics.median(abs(1 / r - 1) for r in ratios),
            "band_coverage": sum(shipped.band_low <= r <= shipped.band_high for r in ratios) / len(ratios)}


def validation_by_engine() -> dict[str, dict[str, Any]]:
    """In-sample and out-of-source figures per engine (and ``all``), as ``xlcompute validate`` prints them."""
    grouped = rows_by_engine()
    cross = {engine: out_of_source(engine, rows) for engine, rows in grouped.items()}
    held = band_coverage(cross)
    table = {engine: {"in_sample": in_sample(engine, grouped[engine]), "out_of_source": held[engine]}
             for engine in grouped}
    pairs = [r for p in cross.values() for _, r in p]
    n = len(pairs)
    table["all"] = {
        "in_sample": {"rows": n, "median_abs_error": statistics.median(
            abs(1 / speed_ratio(r, predict_serving(r)) - 1) for rows in grouped.values() for r in rows),
            "band_coverage": sum(t["in_sample"]["band_coverage"] * t["in_sample"]["rows"] for t in table.values()) / n},
        "out_of_source": {"rows": n, "sources": sum(h["sources"] for h in held.values()),
                          "median_abs_error": statistics.median(abs(1 / r - 1) for r in pairs),
                          "band_coverage": sum(h["band_coverage"] * h["rows"] for h in held.values()) / n,
                          "source_coverage": statistics.mean(s for h in held.values() for s in h["source_shares"])},
    }
    return table


def render_engines(table: dict[str, dict[str, Any]], fmt: str = "text") -> str:
    """The by-engine table: rows, sources, median |error| and 80%-band coverage, in sample and out of source."""
    head = ("engine", "rows", "sources", "in-sample median abs. error", "in-sample inside band",
            "out-of-source median abs. error", "out-of-source inside band", "mean over sources inside band", "80% band")
    lines = []
    for engine, t in table.items():
        band = ENGINES[engine] if engine in ENGINES else None
        cells = (engine, str(t["in_sample"]["rows"]), str(t["out_of_source"]["sources"]),
                 f"{t['in_sample']['median_abs_error']:.1%}", f"{t['in_sample']['band_coverage']:.0%}",
                 f"{t['out_of_source']['median_abs_error']:.1%}", f"{t['out_of_source']['band_coverage']:.0%}",
                 f"{t['out_of_source']['source_coverage']:.0%}",
                 f"x{band.band_low:.2f}-x{band.band_high:.2f}" if band else "")
        lines.append(cells)
    if fmt == "markdown":
        return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                         + ["| " + " | ".join(c) + " |" for c in lines])
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *lines])


__all__ = ["ENGINE_BOUNDS", "GRAPH_ENGINES", "engine_prior", "METRICS", "band_coverage", "engine_bands", "engine_loss", "engine_of", "fit_engine",
           "in_sample", "original_rows", "refit_engines", "out_of_source", "predict_serving", "render_engines", "rows_by_engine", "serving_rows",
           "source_balanced_band", "source_key", "speed_ratio", "validation_by_engine"]
