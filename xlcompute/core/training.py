"""Training compute and time.

Seed 004 (Liu et al., "大语言模型算力度量模型", 邮电设计技术 2024(9):20-23) eqs. (1)-(2);
Kaplan et al. 2020 (arXiv:2001.08361) §2.1; Hoffmann et al. 2022 (arXiv:2203.15556).
"""

from __future__ import annotations

from .errors import check_fraction, check_number, check_positive
from .formula import formula
from .units import FLOP_PER_PF_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR


@formula(
    title="Training compute",
    equation="C = k · P · T",
    result=("C", "FLOP", "total training compute"),
    terms={
        "params": ("P", "parameters", "trainable (for MoE: active) parameters"),
        "tokens": ("T", "tokens", "training tokens"),
        "flops_per_param_token": (
            "k",
            "FLOP/(parameter·token)",
            "6 = forward 2 + backward 4; 8 with full activation recomputation",
        ),
    },
    reference="Kaplan et al. 2020, arXiv:2001.08361 §2.1 (C ≈ 6PT); seed 004 eq. (1) (C ≈ 8TP with recomputation)",
    assumptions="Parameter-only count: the attention (s²) and logit terms are excluded; add train_attention_flops for them.",
)
def train_flops(params: float, tokens: float, flops_per_param_token: float = 6.0) -> float:
    """Training compute C = k·P·T [FLOP].

    ``params`` P [parameters] (MoE: active), ``tokens`` T [tokens], ``flops_per_param_token`` k
    [FLOP/(parameter·token)]: 6 (Kaplan et al. 2020; forward 2 + backward 4) by default, 8 with
    full activation recomputation (seed 004 eq. 1).
    """
    check_positive("params", params)
    check_positive("tokens", tokens)
    check_positive("flops_per_param_token", flops_per_param_token)
    return flops_per_param_token * params * tokens


def whole_count(value):
    """Round a required count up to whole units (GPUs), array-friendly.

    A relative tolerance of 1e-9 keeps float noise (e.g. 18.000000000004) from adding a GPU.
    Scalars come back as ``int``; arrays stay arrays of whole floats.
    """
    tolerant = value * (1.0 - 1e-9)
    ceiled = -((-tolerant) // 1)
    return ceiled if hasattr(ceiled, "shape") and getattr(ceiled, "ndim", 0) else int(ceiled)


@formula(
    title="Training attention compute",
    equation="C_attn = r · 2 · 2 · L · s · d_attn · T  (× ½ if causal)",
    result=("C_attn", "FLOP", "attention-score compute (QKᵀ and attention·V) over training"),
    terms={
        "num_layers": ("L", "layers", "transformer layers"),
        "seq_len": ("s", "tokens", "training sequence length (context attended)"),
        "attn_dim": ("d_attn", "-", "attention width = query heads × head dim (hidden size for MHA)"),
        "tokens": ("T", "tokens", "training tokens"),
        "causal": ("causal", "-", "True halves the term: a causal token attends to s/2 tokens on average"),
        "passes": ("r", "-", "forward-equivalent passes: 3 = forward + backward; 4 with full recomputation"),
    },
    reference="Kaplan et al. 2020, arXiv:2001.08361 Table 1 (2·L·n_ctx·d_attn per token and matmul); "
              "Chowdhery et al. 2022 (PaLM) App. B, 6N + 12·L·H·Q·T per token (= r·4·L·s·d_attn with r = 3)",
    assumptions="Counts QKᵀ and attention·V (2 FLOP per multiply-add each); softmax and masking ignored. "
                "Default is non-causal, as in the PaLM and Megatron MFU conventions.",
)
def train_attention_flops(num_layers: float, seq_len: float, attn_dim: float, tokens: float,
                          causal: bool = False, passes: float = 3.0) -> float:
    """Attention-score FLOPs of training: C_attn = r·2·2·L·s·d_attn·T [FLOP], halved if causal.

    ``num_layers`` [layers], ``seq_len`` [tokens], ``attn_dim`` [-], ``tokens`` [tokens],
    ``passes`` r [-]. Add it to :func:`train_flops` for the PaLM "model FLOPs" count.
    """
    check_positive("num_layers", num_layers)
    check_positive("seq_len", seq_len)
    check_positive("attn_dim", attn_dim)
    check_positive("tokens", tokens)
    check_positive("passes", passes)
    share = 0.5 if causal else 1.0
    return passes * 2.0 * 2.0 * num_layers * seq_len * attn_dim * tokens * share


@formula(
    title="Attention share of training compute",
    equation="a = C_attn / C = 2 · L · s · d_attn / P  (× ½ if causal)",
    result=("a", "-", "attention-score compute per 6·P·D compute"),
    terms={
        "num_layers": ("L", "layers", "transformer layers"),
        "seq_len": ("s", "tokens", "training sequence length"),
        "attn_dim": ("d_attn", "-", "attention width = query heads × head dim"),
        "params": ("P", "parameters", "trainable (for MoE: active) parameters"),
        "causal": ("causal", "-", "True halves the term"),
    },
    reference="Chowdhery et al. 2022 (PaLM) App. B: model FLOPs per token 6N + 12·L·H·Q·T",
    assumptions="Both terms at 3 forward-equivalent passes (no recomputation); non-causal by default, as PaLM.",
)
def attention_share(num_layers: float, seq_len: float, attn_dim: float, params: float, causal: bool = False) -> float:
    """Attention compute over 6·P·D compute, a = train_attention_flops / train_flops per token [-].

    MFU counted on 6·P·D (``train_flops``) is the PaLM model-FLOPs MFU divided by (1 + a).
    """
    return train_attention_flops(num_layers, seq_len, attn_dim, 1.0, causal) / train_flops(params, 1.0)


@formula(
    title="Training time",
    equation="t = C / (n · X · MFU)",
    result=("t", "s", "wall-clock training time"),
    terms={
        "flops": ("C", "FLOP", "total training compute"),
        "num_gpus": ("n", "GPUs", "accelerators training together"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one accelerator at the training precision"),
        "mfu": ("MFU", "-", "model FLOPs utilisation: achieved share of peak (PaLM 0.46, LLaMA-65B ~0.48, MT-NLG 0.30)"),
    },
    reference="Seed 004 eq. (2) t = C/(nX); MFU as defined in Chowdhery et al. 2022 (PaLM) App. B",
    assumptions="X·MFU is the sustained rate; restarts, evaluation and downtime are not included.",
)
def training_time_s(flops: float, num_gpus: float, peak_flops_per_gpu: float, mfu: float = 0.4) -> float:
    """Training wall-clock time t = C / (n·X·MFU) [s].

    ``flops`` C [FLOP], ``num_gpus`` n [GPUs], ``peak_flops_per_gpu`` X [FLOP/s], ``mfu`` [-]
    (generic default 0.4: large dense runs on A100/H100 publish 0.3-0.55; the faces that know the
    GPU, the Excel functions and ``xlcompute calc`` given a GPU id, use the base MFU fitted for its
    generation, :data:`xlcompute.core.efficiency.TRAINING_MFU`). Seed 004 writes t = C/(nX)
    with X the achieved throughput; we split X into the spec-sheet peak and MFU.
    """
    check_positive("flops", flops)
    check_positive("num_gpus", num_gpus)
    check_positive("peak_flops_per_gpu", peak_flops_per_gpu)
    check_fraction("mfu", mfu)
    return flops / (num_gpus * peak_flops_per_gpu * mfu)


@formula(
    title="Training time in days",
    equation="days = t / 86400",
    result=("days", "days", "wall-clock training time"),
    terms={
        "flops": ("C", "FLOP", "total training compute"),
        "num_gpus": ("n", "GPUs", "accelerators training together"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one accelerator"),
        "mfu": ("MFU", "-", "model FLOPs utilisation"),
    },
    reference="Seed 004 eq. (2)",
)
def training_days(flops: float, num_gpus: float, peak_flops_per_gpu: float, mfu: float = 0.4) -> float:
    """Training wall-clock time in days: t / 86400 [days], t from :func:`training_time_s`.

    ``mfu`` default as in :func:`training_time_s` (GPU-aware faces use the fitted per-generation MFU).
    """
    return training_time_s(flops, num_gpus, peak_flops_per_gpu, mfu) / SECONDS_PER_DAY


@formula(
    title="GPU-hours",
    equation="H = C / (X · MFU · 3600)",
    result=("H", "GPU·h", "accelerator-hours of training"),
    terms={
        "flops": ("C", "FLOP", "total training compute"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one accelerator"),
        "mfu": ("MFU", "-", "model FLOPs utilisation"),
    },
    reference="Seed 004 eq. (2) times n; LLaMA (Touvron et al. 2023, arXiv:2302.13971) Table 15 reports GPU-hours",
    assumptions="Independent of the GPU count at constant MFU.",
)
def gpu_hours(flops: float, peak_flops_per_gpu: float, mfu: float = 0.4) -> float:
    """Accelerator-hours H = C / (X·MFU·3600) [GPU·h]; ``flops`` [FLOP], ``peak_flops_per_gpu`` [FLOP/s].

    ``mfu`` default as in :func:`training_time_s` (GPU-aware faces use the fitted per-generation MFU).
    """
    check_positive("flops", flops)
    check_positive("peak_flops_per_gpu", peak_flops_per_gpu)
    check_fraction("mfu", mfu)
    return flops / (peak_flops_per_gpu * mfu * SECONDS_PER_HOUR)


@formula(
    title="GPUs for a deadline",
    equation="n = ⌈C / (t · 86400 · X · MFU)⌉",
    result=("n", "GPUs", "whole accelerators needed to finish in time"),
    terms={
        "flops": ("C", "FLOP", "total training compute"),
        "days": ("t", "days", "deadline (wall-clock)"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one accelerator"),
        "mfu": ("MFU", "-", "model FLOPs utilisation"),
    },
    reference="Seed 004 eq. (2) solved for n",
    assumptions="MFU stays constant as n grows (optimistic at very large n).",
)
def gpus_for_deadline(flops: float, days: float, peak_flops_per_gpu: float, mfu: float = 0.4) -> int:
    """Whole GPUs n = ⌈C / (t·86400·X·MFU)⌉ [GPUs]; ``days`` [days], ``flops`` [FLOP], X [FLOP/s].

    ``mfu`` default as in :func:`training_time_s` (GPU-aware faces use the fitted per-generation MFU).
    """
    check_positive("flops", flops)
    check_positive("days", days)
    check_positive("peak_flops_per_gpu", peak_flops_per_gpu)
    check_fraction("mfu", mfu)
    return whole_count(flops / (days * SECONDS_PER_DAY * peak_flops_per_gpu * mfu))


@formula(
    title="Compute in PF-days",
    equation="PF-days = C / (10¹⁵ · 86400)",
    result=("PF-days", "PF·day", "compute in petaFLOP/s-days"),
    terms={"flops": ("C", "FLOP", "total compute")},
    reference="Seed 004 §2.1.2.1; Brown et al. 2020 (GPT-3) Table D.1",
)
def pf_days(flops: float) -> float:
    """Compute in PF-days: C / 8.64e19 [PF·day]; ``flops`` [FLOP]."""
    check_positive("flops", flops)
    return flops / FLOP_PER_PF_DAY


@formula(
    title="Training compute cost",
    equation="$ = H · p",
    result=("$", "USD", "accelerator rental cost"),
    terms={
        "gpu_hours": ("H", "GPU·h", "accelerator-hours"),
        "usd_per_gpu_hour": ("p", "USD/(GPU·h)", "price of one accelerator-hour"),
    },
    reference="GPU-hours × hourly price (e.g. MPT-7B: ~$200k at ~$2/A100-hour, MosaicML 2023)",
    assumptions="Accelerator rental only: storage, network, staff and failed runs are not included.",
)
def train_cost(gpu_hours: float, usd_per_gpu_hour: float) -> float:
    """Training cost $ = H · p [USD]; ``gpu_hours`` [GPU·h], ``usd_per_gpu_hour`` [USD/(GPU·h)]."""
    check_positive("gpu_hours", gpu_hours)
    check_number("usd_per_gpu_hour", usd_per_gpu_hour)
    return gpu_hours * usd_per_gpu_hour


@formula(
    title="Implied MFU",
    equation="MFU = C / (H · 3600 · X)",
    result=("MFU", "-", "achieved share of peak implied by a reported run"),
    terms={
        "flops": ("C", "FLOP", "model FLOPs of the run (e.g. 6PT)"),
        "gpu_hours": ("H", "GPU·h", "accelerator-hours used"),
        "peak_flops_per_gpu": ("X", "FLOP/s", "dense peak throughput of one accelerator"),
    },
    reference="Chowdhery et al. 2022 (PaLM) App. B definition of MFU",
)
def implied_mfu(flops: float, gpu_hours: float, peak_flops_per_gpu: float) -> float:
    """MFU = C / (H·3600·X) [-]; ``flops`` [FLOP], ``gpu_hours`` [GPU·h], X [FLOP/s]."""
    check_positive("flops", flops)
    check_positive("gpu_hours", gpu_hours)
    check_positive("peak_flops_per_gpu", peak_flops_per_gpu)
    return flops / (gpu_hours * SECONDS_PER_HOUR * peak_flops_per_gpu)
