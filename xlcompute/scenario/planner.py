"""Serving planner: the cheapest GPU configurations that meet a service level, and the cost/speed frontier.

For one model and workload (requests per second, input and output tokens) the planner searches
GPU type × precision × tensor-parallel degree × batch, evaluating the formulas of
:mod:`xlcompute.core.serving` on numpy arrays (one call per GPU type and precision covers the
whole tensor-parallel × batch grid), then adds data-parallel replicas until the request rate is
met. Seed 002's conclusion is built in: replicas (data parallelism) scale throughput at the
same per-token latency, so they are the default way to add capacity; pipeline stages only buy
memory (see :func:`xlcompute.core.serving.pipeline_time_per_token_s`).

Per configuration:

- TPOT = decode step time at batch B and mean context S_in + S_out/2;
- TTFT = prefill of one prompt (:func:`xlcompute.core.serving.prefill_time_s`, admission and
  first-token return included, no queueing): the one definition TTFT_MS uses too;
- replicas = ⌈rate / (X/S_out)⌉ with X the replica's output tokens/s at batch B;
- $/M tokens = cost_per_million_tokens(price, replicas · N, rate · S_out) (what the workload
  pays, idle capacity of the last replica included).

The Pareto frontier keeps each configuration that no cheaper one beats on tokens/s per request.
Layer: scenario (prices and GPUs come from the setups); imports numpy.

Bounds, checked before any search (a workbook cell can hold any of these): the request rate
(:data:`MAX_REQUESTS_PER_S`), tokens per request (:data:`MAX_TOKENS_PER_REQUEST`), ``top`` and
every list argument (:data:`MAX_LIST_ITEMS` items; duplicates are searched once).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from ..catalog import list_gpus, list_prices
from ..catalog._data import lookup_key
from ..catalog.prices import PRICING_MODELS, _pricing_key
from ..core import serving as core
from ..core.errors import XlcomputeError, check_choice, check_number, check_positive
from ..core.inference import cost_per_million_tokens
from ..core.training import whole_count
from ..core.units import normalise_precision
from .planner_ep import DEFAULT_EP_GPUS, ep_layouts, evaluate_ep_grid, max_ep_gpus
from .setups import ServingSetup, price_per_gpu_hour, resolve_arch, resolve_gpu, serving_setup

DEFAULT_TP = (1, 2, 4, 8)
#: Requests per second: 10 million is orders of magnitude above any single deployment (the
#: contract's REQUESTS_PER_S bound); beyond it a typo, not a workload (1e30 would plan 1e28 replicas).
MAX_REQUESTS_PER_S = 1e7
#: Prompt or output tokens per request: 10 million, the longest context announced (Llama 4 Scout,
#: Meta, April 2025).
MAX_TOKENS_PER_REQUEST = 1e7
#: Items in a list argument (GPUs, precisions, TP degrees, batches) and rows asked for (``top``).
MAX_LIST_ITEMS = 64
MAX_TOP = 1_000
#: Batch grid: every power of two and the points between them (1, 2, 3, 4, 6, 8, 12, ... 4096).
DEFAULT_BATCHES = tuple(sorted({int(b) for k in range(13) for b in (2 ** k, 3 * 2 ** (k - 1)) if 1 <= b <= 4096}))


@dataclass(frozen=True)
class PlanRow:
    """One serving configuration and what it costs."""

    gpu: str
    precision: str
    tp: int
    replicas: int
    gpus: int
    batch: int
    ttft_ms: float
    tpot_ms: float
    tokens_per_s_per_request: float
    replica_tokens_per_s: float
    usd_per_gpu_hour: float
    usd_per_hour: float
    usd_per_million_tokens: float
    meets_slo: bool
    ep: int = 1
    attention_dp: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PlanResult:
    """The planner's answer: cheapest SLO-meeting configurations, the frontier, what was searched."""

    model: str
    requests_per_s: float
    input_tokens: int
    output_tokens: int
    ttft_ms_max: float | None
    tpot_ms_max: float | None
    cheapest: list[PlanRow]
    frontier: list[PlanRow]
    evaluated: int
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "requests_per_s": self.requests_per_s, "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens, "ttft_ms_max": self.ttft_ms_max, "tpot_ms_max": self.tpot_ms_max,
            "evaluated": self.evaluated, "skipped": self.skipped,
            "cheapest": [r.to_dict() for r in self.cheapest], "frontier": [r.to_dict() for r in self.frontier],
        }


COLUMNS = ("gpu", "precision", "tp", "ep", "attention_dp", "replicas", "gpus", "batch", "ttft_ms", "tpot_ms",
           "tokens_per_s_per_request", "usd_per_hour", "usd_per_million_tokens", "meets_slo")


def _default_gpus() -> list[str]:
    return [g.id for g in list_gpus()]


def evaluate_grid(s: ServingSetup, tp: np.ndarray, batch: np.ndarray, input_tokens: float, output_tokens: float,
                  requests_per_s: float, usd_per_gpu_hour: float) -> dict[str, np.ndarray]:
    """Every (tp, batch) configuration of one set-up, as arrays of shape (len(tp), len(batch))."""
    tp2 = tp.astype(float)[:, None]
    b2 = batch.astype(float)[None, :]
    args = (s.weight_precision, s.kv_precision, s.compute_precision, s.efficiency)
    fits = b2 <= core.max_batch_size(s.shape, s.gpu, tp2, input_tokens + output_tokens, s.weight_precision,
                                     s.kv_precision, s.efficiency)
    tpot = core.decode_step_time_s(s.shape, s.gpu, tp2, b2, input_tokens + output_tokens / 2, *args)
    prefill_one = core.prefill_time_s(s.shape, s.gpu, tp2, 1.0, input_tokens, s.weight_precision, s.compute_precision,
                                      s.efficiency)
    throughput = core.throughput_tokens_per_s(s.shape, s.gpu, tp2, b2, input_tokens, output_tokens, *args)
    replicas = whole_count(requests_per_s * output_tokens / throughput)
    return {
        "fits": np.broadcast_to(fits, tpot.shape),
        "tpot_s": tpot,
        "ttft_s": np.broadcast_to(prefill_one, tpot.shape),
        "throughput": throughput,
        "replicas": replicas,
        "usd_per_hour": replicas * tp2 * usd_per_gpu_hour,
        "usd_per_million": cost_per_million_tokens(usd_per_gpu_hour, replicas * tp2, requests_per_s * output_tokens),
        "tp": np.broadcast_to(tp2, tpot.shape),
        "batch": np.broadcast_to(b2, tpot.shape),
        "ep": np.ones(tpot.shape),
        "attention_dp": np.ones(tpot.shape),
    }


def pareto_mask(cost: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """True where no configuration at most as costly is faster (ties: the cheaper one)."""
    order = np.lexsort((-speed, cost))
    best_before = np.maximum.accumulate(np.concatenate(([-np.inf], speed[order][:-1])))
    keep = np.zeros(cost.shape, dtype=bool)
    keep[order] = speed[order] > best_before
    return keep


def _check_prices(provider: str | None, pricing: str) -> None:
    """Reject an unknown pricing model or provider once, before the per-GPU loop."""
    key = _pricing_key(pricing)
    check_choice("pricing", key, PRICING_MODELS)
    if provider is not None:
        rows = list_prices()
        providers = sorted({p.provider for p in rows})
        wanted = lookup_key(provider)
        if not any(lookup_key(p.provider) == wanted and p.pricing == key for p in rows):
            known = sorted({p.provider for p in rows if p.pricing == key})
            raise XlcomputeError(f"provider: no {key} prices from {provider!r} in the catalog; providers with "
                                 f"{key} prices: {', '.join(known) or 'none'}.", argument="provider",
                                 suggestions=known or providers)


def plan(model: Any, requests_per_s: float, input_tokens: int = 1024, output_tokens: int = 256,
         ttft_ms_max: float | None = None, tpot_ms_max: float | None = None, gpus: Sequence[Any] | None = None,
         precisions: Sequence[str] = ("bf16", "fp8"), tp_degrees: Sequence[int] = DEFAULT_TP,
         batches: Sequence[int] = DEFAULT_BATCHES, provider: str | None = None, pricing: str = "on_demand",
         efficiency: Any = None, top: int = 10, engine: Any = None,
         ep_gpus: Sequence[int] | None = None) -> PlanResult:
    """Search GPU × precision × TP degree × batch (+ replicas) for ``model`` serving the workload.

    A mixture of experts is also searched in expert-parallel layouts (:mod:`.planner_ep`): EP over
    ``ep_gpus`` GPUs (None = :data:`~.planner_ep.DEFAULT_EP_GPUS`; empty = none) with data-parallel
    attention ranks of 1-8 GPUs, timed with ``engine`` (None = SGLang, the open engine that runs them).
    ``gpus`` None = every catalog GPU with a price. Returns the ``top`` cheapest configurations
    that meet both limits (None = no limit), one per GPU × precision × TP × replicas, and the Pareto frontier of tokens/s per request
    against $/M output tokens over all configurations that fit in memory.
    """
    check_number("requests_per_s", requests_per_s, minimum=0.0, strict=True, maximum=MAX_REQUESTS_PER_S)
    check_number("input_tokens", input_tokens, minimum=0.0, strict=True, maximum=MAX_TOKENS_PER_REQUEST)
    check_number("output_tokens", output_tokens, minimum=0.0, strict=True, maximum=MAX_TOKENS_PER_REQUEST)
    for name, limit in (("ttft_ms_max", ttft_ms_max), ("tpot_ms_max", tpot_ms_max)):
        if limit is not None:
            check_positive(name, limit)
    check_number("top", top, minimum=1.0, maximum=MAX_TOP, integer=True)
    for name, items in (("gpus", gpus), ("precisions", precisions), ("tp_degrees", tp_degrees), ("batches", batches),
                        ("ep_gpus", ep_gpus)):
        if items is not None and len(items) > MAX_LIST_ITEMS:
            raise XlcomputeError(f"{name}: expected at most {MAX_LIST_ITEMS} items, found {len(items):,}.",
                                 argument=name)
    tp = np.asarray(sorted({int(t) for t in tp_degrees}), dtype=int)
    batch = np.asarray(sorted({int(b) for b in batches}), dtype=int)
    if tp.size == 0 or tp.min() < 1 or batch.size == 0 or batch.min() < 1:
        raise XlcomputeError("tp_degrees and batches: expected whole numbers of at least 1.", argument="tp_degrees")
    precisions = list(dict.fromkeys(normalise_precision(p, "precisions") for p in precisions))
    if not precisions:
        raise XlcomputeError("precisions: expected at least one precision, e.g. bf16.", argument="precisions")
    _check_prices(provider, pricing)
    model_id, arch = resolve_arch(model)
    ep_sizes = [] if not arch.is_moe else sorted({int(g) for g in (DEFAULT_EP_GPUS if ep_gpus is None else ep_gpus)})
    if ep_sizes and ep_sizes[0] < 2:
        raise XlcomputeError("ep_gpus: expected whole numbers of GPUs of at least 2.", argument="ep_gpus")
    layout_gpus, layout_ranks = ep_layouts([g for g in ep_sizes if g <= max_ep_gpus(arch.num_experts)])
    chunks: list[dict[str, np.ndarray]] = []
    labels: list[tuple[str, str, float]] = []
    skipped: list[str] = []
    evaluated = 0
    accelerators = list({a.id: a for a in map(resolve_gpu, gpus if gpus is not None else _default_gpus())}.values())
    for accelerator in accelerators:
        try:
            price = float(price_per_gpu_hour(accelerator, None, provider, pricing))
        except XlcomputeError as exc:
            skipped.append(f"{accelerator.id}: {exc}")
            continue
        for precision in precisions:
            try:
                s = serving_setup(arch, accelerator, precision, efficiency=efficiency, engine=engine)
            except XlcomputeError as exc:
                skipped.append(f"{accelerator.id} {precision}: {exc}")
                continue
            grid = evaluate_grid(s, tp, batch, input_tokens, output_tokens, requests_per_s, price)
            evaluated += grid["tpot_s"].size
            if grid["fits"].any():
                chunks.append(grid)
                labels.append((accelerator.id, s.weight_precision, price))
            else:
                skipped.append(f"{accelerator.id} {s.weight_precision}: {model_id} does not fit on up to "
                               f"{int(tp.max())} x {accelerator.id} with one {input_tokens + output_tokens}-token "
                               f"sequence" + (" (tensor parallel)" if layout_gpus.size else ""))
            if layout_gpus.size:
                s_ep = s if engine is not None else serving_setup(arch, accelerator, precision, efficiency=efficiency,
                                                                   engine="sglang")
                ep_grid = evaluate_ep_grid(s_ep, layout_gpus, layout_ranks, batch, input_tokens, output_tokens,
                                           requests_per_s, price)
                evaluated += ep_grid["tpot_s"].size
                if ep_grid["fits"].any():
                    chunks.append(ep_grid)
                    labels.append((accelerator.id, s.weight_precision, price))
    if not chunks:
        if evaluated:  # priced GPUs were searched: the model fits on none of them
            most = int(max(tp.max(), layout_gpus.max() if layout_gpus.size else 0))
            raise XlcomputeError(f"gpus: {model_id} does not fit on up to {most} GPUs of the type(s) "
                                 f"searched; use GPUs with more memory, a lower precision or fewer tokens per request ("
                                 + "; ".join(skipped) + ").", argument="gpus")
        raise XlcomputeError("gpus: no GPU with a price to plan with; " + "; ".join(skipped), argument="gpus")
    flat = {key: np.concatenate([c[key].ravel() for c in chunks]) for key in chunks[0]}
    label_index = np.concatenate([np.full(c["tpot_s"].size, i) for i, c in enumerate(chunks)])
    fits = flat["fits"]
    meets = fits.copy()
    if ttft_ms_max is not None:
        meets &= flat["ttft_s"] * 1000 <= ttft_ms_max
    if tpot_ms_max is not None:
        meets &= flat["tpot_s"] * 1000 <= tpot_ms_max

    def row(i: int) -> PlanRow:
        gpu_id, precision, price = labels[label_index[i]]
        ep = int(flat["ep"][i])
        per_replica = ep if ep > 1 else int(flat["tp"][i])
        return PlanRow(gpu_id, precision, int(flat["tp"][i]), int(flat["replicas"][i]),
                       int(flat["replicas"][i]) * per_replica, int(flat["batch"][i]), float(flat["ttft_s"][i] * 1000),
                       float(flat["tpot_s"][i] * 1000), float(1.0 / flat["tpot_s"][i]), float(flat["throughput"][i]),
                       price, float(flat["usd_per_hour"][i]), float(flat["usd_per_million"][i]), bool(meets[i]), ep,
                       int(flat["attention_dp"][i]))

    ok = np.flatnonzero(meets)
    cheapest: list[int] = []
    seen: set[tuple[int, int, int, int]] = set()
    for i in ok[np.lexsort((flat["tpot_s"][ok], flat["usd_per_million"][ok]))]:
        key = (int(label_index[i]), int(flat["tp"][i]), int(flat["ep"][i]), int(flat["replicas"][i]))
        if key not in seen:  # one row per hardware choice: its fastest batch at that cost
            seen.add(key)
            cheapest.append(int(i))
            if len(cheapest) == top:
                break
    candidates = np.flatnonzero(fits)
    speed = 1.0 / flat["tpot_s"][candidates]
    frontier = candidates[pareto_mask(flat["usd_per_million"][candidates], speed)]
    frontier = frontier[np.argsort(flat["usd_per_million"][frontier])]
    return PlanResult(model_id, float(requests_per_s), int(input_tokens), int(output_tokens), ttft_ms_max, tpot_ms_max,
                      [row(i) for i in cheapest], [row(i) for i in frontier], evaluated, skipped)


def plan_table(model: Any, requests_per_s: float, input_tokens: int = 1024, output_tokens: int = 256,
               ttft_ms_max: float | None = None, tpot_ms_max: float | None = None, gpus: Any = None,
               precisions: Any = ("bf16", "fp8"), top: int = 10, frontier: bool = False) -> list[list[Any]]:
    """The plan as a 2-D list (header row first) for an Excel function: cheapest rows, or the frontier.

    ``gpus`` and ``precisions`` may be comma-separated text (as typed in a cell); an empty limit means none.
    """
    ttft_ms_max = ttft_ms_max or None  # an empty cell (None, "" or 0) means no limit
    tpot_ms_max = tpot_ms_max or None
    if isinstance(gpus, str):
        gpus = [g.strip() for g in gpus.split(",") if g.strip()] or None
    if isinstance(precisions, str):
        precisions = [p.strip() for p in precisions.split(",") if p.strip()]
    result = plan(model, requests_per_s, input_tokens, output_tokens, ttft_ms_max, tpot_ms_max, gpus, precisions,
                  top=top)
    rows = result.frontier if frontier else result.cheapest
    table: list[list[Any]] = [list(COLUMNS)]
    for r in rows:
        d = r.to_dict()
        table.append([d[c] for c in COLUMNS])
    if len(table) == 1:
        table.append(["no configuration meets the limits"] + [""] * (len(COLUMNS) - 1))
    return table


__all__ = ["COLUMNS", "DEFAULT_BATCHES", "DEFAULT_TP", "MAX_LIST_ITEMS", "MAX_REQUESTS_PER_S", "MAX_TOKENS_PER_REQUEST",
           "MAX_TOP", "PlanResult", "PlanRow", "evaluate_grid", "pareto_mask", "plan",
           "plan_table"]
