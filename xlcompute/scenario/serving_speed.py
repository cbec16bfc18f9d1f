"""Serving speed by model and GPU id: TTFT, TPOT, throughput, GPUs to serve (the Python face of TTFT_MS & co).

Each function builds one :func:`~xlcompute.scenario.setups.serving_setup` (model, GPU,
precisions, engine and its efficiency resolved once) and evaluates the formulas of
:mod:`xlcompute.core.serving` with it. Keyword arguments after ``batch`` are extensions;
``engine`` None = TensorRT-LLM on NVIDIA, vLLM elsewhere. :func:`band` turns any estimate into
its 80% band (the engine's out-of-source spread, docs/validation.md); ``ep_*`` size and time
expert-parallel deployments with data-parallel attention (:mod:`xlcompute.core.expert_parallel`).
"""

from __future__ import annotations

from typing import Any

from ..core import expert_parallel, inference, serving as core
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
            kv_precision: str | None = None, compute_precision: str | None = None, efficiency: Any = None,
            engine: str | None = None) -> float:
    """Time to first token [ms]: prefill of ``batch`` prompts of ``prompt_tokens`` on ``gpus``-way tensor parallelism.

    One definition on every face (TTFT_MS, the planner): the prefill time of
    :func:`xlcompute.core.serving.prefill_time_s`, request admission and first-token return
    included, no queueing. Raises when the weights and the prompts' KV cache do not fit.
    """
    s = serving_setup(model, gpu, precision, kv_precision, compute_precision, efficiency, engine)
    tp = _check_gpus(gpus)
    check_positive("batch", batch)
    check_positive("prompt_tokens", prompt_tokens)
    _require_fit(s, tp, prompt_tokens, batch, "prompt_tokens")
    seconds = core.prefill_time_s(s.shape, s.gpu, tp, batch, prompt_tokens, s.weight_precision,
                                  s.compute_precision, s.efficiency)
    return 1000.0 * seconds


def tpot_ms(model: Any, gpu: Any, gpus: int = 1, precision: str = "bf16", context_tokens: int = 1024, batch: int = 1,
            kv_precision: str | None = None, compute_precision: str | None = None, efficiency: Any = None,
            pipeline_stages: int = 1, draft_model: Any = None, acceptance: float = 0.8, draft_tokens: int = 4,
            engine: str | None = None) -> float:
    """Time per output token [ms] of one sequence in a batch of ``batch`` at ``context_tokens`` of context.

    ``pipeline_stages`` > 1 spreads the layers over that many groups of ``gpus`` GPUs.
    ``draft_model`` switches on speculative decoding (draft on the same GPUs, ``draft_tokens``
    proposed per step, each accepted with probability ``acceptance``).
    """
    s = serving_setup(model, gpu, precision, kv_precision, compute_precision, efficiency, engine)
    tp = _check_gpus(gpus)
    check_positive("batch", batch)
    check_positive("context_tokens", context_tokens)
    check_number("pipeline_stages", pipeline_stages, minimum=1.0, integer=True)
    _require_fit(s, tp, context_tokens, batch, "context_tokens", int(pipeline_stages))
    if draft_model is not None:
        draft = serving_setup(draft_model, s.gpu, precision, kv_precision, compute_precision, s.efficiency, s.engine)
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
              output_tokens: int = 256, kv_precision: str | None = None, efficiency: Any = None,
              engine: str | None = None) -> int:
    """Largest number of concurrent sequences whose KV cache fits beside the weights (0: the weights do not fit)."""
    s = serving_setup(model, gpu, precision, kv_precision, None, efficiency, engine)
    return int(core.max_batch_size(s.shape, s.gpu, _check_gpus(gpus), input_tokens + output_tokens, s.weight_precision,
                                   s.kv_precision, s.efficiency))


def tokens_per_s(model: Any, gpu: Any, gpus: int = 1, precision: str = "bf16", input_tokens: int = 1024,
                 output_tokens: int = 256, batch: int | None = None, kv_precision: str | None = None,
                 compute_precision: str | None = None, efficiency: Any = None, replicas: int = 1,
                 engine: str | None = None) -> float:
    """Aggregate output tokens per second of ``replicas`` copies of a ``gpus``-GPU replica.

    ``batch`` None = the largest batch that fits in memory (engine cap ``efficiency.max_batch``).
    """
    s = serving_setup(model, gpu, precision, kv_precision, compute_precision, efficiency, engine)
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
                kv_precision: str | None = None, usable_fraction: float | None = None, engine: str | None = None) -> int:
    """Fewest GPUs whose memory holds the weights and ``batch`` KV caches of ``context_tokens`` [GPUs].

    The same fit criterion as :func:`max_batch` (:func:`xlcompute.core.serving.kv_batch_capacity`):
    ``usable_fraction`` None = the engine's memory fraction ``kv_memory_fraction`` of the
    serving efficiency; ``kv_precision`` None follows the weights.
    """
    return gpus_to_serve(model, gpu, precision, context_tokens, batch, None, kv_precision, usable_fraction, engine=engine)


def gpus_to_serve(model: Any, gpu: Any, precision: str = "bf16", context_tokens: float = 4096, batch: float = 1,
                  requests_per_s: float | None = None, kv_precision: str | None = None,
                  usable_fraction: float | None = None, utilization: float = 0.4, engine: str | None = None) -> int:
    """Whole GPUs to serve [GPUs]: :func:`gpus_to_fit`, or more if compute binds at ``requests_per_s``.

    With a request rate R, R users each send one request of ``context_tokens`` per second
    (seed 004 eq. 11, :func:`xlcompute.core.inference.gpus_needed` with t_c = 1 s).
    """
    changes = None if usable_fraction is None else {"kv_memory_fraction": usable_fraction}
    s = serving_setup(model, gpu, precision, kv_precision, None, changes, engine)
    by_memory = core.gpus_for_batch(s.shape, s.gpu, batch, context_tokens, s.weight_precision, s.kv_precision,
                                    s.efficiency)
    if requests_per_s is None:
        return by_memory
    flops = inference.request_flops(float(s.shape.active_params), context_tokens)
    by_throughput = inference.gpus_for_throughput(requests_per_s, flops, 1.0, s.gpu.peak_flops(precision),
                                                  utilization)
    return max(by_memory, by_throughput)


def band(value: float, gpu: Any, engine: str | None = None, kind: str = "speed") -> tuple[float, float]:
    """(low, high) 80% band around an estimate: the engine's 10th-90th percentile of measured/predicted speed
    on sources its fit had not seen. ``kind`` "speed" (tokens/s) scales by the ratios, "time" (ms) by their inverse."""
    from .setups import engine_for, resolve_gpu  # the engine resolution every estimate uses
    chosen = engine_for(resolve_gpu(gpu), engine)
    low, high = chosen.band_low, chosen.band_high
    return (value * low, value * high) if kind == "speed" else (value / high, value / low)


def tpot_ms_band(model: Any, gpu: Any, *args: Any, engine: str | None = None, **kwargs: Any) -> tuple[float, float, float]:
    """(low, base, high) time per output token [ms]: :func:`tpot_ms` and its 80% band."""
    base = tpot_ms(model, gpu, *args, engine=engine, **kwargs)
    low, high = band(base, gpu, engine, "time")
    return low, base, high


def ttft_ms_band(model: Any, gpu: Any, *args: Any, engine: str | None = None, **kwargs: Any) -> tuple[float, float, float]:
    """(low, base, high) time to first token [ms]: :func:`ttft_ms` and its 80% band."""
    base = ttft_ms(model, gpu, *args, engine=engine, **kwargs)
    low, high = band(base, gpu, engine, "time")
    return low, base, high


def tokens_per_s_band(model: Any, gpu: Any, *args: Any, engine: str | None = None,
                      **kwargs: Any) -> tuple[float, float, float]:
    """(low, base, high) output tokens per second: :func:`tokens_per_s` and its 80% band."""
    base = tokens_per_s(model, gpu, *args, engine=engine, **kwargs)
    low, high = band(base, gpu, engine, "speed")
    return low, base, high


def _ep_setup(model: Any, gpu: Any, precision: str, kv_precision: str | None, engine: str | None) -> ServingSetup:
    return serving_setup(model, gpu, precision, kv_precision, None, None, "sglang" if engine is None else engine)


def ep_max_batch(model: Any, gpu: Any, gpus: int, attention_dp: int | None = None, precision: str = "fp8",
                 sequence_tokens: int = 4096, kv_precision: str | None = "bf16", engine: str | None = None,
                 redundant_experts: int = 32) -> int:
    """Sequences an expert-parallel deployment of ``gpus`` GPUs holds (``attention_dp`` None = one rank per GPU).

    Engine default SGLang: the open engine that runs this layout (DeepEP, DP attention) in LMSYS's replication
    of DeepSeek's system.
    """
    s = _ep_setup(model, gpu, precision, kv_precision, engine)
    ranks = _check_gpus(gpus) if attention_dp is None else _check_gpus(attention_dp)
    return int(expert_parallel.ep_batch_capacity(s.shape, s.gpu, _check_gpus(gpus), ranks, sequence_tokens,
                                                 s.weight_precision, s.kv_precision, s.efficiency, redundant_experts))


def ep_decode_tokens_per_s(model: Any, gpu: Any, gpus: int, batch: int, context_tokens: int = 4096,
                           attention_dp: int | None = None, precision: str = "fp8", kv_precision: str | None = "bf16",
                           engine: str | None = None, redundant_experts: int = 32) -> float:
    """Output tokens per second of an expert-parallel decode deployment holding ``batch`` sequences in all.

    Raises when the batch's KV cache does not fit (:func:`ep_max_batch`).
    """
    s = _ep_setup(model, gpu, precision, kv_precision, engine)
    gpus = _check_gpus(gpus)
    ranks = gpus if attention_dp is None else _check_gpus(attention_dp)
    check_positive("batch", batch)
    fits = ep_max_batch(model, gpu, gpus, ranks, precision, context_tokens, kv_precision, s.engine, redundant_experts)
    if fits < batch:
        raise XlcomputeError(f"batch: {s.model_id} holds {fits} sequences of {context_tokens} tokens on {gpus} x "
                             f"{s.gpu.id} with expert parallelism, not {batch}.", argument="batch")
    step = expert_parallel.ep_decode_step_time_s(s.shape, s.gpu, gpus, ranks, batch, context_tokens, s.weight_precision,
                                                 s.kv_precision, s.compute_precision, s.efficiency, redundant_experts)
    return batch / step


def ep_prefill_tokens_per_s(model: Any, gpu: Any, gpus: int, prompt_tokens: int = 4096, tokens_per_gpu: int = 16384,
                            attention_dp: int | None = None, precision: str = "fp8", engine: str | None = None,
                            redundant_experts: int = 32) -> float:
    """Input tokens per second of an expert-parallel prefill deployment with ``tokens_per_gpu`` tokens in flight."""
    s = _ep_setup(model, gpu, precision, None, engine)
    gpus = _check_gpus(gpus)
    ranks = gpus if attention_dp is None else _check_gpus(attention_dp)
    batch = max(1, tokens_per_gpu * gpus // prompt_tokens)
    seconds = expert_parallel.ep_prefill_time_s(s.shape, s.gpu, gpus, ranks, batch, prompt_tokens, s.weight_precision,
                                                s.compute_precision, s.efficiency, redundant_experts)
    return batch * prompt_tokens / seconds


__all__ = ["PRECISIONS", "band", "ep_decode_tokens_per_s", "ep_max_batch", "ep_prefill_tokens_per_s", "gpus_to_fit",
           "gpus_to_serve", "max_batch", "tokens_per_s", "tokens_per_s_band", "tpot_ms", "tpot_ms_band", "ttft_ms",
           "ttft_ms_band"]
