"""Parameter counts derived from architecture dimensions: total and active (MoE).

Counts follow the module layout of the Hugging Face ``transformers`` implementations
(LlamaForCausalLM, MistralForCausalLM, MixtralForCausalLM, Qwen2/Qwen3(-MoE), Gemma2,
Phi3, Falcon, GPT-2/GPT-3, BertModel, DeepseekV2/V3, GptOss), so that a count derived from
a ``config.json`` equals the number of learnable tensors' elements in the checkpoint
(non-learnable buffers such as rotary ``inv_freq`` are not parameters). References:
Vaswani et al. 2017 (arXiv:1706.03762); Narayanan et al. 2021 (arXiv:2104.04473) eq. for
12·l·h²; DeepSeek-AI 2024, DeepSeek-V2 (arXiv:2405.04434) §2.1 for multi-head latent
attention; Fedus et al. 2021 (arXiv:2101.03961) for mixture-of-experts layers.

Every component is one ``@formula`` with plain numeric inputs, so the breakdown of
:func:`params_total` shows each component with its substituted dimensions.
"""

from __future__ import annotations

from .architecture import ModelArch
from .errors import check_choice, check_number
from .formula import formula

_ARCH = ("arch", "", "model architecture (ModelArch)")


def _count(argument: str, value: int) -> None:
    check_number(argument, value, minimum=0, integer=True)


@formula(
    title="Input embedding parameters",
    equation="P_emb = V·h + S_pos·h + T·h",
    result=("P_emb", "parameters", "token, learned-position and token-type embeddings"),
    terms={
        "vocab_size": ("V", "tokens", "vocabulary size"),
        "hidden_size": ("h", "", "hidden size"),
        "max_position_embeddings": ("S_pos", "positions", "learned position table rows (0 for RoPE/ALiBi)"),
        "type_vocab_size": ("T", "types", "token-type (segment) embeddings, BERT; else 0"),
    },
    reference="Vaswani et al. 2017 §3.4-3.5; Radford et al. 2019 (GPT-2 learned positions); Devlin et al. 2018 §3 (BERT segment embeddings)",
)
def params_embedding(vocab_size: int, hidden_size: int, max_position_embeddings: int = 0, type_vocab_size: int = 0) -> int:
    for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size),
                        ("max_position_embeddings", max_position_embeddings), ("type_vocab_size", type_vocab_size)):
        _count(name, value)
    return (vocab_size + max_position_embeddings + type_vocab_size) * hidden_size


@formula(
    title="Output head (unembedding) parameters",
    equation="P_head = 0 if tied else V·h",
    result=("P_head", "parameters", "output projection to the vocabulary"),
    terms={
        "vocab_size": ("V", "tokens", "vocabulary size"),
        "hidden_size": ("h", "", "hidden size"),
        "tied": ("tied", "", "output head shares the input embedding matrix"),
    },
    reference="Press & Wolf 2017 (arXiv:1608.05859) weight tying; HF config tie_word_embeddings",
)
def params_output_head(vocab_size: int, hidden_size: int, tied: bool) -> int:
    _count("vocab_size", vocab_size)
    _count("hidden_size", hidden_size)
    return 0 if tied else vocab_size * hidden_size


@formula(
    title="Attention parameters per layer (MHA / GQA / MQA)",
    equation="P_attn = h·d·(n_q + 2·n_kv) + n_q·d·h + b_qkv·d·(n_q + 2·n_kv) + b_o·h + qk·2·d + sink·n_q",
    result=("P_attn", "parameters", "Q, K, V and output projections of one layer"),
    terms={
        "hidden_size": ("h", "", "hidden size"),
        "num_heads": ("n_q", "heads", "query heads"),
        "num_kv_heads": ("n_kv", "heads", "key/value heads (n_q for MHA, 1 for MQA)"),
        "head_dim": ("d", "", "dimension per head"),
        "qkv_bias": ("b_qkv", "", "1 if Q, K, V projections have biases"),
        "out_bias": ("b_o", "", "1 if the output projection has a bias"),
        "qk_norm": ("qk", "", "1 if queries and keys are RMS-normalised (d weights each)"),
        "attention_sinks": ("sink", "", "1 if each query head has a learned sink logit"),
    },
    reference="Vaswani et al. 2017 §3.2.2; Shazeer 2019 (arXiv:1911.02150) MQA; Ainslie et al. 2023 (arXiv:2305.13245) GQA",
)
def params_attention_per_layer(hidden_size: int, num_heads: int, num_kv_heads: int, head_dim: int,
                               qkv_bias: bool = False, out_bias: bool = False, qk_norm: bool = False,
                               attention_sinks: bool = False) -> int:
    for name, value in (("hidden_size", hidden_size), ("num_heads", num_heads),
                        ("num_kv_heads", num_kv_heads), ("head_dim", head_dim)):
        _count(name, value)
    qkv_width = head_dim * (num_heads + 2 * num_kv_heads)
    return (hidden_size * qkv_width + num_heads * head_dim * hidden_size
            + (qkv_width if qkv_bias else 0) + (hidden_size if out_bias else 0)
            + (2 * head_dim if qk_norm else 0) + (num_heads if attention_sinks else 0))


@formula(
    title="Multi-head latent attention parameters per layer (DeepSeek MLA)",
    equation="P_mla = [h·r_q + r_q + r_q·n·(d_n + d_r)  or  h·n·(d_n + d_r)] + h·(r_kv + d_r) + r_kv + r_kv·n·(d_n + d_v) + n·d_v·h",
    result=("P_mla", "parameters", "MLA projections and their low-rank norms in one layer"),
    terms={
        "hidden_size": ("h", "", "hidden size"),
        "num_heads": ("n", "heads", "attention heads"),
        "q_lora_rank": ("r_q", "", "query compression rank (0: queries projected directly)"),
        "kv_lora_rank": ("r_kv", "", "key/value compression rank (the cached latent)"),
        "qk_nope_head_dim": ("d_n", "", "per-head query/key dimension without RoPE"),
        "qk_rope_head_dim": ("d_r", "", "per-head decoupled RoPE dimension (key part shared by heads)"),
        "v_head_dim": ("d_v", "", "per-head value dimension"),
    },
    reference="DeepSeek-AI 2024, DeepSeek-V2 (arXiv:2405.04434) §2.1.2-2.1.3 eqs. 9-19; HF DeepseekV3Attention",
    assumptions="No projection biases (attention_bias false in DeepSeek-V2/V3 configs); q_a and kv_a RMSNorm weights included.",
)
def params_mla_per_layer(hidden_size: int, num_heads: int, q_lora_rank: int, kv_lora_rank: int,
                         qk_nope_head_dim: int, qk_rope_head_dim: int, v_head_dim: int) -> int:
    for name, value in (("hidden_size", hidden_size), ("num_heads", num_heads), ("q_lora_rank", q_lora_rank),
                        ("kv_lora_rank", kv_lora_rank), ("qk_nope_head_dim", qk_nope_head_dim),
                        ("qk_rope_head_dim", qk_rope_head_dim), ("v_head_dim", v_head_dim)):
        _count(name, value)
    q_width = num_heads * (qk_nope_head_dim + qk_rope_head_dim)
    if q_lora_rank:
        query = hidden_size * q_lora_rank + q_lora_rank + q_lora_rank * q_width
    else:
        query = hidden_size * q_width
    key_value = (hidden_size * (kv_lora_rank + qk_rope_head_dim) + kv_lora_rank
                 + kv_lora_rank * num_heads * (qk_nope_head_dim + v_head_dim))
    output = num_heads * v_head_dim * hidden_size
    return query + key_value + output


@formula(
    title="MLP (feed-forward) parameters",
    equation="P_mlp = m·h·i + b·((m−1)·i + h)   (m = 3 gated, 2 plain)",
    result=("P_mlp", "parameters", "one dense MLP or one expert"),
    terms={
        "hidden_size": ("h", "", "hidden size"),
        "intermediate_size": ("i", "", "MLP inner width"),
        "gated": ("gated", "", "gated (SwiGLU/GeGLU: gate, up, down) or plain (up, down)"),
        "bias": ("b", "", "1 if the projections have biases"),
    },
    reference="Vaswani et al. 2017 §3.3; Shazeer 2020 (arXiv:2002.05202) GLU variants",
)
def params_mlp(hidden_size: int, intermediate_size: int, gated: bool = True, bias: bool = False) -> int:
    _count("hidden_size", hidden_size)
    _count("intermediate_size", intermediate_size)
    matrices = 3 if gated else 2
    biases = ((matrices - 1) * intermediate_size + hidden_size) if bias else 0
    return matrices * hidden_size * intermediate_size + biases


@formula(
    title="Normalisation parameters",
    equation="P_norm = c·h·(1 if RMSNorm else 2)",
    result=("P_norm", "parameters", "scale (and LayerNorm bias) vectors"),
    terms={
        "hidden_size": ("h", "", "normalised width"),
        "count": ("c", "norms", "number of norms"),
        "norm": ("norm", "", "rmsnorm (weight) or layernorm (weight and bias)"),
    },
    reference="Ba et al. 2016 (arXiv:1607.06450) LayerNorm; Zhang & Sennrich 2019 (arXiv:1910.07467) RMSNorm",
)
def params_norms(hidden_size: int, count: int, norm: str = "rmsnorm") -> int:
    _count("hidden_size", hidden_size)
    _count("count", count)
    check_choice("norm", norm, ("rmsnorm", "layernorm"))
    return count * hidden_size * (1 if norm == "rmsnorm" else 2)


@formula(
    title="MoE router parameters per layer",
    equation="P_router = E·h + b·E + g·h",
    result=("P_router", "parameters", "expert router (and shared-expert gate)"),
    terms={
        "hidden_size": ("h", "", "hidden size"),
        "num_experts": ("E", "experts", "routed experts"),
        "bias": ("b", "", "1 if the router has a per-expert bias"),
        "shared_expert_gate": ("g", "", "1 if a h×1 gate scales the shared expert (Qwen2-MoE)"),
    },
    reference="Fedus et al. 2021 (arXiv:2101.03961) §2.1; Qwen2 tech report (arXiv:2407.10671) §2.2.2",
)
def params_router(hidden_size: int, num_experts: int, bias: bool = False, shared_expert_gate: bool = False) -> int:
    _count("hidden_size", hidden_size)
    _count("num_experts", num_experts)
    return num_experts * hidden_size + (num_experts if bias else 0) + (hidden_size if shared_expert_gate else 0)


@formula(
    title="MoE block parameters per layer",
    equation="P_moe = E·P_e + n_s·P_s + P_router",
    result=("P_moe", "parameters", "experts counted (all for total, top-k for active), shared experts and router"),
    terms={
        "expert_params": ("P_e", "parameters", "one routed expert"),
        "experts": ("E", "experts", "routed experts counted: all (total) or experts per token (active)"),
        "shared_expert_params": ("P_s", "parameters", "one shared expert"),
        "shared_experts": ("n_s", "experts", "shared experts (always active)"),
        "router_params": ("P_router", "parameters", "router"),
    },
    reference="Fedus et al. 2021 (arXiv:2101.03961); Dai et al. 2024, DeepSeekMoE (arXiv:2401.06066) §3 shared experts",
)
def params_moe_block(expert_params: int, experts: int, shared_expert_params: int = 0, shared_experts: int = 0,
                     router_params: int = 0) -> int:
    return experts * expert_params + shared_experts * shared_expert_params + router_params


@formula(
    title="Transformer layer stack parameters",
    equation="P_layers = L_d·(P_attn + P_mlp + P_ln) + L_m·(P_attn + P_moe + P_ln)",
    result=("P_layers", "parameters", "all transformer layers"),
    terms={
        "attention_params": ("P_attn", "parameters", "attention per layer"),
        "norm_params": ("P_ln", "parameters", "norms per layer"),
        "dense_mlp_params": ("P_mlp", "parameters", "dense MLP per layer"),
        "dense_layers": ("L_d", "layers", "layers with a dense MLP"),
        "moe_params": ("P_moe", "parameters", "MoE block per layer (total or active)"),
        "moe_layers": ("L_m", "layers", "layers with an MoE block"),
    },
    reference="Narayanan et al. 2021 (arXiv:2104.04473) §5.1 (12·l·h² for GPT with 4h MLP); DeepSeek-V3 (arXiv:2412.19437) §4.2 first_k_dense layers",
)
def params_layers(attention_params: int, norm_params: int, dense_mlp_params: int, dense_layers: int,
                  moe_params: int = 0, moe_layers: int = 0) -> int:
    return ((dense_layers + moe_layers) * (attention_params + norm_params)
            + dense_layers * dense_mlp_params + moe_layers * moe_params)


@formula(
    title="BERT pooler parameters",
    equation="P_pool = h·h + h",
    result=("P_pool", "parameters", "dense layer over the [CLS] token"),
    terms={"hidden_size": ("h", "", "hidden size")},
    reference="Devlin et al. 2018 (arXiv:1810.04805) §3; HF BertPooler",
)
def params_pooler(hidden_size: int) -> int:
    _count("hidden_size", hidden_size)
    return hidden_size * hidden_size + hidden_size


def _norms_per_layer(arch: ModelArch) -> int:
    if arch.norms_per_layer:
        return arch.norms_per_layer
    return 1 if arch.parallel_attention else 2


def params_attention_of(arch: ModelArch) -> int:
    """Attention parameters of one layer of ``arch`` (MLA or MHA/GQA/MQA)."""
    if arch.is_mla:
        return params_mla_per_layer(arch.hidden_size, arch.num_attention_heads, arch.q_lora_rank, arch.kv_lora_rank,
                                    arch.qk_nope_head_dim, arch.qk_rope_head_dim, arch.v_head_dim)
    return params_attention_per_layer(arch.hidden_size, arch.num_attention_heads, arch.num_kv_heads, arch.head_dim,
                                      arch.qkv_bias, arch.attn_out_bias, arch.qk_norm, arch.attention_sinks)


def _moe_block(arch: ModelArch, experts: int) -> int:
    gated = arch.mlp == "gated"
    expert_width = arch.moe_intermediate_size or arch.intermediate_size
    expert = params_mlp(arch.hidden_size, expert_width, gated, arch.mlp_bias)
    shared = 0
    if arch.num_shared_experts:
        shared = params_mlp(arch.hidden_size, arch.shared_expert_intermediate_size or expert_width, gated, arch.mlp_bias)
    router = params_router(arch.hidden_size, arch.num_experts, arch.router_bias, arch.shared_expert_gate)
    return params_moe_block(expert, experts, shared, arch.num_shared_experts, router)


def _embedding_of(arch: ModelArch) -> int:
    positions = arch.max_position_embeddings if arch.position_embedding == "learned" else 0
    return params_embedding(arch.vocab_size, arch.hidden_size, positions, arch.type_vocab_size)


def _total(arch: ModelArch, active: bool, input_embedding: bool = True) -> int:
    check_choice("mlp", arch.mlp, ("gated", "plain"))
    embedding = _embedding_of(arch) if input_embedding else 0
    head = params_output_head(arch.vocab_size, arch.hidden_size, arch.tie_word_embeddings)
    attention = params_attention_of(arch)
    norms = params_norms(arch.hidden_size, _norms_per_layer(arch), arch.norm)
    moe_layers = arch.num_moe_layers
    dense_layers = arch.num_layers - moe_layers
    dense_mlp = params_mlp(arch.hidden_size, arch.intermediate_size, arch.mlp == "gated", arch.mlp_bias) if dense_layers else 0
    moe = _moe_block(arch, arch.experts_per_token if active else arch.num_experts) if moe_layers else 0
    layers = params_layers(attention, norms, dense_mlp, dense_layers, moe, moe_layers)
    # Pre-norm decoders end with a final norm; post-norm encoders (BERT) have the same
    # count as the LayerNorm after the embeddings.
    final_norm = params_norms(arch.hidden_size, 1, arch.norm)
    pooler = params_pooler(arch.hidden_size) if arch.pooler else 0
    return embedding + head + layers + final_norm + pooler


@formula(
    title="Total parameters",
    equation="P = P_emb + P_head + P_layers(all experts) + P_final_norm + P_pool",
    result=("P", "parameters", "all learnable parameters (every expert)"),
    terms={"arch": _ARCH},
    reference="Component formulas below; HF transformers module layouts (see xlcompute.core.params)",
    assumptions="Learnable weights only: rotary inv_freq buffers and multi-token-prediction heads (DeepSeek-V3 MTP) are excluded.",
)
def params_total(arch: ModelArch) -> int:
    return _total(arch, active=False)


@formula(
    title="Active parameters per token",
    equation="P_active = e·P_emb + P_head + P_layers(k routed experts) + P_final_norm + P_pool",
    result=("P_active", "parameters", "parameters a token passes through (MoE: top-k routed + shared experts)"),
    terms={
        "arch": _ARCH,
        "count_input_embedding": ("e", "", "1 to count the input embedding table as active (Mixtral, Qwen), "
                                  "0 to leave the lookup out (DeepSeek, gpt-oss)"),
    },
    reference="Jiang et al. 2024, Mixtral (arXiv:2401.04088) and mistral.ai (12.9B of 46.7B, embedding counted); "
              "DeepSeek-V3 (arXiv:2412.19437) (37B of 671B) and OpenAI gpt-oss model card (arXiv:2508.10925) Table 1 (5.13B), "
              "embedding lookup not counted",
    assumptions="Vendors differ on whether the embedding lookup is 'active'; the default counts it. "
                "For dense models with e = 1, P_active = P.",
)
def params_active(arch: ModelArch, count_input_embedding: bool = True) -> int:
    return _total(arch, active=True, input_embedding=bool(count_input_embedding))


@formula(
    title="Non-embedding parameters",
    equation="P_ne = P − P_emb − P_head",
    result=("P_ne", "parameters", "parameters outside the embedding and output head"),
    terms={"arch": _ARCH},
    reference="Kaplan et al. 2020 (arXiv:2001.08361) §2.1 (N excludes embeddings); Qwen2.5 model cards (non-embedding counts)",
)
def params_non_embedding(arch: ModelArch) -> int:
    return (params_total(arch) - _embedding_of(arch)
            - params_output_head(arch.vocab_size, arch.hidden_size, arch.tie_word_embeddings))
