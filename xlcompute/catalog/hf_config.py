"""Read a local Hugging Face ``config.json`` into a :class:`~xlcompute.core.ModelArch`.

No network and no ``transformers``: keys are read as the ``transformers`` configuration classes
define them, with the defaults those classes use when a key is absent (one builder and one
defaults table per family in :mod:`xlcompute.catalog.hf_families`; typed key access and the
errors in :mod:`xlcompute.catalog.hf_config_reader`). Multimodal wrappers (Gemma 3, Llama 4,
Kimi K2.5) are read through their ``text_config``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ..core.architecture import ModelArch
from ..core.errors import XlcomputeError
from .hf_config_reader import ConfigReader
from .hf_families import FAMILIES, GENERIC

SUPPORTED_MODEL_TYPES = tuple(FAMILIES)
# model types whose vendors leave the input embedding out of "active" parameters
# (DeepSeek-V2/V3 papers, OpenAI gpt-oss model card); see core.params.params_active
ACTIVE_WITHOUT_INPUT_EMBEDDING = {"deepseek_v2", "deepseek_v3", "kimi_k2", "gpt_oss"}


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
    """ModelArch from a parsed config.json dict; ``label`` (the file) heads every error."""
    if not isinstance(config, dict):
        raise XlcomputeError(f"model: {label}: expected a JSON object, found {type(config).__name__}.",
                             argument="model")
    model_type = config.get("model_type", "")
    if not isinstance(model_type, str):
        raise XlcomputeError(f"model: {label}: model_type must be text, found {model_type!r}.", argument="model")
    model_type = model_type.lower()
    family = FAMILIES.get(model_type)
    if family is None:
        if "hidden_size" not in config:
            raise XlcomputeError(
                f"model: {label}: model_type {model_type!r} is not supported; supported: "
                f"{', '.join(SUPPORTED_MODEL_TYPES)} (or any Llama-layout config with hidden_size, "
                "num_hidden_layers, num_attention_heads, intermediate_size, vocab_size).",
                argument="model")
        family = GENERIC
    build, defaults = family
    fields = build(ConfigReader(config, label, model_type, defaults))
    name = config.get("_name_or_path")
    fields.update(id=model_id, name=str(name) if isinstance(name, str) and name else model_id)
    try:
        return ModelArch(**fields)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise XlcomputeError(f"model: {label}: inconsistent architecture ({exc}).", argument="model") from exc
