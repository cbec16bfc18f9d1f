"""Shared helpers of the catalogs: reading the packaged CSV files and forgiving id lookups.

Standard library only (the catalog also runs in xlwings Lite's Pyodide). Package data is
found with ``importlib.resources``, falling back to the directory of this file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Iterable

from ..core.errors import XlcomputeError, unknown_id

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Rows of the packaged ``data/<name>`` CSV as dicts of stripped strings."""
    try:
        from importlib.resources import files

        text = files("xlcompute.catalog").joinpath("data", name).read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError, ModuleNotFoundError, OSError):
        text = (DATA_DIR / name).read_text(encoding="utf-8")
    return parse_csv_text(text, name)


def read_user_csv(path: str | Path, required: Iterable[str]) -> list[dict[str, str]]:
    """Rows of a user-supplied CSV; a clear error if it is missing or lacks columns."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise XlcomputeError(f"prices file {str(path)!r}: cannot be read ({exc.strerror or exc}).",
                             argument="prices_file") from exc
    rows = parse_csv_text(text, str(path))
    header = set(rows[0]) if rows else set(csv.DictReader(io.StringIO(text)).fieldnames or [])
    missing = [c for c in required if c not in header]
    if missing:
        raise XlcomputeError(
            f"prices file {str(path)!r}: missing column(s) {', '.join(missing)}; expected a header with "
            f"{', '.join(required)}.", argument="prices_file")
    return rows


def parse_csv_text(text: str, label: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise XlcomputeError(f"{label}, line {line}: more cells than header columns.", argument="catalog")
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if any(clean.values()):
            rows.append(clean)
    return rows


def parse_bool(text: str, label: str = "") -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("", "0", "false", "no", "n"):
        return False
    raise XlcomputeError(f"{label}: expected true or false, found {text!r}.", argument=label or "catalog")


_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def parse_count(text: str, label: str = "") -> float | None:
    """A count as written by its source: ``"6.74B"``, ``"340M"``, ``"8030261248"``; empty -> None."""
    value = text.strip().replace(",", "").replace("_", "")
    if not value:
        return None
    scale = _SUFFIX.get(value[-1].lower())
    number = value[:-1] if scale else value
    try:
        return float(number) * (scale or 1.0)
    except ValueError as exc:
        raise XlcomputeError(f"{label}: expected a count such as 6.74B or 8030261248, found {text!r}.",
                             argument=label or "catalog") from exc


def quoted_half_unit(text: str) -> float:
    """Half a unit in the last digit of a count as quoted (``"37B"`` -> 0.5e9, ``"6.74B"`` -> 0.005e9)."""
    value = text.strip().replace(",", "").replace("_", "")
    scale = _SUFFIX.get(value[-1].lower()) if value else None
    number = value[:-1] if scale else value
    decimals = len(number.split(".")[1]) if "." in number else 0
    return 0.5 * 10.0 ** (-decimals) * (scale or 1.0)


def typed_fields(cls: type, row: dict[str, str], label: str) -> dict[str, Any]:
    """Values for the dataclass ``cls`` taken from ``row`` (int/float/bool/str by field type; empty = default)."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        text = row.get(f.name, "")
        if text == "":
            continue
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        where = f"{label}, column {f.name}"
        try:
            if kind == "int":
                values[f.name] = int(float(text))
            elif kind == "float":
                values[f.name] = float(text)
            elif kind == "bool":
                values[f.name] = parse_bool(text, where)
            elif kind == "str":
                values[f.name] = text
        except ValueError as exc:
            raise XlcomputeError(f"{where}: expected a {kind}, found {text!r}.", argument="catalog") from exc
    return values


def split_list(text: str) -> tuple[str, ...]:
    """``"a; b;c"`` -> ``("a", "b", "c")`` (lists inside one CSV cell are ;-separated)."""
    return tuple(part.strip() for part in text.split(";") if part.strip())


def build_catalog(file: str, kind: str, make: Callable[[dict[str, str], int], Any],
                  names: Callable[[Any, dict[str, str]], Iterable[str]]) -> tuple[dict[str, Any], "Index"]:
    """Items of the packaged ``file`` keyed by id (``make(row, line)`` builds one), and the
    lookup index over each item's id and ``names(item, row)``."""
    items: dict[str, Any] = {}
    index = Index(kind, kind)
    for line, row in enumerate(read_data_csv(file), start=2):
        item = make(row, line)
        if item.id in items:
            raise XlcomputeError(f"{file} line {line}: duplicate id {item.id!r}.", argument="catalog")
        items[item.id] = item
        index.add(item.id, *names(item, row))
    return items, index


def lookup_key(text: str) -> str:
    """Case- and separator-insensitive key: ``"Llama-3.1 70B"`` -> ``"llama3.170b"``."""
    return re.sub(r"[^a-z0-9.]", "", str(text).lower())


# Suffixes that name a variant sharing the base model's architecture, and prefixes that
# only name the vendor, tried one at a time after an exact match fails.
_VARIANT_SUFFIXES = ("instruct", "chat", "hf", "it", "base", "fp8", "bf16", "awq", "gptq", "sft", "rl")
_VERSION_SUFFIX = re.compile(r"v\d+(\.\d+)*$")
_VENDOR_PREFIXES = ("meta", "google", "microsoft", "mistralai", "openai", "tiiuae", "qwen", "deepseekai")


class Index:
    """Maps forgiving spellings (ids, aliases, Hugging Face repo names) to catalog ids."""

    def __init__(self, kind: str, argument: str) -> None:
        self.kind = kind
        self.argument = argument
        self.ids: list[str] = []
        self._keys: dict[str, str] = {}

    def add(self, item_id: str, *names: str) -> None:
        self.ids.append(item_id)
        for name in (item_id, *names):
            if not name:
                continue
            for key in {lookup_key(name), lookup_key(name.rsplit("/", 1)[-1])}:
                if key:
                    self._keys.setdefault(key, item_id)

    def find(self, ref: Any) -> str | None:
        text = str(ref).strip()
        candidates = [text, text.rsplit("/", 1)[-1]] if "/" in text else [text]
        for candidate in candidates:
            key = lookup_key(candidate)
            for variant in _variants(key):
                if variant in self._keys:
                    return self._keys[variant]
        return None

    def resolve(self, ref: Any) -> str:
        found = self.find(ref)
        if found is None:
            raise unknown_id(self.kind, self.argument, ref, self.ids)
        return found


def _variants(key: str) -> list[str]:
    """``key`` and the keys left after stripping variant suffixes and vendor prefixes."""
    out = [key]
    current = key
    for _ in range(4):
        stripped = _VERSION_SUFFIX.sub("", current)
        for suffix in _VARIANT_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix) + 2:
                stripped = stripped[: -len(suffix)]
        if stripped == current:
            break
        current = stripped
        out.append(current)
    for prefix in _VENDOR_PREFIXES:
        for item in list(out):
            if item.startswith(prefix) and len(item) > len(prefix) + 2:
                out.append(item[len(prefix):])
    return out
