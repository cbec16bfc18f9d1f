"""Read a local Hugging Face ``config.json`` into a :class:`~xlcompute.core.ModelArch`.

No network and no ``transformers``: the keys are read as the ``transformers`` configuration
classes define them (LlamaConfig, MistralConfig, MixtralConfig, Qwen2Config, Qwen2MoeConfig,
Qwen3Config, Qwen3MoeConfig, Gemma/Gemma2/Gemma3(Text)Config, Phi3Config, DeepseekV2/V3Config
and Kimi K2's DeepSeek-V3 layout, GPT2Config, FalconConfig, GptOssConfig, BertConfig), with the
defaults those classes use when a key is absent.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ..core.architecture import ModelArch
from ..core.errors import XlcomputeError

SUPPORTED_MODEL_TYPES = (
    "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2",
    "gemma3", "gemma3_text", "phi3", "deepseek_v2", "deepseek_v3", "kimi_k2", "gpt2", "falcon", "gpt_oss",
    "bert",
)
# model types whose vendors leave the input embedding out of "active" parameters
# (DeepSeek-V2/V3 papers, OpenAI gpt-oss model card); see core.params.params_active
ACTIVE_WITHOUT_INPUT_EMBEDDING = {"deepseek_v2", "deepseek_v3", "kimi_k2", "gpt_oss"}
# model types whose config class defaults tie_word_embeddings to True
_TIED_BY_DEFAULT = {"gemma", "gemma2", "gemma3", "gemma3_text", "gpt2", "falcon", "bert"}


def config_path(ref: Any) -> Path | None:
    """The config.json that ``ref`` points to (a file, or a directory holding one), else None."""
    text = str(ref).strip()
    if not text or "\n" in text:
        return None
    path = Path(text).expanduser()
    if text.lower().endswith(".json") or path.is_dir():
        candidate = path / "config.json" if path.is_dir() else path
        return candidate
    return None


#: Largest config.json read [bytes]: real ones are a few kB (DeepSeek-V3's is 1.7 kB).
MAX_CONFIG_BYTES = 1_000_000


def load_config(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``, with a clear error for a missing or malformed file.

    Only a regular file of at most :data:`MAX_CONFIG_BYTES` is read: a FIFO or device named
    ``config.json`` would block the read or never end it.
    """
    path = Path(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise XlcomputeError(f"model: {str(path)!r} is not a regular file (a folder, pipe or device).",
                                 argument="model")
        if st.st_size > MAX_CONFIG_BYTES:
            raise XlcomputeError(f"model: {str(path)!r} is {st.st_size:,} bytes; a config.json has at most "
                                 f"{MAX_CONFIG_BYTES:,}.", argument="model")
        with open(path, "rb") as handle:
            text = handle.read(MAX_CONFIG_BYTES + 1).decode("utf-8")
    except OSError as exc:
        raise XlcomputeError(f"model: cannot read config file {str(path)!r} ({exc.strerror or exc}).",
                             argument="model") from exc
    except UnicodeDecodeError as exc:
        raise XlcomputeError(f"model: {str(path)!r} is not UTF-8 text ({exc.reason}).", argument="model") from exc
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise XlcomputeError(f"model: {str(path)!r} is not valid JSON (line {exc.lineno}: {exc.msg}).",
                             argument="model") from exc
    if not isinstance(config, dict):
        raise XlcomputeError(f"model: {str(path)!r} must hold a JSON object, found {type(config).__name__}.",
                             argument="model")
    # multimodal wrappers keep the language model under text_config
    if isinstance(config.get("text_config"), dict) and "hidden_size" not in config:
        merged = dict(config["text_config"])
        merged.setdefault("model_type", config.get("model_type", ""))
        return merged
    return config


def arch_from_config_file(path: str | Path) -> ModelArch:
    """ModelArch of the model described by the config.json at ``path``."""
    path = Path(path)
    config = load_config(path)
    default_id = config.get("_name_or_path") or (path.parent.name if path.name == "config.json" else path.stem)
    return arch_from_config(config, model_id=str(default_id) or "config", label=str(path))


def arch_from_config(config: dict[str, Any], model_id: str = "config", label: str = "config.json") -> ModelArch:
    """ModelArch from a parsed config.json dict."""
    model_type = str(config.get("model_type", "")).lower()
    if model_type not in SUPPORTED_MODEL_TYPES and "hidden_size" not in config:
        raise XlcomputeError(
            f"model: {label}: model_type {model_type!r} is not supported; supported: "
            f"{', '.join(SUPPORTED_MODEL_TYPES)} (or any Llama-like config with hidden_size, "
            "num_hidden_layers, num_attention_heads, intermediate_size, vocab_size).",
            argument="model")

    def get(*keys: str, default: Any = None, required: bool = False) -> Any:
        for key in keys:
            value = config.get(key)
            if value is not None:
                return value
        if required:
            raise XlcomputeError(f"model: {label}: missing key {keys[0]!r} (model_type {model_type!r}).",
                                 argument="model")
        return default

    hidden = int(get("hidden_size", "n_embd", "d_model", required=True))
    layers = int(get("num_hidden_layers", "n_layer", "num_layers", required=True))
    heads = int(get("num_attention_heads", "n_head", "num_heads", required=True))
    fields: dict[str, Any] = dict(
        id=model_id,
        name=str(config.get("_name_or_path") or model_id),
        hidden_size=hidden,
        num_layers=layers,
        num_attention_heads=heads,
        num_kv_heads=int(get("num_key_value_heads", "num_kv_heads", "n_head_kv", default=0) or 0),
        head_dim=int(get("head_dim", default=0) or 0),
        vocab_size=int(get("vocab_size", required=True)),
        tie_word_embeddings=bool(get("tie_word_embeddings", default=model_type in _TIED_BY_DEFAULT)),
        max_position_embeddings=int(get("max_position_embeddings", "n_positions", default=0) or 0),
    )
    bias = bool(get("attention_bias", default=False))
    fields.update(qkv_bias=bias, attn_out_bias=bias, mlp_bias=bool(get("mlp_bias", default=False)))
    intermediate = get("intermediate_size", "n_inner", "ffn_hidden_size", default=None)

    if model_type in ("qwen2", "qwen2_moe"):
        fields.update(qkv_bias=True, attn_out_bias=False)
    if model_type in ("qwen3", "qwen3_moe"):
        fields.update(qk_norm=True)
    if model_type in ("gemma", "gemma2"):
        fields["norms_per_layer"] = 4 if model_type == "gemma2" else 2
    if model_type in ("gemma3", "gemma3_text"):  # Gemma 2's four norms per layer, plus QK-norm
        fields.update(norms_per_layer=4, qk_norm=True)
    if model_type in ("gpt2", "bert"):
        fields.update(mlp="plain", norm="layernorm", qkv_bias=True, attn_out_bias=True, mlp_bias=True,
                      position_embedding="learned")
        intermediate = intermediate or 4 * hidden
        if model_type == "bert":
            fields.update(type_vocab_size=int(get("type_vocab_size", default=2)), pooler=True, encoder_only=True)
    if model_type == "falcon":
        _falcon(config, fields, hidden, heads)
        intermediate = intermediate or 4 * hidden
    if model_type == "gpt_oss":
        fields.update(attention_sinks=True, router_bias=True, mlp_bias=True)

    # Mixture of experts
    experts = int(get("num_local_experts", "n_routed_experts", "num_experts", default=0) or 0)
    if experts:
        fields.update(
            num_experts=experts,
            experts_per_token=int(get("num_experts_per_tok", "experts_per_token", required=True)),
            moe_intermediate_size=int(get("moe_intermediate_size", default=0) or 0),
            first_dense_layers=int(get("first_k_dense_replace", default=0) or 0),
            moe_layer_freq=int(get("moe_layer_freq", "decoder_sparse_step", default=1) or 1),
        )
        shared = int(get("n_shared_experts", default=0) or 0)
        shared_width = int(get("shared_expert_intermediate_size", default=0) or 0)
        if shared_width and not shared:  # Qwen2-MoE: one gated shared expert of its own width
            fields.update(num_shared_experts=1, shared_expert_intermediate_size=shared_width, shared_expert_gate=True)
        else:
            fields["num_shared_experts"] = shared
        if model_type == "deepseek_v3" or get("topk_method") == "noaux_tc":
            fields["router_bias"] = True
    if intermediate is None:
        if experts and fields.get("moe_intermediate_size"):
            intermediate = fields["moe_intermediate_size"]
        else:
            raise XlcomputeError(f"model: {label}: missing key 'intermediate_size' (model_type {model_type!r}).",
                                 argument="model")
    fields["intermediate_size"] = int(intermediate)

    # Multi-head latent attention
    kv_lora = int(get("kv_lora_rank", default=0) or 0)
    if kv_lora and (model_type.startswith("deepseek") or model_type == "kimi_k2"):  # Kimi K2: DeepSeek-V3 layout
        fields.update(
            q_lora_rank=int(get("q_lora_rank", default=0) or 0),
            kv_lora_rank=kv_lora,
            qk_nope_head_dim=int(get("qk_nope_head_dim", required=True)),
            qk_rope_head_dim=int(get("qk_rope_head_dim", required=True)),
            v_head_dim=int(get("v_head_dim", required=True)),
        )

    _sliding_window(config, fields, model_type, layers)
    try:
        return ModelArch(**fields)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise XlcomputeError(f"model: {label}: inconsistent architecture ({exc}).", argument="model") from exc


def _falcon(config: dict[str, Any], fields: dict[str, Any], hidden: int, heads: int) -> None:
    new_arch = bool(config.get("new_decoder_architecture", False))
    bias = bool(config.get("bias", False))
    fields.update(mlp="plain", norm="layernorm", qkv_bias=bias, attn_out_bias=bias, mlp_bias=bias)
    if config.get("alibi"):
        fields["position_embedding"] = "alibi"
    if new_arch:
        fields["parallel_attention"] = True
        fields["norms_per_layer"] = int(config.get("num_ln_in_parallel_attn") or 2)
    else:
        fields["parallel_attention"] = bool(config.get("parallel_attn", True))
        if config.get("multi_query", True):
            fields["num_kv_heads"] = 1
        elif not fields["num_kv_heads"]:
            fields["num_kv_heads"] = heads


def _sliding_window(config: dict[str, Any], fields: dict[str, Any], model_type: str, layers: int) -> None:
    window = config.get("sliding_window")
    if not window or config.get("use_sliding_window") is False:
        return
    layer_types = config.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        count = sum(1 for t in layer_types if "sliding" in str(t))
    elif config.get("sliding_window_pattern") or model_type in ("gemma3", "gemma3_text"):
        # Gemma 3: every pattern-th layer is global, the others local (Gemma3TextConfig default 6)
        count = layers - layers // int(config.get("sliding_window_pattern") or 6)
    elif model_type in ("gemma2", "gpt_oss"):
        count = layers // 2  # alternating local / global layers
    else:
        count = layers
    if count:
        fields.update(sliding_window=int(window), sliding_window_layers=count)
