"""Transformer architecture description used by every model-level formula.

A :class:`ModelArch` holds the dimensions found in a Hugging Face ``config.json`` (or a
paper's architecture table). The catalog builds one per model; formulas read its fields.
Parameter counting from these dimensions lives in :mod:`xlcompute.core.params`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class ModelArch:
    """Dimensions of a decoder (or encoder) transformer.

    Dense models leave the MoE and MLA fields at their defaults. ``head_dim`` defaults to
    ``hidden_size // num_attention_heads``; ``num_kv_heads`` defaults to
    ``num_attention_heads`` (MHA); ``num_kv_heads=1`` is MQA.
    """

    id: str
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    intermediate_size: int
    vocab_size: int
    num_kv_heads: int = 0  # 0 -> num_attention_heads
    head_dim: int = 0  # 0 -> hidden_size // num_attention_heads
    name: str = ""
    tie_word_embeddings: bool = False
    mlp: str = "gated"  # "gated" (SwiGLU/GeGLU, 3 matrices) or "plain" (2 matrices)
    norm: str = "rmsnorm"  # "rmsnorm" (weight only) or "layernorm" (weight and bias)
    qkv_bias: bool = False  # bias on the Q, K, V projections (Qwen2, GPT-2)
    attn_out_bias: bool = False  # bias on the attention output projection
    mlp_bias: bool = False
    position_embedding: str = "rope"  # "rope", "alibi" or "learned" (adds max_position_embeddings x hidden)
    max_position_embeddings: int = 0
    parallel_attention: bool = False  # attention and MLP share one input norm (GPT-J, Falcon)
    # Mixture of experts (0 routed experts = dense)
    num_experts: int = 0  # routed experts per MoE layer
    experts_per_token: int = 0  # routed experts active per token (top-k)
    num_shared_experts: int = 0
    moe_intermediate_size: int = 0  # width of one routed expert (0 -> intermediate_size)
    shared_expert_intermediate_size: int = 0  # width of one shared expert (0 -> moe_intermediate_size)
    first_dense_layers: int = 0  # leading layers with a dense MLP (DeepSeek first_k_dense_replace)
    moe_layer_freq: int = 1  # every n-th layer (after the dense ones) is MoE
    # Multi-head latent attention (DeepSeek-V2/V3); kv_lora_rank > 0 switches it on
    q_lora_rank: int = 0  # 0 -> queries projected directly
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    # Sliding-window attention: the first `sliding_window_layers` counted layers see at most
    # `sliding_window` tokens (0 window = full attention everywhere).
    sliding_window: int = 0
    sliding_window_layers: int = 0
    encoder_only: bool = False
    # Rarer parameter-bearing details (defaults keep the common decoder layout)
    norms_per_layer: int = 0  # 0 -> 2 (pre-attention + pre-MLP), or 1 with parallel_attention; Gemma 2 has 4
    qk_norm: bool = False  # RMSNorm on queries and keys, head_dim weights each (Qwen3, Gemma 3)
    attention_sinks: bool = False  # one learned sink logit per query head (gpt-oss)
    router_bias: bool = False  # bias on the MoE router (gpt-oss; DeepSeek-V3 score-correction bias)
    shared_expert_gate: bool = False  # sigmoid gate on the shared expert, h x 1 (Qwen2-MoE)
    type_vocab_size: int = 0  # token-type (segment) embeddings (BERT)
    pooler: bool = False  # BERT pooler, h x h dense layer with bias

    def __post_init__(self) -> None:
        if not self.num_kv_heads:
            object.__setattr__(self, "num_kv_heads", self.num_attention_heads)
        if not self.head_dim:
            object.__setattr__(self, "head_dim", self.hidden_size // self.num_attention_heads)

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def attention_width(self) -> float:
        """Query heads × head dim of the attention scores [-]; for MLA the mean of the query-key and value
        head widths (QKᵀ runs at qk_nope + qk_rope, attention·V at v_head_dim)."""
        if self.is_mla:
            return self.num_attention_heads * (self.qk_nope_head_dim + self.qk_rope_head_dim + self.v_head_dim) / 2
        return float(self.num_attention_heads * self.head_dim)

    @property
    def num_moe_layers(self) -> int:
        if not self.is_moe:
            return 0
        return len(range(self.first_dense_layers, self.num_layers, max(1, self.moe_layer_freq)))

    def with_changes(self, **changes: Any) -> "ModelArch":
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        return self.id
