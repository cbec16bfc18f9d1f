"""Units and number formats: precisions to bytes, bytes to GB or GiB, time and FLOP units.

Conventions (printed in every report):
- Memory is reported in decimal gigabytes, 1 GB = 1e9 bytes, by default; ``unit="GiB"``
  gives binary gibibytes, 1 GiB = 2**30 bytes. A GPU's capacity as the vendor quotes it
  ("80 GB") is binary in fact: nvidia-smi shows 81,559 MiB on an H100, i.e. 85.5e9 bytes;
  see :attr:`xlcompute.core.hardware.Accelerator.memory_bytes`.
- FLOP is an amount of work, FLOP/s a rate; functions keep them apart in names and units.
"""

from __future__ import annotations

from typing import Any

from .errors import XlcomputeError, closest
from .formula import formula

GB = 1e9
GIB = 2.0**30
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
#: 1 PF-day = 1e15 FLOP/s sustained for one day [FLOP] (seed 004 §2.1.2.1; GPT-3 Table D.1).
FLOP_PER_PF_DAY = 1e15 * SECONDS_PER_DAY

MEMORY_UNITS = {"GB": GB, "GiB": GIB, "MB": 1e6, "MiB": 2.0**20, "TB": 1e12, "bytes": 1.0}

#: Bytes per element of each named precision. Names are matched case-insensitively.
PRECISION_BYTES: dict[str, float] = {
    "fp64": 8.0,
    "fp32": 4.0,
    "tf32": 4.0,  # stored as 32 bits
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp6": 0.75,
    "int4": 0.5,
    "fp4": 0.5,  # bare E2M1 elements; the block-scaled formats below add their scales
    "nvfp4": 4.5 / 8,  # one FP8 (E4M3) scale per 16 FP4 values: 4 + 8/16 bits
    "mxfp4": 4.25 / 8,  # one E8M0 scale per 32 FP4 values: 4 + 8/32 bits
    "nf4": 0.5,
}
#: Block-scaled formats and the element type their matrix multiplications run on: NVIDIA's
#: NVFP4 (NVIDIA technical blog "Introducing NVFP4 for efficient and accurate low-precision
#: inference", 2025: E2M1 values, one E4M3 scale per 16-value block, plus one FP32 scale per
#: tensor) and OCP MXFP4 (OCP Microscaling Formats (MX) Specification v1.0, 2023, §5: E2M1
#: values, one E8M0 shared scale per 32-value block). Blackwell's fp4 tensor cores run both.
BLOCK_SCALED_ELEMENTS: dict[str, str] = {"nvfp4": "fp4", "mxfp4": "fp4"}
_ALIASES = {
    "float32": "fp32", "float": "fp32", "full": "fp32", "float16": "fp16", "half": "fp16",
    "bfloat16": "bf16", "float8": "fp8", "e4m3": "fp8", "fp8_e4m3": "fp8", "e5m2": "fp8",
    "q8": "int8", "q4": "int4", "float64": "fp64", "double": "fp64",
}


def normalise_precision(precision: Any, argument: str = "precision") -> str:
    """Canonical precision name (``"BF16"`` -> ``"bf16"``); numbers are bits per weight."""
    if isinstance(precision, (int, float)) and not isinstance(precision, bool):
        return f"{float(precision):.15g}bit"  # :g kept 6 digits: 1.078125 bits became 1.07812
    name = str(precision).strip().lower().replace("-", "").replace(" ", "")
    name = _ALIASES.get(name, name)
    if name in PRECISION_BYTES:
        return name
    if name.endswith("bit") or name.endswith("bits"):
        return name.rstrip("s")
    raise XlcomputeError(
        f"{argument}: unknown precision {str(precision)!r}. Expected one of "
        f"{', '.join(PRECISION_BYTES)} or a number of bits per weight such as 4.5."
        + (f" Did you mean {closest(name, PRECISION_BYTES)[0]!r}?" if closest(name, PRECISION_BYTES) else ""),
        argument=argument,
        suggestions=closest(name, PRECISION_BYTES),
    )


def element_precision(precision: Any, argument: str = "precision") -> str:
    """The element type a precision's arithmetic runs on: ``"fp4"`` for the block-scaled NVFP4 and
    MXFP4 (their scales only add storage), the canonical name otherwise."""
    name = normalise_precision(precision, argument)
    return BLOCK_SCALED_ELEMENTS.get(name, name)


def bytes_per_element(precision: Any, argument: str = "precision") -> float:
    """Bytes per stored element [B] for a precision name or a number of bits.

    ``bytes_per_element("bf16") == 2``; ``bytes_per_element(4.5) == 0.5625`` (4.5 bits per
    weight, e.g. a GGUF Q4_K_M average); block-scaled formats count their scales:
    ``bytes_per_element("nvfp4") == 0.5625``, ``bytes_per_element("mxfp4") == 0.53125``.
    """
    name = normalise_precision(precision, argument)
    if name in PRECISION_BYTES:
        return PRECISION_BYTES[name]
    try:
        bits = float(name[: -len("bit")])
    except ValueError as exc:
        raise XlcomputeError(f"{argument}: cannot read bits per weight from {precision!r}.", argument=argument) from exc
    if not 0 < bits <= 64:
        raise XlcomputeError(f"{argument}: bits per weight must be in (0, 64], found {bits:g}.", argument=argument)
    return bits / 8.0


@formula(
    title="Bytes per element",
    equation="B = storage width of the precision: fp32 4, bf16/fp16 2, fp8/int8 1, fp6 0.75, int4/fp4 0.5, "
             "nvfp4 (4 + 8/16 bits) 0.5625, mxfp4 (4 + 8/32 bits) 0.53125; n bits → n/8",
    result=("B", "B/element", "bytes per stored element (one weight or one KV-cache value)"),
    terms={"element_precision": ("precision", "-", "precision name (bf16, fp8, int4, ...) or bits per element (4.5)")},
    reference="Storage width of each type: IEEE 754-2019, bfloat16, OCP FP8 (E4M3/E5M2), OCP Microscaling Formats "
              "v1.0 (MXFP4: E8M0 scale per 32 values), NVIDIA NVFP4 (E4M3 scale per 16 values)",
)
def precision_bytes(element_precision: Any) -> float:
    """Bytes per stored element [B/element] of a precision (a name or bits), as a breakdown step.

    The same lookup as :func:`bytes_per_element`; formulas call this one so that the breakdown
    shows the resolved number ("bf16 → 2 B/element"), not only the name. (The argument is not
    called ``precision`` so that the report does not list it as a compute-precision convention.)
    """
    return bytes_per_element(element_precision, "precision")


def memory_unit_bytes(unit: str, argument: str = "unit") -> float:
    """Bytes in one ``unit`` ("GB" decimal by default elsewhere, or "GiB", "MB", "MiB", "TB")."""
    for name, size in MEMORY_UNITS.items():
        if str(unit).strip().lower() == name.lower():
            return size
    raise XlcomputeError(
        f"{argument}: unknown memory unit {unit!r}; expected one of {', '.join(MEMORY_UNITS)}.",
        argument=argument,
        suggestions=closest(str(unit), MEMORY_UNITS),
    )
