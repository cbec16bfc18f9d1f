"""Typed access to the keys of one Hugging Face ``config.json``, with its family's defaults.

A key that is absent takes the default of the family's ``transformers`` configuration class
(the ``defaults`` table of :mod:`xlcompute.catalog.hf_families`); a key written as ``null``
takes the rule that class applies to ``None`` (the ``default`` argument: ``n_inner: null`` is
4 x hidden, ``num_key_value_heads: null`` is one KV head per query head). A key with neither
raises one :class:`XlcomputeError` that names the file and the key.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..core.errors import XlcomputeError

_REQUIRED: Any = object()


class ConfigReader:
    """The keys of one parsed config.json, read with its family's defaults."""

    def __init__(self, config: Mapping[str, Any], label: str, model_type: str,
                 defaults: Mapping[str, Any]) -> None:
        self.config = config
        self.label = label
        self.model_type = model_type
        self.defaults = defaults

    def fail(self, message: str) -> XlcomputeError:
        """An error about this file (raise it)."""
        return XlcomputeError(f"model: {self.label}: {message}", argument="model")

    def value(self, *keys: str, default: Any = _REQUIRED) -> Any:
        """The first of ``keys`` the file sets; else the family default; else ``default``."""
        for key in keys:
            if self.config.get(key) is not None:
                return self.config[key]
        written_null = any(key in self.config for key in keys)
        if not written_null:
            for key in keys:
                if self.defaults.get(key) is not None:
                    return self.defaults[key]
        if default is _REQUIRED:
            also = f" (or {', '.join(repr(k) for k in keys[1:])})" if len(keys) > 1 else ""
            state = "is null" if written_null else "is missing"
            raise self.fail(f"missing key {keys[0]!r}{also}: it {state} and model_type "
                            f"{self.model_type or 'unknown'!r} has no default for it.")
        return default

    def count(self, *keys: str, default: Any = _REQUIRED, minimum: int = 1) -> int:
        """A whole number of at least ``minimum`` (a float such as 4096.0 is accepted)."""
        value = self.value(*keys, default=default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"key {self._which(keys)!r} must be a whole number of at least {minimum}, "
                            f"found {value!r}.")
        return value

    def flag(self, *keys: str, default: Any = _REQUIRED) -> bool:
        value = self.value(*keys, default=default)
        if not isinstance(value, bool):
            raise self.fail(f"key {self._which(keys)!r} must be true or false, found {value!r}.")
        return value

    def layer_list(self, key: str, layers: int) -> list[int] | None:
        """A list of layer indices (``mlp_only_layers``, ``moe_layers``), or None if unset."""
        value = self.value(key, default=None)
        if value is None:
            return None
        if not isinstance(value, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < layers for i in value):
            raise self.fail(f"key {key!r} must be a list of layer indices below {layers}, found {value!r}.")
        return sorted(set(value))

    def _which(self, keys: tuple[str, ...]) -> str:
        return next((key for key in keys if self.config.get(key) is not None), keys[0])


def leading_then_every(reader: ConfigReader, moe_layers: list[int], layers: int) -> tuple[int, int]:
    """``(first_dense_layers, moe_layer_freq)`` such that the MoE layers are
    ``range(first_dense_layers, layers, moe_layer_freq)``, the only layouts ModelArch expresses."""
    if not moe_layers:
        raise reader.fail("the config names experts but puts them on no layer.")
    first = moe_layers[0]
    step = moe_layers[1] - first if len(moe_layers) > 1 else max(1, layers - first)
    if list(range(first, layers, step)) != moe_layers:
        raise reader.fail(f"MoE on layers {moe_layers} is not 'leading dense layers, then every n-th "
                          "layer', the layouts the parameter count can express.")
    return first, step
