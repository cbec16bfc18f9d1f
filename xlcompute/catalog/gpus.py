"""The accelerator catalog: ``data/gpus.csv``, one row per accelerator with its source and date.

Throughput columns are dense peaks (without 2:4 sparsity) in TFLOP/s (TOPS for int8);
``interconnect_gbps`` is the scale-up bandwidth per accelerator counting both directions,
as vendors quote it; ``pcie_gbps`` is the host link per direction [GB/s].

Bare family names resolve to a documented default: "A100" -> ``a100-80gb``, "H100" ->
``h100-sxm`` (the parts clouds rent most), set by the ``aliases`` column.

Names as vendors, clouds and ``nvidia-smi`` print them also resolve when nothing matches
literally: words in any order ("A100 40GB SXM4" = "a100-sxm4-40gb"), parenthesised remarks
("NVIDIA V100 SXM2 (16/32GB)", "NVIDIA A10G (AWS G5)"), memory-type words ("HBM3"), and a
form factor or memory size the row already implies ("H200 SXM 141GB" -> ``h200``). A form
factor or memory size is only dropped when the row found has that form factor and that
memory: "A100 40GB PCIe" (no such row) is an error, never ``a100-40gb`` or ``a100-80gb-pcie``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..core.errors import XlcomputeError
from ..core.hardware import Accelerator
from ._data import Index, build_catalog, check_row, parse_number, split_list, typed_fields
from .user_dir import FileKey, user_file, user_rows

PRECISION_COLUMNS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")
REQUIRED_COLUMNS = ("id", "name", "vendor", "generation", "memory_gb", "memory_bandwidth_gbps", "source", "date")


def _gpu_from_row(row: dict[str, str], where: str, origin: str = "catalog") -> Accelerator:
    """One accelerator from a row of gpus.csv (shipped or a user's: the same checks)."""
    check_row(row, where, ("source",))
    label = f"{where} ({row['id']})"
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            raise XlcomputeError(f"{label}, column {column}: expected a value, found nothing.", argument="catalog")
    values = typed_fields(Accelerator, row, label)
    for column in ("memory_gb", "memory_bandwidth_gbps"):
        if not values[column] > 0:
            raise XlcomputeError(f"{label}, column {column}: expected a number above 0, found {row[column]!r}.",
                                 argument="catalog")
    dense = {column: parse_number(row[column], f"{label}, column {column}")
             for column in PRECISION_COLUMNS if row.get(column)}
    if not any(dense.values()):
        raise XlcomputeError(f"{label}, columns {', '.join(PRECISION_COLUMNS)}: expected at least one dense peak "
                             "TFLOP/s (without sparsity), found none.", argument="catalog")
    return Accelerator(dense_tflops=dense, origin=origin, **values)


@functools.lru_cache(maxsize=4)
def _load(user: FileKey | None) -> tuple[dict[str, Accelerator], Index]:
    return build_catalog("gpus.csv", "gpu", _gpu_from_row,
                         lambda gpu, row: (gpu.name, *split_list(row.get("aliases", ""))),
                         user_rows(user, REQUIRED_COLUMNS))


def _catalog() -> tuple[dict[str, Accelerator], Index]:
    """The shipped accelerators merged with the user catalog directory's gpus.csv, if any."""
    return _load(user_file("gpus.csv"))


# Words that never tell two catalog rows apart: vendors, brands, memory types.
_NOISE_WORDS = frozenset({
    "nvidia", "geforce", "amd", "instinct", "google", "cloud", "huawei", "tesla", "intel", "gpu", "per",
    "accelerator", "tensor", "core", "hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "gddr6", "gddr6x", "gddr7", "ecc",
})
# Form-factor words: "sxm" family (socketed boards), "pcie" cards, "nvl" bridged pairs.
_FORM_WORDS = {"sxm": "sxm", "sxm2": "sxm", "sxm3": "sxm", "sxm4": "sxm", "sxm5": "sxm", "sxm6": "sxm", "oam": "sxm",
               "hgx": "sxm", "dgx": "sxm", "pcie": "pcie", "nvl": "nvl"}
_MEMORY_WORD = re.compile(r"^(\d+(?:\.\d+)?)(?:gb|g|gib)$")


def _words(text: str) -> list[str]:
    """Lower-case words of a GPU name with sizes joined ("80 GB" -> "80gb", "80G" -> "80gb")."""
    raw = [w for w in re.split(r"[^a-z0-9.]+", str(text).lower()) if w and w != "."]
    words: list[str] = []
    for word in raw:
        if word in ("gb", "gib") and words and re.fullmatch(r"\d+(\.\d+)?", words[-1]):
            words[-1] += "gb"
            continue
        match = _MEMORY_WORD.match(word)
        words.append(f"{match.group(1)}gb" if match else word)
    return words


def _key(words: list[str] | set[str]) -> tuple[str, ...]:
    return tuple(sorted(set(words) - _NOISE_WORDS))


def _form_of(gpu: Accelerator) -> str:
    """"pcie", "nvl", "sxm" from the row's id and name, or "any" when it names none."""
    words = set(_words(gpu.id)) | set(_words(gpu.name))
    for form in ("pcie", "nvl", "sxm"):
        if any(_FORM_WORDS.get(w) == form for w in words):
            return form
    return "any"


@functools.lru_cache(maxsize=4)
def _word_index(user: FileKey | None) -> dict[tuple[str, ...], str]:
    """Order-free keys: the set of meaningful words of each id, name and alias -> id."""
    index: dict[tuple[str, ...], str] = {}
    _, lookup = _load(user)
    for gpu_id, other_names in lookup.names.items():
        for name in (gpu_id, *other_names):
            key = _key(_words(name))
            if key:
                index.setdefault(key, gpu_id)
    return index


def _memory_sizes(text: str) -> set[float]:
    """Memory sizes a name mentions, including inside remarks ("(16/32GB)" -> {16, 32})."""
    sizes = set()
    for match in re.finditer(r"(\d+(?:\.\d+)?)(?:\s*/\s*(\d+(?:\.\d+)?))?\s*(?:gb|gib|g)\b", text.lower()):
        sizes.update(float(g) for g in match.groups() if g)
    return sizes


def _find_by_words(ref: str) -> str | None:
    """The row a free-form name means, or None when it is unknown or ambiguous (see module doc)."""
    user = user_file("gpus.csv")
    gpus, _ = _load(user)
    index = _word_index(user)
    text = str(ref)
    mentioned_memory = _memory_sizes(text)
    flattened = re.sub(r"[()\[\]]", " ", text)  # keep what the remark says: "A100 (40GB)"
    without_remarks = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)  # drop it: "Ascend 910 (2019)"
    for candidate in (flattened, without_remarks):
        words = set(_key(_words(candidate)))
        forms = {w for w in words if w in _FORM_WORDS}
        sizes = {w for w in words if _MEMORY_WORD.match(w)}
        query_forms = {_FORM_WORDS[w] for w in forms}
        for drop in (set(), forms, sizes, forms | sizes):
            kept = words - drop
            found = index.get(tuple(sorted(kept)))
            if found is None:
                continue
            gpu = gpus[found]
            named_size = any(_MEMORY_WORD.match(w) for w in kept)  # the alias itself names this size
            if mentioned_memory and not named_size and not any(abs(gpu.memory_gb - m) < 1 for m in mentioned_memory):
                continue  # "V100 PCIe 16GB" must not become the 32 GB card
            row_form = _form_of(gpu)
            if query_forms and not (query_forms == {row_form} or row_form == "any" and query_forms <= {"pcie"}):
                continue  # "A100 PCIe" must not become the SXM part
            return found
    return None


def list_gpus() -> list[Accelerator]:
    """Every catalog accelerator, in file order."""
    return list(_catalog()[0].values())


def gpu_ids() -> list[str]:
    return list(_catalog()[0])


def get_gpu(ref: Any) -> Accelerator:
    """An accelerator by id, name or alias, ignoring case and separators
    ("H100", "h100 sxm", "NVIDIA H100 SXM5 80GB", "NVIDIA H100 80GB HBM3" -> ``h100-sxm``;
    "NVIDIA A100-SXM4-40GB" -> ``a100-40gb``). An Accelerator passes through.

    Raises :class:`XlcomputeError` naming the argument and the closest ids if nothing matches.
    """
    if isinstance(ref, Accelerator):
        return ref
    gpus, index = _catalog()
    if ref is None or str(ref).strip() == "":
        raise XlcomputeError("gpu: expected an accelerator id such as 'h100-sxm', found nothing.", argument="gpu")
    found = index.find(ref)
    if found is None:
        found = index.find(_strip_vendor(str(ref)))
    if found is None:
        found = _find_by_words(str(ref))
    if found is None:
        index.resolve(ref)  # raises with suggestions
    return gpus[found]


def _strip_vendor(text: str) -> str:
    lowered = text.lower()
    for vendor in ("nvidia", "geforce", "amd", "instinct", "google", "cloud", "huawei", "tesla"):
        lowered = lowered.replace(vendor, " ")
    return lowered.strip()
