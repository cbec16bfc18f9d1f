"""Accelerator description used by time, throughput and serving formulas."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .errors import XlcomputeError
from .units import normalise_precision


@dataclass(frozen=True)
class Accelerator:
    """Spec-sheet figures of one accelerator.

    ``dense_tflops`` maps a precision ("fp32", "tf32", "bf16", "fp16", "fp8", "int8",
    "fp4") to dense peak throughput [TFLOP/s, or TOPS for int8], without 2:4 sparsity.
    ``memory_gb`` is the vendor's capacity [GB]; ``memory_bandwidth_gbps`` the HBM/GDDR
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

    def peak_flops(self, precision: str = "bf16") -> float:
        """Dense peak [FLOP/s] at ``precision``; int4/fp4 fall back to the fastest lower-precision
        unit present; a precision the chip lacks falls back to the next wider one it has
        (e.g. fp8 on an A100 runs at bf16 rate), which is what a serving stack does."""
        name = normalise_precision(precision)
        order = ["fp4", "int4", "fp8", "int8", "bf16", "fp16", "tf32", "fp32", "fp64"]
        if name in ("int4", "nf4") or name.endswith("bit"):
            name = "int8" if "int8" in self.dense_tflops else "fp8"
        if name not in order:
            name = "bf16"
        for candidate in order[order.index(name):]:
            value = self.dense_tflops.get(candidate)
            if value:
                return value * 1e12
        raise XlcomputeError(f"gpu: {self.id} has no published {precision} throughput.", argument="gpu")

    @property
    def memory_bytes(self) -> float:
        return self.memory_gb * 1e9

    @property
    def bandwidth_bytes_per_s(self) -> float:
        return self.memory_bandwidth_gbps * 1e9

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        return self.id
