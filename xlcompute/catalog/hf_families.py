"""How each model family's ``config.json`` maps onto :class:`~xlcompute.core.ModelArch`.

Every family is one builder (keys -> ModelArch fields) and one ``defaults`` table: the values
its ``transformers`` configuration class (or, for remote-code checkpoints, the
``configuration_*.py`` shipped with them) uses when a key is absent, read from
github.com/huggingface/transformers ``src/transformers/models/<family>/configuration_<family>.py``.
Hidden size and layer count have no default: a file without them is malformed.
Implicit widths and layouts the classes derive from other keys (MLP = 4 x hidden, one KV head
under Falcon ``multi_query``, OPT's two offset rows of learned positions) are in the builders.
"""

from __future__ import annotations

from typing import Any, Callable

from .hf_config_reader import ConfigReader, leading_then_every

Fields = dict[str, Any]

# --- defaults of the transformers configuration classes (absent key -> this value) -----------

_LLAMA = dict(vocab_size=32000, intermediate_size=11008, num_attention_heads=32, max_position_embeddings=2048,
              tie_word_embeddings=False)
_MISTRAL = dict(_LLAMA, intermediate_size=14336, num_key_value_heads=8, max_position_embeddings=131072,
                sliding_window=4096)
_MIXTRAL = dict(_MISTRAL, sliding_window=None, num_local_experts=8, num_experts_per_tok=2)
_QWEN2 = dict(vocab_size=151936, intermediate_size=22016, num_attention_heads=32, num_key_value_heads=32,
              max_position_embeddings=32768, tie_word_embeddings=False, use_sliding_window=False,
              sliding_window=4096, max_window_layers=28)
_QWEN2_MOE = dict(_QWEN2, intermediate_size=5632, num_attention_heads=16, num_key_value_heads=16,
                  decoder_sparse_step=1, moe_intermediate_size=1408, shared_expert_intermediate_size=5632,
                  num_experts_per_tok=4, num_experts=60)
_QWEN3 = dict(_QWEN2, head_dim=128)
_QWEN3_MOE = dict(_QWEN2, intermediate_size=6144, num_key_value_heads=4, decoder_sparse_step=1,
                  moe_intermediate_size=768, num_experts_per_tok=8, num_experts=128)
_GEMMA = dict(vocab_size=256000, intermediate_size=24576, num_attention_heads=16, num_key_value_heads=16,
              head_dim=256, max_position_embeddings=8192, tie_word_embeddings=True)
_GEMMA2 = dict(_GEMMA, intermediate_size=9216, num_attention_heads=8, num_key_value_heads=4, sliding_window=4096)
_GEMMA3 = dict(_GEMMA2, vocab_size=262208, max_position_embeddings=131072, sliding_window_pattern=6)
_PHI3 = dict(vocab_size=32064, intermediate_size=8192, num_attention_heads=32, max_position_embeddings=4096,
             tie_word_embeddings=False)
_DEEPSEEK_V2 = dict(vocab_size=102400, intermediate_size=11008, moe_intermediate_size=1407,
                    num_attention_heads=32, num_key_value_heads=32, moe_layer_freq=1, first_k_dense_replace=0,
                    kv_lora_rank=512, q_lora_rank=1536, qk_rope_head_dim=64, v_head_dim=128,
                    qk_nope_head_dim=128, max_position_embeddings=2048, tie_word_embeddings=False)
_DEEPSEEK_V3 = dict(_DEEPSEEK_V2, vocab_size=129280, intermediate_size=18432, moe_intermediate_size=2048,
                    num_attention_heads=128, num_key_value_heads=128, n_shared_experts=1, n_routed_experts=256,
                    num_experts_per_tok=8, first_k_dense_replace=3, max_position_embeddings=4096,
                    topk_method="noaux_tc")
_GPT_OSS = dict(vocab_size=201088, intermediate_size=2880, head_dim=64, num_attention_heads=64,
                num_key_value_heads=8, num_local_experts=128, num_experts_per_tok=4, sliding_window=128,
                max_position_embeddings=131072, tie_word_embeddings=False, attention_bias=True)
_LLAMA4 = dict(vocab_size=202048, intermediate_size=8192, intermediate_size_mlp=16384, num_attention_heads=40,
               num_key_value_heads=8, head_dim=128, max_position_embeddings=131072, tie_word_embeddings=False,
               num_experts_per_tok=1, num_local_experts=16, interleave_moe_layer_step=1,
               attention_chunk_size=8192, no_rope_layer_interval=4)
_BERT = dict(vocab_size=30522, num_attention_heads=12, intermediate_size=3072, max_position_embeddings=512,
             type_vocab_size=2, tie_word_embeddings=True)
_GPT2 = dict(vocab_size=50257, n_positions=1024, n_head=12, tie_word_embeddings=True)
_GPTJ = dict(vocab_size=50400, n_positions=2048, n_head=16, tie_word_embeddings=False)
_GPT_NEOX = dict(vocab_size=50432, num_attention_heads=64, intermediate_size=24576, max_position_embeddings=2048,
                 tie_word_embeddings=False, use_parallel_residual=True, attention_bias=True)
_BLOOM = dict(vocab_size=250880, n_head=8, tie_word_embeddings=True)
_OPT = dict(vocab_size=50272, num_attention_heads=12, ffn_dim=3072, max_position_embeddings=2048,
            do_layer_norm_before=True, _remove_final_layer_norm=False, enable_bias=True, tie_word_embeddings=True)
_FALCON = dict(vocab_size=65024, num_attention_heads=71, new_decoder_architecture=False, multi_query=True,
               parallel_attn=True, bias=False, alibi=False, max_position_embeddings=2048, tie_word_embeddings=True)
# remote-code configuration_RW.py shipped with the first Falcon checkpoints (RefinedWeb/RefinedWebModel)
_RW = dict(vocab_size=250880, n_head=8, multi_query=False, parallel_attn=False, bias=False, alibi=False,
           tie_word_embeddings=True)
_PHI = dict(vocab_size=51200, intermediate_size=8192, num_attention_heads=32, max_position_embeddings=2048,
            tie_word_embeddings=False)
_PHI_MSFT = dict(vocab_size=50304, n_head=16, n_positions=2048, tie_word_embeddings=False)  # remote code
_MPT = dict(vocab_size=50368, n_heads=16, expansion_ratio=4, max_seq_len=2048, no_bias=True,
            tie_word_embeddings=True)
_QWEN1 = dict(vocab_size=151936, num_attention_heads=32, intermediate_size=22016, kv_channels=128,
              seq_length=8192, no_bias=True, tie_word_embeddings=False)  # remote code QWenConfig


# --- decoders in the Llama layout (gated MLP, RMSNorm, RoPE), dense, MoE and MLA ------------


def _decoder(r: ConfigReader) -> Fields:
    t = r.model_type
    hidden = r.count("hidden_size")
    layers = r.count("num_hidden_layers")
    heads = r.count("num_attention_heads")
    bias = r.flag("attention_bias", default=False)
    fields: Fields = dict(
        hidden_size=hidden, num_layers=layers, num_attention_heads=heads,
        num_kv_heads=r.count("num_key_value_heads", default=heads),
        head_dim=r.count("head_dim", default=max(1, hidden // heads)),
        vocab_size=r.count("vocab_size"),
        intermediate_size=r.count("intermediate_size"),
        tie_word_embeddings=r.flag("tie_word_embeddings", default=False),
        max_position_embeddings=r.count("max_position_embeddings", default=0, minimum=0),
        qkv_bias=bias, attn_out_bias=bias, mlp_bias=r.flag("mlp_bias", default=False),
    )
    if t in ("qwen2", "qwen2_moe"):  # QKV bias hard-wired, no output bias (Qwen2Attention)
        fields.update(qkv_bias=True, attn_out_bias=False)
    if t in ("qwen3", "qwen3_moe"):
        fields["qk_norm"] = True
    if t in ("gemma2", "gemma3", "gemma3_text"):  # pre- and post-norm around attention and MLP
        fields["norms_per_layer"] = 4
    if t in ("gemma3", "gemma3_text"):
        fields["qk_norm"] = True
    if t == "gpt_oss":  # experts carry biases; one learned sink logit per head; router bias
        fields.update(attention_sinks=True, router_bias=True, mlp_bias=True)
    if t in ("llama4", "llama4_text"):  # dense layers use intermediate_size_mlp, experts intermediate_size
        fields["intermediate_size"] = r.count("intermediate_size_mlp")
    _moe(r, fields, layers)
    _mla(r, fields)
    _sliding_window(r, fields, layers)
    return fields


def _moe_layers(r: ConfigReader, layers: int) -> list[int]:
    """Indices of the layers whose MLP is a mixture of experts, by the rule its keys belong to."""
    t, keys = r.model_type, set(r.config)
    if t in ("qwen2_moe", "qwen3_moe") or keys & {"decoder_sparse_step", "mlp_only_layers"}:
        dense = set(r.layer_list("mlp_only_layers", layers) or [])  # Qwen2MoeDecoderLayer
        step = r.count("decoder_sparse_step", default=1)
        return [i for i in range(layers) if i not in dense and (i + 1) % step == 0]
    if t in ("deepseek_v2", "deepseek_v3", "kimi_k2") or keys & {"first_k_dense_replace", "moe_layer_freq"}:
        first = r.count("first_k_dense_replace", default=0, minimum=0)  # DeepseekV3DecoderLayer
        step = r.count("moe_layer_freq", default=1)
        return [i for i in range(first, layers) if i % step == 0]
    if t in ("llama4", "llama4_text") or keys & {"moe_layers", "interleave_moe_layer_step"}:
        listed = r.layer_list("moe_layers", layers)  # Llama4TextConfig.moe_layers
        step = r.count("interleave_moe_layer_step", default=1)
        return listed if listed is not None else list(range(step - 1, layers, step))
    return list(range(layers))  # Mixtral, gpt-oss: every layer


def _moe(r: ConfigReader, fields: Fields, layers: int) -> None:
    experts = r.count("num_local_experts", "n_routed_experts", "num_experts", default=0, minimum=0)
    if not experts:
        return
    moe_layers = _moe_layers(r, layers)
    if not moe_layers:  # every layer listed as dense: a dense model
        return
    first, step = leading_then_every(r, moe_layers, layers)
    expert_width = r.count("moe_intermediate_size", default=0, minimum=0)
    fields.update(num_experts=experts, experts_per_token=r.count("num_experts_per_tok", "experts_per_token"),
                  first_dense_layers=first, moe_layer_freq=step, moe_intermediate_size=expert_width)
    t = r.model_type
    if t in ("llama4", "llama4_text"):  # one shared expert as wide as a routed one
        fields.update(moe_intermediate_size=r.count("intermediate_size"), num_shared_experts=1)
    elif t == "qwen2_moe":  # one sigmoid-gated shared expert of its own width
        width = r.count("shared_expert_intermediate_size", default=0, minimum=0)
        if width:
            fields.update(num_shared_experts=1, shared_expert_intermediate_size=width, shared_expert_gate=True)
    else:
        fields["num_shared_experts"] = r.count("n_shared_experts", default=0, minimum=0)
    if t in ("deepseek_v3", "kimi_k2") and r.value("topk_method", default="") == "noaux_tc":
        fields["router_bias"] = True  # e_score_correction_bias, one per expert


def _mla(r: ConfigReader, fields: Fields) -> None:
    kv_lora = r.count("kv_lora_rank", default=0, minimum=0)
    if kv_lora:  # q_lora_rank null (DeepSeek-V2-Lite): queries projected directly
        fields.update(q_lora_rank=r.count("q_lora_rank", default=0, minimum=0), kv_lora_rank=kv_lora,
                      qk_nope_head_dim=r.count("qk_nope_head_dim"), qk_rope_head_dim=r.count("qk_rope_head_dim"),
                      v_head_dim=r.count("v_head_dim"))


def _sliding_window(r: ConfigReader, fields: Fields, layers: int) -> None:
    """How many layers attend to a bounded window, by each family's layer rule."""
    t = r.model_type
    if t in ("llama4", "llama4_text"):  # chunked attention on the RoPE layers, global NoPE on the others
        window = r.count("attention_chunk_size", default=0, minimum=0)
        rope_layers = r.value("no_rope_layers", default=None)  # 1 = RoPE + chunked attention
        if isinstance(rope_layers, list) and rope_layers:
            count = sum(1 for flag in rope_layers if flag)
        else:
            interval = r.count("no_rope_layer_interval")
            count = layers - layers // interval
    else:
        window = r.count("sliding_window", default=0, minimum=0)
        if not window or not r.flag("use_sliding_window", default=True):
            return
        layer_types = r.value("layer_types", default=None)
        if isinstance(layer_types, list) and layer_types:
            count = sum(1 for kind in layer_types if "sliding" in str(kind))
        elif t in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"):  # layers from max_window_layers on
            count = max(0, layers - r.count("max_window_layers", minimum=0))
        elif t in ("gemma3", "gemma3_text"):  # every pattern-th layer global
            count = layers - layers // r.count("sliding_window_pattern")
        elif t in ("gemma2", "gpt_oss"):  # even-numbered layers local
            count = (layers + 1) // 2
        else:  # Mistral, Phi-3: every layer
            count = layers
    if window and count:
        fields.update(sliding_window=window, sliding_window_layers=min(count, layers))


# --- older layouts (plain MLP, LayerNorm, biases, learned positions or ALiBi) ----------------


def _plain(r: ConfigReader, hidden: tuple[str, ...], layers: tuple[str, ...], heads: tuple[str, ...]) -> Fields:
    """The dimensions every older layout has, read under its own key names."""
    width = r.count(*hidden)
    return dict(hidden_size=width, num_layers=r.count(*layers), num_attention_heads=r.count(*heads),
                vocab_size=r.count("vocab_size"), tie_word_embeddings=r.flag("tie_word_embeddings", default=False),
                mlp="plain", norm="layernorm", qkv_bias=True, attn_out_bias=True, mlp_bias=True)


def _gpt2(r: ConfigReader) -> Fields:  # GPT2Config: n_inner None -> 4 x n_embd
    fields = _plain(r, ("n_embd", "hidden_size"), ("n_layer", "num_hidden_layers"), ("n_head", "num_attention_heads"))
    fields.update(intermediate_size=r.count("n_inner", default=4 * fields["hidden_size"]), position_embedding="learned",
                  max_position_embeddings=r.count("n_positions", "max_position_embeddings"))
    return fields


def _gptj(r: ConfigReader) -> Fields:  # GPTJBlock: one ln_1 before parallel attention and MLP
    fields = _plain(r, ("n_embd", "hidden_size"), ("n_layer", "num_hidden_layers"), ("n_head", "num_attention_heads"))
    fields.update(intermediate_size=r.count("n_inner", default=4 * fields["hidden_size"]), parallel_attention=True,
                  qkv_bias=False, attn_out_bias=False,  # lm_head's vocab-sized bias is not a column
                  max_position_embeddings=r.count("n_positions", "max_position_embeddings"))
    return fields


def _gpt_neox(r: ConfigReader) -> Fields:  # GPTNeoXLayer: two LayerNorms even with the parallel residual
    fields = _plain(r, ("hidden_size",), ("num_hidden_layers",), ("num_attention_heads",))
    bias = r.flag("attention_bias")
    fields.update(intermediate_size=r.count("intermediate_size"), qkv_bias=bias, attn_out_bias=bias,
                  parallel_attention=r.flag("use_parallel_residual"), norms_per_layer=2,
                  max_position_embeddings=r.count("max_position_embeddings", minimum=0))
    return fields


def _bloom(r: ConfigReader) -> Fields:  # BloomMLP: dense_h_to_4h is always 4 x hidden
    fields = _plain(r, ("hidden_size", "n_embed"), ("n_layer", "num_hidden_layers"), ("n_head", "num_attention_heads"))
    fields.update(intermediate_size=4 * fields["hidden_size"], position_embedding="alibi",
                  max_position_embeddings=r.count("seq_length", default=0, minimum=0))
    return fields


def _opt(r: ConfigReader) -> Fields:
    fields = _plain(r, ("hidden_size",), ("num_hidden_layers",), ("num_attention_heads",))
    hidden = fields["hidden_size"]
    projection = r.count("word_embed_proj_dim", default=hidden)
    if projection != hidden:  # OPT-350m: embeddings narrower than the layers, with project_in/out
        raise r.fail(f"word_embed_proj_dim {projection} differs from hidden_size {hidden}; "
                     "embeddings of another width than the layers cannot be counted.")
    if not r.flag("do_layer_norm_before") or r.flag("_remove_final_layer_norm"):
        raise r.fail("post-norm OPT layout (do_layer_norm_before false) has no final LayerNorm; not supported.")
    bias = r.flag("enable_bias")
    fields.update(intermediate_size=r.count("ffn_dim"), qkv_bias=bias, attn_out_bias=bias, mlp_bias=bias,
                  position_embedding="learned",
                  # OPTLearnedPositionalEmbedding stores 2 offset rows before the first position
                  max_position_embeddings=r.count("max_position_embeddings") + 2)
    return fields


def _falcon(r: ConfigReader) -> Fields:
    fields = _plain(r, ("hidden_size", "n_embed"), ("num_hidden_layers", "n_layer"), ("num_attention_heads", "n_head"))
    hidden, heads = fields["hidden_size"], fields["num_attention_heads"]
    if r.model_type == "falcon":
        new_layout = r.flag("new_decoder_architecture")
    else:  # remote-code RW configs: n_head_kv marks the 40B layout (transformers' conversion script)
        new_layout = r.value("n_head_kv", "num_kv_heads", default=None) is not None
    bias = r.flag("bias")
    fields.update(qkv_bias=bias, attn_out_bias=bias, mlp_bias=bias,
                  intermediate_size=r.count("ffn_hidden_size", default=4 * hidden),
                  position_embedding="alibi" if r.flag("alibi") else "rope",
                  max_position_embeddings=r.count("max_position_embeddings", default=0, minimum=0))
    if new_layout:  # grouped KV heads; ln_attn + ln_mlp unless num_ln_in_parallel_attn is 1
        fields.update(num_kv_heads=r.count("num_kv_heads", "n_head_kv", default=heads), parallel_attention=True,
                      norms_per_layer=1 if r.count("num_ln_in_parallel_attn", default=2) == 1 else 2)
    else:
        fields.update(num_kv_heads=1 if r.flag("multi_query") else heads, parallel_attention=r.flag("parallel_attn"))
    return fields


def _phi(r: ConfigReader) -> Fields:  # PhiDecoderLayer: one LayerNorm, parallel attention and MLP
    fields = _plain(r, ("hidden_size", "n_embd"), ("num_hidden_layers", "n_layer"), ("num_attention_heads", "n_head"))
    hidden, heads = fields["hidden_size"], fields["num_attention_heads"]
    fields.update(num_kv_heads=r.count("num_key_value_heads", "n_head_kv", default=heads), parallel_attention=True,
                  intermediate_size=r.count("intermediate_size", "n_inner", default=4 * hidden),
                  max_position_embeddings=r.count("max_position_embeddings", "n_positions", minimum=0))
    return fields  # lm_head's vocab-sized bias is not a column


def _mpt(r: ConfigReader) -> Fields:
    fields = _plain(r, ("d_model",), ("n_layers",), ("n_heads",))
    biases = not r.flag("no_bias")
    attn = r.value("attn_config", default={})
    alibi = isinstance(attn, dict) and attn.get("alibi") is True
    fields.update(intermediate_size=r.count("expansion_ratio") * fields["hidden_size"],
                  qkv_bias=biases, attn_out_bias=biases, mlp_bias=biases,
                  # no_bias also drops the LayerNorm biases: weight-only norms count as RMSNorm does
                  norm="layernorm" if biases else "rmsnorm",
                  position_embedding="alibi" if alibi else "learned",
                  max_position_embeddings=r.count("max_seq_len"))
    return fields


def _qwen1(r: ConfigReader) -> Fields:  # remote-code QWenLMHeadModel
    fields = _plain(r, ("hidden_size",), ("num_hidden_layers",), ("num_attention_heads",))
    biases = not r.flag("no_bias")
    fields.update(mlp="gated", norm="rmsnorm", head_dim=r.count("kv_channels"),
                  # intermediate_size counts both SwiGLU input halves (w1, w2 are each half as wide)
                  intermediate_size=r.count("intermediate_size") // 2,
                  qkv_bias=True, attn_out_bias=biases, mlp_bias=biases,
                  max_position_embeddings=r.count("seq_length", "max_position_embeddings", minimum=0))
    return fields


def _bert(r: ConfigReader) -> Fields:
    fields = _plain(r, ("hidden_size",), ("num_hidden_layers",), ("num_attention_heads",))
    fields.update(intermediate_size=r.count("intermediate_size"), position_embedding="learned",
                  max_position_embeddings=r.count("max_position_embeddings"),
                  type_vocab_size=r.count("type_vocab_size", minimum=0), pooler=True, encoder_only=True)
    return fields


Builder = Callable[[ConfigReader], Fields]

#: model_type -> (builder, defaults of its configuration class)
FAMILIES: dict[str, tuple[Builder, dict[str, Any]]] = {
    "llama": (_decoder, _LLAMA), "mistral": (_decoder, _MISTRAL), "mixtral": (_decoder, _MIXTRAL),
    "qwen2": (_decoder, _QWEN2), "qwen2_moe": (_decoder, _QWEN2_MOE),
    "qwen3": (_decoder, _QWEN3), "qwen3_moe": (_decoder, _QWEN3_MOE),
    "gemma": (_decoder, _GEMMA), "gemma2": (_decoder, _GEMMA2),
    "gemma3": (_decoder, _GEMMA3), "gemma3_text": (_decoder, _GEMMA3),
    "phi3": (_decoder, _PHI3), "deepseek_v2": (_decoder, _DEEPSEEK_V2),
    "deepseek_v3": (_decoder, _DEEPSEEK_V3), "kimi_k2": (_decoder, _DEEPSEEK_V3),
    "gpt_oss": (_decoder, _GPT_OSS), "llama4": (_decoder, _LLAMA4), "llama4_text": (_decoder, _LLAMA4),
    "gpt2": (_gpt2, _GPT2), "gptj": (_gptj, _GPTJ), "gpt_neox": (_gpt_neox, _GPT_NEOX),
    "bloom": (_bloom, _BLOOM), "opt": (_opt, _OPT),
    "falcon": (_falcon, _FALCON), "refinedweb": (_falcon, _RW), "refinedwebmodel": (_falcon, _RW),
    "phi": (_phi, _PHI), "phi-msft": (_phi, _PHI_MSFT), "mpt": (_mpt, _MPT), "qwen": (_qwen1, _QWEN1),
    "bert": (_bert, _BERT),
}

#: Any other model_type with hidden_size is read as a Llama-layout decoder, every key required.
GENERIC: tuple[Builder, dict[str, Any]] = (_decoder, {})
