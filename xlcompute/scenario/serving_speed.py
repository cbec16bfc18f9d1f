"""Serving speed by model and GPU id: TTFT, TPOT, throughput, GPUs to serve (the Python face of TTFT_MS & co).

Each function builds one :func:`~xlcompute.scenario.setups.serving_setup` (model, GPU,
precisions, efficiency resolved once) and evaluates the formulas of
:mod:`xlcompute.core.serving` with it. Keyword arguments after ``batch`` are extensions.
"""

from __future__ import annotations

from typing import Any

from ..core import inference, serving as core
from ..core.errors import XlcomputeError, check_number, check_positive
from .setups import PRECISIONS, ServingSetup, serving_setup


def _check_gpus(gpus: Any) -> int:
    check_number("gpus", gpus, minimum=1.0, integer=True)
    return int(gpus)


def _require_fit(s: ServingSetup, tp: int, sequence_tokens: Any, batch: Any, tokens_argument: str,
                 pipeline_stages: int = 1) -> None:
    """Raise when the weights and ``batch`` KV caches of ``sequence_tokens`` do not fit (the max_batch_size rule)."""
    fits = core.pipeline_max_batch(s.shape, s.gpu, tp, pipeline_stages, sequence_tokens, s.weight_precision,
                                   s.kv_precision, s.efficiency)
    if fits >= batch:
        return
    where = f"{tp} x {s.gpu.id}" if pipeline_stages == 1 else f"{pipeline_stages} stages of {tp} x {s.gpu.id}"
    room = (f"room for {int(fits)} sequence(s) of {sequence_tokens:g} tokens, not batch = {batch:g}" if fits >= 1 else
            f"no room for one {sequence_tokens:g}-token sequence ({tokens_argument})")
    raise XlcomputeError(
        f"gpus: {s.model_id} at {s.weight_precision} (KV cache {s.kv_precision}) does not fit on {where}: {room}; "
        f"use more GPUs, a lower precision or a smaller batch.", argument="gpus")


def ttft_ms(model: Any, gpu: Any, gpus: int = 1, precision: str = "bf16", prompt_tokens: int = 1024, batch: int = 1,
            kv_precision: str | None = None, compute_precision: str | None = None, efficiency: Any = None) -> float:
    """Time to first token [ms]: prefill of ``batch`` prompts of ``prompt_tokens`` on ``gpus``-way tensor parallelism.

    One definition on every face (TTFT_MS, the planner): the prefill time of
    :func:`xlcompute.core.serving.prefill_time_s`, request admission and first-token return
    included, no queueing. Raises when the weights and the prompts' KV cache do not fit.
    """
    s = serving_setup(model, gpu, precision, kv_precision, compute_precision, efficiency)
    tp = _check_gpus(gpus)
    check_positive("batch", batch)
    check_positive("prompt_tokens", prompt_tokens)
    _require_fit(s, tp, prompt_tokens, batch, "prompt_tokens")
    seconds = core.prefill_time_s(s.shape, s.gpu, tp, batch, prompt_tokens, s.weight_precision,
                                  s.compute_precision, s.efficiency)
    return 1000.0 * seconds


def tpot_ms(model: Any, gpu: Any, gpus: int = 1, precision: str = "bf16", context_tokens: int = 1024, batch: int = 1,
            kv_precision: str | None = None, compute_precision: str | None = None, efficiency: Any = None,
            pipeline_stages: int = 1, draft_model: Any = None, acceptance: float = 0.8, draft_tokens: int = 4) -> float:
    """Time per output token [ms] of one sequence in a batch of ``batch`` at ``context_tokens`` of context.

    ``pipeline_stages`` > 1 spreads the layers over that many groups of ``gpus`` GPUs.
    ``draft_model`` switches on speculative decoding (draft on the same GPUs, ``draft_tokens``
    proposed per step, each accepted with probability ``acceptance``).
    """
    s = serving_setup(model, gpu, precision, kv_precision, compute_precision, efficiency)
    tp = _check_gpus(gpus)
    check_positive("batch", batch)
    check_positive("context_tokens", context_tokens)
    check_number("pipeline_stages", pipeline_stages, minimum=1.0, integer=True)
    _require_fit(s, tp, context_tokens, batch, "context_tokens", int(pipeline_stages))
    if draft_model is not None:
        draft = serving_setup(draft_model, s.gpu, precision, kv_precision, compute_precision, s.efficiency)
        verify = core.decode_step_time_s(s.shape, s.gpu, tp, batch, context_tokens, s.weight_precision, s.kv_precision,
                                         s.compute_precision, s.efficiency, tokens_per_sequence=draft_tokens + 1)
        draft_step = core.decode_step_time_s(draft.shape, s.gpu, tp, batch, context_tokens, draft.weight_precision,
                                             draft.kv_precision, draft.compute_precision, s.efficiency)
        return 1000.0 * core.speculative_time_per_token_s(verify, draft_step, acceptance, draft_tokens)
    if pipeline_stages > 1:
        seconds = core.pipeline_time_per_token_s(s.shape, s.gpu, tp, pipeline_stages, batch, context_tokens,
                                                 s.weight_precision, s.kv_precision, s.compute_precision, s.efficiency)
    else:
        seconds = core.decode_step_time_s(s.shape, s.gpu, tp, batch, context_tokens, s.weight_precision, s.kv_precision,
                                          s.compute_precision, s.efficiency)
    return 1000.0 * seconds


def max_batch(model: Any, gpu: Any, gpus: int = 1, precision: str = "bf16", input_tokens: int = 1024,
              output_tokens: int = 256, kv_precision: str | None = None, efficiency: Any = None) -> int:
    """Largest number of concurrent sequences whose KV cache fits beside the weights (0: the weights do not fit)."""
    s = serving_setup(model, gpu, precision, kv_precision, None, efficiency)
    return int(core.max_batch_size(s.shape, s.gpu, _check_gpus(gpus), input_tokens + output_tokens, s.weight_precision,
                                   s.kv_precision, s.efficiency))


def tokens_per_s(model: Any, gpu: Any, gpus: int = 1, precision: str = "bf16", input_tokens: int = 1024,
                 output_tokens: int = 256, batch: int | None = None, kv_precision: str | None = None,
                 compute_precision: str | None = None, efficiency: Any = None, replicas: int = 1) -> float:
    """Aggregate output tokens per second of ``replicas`` copies of a ``gpus``-GPU replica.

    ``batch`` None = the largest batch that fits in memory (engine cap ``efficiency.max_batch``).
    """
    s = serving_setup(model, gpu, precision, kv_precision, compute_precision, efficiency)
    tp = _check_gpus(gpus)
    check_number("replicas", replicas, minimum=1.0, integer=True)
    check_positive("input_tokens", input_tokens)
    check_positive("output_tokens", output_tokens)
    if batch is None or batch == "":
        batch = core.max_batch_size(s.shape, s.gpu, tp, input_tokens + output_tokens, s.weight_precision,
                                    s.kv_precision, s.efficiency)
    check_number("batch", batch, minimum=0.0)
    _require_fit(s, tp, input_tokens + output_tokens, batch if batch >= 1 else 1, "input_tokens + output_tokens")
    check_positive("batch", batch)
    per_replica = core.throughput_tokens_per_s(s.shape, s.gpu, tp, batch, input_tokens, output_tokens, s.weight_precision,
                                               s.kv_precision, s.compute_precision, s.efficiency)
    return replicas * per_replica


def gpus_to_fit(model: Any, gpu: Any, precision: str = "bf16", context_tokens: float = 4096, batch: float = 1,
                kv_precision: str | None = None, usable_fraction: float | None = None) -> int:
    """Fewest GPUs whose memory holds the weights and ``batch`` KV caches of ``context_tokens`` [GPUs].

    The same fit criterion as :func:`max_batch` (:func:`xlcompute.core.serving.kv_batch_capacity`):
    ``usable_fraction`` None = the engine's memory fraction ``kv_memory_fraction`` of the
    serving efficiency; ``kv_precision`` None follows the weights.
    """
    return gpus_to_serve(model, gpu, precision, context_tokens, batch, None, kv_precision, usable_fraction)


def gpus_to_serve(model: Any, gpu: Any, precision: str = "bf16", context_tokens: float = 4096, batch: float = 1,
                  requests_per_s: float | None = None, kv_precision: str | None = None,
                  usable_fraction: float | None = None, utilization: float = 0.4) -> int:
    """Whole GPUs to serve [GPUs]: :func:`gpus_to_fit`, or more if compute binds at ``requests_per_s``.

    With a request rate R, R users each send one request of ``context_tokens`` per second
    (seed 004 eq. 11, :func:`xlcompute.core.inference.gpus_needed` with t_c = 1 s).
    """
    changes = None if usable_fraction is None else {"kv_memory_fraction": usable_fraction}
    s = serving_setup(model, gpu, precision, kv_precision, None, changes)
    by_memory = core.gpus_for_batch(s.shape, s.gpu, batch, context_tokens, s.weight_precision, s.kv_precision,
                                    s.efficiency)
    if requests_per_s is None:
        return by_memory
    flops = inference.request_flops(float(s.shape.active_params), context_tokens)
    by_throughput = inference.gpus_for_throughput(requests_per_s, flops, 1.0, s.gpu.peak_flops(precision),
                                                  utilization)
    return max(by_memory, by_throughput)


__all__ = ["PRECISIONS", "gpus_to_fit", "gpus_to_serve", "max_batch", "tokens_per_s", "tpot_ms", "ttft_ms"]
