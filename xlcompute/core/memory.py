"""Memory: weights, training model states (ZeRO), activations, KV cache, serving totals.

Seed 004 (Liu et al. 2024, 邮电设计技术 2024(9):20-23) eqs. (3)-(6); seed 003 (weights by
precision, KV cache, activation memory, total inference memory); Rajbhandari et al. 2020
(ZeRO, arXiv:1910.02054); Korthikanti et al. 2022 (arXiv:2205.05198).

All results are in bytes [B]; :func:`to_memory_unit` converts to decimal GB (default) or GiB.
"""

from __future__ import annotations

from typing import Any

from .architecture import ModelArch
from .errors import XlcomputeError, check_choice, check_number, check_positive
from .formula import formula
from .units import memory_unit_bytes, precision_bytes

#: Bytes per parameter of mixed-precision Adam model states: (parameter, gradient, optimizer).
#: 16: ZeRO paper §3.1 (fp16 parameter 2 + fp16 gradient 2 + fp32 master, momentum, variance 12).
#: 18: Megatron-LM distributed optimizer (fp32 gradient accumulation buffer: 2 + 4 + 12).
STATE_BYTES_CONVENTIONS: dict[int, tuple[float, float, float]] = {16: (2.0, 2.0, 12.0), 18: (2.0, 4.0, 12.0)}

RECOMPUTE_MODES = ("none", "selective", "full")


def _minimum(a: Any, b: Any) -> Any:
    """min(a, b) that also works element-wise on arrays without importing numpy."""
    return a + (b - a) * (b < a)


def _arch(argument: str, arch: Any) -> ModelArch:
    if not isinstance(arch, ModelArch):
        raise XlcomputeError(f"{argument}: expected a model architecture (ModelArch), found {type(arch).__name__}.",
                             argument=argument)
    return arch


@formula(
    title="Weights memory",
    equation="M_w = P · B(precision)",
    result=("M_w", "B", "bytes to hold the weights"),
    terms={
        "params": ("P", "parameters", "parameters stored (for MoE: total, all experts)"),
        "precision": ("precision", "-", "weight precision: fp32, bf16/fp16, fp8/int8, int4, or bits per weight (4.5)"),
    },
    reference="Seed 003 §01 (parameters × bytes per parameter: 1B params at 2 B = 2 GB)",
    assumptions="Quantisation scales and zero points are included only through a fractional bits per weight "
                "(e.g. 4.5).",
)
def weights_bytes(params: float, precision: Any = "bf16") -> float:
    """Weights memory M_w = P · B [B]; ``params`` [parameters], ``precision`` a name or bits per weight."""
    check_positive("params", params)
    return params * precision_bytes(precision)


@formula(
    title="Memory unit conversion",
    equation="M_unit = M / bytes_per_unit",
    result=("M_unit", "unit", "memory in the requested unit"),
    terms={
        "num_bytes": ("M", "B", "memory in bytes"),
        "unit": ("unit", "-", "GB = 1e9 B (default, vendor convention), GiB = 2³⁰ B, MB, MiB, TB"),
    },
    reference="SI and IEC 80000-13 prefixes",
)
def to_memory_unit(num_bytes: float, unit: str = "GB") -> float:
    """Bytes expressed in ``unit`` [GB by default, or GiB, MB, MiB, TB]."""
    check_number("num_bytes", num_bytes)
    return num_bytes / memory_unit_bytes(unit)


@formula(
    title="Training model-state memory per GPU (ZeRO)",
    equation="stage 0: (p+g+o)·P;  ZeRO-1: (p+g)·P + o·P/n;  ZeRO-2: p·P + (g+o)·P/n;  ZeRO-3: (p+g+o)·P/n",
    result=("M_states", "B", "parameters, gradients and optimizer states on one GPU"),
    terms={
        "params": ("P", "parameters", "parameters held by this GPU's model replica (divide by TP×PP degree first)"),
        "num_gpus": ("n", "GPUs", "data-parallel GPUs the ZeRO states are sharded over"),
        "zero_stage": ("stage", "-", "0 (none), 1 (optimizer states), 2 (+gradients), 3 (+parameters)"),
        "bytes_per_param": ("p+g+o", "B/parameter",
                            "16 = 2+2+12 (ZeRO paper, fp16 gradients) or 18 = 2+4+12 (Megatron-LM, fp32 gradients)"),
    },
    reference="Seed 004 eqs. (3)-(6) with a = p = g, b = o; Rajbhandari et al. 2020 (ZeRO, arXiv:1910.02054) §3.1, §5; "
              "Megatron-LM distributed optimizer docs (18 B/parameter)",
    assumptions="Mixed-precision Adam. Seed 004 writes one 'a' for parameters and gradients; "
                "18 B/param needs g = 4 ≠ p.",
)
def training_memory_bytes(params: float, num_gpus: float = 1, zero_stage: int = 0, bytes_per_param: int = 16) -> float:
    """Model-state memory per GPU [B] for ZeRO stage 0-3 (seed 004 eqs. 3-6).

    M = (2a+b)P (eq. 3), M₁ = 2aP + bP/n (eq. 4), M₂ = aP + (a+b)P/n (eq. 5),
    M₃ = (2a+b)P/n (eq. 6), written with parameter bytes p, gradient bytes g and optimizer
    bytes o. ``bytes_per_param`` picks the convention: 16 (p=2, g=2, o=12; ZeRO paper,
    EleutherAI Transformer Math 101) or 18 (p=2, g=4, o=12; Megatron-LM, which keeps fp32
    gradients). ``params`` [parameters], ``num_gpus`` n [GPUs].
    """
    check_positive("params", params)
    check_positive("num_gpus", num_gpus)
    check_choice("zero_stage", zero_stage, (0, 1, 2, 3))
    check_choice("bytes_per_param", bytes_per_param, tuple(STATE_BYTES_CONVENTIONS))
    p, g, o = STATE_BYTES_CONVENTIONS[bytes_per_param]
    if zero_stage == 0:
        return (p + g + o) * params
    if zero_stage == 1:
        return (p + g) * params + o * params / num_gpus
    if zero_stage == 2:
        return p * params + (g + o) * params / num_gpus
    return (p + g + o) * params / num_gpus


@formula(
    title="Activation memory (training)",
    equation="per layer: none s·b·h·(10 + 24/t + 5·a·s/(h·t)); selective s·b·h·(10 + 24/t); full 2·s·b·h; "
             "sequence parallel divides the 10 by t too; × L layers",
    result=("M_act", "B", "activations stored for the backward pass"),
    terms={
        "seq_len": ("s", "tokens", "sequence length"),
        "micro_batch": ("b", "sequences", "micro-batch size per GPU"),
        "hidden_size": ("h", "-", "hidden size"),
        "num_heads": ("a", "heads", "attention heads"),
        "num_layers": ("L", "layers", "layers whose activations are held (all L under 1F1B pipelining)"),
        "recompute": ("recompute", "-", "'none', 'selective' (attention core recomputed, ≈ FlashAttention) or 'full'"),
        "tensor_parallel": ("t", "GPUs", "tensor-parallel degree"),
        "sequence_parallel": ("sp", "-", "Megatron sequence parallelism (shards LayerNorm/dropout activations by t)"),
    },
    reference="Korthikanti et al. 2022, arXiv:2205.05198, eqs. (1)-(6) and Table 2; seed 003 §01 "
              "(s·b·h·(34 + 5·a·s/h) without parallelism)",
    assumptions="16-bit activations and 1-byte dropout masks (the coefficients are bytes). Embedding and "
                "logit activations excluded. With pipelining (1F1B) the first stage holds L layers' worth.",
)
def activation_memory_bytes(seq_len: float, micro_batch: float, hidden_size: float, num_heads: float,
                            num_layers: float = 1, recompute: str = "none", tensor_parallel: float = 1,
                            sequence_parallel: bool = False) -> float:
    """Training activation memory [B] (Korthikanti et al. 2022, Table 2).

    Per layer, with s [tokens], b [sequences], h [-], a [heads], t [GPUs]:
    none: s·b·h·(10 + 24/t + 5·a·s/(h·t)), which is s·b·h·(34 + 5·a·s/h) at t = 1 (seed 003);
    selective: s·b·h·(10 + 24/t); with sequence parallelism the 10 becomes 10/t
    (s·b·h·34/t and s·b·h·(34 + 5as/h)/t); full recomputation keeps only the layer input,
    2·s·b·h (÷t with sequence parallelism). Multiplied by ``num_layers`` L.
    """
    check_positive("seq_len", seq_len)
    check_positive("micro_batch", micro_batch)
    check_positive("hidden_size", hidden_size)
    check_positive("num_heads", num_heads)
    check_positive("num_layers", num_layers)
    check_choice("recompute", recompute, RECOMPUTE_MODES)
    check_number("tensor_parallel", tensor_parallel, minimum=1)
    sbh = seq_len * micro_batch * hidden_size
    t = tensor_parallel
    if recompute == "full":
        per_layer = 2.0 * sbh / (t if sequence_parallel else 1.0)
    else:
        replicated = 10.0 / t if sequence_parallel else 10.0
        per_layer = sbh * (replicated + 24.0 / t)
        if recompute == "none":
            per_layer = per_layer + sbh * 5.0 * num_heads * seq_len / (hidden_size * t)
    return per_layer * num_layers


@formula(
    title="Training memory per GPU (model states + activations)",
    equation="M = M_states(P/(t·pp), n_dp, stage) + M_act(s, b, h, a, L, recompute, t, sp)",
    result=("M", "B", "training memory on one GPU"),
    terms={
        "arch": ("arch", "-", "model architecture (hidden size, heads, layers)"),
        "params": ("P", "parameters", "trainable parameters of the whole model (for MoE: total)"),
        "seq_len": ("s", "tokens", "sequence length"),
        "micro_batch": ("b", "sequences", "micro-batch size per GPU"),
        "data_parallel": ("n_dp", "GPUs", "data-parallel degree (ZeRO shards over it)"),
        "zero_stage": ("stage", "-", "ZeRO stage 0-3"),
        "bytes_per_param": ("p+g+o", "B/parameter", "16 (ZeRO paper) or 18 (Megatron-LM)"),
        "recompute": ("recompute", "-", "'none', 'selective' or 'full'"),
        "tensor_parallel": ("t", "GPUs", "tensor-parallel degree"),
        "pipeline_parallel": ("pp", "GPUs", "pipeline-parallel degree"),
        "sequence_parallel": ("sp", "-", "Megatron sequence parallelism"),
    },
    reference="Seed 004 eqs. (3)-(6); Korthikanti et al. 2022, arXiv:2205.05198 §4",
    assumptions="Model states split evenly over t·pp; activations of the first pipeline stage (L layers' worth under "
                "1F1B). Temporary buffers, fragmentation and the CUDA context are not included.",
)
def training_total_memory_bytes(arch: ModelArch, params: float, seq_len: float, micro_batch: float = 1,
                                data_parallel: float = 1, zero_stage: int = 0, bytes_per_param: int = 16,
                                recompute: str = "selective", tensor_parallel: float = 1,
                                pipeline_parallel: float = 1, sequence_parallel: bool = False) -> float:
    """Training memory per GPU [B]: model states (seed 004 eqs. 3-6) + activations (Korthikanti)."""
    arch = _arch("arch", arch)
    check_number("tensor_parallel", tensor_parallel, minimum=1)
    check_number("pipeline_parallel", pipeline_parallel, minimum=1)
    states = training_memory_bytes(params / (tensor_parallel * pipeline_parallel), data_parallel, zero_stage,
                                   bytes_per_param)
    activations = activation_memory_bytes(seq_len, micro_batch, arch.hidden_size, arch.num_attention_heads,
                                          arch.num_layers, recompute, tensor_parallel, sequence_parallel)
    return states + activations


def _precision_bytes(argument: str, precision: Any) -> float:
    """:func:`precision_bytes` as a breakdown step; a bad precision is reported as ``argument``."""
    try:
        return precision_bytes(precision)
    except XlcomputeError as exc:
        raise exc.for_argument(argument) from None


@formula(
    title="KV elements per token (MHA/GQA/MQA)",
    equation="e_kv = 2 · L · n_kv · d_head   (a key and a value per KV head per layer)",
    result=("e_kv", "elements/token", "cached values per token of context"),
    terms={
        "num_layers": ("L", "layers", "layers with attention"),
        "num_kv_heads": ("n_kv", "heads", "key/value heads (= attention heads for MHA, 1 for MQA)"),
        "head_dim": ("d_head", "-", "dimension of one head"),
    },
    reference="Seed 003 §01 (2·L·h for MHA); Kwon et al. 2023 (vLLM, arXiv:2309.06180) §3: OPT-13B 800 KB/token; "
              "Ainslie et al. 2023 (GQA, arXiv:2305.13245)",
)
def kv_elements_per_token_gqa(num_layers: float, num_kv_heads: float, head_dim: float) -> float:
    """KV cache per token [elements/token] = 2·L·n_kv·d_head for MHA, GQA and MQA."""
    return 2.0 * num_layers * num_kv_heads * head_dim


@formula(
    title="KV elements per token (MLA)",
    equation="e_kv = L · (d_c + d_rope)   (one compressed latent and one RoPE key per layer)",
    result=("e_kv", "elements/token", "cached values per token of context"),
    terms={
        "num_layers": ("L", "layers", "layers with attention"),
        "kv_lora_rank": ("d_c", "-", "compressed KV latent dimension (kv_lora_rank)"),
        "qk_rope_head_dim": ("d_rope", "-", "decoupled RoPE key dimension (qk_rope_head_dim)"),
    },
    reference="DeepSeek-AI 2024 (DeepSeek-V2, arXiv:2405.04434) §2.1.3 (MLA): (d_c + d_h^R)·l elements per token",
    assumptions="MLA caches the compressed latent and the RoPE key once per layer, not per head.",
)
def kv_elements_per_token_mla(num_layers: float, kv_lora_rank: float, qk_rope_head_dim: float) -> float:
    """KV cache per token [elements/token] = L·(d_c + d_rope) for multi-head latent attention."""
    return num_layers * (kv_lora_rank + qk_rope_head_dim)


@formula(
    title="KV elements per token",
    equation="MHA/GQA/MQA: e_kv = 2 · L · n_kv · d_head;  MLA: e_kv = L · (d_c + d_rope)",
    result=("e_kv", "elements/token", "cached values per token of context (before any sliding-window cap)"),
    terms={"arch": ("arch", "-", "model architecture (layers, KV heads, head dim, MLA ranks)")},
    reference="See kv_elements_per_token_gqa and kv_elements_per_token_mla",
)
def kv_elements_per_token(arch: ModelArch) -> float:
    """Cached values per token [elements/token], dispatching on the attention type of ``arch``."""
    arch = _arch("arch", arch)
    if arch.encoder_only:
        raise XlcomputeError(f"arch: {arch.id} is encoder-only and generates no KV cache.", argument="arch")
    if arch.is_mla:
        return kv_elements_per_token_mla(arch.num_layers, arch.kv_lora_rank, arch.qk_rope_head_dim)
    return kv_elements_per_token_gqa(arch.num_layers, arch.num_kv_heads, arch.head_dim)


def _windowed_layers(arch: ModelArch) -> int:
    if not arch.sliding_window:
        return 0
    # sliding_window_layers == 0 with a window set means every layer is windowed (Mistral-7B-v0.1).
    return arch.sliding_window_layers or arch.num_layers


@formula(
    title="KV cache per token",
    equation="m_kv = e_kv · B",
    result=("m_kv", "B/token", "KV-cache bytes per token of context (before any sliding-window cap)"),
    terms={
        "arch": ("arch", "-", "model architecture (layers, KV heads, head dim, MLA ranks)"),
        "kv_precision": ("precision", "-", "KV-cache precision, separate from the weights' (bf16, fp8, ...)"),
    },
    reference="Seed 003 §01 (2·b·s·L·h·B for MHA); Kwon et al. 2023 (vLLM, arXiv:2309.06180) §3: OPT-13B 800 KB/token; "
              "Ainslie et al. 2023 (GQA, arXiv:2305.13245); "
              "DeepSeek-AI 2024 (DeepSeek-V2, arXiv:2405.04434) §2.1.3 (MLA)",
)
def kv_cache_bytes_per_token(arch: ModelArch, kv_precision: Any = "bf16") -> float:
    """KV cache per token [B/token] = e_kv·B: 2·L·n_kv·d_head·B for MHA/GQA/MQA; L·(d_c + d_rope)·B for MLA.

    Seed 003 writes 2·L·h·B, which is the MHA case (n_kv·d_head = h); for GQA it overstates by
    n_heads/n_kv (8× for Llama-2-70B). Sliding-window layers are capped in :func:`kv_cache_bytes`.
    """
    elements = kv_elements_per_token(arch)
    return elements * _precision_bytes("kv_precision", kv_precision)


@formula(
    title="KV cache with sliding-window layers",
    equation="M_kv = b · (m_kv / L) · ((L − L_w) · ctx + L_w · min(ctx, W))",
    result=("M_kv", "B", "KV-cache bytes for the batch"),
    terms={
        "bytes_per_token": ("m_kv", "B/token", "KV-cache bytes per token over all layers"),
        "num_layers": ("L", "layers", "layers with attention"),
        "windowed_layers": ("L_w", "layers", "layers with a sliding window (rolling buffer)"),
        "window": ("W", "tokens", "sliding-window length"),
        "context_tokens": ("ctx", "tokens", "tokens in context per sequence (prompt + generated)"),
        "batch": ("b", "sequences", "sequences held at once"),
    },
    reference="Jiang et al. 2023 (Mistral 7B, arXiv:2310.06825) §2 rolling buffer cache",
    assumptions="Windowed layers keep at most W tokens; the other layers keep the whole context.",
)
def kv_cache_bytes_sliding_window(bytes_per_token: float, num_layers: float, windowed_layers: float, window: float,
                                  context_tokens: float, batch: float = 1) -> float:
    """KV cache [B] = b·(m_kv/L)·((L − L_w)·ctx + L_w·min(ctx, W)); ``window`` W [tokens]."""
    held = (num_layers - windowed_layers) * context_tokens + windowed_layers * _minimum(context_tokens, float(window))
    return batch * (bytes_per_token / num_layers) * held


@formula(
    title="KV cache",
    equation="M_kv = b · ctx · m_kv;  with sliding-window layers: b · (m_kv / L) · ((L − L_w) · ctx + L_w · min(ctx, W))",
    result=("M_kv", "B", "KV-cache bytes for the batch"),
    terms={
        "arch": ("arch", "-", "model architecture"),
        "context_tokens": ("ctx", "tokens", "tokens in context per sequence (prompt + generated)"),
        "batch": ("b", "sequences", "sequences held at once"),
        "kv_precision": ("precision", "-", "KV-cache precision (bf16, fp8, ...)"),
    },
    reference="Seed 003 §01 (KV = 2·b·s·L·h·B); "
              "Jiang et al. 2023 (Mistral 7B, arXiv:2310.06825) §2 rolling buffer cache",
    assumptions="Sliding-window layers keep at most `sliding_window` tokens (rolling buffer); "
                "sliding_window_layers = 0 with a window means all layers are windowed.",
)
def kv_cache_bytes(arch: ModelArch, context_tokens: float, batch: float = 1, kv_precision: Any = "bf16") -> float:
    """KV cache [B] = batch · Σ over layers of (bytes per token per layer) · min(ctx, window).

    ``context_tokens`` [tokens], ``batch`` [sequences]. Layers with a sliding window hold at
    most ``arch.sliding_window`` tokens; the others hold the whole context.
    """
    arch = _arch("arch", arch)
    check_positive("context_tokens", context_tokens)
    check_positive("batch", batch)
    per_token = kv_cache_bytes_per_token(arch, kv_precision)
    windowed = _windowed_layers(arch)
    if windowed:
        return kv_cache_bytes_sliding_window(per_token, arch.num_layers, windowed, arch.sliding_window,
                                             context_tokens, batch)
    return batch * per_token * context_tokens


@formula(
    title="Activation memory (inference)",
    equation="M_act = b · s · h · (34 + 5·a·s/h)   (one layer live; no s² term with FlashAttention)",
    result=("M_act", "B", "peak activation memory of a forward pass"),
    terms={
        "seq_len": ("s", "tokens", "tokens processed in one forward pass per sequence (prompt or prefill chunk)"),
        "batch": ("b", "sequences", "sequences in the forward pass"),
        "hidden_size": ("h", "-", "hidden size"),
        "num_heads": ("a", "heads", "attention heads"),
        "flash_attention": ("flash", "-", "True drops the 5·a·s/h score-matrix term (scores never materialised)"),
    },
    reference="Seed 003 §01 (激活内存 = b·s·h·(34 + 5·s·a/h)); coefficients from Korthikanti et al. 2022, arXiv:2205.05198",
    assumptions="Inference keeps no activations for a backward pass, so only one layer's activations are live at a "
                "time; 16-bit activations. Seed 003 says activations are kept in FP32; "
                "the coefficients are for 16-bit.",
)
def inference_activation_bytes(seq_len: float, batch: float, hidden_size: float, num_heads: float,
                               flash_attention: bool = False) -> float:
    """Inference activation memory [B] = b·s·h·(34 + 5·a·s/h) for one live layer (seed 003).

    ``seq_len`` [tokens], ``batch`` [sequences], ``hidden_size`` [-], ``num_heads`` [heads].
    With ``flash_attention`` the a·s² score term is dropped (Korthikanti's selective case).
    """
    recompute = "selective" if flash_attention else "none"
    return activation_memory_bytes(seq_len, batch, hidden_size, num_heads, 1, recompute)


@formula(
    title="Serving memory",
    equation="M = (M_w + M_kv + M_act) · (1 + f_overhead)",
    result=("M", "B", "memory to serve the model (all GPUs together)"),
    terms={
        "params": ("P", "parameters", "parameters stored (for MoE: total, all experts)"),
        "arch": ("arch", "-", "model architecture"),
        "context_tokens": ("ctx", "tokens", "context per sequence (prompt + output)"),
        "batch": ("b", "sequences", "concurrent sequences"),
        "weight_precision": ("precision_w", "-", "weight precision (bf16, fp8, int4, ...)"),
        "kv_precision": ("precision_kv", "-", "KV-cache precision (bf16, fp8, ...)"),
        "prefill_chunk_tokens": ("s_chunk", "tokens", "tokens per prefill forward pass (chunked prefill budget)"),
        "overhead_fraction": ("f_overhead", "-",
                              "runtime overhead: CUDA context, allocator fragmentation, graphs"),
    },
    reference="Seed 003 §01 (总推理内存 = 模型大小 + KV缓存 + 激活内存); overhead as in EleutherAI Transformer Math 101 "
              "(inference ≈ 1.2 × weights rule of thumb)",
    assumptions="FlashAttention-style prefill (no materialised scores), one prefill chunk live at a time.",
)
def serving_memory_bytes(params: float, arch: ModelArch, context_tokens: float, batch: float = 1,
                         weight_precision: Any = "bf16", kv_precision: Any = "bf16",
                         prefill_chunk_tokens: float = 2048, overhead_fraction: float = 0.10) -> float:
    """Serving memory [B] = (weights + KV cache + activations) · (1 + overhead fraction).

    ``params`` [parameters], ``context_tokens`` [tokens], ``batch`` [sequences],
    ``prefill_chunk_tokens`` [tokens], ``overhead_fraction`` [-] (explicit; 0 to leave it out).
    """
    arch = _arch("arch", arch)
    check_positive("prefill_chunk_tokens", prefill_chunk_tokens)
    check_number("overhead_fraction", overhead_fraction)
    weights = weights_bytes(params, weight_precision)
    kv = kv_cache_bytes(arch, context_tokens, batch, kv_precision)
    chunk = _minimum(context_tokens, prefill_chunk_tokens)
    activations = inference_activation_bytes(chunk, 1, arch.hidden_size, arch.num_attention_heads, True)
    return (weights + kv + activations) * (1.0 + overhead_fraction)
