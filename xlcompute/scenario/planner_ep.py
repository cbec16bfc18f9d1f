"""Expert-parallel layouts for the serving planner: EP over G GPUs with data-parallel attention.

A mixture-of-experts model is served, as DeepSeek and Qwen MoE deployments are, with its routed
experts spread over all G GPUs of a replica (expert parallelism) and its attention run in D
data-parallel ranks of t = G/D GPUs, each rank holding the KV cache of its own sequences (an MLA
cache is never copied across ranks). The planner searches these layouts beside the
tensor-parallel ones; the formulas are those of :mod:`xlcompute.core.expert_parallel`, the same
code path as ``serving_speed.ep_*`` and the validation of DeepSeek's production layout.

Per layout (G, t) and sequences per attention rank b (B = b·D sequences in the replica):

- fits: B ≤ :func:`~xlcompute.core.expert_parallel.ep_batch_capacity` at S_in + S_out tokens;
- TPOT = decode step of the B sequences at mean context S_in + S_out/2;
- TTFT = prefill of one prompt per attention rank (D prompts at once: the experts serve all ranks);
- replica tokens/s = B·S_out / (prefill of the B prompts + S_out · TPOT), as for tensor parallelism
  (prefill and decode on the same GPUs; a disaggregated deployment is faster at the same cost);
- replicas and cost as for tensor parallelism, with G GPUs per replica.

Searched by default (:data:`DEFAULT_EP_GPUS`): 8, 16, 32, 64, 72 and 144 GPUs, the layouts DeepSeek
(EP32 prefill, EP144 decode on H800) and LMSYS/SGLang (EP32 prefill, EP72 decode on H100) publish,
with t ∈ {1, 2, 4, 8} GPUs per attention rank; never more GPUs than experts (with their redundant
copies: :func:`max_ep_gpus`). Layer: scenario; imports numpy.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core import expert_parallel as ep_core
from ..core.inference import cost_per_million_tokens
from ..core.training import whole_count
from .setups import ServingSetup

#: GPUs of one expert-parallel replica: DeepSeek's EP32 (prefill) and EP144 (decode, 18 H800 nodes),
#: SGLang's EP72 (decode, 9 H100 nodes), and the powers of two between one node and eight.
DEFAULT_EP_GPUS = (8, 16, 32, 64, 72, 144)
#: GPUs per attention rank t = G/D (1: pure data-parallel attention, DeepSeek's choice).
DEFAULT_ATTENTION_TP = (1, 2, 4, 8)
#: Redundant expert copies per MoE layer for fine-grained MoE (DeepSeek's EPLB keeps 32; models with
#: fewer than 64 experts are served without them).
REDUNDANT_EXPERTS = 32


def redundant_for(num_experts: int) -> int:
    """Redundant experts the planner assumes: 32 for fine-grained MoE (≥ 64 experts), none otherwise."""
    return REDUNDANT_EXPERTS if num_experts >= 64 else 0


def redundant_experts(s: ServingSetup) -> int:
    """:func:`redundant_for` of a set-up's model."""
    return redundant_for(s.shape.num_experts)


def max_ep_gpus(num_experts: int) -> int:
    """Most GPUs an expert-parallel replica spreads over: one expert (copy) per GPU at least (Mixtral's 8
    experts: EP8; DeepSeek-V3's 256 + 32 redundant: 288)."""
    return num_experts + redundant_for(num_experts)


def ep_layouts(ep_gpus: Sequence[int], attention_tp: Sequence[int] = DEFAULT_ATTENTION_TP) -> tuple[np.ndarray, np.ndarray]:
    """(G, D) of every layout searched: t = G/D GPUs per attention rank, t dividing G."""
    pairs = sorted({(int(g), int(g) // int(t)) for g in ep_gpus for t in attention_tp if int(t) <= int(g)
                    and int(g) % int(t) == 0})
    return (np.asarray([g for g, _ in pairs], dtype=float), np.asarray([d for _, d in pairs], dtype=float))


def evaluate_ep_grid(s: ServingSetup, gpus: np.ndarray, ranks: np.ndarray, rank_batch: np.ndarray,
                     input_tokens: float, output_tokens: float, requests_per_s: float,
                     usd_per_gpu_hour: float) -> dict[str, np.ndarray]:
    """Every (layout, batch per rank) configuration of one MoE set-up, arrays of shape (layouts, batches)."""
    g2, d2 = gpus[:, None], ranks[:, None]
    batch = d2 * rank_batch.astype(float)[None, :]
    red = redundant_experts(s)
    eff = s.efficiency
    capacity = ep_core.ep_batch_capacity(s.shape, s.gpu, g2, d2, input_tokens + output_tokens, s.weight_precision,
                                         s.kv_precision, eff, red)
    tpot = ep_core.ep_decode_step_time_s(s.shape, s.gpu, g2, d2, batch, input_tokens + output_tokens / 2,
                                         s.weight_precision, s.kv_precision, s.compute_precision, eff, red)
    prefill_all = ep_core.ep_prefill_time_s(s.shape, s.gpu, g2, d2, batch, input_tokens, s.weight_precision,
                                            s.compute_precision, eff, red)
    ttft = ep_core.ep_prefill_time_s(s.shape, s.gpu, g2, d2, d2, input_tokens, s.weight_precision,
                                     s.compute_precision, eff, red)
    throughput = batch * output_tokens / (prefill_all + output_tokens * tpot)
    replicas = whole_count(requests_per_s * output_tokens / throughput)
    shape = tpot.shape
    return {
        "fits": (capacity > 0) & (batch <= capacity),
        "tpot_s": tpot,
        "ttft_s": np.broadcast_to(ttft, shape),
        "throughput": throughput,
        "replicas": replicas,
        "usd_per_hour": replicas * g2 * usd_per_gpu_hour,
        "usd_per_million": cost_per_million_tokens(usd_per_gpu_hour, replicas * g2, requests_per_s * output_tokens),
        "tp": np.broadcast_to(g2 / d2, shape),
        "batch": batch,
        "ep": np.broadcast_to(g2, shape),
        "attention_dp": np.broadcast_to(d2, shape),
    }


__all__ = ["DEFAULT_ATTENTION_TP", "DEFAULT_EP_GPUS", "REDUNDANT_EXPERTS", "ep_layouts", "evaluate_ep_grid",
           "max_ep_gpus", "redundant_experts", "redundant_for"]
