"""The accelerator catalog: ``data/gpus.csv``, one row per accelerator with its source and date.

Throughput columns are dense peaks (without 2:4 sparsity) in TFLOP/s (TOPS for int8);
``interconnect_gbps`` is the scale-up bandwidth per accelerator counting both directions,
as vendors quote it; ``pcie_gbps`` is the host link per direction [GB/s].

Bare family names resolve to a documented default: "A100" -> ``a100-80gb``, "H100" ->
``h100-sxm`` (the parts clouds rent most), set by the ``aliases`` column.
"""

from __future__ import annotations

import functools
from typing import Any

from ..core.errors import XlcomputeError
from ..core.hardware import Accelerator
from ._data import Index, build_catalog, split_list, typed_fields

PRECISION_COLUMNS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")


def _gpu_from_row(row: dict[str, str], line: int) -> Accelerator:
    label = f"gpus.csv line {line} ({row.get('id', '?')})"
    values = typed_fields(Accelerator, row, label)
    for required in ("id", "name", "memory_gb", "memory_bandwidth_gbps"):
        if required not in values:
            raise XlcomputeError(f"{label}: column {required} is empty.", argument="catalog")
    dense: dict[str, float] = {}
    for column in PRECISION_COLUMNS:
        text = row.get(column, "")
        if text:
            try:
                dense[column] = float(text)
            except ValueError as exc:
                raise XlcomputeError(f"{label}, column {column}: expected TFLOP/s, found {text!r}.",
                                     argument="catalog") from exc
    return Accelerator(dense_tflops=dense, **values)


@functools.lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, Accelerator], Index]:
    return build_catalog("gpus.csv", "gpu", _gpu_from_row,
                         lambda gpu, row: (gpu.name, *split_list(row.get("aliases", ""))))


def list_gpus() -> list[Accelerator]:
    """Every catalog accelerator, in file order."""
    return list(_catalog()[0].values())


def gpu_ids() -> list[str]:
    return list(_catalog()[0])


def get_gpu(ref: Any) -> Accelerator:
    """An accelerator by id, name or alias, ignoring case and separators
    ("H100", "h100 sxm", "NVIDIA H100 SXM5 80GB" -> ``h100-sxm``). An Accelerator passes through.

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
        index.resolve(ref)  # raises with suggestions
    return gpus[found]


def _strip_vendor(text: str) -> str:
    lowered = text.lower()
    for vendor in ("nvidia", "geforce", "amd", "instinct", "google", "cloud", "huawei", "tesla"):
        lowered = lowered.replace(vendor, " ")
    return lowered.strip()
