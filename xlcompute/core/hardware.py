"""Accelerator description used by time, throughput and serving formulas."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .errors import XlcomputeError
from .units import GIB, element_precision

_FLOAT_CHAIN = ["bf16", "fp16", "tf32", "fp32"]
# Units to try, in order, for each precision (see Accelerator.peak_flops).
_FALLBACK: dict[str, list[str]] = {
    "fp4": ["fp4", "fp8", *_FLOAT_CHAIN],
    "fp6": ["fp6", "fp8", *_FLOAT_CHAIN],
    "fp8": ["fp8", *_FLOAT_CHAIN],
    "int4": ["int4", "int8", "fp8", *_FLOAT_CHAIN],
    "int8": ["int8", *_FLOAT_CHAIN],
    "bf16": _FLOAT_CHAIN,
    "fp16": ["fp16", "bf16", "tf32", "fp32"],
    "tf32": ["tf32", "fp32"],
    "fp32": ["fp32"],
    "fp64": ["fp64", "fp32"],
}


@dataclass(frozen=True)
class Accelerator:
    """Spec-sheet figures of one accelerator.

    ``dense_tflops`` maps a precision ("fp32", "tf32", "bf16", "fp16", "fp8", "int8",
    "fp4") to dense peak throughput [TFLOP/s, or TOPS for int8], without 2:4 sparsity.
    ``memory_gb`` is the vendor's capacity [vendor GB, binary: see memory_bytes]; ``memory_bandwidth_gbps`` the HBM/GDDR
    bandwidth [GB/s]; ``interconnect_gbps`` the scale-up (NVLink, Infinity Fabric, ICI)
    bandwidth per accelerator counting both directions as vendors quote it [GB/s], 0 if
    none; ``pcie_gbps`` the host link per direction [GB/s].
    """

    id: str
    name: str
    memory_gb: float
    memory_bandwidth_gbps: float
    dense_tflops: dict[str, float] = field(default_factory=dict)
    interconnect_gbps: float = 0.0
    pcie_gbps: float = 0.0
    tdp_w: float = 0.0
    vendor: str = ""
    generation: str = ""  # e.g. "ampere", "hopper", "blackwell"; MFU defaults are keyed on it
    source: str = ""
    date: str = ""
    notes: str = ""
    origin: str = field(default="catalog", compare=False)  # "catalog" (shipped) or the user file's path

    def peak_flops(self, precision: str = "bf16") -> float:
        """Dense peak [FLOP/s] of the units that run ``precision`` matrix multiplications.

        A precision the chip has no units for runs on the next wider float units, as serving
        stacks do (fp8 weights on an A100 are dequantised to bf16; weight-only int4/fp4 and
        any bits-per-weight format run at fp8 or int8 only where the chip has those units,
        else at bf16). Integer and float units are never mixed up: fp8 never falls back to
        int8 TOPS.
        """
        name = element_precision(precision)
        if name.endswith("bit") or name == "nf4":
            name = "int4"
        for candidate in _FALLBACK.get(name, _FALLBACK["bf16"]):
            value = self.dense_tflops.get(candidate)
            if value:
                return value * 1e12
        raise XlcomputeError(f"gpu: {self.id} has no published {precision} throughput.", argument="gpu")

    @property
    def memory_bytes(self) -> float:
        """Memory capacity [bytes]. A vendor's memory "GB" is binary: an "80 GB" H100 or A100
        shows 81,559 or 81,920 MiB in nvidia-smi (85.5e9 and 85.9e9 bytes), so one vendor
        GB of capacity is taken as 2**30 bytes. (Bandwidth "GB/s" is decimal.)"""
        return self.memory_gb * GIB

    @property
    def bandwidth_bytes_per_s(self) -> float:
        return self.memory_bandwidth_gbps * 1e9

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        return self.id
